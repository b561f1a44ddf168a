using Judge.Data;
using Judge.Messaging;
using Judge.Messaging.Contracts;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Judge.Api.Commands;

/// <summary>
/// Sends a submission's judge command to its lane and records that the broker confirmed it. A failed send
/// is logged, not thrown: the submission is committed, and the sweeper sends commands that never got through.
/// </summary>
public sealed class JudgeCommandSender(IBus bus, IServiceScopeFactory scopes, ILogger<JudgeCommandSender> logger)
{
    public async Task<bool> SendAsync(Guid submissionId, string lane, CancellationToken cancellationToken)
    {
        try
        {
            var endpoint = await bus.GetSendEndpoint(JudgeQueues.SendAddress(lane));
            await endpoint.Send(new JudgeSubmission(submissionId, lane), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Sending the judge command of submission {SubmissionId} failed; the sweeper will retry", submissionId);
            return false;
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<JudgeDbContext>();
        await db.Database.ExecuteSqlAsync(
            $"UPDATE submissions SET published_at = now(), publish_count = publish_count + 1 WHERE id = {submissionId}", CancellationToken.None);
        return true;
    }
}
