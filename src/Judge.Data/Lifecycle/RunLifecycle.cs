using Judge.Data.Runs;
using Judge.Data.Storage;
using Judge.Data.Submissions;
using Judge.Grading.Verdicts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Judge.Data.Lifecycle;

/// <summary>How a one-shot run ended, as the worker measured it.</summary>
public sealed record RunOutcome(
    Verdict Verdict, int? ExitCode, int? Signal, byte[]? Stdout, byte[]? Stderr, string? CompileOutput, string? Message, int? CpuMs, int? WallMs,
    long? MemoryBytes, string? VmId, string? Isolation)
{
    /// <summary>The judge failed, not the program: InternalError, with nothing measured.</summary>
    public static RunOutcome Failed(string reason) => new(Verdict.InternalError, null, null, null, null, null, reason, null, null, null, null, null);
}

/// <summary>A run whose claim this worker holds.</summary>
public sealed record ClaimedRun(Run Run)
{
    public Guid Id => Run.Id;

    public int Attempt => Run.Attempt;
}

public sealed record RunClaimResult(ClaimStatus Status, ClaimedRun? Claim = null);

/// <summary>A run the sweeper looks after: one whose command never got through, or whose worker vanished.</summary>
public sealed record StrandedRun(Guid Id, Lane Lane, int Attempt);

/// <summary>
/// The one owner of a run's state after it is made: sent, claimed, finished, failed, abandoned, deleted. As with
/// <see cref="SubmissionLifecycle"/>, a claim is one conditional UPDATE and every later write holds only while the claim does;
/// each costs one statement, since a run is a small job and its clients send many. Whoever waits hears of its end on
/// <see cref="FinishedChannel"/>.
/// </summary>
public sealed class RunLifecycle(JudgeDbContext db, IOptions<SubmissionLifecycleOptions> options)
{
    /// <summary>The PostgreSQL channel on which every run that ends is announced (its id), when the write commits.</summary>
    public const string FinishedChannel = "judge_run_finished";

    private static readonly string Queued = nameof(RunStatus.Queued);
    private static readonly string Running = nameof(RunStatus.Running);
    private static readonly string Done = nameof(RunStatus.Done);

    private readonly int _maxAttempts = options.Value.MaxAttempts;

    /// <summary>
    /// Stores a new run, written by hand rather than through the change tracker: a run is inserted once and never updated
    /// through the context, and the tracker's work was a measurable part of a facade's request.
    /// </summary>
    public Task CreateAsync(Run run, CancellationToken cancellationToken) => db.Database.ExecuteSqlAsync($"""
        INSERT INTO runs (id, api_key_id, facade, language, files, entry_point, stdin, expected_output, syntax_check, compile_args, link_args,
            interpreter_args, run_args, cpu_limit_ms, wall_limit_ms, memory_limit_bytes, address_space_bytes, stack_bytes, file_size_bytes,
            max_processes, output_limit_bytes, output_limit_kills, lane, status, attempt, callback_url, facade_request, created_at, published_at)
        VALUES ({run.Id}, {run.ApiKeyId}, {StoredName.Of(run.Facade)}, {run.Language}, CAST({JudgeDbContext.FilesToJson(run.Files)} AS jsonb),
            {run.EntryPoint}, {run.Stdin}, {run.ExpectedOutput}, {run.SyntaxCheck}, {run.CompileArgs}, {run.LinkArgs}, {run.InterpreterArgs},
            {run.RunArgs}, {run.CpuLimitMs}, {run.WallLimitMs}, {run.MemoryLimitBytes}, {run.AddressSpaceBytes}, {run.StackBytes},
            {run.FileSizeBytes}, {run.MaxProcesses}, {run.OutputLimitBytes}, {run.OutputLimitKills}, {StoredName.Of(run.Lane)},
            {run.Status.ToString()}, {run.Attempt}, {run.CallbackUrl}, CAST({run.FacadeRequest} AS jsonb), {run.CreatedAt}, {run.PublishedAt})
        """, cancellationToken);

    /// <summary>The run as stored; null when there is none (deleted by retention).</summary>
    public Task<Run?> FindAsync(Guid id, CancellationToken cancellationToken) => ReadRun(db, id, cancellationToken);

