using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;

namespace Judge.Cli.Logging;

public static class JudgeLogging
{
    /// <summary>Structured logs on stderr (stdout stays for results); scope properties such as VmId are kept.</summary>
    public static ILoggingBuilder AddJudgeSerilog(this ILoggingBuilder logging, LogEventLevel minimum = LogEventLevel.Information)
    {
        var logger = new LoggerConfiguration()
            .MinimumLevel.Is(minimum)
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
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
