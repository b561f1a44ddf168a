using Judge.Data.Schema;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Judge.Data;

public static class DataServiceCollectionExtensions
{
    public const string ConnectionStringName = "Judge";

    /// <summary>PostgreSQL (ConnectionStrings:Judge), the EF Core context and the schema migrator.</summary>
    public static IServiceCollection AddJudgeData(this IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString(ConnectionStringName)
            ?? throw new InvalidOperationException(
                $"ConnectionStrings:{ConnectionStringName} is not set (environment: ConnectionStrings__{ConnectionStringName}). " +
                "deploy/services.sh env prints the settings of the local PostgreSQL.");
        services.AddSingleton(_ => NpgsqlDataSource.Create(connectionString));
        services.AddDbContext<JudgeDbContext>((provider, options) => options.UseNpgsql(provider.GetRequiredService<NpgsqlDataSource>()));
        services.AddSingleton<SchemaMigrator>();
        return services;
    }
}
