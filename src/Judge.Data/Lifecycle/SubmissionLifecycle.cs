using Judge.Data.Problems;
using Judge.Data.Submissions;
using Judge.Grading.Languages;
using Judge.Grading.Problems;
using Judge.Grading.Verdicts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Judge.Data.Lifecycle;

public enum ClaimStatus
{
    Claimed,
    AlreadyDone,
    HeldElsewhere,
    NotFound,

    /// <summary>Claimed once more than <see cref="SubmissionLifecycleOptions.MaxAttempts"/>: ended as InternalError instead.</summary>
    GaveUp,
}

/// <summary>A submission a worker holds the claim on, with what judging it needs.</summary>
public sealed record ClaimedSubmission(
    Guid Id, int Attempt, Guid ProblemId, string Language, string Source, Lane Lane, SubmissionPurpose Purpose, DateTime CreatedAt,
    DateTime JudgingStartedAt, ProblemVersion Version, Guid? BatchId = null, IReadOnlyList<Judge.Grading.Languages.SubmissionFile>? Files = null,
    string? EntryPoint = null);

public sealed record ClaimResult(ClaimStatus Status, ClaimedSubmission? Submission = null, DateTime? LeaseExpiresAt = null);

/// <summary>A submission the sweeper looks after: one whose command never got through, or whose worker vanished.</summary>
public sealed record StrandedSubmission(Guid Id, Lane Lane, int Attempt);

/// <summary>What a worker does to a submission's state: claim it, then finish it with a result or fail it.</summary>
public interface IJudgingLifecycle
{
    Task<ClaimResult> TryClaimAsync(Guid id, string workerId, TimeSpan lease, CancellationToken cancellationToken);

    Task<bool> FinishAsync(ClaimedSubmission claim, string workerId, JudgeOutcome outcome, CancellationToken cancellationToken);

    Task<bool> FailAsync(ClaimedSubmission claim, string workerId, string reason, CancellationToken cancellationToken);
}

/// <summary>
/// The one owner of a submission's state after it is created: sent, claimed, finished, failed, abandoned, and the
/// end of its version's calibration. A claim is one conditional UPDATE; every later write only succeeds while the
/// claim still holds, so a late duplicate cannot overwrite a result. Times come from the database's clock, so
/// hosts whose clocks differ agree on when a lease ran out.
/// </summary>
public sealed class SubmissionLifecycle(JudgeDbContext db, CallbackLedger callbacks, IOptions<SubmissionLifecycleOptions> options) : IJudgingLifecycle
{
    /// <summary>
    /// The PostgreSQL channel on which every submission that becomes final is announced (its id as the payload), and its
    /// batch's id too when it has one, when the write commits: what a client waiting for a verdict or a batch listens on
    /// instead of polling.
    /// </summary>
    public const string FinishedChannel = "judge_submission_finished";

    private readonly int _maxAttempts = options.Value.MaxAttempts;

    /// <summary>Records that the broker confirmed the submission's command.</summary>
    public Task MarkSentAsync(Guid id, CancellationToken cancellationToken) =>
        db.Submissions.Where(s => s.Id == id).ExecuteUpdateAsync(set => set
            .SetProperty(s => s.PublishedAt, _ => DateTime.UtcNow)
            .SetProperty(s => s.PublishCount, s => s.PublishCount + 1), cancellationToken);

    /// <summary>
    /// Claims the submission for <paramref name="workerId"/>: it must be queued, or its lease have run out, or this worker
    /// hold it already (MassTransit retrying after an infrastructure failure).
    /// </summary>
    public async Task<ClaimResult> TryClaimAsync(Guid id, string workerId, TimeSpan lease, CancellationToken cancellationToken)
    {
        var claimed = await db.Submissions
            .Where(s => s.Id == id && s.Status != SubmissionStatus.Done
                && (s.Status == SubmissionStatus.Queued || s.LeaseExpiresAt < DateTime.UtcNow || s.WorkerId == workerId))
            .ExecuteUpdateAsync(set => set
                .SetProperty(s => s.Status, SubmissionStatus.Judging)
                .SetProperty(s => s.WorkerId, workerId)
                .SetProperty(s => s.Attempt, s => s.Attempt + 1)
                .SetProperty(s => s.LeaseExpiresAt, _ => DateTime.UtcNow + lease)
                .SetProperty(s => s.JudgingStartedAt, _ => DateTime.UtcNow), cancellationToken);
        // Read after the claim: nobody else can take it before the new lease runs out.
        var submission = await db.Submissions.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id, cancellationToken);
        if (claimed == 0 || submission is null || submission.WorkerId != workerId || submission.Status != SubmissionStatus.Judging)
        {
            return submission switch
            {
                null => new ClaimResult(ClaimStatus.NotFound),
                { Status: SubmissionStatus.Done or SubmissionStatus.Cancelled } => new ClaimResult(ClaimStatus.AlreadyDone),
                _ => new ClaimResult(ClaimStatus.HeldElsewhere, LeaseExpiresAt: submission.LeaseExpiresAt),
            };
        }

