using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Judge.Api.Auth;
using Judge.Api.Validation;
using Judge.Data;
using Judge.Data.Problems;
using Judge.Data.Storage;
using Judge.Grading.Checkers;
using Judge.Grading.Packages;
using Judge.Grading.Problems;
using Judge.Grading.Runs;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Judge.Api.Problems;

public sealed record TestCaseRequest(string? Name, string? Input, string? Answer, bool Sample = false);

public sealed record CreateProblemRequest(
    string? Slug, string? Title, int? TimeLimitMs, int? MemoryLimitMb, int? OutputLimitKb, string? ValidatorFlags,
    IReadOnlyList<TestCaseRequest>? Tests);

public sealed record SampleResponse(string Name, string Input, string Answer);

/// <summary>The newest version when it is not (yet) the current one: still calibrating, or failed.</summary>
public sealed record PendingVersion(int Version, string Status, string? StatusMessage);

public sealed record ProblemResponse(
    Guid Id, string Slug, string Title, int? Version, string Status, string? StatusMessage, string Type, string Format, int? TimeLimitMs,
    bool TimeLimitDerived, int MemoryLimitMb, int OutputLimitKb, string Checker, string ValidatorFlags, bool Interactive, int ValidationPasses,
    double MaxScore, int TestCount, IReadOnlyList<SampleResponse> Samples, PendingVersion? Pending, DateTime CreatedAt);

/// <summary>A problem that takes submissions, and the version they are judged against.</summary>
public sealed record JudgeableProblem(Guid Id, string Slug, Guid VersionId, int VersionNumber);

public static partial class ProblemsApi
{
    public const int MaxTests = 500;

    public const long MaxPackageBytes = 256L << 20;

