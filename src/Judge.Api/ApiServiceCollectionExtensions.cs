using System.Text.Json;
using Hangfire;
using Hangfire.PostgreSql;
using Judge.Api.Auth;
using Judge.Api.Batches;
using Judge.Api.Callbacks;
using Judge.Api.Commands;
using Judge.Api.Deliveries;
using Judge.Api.Facades.Jobe;
using Judge.Api.Facades.Judge0;
using Judge.Api.Health;
using Judge.Api.Languages;
using Judge.Api.Notifications;
using Judge.Api.Problems;
using Judge.Api.Runs;
using Judge.Api.Submissions;
using Judge.Api.Workers;
using Judge.Data.Schema;
using Judge.Messaging;
using Judge.ServiceDefaults;
using MassTransit;
using Microsoft.AspNetCore.Authentication;

namespace Judge.Api;

public static class ApiServiceCollectionExtensions
{
    public static WebApplicationBuilder AddJudgeApi(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        builder.AddServiceDefaults();
        services.AddOptions<ApiOptions>().Bind(configuration.GetSection(ApiOptions.SectionName));
        services.AddJudgeData(configuration);

        var rabbit = RabbitMqOptions.From(configuration);
        services.AddMassTransit(bus =>
        {
            JudgeQueues.DisableUsageTelemetry(bus);
            bus.UsingRabbitMq((_, cfg) => JudgeQueues.ConfigureHost(cfg, rabbit));
        });
        services.AddSingleton<JudgeCommandSender>();
        services.AddSingleton<ApiMetrics>();
        services.AddScoped<ProblemImporter>();
        services.AddScoped<SubmissionSweeper>();
        services.AddScoped<Retention>();
        services.AddScoped<BatchExpansion>();
        var connectionString = configuration.GetConnectionString(DataServiceCollectionExtensions.ConnectionStringName)!;
        services.AddHangfire(hangfire => hangfire
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UsePostgreSqlStorage(storage => storage.UseNpgsqlConnection(connectionString), new PostgreSqlStorageOptions
            {
                SchemaName = SchemaMigrator.JobSchema,
                PrepareSchemaIfNecessary = false, // the migrator made it
                EnableLongPolling = true, // LISTEN/NOTIFY: a job starts when enqueued, not at the next poll
                // A job whose server died is taken again after this; a live server keeps extending it for long jobs.
                InvisibilityTimeout = TimeSpan.FromMinutes(1),
                UseSlidingInvisibilityTimeout = true,
            }));
        // Callback retries and the sweeper are due to the second, not to Hangfire's default 15 s poll.
        services.AddHangfireServer(server => server.SchedulePollingInterval = TimeSpan.FromSeconds(1));
        services.AddSingleton<SubmissionWaiters>();
        services.AddSingleton<IChannelSubscriber>(provider => provider.GetRequiredService<SubmissionWaiters>());
        services.AddSingleton<RunWaiters>();
        services.AddSingleton<IChannelSubscriber>(provider => provider.GetRequiredService<RunWaiters>());
        services.AddSingleton<IChannelSubscriber, CallbackAnnouncements>();
        services.AddHostedService<DatabaseListener>();

        services.AddOptions<RunsOptions>().Bind(configuration.GetSection(RunsOptions.SectionName));
        services.AddScoped<RunService>();
        services.AddScoped<RunRetention>();
        services.AddSingleton<RunOverload>();
        services.AddSingleton<ApiKeyLookup>();

        services.AddOptions<CallbackOptions>().Bind(configuration.GetSection(CallbackOptions.SectionName));
        services.AddScoped<CallbackDelivery>();
        // A redirect could lead a callback past the allow-list into the operator's network: a 3xx is the receiver's answer.
        services.AddHttpClient(CallbackDelivery.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });

