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
        if (!await TrySendAsync(new JudgeSubmission(submissionId, StoredName.Of(lane)), lane, submissionId, cancellationToken))
        {
            return false;
        }

        await using var scope = scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<SubmissionLifecycle>().MarkSentAsync(submissionId, CancellationToken.None);
        return true;
    }

    /// <summary>
    /// Sends a run's command; the caller records the outcome (<see cref="RunLifecycle"/>: a run is committed as sent, so that the
    /// common case costs no second statement, and marked unsent when the send failed).
    /// </summary>
    public Task<bool> SendRunAsync(Guid runId, Lane lane, CancellationToken cancellationToken) =>
        TrySendAsync(new ExecuteRun(runId, StoredName.Of(lane)), lane, runId, cancellationToken);

    private async Task<bool> TrySendAsync<T>(T command, Lane lane, Guid jobId, CancellationToken cancellationToken) where T : class
    {
        try
        {
            var endpoint = await bus.GetSendEndpoint(JudgeQueues.SendAddress(StoredName.Of(lane)));
            await endpoint.Send(command, cancellationToken);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Sending the {Command} command of {JobId} failed; the sweeper will retry", typeof(T).Name, jobId);
            return false;
        }
    }
}
