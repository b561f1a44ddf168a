using Judge.Data.Schema;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Judge.Fleet.IntegrationTests;

/// <summary>Integration tests against real PostgreSQL: the SQL migrations, the migrator's rules, and the EF model agree.</summary>
[Collection(Fleet.Name)]
public sealed class SchemaTests(FleetFixture fleet)
{
    [Fact]
    public async Task The_ef_model_and_the_migrated_schema_agree_on_every_table_and_column()
    {
        await fleet.WithDbAsync(async db =>
        {
            var columns = await db.Database.SqlQuery<ColumnInfo>($"""
                SELECT table_name AS "Table", column_name AS "Column", data_type AS "Type", is_nullable = 'YES' AS "Nullable"
                FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'schema_migrations'
                """).ToListAsync();
            var mapped = new HashSet<(string, string)>();
            foreach (var entity in db.Model.GetEntityTypes())
            {
                var table = entity.GetTableName()!;
                var store = StoreObjectIdentifier.Table(table);
                foreach (var property in entity.GetProperties())
                {
                    var name = property.GetColumnName(store)!;
                    var column = columns.SingleOrDefault(c => c.Table == table && c.Column == name);
                    Assert.True(column is not null, $"{entity.DisplayName()}.{property.Name} maps to {table}.{name}, which the migrations do not create.");
                    Assert.True(column.Type == property.GetColumnType(), $"{table}.{name} is {column.Type} in SQL but {property.GetColumnType()} in the model.");
                    Assert.True(column.Nullable == property.IsColumnNullable(store), $"{table}.{name}: nullable {column.Nullable} in SQL, {property.IsColumnNullable(store)} in the model.");
                    mapped.Add((table, name));
                }
            }

            var unmapped = columns.Where(c => !mapped.Contains((c.Table, c.Column))).Select(c => $"{c.Table}.{c.Column}").ToList();
            Assert.True(unmapped.Count == 0, $"Columns without a model property: {string.Join(", ", unmapped)}");
            return true;
        });
    }

    [Fact]
    public async Task Migrating_twice_applies_nothing_the_second_time()
    {
        await using var database = await ScratchDatabase.CreateAsync(fleet);
        var migrator = new SchemaMigrator(database.DataSource, NullLogger<SchemaMigrator>.Instance);

        var first = await migrator.MigrateAsync(CancellationToken.None);
        var second = await migrator.MigrateAsync(CancellationToken.None);

        Assert.Equal(SchemaMigrator.Embedded.Select(m => m.Name), first);
        Assert.Empty(second);
    }

    [Fact]
    public async Task Concurrent_migrators_apply_each_file_once()
    {
        await using var database = await ScratchDatabase.CreateAsync(fleet);

        var runs = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
            new SchemaMigrator(database.DataSource, NullLogger<SchemaMigrator>.Instance).MigrateAsync(CancellationToken.None)));

        Assert.Equal(SchemaMigrator.Embedded.Count, runs.Sum(r => r.Count));
    }

    [Fact]
    public async Task An_applied_migration_that_changed_is_an_error_naming_the_file()
    {
        await using var database = await ScratchDatabase.CreateAsync(fleet);
        var migrator = new SchemaMigrator(database.DataSource, NullLogger<SchemaMigrator>.Instance);
        await migrator.MigrateAsync(CancellationToken.None);
        var first = SchemaMigrator.Embedded[0];

        var error = await Assert.ThrowsAsync<SchemaMigrationException>(() =>
            migrator.MigrateAsync([first with { Sql = first.Sql + "\n-- edited" }, .. SchemaMigrator.Embedded.Skip(1)], CancellationToken.None));

        Assert.Contains(first.Name, error.Message, StringComparison.Ordinal);
        Assert.Contains("changed after it was applied", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_database_migrated_by_a_newer_build_is_refused()
    {
        await using var database = await ScratchDatabase.CreateAsync(fleet);
        var migrator = new SchemaMigrator(database.DataSource, NullLogger<SchemaMigrator>.Instance);
        await migrator.MigrateAsync(CancellationToken.None);
        await using (var command = database.DataSource.CreateCommand("INSERT INTO schema_migrations (version, name, sha256) VALUES (999, '999_future.sql', 'x')"))
        {
            await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var error = await Assert.ThrowsAsync<SchemaMigrationException>(() => migrator.MigrateAsync(CancellationToken.None));

        Assert.Contains("999_future.sql", error.Message, StringComparison.Ordinal);
    }

    private sealed record ColumnInfo(string Table, string Column, string Type, bool Nullable);

    /// <summary>An empty database of its own, dropped afterwards.</summary>
    private sealed class ScratchDatabase : IAsyncDisposable
    {
        private readonly string _server;
        private readonly string _name;

        private ScratchDatabase(string server, string name)
        {
            _server = server;
            _name = name;
            DataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString);
        }

        public NpgsqlDataSource DataSource { get; }

        public static async Task<ScratchDatabase> CreateAsync(FleetFixture fleet)
        {
            var server = fleet.Settings["ConnectionStrings:Judge"]!;
            var name = "judge_scratch_" + Guid.NewGuid().ToString("N")[..12];
            await using var connection = new NpgsqlConnection(server);
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
            return new ScratchDatabase(server, name);
        }

        public async ValueTask DisposeAsync()
        {
            await DataSource.DisposeAsync();
            await using var connection = new NpgsqlConnection(_server);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }
}
