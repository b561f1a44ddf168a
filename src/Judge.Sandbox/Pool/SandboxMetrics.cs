using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Judge.Sandbox.Pool;

/// <summary>
/// The sandbox's instruments (meter <see cref="MeterName"/>), all in one place: warm-pool size and checkouts per language,
/// and sandboxes that failed to start. Tag <c>language</c>; start failures also <c>reason</c> (<c>launch</c>: the launcher
/// threw; <c>unresponsive</c>: a pooled VM did not answer, at checkout or at its health check).
/// </summary>
internal static class SandboxMetrics
{
    public const string MeterName = "Judge.Sandbox";

    private static readonly Meter Meter = new(MeterName);
    private static readonly ConcurrentDictionary<WarmPool, byte> Pools = new();

    private static readonly Counter<long> Hits = Meter.CreateCounter<long>(
        "judge.warmpool.hits", "{vm}", "Checkouts served by an idle warm VM");

    private static readonly Counter<long> Misses = Meter.CreateCounter<long>(
        "judge.warmpool.misses", "{vm}", "Checkouts that found no warm VM and launched one on demand");

    private static readonly Counter<long> StartFailures = Meter.CreateCounter<long>(
        "judge.sandbox.start_failures", "{sandbox}", "Sandboxes that failed to start or to stay ready (a launch error, or a pooled VM that stopped answering)");

    static SandboxMetrics() =>
        Meter.CreateObservableGauge("judge.warmpool.idle", ObserveIdle, "{vm}", "Idle booted VMs in the warm pool, per language");

    /// <summary>The pool's idle VMs are reported from <see cref="WarmPool.Start"/> until it stops.</summary>
    public static void Track(WarmPool pool, bool tracked)
    {
        if (tracked)
        {
            Pools.TryAdd(pool, 0);
        }
        else
        {
            Pools.TryRemove(pool, out _);
        }
    }

    public static void Checkout(string language, bool warmPoolHit) =>
        (warmPoolHit ? Hits : Misses).Add(1, new KeyValuePair<string, object?>("language", language));

    public static void StartFailed(string language, string reason) =>
        StartFailures.Add(1, new KeyValuePair<string, object?>("language", language), new KeyValuePair<string, object?>("reason", reason));

    private static IEnumerable<Measurement<int>> ObserveIdle() =>
        Pools.Keys.SelectMany(pool => pool.Languages.Select(language => (language, idle: pool.IdleCount(language))))
            .GroupBy(p => p.language, StringComparer.OrdinalIgnoreCase)
            .Select(g => new Measurement<int>(g.Sum(p => p.idle), new KeyValuePair<string, object?>("language", g.Key)));
}
