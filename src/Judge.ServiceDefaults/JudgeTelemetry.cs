namespace Judge.ServiceDefaults;

/// <summary>
/// The meters and activity sources every Judge host exports, by name. Each project defines its own instruments in one
/// class (Judge.Api's ApiMetrics, Judge.Worker's WorkerMetrics and WorkerActivities, Judge.Sandbox's SandboxMetrics);
/// a meter or source not named here is not exported.
/// </summary>
public static class JudgeTelemetry
{
    public const string ApiMeter = "Judge.Api";
    public const string WorkerMeter = "Judge.Worker";
    public const string SandboxMeter = "Judge.Sandbox";
    public const string WorkerActivitySource = "Judge.Worker";

    /// <summary>MassTransit's built-in instrumentation uses this name for its Meter and its ActivitySource.</summary>
    public const string MassTransit = "MassTransit";

    /// <summary>Npgsql's connection-pool and command metrics.</summary>
    public const string NpgsqlMeter = "Npgsql";

    public static IReadOnlyList<string> Meters { get; } = [ApiMeter, WorkerMeter, SandboxMeter, MassTransit, NpgsqlMeter];

    public static IReadOnlyList<string> ActivitySources { get; } = [WorkerActivitySource, MassTransit];
}
