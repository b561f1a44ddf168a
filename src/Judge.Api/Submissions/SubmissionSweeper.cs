using Hangfire;
using Judge.Api.Commands;
using Judge.Data.Lifecycle;
using Microsoft.Extensions.Options;

namespace Judge.Api.Submissions;

/// <summary>
/// Keeps every submission, and every one-shot run, moving towards a verdict: sends the command of submissions whose send never got through, and
/// re-sends (or, after too many attempts, ends as InternalError) submissions whose worker vanished without a result.
/// Commands the broker confirmed are not re-sent merely for waiting in a long queue. A Hangfire recurring job
/// (<see cref="ApiOptions.SweepSchedule"/>), run by one API process at a time under Hangfire's lock; a run that finds the
/// lock taken is dropped, since the one holding it does the same work.
/// </summary>
public sealed class SubmissionSweeper(
    SubmissionLifecycle lifecycle, RunLifecycle runs, JudgeCommandSender sender, IOptions<ApiOptions> options, ILogger<SubmissionSweeper> logger)
{
    public const string JobId = "sweep-submissions";

    private const int BatchSize = 200;
    private readonly ApiOptions _options = options.Value;

    [DisableConcurrentExecution(timeoutInSeconds: 0)]
    [AutomaticRetry(Attempts = 0, LogEvents = false, OnAttemptsExceeded = AttemptsExceededAction.Delete)]
    public async Task SweepAsync(CancellationToken cancellationToken)
    {
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

        await SweepRunsAsync(cancellationToken);
    }

    private async Task SweepRunsAsync(CancellationToken cancellationToken)
    {
        foreach (var stuck in await runs.FindUnsentAsync(_options.UnsentAfter, _options.AbandonedAfter, BatchSize, cancellationToken))
        {
            logger.LogInformation("Run {RunId} was never sent to a worker; sending it now", stuck.Id);
            if (await sender.SendRunAsync(stuck.Id, stuck.Lane, cancellationToken))
            {
                await runs.MarkSentAsync(stuck.Id, cancellationToken);
            }
        }

        foreach (var stuck in await runs.FindAbandonedAsync(_options.AbandonedAfter, BatchSize, cancellationToken))
        {
            if (runs.IsExhausted(stuck))
            {
                var reason = $"Abandoned: {stuck.Attempt} attempts ended without a result (the workers running it were lost).";
                if (await runs.AbandonAsync(stuck.Id, reason, cancellationToken))
                {
                    logger.LogError("Run {RunId}: {Reason}", stuck.Id, reason);
                }
            }
            else
            {
                logger.LogWarning("Run {RunId} lost its worker; sending it again", stuck.Id);
                if (await sender.SendRunAsync(stuck.Id, stuck.Lane, cancellationToken))
                {
                    await runs.MarkSentAsync(stuck.Id, cancellationToken);
                }
            }
        }
    }
}
