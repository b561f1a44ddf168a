using System.Diagnostics.Metrics;
using Judge.Data;
using Judge.Data.Storage;
using Judge.Data.Submissions;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Judge.Api.Submissions;

/// <summary>
/// The API's instruments (meter <see cref="MeterName"/>), all in one place: submissions received, and the queue per lane
/// as PostgreSQL sees it (submissions still Queued, i.e. not yet claimed by a worker, including any the sweeper has yet to
/// send), read when metrics are collected and at most once a second.
/// </summary>
public sealed class ApiMetrics
{
    public const string MeterName = "Judge.Api";

    private static readonly TimeSpan SnapshotAge = TimeSpan.FromSeconds(1);

    private readonly IServiceScopeFactory _scopes;
    private readonly ILogger<ApiMetrics> _logger;
    private readonly Counter<long> _received;
    private readonly Lock _lock = new();
    private (DateTime At, Dictionary<Lane, (long Depth, double OldestSeconds)> Lanes) _snapshot = (DateTime.MinValue, []);

    public ApiMetrics(IMeterFactory meters, IServiceScopeFactory scopes, ILogger<ApiMetrics> logger)
    {
        _scopes = scopes;
        _logger = logger;
        var meter = meters.Create(MeterName);
        _received = meter.CreateCounter<long>("judge.submissions.received", "{submission}", "Submissions accepted by the API");
        meter.CreateObservableGauge("judge.queue.depth", () => QueuedByLane().Select(l => new Measurement<long>(l.Value.Depth, LaneTag(l.Key))),
            "{submission}", "Submissions waiting for a worker's claim (status Queued), per lane");
        meter.CreateObservableGauge("judge.queue.oldest_age", () => QueuedByLane().Select(l => new Measurement<double>(l.Value.OldestSeconds, LaneTag(l.Key))),
            "s", "Age of the oldest submission waiting for a worker's claim, per lane (0 when none waits)");
    }

    public void Received(Lane lane, string language) =>
        _received.Add(1, LaneTag(lane), new KeyValuePair<string, object?>("language", language));

    private static KeyValuePair<string, object?> LaneTag(Lane lane) => new("lane", StoredName.Of(lane));

    private Dictionary<Lane, (long Depth, double OldestSeconds)> QueuedByLane()
    {
        lock (_lock)
        {
            if (DateTime.UtcNow - _snapshot.At < SnapshotAge)
            {
                return _snapshot.Lanes;
            }

            var lanes = Enum.GetValues<Lane>().ToDictionary(l => l, _ => (0L, 0.0));
            try
            {
                // A metrics collection is synchronous; the query is one indexed scan of the unfinished submissions.
                using var scope = _scopes.CreateScope();
                var db = scope.ServiceProvider.GetRequiredService<JudgeDbContext>();
                var now = DateTime.UtcNow;
                foreach (var queued in db.Submissions.AsNoTracking().Where(s => s.Status == SubmissionStatus.Queued)
                    .GroupBy(s => s.Lane).Select(g => new { Lane = g.Key, Depth = g.LongCount(), Oldest = g.Min(s => s.CreatedAt) }).ToList())
                {
                    lanes[queued.Lane] = (queued.Depth, Math.Max(0, (now - queued.Oldest).TotalSeconds));
                }
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException or DbUpdateException)
            {
                _logger.LogWarning(e, "Reading the queue depth from PostgreSQL failed; no queue metrics this time");
                return [];
            }

            _snapshot = (DateTime.UtcNow, lanes);
            return lanes;
        }
    }
}