    // Compiled once: the facades read a run per request, and translating the same LINQ each time was a measurable part of one.
    private static readonly Func<JudgeDbContext, Guid, CancellationToken, Task<Run?>> ReadRun = EF.CompileAsyncQuery(
        (JudgeDbContext db, Guid id, CancellationToken _) => db.Runs.AsNoTracking().SingleOrDefault(r => r.Id == id));

    /// <summary>Records that the broker confirmed the run's command (again: a run is made as sent, see <see cref="MarkUnsentAsync"/>).</summary>
    public Task MarkSentAsync(Guid id, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"UPDATE runs SET published_at = now() WHERE id = {id}", cancellationToken);

    /// <summary>The run's command did not get through: the sweeper sends it.</summary>
    public Task MarkUnsentAsync(Guid id, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"UPDATE runs SET published_at = NULL WHERE id = {id} AND status = {Queued}", cancellationToken);

    /// <summary>Claims the run for <paramref name="workerId"/>: queued, or its lease run out, or held by this worker already.</summary>
    public async Task<RunClaimResult> TryClaimAsync(Guid id, string workerId, TimeSpan lease, CancellationToken cancellationToken)
    {
        var claimed = await db.Runs.FromSql($"""
            UPDATE runs SET status = {Running}, worker_id = {workerId}, attempt = attempt + 1, lease_expires_at = now() + {lease},
                started_at = now()
            WHERE id = {id} AND (status = {Queued} OR (status = {Running} AND (lease_expires_at < now() OR worker_id = {workerId})))
            RETURNING *
            """).AsNoTracking().ToListAsync(cancellationToken);
        if (claimed is [var run])
        {
            if (run.Attempt > _maxAttempts)
            {
                await FailAsync(new ClaimedRun(run), workerId,
                    $"Gave up after {run.Attempt - 1} attempts: each ended without a result (worker lost or sandbox failure).", cancellationToken);
                return new RunClaimResult(ClaimStatus.GaveUp, new ClaimedRun(run));
            }

            return new RunClaimResult(ClaimStatus.Claimed, new ClaimedRun(run));
        }

        var status = await db.Runs.AsNoTracking().Where(r => r.Id == id).Select(r => (RunStatus?)r.Status).SingleOrDefaultAsync(cancellationToken);
        return new RunClaimResult(status switch
        {
            null => ClaimStatus.NotFound,
            RunStatus.Done => ClaimStatus.AlreadyDone,
            _ => ClaimStatus.HeldElsewhere,
        });
    }

    /// <summary>Writes the result and announces it; false when the claim was lost meanwhile.</summary>
    public Task<bool> FinishAsync(ClaimedRun claim, string workerId, RunOutcome outcome, CancellationToken cancellationToken) =>
        EndAsync(claim.Id, workerId, claim.Attempt, outcome, cancellationToken);

    /// <summary>Ends a run the worker holds as InternalError: the judge failed, not the program.</summary>
    public Task<bool> FailAsync(ClaimedRun claim, string workerId, string reason, CancellationToken cancellationToken) =>
        EndAsync(claim.Id, workerId, claim.Attempt, RunOutcome.Failed(reason), cancellationToken);

    /// <summary>Extends the leases of the runs this worker is running; returns how many it still holds.</summary>
    public Task<int> RenewLeasesAsync(IReadOnlyCollection<Guid> ids, string workerId, TimeSpan lease, CancellationToken cancellationToken) =>
        db.Runs.Where(r => ids.Contains(r.Id) && r.WorkerId == workerId && r.Status == RunStatus.Running)
            .ExecuteUpdateAsync(set => set.SetProperty(r => r.LeaseExpiresAt, _ => DateTime.UtcNow + lease), cancellationToken);

    /// <summary>
    /// Queued runs whose command did not get through: marked unsent for longer than <paramref name="unsentFor"/>, or sent (as
    /// the API meant to) longer than <paramref name="queuedFor"/> ago and still waiting, the API having died before it sent.
    /// A command merely slow in a long queue is sent twice at worst, which its claim makes harmless.
    /// </summary>
    public Task<List<StrandedRun>> FindUnsentAsync(TimeSpan unsentFor, TimeSpan queuedFor, int limit, CancellationToken cancellationToken) =>
        db.Runs.AsNoTracking()
            .Where(r => r.Status == RunStatus.Queued
                && ((r.PublishedAt == null && r.CreatedAt < DateTime.UtcNow - unsentFor) || r.PublishedAt < DateTime.UtcNow - queuedFor))
            .OrderBy(r => r.CreatedAt).Take(limit)
            .Select(r => new StrandedRun(r.Id, r.Lane, r.Attempt)).ToListAsync(cancellationToken);

