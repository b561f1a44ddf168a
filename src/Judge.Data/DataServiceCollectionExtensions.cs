using Judge.Data;
using Judge.Data.Lifecycle;
using Judge.Data.Schema;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Npgsql;

// In the namespace of IServiceCollection, as the framework's own Add… methods are: Judge.Data's root namespace holds the
// context the lifecycle stands on, so registering the lifecycle from there would make the two use each other.
namespace Microsoft.Extensions.DependencyInjection;

public static class DataServiceCollectionExtensions
{
    public const string ConnectionStringName = "Judge";

    /// <summary>PostgreSQL (ConnectionStrings:Judge), the EF Core context, the schema migrator, the submission lifecycle and the callback ledger.</summary>
    public static IServiceCollection AddJudgeData(this IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString(ConnectionStringName)
            ?? throw new InvalidOperationException(
                $"ConnectionStrings:{ConnectionStringName} is not set (environment: ConnectionStrings__{ConnectionStringName}). " +
                "deploy/services.sh env prints the settings of the local PostgreSQL.");
        services.AddSingleton(_ => NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString)
        {
            // Every pooled open would otherwise begin with DISCARD ALL: as many statements again as a run makes, and no plan
            // kept. Nothing here leaves session state on a pooled connection (the listener's LISTEN and the migrator's lock
            // end with their connection or are released), and the statements of a run are the same every time: prepared once.
            NoResetOnClose = true,
            MaxAutoPrepare = 64,
        }.ConnectionString));
        // Pooled: a facade's run is a handful of statements, where making a context per request was a measurable part.
        services.AddDbContextPool<JudgeDbContext>((provider, options) => options.UseNpgsql(provider.GetRequiredService<NpgsqlDataSource>()));
        services.AddSingleton<SchemaMigrator>();
        services.AddOptions<SubmissionLifecycleOptions>().Bind(configuration.GetSection(SubmissionLifecycleOptions.SectionName))
            .Validate(o => o.MaxAttempts >= 1, $"{SubmissionLifecycleOptions.SectionName}:MaxAttempts must be at least 1.");
        services.AddScoped<CallbackLedger>();
        services.AddScoped<SubmissionLifecycle>();
        services.AddScoped<RunLifecycle>();
        services.AddScoped<IJudgingLifecycle>(provider => provider.GetRequiredService<SubmissionLifecycle>());
        return services;
    }
}
