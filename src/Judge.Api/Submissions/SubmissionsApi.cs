using Judge.Api.Auth;
using Judge.Api.Callbacks;
using Judge.Api.Commands;
using Judge.Api.Problems;
using Judge.Api.Validation;
using Judge.Data;
using Judge.Data.Storage;
using Judge.Data.Submissions;
using Judge.Grading.Languages;
using Judge.Grading.Verdicts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Judge.Api.Submissions;

public sealed record CreateSubmissionRequest(
    string? Problem, string? Language, string? Source, string? Priority, string? CallbackUrl = null, IReadOnlyList<SubmissionFileRequest?>? Files = null,
    string? EntryPoint = null);

/// <summary>One file of a multi-file submission: a plain name (no directories) and its text, or its bytes in base64 (any file, binary too).</summary>
public sealed record SubmissionFileRequest(string? Name, string? Content, string? ContentBase64 = null);

public sealed record SubmissionAccepted(Guid Id, string Status, string Location);

public sealed record ProblemRef(Guid Id, string Slug, int Version);

public sealed record SubmissionTimings(int? QueueMs, int? SetupMs, int? BootMs, int? CompileMs, int? ExecuteMs, int? TotalMs, bool? WarmPoolHit);

/// <summary>One test: <see cref="CpuMs"/> as measured by the judging worker, <see cref="NormalizedCpuMs"/> as on the reference host.</summary>
public sealed record TestResultResponse(
    int Ordinal, string Name, string Group, string Verdict, double? Score, int CpuMs, int? NormalizedCpuMs, int WallMs, long MemoryBytes, int? ExitCode, int? Signal,
    string? CheckerMessage, string? OutputExcerpt);

public sealed record GroupResultResponse(string Name, string Verdict, double Score, double MaxScore);

public sealed record SubmissionResponse(
    Guid Id, ProblemRef Problem, string Language, string Priority, string Purpose, string? PackagePath, string Status, string? Verdict,
    double? Score, double? MaxScore, int? FailingTest, string? CompileOutput, string? Error, int Attempt, string? Worker, string? VmId,
    string? Isolation, double? SpeedFactor, int? CpuLimitMs, SubmissionTimings Timings, DateTime CreatedAt, DateTime? FinishedAt, string? CallbackUrl,
    IReadOnlyList<GroupResultResponse>? Groups, IReadOnlyList<TestResultResponse>? Tests);

public sealed record SubmissionPage(IReadOnlyList<SubmissionResponse> Items, int Page, int PageSize, int Total);

public static class SubmissionsApi
{

