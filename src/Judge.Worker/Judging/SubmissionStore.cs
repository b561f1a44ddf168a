using Judge.Data;
using Judge.Data.Problems;
using Judge.Data.Submissions;
using Judge.Grading.Languages;
using Judge.Grading.Problems;
using Judge.Grading.Verdicts;
using Judge.Worker.Telemetry;
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
    Guid Id, int Attempt, Guid ProblemId, string Language, string Source, string Lane, string Purpose, DateTime CreatedAt, DateTime JudgingStartedAt,
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
        using var activity = WorkerActivities.Start("judge.claim", id);
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
            .Include(v => v.TestGroups)
            .Include(v => v.Files)
            .AsSplitQuery()
            .SingleAsync(v => v.Id == submission.ProblemVersionId, cancellationToken);
        WorkerMetrics.Claimed(attempts[0], submission.Lane, submission.Language);
        return new ClaimResult(ClaimStatus.Claimed, new ClaimedSubmission(
            submission.Id, attempts[0], submission.ProblemId, submission.Language, submission.Source, submission.Lane, submission.Purpose,
            submission.CreatedAt, submission.JudgingStartedAt ?? DateTime.UtcNow, version));
    }

    /// <summary>Writes the per-test rows and the final result; false when the claim was lost meanwhile.</summary>
    public async Task<bool> WriteResultAsync(ClaimedSubmission claim, string workerId, JudgeOutcome outcome, CancellationToken cancellationToken)
    {
        using var activity = WorkerActivities.Start("judge.write_result", claim.Id);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var finishedAt = DateTime.UtcNow;
        var updated = await Claimed(claim, workerId).ExecuteUpdateAsync(set => set
            .SetProperty(s => s.Status, SubmissionStatus.Done)
            .SetProperty(s => s.Verdict, outcome.Verdict.ToString())
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
            Verdict = g.Verdict.ToString(),
            Score = g.Score,
            MaxScore = g.MaxScore,
        }));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        WorkerMetrics.ResultWritten(claim, outcome);
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

    /// <summary>
    /// When every calibration submission of a version is judged: derives the time limit from the slowest
    /// accepted run (the format's multiplier, rounded up to its resolution) and makes the version current, or marks
    /// it failed, naming the submissions that did not pass. Serialised per version, so the worker that judged the
    /// last one finishes it whatever order results arrive in.
    /// </summary>
    public async Task FinishCalibrationAsync(Guid versionId, CancellationToken cancellationToken)
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

        var scoring = version.Scoring == "scoring" && double.IsFinite(version.MaxScore);
        var failed = runs.Where(r => r.Verdict != nameof(Verdict.Accepted) || (scoring && r.Score < version.MaxScore - 1e-9)).ToList();
        if (failed.Count > 0)
        {
            version.Status = VersionStatus.Failed;
            version.StatusMessage = "Accepted submissions of the package did not pass, so no time limit could be derived: " + string.Join("; ", failed.Select(f =>
                $"{f.PackagePath} got {f.Verdict}{(scoring ? $" with score {f.Score}" : "")}{(f.FailingTest is { } t ? $" on test {t}" : "")}{(f.Error is { } e ? $" ({e})" : "")}"));
        }
        else
        {
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
            await db.Database.ExecuteSqlAsync($"""
                UPDATE problems SET current_version_id = {versionId}
                WHERE id = {version.ProblemId} AND (current_version_id IS NULL
                   OR (SELECT number FROM problem_versions WHERE id = current_version_id) < {version.Number})
                """, cancellationToken);
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

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
