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
    SubmissionStore store,
    SubmissionJudge judge,
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
            var claim = await ClaimAsync(id, cancellationToken);
            if (claim is null)
            {
                return;
            }

            if (claim.Attempt > _options.MaxAttempts)
            {
                var reason = $"Gave up after {claim.Attempt - 1} attempts: each ended without a result (worker lost or sandbox failure).";
                logger.LogError("Submission {SubmissionId}: {Reason}", id, reason);
                await store.FailAsync(id, claim.Attempt, _options.Id, reason, cancellationToken);
                WorkerMetrics.Failed(claim);
                await FinishCalibrationAsync(claim, cancellationToken);
                return;
            }

            using var slot = await slots.AcquireAsync(claim.Lane == Lanes.Interactive, cancellationToken);
            JudgeOutcome outcome;
            try
            {
                outcome = await judge.JudgeAsync(claim, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException && IsLastAttempt(context))
            {
                // MassTransit moves the command to the _error queue; the submission must not stay unfinished.
                logger.LogError(e, "Judging submission {SubmissionId} failed on its last retry", id);
                await store.FailAsync(id, claim.Attempt, _options.Id, $"The judge failed: {e.Message}", CancellationToken.None);
                WorkerMetrics.Failed(claim);
                await FinishCalibrationAsync(claim, CancellationToken.None);
                throw;
            }

            if (!await store.WriteResultAsync(claim, _options.Id, outcome, cancellationToken))
            {
                logger.LogWarning("Submission {SubmissionId}: the claim was lost while judging; the result is discarded", id);
                return;
            }

            await FinishCalibrationAsync(claim, cancellationToken);
            await context.Publish(new SubmissionJudged(id, claim.ProblemId, outcome.Verdict.ToString(), outcome.Score, DateTime.UtcNow), cancellationToken);
        }
        finally
        {
            inFlight.End(id);
        }
    }

    /// <summary>
    /// Claims the submission, waiting while another worker's lease holds: if that worker died, its lease runs
    /// out and this delivery (RabbitMQ's redelivery of the dead worker's command) takes over. A holder that
    /// keeps renewing is alive and will finish, so after twice the lease this duplicate is dropped.
    /// </summary>
    private async Task<ClaimedSubmission?> ClaimAsync(Guid id, CancellationToken cancellationToken)
    {
        var giveUpAt = DateTime.UtcNow + 2 * _options.LeaseDuration;
        while (true)
        {
            var result = await store.TryClaimAsync(id, _options.Id, _options.LeaseDuration, cancellationToken);
            switch (result.Status)
            {
                case ClaimStatus.Claimed:
                    return result.Submission;
                case ClaimStatus.AlreadyDone:
                    logger.LogInformation("Submission {SubmissionId} is already judged; acknowledging the duplicate command", id);
                    return null;
                case ClaimStatus.NotFound:
                    logger.LogWarning("Submission {SubmissionId} does not exist; dropping the command", id);
                    return null;
            }

            if (DateTime.UtcNow >= giveUpAt)
            {
                logger.LogInformation("Submission {SubmissionId} stays with the worker that holds it; dropping this duplicate command", id);
                return null;
            }

            var wait = (result.LeaseExpiresAt ?? DateTime.UtcNow) - DateTime.UtcNow + TimeSpan.FromMilliseconds(500);
            await Task.Delay(wait < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait > TimeSpan.FromSeconds(10) ? TimeSpan.FromSeconds(10) : wait, cancellationToken);
        }
    }

    private Task FinishCalibrationAsync(ClaimedSubmission claim, CancellationToken cancellationToken) =>
        claim.Purpose == SubmissionPurpose.Calibration ? store.FinishCalibrationAsync(claim.Version.Id, cancellationToken) : Task.CompletedTask;

    private static bool IsLastAttempt(ConsumeContext context) =>
        context.GetRetryAttempt() >= JudgeSubmissionConsumerDefinition.RetryIntervals.Length;
}

/// <summary>Infrastructure failures (a VM that does not boot, a broken connection) are retried in place.</summary>
public sealed class JudgeSubmissionConsumerDefinition : ConsumerDefinition<JudgeSubmissionConsumer>
{
    public static readonly TimeSpan[] RetryIntervals = [TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10)];

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<JudgeSubmissionConsumer> consumerConfigurator, IRegistrationContext context) =>
        consumerConfigurator.UseMessageRetry(retry => retry.Intervals(RetryIntervals));
}