    /// <summary>Running runs whose lease ran out more than <paramref name="age"/> ago and whose command was not sent again since.</summary>
    public Task<List<StrandedRun>> FindAbandonedAsync(TimeSpan age, int limit, CancellationToken cancellationToken) =>
        db.Runs.AsNoTracking()
            .Where(r => r.Status == RunStatus.Running && r.LeaseExpiresAt < DateTime.UtcNow - age
                && (r.PublishedAt == null || r.PublishedAt < DateTime.UtcNow - age))
            .OrderBy(r => r.CreatedAt).Take(limit)
            .Select(r => new StrandedRun(r.Id, r.Lane, r.Attempt)).ToListAsync(cancellationToken);

    public bool IsExhausted(StrandedRun stranded) => stranded.Attempt >= _maxAttempts;

    /// <summary>Ends an abandoned run as InternalError, unless a worker took it over meanwhile (its lease holds again).</summary>
    public Task<bool> AbandonAsync(Guid id, string reason, CancellationToken cancellationToken) =>
        EndAsync(id, null, null, RunOutcome.Failed(reason), cancellationToken);

    /// <summary>Runs not yet taken by any worker: the facades' measure of overload.</summary>
    public Task<int> CountQueuedAsync(CancellationToken cancellationToken) =>
        db.Runs.CountAsync(r => r.Status == RunStatus.Queued, cancellationToken);

    /// <summary>Retention: runs of <paramref name="facade"/> that ended before <paramref name="cutoff"/>, up to <paramref name="limit"/>.</summary>
    public Task<int> DeleteEndedBeforeAsync(RunFacade facade, DateTime cutoff, int limit, CancellationToken cancellationToken) =>
        db.Runs.Where(r => r.Status == RunStatus.Done && r.Facade == facade && r.FinishedAt < cutoff)
            .OrderBy(r => r.FinishedAt).Take(limit)
            .ExecuteDeleteAsync(cancellationToken);

    /// <summary>
    /// The end of a run, in one statement: the result while <paramref name="workerId"/>'s claim (attempt <paramref name="attempt"/>)
    /// holds, or, with no worker, once the lease has run out; its callback, if it asked for one; and both announced when it
    /// commits. The pg_notify calls sit in WHERE clauses only so that they run once per row written.
    /// </summary>
    private async Task<bool> EndAsync(Guid id, string? workerId, int? attempt, RunOutcome outcome, CancellationToken cancellationToken)
    {
        var ended = await db.Database.SqlQuery<int>($"""
            WITH done AS (
                UPDATE runs SET status = {Done}, verdict = {outcome.Verdict.ToString()}, exit_code = {outcome.ExitCode}, signal = {outcome.Signal},
                    stdout = {outcome.Stdout}, stderr = {outcome.Stderr}, compile_output = {ForText(outcome.CompileOutput)},
                    message = {ForText(outcome.Message)}, cpu_ms = {outcome.CpuMs}, wall_ms = {outcome.WallMs}, memory_bytes = {outcome.MemoryBytes},
                    vm_id = {outcome.VmId}, isolation = {outcome.Isolation}, lease_expires_at = NULL, finished_at = now()
                WHERE id = {id} AND status = {Running}
                  AND (({workerId}::text IS NULL AND lease_expires_at < now()) OR (worker_id = {workerId} AND attempt = {attempt}))
                RETURNING id, callback_url),
            made AS (
                INSERT INTO callbacks (id, run_id, url, next_attempt_at)
                SELECT gen_random_uuid(), id, callback_url, now() FROM done WHERE callback_url IS NOT NULL
                ON CONFLICT DO NOTHING RETURNING id)
            SELECT (SELECT count(*) FROM done WHERE pg_notify({FinishedChannel}, id::text)::text = '')::int
                 + 0 * (SELECT count(*) FROM made WHERE pg_notify({CallbackLedger.DueChannel}, id::text)::text = '')::int AS "Value"
            """).ToListAsync(cancellationToken);
        return ended is [> 0];
    }

    /// <summary>Program output may hold NUL characters, which PostgreSQL text cannot store.</summary>
    private static string? ForText(string? text) => text?.Replace('\0', '\uFFFD');
}
