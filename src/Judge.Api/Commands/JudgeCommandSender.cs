using Judge.Data.Lifecycle;
using Judge.Data.Storage;
using Judge.Data.Submissions;
using Judge.Messaging;
using Judge.Messaging.Contracts;
using MassTransit;

namespace Judge.Api.Commands;

/// <summary>
/// Sends a submission's judge command, or a one-shot run's, to its lane and records that the broker confirmed it. A failed
/// send is logged, not thrown: the job is committed, and the sweeper sends commands that never got through.
/// </summary>
public sealed class JudgeCommandSender(IBus bus, IServiceScopeFactory scopes, ILogger<JudgeCommandSender> logger)
{
    public async Task<bool> SendAsync(Guid submissionId, Lane lane, CancellationToken cancellationToken)
    {
        var laneName = StoredName.Of(lane);
        try
        {
            var endpoint = await bus.GetSendEndpoint(JudgeQueues.SendAddress(laneName));
            await endpoint.Send(new JudgeSubmission(submissionId, laneName), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Sending the judge command of submission {SubmissionId} failed; the sweeper will retry", submissionId);
            return false;
        }

        await using var scope = scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<SubmissionLifecycle>().MarkSentAsync(submissionId, CancellationToken.None);
        return true;
    }

    public async Task<bool> SendRunAsync(Guid runId, Lane lane, CancellationToken cancellationToken)
    {
        var laneName = StoredName.Of(lane);
        try
        {
            var endpoint = await bus.GetSendEndpoint(JudgeQueues.SendAddress(laneName));
            await endpoint.Send(new ExecuteRun(runId, laneName), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Sending the command of run {RunId} failed; the sweeper will retry", runId);
            return false;
        }

        await using var scope = scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<RunLifecycle>().MarkSentAsync(runId, CancellationToken.None);
        return true;
    }
}