        services.AddAuthentication(ApiKeyDefaults.Scheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyDefaults.Scheme, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(ApiKeyDefaults.AdminPolicy, policy => policy.RequireRole(ApiKeyDefaults.AdminRole));

        // Binding failures (malformed JSON, wrong types) go through the exception handler, where the
        // ProblemDetails below can name the field; by default they end as a bare 400.
        services.Configure<RouteHandlerOptions>(routes => routes.ThrowOnBadRequest = true);
        services.AddProblemDetails(problems => problems.CustomizeProblemDetails = context =>
        {
            // A body that is not valid JSON (or has a value of the wrong type): name where it went wrong.
            if (context.Exception is BadHttpRequestException { InnerException: JsonException json })
            {
                var field = json.Path is { Length: > 2 } path ? path.TrimStart('$', '.') : "body";
                context.ProblemDetails.Title = "The request body is not valid JSON for this operation";
                context.ProblemDetails.Detail = $"At '{field}': {json.Message}";
                context.ProblemDetails.Extensions["errors"] = new Dictionary<string, string[]> { [field] = [json.Message] };
            }
        });
        services.AddOpenApi();
        services.AddHealthChecks().AddCheck<PostgresHealthCheck>("postgres", tags: [ServiceDefaultsExtensions.ReadyTag]);
        return builder;
    }

    /// <summary>Brings the schema and the broker topology up to date; both are idempotent and safe to run concurrently.</summary>
    public static async Task PrepareJudgeAsync(this WebApplication app, CancellationToken cancellationToken = default)
    {
        await app.Services.GetRequiredService<SchemaMigrator>().MigrateAsync(cancellationToken);
        await JudgeQueues.DeployTopologyAsync(RabbitMqOptions.From(app.Configuration), cancellationToken);
    }

    public static WebApplication MapJudgeApi(this WebApplication app)
    {
        app.UseJudgeRequestLogging();
        // A client's bad request is not a server error: no error log for it.
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = e => e is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
            SuppressDiagnosticsCallback = c => c.Exception is BadHttpRequestException,
        });
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapOpenApi();
        app.MapDefaultEndpoints();
        _ = app.Services.GetRequiredService<ApiMetrics>(); // its queue gauges exist before the first submission
        app.MapProblemsApi();
        app.MapSubmissionsApi();
        app.MapBatchesApi();
        app.MapDeliveriesApi();
        app.MapKeysApi(CallbackDelivery.SignatureHeader);
        // Any key may look at the jobs; only an admin key may act on them.
        app.MapHangfireDashboard("/hangfire", new DashboardOptions
        {
            Authorization = [],
            IsReadOnlyFunc = context => !((Hangfire.Dashboard.AspNetCoreDashboardContext)context).HttpContext.User.IsInRole(ApiKeyDefaults.AdminRole),
            AppPath = null,
        }).RequireAuthorization();
        app.MapLanguagesApi();
        app.MapWorkersApi();
        app.MapJobeApi();
        app.MapJudge0Api();
        app.AddJudgeRecurringJobs();
        return app;
    }

    /// <summary>The recurring jobs, (re)defined by every API process at start; Hangfire runs each occurrence once.</summary>
    private static void AddJudgeRecurringJobs(this WebApplication app)
    {
        var jobs = app.Services.GetRequiredService<IRecurringJobManager>();
        var options = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ApiOptions>>().Value;
        jobs.AddOrUpdate<SubmissionSweeper>(SubmissionSweeper.JobId, sweeper => sweeper.SweepAsync(CancellationToken.None), options.SweepSchedule);
        jobs.AddOrUpdate<BatchExpansion>(BatchExpansion.StaleJobId, expansion => expansion.ExpandStaleAsync(CancellationToken.None), Cron.Minutely());
        jobs.AddOrUpdate<CallbackDelivery>(CallbackDelivery.CatchUpJobId, delivery => delivery.CatchUpAsync(CancellationToken.None), Cron.Minutely());
        jobs.AddOrUpdate<RunRetention>(RunRetention.JobId, retention => retention.DeleteOldAsync(CancellationToken.None), Cron.Hourly());
        if (options.RetainFor is null)
        {
            jobs.RemoveIfExists(Retention.JobId);
        }
        else
        {
            jobs.AddOrUpdate<Retention>(Retention.JobId, retention => retention.DeleteExpiredAsync(CancellationToken.None), Cron.Hourly());
        }
    }
}
