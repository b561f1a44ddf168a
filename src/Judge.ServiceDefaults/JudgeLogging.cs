using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;

namespace Judge.ServiceDefaults;

public static class JudgeLogging
{
    /// <summary>The configuration key of the minimum level (Verbose, Debug, Information, Warning, Error).</summary>
    public const string MinimumLevelKey = "Serilog:MinimumLevel";

    /// <summary>
    /// Serilog as the host's logger (the UseSerilog registration): structured logs on stderr, so stdout stays for results.
    /// Scope properties such as SubmissionId, WorkerId and VmId are kept on every event; the section "Serilog" of the
    /// configuration may change the level (<see cref="MinimumLevelKey"/>), its overrides, enrichers and sinks.
    /// </summary>
    public static TBuilder AddJudgeLogging<TBuilder>(this TBuilder builder, LogEventLevel minimum = LogEventLevel.Information)
        where TBuilder : IHostApplicationBuilder
    {
        var configuration = builder.Configuration;
        builder.Logging.ClearProviders();
        builder.Services.AddSerilog(logger => Configure(logger, configuration, minimum));
        return builder;
    }

    internal static LoggerConfiguration Configure(LoggerConfiguration logger, IConfiguration configuration, LogEventLevel minimum) =>
        logger
            .MinimumLevel.Is(minimum)
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("MassTransit", LogEventLevel.Warning)
            .ReadFrom.Configuration(configuration)
            .Enrich.FromLogContext()
            .WriteTo.Console(
                standardErrorFromLevel: LogEventLevel.Verbose,
                outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj} {Properties:j}{NewLine}{Exception}",
                formatProvider: System.Globalization.CultureInfo.InvariantCulture);
}
