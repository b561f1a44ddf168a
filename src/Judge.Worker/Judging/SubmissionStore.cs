using Judge.Data;
using Judge.Data.Problems;
using Judge.Data.Submissions;
using Judge.Grading.Verdicts;
using Microsoft.EntityFrameworkCore;

namespace Judge.Worker.Judging;

public enum ClaimStatus
{
    Claimed,
    AlreadyDone,
    HeldElsewhere,
    NotFound,
}

/// <summary>A submission this worker holds the claim on, with what judging it needs.</summary>
public sealed record ClaimedSubmission(
    Guid Id, int Attempt, Guid ProblemId, string Language, string Source, string Lane, DateTime CreatedAt, DateTime JudgingStartedAt,
    ProblemVersion Version);

public sealed record ClaimResult(ClaimStatus Status, ClaimedSubmission? Submission = null, DateTime? LeaseExpiresAt = null);

/// <summary>
/// The database side of judging. A claim is one conditional UPDATE; the result is written in one
/// transaction that only succeeds while the claim still holds, so a late duplicate cannot overwrite it.
/// </summary>
public sealed class SubmissionStore(JudgeDbContext db)
{
    public async Task<ClaimResult> TryClaimAsync(Guid id, string workerId, TimeSpan lease, CancellationToken cancellationToken)
    {
        // The same worker may claim again: that is MassTransit retrying after an infrastructure failure.
        var attempts = await db.Database.SqlQuery<int>($"""
            UPDATE submissions
            SET status = 'Judging', worker_id = {workerId}, attempt = attempt + 1,
                lease_expires_at = now() + make_interval(secs => {lease.TotalSeconds}), judging_started_at = now()
            WHERE id = {id} AND status <> 'Done'
              AND (status = 'Queued' OR lease_expires_at < now() OR worker_id = {workerId})
            RETURNING attempt AS "Value"
            """).ToListAsync(cancellationToken);
        if (attempts.Count == 0)
        {
            var current = await db.Submissions.AsNoTracking().Where(s => s.Id == id)
                .Select(s => new { s.Status, s.LeaseExpiresAt }).SingleOrDefaultAsync(cancellationToken);
            return current switch
            {
                null => new ClaimResult(ClaimStatus.NotFound),
                { Status: SubmissionStatus.Done } => new ClaimResult(ClaimStatus.AlreadyDone),
                _ => new ClaimResult(ClaimStatus.HeldElsewhere, LeaseExpiresAt: current.LeaseExpiresAt),
            };
        }

        var submission = await db.Submissions.AsNoTracking().SingleAsync(s => s.Id == id, cancellationToken);
        var version = await db.ProblemVersions.AsNoTracking()
            .Include(v => v.TestCases.OrderBy(t => t.Ordinal))
            .SingleAsync(v => v.Id == submission.ProblemVersionId, cancellationToken);
        return new ClaimResult(ClaimStatus.Claimed, new ClaimedSubmission(
            submission.Id, attempts[0], submission.ProblemId, submission.Language, submission.Source, submission.Lane,
            submission.CreatedAt, submission.JudgingStartedAt ?? DateTime.UtcNow, version));
    }

    /// <summary>Writes the per-test rows and the final result; false when the claim was lost meanwhile.</summary>
    public async Task<bool> WriteResultAsync(ClaimedSubmission claim, string workerId, JudgeOutcome outcome, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var finishedAt = DateTime.UtcNow;
        var updated = await Claimed(claim, workerId).ExecuteUpdateAsync(set => set
            .SetProperty(s => s.Status, SubmissionStatus.Done)
            .SetProperty(s => s.Verdict, outcome.Verdict.ToString())
            .SetProperty(s => s.Score, outcome.Score)
            .SetProperty(s => s.FailingTest, outcome.FailingTest)
            .SetProperty(s => s.CompileOutput, ForText(outcome.CompileOutput))
            .SetProperty(s => s.Error, ForText(outcome.Error))
            .SetProperty(s => s.VmId, outcome.VmId)
            .SetProperty(s => s.Accelerator, outcome.Accelerator)
            .SetProperty(s => s.WarmPoolHit, outcome.WarmPoolHit)
            .SetProperty(s => s.QueueMs, (int)(claim.JudgingStartedAt - claim.CreatedAt).TotalMilliseconds)
            .SetProperty(s => s.SetupMs, outcome.Timings.SetupMs)
            .SetProperty(s => s.BootMs, outcome.Timings.BootMs)
            .SetProperty(s => s.CompileMs, outcome.Timings.CompileMs)
            .SetProperty(s => s.ExecuteMs, outcome.Timings.ExecuteMs)
            .SetProperty(s => s.TotalMs, outcome.Timings.TotalMs)
            .SetProperty(s => s.LeaseExpiresAt, (DateTime?)null)
            .SetProperty(s => s.FinishedAt, finishedAt), cancellationToken);
        if (updated == 0)
        {
            return false;
        }

        db.TestResults.AddRange(outcome.Tests.Select(t => new TestResult
        {
            SubmissionId = claim.Id,
            Ordinal = t.Ordinal,
            TestCaseId = t.TestCaseId,
            Verdict = t.Verdict.ToString(),
            CpuMs = (int)Math.Round(t.CpuMs),
            WallMs = (int)Math.Round(t.WallMs),
            MemoryBytes = t.MemoryBytes,
            ExitCode = t.ExitCode,
            Signal = t.Signal,
            CheckerMessage = ForText(t.Message),
            OutputExcerpt = ForText(t.OutputExcerpt),
        }));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Ends a submission this worker holds as InternalError: the judge failed, not the program.</summary>
    public Task<int> FailAsync(Guid id, int attempt, string workerId, string reason, CancellationToken cancellationToken) =>
        db.Submissions.Where(s => s.Id == id && s.WorkerId == workerId && s.Attempt == attempt && s.Status == SubmissionStatus.Judging)
            .ExecuteUpdateAsync(set => set
                .SetProperty(s => s.Status, SubmissionStatus.Done)
                .SetProperty(s => s.Verdict, nameof(Verdict.InternalError))
                .SetProperty(s => s.Error, ForText(reason))
                .SetProperty(s => s.LeaseExpiresAt, (DateTime?)null)
                .SetProperty(s => s.FinishedAt, DateTime.UtcNow), cancellationToken);

    public Task<int> RenewLeasesAsync(IReadOnlyCollection<Guid> ids, string workerId, TimeSpan lease, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"""
            UPDATE submissions SET lease_expires_at = now() + make_interval(secs => {lease.TotalSeconds})
            WHERE id = ANY({ids.ToArray()}) AND worker_id = {workerId} AND status = 'Judging'
            """, cancellationToken);

    /// <summary>Program output may hold NUL characters, which PostgreSQL text cannot store.</summary>
    private static string? ForText(string? text) => text?.Replace('\0', '\uFFFD');

    private IQueryable<Submission> Claimed(ClaimedSubmission claim, string workerId) =>
        db.Submissions.Where(s => s.Id == claim.Id && s.WorkerId == workerId && s.Attempt == claim.Attempt && s.Status == SubmissionStatus.Judging);
}