    public static RouteGroupBuilder MapProblemsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/problems").WithTags("Problems").RequireAuthorization();
        group.MapPost("/", CreateAsync).RequireAuthorization(ApiKeyDefaults.AdminPolicy)
            .Accepts<CreateProblemRequest>("application/json", "application/zip")
            .WithMetadata(new RequestSizeLimitAttribute(MaxPackageBytes))
            .WithSummary("Create a problem from JSON, or import a Kattis problem package as a zip (?slug=, else the zip's folder name). " +
                "The same slug again makes a new immutable version; the same package again makes none.");
        group.MapGet("/", ListAsync).WithSummary("All problems with their current version.");
        group.MapGet("/{problem}", GetAsync).WithSummary("One problem by slug or id.");
        return group;
    }

    private static async Task<Results<Created<ProblemResponse>, Accepted<ProblemResponse>, Ok<ProblemResponse>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        HttpRequest request, string? slug, JudgeDbContext db, ProblemImporter importer, CancellationToken cancellationToken)
    {
        ProblemDefinition definition;
        byte[]? packageHash = null;
        string? title = null;
        if (request.HasJsonContentType())
        {
            CreateProblemRequest? body;
            try
            {
                body = await request.ReadFromJsonAsync<CreateProblemRequest>(cancellationToken);
            }
            catch (JsonException e)
            {
                var field = e.Path is { Length: > 2 } path ? path.TrimStart('$', '.') : "body";
                var errors = new ValidationErrors();
                errors.Add(field, e.Message);
                return errors.ToProblem();
            }

            var validation = Validate(body ?? new CreateProblemRequest(null, null, null, null, null, null, null));
            if (validation.Any)
            {
                return validation.ToProblem();
            }

            (slug, title, definition) = (body!.Slug, body.Title, ToDefinition(body));
        }
        else
        {
            try
            {
                using var buffer = new MemoryStream();
                await request.Body.CopyToAsync(buffer, cancellationToken);
                buffer.Position = 0;
                var (files, folder) = PackageFiles.FromZip(buffer);
                slug ??= folder;
                definition = ProblemPackageReader.Read(files);
                packageHash = files.Sha256();
            }
            catch (PackageException e)
            {
                return PackageProblem(e);
            }

            var errors = new ValidationErrors();
            if (errors.Required("slug", slug) && !SlugPattern().IsMatch(slug!))
            {
                errors.Add("slug", $"'slug' must be 1-64 characters of a-z, 0-9 and '-', starting with a letter or digit; got '{slug}'. Pass ?slug=.");
            }

            if (errors.Any)
            {
                return errors.ToProblem();
            }
        }

        ImportResult imported;
        try
        {
            imported = await importer.ImportAsync(slug!, title, definition, packageHash, Caller.From(request.HttpContext.User).KeyId, cancellationToken);
        }
        catch (PackageException e)
        {
            return PackageProblem(e);
        }

        var response = await LoadAsync(db, imported.Problem.Id, cancellationToken);
        var location = $"/api/problems/{imported.Problem.Slug}";
        return !imported.Created ? TypedResults.Ok(response!)
            : imported.Version.Status == VersionStatus.Calibrating ? TypedResults.Accepted(location, response!)
            : TypedResults.Created(location, response!);
    }

    private static async Task<Ok<List<ProblemResponse>>> ListAsync(JudgeDbContext db, CancellationToken cancellationToken)
    {
        var ids = await db.Problems.AsNoTracking().OrderBy(p => p.Slug).Select(p => p.Id).ToListAsync(cancellationToken);
        var problems = new List<ProblemResponse>();
        foreach (var id in ids)
        {
            problems.Add((await LoadAsync(db, id, cancellationToken, withSamples: false))!);
        }

        return TypedResults.Ok(problems);
    }

    private static async Task<Results<Ok<ProblemResponse>, ProblemHttpResult>> GetAsync(string problem, JudgeDbContext db, CancellationToken cancellationToken)
    {
        var id = await Find(db.Problems.AsNoTracking(), problem).Select(p => (Guid?)p.Id).SingleOrDefaultAsync(cancellationToken);
        return id is { } found && await LoadAsync(db, found, cancellationToken) is { } response ? TypedResults.Ok(response) : NotFound(problem);
    }

    /// <summary>A problem with its current version (samples included) and its newest version if that is not current.</summary>
    private static async Task<ProblemResponse?> LoadAsync(JudgeDbContext db, Guid id, CancellationToken cancellationToken, bool withSamples = true)
    {
        var problem = await db.Problems.AsNoTracking().SingleOrDefaultAsync(p => p.Id == id, cancellationToken);
        if (problem is null)
        {
            return null;
        }

        var versions = db.ProblemVersions.AsNoTracking().Where(v => v.ProblemId == id);
        var current = problem.CurrentVersionId is { } currentId ? await versions.SingleAsync(v => v.Id == currentId, cancellationToken) : null;
        var newest = await versions.OrderByDescending(v => v.Number).FirstAsync(cancellationToken);
        var shown = current ?? newest;
        var tests = await db.TestCases.AsNoTracking().Where(t => t.ProblemVersionId == shown.Id).OrderBy(t => t.Ordinal).ToListAsync(cancellationToken);
        var samples = new List<SampleResponse>();
        foreach (var test in withSamples ? tests.Where(t => t.IsSample) : [])
        {
            var files = await db.TestFiles.AsNoTracking()
                .Where(f => f.Sha256 == test.InputSha256 || f.Sha256 == test.AnswerSha256)
                .ToDictionaryAsync(f => Convert.ToHexString(f.Sha256), f => Encoding.UTF8.GetString(f.Content), cancellationToken);
            samples.Add(new SampleResponse(test.Name, files[Convert.ToHexString(test.InputSha256)], files[Convert.ToHexString(test.AnswerSha256)]));
        }

        var pending = newest.Id != current?.Id ? new PendingVersion(newest.Number, StoredName.Of(newest.Status), newest.StatusMessage) : null;
        return new ProblemResponse(
            problem.Id, problem.Slug, problem.Title, current?.Number, StoredName.Of(shown.Status), shown.StatusMessage, StoredName.Of(shown.Scoring), shown.PackageFormat, shown.TimeLimitMs,
            shown.TimeLimitDerived, (int)(shown.MemoryLimitBytes >> 20), (int)(shown.OutputLimitBytes >> 10), StoredName.Of(shown.Checker), shown.ValidatorFlags,
            shown.Interactive, shown.ValidationPasses, shown.MaxScore, tests.Count, samples, pending, problem.CreatedAt);
    }

    /// <summary>The problem named by its id or slug; a name that is neither matches none (and never reaches the database).</summary>
    public static IQueryable<Problem> Find(IQueryable<Problem> problems, string slugOrId) =>
        Guid.TryParse(slugOrId, out var id) ? problems.Where(p => p.Id == id)
        : SlugPattern().IsMatch(slugOrId) ? problems.Where(p => p.Slug == slugOrId)
        : problems.Where(p => false);

    /// <summary>
    /// The problem named, with its current version, for a submission or a batch; or why it cannot take one: it is unknown
    /// (404), or it has no judgeable version yet (409, while its time limit is being derived).
    /// </summary>
    public static async Task<(JudgeableProblem? Problem, ProblemHttpResult? Refusal)> FindJudgeableAsync(
        JudgeDbContext db, string problem, CancellationToken cancellationToken)
    {
        var found = await Find(db.Problems.AsNoTracking(), problem)
            .Select(p => new { p.Id, p.Slug, p.CurrentVersionId, Number = (int?)p.CurrentVersion!.Number }).SingleOrDefaultAsync(cancellationToken);
        if (found is null)
        {
            return (null, NotFound(problem));
        }

        return found is { CurrentVersionId: { } version, Number: { } number }
            ? (new JudgeableProblem(found.Id, found.Slug, version, number), null)
            : (null, TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The problem is not ready",
                detail: $"Problem '{problem}' has no judgeable version yet: its time limit is being derived from its accepted submissions."));
    }

    public static ProblemHttpResult NotFound(string problem) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown problem", detail: $"There is no problem '{problem}'.");

    /// <summary>The JSON form: a pass-fail problem with the default validator; samples first, then the secret tests.</summary>
    private static ProblemDefinition ToDefinition(CreateProblemRequest request)
    {
        var tests = request.Tests!.Select((t, i) => new TestCaseData(
            $"{(t.Sample ? "sample" : "secret")}/{(string.IsNullOrWhiteSpace(t.Name) ? $"test-{i + 1}" : t.Name)}",
            Encoding.UTF8.GetBytes(t.Input!), Encoding.UTF8.GetBytes(t.Answer!), t.Sample)).ToList();
        var groups = new List<TestNode>();
        foreach (var (name, sample) in new[] { ("data/sample", true), ("data/secret", false) })
        {
            var members = tests.Where(t => t.IsSample == sample).ToList<TestNode>();
            if (members.Count > 0)
            {
                groups.Add(new TestGroup<TestCaseData>(name, GroupSettings.PassFail, members));
            }
        }

        var limits = new ProblemLimits
        {
            TimeLimitMs = request.TimeLimitMs,
            MemoryBytes = request.MemoryLimitMb!.Value * 1024L * 1024,
            OutputBytes = (request.OutputLimitKb ?? 8192) * 1024L,
        };
        var flags = string.Join(' ', (request.ValidatorFlags ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return new ProblemDefinition(request.Title!, "json", ProblemType.PassFail, limits, flags, OutputValidator.Default, false,
            new TestGroup<TestCaseData>("data", GroupSettings.PassFail, groups), [], []);
    }

    /// <summary>A broken package: 400, naming the file (and line) in the detail and in errors.</summary>
    private static ProblemHttpResult PackageProblem(PackageException e) =>
        TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The problem package is not valid", detail: e.Message,
            extensions: new Dictionary<string, object?>
            {
                ["file"] = e.File,
                ["line"] = e.Line,
                ["errors"] = new Dictionary<string, string[]> { [e.Line is null ? e.File : $"{e.File}:{e.Line}"] = [e.Problem] },
            });

    private static ValidationErrors Validate(CreateProblemRequest request)
    {
        var errors = new ValidationErrors();
        if (errors.Required("slug", request.Slug) && !SlugPattern().IsMatch(request.Slug!))
        {
            errors.Add("slug", "'slug' must be 1-64 characters of a-z, 0-9 and '-', starting with a letter or digit.");
        }

        errors.Required("title", request.Title);
        errors.Range("timeLimitMs", request.TimeLimitMs, 1, 60_000, "ms");
        errors.Range("memoryLimitMb", request.MemoryLimitMb, 16, SandboxCaps.MemoryBytes >> 20, "MiB");
        if (request.OutputLimitKb is not null)
        {
            errors.Range("outputLimitKb", request.OutputLimitKb, 1, SandboxCaps.CapturedOutputBytes >> 10, "KiB");
        }

        if (!DefaultValidatorFlags.TryParse(request.ValidatorFlags, out _, out var flagError))
        {
            errors.Add("validatorFlags", flagError);
        }

        if (request.Tests is not { Count: > 0 })
        {
            errors.Add("tests", "'tests' must hold at least one test case.");
        }
        else if (request.Tests.Count > MaxTests)
        {
            errors.Add("tests", $"'tests' may hold at most {MaxTests} test cases; got {request.Tests.Count}.");
        }
        else
        {
            for (var i = 0; i < request.Tests.Count; i++)
            {
                if (request.Tests[i] is not { } test)
                {
                    errors.Add($"tests[{i}]", $"'tests[{i}]' is null.");
                    continue;
                }

                errors.Text($"tests[{i}].name", test.Name);
                if (test.Input is null)
                {
                    errors.Add($"tests[{i}].input", $"'tests[{i}].input' is required (it may be empty).");
                }

                if (test.Answer is null)
                {
                    errors.Add($"tests[{i}].answer", $"'tests[{i}].answer' is required (it may be empty).");
                }
            }
        }

        return errors;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,63}$")]
    private static partial Regex SlugPattern();
}
