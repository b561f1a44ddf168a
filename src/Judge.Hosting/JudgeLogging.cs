using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;

namespace Judge.Hosting;

public static class JudgeLogging
{
    /// <summary>The configuration key of the minimum level (Verbose, Debug, Information, Warning, Error).</summary>
    public const string MinimumLevelKey = "Serilog:MinimumLevel";

    /// <summary>
    /// Structured logs on stderr (stdout stays for results). Scope properties such as SubmissionId,
    /// WorkerId and VmId are kept on every event.
    /// </summary>
    public static ILoggingBuilder AddJudgeSerilog(this ILoggingBuilder logging, IConfiguration? configuration = null, LogEventLevel minimum = LogEventLevel.Information)
    {
        if (configuration?[MinimumLevelKey] is { } configured && Enum.TryParse<LogEventLevel>(configured, ignoreCase: true, out var level))
        {
            minimum = level;
        }

        var logger = new LoggerConfiguration()
            .MinimumLevel.Is(minimum)
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("MassTransit", LogEventLevel.Warning)
            .Enrich.FromLogContext()
            .WriteTo.Console(
                standardErrorFromLevel: LogEventLevel.Verbose,
                outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj} {Properties:j}{NewLine}{Exception}",
                formatProvider: System.Globalization.CultureInfo.InvariantCulture)
            .CreateLogger();
        logging.ClearProviders();
        logging.AddSerilog(logger, dispose: true);
        return logging;
    }
}
