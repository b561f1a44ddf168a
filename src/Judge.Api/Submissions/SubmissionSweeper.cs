using Judge.Api.Commands;
using Judge.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Judge.Api.Submissions;

/// <summary>
/// Keeps every submission moving towards a verdict. Periodically, and in one API process at a time (a
/// PostgreSQL advisory lock): sends the command of submissions whose send never got through, and re-sends
/// (or, after too many attempts, ends as InternalError) submissions whose worker vanished without a
/// result. Commands the broker confirmed are not re-sent merely for waiting in a long queue.
/// </summary>
public sealed class SubmissionSweeper(
    NpgsqlDataSource dataSource, IServiceScopeFactory scopes, JudgeCommandSender sender, IOptions<ApiOptions> options,
    ILogger<SubmissionSweeper> logger) : BackgroundService
{
    private const long LockKey = 0x4A5544474557; // "JUDGEW"
    private readonly ApiOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.SweepInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Sweeping unfinished submissions failed");
            }
        }
    }

    public async Task SweepAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var tryLock = new NpgsqlCommand($"SELECT pg_try_advisory_lock({LockKey})", connection))
        {
            if (await tryLock.ExecuteScalarAsync(cancellationToken) is not true)
            {
                return;
            }
        }

        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<JudgeDbContext>();
            var unsent = await db.Database.SqlQuery<Stuck>($"""
                SELECT id AS "Id", lane AS "Lane", attempt AS "Attempt" FROM submissions
                WHERE status = 'Queued' AND published_at IS NULL AND created_at < now() - make_interval(secs => {_options.UnsentAfter.TotalSeconds})
                ORDER BY created_at LIMIT 200
                """).ToListAsync(cancellationToken);
            foreach (var stuck in unsent)
            {
                logger.LogInformation("Submission {SubmissionId} was never sent to a worker; sending it now", stuck.Id);
                await sender.SendAsync(stuck.Id, stuck.Lane, cancellationToken);
            }

            var abandoned = await db.Database.SqlQuery<Stuck>($"""
                SELECT id AS "Id", lane AS "Lane", attempt AS "Attempt" FROM submissions
                WHERE status = 'Judging' AND lease_expires_at < now() - make_interval(secs => {_options.AbandonedAfter.TotalSeconds})
                  AND (published_at IS NULL OR published_at < now() - make_interval(secs => {_options.AbandonedAfter.TotalSeconds}))
                ORDER BY created_at LIMIT 200
                """).ToListAsync(cancellationToken);
            foreach (var stuck in abandoned)
            {
                if (stuck.Attempt >= _options.MaxAttempts)
                {
                    var reason = $"Abandoned: {stuck.Attempt} attempts ended without a result (the workers judging it were lost).";
                    await db.Database.ExecuteSqlAsync($"""
                        UPDATE submissions SET status = 'Done', verdict = 'InternalError', error = {reason}, lease_expires_at = NULL, finished_at = now()
                        WHERE id = {stuck.Id} AND status = 'Judging' AND lease_expires_at < now()
                        """, cancellationToken);
                    logger.LogError("Submission {SubmissionId}: {Reason}", stuck.Id, reason);
                }
                else
                {
                    logger.LogWarning("Submission {SubmissionId} lost its worker; sending it again", stuck.Id);
                    await sender.SendAsync(stuck.Id, stuck.Lane, cancellationToken);
                }
            }
        }
        finally
        {
            await using var unlock = new NpgsqlCommand($"SELECT pg_advisory_unlock({LockKey})", connection);
            await unlock.ExecuteScalarAsync(CancellationToken.None);
        }
    }

    private sealed record Stuck(Guid Id, string Lane, int Attempt);
}
