using System.Text;
using System.Text.RegularExpressions;
using Judge.Api.Auth;
using Judge.Api.Validation;
using Judge.Data;
using Judge.Data.Problems;
using Judge.Grading.Checkers;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Judge.Api.Problems;

public sealed record TestCaseRequest(string? Name, string? Input, string? Answer, bool Sample = false);

public sealed record CreateProblemRequest(
    string? Slug, string? Title, int? TimeLimitMs, int? MemoryLimitMb, int? OutputLimitKb, string? ValidatorFlags,
    IReadOnlyList<TestCaseRequest>? Tests);

public sealed record SampleResponse(string Name, string Input, string Answer);

public sealed record ProblemResponse(
    Guid Id, string Slug, string Title, int Version, int TimeLimitMs, int MemoryLimitMb, int OutputLimitKb, string ValidatorFlags,
    int TestCount, IReadOnlyList<SampleResponse> Samples, DateTime CreatedAt);

public static partial class ProblemsApi
{
    public const int MaxTests = 500;

    /// <summary>Run limits must leave room for the guest's own kernel and agent inside a 1 GiB VM.</summary>
    public const int MaxMemoryLimitMb = 768;

    public static RouteGroupBuilder MapProblemsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/problems").WithTags("Problems").RequireAuthorization();
        group.MapPost("/", CreateAsync).RequireAuthorization(ApiKeyDefaults.AdminPolicy)
            .WithSummary("Create a problem, or a new immutable version of an existing one (same slug).");
        group.MapGet("/", ListAsync).WithSummary("All problems with their current version.");
        group.MapGet("/{problem}", GetAsync).WithSummary("One problem by slug or id.");
        return group;
    }

    private static async Task<Results<Created<ProblemResponse>, ValidationProblem>> CreateAsync(
        CreateProblemRequest request, JudgeDbContext db, CancellationToken cancellationToken)
    {
        var errors = Validate(request);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var problem = await db.Problems.SingleOrDefaultAsync(p => p.Slug == request.Slug, cancellationToken);
        if (problem is null)
        {
            problem = new Problem { Id = Guid.CreateVersion7(), Slug = request.Slug!, Title = request.Title!, CreatedAt = DateTime.UtcNow };
            db.Problems.Add(problem);
        }
        else
        {
            problem.Title = request.Title!;
        }

        var number = 1 + (await db.ProblemVersions.Where(v => v.ProblemId == problem.Id).MaxAsync(v => (int?)v.Number, cancellationToken) ?? 0);
        var version = new ProblemVersion
        {
            Id = Guid.CreateVersion7(),
            ProblemId = problem.Id,
            Number = number,
            TimeLimitMs = request.TimeLimitMs!.Value,
            MemoryLimitBytes = request.MemoryLimitMb!.Value * 1024L * 1024,
            OutputLimitBytes = (request.OutputLimitKb ?? 8192) * 1024L,
            ValidatorFlags = string.Join(' ', (request.ValidatorFlags ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)),
            CreatedAt = DateTime.UtcNow,
        };
        foreach (var (test, index) in request.Tests!.Select((t, i) => (t, i)))
        {
            version.TestCases.Add(new TestCase
            {
                Id = Guid.CreateVersion7(),
                Ordinal = index + 1,
                Name = string.IsNullOrWhiteSpace(test.Name) ? $"test-{index + 1}" : test.Name,
                IsSample = test.Sample,
                InputSha256 = await TestFileStore.StoreAsync(db, Encoding.UTF8.GetBytes(test.Input!), cancellationToken),
                AnswerSha256 = await TestFileStore.StoreAsync(db, Encoding.UTF8.GetBytes(test.Answer!), cancellationToken),
            });
        }

        db.ProblemVersions.Add(version);
        await db.SaveChangesAsync(cancellationToken);
        problem.CurrentVersionId = version.Id;
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        var response = ToResponse(problem, version, request.Tests!.Where(t => t.Sample).Select((t, i) => new SampleResponse(t.Name ?? "", t.Input!, t.Answer!)).ToList());
        return TypedResults.Created($"/api/problems/{problem.Slug}", response);
    }

    private static async Task<Ok<List<ProblemResponse>>> ListAsync(JudgeDbContext db, CancellationToken cancellationToken)
    {
        var problems = await db.Problems.AsNoTracking()
            .Include(p => p.CurrentVersion).ThenInclude(v => v!.TestCases)
            .Where(p => p.CurrentVersion != null)
            .OrderBy(p => p.Slug)
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(problems.Select(p => ToResponse(p, p.CurrentVersion!, [])).ToList());
    }

    private static async Task<Results<Ok<ProblemResponse>, ProblemHttpResult>> GetAsync(string problem, JudgeDbContext db, CancellationToken cancellationToken)
    {
        var found = await Find(db.Problems.AsNoTracking().Include(p => p.CurrentVersion).ThenInclude(v => v!.TestCases), problem)
            .SingleOrDefaultAsync(cancellationToken);
        if (found?.CurrentVersion is null)
        {
            return NotFound(problem);
        }

        var samples = new List<SampleResponse>();
        foreach (var test in found.CurrentVersion.TestCases.Where(t => t.IsSample).OrderBy(t => t.Ordinal))
        {
            var files = await db.TestFiles.AsNoTracking()
                .Where(f => f.Sha256 == test.InputSha256 || f.Sha256 == test.AnswerSha256)
                .ToDictionaryAsync(f => Convert.ToHexString(f.Sha256), f => Encoding.UTF8.GetString(f.Content), cancellationToken);
            samples.Add(new SampleResponse(test.Name, files[Convert.ToHexString(test.InputSha256)], files[Convert.ToHexString(test.AnswerSha256)]));
        }

        return TypedResults.Ok(ToResponse(found, found.CurrentVersion, samples));
    }

    /// <summary>A problem by slug, or by id when the text is a GUID.</summary>
    public static IQueryable<Problem> Find(IQueryable<Problem> problems, string slugOrId) =>
        Guid.TryParse(slugOrId, out var id) ? problems.Where(p => p.Id == id) : problems.Where(p => p.Slug == slugOrId);

    public static ProblemHttpResult NotFound(string problem) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown problem", detail: $"There is no problem '{problem}'.");

    private static ProblemResponse ToResponse(Problem problem, ProblemVersion version, IReadOnlyList<SampleResponse> samples) => new(
        problem.Id, problem.Slug, problem.Title, version.Number, version.TimeLimitMs, (int)(version.MemoryLimitBytes / 1048576),
        (int)(version.OutputLimitBytes / 1024), version.ValidatorFlags, version.TestCases.Count, samples, problem.CreatedAt);

    private static ValidationErrors Validate(CreateProblemRequest request)
    {
        var errors = new ValidationErrors();
        if (errors.Required("slug", request.Slug) && !SlugPattern().IsMatch(request.Slug!))
        {
            errors.Add("slug", "'slug' must be 1-64 characters of a-z, 0-9 and '-', starting with a letter or digit.");
        }

        errors.Required("title", request.Title);
        errors.Range("timeLimitMs", request.TimeLimitMs, 1, 60_000, "ms");
        errors.Range("memoryLimitMb", request.MemoryLimitMb, 16, MaxMemoryLimitMb, "MiB");
        if (request.OutputLimitKb is not null)
        {
            errors.Range("outputLimitKb", request.OutputLimitKb, 1, 16 * 1024, "KiB");
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
