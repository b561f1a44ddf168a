using System.Text.Json;
using Judge.Data.Lifecycle;
using Judge.Data;
using Judge.Sandbox;
using Judge.Worker.Judging;
using Judge.Worker.Telemetry;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Judge.Worker.Heartbeats;

/// <summary>
/// Every few seconds: renews the leases of the submissions and runs being judged here (so a live worker keeps
/// them however long judging takes) and records this worker's state for operators and the API.
/// </summary>
public sealed class HeartbeatService(
    IServiceScopeFactory scopes,
    SandboxRunner sandbox,
    JudgeSlots slots,
    InFlightSubmissions inFlight,
    IOptions<WorkerOptions> options,
    ILogger<HeartbeatService> logger) : BackgroundService
{
    private readonly WorkerOptions _options = options.Value;
    private readonly DateTime _startedAt = DateTime.UtcNow;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.HeartbeatInterval);
        do
        {
            try
            {
                await BeatAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Heartbeat of worker {WorkerId} failed", _options.Id);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task BeatAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<JudgeDbContext>();
        var judging = inFlight.Ids;
        if (judging.Count > 0)
        {
            // One set of ids for both: a submission's id is no run's.
            var renewed = await scope.ServiceProvider.GetRequiredService<SubmissionLifecycle>()
                .RenewLeasesAsync(judging, _options.Id, _options.LeaseDuration, cancellationToken);
            renewed += await scope.ServiceProvider.GetRequiredService<RunLifecycle>()
                .RenewLeasesAsync(judging, _options.Id, _options.LeaseDuration, cancellationToken);
            WorkerMetrics.LeasesRenewed(renewed);
        }

        var pool = JsonSerializer.Serialize(sandbox.WarmPoolCounts());
        var languages = JsonSerializer.Serialize(sandbox.Image?.LanguageVersions ?? new Dictionary<string, string>());
        var speed = JsonSerializer.Serialize(sandbox.Speed.Languages, JsonSerializerOptions.Web);
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO worker_heartbeats (worker_id, host_name, started_at, last_seen_at, isolation, isolation_reason, image_version, slots, in_flight, warm_pool, languages, speed)
            VALUES ({_options.Id}, {Environment.MachineName}, {_startedAt}, now(), {sandbox.Isolation.Isolation.ToString()}, {sandbox.Isolation.Reason},
                    {sandbox.Image?.Version}, {slots.Capacity}, {slots.InUse}, {pool}::jsonb, {languages}::jsonb, {speed}::jsonb)
            ON CONFLICT (worker_id) DO UPDATE SET last_seen_at = now(), isolation = excluded.isolation, isolation_reason = excluded.isolation_reason,
                image_version = excluded.image_version,
                slots = excluded.slots, in_flight = excluded.in_flight, warm_pool = excluded.warm_pool, languages = excluded.languages, speed = excluded.speed
            """, cancellationToken);
    }
}
