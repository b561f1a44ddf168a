using System.Security.Cryptography;

namespace Judge.Worker.Judging;

/// <summary>
/// Settings of a worker host (section "Worker"), kept with the judging they are nearly all about. Its judging slots are the
/// sandbox's MaxConcurrentVms.
/// </summary>
public sealed class WorkerOptions
{
    public const string SectionName = "Worker";

    /// <summary>Names this worker in claims, heartbeats and logs; unique per process start.</summary>
    public string Id { get; set; } = $"worker-{Environment.MachineName}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";

    /// <summary>How long a claim holds without renewal; a dead worker's submissions are free again after it.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Test data (by SHA-256) and compiled output validators; default: the sandbox's cache directory.</summary>
    public string? CacheDirectory { get; set; }

    /// <summary>The address the worker serves /metrics on (Prometheus); loopback unless opened on purpose.</summary>
    public string MetricsAddress { get; set; } = "127.0.0.1";

    /// <summary>The port of /metrics; 0 = the first free port from 5090 (deploy/fleet.sh gives each worker its own).</summary>
    public int MetricsPort { get; set; }

    /// <summary>The time limit while a version's time limit is being derived from its accepted submissions.</summary>
    public TimeSpan CalibrationTimeLimit { get; set; } = TimeSpan.FromSeconds(60);
}
