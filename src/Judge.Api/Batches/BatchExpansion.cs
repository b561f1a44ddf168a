using Judge.Api.Commands;
using Judge.Api.Submissions;
using Judge.Data;
using Judge.Data.Lifecycle;
using Judge.Data.Submissions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Judge.Api.Batches;

/// <summary>
/// The Hangfire job that turns a batch's uploaded zip into its submissions. It may run more than once (a retry, an API
/// that died mid-job, the sweeper enqueueing it again): the submissions, the batch's expanded time and the upload's
/// removal are one transaction under the batch's lock, so they are made exactly once; then the commands of whatever is
/// still unsent go out, as the sweeper would send them.
/// </summary>
public sealed class BatchExpansion(
    JudgeDbContext db, CallbackLedger callbacks, JudgeCommandSender sender, IOptions<ApiOptions> options, ILogger<BatchExpansion> logger)
{
    /// <summary>The recurring job that catches expansions whose enqueueing was lost (the API died between the commit and it).</summary>
    public const string StaleJobId = "expand-stale-batches";

    private static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(1);

    public async Task ExpandStaleAsync(CancellationToken cancellationToken)
    {
        var stale = await db.Batches.AsNoTracking()
            .Where(b => b.ExpandedAt == null && b.CreatedAt < DateTime.UtcNow - StaleAfter)
            .Select(b => b.Id).ToListAsync(cancellationToken);
        foreach (var id in stale)
        {
            logger.LogWarning("Batch {BatchId} was never expanded; expanding it now", id);
            await ExpandAsync(id, cancellationToken);
        }
    }

    public async Task ExpandAsync(Guid batchId, CancellationToken cancellationToken)
    {
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtext({batchId.ToString()}))", cancellationToken);
            var batch = await db.Batches.SingleAsync(b => b.Id == batchId, cancellationToken);
            var upload = await db.BatchUploads.SingleOrDefaultAsync(u => u.BatchId == batchId, cancellationToken);
            if (batch.ExpandedAt is null && upload is not null)
            {
                var (items, errors) = ClassZip.Read(upload.Content, options.Value.MaxSourceBytes);
                if (errors.Count > 0)
                {
                    // The request checked this very zip: a difference is a change of limits between the two, not the client's.
                    throw new InvalidOperationException($"Batch {batchId}: its upload no longer reads: {string.Join("; ", errors.Select(e => e.Message))}");
                }

                if (batch.CancelledAt is null)
                {
                    var now = DateTime.UtcNow;
                    db.Submissions.AddRange(items.Select(item => new Submission
                    {
                        Id = Guid.CreateVersion7(),
                        ApiKeyId = batch.ApiKeyId,
                        ProblemId = batch.ProblemId,
                        ProblemVersionId = batch.ProblemVersionId,
                        BatchId = batch.Id,
                        Label = item.Label,
                        Language = item.Language,
                        Source = item.Source,
                        Files = item.Files,
                        EntryPoint = item.EntryPoint,
                        Lane = Lane.Batch,
                        CreatedAt = now,
                    }));
                }

                batch.ExpandedAt = DateTime.UtcNow;
                db.BatchUploads.Remove(upload);
                await db.SaveChangesAsync(cancellationToken);
                await callbacks.BatchMayHaveEndedAsync(batchId, cancellationToken); // cancelled before it was expanded: it ends now
                logger.LogInformation("Batch {BatchId} expanded into {Count} submissions", batchId, batch.CancelledAt is null ? items.Count : 0);
            }

            await transaction.CommitAsync(cancellationToken);
        }

        var unsent = await db.Submissions.AsNoTracking()
            .Where(s => s.BatchId == batchId && s.Status == SubmissionStatus.Queued && s.PublishedAt == null)
            .Select(s => new { s.Id, s.Lane }).ToListAsync(cancellationToken);
        foreach (var submission in unsent)
        {
            await sender.SendAsync(submission.Id, submission.Lane, cancellationToken);
        }
    }
}
