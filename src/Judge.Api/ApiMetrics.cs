using System.Diagnostics.Metrics;
using Judge.Data.Submissions;
using Npgsql;

namespace Judge.Api;

/// <summary>
/// The API's instruments (meter <see cref="MeterName"/>), all in one place: submissions received, and the queue per lane
/// as PostgreSQL sees it (submissions still Queued, i.e. not yet claimed by a worker, including any the sweeper has yet to
/// send), read when metrics are collected and at most once a second.
/// </summary>
public sealed class ApiMetrics
{
    public const string MeterName = "Judge.Api";

    private static readonly TimeSpan SnapshotAge = TimeSpan.FromSeconds(1);

    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger<ApiMetrics> _logger;
    private readonly Counter<long> _received;
    private readonly Lock _lock = new();
    private (DateTime At, Dictionary<string, (long Depth, double OldestSeconds)> Lanes) _snapshot = (DateTime.MinValue, []);

    public ApiMetrics(IMeterFactory meters, NpgsqlDataSource dataSource, ILogger<ApiMetrics> logger)
    {
        _dataSource = dataSource;
        _logger = logger;
        var meter = meters.Create(MeterName);
        _received = meter.CreateCounter<long>("judge.submissions.received", "{submission}", "Submissions accepted by the API");
        meter.CreateObservableGauge("judge.queue.depth", () => QueuedByLane().Select(l => new Measurement<long>(l.Value.Depth, Lane(l.Key))),
            "{submission}", "Submissions waiting for a worker's claim (status Queued), per lane");
        meter.CreateObservableGauge("judge.queue.oldest_age", () => QueuedByLane().Select(l => new Measurement<double>(l.Value.OldestSeconds, Lane(l.Key))),
            "s", "Age of the oldest submission waiting for a worker's claim, per lane (0 when none waits)");
    }

    public void Received(string lane, string language) =>
        _received.Add(1, new KeyValuePair<string, object?>("lane", lane), new KeyValuePair<string, object?>("language", language));

    private static KeyValuePair<string, object?> Lane(string lane) => new("lane", lane);

    private Dictionary<string, (long Depth, double OldestSeconds)> QueuedByLane()
    {
        lock (_lock)
        {
            if (DateTime.UtcNow - _snapshot.At < SnapshotAge)
            {
                return _snapshot.Lanes;
            }

            var lanes = new Dictionary<string, (long, double)> { [Lanes.Interactive] = (0, 0), [Lanes.Batch] = (0, 0) };
            try
            {
                using var command = _dataSource.CreateCommand("""
                    SELECT lane, count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8
                    FROM submissions WHERE status = 'Queued' GROUP BY lane
                    """);
                command.CommandTimeout = 5;
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    lanes[reader.GetString(0)] = (reader.GetInt64(1), reader.GetDouble(2));
                }
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                _logger.LogWarning(e, "Reading the queue depth from PostgreSQL failed; no queue metrics this time");
                return [];
            }

            _snapshot = (DateTime.UtcNow, lanes);
            return lanes;
        }
    }
}
