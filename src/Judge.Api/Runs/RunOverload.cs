using Judge.Api.Workers;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Judge.Api.Runs;

/// <summary>
/// Whether the fleet is overloaded for one-shot runs: more runs wait for a worker than <see cref="RunsOptions.MaxQueuedPerWorker"/>
/// times the live workers. Read from the database at most every <see cref="RefreshEvery"/> by one request at a time, the others
/// using the last reading, so that a burst of runs does not become a burst of counting queries.
/// </summary>
public sealed class RunOverload(NpgsqlDataSource dataSource, IOptions<RunsOptions> options, ILogger<RunOverload> logger)
{
    public static readonly TimeSpan RefreshEvery = TimeSpan.FromMilliseconds(200);

    private int _reading;
    private long _readAtTicks = -(long)RefreshEvery.TotalMilliseconds; // TickCount64 starts at boot: the first call reads
    private volatile bool _overloaded;

    public async ValueTask<bool> IsOverloadedAsync(CancellationToken cancellationToken)
    {
        if (Environment.TickCount64 - Interlocked.Read(ref _readAtTicks) < RefreshEvery.TotalMilliseconds || Interlocked.Exchange(ref _reading, 1) == 1)
        {
            return _overloaded;
        }

        try
        {
            await using var command = dataSource.CreateCommand("""
                SELECT (SELECT count(*) FROM runs WHERE status = 'Queued'),
                       (SELECT count(*) FROM worker_heartbeats WHERE last_seen_at > now() - $1)
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = WorkersApi.LiveWindow });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var (queued, workers) = (reader.GetInt64(0), reader.GetInt64(1));
            var overloaded = queued >= options.Value.MaxQueuedPerWorker * workers;
            if (overloaded != _overloaded)
            {
                logger.LogWarning("Runs {State}: {Queued} queued for {Workers} live workers (at most {PerWorker} each)",
                    overloaded ? "overloaded" : "no longer overloaded", queued, workers, options.Value.MaxQueuedPerWorker);
            }

            _overloaded = overloaded;
            Interlocked.Exchange(ref _readAtTicks, Environment.TickCount64);
            return overloaded;
        }
        finally
        {
            Volatile.Write(ref _reading, 0);
        }
    }
}
