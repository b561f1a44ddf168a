using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Serilog;
using Serilog.Events;

namespace Judge.ServiceDefaults;

/// <summary>
/// The set-up every Judge host shares, in the shape of eShop's ServiceDefaults: Serilog, health checks, and OpenTelemetry
/// metrics (Prometheus) and traces. A host with HTTP maps <see cref="MapDefaultEndpoints"/>; the worker serves /metrics
/// on a listener of its own (<see cref="MetricsListener"/>).
/// </summary>
public static class ServiceDefaultsExtensions
{
    public const string LivenessPath = "/healthz";
    public const string ReadinessPath = "/readyz";
    public const string MetricsPath = "/metrics";

    /// <summary>Health checks tagged so are in /readyz.</summary>
    public const string ReadyTag = "ready";

    private const string LiveTag = "live";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.AddJudgeLogging();
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        builder.ConfigureOpenTelemetry();
        return builder;
    }

    /// <summary>Records traces although no OTLP endpoint is configured (for an exporter of the host's own, as the tests add).</summary>
    public const string RecordTracesSetting = "Telemetry:RecordTraces";

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var exported = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        // Spans that no exporter takes are not made at all: a span per request, per command and per SQL statement was a
        // measurable part of a facade run's CPU (perf), spent on nothing.
        var recorded = exported || builder.Configuration.GetValue<bool>(RecordTracesSetting);
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(builder.Environment.ApplicationName, serviceInstanceId: Environment.MachineName + ":" + Environment.ProcessId))
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter([.. JudgeTelemetry.Meters])
                .AddPrometheusExporter())
            .WithTracing(tracing => tracing
                .SetSampler(recorded ? new ParentBasedSampler(new AlwaysOnSampler()) : new AlwaysOffSampler())
                .AddSource([.. JudgeTelemetry.ActivitySources])
                .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.Filter = context => !IsOperationsPath(context.Request.Path))
                .AddHttpClientInstrumentation()
                .AddNpgsql());

        // OTLP only when an endpoint is configured (the standard OTEL_EXPORTER_OTLP_* settings then apply).
        if (exported)
        {
            telemetry.UseOtlpExporter();
        }

        return builder;
    }

    /// <summary>/healthz (the process answers), /readyz (every check tagged <see cref="ReadyTag"/>, as JSON) and /metrics.</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(LivenessPath, new HealthCheckOptions { Predicate = check => check.Tags.Contains(LiveTag) });
        app.MapHealthChecks(ReadinessPath, new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadyTag), ResponseWriter = WriteHealthAsync });
        app.MapPrometheusScrapingEndpoint(MetricsPath);
        return app;
    }

    /// <summary>Serilog's request log: a line per request that changes something (or fails); reads and probes at Debug.</summary>
    public static WebApplication UseJudgeRequestLogging(this WebApplication app)
    {
        app.UseSerilogRequestLogging(options => options.GetLevel = (context, _, error) =>
            error is not null || context.Response.StatusCode >= StatusCodes.Status500InternalServerError ? LogEventLevel.Error
            : HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method) || IsOperationsPath(context.Request.Path) ? LogEventLevel.Debug
            : LogEventLevel.Information);
        return app;
    }

    private static bool IsOperationsPath(PathString path) =>
        path.StartsWithSegments(LivenessPath) || path.StartsWithSegments(ReadinessPath) || path.StartsWithSegments(MetricsPath);

    private static Task WriteHealthAsync(HttpContext context, HealthReport report) =>
        context.Response.WriteAsJsonAsync(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        });
}
