using Judge.Api.Commands;
using Judge.Data.Lifecycle;
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
    private const int BatchSize = 200;
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
            var lifecycle = scope.ServiceProvider.GetRequiredService<SubmissionLifecycle>();
            foreach (var stuck in await lifecycle.FindUnsentAsync(_options.UnsentAfter, BatchSize, cancellationToken))
            {
                logger.LogInformation("Submission {SubmissionId} was never sent to a worker; sending it now", stuck.Id);
                await sender.SendAsync(stuck.Id, stuck.Lane, cancellationToken);
            }

            foreach (var stuck in await lifecycle.FindAbandonedAsync(_options.AbandonedAfter, BatchSize, cancellationToken))
            {
                if (lifecycle.IsExhausted(stuck))
                {
                    var reason = $"Abandoned: {stuck.Attempt} attempts ended without a result (the workers judging it were lost).";
                    if (await lifecycle.AbandonAsync(stuck.Id, reason, cancellationToken))
                    {
                        logger.LogError("Submission {SubmissionId}: {Reason}", stuck.Id, reason);
                    }
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

}
