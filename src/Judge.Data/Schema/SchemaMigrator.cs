using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Judge.Data.Schema;

public sealed class SchemaMigrationException(string message) : Exception(message);

public sealed record Migration(int Version, string Name, string Sql)
{
    /// <summary>Computed on access: a stored value would survive a `with { Sql = ... }` copy unchanged.</summary>
    public string Sha256 => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql)));
}

/// <summary>
/// Applies migrations/NNN_name.sql in order, each in its own transaction with its record in
/// schema_migrations, under a PostgreSQL advisory lock so that concurrent starters (the API, the migrate
/// command, tests) apply each file once. An applied file that has since changed is an error.
/// </summary>
public sealed class SchemaMigrator(NpgsqlDataSource dataSource, ILogger<SchemaMigrator> logger)
{
    private const long LockKey = 0x4A5544474553; // "JUDGES"

    /// <summary>The schema of Hangfire's tables, beside Judge's own in public; created here by Hangfire's own installer.</summary>
    public const string JobSchema = "hangfire";

    public static IReadOnlyList<Migration> Embedded { get; } = LoadEmbedded();

    /// <summary>Returns the names of the files applied now (empty when the schema was current).</summary>
    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken) =>
        await MigrateAsync(Embedded, cancellationToken);

    internal async Task<IReadOnlyList<string>> MigrateAsync(IReadOnlyList<Migration> migrations, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, $"SELECT pg_advisory_lock({LockKey})", cancellationToken);
        try
        {
            await ExecuteAsync(connection, """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version     integer PRIMARY KEY,
                    name        text NOT NULL,
                    sha256      text NOT NULL,
                    applied_at  timestamptz NOT NULL DEFAULT now())
                """, cancellationToken);
            var applied = new Dictionary<int, (string Name, string Sha256)>();
            await using (var read = new NpgsqlCommand("SELECT version, name, sha256 FROM schema_migrations", connection))
            await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    applied[reader.GetInt32(0)] = (reader.GetString(1), reader.GetString(2));
                }
            }

            foreach (var (version, (name, _)) in applied)
            {
                if (migrations.All(m => m.Version != version))
                {
                    throw new SchemaMigrationException(
                        $"The database has migration {name} (version {version}), which this build does not have: it was migrated by a newer build.");
                }
            }

            var done = new List<string>();
            foreach (var migration in migrations)
            {
                if (applied.TryGetValue(migration.Version, out var record))
                {
                    if (record.Sha256 != migration.Sha256)
                    {
                        throw new SchemaMigrationException(
                            $"migrations/{migration.Name} changed after it was applied (applied {record.Sha256[..12]}, now {migration.Sha256[..12]}). " +
                            "Applied migrations never change: put the change in a new numbered file.");
                    }

                    continue;
                }

                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await using (var apply = new NpgsqlCommand(migration.Sql, connection, transaction))
                {
                    await apply.ExecuteNonQueryAsync(cancellationToken);
                }

                await using (var record2 = new NpgsqlCommand(
                    "INSERT INTO schema_migrations (version, name, sha256) VALUES ($1, $2, $3)", connection, transaction))
                {
                    record2.Parameters.AddWithValue(migration.Version);
                    record2.Parameters.AddWithValue(migration.Name);
                    record2.Parameters.AddWithValue(migration.Sha256);
                    await record2.ExecuteNonQueryAsync(cancellationToken);
                }

                await transaction.CommitAsync(cancellationToken);
                logger.LogInformation("Applied migration {Migration}", migration.Name);
                done.Add(migration.Name);
            }

            // Hangfire's installer keeps its own version table in its schema, and does nothing when that is current.
            Hangfire.PostgreSql.PostgreSqlObjectsInstaller.Install(connection, JobSchema);
            return done;
        }
        finally
        {
            await ExecuteAsync(connection, $"SELECT pg_advisory_unlock({LockKey})", CancellationToken.None);
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static List<Migration> LoadEmbedded()
    {
        var assembly = typeof(SchemaMigrator).Assembly;
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("migrations/", StringComparison.Ordinal)))
        {
            var name = resource["migrations/".Length..];
            var underscore = name.IndexOf('_', StringComparison.Ordinal);
            if (underscore <= 0 || !int.TryParse(name[..underscore], out var version))
            {
                throw new SchemaMigrationException($"migrations/{name} does not start with a version number (NNN_name.sql).");
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            migrations.Add(new Migration(version, name, reader.ReadToEnd()));
        }

        var duplicate = migrations.GroupBy(m => m.Version).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new SchemaMigrationException($"Two migrations share version {duplicate.Key}: {string.Join(", ", duplicate.Select(m => m.Name))}.");
        }

        return [.. migrations.OrderBy(m => m.Version)];
    }
}
