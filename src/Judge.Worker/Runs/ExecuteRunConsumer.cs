using Judge.Data.Lifecycle;
using Judge.Data.Submissions;
using Judge.Messaging.Contracts;
using Judge.Worker.Judging;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Judge.Worker.Runs;

/// <summary>
/// Runs a one-shot job once, whatever number of times its command arrives, as <see cref="JudgeSubmissionConsumer"/> judges a
/// submission: claim in the database first, skip what is already final, acknowledge only after the result is written. It
/// takes the worker's judging slots as submissions do, so runs and submissions share the sandboxes fairly by lane.
/// </summary>
public sealed class ExecuteRunConsumer(
    RunLifecycle lifecycle,
    IRunExecutor executor,
    JudgeSlots slots,
    InFlightSubmissions inFlight,
    IOptions<WorkerOptions> options,
    ILogger<ExecuteRunConsumer> logger) : IConsumer<ExecuteRun>
{
    private readonly WorkerOptions _options = options.Value;

    public async Task Consume(ConsumeContext<ExecuteRun> context)
    {
        var id = context.Message.RunId;
        var cancellationToken = context.CancellationToken;
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["RunId"] = id, ["WorkerId"] = _options.Id });
        if (!inFlight.TryBegin(id))
        {
            logger.LogInformation("Run {RunId} is already running here; dropping the duplicate command", id);
            return;
        }

        try
        {
            var claim = await lifecycle.TryClaimAsync(id, _options.Id, _options.LeaseDuration, cancellationToken);
            switch (claim.Status)
            {
                case ClaimStatus.Claimed:
                    await ExecuteAsync(context, claim.Claim!);
                    break;
                case ClaimStatus.HeldElsewhere:
                    await HeldCommands.RetryLaterAsync(context, context.Message.Lane, _options.LeaseDuration, logger);
                    break;
                case ClaimStatus.AlreadyDone:
                    logger.LogInformation("Run {RunId} has ended already; acknowledging the duplicate command", id);
                    break;
                case ClaimStatus.NotFound:
                    logger.LogWarning("Run {RunId} does not exist; dropping the command", id);
                    break;
                case ClaimStatus.GaveUp:
                    logger.LogError("Run {RunId} ended as InternalError after {Attempts} attempts without a result", id, claim.Claim!.Attempt - 1);
                    break;
            }
        }
        finally
        {
            inFlight.End(id);
        }
    }

    private async Task ExecuteAsync(ConsumeContext<ExecuteRun> context, ClaimedRun claim)
    {
        var cancellationToken = context.CancellationToken;
        RunOutcome outcome;
        using (await slots.AcquireAsync(claim.Run.Lane == Lane.Interactive, cancellationToken))
        {
            try
            {
                outcome = await executor.ExecuteAsync(claim.Run, cancellationToken);
            }
            catch (UnjudgeableException e)
            {
                logger.LogError("Run {RunId} cannot be run: {Reason}", claim.Id, e.Message);
                await lifecycle.FailAsync(claim, _options.Id, e.Message, CancellationToken.None);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException && context.GetRetryAttempt() >= ExecuteRunConsumerDefinition.RetryIntervals.Length)
            {
                logger.LogError(e, "Run {RunId} failed on its last retry", claim.Id);
                await lifecycle.FailAsync(claim, _options.Id, $"The judge failed: {e.Message}", CancellationToken.None);
                throw;
            }
        }

        if (!await lifecycle.FinishAsync(claim, _options.Id, outcome, cancellationToken))
        {
            logger.LogWarning("Run {RunId}: the claim was lost while running; the result is discarded", claim.Id);
        }
    }
}
