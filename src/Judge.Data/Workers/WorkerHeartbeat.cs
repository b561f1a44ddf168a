namespace Judge.Data.Workers;

public sealed class WorkerHeartbeat
{
    public required string WorkerId { get; set; }

    public required string HostName { get; set; }

    public DateTime StartedAt { get; set; }

    public DateTime LastSeenAt { get; set; }

    /// <summary>Kvm, Tcg or Namespace: how the worker's sandboxes are isolated.</summary>
    public required string Isolation { get; set; }

    public string? IsolationReason { get; set; }

    public string? ImageVersion { get; set; }

    public int Slots { get; set; }

    public int InFlight { get; set; }

    /// <summary>JSON object: idle warm VMs per language.</summary>
    public string WarmPool { get; set; } = "{}";

    /// <summary>JSON object: speed factor, measured and reference CPU ms per language; {} when not calibrated.</summary>
    public string Speed { get; set; } = "{}";

    /// <summary>JSON object: compiler or runtime version per language, from the worker's guest image.</summary>
    public string Languages { get; set; } = "{}";
}
