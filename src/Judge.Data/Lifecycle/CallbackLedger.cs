using Judge.Data.Callbacks;
using Judge.Data.Submissions;
using Microsoft.EntityFrameworkCore;

namespace Judge.Data.Lifecycle;

/// <summary>A callback whose attempt this process took: where to POST, what about, and which attempt this is.</summary>
/// <remarks><see cref="ApiKeyId"/> is null for a run by an anonymous (loopback) facade caller: its callback goes unsigned.</remarks>
public sealed record TakenCallback(Guid Id, CallbackEvent Event, Guid SubjectId, string Url, int Attempt, DateTime CreatedAt, Guid? ApiKeyId);

/// <summary>
/// The one owner of callbacks' state: made when what asked for one ends (inside the transaction that ends it, so a result
/// and its callback commit together), taken for an attempt, then delivered, retried or given up. Every new or retried
/// callback is announced on <see cref="DueChannel"/>; the catch-up finds what an announcement or a dead process missed.
/// </summary>
public sealed class CallbackLedger(JudgeDbContext db)
{
    /// <summary>The PostgreSQL channel on which a callback that became due is announced (its id as the payload).</summary>
    public const string DueChannel = "judge_callback_due";

    /// <summary>How long an attempt holds its callback: past it, a process that died mid-attempt is presumed gone.</summary>
    public static readonly TimeSpan AttemptHold = TimeSpan.FromMinutes(1);

    private static readonly string Done = nameof(SubmissionStatus.Done);
    private static readonly string Queued = nameof(SubmissionStatus.Queued);
    private static readonly string Judging = nameof(SubmissionStatus.Judging);

    /// <summary>
    /// A submission ended (and, with <paramref name="batchId"/>, maybe its batch): makes the callbacks they asked for. Inside the
    /// ending's transaction the batch's row is locked first, so of two last submissions ending at once the later sees the other.
    /// </summary>
    public async Task EndedAsync(Guid submissionId, Guid? batchId, CancellationToken cancellationToken)
    {
        await db.Database.ExecuteSqlAsync($"""
            WITH made AS (
                INSERT INTO callbacks (id, submission_id, url, next_attempt_at)
                SELECT gen_random_uuid(), s.id, s.callback_url, now() FROM submissions s
                WHERE s.id = {submissionId} AND s.callback_url IS NOT NULL AND s.status = {Done}
                ON CONFLICT DO NOTHING RETURNING id)
            SELECT pg_notify({DueChannel}, id::text) FROM made
            """, cancellationToken);
        if (batchId is { } batch)
        {
            await BatchMayHaveEndedAsync(batch, cancellationToken);
        }
    }

    /// <summary>Makes the batch's callback if it asked for one and nothing of it is left to judge.</summary>
    public async Task BatchMayHaveEndedAsync(Guid batchId, CancellationToken cancellationToken)
    {
        await db.Database.ExecuteSqlAsync($"SELECT 1 FROM batches WHERE id = {batchId} AND callback_url IS NOT NULL FOR UPDATE", cancellationToken);
        await db.Database.ExecuteSqlAsync($"""
            WITH made AS (
                INSERT INTO callbacks (id, batch_id, url, next_attempt_at)
                SELECT gen_random_uuid(), b.id, b.callback_url, now() FROM batches b
                WHERE b.id = {batchId} AND b.callback_url IS NOT NULL AND b.expanded_at IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.batch_id = b.id AND s.status IN ({Queued}, {Judging}))
                ON CONFLICT DO NOTHING RETURNING id)
            SELECT pg_notify({DueChannel}, id::text) FROM made
            """, cancellationToken);
    }