        var version = await db.ProblemVersions.AsNoTracking()
            .Include(v => v.TestCases.OrderBy(t => t.Ordinal))
            .Include(v => v.TestGroups)
            .Include(v => v.Files)
            .AsSplitQuery()
            .SingleAsync(v => v.Id == submission.ProblemVersionId, cancellationToken);
        var claim = new ClaimedSubmission(
            submission.Id, submission.Attempt, submission.ProblemId, submission.Language, submission.Source, submission.Lane, submission.Purpose,
            submission.CreatedAt, submission.JudgingStartedAt ?? DateTime.UtcNow, version, submission.BatchId, submission.Files, submission.EntryPoint);
        if (claim.Attempt > _maxAttempts)
        {
            await FailAsync(claim, workerId,
                $"Gave up after {claim.Attempt - 1} attempts: each ended without a result (worker lost or sandbox failure).", cancellationToken);
            return new ClaimResult(ClaimStatus.GaveUp, claim);
        }

        return new ClaimResult(ClaimStatus.Claimed, claim);
    }

    /// <summary>Writes the per-test rows and the final result; false when the claim was lost meanwhile.</summary>
    public async Task<bool> FinishAsync(ClaimedSubmission claim, string workerId, JudgeOutcome outcome, CancellationToken cancellationToken)
    {
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            var updated = await Held(claim, workerId).ExecuteUpdateAsync(set => set
                .SetProperty(s => s.Status, SubmissionStatus.Done)
                .SetProperty(s => s.Verdict, outcome.Verdict)
                .SetProperty(s => s.Score, outcome.Score)
                .SetProperty(s => s.MaxScore, outcome.MaxScore)
                .SetProperty(s => s.FailingTest, outcome.FailingTest)
                .SetProperty(s => s.CompileOutput, ForText(outcome.CompileOutput))
                .SetProperty(s => s.Error, ForText(outcome.Error))
                .SetProperty(s => s.VmId, outcome.VmId)
                .SetProperty(s => s.Isolation, outcome.Isolation)
                .SetProperty(s => s.WarmPoolHit, outcome.WarmPoolHit)
                .SetProperty(s => s.SpeedFactor, outcome.SpeedFactor)
                .SetProperty(s => s.CpuLimitMs, outcome.CpuLimitMs)
                .SetProperty(s => s.QueueMs, QueueMs(claim))
                .SetProperty(s => s.SetupMs, outcome.Timings.SetupMs)
                .SetProperty(s => s.BootMs, outcome.Timings.BootMs)
                .SetProperty(s => s.CompileMs, outcome.Timings.CompileMs)
                .SetProperty(s => s.ExecuteMs, outcome.Timings.ExecuteMs)
                .SetProperty(s => s.TotalMs, outcome.Timings.TotalMs)
                .SetProperty(s => s.LeaseExpiresAt, (DateTime?)null)
                .SetProperty(s => s.FinishedAt, _ => DateTime.UtcNow), cancellationToken);
            if (updated == 0)
            {
                return false;
            }

            db.TestResults.AddRange(outcome.Tests.Select(t => new TestResult
            {
                SubmissionId = claim.Id,
                Ordinal = t.Ordinal,
                TestCaseId = t.TestCaseId,
                Verdict = t.Verdict,
                CpuMs = (int)Math.Round(t.CpuMs),
                NormalizedCpuMs = (int)Math.Round(t.NormalizedCpuMs),
                WallMs = (int)Math.Round(t.WallMs),
                MemoryBytes = t.MemoryBytes,
                ExitCode = t.ExitCode,
                Signal = t.Signal,
                CheckerMessage = ForText(t.Message),
                OutputExcerpt = ForText(t.OutputExcerpt),
                Score = t.Score,
            }));
            var groupIds = claim.Version.TestGroups.ToDictionary(g => g.Name, g => g.Id);
            db.GroupResults.AddRange(outcome.Groups.Select(g => new GroupResult
            {
                SubmissionId = claim.Id,
                GroupId = groupIds[g.Name],
                Verdict = g.Verdict,
                Score = g.Score,
                MaxScore = g.MaxScore,
            }));
            await db.SaveChangesAsync(cancellationToken);
            await AnnounceFinishedAsync(claim.Id, claim.BatchId, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        await FinishCalibrationIfNeededAsync(claim.Purpose, claim.Version.Id, cancellationToken);
        return true;
    }

    /// <summary>Ends a submission the worker holds as InternalError: the judge failed, not the program.</summary>
    public async Task<bool> FailAsync(ClaimedSubmission claim, string workerId, string reason, CancellationToken cancellationToken)
    {
        var updated = await Held(claim, workerId).ExecuteUpdateAsync(set => set
            .SetProperty(s => s.Status, SubmissionStatus.Done)
            .SetProperty(s => s.Verdict, Verdict.InternalError)
            .SetProperty(s => s.Error, ForText(reason))
            .SetProperty(s => s.QueueMs, QueueMs(claim))
            .SetProperty(s => s.LeaseExpiresAt, (DateTime?)null)
            .SetProperty(s => s.FinishedAt, _ => DateTime.UtcNow), cancellationToken);
        if (updated > 0)
        {
            await AnnounceFinishedAsync(claim.Id, claim.BatchId, cancellationToken);
        }

        await FinishCalibrationIfNeededAsync(claim.Purpose, claim.Version.Id, cancellationToken);
        return updated > 0;
    }

    /// <summary>Extends the leases of the submissions this worker is judging; returns how many it still holds.</summary>
    public Task<int> RenewLeasesAsync(IReadOnlyCollection<Guid> ids, string workerId, TimeSpan lease, CancellationToken cancellationToken) =>
        db.Submissions.Where(s => ids.Contains(s.Id) && s.WorkerId == workerId && s.Status == SubmissionStatus.Judging)
            .ExecuteUpdateAsync(set => set.SetProperty(s => s.LeaseExpiresAt, _ => DateTime.UtcNow + lease), cancellationToken);

    /// <summary>Queued submissions older than <paramref name="age"/> whose command the broker never confirmed.</summary>
    public Task<List<StrandedSubmission>> FindUnsentAsync(TimeSpan age, int limit, CancellationToken cancellationToken) =>
        db.Submissions.AsNoTracking()
            .Where(s => s.Status == SubmissionStatus.Queued && s.PublishedAt == null && s.CreatedAt < DateTime.UtcNow - age)
            .OrderBy(s => s.CreatedAt).Take(limit)
            .Select(s => new StrandedSubmission(s.Id, s.Lane, s.Attempt)).ToListAsync(cancellationToken);

    /// <summary>
    /// Submissions being judged whose lease ran out more than <paramref name="age"/> ago, and whose command was not sent
    /// again within that time: their worker vanished and nobody took over.
    /// </summary>
    public Task<List<StrandedSubmission>> FindAbandonedAsync(TimeSpan age, int limit, CancellationToken cancellationToken) =>
        db.Submissions.AsNoTracking()
            .Where(s => s.Status == SubmissionStatus.Judging && s.LeaseExpiresAt < DateTime.UtcNow - age
                && (s.PublishedAt == null || s.PublishedAt < DateTime.UtcNow - age))
            .OrderBy(s => s.CreatedAt).Take(limit)
            .Select(s => new StrandedSubmission(s.Id, s.Lane, s.Attempt)).ToListAsync(cancellationToken);

    /// <summary>True when an abandoned submission has had its attempts and must end rather than be sent again.</summary>
    public bool IsExhausted(StrandedSubmission stranded) => stranded.Attempt >= _maxAttempts;

    /// <summary>
    /// Ends an abandoned submission as InternalError, unless a worker took it over meanwhile (its lease holds again),
    /// and finishes its version's calibration when it was the last run of one.
    /// </summary>
    public async Task<bool> AbandonAsync(Guid id, string reason, CancellationToken cancellationToken)
    {
        var updated = await db.Submissions.Where(s => s.Id == id && s.Status == SubmissionStatus.Judging && s.LeaseExpiresAt < DateTime.UtcNow)
            .ExecuteUpdateAsync(set => set
                .SetProperty(s => s.Status, SubmissionStatus.Done)
                .SetProperty(s => s.Verdict, Verdict.InternalError)
                .SetProperty(s => s.Error, reason)
                .SetProperty(s => s.LeaseExpiresAt, (DateTime?)null)
                .SetProperty(s => s.FinishedAt, _ => DateTime.UtcNow), cancellationToken);
        var run = await db.Submissions.AsNoTracking().Where(s => s.Id == id).Select(s => new { s.Purpose, s.ProblemVersionId, s.BatchId })
            .SingleAsync(cancellationToken);
        if (updated > 0)
        {
            await AnnounceFinishedAsync(id, run.BatchId, cancellationToken);
        }

        await FinishCalibrationIfNeededAsync(run.Purpose, run.ProblemVersionId, cancellationToken);
        return updated > 0;
    }

    /// <summary>
    /// Cancels a batch: its submissions no worker has claimed end as Cancelled (a command still on its way finds them
    /// final and is dropped); those being judged finish. False when it was cancelled already.
    /// </summary>
    public async Task<bool> CancelBatchAsync(Guid batchId, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var cancelled = await db.Batches.Where(b => b.Id == batchId && b.CancelledAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(b => b.CancelledAt, _ => DateTime.UtcNow), cancellationToken);
        if (cancelled == 0)
        {
            return false;
        }

        var ended = await db.Submissions.Where(s => s.BatchId == batchId && s.Status == SubmissionStatus.Queued)
            .Select(s => s.Id).ToListAsync(cancellationToken);
        await db.Submissions.Where(s => s.BatchId == batchId && s.Status == SubmissionStatus.Queued)
            .ExecuteUpdateAsync(set => set
                .SetProperty(s => s.Status, SubmissionStatus.Cancelled)
                .SetProperty(s => s.FinishedAt, _ => DateTime.UtcNow), cancellationToken);
        // A cancelled submission has no callback of its own (a batch's submissions name none); the batch may.
        foreach (var id in ended)
        {
            await AnnounceAsync(id, cancellationToken);
        }

        await AnnounceAsync(batchId, cancellationToken);
        await callbacks.BatchMayHaveEndedAsync(batchId, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// Retention: deletes up to <paramref name="limit"/> judged or cancelled submissions that ended before <paramref name="cutoff"/>,
    /// with their results and callbacks (calibration runs stay: they are their version's evidence); returns how many went.
    /// A rejudge's copy outlives its original, losing only the link.
    /// </summary>
    public Task<int> DeleteEndedBeforeAsync(DateTime cutoff, int limit, CancellationToken cancellationToken) =>
        db.Submissions
            .Where(s => (s.Status == SubmissionStatus.Done || s.Status == SubmissionStatus.Cancelled) && s.Purpose == SubmissionPurpose.Judge && s.FinishedAt < cutoff)
            .OrderBy(s => s.FinishedAt).Take(limit)
            .ExecuteDeleteAsync(cancellationToken);

    /// <summary>Retention, after <see cref="DeleteEndedBeforeAsync"/>: the batches made before <paramref name="cutoff"/> that it left empty.</summary>
    public Task<int> DeleteEmptyBatchesBeforeAsync(DateTime cutoff, CancellationToken cancellationToken) =>
        db.Batches.Where(b => b.CreatedAt < cutoff && b.ExpandedAt != null && !db.Submissions.Any(s => s.BatchId == b.Id))
            .ExecuteDeleteAsync(cancellationToken);

    private Task FinishCalibrationIfNeededAsync(SubmissionPurpose purpose, Guid versionId, CancellationToken cancellationToken) =>
        purpose == SubmissionPurpose.Calibration ? FinishCalibrationAsync(versionId, cancellationToken) : Task.CompletedTask;

    /// <summary>
    /// When every calibration submission of a version is judged: derives the time limit from the slowest
    /// accepted run (the format's multiplier, rounded up to its resolution) and makes the version current, or marks
    /// it failed, naming the submissions that did not pass. Serialised per version, so whoever ended the last one
    /// finishes it whatever order results arrive in.
    /// </summary>
    private async Task FinishCalibrationAsync(Guid versionId, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtext({versionId.ToString()}))", cancellationToken);
        var version = await db.ProblemVersions.SingleAsync(v => v.Id == versionId, cancellationToken);
        var runs = await db.Submissions.AsNoTracking()
            .Where(s => s.ProblemVersionId == versionId && s.Purpose == SubmissionPurpose.Calibration)
            .Select(s => new { s.Id, s.Language, s.Status, s.Verdict, s.Score, s.PackagePath, s.FailingTest, s.Error })
            .ToListAsync(cancellationToken);
        if (version.Status != VersionStatus.Calibrating || runs.Any(r => r.Status != SubmissionStatus.Done))
        {
            return;
        }

        // A legacy problem whose validator scores states no maximum: its accepted submissions' best score is the full score.
        var scoredByValidator = version.ValidatorScores && version.PackageFormat.StartsWith("legacy", StringComparison.Ordinal);
        var scoring = version.Scoring == ProblemType.Scoring && double.IsFinite(version.MaxScore) && !scoredByValidator;
        var failed = runs.Where(r => r.Verdict != Verdict.Accepted || (scoring && r.Score < version.MaxScore - 1e-9)).ToList();
        if (failed.Count > 0)
        {
            version.Status = VersionStatus.Failed;
            version.StatusMessage = "Accepted submissions of the package did not pass, so no time limit could be derived: " + string.Join("; ", failed.Select(f =>
                $"{f.PackagePath} got {f.Verdict}{(scoring ? $" with score {f.Score}" : "")}{(f.FailingTest is { } t ? $" on test {t}" : "")}{(f.Error is { } e ? $" ({e})" : "")}"));
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return;
        }

        if (scoredByValidator && runs.Max(r => r.Score) is > 0 and var best)
        {
            version.MaxScore = best;
        }

        var ids = runs.Select(r => r.Id).ToList();
        // Normalised times: the limit is a time on the reference host, whichever workers judged these; and per unit
        // of language multiplier, since each language's runs get the limit times its multiplier.
        var slowestPerSubmission = await db.TestResults.Where(r => ids.Contains(r.SubmissionId))
            .GroupBy(r => r.SubmissionId)
            .Select(g => new { SubmissionId = g.Key, CpuMs = g.Max(r => r.NormalizedCpuMs ?? r.CpuMs) })
            .ToListAsync(cancellationToken);
        var multipliers = runs.ToDictionary(r => r.Id, r => LanguageRegistry.Find(r.Language)?.TimeMultiplier ?? 1.0);
        var slowest = (int)Math.Ceiling(slowestPerSubmission.Select(s => s.CpuMs / multipliers[s.SubmissionId]).DefaultIfEmpty(0).Max());
        var limits = new ProblemLimits { TimeMultiplier = version.TimeMultiplier, TimeResolutionMs = version.TimeResolutionMs };
        version.TimeLimitMs = limits.DeriveTimeLimitMs(slowest);
        version.TimeLimitDerived = true;
        version.Status = VersionStatus.Ready;
        var derivation = $"time limit {version.TimeLimitMs} ms derived from the slowest accepted run ({slowest} ms CPU, normalised) × {version.TimeMultiplier}";
        version.StatusMessage = version.StatusMessage is null ? derivation : $"{version.StatusMessage}; {derivation}";
        await db.SaveChangesAsync(cancellationToken);
        // A newer version imported meanwhile stays current.
        await db.Problems
            .Where(p => p.Id == version.ProblemId && (p.CurrentVersionId == null || p.CurrentVersion!.Number < version.Number))
            .ExecuteUpdateAsync(set => set.SetProperty(p => p.CurrentVersionId, versionId), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>A submission ended as judged (or failed): announces it, and its batch, and makes the callbacks they asked for.</summary>
    private async Task AnnounceFinishedAsync(Guid id, Guid? batchId, CancellationToken cancellationToken)
    {
        await AnnounceAsync(id, cancellationToken);
        if (batchId is { } batch)
        {
            await AnnounceAsync(batch, cancellationToken);
        }

        await callbacks.EndedAsync(id, batchId, cancellationToken);
    }

    /// <summary>Delivered by PostgreSQL when the surrounding transaction commits (at once outside one), never before.</summary>
    private Task<int> AnnounceAsync(Guid id, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"SELECT pg_notify({FinishedChannel}, {id.ToString()})", cancellationToken);

    /// <summary>Program output may hold NUL characters, which PostgreSQL text cannot store.</summary>
    private static string? ForText(string? text) => text?.Replace('\0', '\uFFFD');

    private static int QueueMs(ClaimedSubmission claim) => (int)(claim.JudgingStartedAt - claim.CreatedAt).TotalMilliseconds;

    private IQueryable<Submission> Held(ClaimedSubmission claim, string workerId) =>
        db.Submissions.Where(s => s.Id == claim.Id && s.WorkerId == workerId && s.Attempt == claim.Attempt && s.Status == SubmissionStatus.Judging);
}
