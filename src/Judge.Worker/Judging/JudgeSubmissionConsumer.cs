using Judge.Data.Lifecycle;
using Judge.Data.Submissions;
using Judge.Messaging.Contracts;
using Judge.Worker.Telemetry;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Judge.Worker.Judging;

/// <summary>
/// Judges a submission once, whatever number of times its command arrives: it claims the submission in the
/// database first, skips it when it is already final, and acknowledges only after the result is written.
/// </summary>
public sealed class JudgeSubmissionConsumer(
    IJudgingLifecycle lifecycle,
    ISubmissionJudge judge,
    JudgeSlots slots,
    InFlightSubmissions inFlight,
    IOptions<WorkerOptions> options,
    ILogger<JudgeSubmissionConsumer> logger) : IConsumer<JudgeSubmission>
{
    private readonly WorkerOptions _options = options.Value;

    public async Task Consume(ConsumeContext<JudgeSubmission> context)
    {
        var id = context.Message.SubmissionId;
        var cancellationToken = context.CancellationToken;
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["SubmissionId"] = id, ["WorkerId"] = _options.Id });
        if (!inFlight.TryBegin(id))
        {
            logger.LogInformation("Submission {SubmissionId} is already being judged here; dropping the duplicate command", id);
            return;
        }

        try
        {
            ClaimResult claim;
            using (WorkerActivities.Start("judge.claim", id))
            {
                claim = await lifecycle.TryClaimAsync(id, _options.Id, _options.LeaseDuration, cancellationToken);
            }

            switch (claim.Status)
            {
                case ClaimStatus.Claimed:
                    WorkerMetrics.Claimed(claim.Submission!);
                    await JudgeAsync(context, claim.Submission!);
                    break;
                case ClaimStatus.HeldElsewhere:
                    await HeldCommands.RetryLaterAsync(context, context.Message.Lane, _options.LeaseDuration, logger);
                    break;
                case ClaimStatus.AlreadyDone:
                    logger.LogInformation("Submission {SubmissionId} is already judged; acknowledging the duplicate command", id);
                    break;
                case ClaimStatus.NotFound:
                    logger.LogWarning("Submission {SubmissionId} does not exist; dropping the command", id);
                    break;
                case ClaimStatus.GaveUp:
                    WorkerMetrics.Failed(claim.Submission!);
                    logger.LogError("Submission {SubmissionId} ended as InternalError after {Attempts} attempts without a result", id,
                        claim.Submission!.Attempt - 1);
                    break;
            }
        }
        finally
        {
            inFlight.End(id);
        }
    }

    private async Task JudgeAsync(ConsumeContext<JudgeSubmission> context, ClaimedSubmission claim)
    {
        var cancellationToken = context.CancellationToken;
        JudgeOutcome outcome;
        using (await slots.AcquireAsync(claim.Lane == Lane.Interactive, cancellationToken))
        {
            try
            {
                outcome = await judge.JudgeAsync(claim, cancellationToken);
            }
            catch (UnjudgeableException e)
            {
                logger.LogError("Submission {SubmissionId} cannot be judged: {Reason}", claim.Id, e.Message);
                await lifecycle.FailAsync(claim, _options.Id, e.Message, CancellationToken.None);
                WorkerMetrics.Failed(claim);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException && IsLastAttempt(context))
            {
                // MassTransit moves the command to the _error queue; the submission must not stay unfinished.
                logger.LogError(e, "Judging submission {SubmissionId} failed on its last retry", claim.Id);
                await lifecycle.FailAsync(claim, _options.Id, $"The judge failed: {e.Message}", CancellationToken.None);
                WorkerMetrics.Failed(claim);
                throw;
            }
        }

        using (WorkerActivities.Start("judge.write_result", claim.Id))
        {
            if (!await lifecycle.FinishAsync(claim, _options.Id, outcome, cancellationToken))
            {
                logger.LogWarning("Submission {SubmissionId}: the claim was lost while judging; the result is discarded", claim.Id);
                return;
            }
        }

        WorkerMetrics.ResultWritten(claim, outcome);
        await context.Publish(new SubmissionJudged(claim.Id, claim.ProblemId, outcome.Verdict.ToString(), outcome.Score, DateTime.UtcNow), cancellationToken);
    }

    private static bool IsLastAttempt(ConsumeContext context) =>
        context.GetRetryAttempt() >= JudgeSubmissionConsumerDefinition.RetryIntervals.Length;
}