    /// <summary>
    /// What announcements missed: makes the callbacks of what ended within <paramref name="window"/> without one, and returns
    /// the callbacks overdue by more than <paramref name="slack"/> (never announced, or their attempt's process died).
    /// </summary>
    public async Task<List<Guid>> CatchUpAsync(TimeSpan window, TimeSpan slack, CancellationToken cancellationToken)
    {
        var since = DateTime.UtcNow - window;
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO callbacks (id, submission_id, url, next_attempt_at)
            SELECT gen_random_uuid(), s.id, s.callback_url, now() FROM submissions s
            WHERE s.callback_url IS NOT NULL AND s.finished_at > {since} AND s.status = {Done}
              AND NOT EXISTS (SELECT 1 FROM callbacks c WHERE c.submission_id = s.id)
            ON CONFLICT DO NOTHING
            """, cancellationToken);
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO callbacks (id, batch_id, url, next_attempt_at)
            SELECT gen_random_uuid(), b.id, b.callback_url, now() FROM batches b
            WHERE b.callback_url IS NOT NULL AND b.created_at > {since} AND b.expanded_at IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM callbacks c WHERE c.batch_id = b.id)
              AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.batch_id = b.id AND s.status IN ({Queued}, {Judging}))
            ON CONFLICT DO NOTHING
            """, cancellationToken);
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO callbacks (id, run_id, url, next_attempt_at)
            SELECT gen_random_uuid(), r.id, r.callback_url, now() FROM runs r
            WHERE r.callback_url IS NOT NULL AND r.finished_at > {since} AND r.status = {Done}
              AND NOT EXISTS (SELECT 1 FROM callbacks c WHERE c.run_id = r.id)
            ON CONFLICT DO NOTHING
            """, cancellationToken);
        return await db.Callbacks.AsNoTracking()
            .Where(c => c.NextAttemptAt != null && c.NextAttemptAt < DateTime.UtcNow - slack)
            .OrderBy(c => c.NextAttemptAt).Take(500).Select(c => c.Id).ToListAsync(cancellationToken);
    }

    /// <summary>Takes the callback's next attempt if it is due and nobody holds it; null otherwise (delivered, not yet due, taken).</summary>
    public async Task<TakenCallback?> TryTakeAsync(Guid id, CancellationToken cancellationToken)
    {
        var taken = await db.Callbacks.Where(c => c.Id == id && c.NextAttemptAt != null && c.NextAttemptAt <= DateTime.UtcNow)
            .ExecuteUpdateAsync(set => set
                .SetProperty(c => c.Attempts, c => c.Attempts + 1)
                .SetProperty(c => c.NextAttemptAt, _ => DateTime.UtcNow + AttemptHold), cancellationToken);
        if (taken == 0)
        {
            return null;
        }

        var callback = await db.Callbacks.AsNoTracking().SingleAsync(c => c.Id == id, cancellationToken);
        var key = callback.Event switch
        {
            CallbackEvent.SubmissionEnded => await db.Submissions.Where(s => s.Id == callback.SubmissionId).Select(s => (Guid?)s.ApiKeyId).SingleAsync(cancellationToken),
            CallbackEvent.BatchEnded => await db.Batches.Where(b => b.Id == callback.BatchId).Select(b => (Guid?)b.ApiKeyId).SingleAsync(cancellationToken),
            _ => await db.Runs.Where(r => r.Id == callback.RunId).Select(r => r.ApiKeyId).SingleAsync(cancellationToken),
        };
        return new TakenCallback(callback.Id, callback.Event, callback.SubjectId, callback.Url, callback.Attempts, callback.CreatedAt, key);
    }

    /// <summary>
    /// Records an attempt and what follows it: delivered (<paramref name="retryAt"/> unused), another attempt at
    /// <paramref name="retryAt"/>, or, with <paramref name="retryAt"/> null, given up.
    /// </summary>
    public async Task RecordAsync(TakenCallback taken, CallbackAttempt attempt, bool delivered, DateTime? retryAt, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.CallbackAttempts.Add(attempt);
        await db.SaveChangesAsync(cancellationToken);
        var callbacks = db.Callbacks.Where(c => c.Id == taken.Id && c.Attempts == taken.Attempt);
        if (delivered)
        {
            await callbacks.ExecuteUpdateAsync(set => set
                .SetProperty(c => c.NextAttemptAt, (DateTime?)null)
                .SetProperty(c => c.DeliveredAt, _ => DateTime.UtcNow), cancellationToken);
        }
        else if (retryAt is { } next)
        {
            await callbacks.ExecuteUpdateAsync(set => set.SetProperty(c => c.NextAttemptAt, next), cancellationToken);
        }
        else
        {
            await callbacks.ExecuteUpdateAsync(set => set
                .SetProperty(c => c.NextAttemptAt, (DateTime?)null)
                .SetProperty(c => c.GaveUpAt, _ => DateTime.UtcNow), cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }
}