    public static RouteGroupBuilder MapSubmissionsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/submissions").WithTags("Submissions").RequireAuthorization();
        group.MapPost("/", CreateAsync).WithSummary("Submit source code; judged asynchronously. Read the Location for the result (?wait= to wait for it), or name a callbackUrl to be sent it.");
        group.MapGet("/{id:guid}", GetAsync).WithSummary(
            "One submission with its per-test results and timings; with ?wait=N (seconds, at most 60) it answers as soon as the submission is done, or after N seconds with its state then.");
        group.MapGet("/", ListAsync).WithSummary("Submissions, newest first; a key sees its own, an admin key all.");
        return group;
    }

    private static async Task<Results<Accepted<SubmissionAccepted>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        CreateSubmissionRequest request, HttpContext http, JudgeDbContext db, JudgeCommandSender sender, IOptions<ApiOptions> options,
        ApiMetrics metrics, IOptions<CallbackOptions> callbacks, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        var errors = new ValidationErrors();
        errors.Required("problem", request.Problem);
        if (errors.Required("language", request.Language) && LanguageRegistry.Find(request.Language!) is null)
        {
            errors.Add("language", $"Unknown language '{request.Language}'. Known: {string.Join(", ", LanguageRegistry.All.Select(l => l.Id))}.");
        }

        var files = SubmissionFiles.Check(errors, request.Source, request.Files, request.EntryPoint, options.Value.MaxSourceBytes);

        var lane = Lane.Interactive;
        if (request.Priority is not null && !StoredName.TryParse(request.Priority, out lane))
        {
            errors.Add("priority", $"'priority' must be one of {string.Join(", ", StoredName.All<Lane>().Select(l => $"'{l}'"))}; got '{request.Priority}'.");
        }

        await CallbackUrls.CheckAsync(errors, "callbackUrl", request.CallbackUrl, caller.KeyId, db, callbacks.Value, cancellationToken);

        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var (problem, refusal) = await ProblemsApi.FindJudgeableAsync(db, request.Problem!, cancellationToken);
        if (problem is null)
        {
            return refusal!;
        }

        var submission = new Submission
        {
            Id = Guid.CreateVersion7(),
            ApiKeyId = caller.KeyId,
            ProblemId = problem.Id,
            ProblemVersionId = problem.VersionId,
            Language = LanguageRegistry.Get(request.Language!).Id,
            Source = files is null ? request.Source! : SubmissionFiles.EntryPoint(LanguageRegistry.Get(request.Language!), files, request.EntryPoint).Text,
            Files = files,
            EntryPoint = files is null ? null : request.EntryPoint,
            Lane = lane,
            CallbackUrl = request.CallbackUrl,
            CreatedAt = DateTime.UtcNow,
        };
        db.Submissions.Add(submission);
        await db.SaveChangesAsync(cancellationToken);
        metrics.Received(submission.Lane, submission.Language);

        // After the commit: a send that fails leaves the submission unpublished for the sweeper, never lost.
        await sender.SendAsync(submission.Id, submission.Lane, cancellationToken);
        var location = $"/api/submissions/{submission.Id}";
        return TypedResults.Accepted(location, new SubmissionAccepted(submission.Id, submission.Status.ToString(), location));
    }

    private static async Task<Results<Ok<SubmissionResponse>, ValidationProblem, ProblemHttpResult>> GetAsync(
        Guid id, int? wait, HttpContext http, JudgeDbContext db, SubmissionWaiters waiters, CancellationToken cancellationToken)
    {
        if (SubmissionWaiters.WaitErrors(wait) is { Any: true } errors)
        {
            return errors.ToProblem();
        }

        var caller = Caller.From(http.User);
        var submission = await waiters.ReadUntilEndedAsync(id, wait,
            () => WithResults(Visible(db, caller)).SingleOrDefaultAsync(s => s.Id == id, cancellationToken),
            read => read is not { Status: SubmissionStatus.Queued or SubmissionStatus.Judging }, cancellationToken);
        if (submission is null)
        {
            // Another key's submission is reported as missing, not forbidden: its existence is not the caller's business.
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown submission",
                detail: $"There is no submission {id} for this API key.");
        }

        return TypedResults.Ok(await DescribeAsync(db, submission, cancellationToken));
    }

    /// <summary>The whole of a submission read with its test and group results, as GET answers it and its callback reports it.</summary>
    public static async Task<SubmissionResponse> DescribeAsync(JudgeDbContext db, Submission submission, CancellationToken cancellationToken)
    {
        var problem = await db.ProblemVersions.AsNoTracking().Where(v => v.Id == submission.ProblemVersionId)
            .Select(v => new ProblemRef(v.ProblemId, v.Problem!.Slug, v.Number)).SingleAsync(cancellationToken);
        var groupNames = await db.TestGroups.AsNoTracking().Where(g => g.ProblemVersionId == submission.ProblemVersionId)
            .ToDictionaryAsync(g => g.Id, g => g.Name, cancellationToken);
        var cases = await db.TestCases.AsNoTracking().Where(t => t.ProblemVersionId == submission.ProblemVersionId)
            .ToDictionaryAsync(t => t.Id, t => new { t.Name, t.GroupId }, cancellationToken);
        var tests = submission.TestResults.OrderBy(r => r.Ordinal).Select(r => new TestResultResponse(
            r.Ordinal, cases.GetValueOrDefault(r.TestCaseId)?.Name ?? "", groupNames.GetValueOrDefault(cases.GetValueOrDefault(r.TestCaseId)?.GroupId ?? Guid.Empty, ""),
            r.Verdict.ToString(), r.Score, r.CpuMs, r.NormalizedCpuMs, r.WallMs, r.MemoryBytes, r.ExitCode, r.Signal, r.CheckerMessage, r.OutputExcerpt)).ToList();
        var groups = submission.GroupResults
            .Select(g => new GroupResultResponse(groupNames.GetValueOrDefault(g.GroupId, ""), g.Verdict.ToString(), g.Score, g.MaxScore))
            .OrderBy(g => g.Name, StringComparer.Ordinal).ToList();
        return ToResponse(submission, problem, groups, tests);
    }

    /// <summary>A submission with what <see cref="DescribeAsync"/> needs of it.</summary>
    public static IQueryable<Submission> WithResults(IQueryable<Submission> submissions) =>
        submissions.Include(s => s.TestResults).Include(s => s.GroupResults).AsSplitQuery();

    private static async Task<Results<Ok<SubmissionPage>, ValidationProblem>> ListAsync(
        HttpContext http, JudgeDbContext db, string? problem, string? verdict, string? status, int? page, int? pageSize,
        CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        errors.Text("problem", problem);
        Verdict? verdictWanted = null;
        if (verdict is not null && Enum.GetNames<Verdict>().Contains(verdict, StringComparer.Ordinal))
        {
            verdictWanted = Enum.Parse<Verdict>(verdict);
        }
        else if (verdict is not null)
        {
            errors.Add("verdict", $"Unknown verdict '{verdict}'. Known: {string.Join(", ", Enum.GetNames<Verdict>())}.");
        }

        SubmissionStatus? statusWanted = null;
        if (status is not null && Enum.GetNames<SubmissionStatus>().Contains(status, StringComparer.Ordinal))
        {
            statusWanted = Enum.Parse<SubmissionStatus>(status);
        }
        else if (status is not null)
        {
            errors.Add("status", $"'status' must be {string.Join(", ", Enum.GetNames<SubmissionStatus>())}; got '{status}'.");
        }

        if (page is < 1)
        {
            errors.Add("page", $"'page' starts at 1; got {page}.");
        }

        if (pageSize is < 1 or > 100)
        {
            errors.Add("pageSize", $"'pageSize' must be between 1 and 100; got {pageSize}.");
        }

        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var query = Visible(db, Caller.From(http.User));
        if (problem is not null)
        {
            query = Guid.TryParse(problem, out var problemId)
                ? query.Where(s => s.ProblemId == problemId)
                : query.Where(s => db.Problems.Any(p => p.Id == s.ProblemId && p.Slug == problem));
        }

        if (verdictWanted is not null)
        {
            query = query.Where(s => s.Verdict == verdictWanted);
        }

        if (statusWanted is not null)
        {
            query = query.Where(s => s.Status == statusWanted);
        }

        var size = pageSize ?? 20;
        var number = page ?? 1;
        var total = await query.CountAsync(cancellationToken);
        var rows = await query.OrderByDescending(s => s.CreatedAt).ThenByDescending(s => s.Id)
            .Skip((number - 1) * size).Take(size)
            .Join(db.ProblemVersions, s => s.ProblemVersionId, v => v.Id, (s, v) => new { Submission = s, Problem = new ProblemRef(v.ProblemId, v.Problem!.Slug, v.Number) })
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(new SubmissionPage([.. rows.Select(r => ToResponse(r.Submission, r.Problem, null, null))], number, size, total));
    }

    private static IQueryable<Submission> Visible(JudgeDbContext db, Caller caller) =>
        caller.IsAdmin ? db.Submissions.AsNoTracking() : db.Submissions.AsNoTracking().Where(s => s.ApiKeyId == caller.KeyId);

    private static SubmissionResponse ToResponse(
        Submission s, ProblemRef problem, IReadOnlyList<GroupResultResponse>? groups, IReadOnlyList<TestResultResponse>? tests) => new(
        s.Id, problem, s.Language, StoredName.Of(s.Lane), StoredName.Of(s.Purpose), s.PackagePath, s.Status.ToString(), s.Verdict?.ToString(), s.Score, s.MaxScore, s.FailingTest, s.CompileOutput,
        s.Error, s.Attempt, s.WorkerId, s.VmId, s.Isolation, s.SpeedFactor, s.CpuLimitMs,
        new SubmissionTimings(s.QueueMs, s.SetupMs, s.BootMs, s.CompileMs, s.ExecuteMs, s.TotalMs, s.WarmPoolHit),
        s.CreatedAt, s.FinishedAt, s.CallbackUrl, groups, tests);
}
