using System.Globalization;
using System.Text;
using Judge.Api.Auth;
using Judge.Api.Commands;
using Judge.Api.Problems;
using Judge.Api.Submissions;
using Judge.Api.Validation;
using Judge.Data;
using Judge.Data.Batches;
using Judge.Data.Lifecycle;
using Judge.Data.Storage;
using Judge.Data.Submissions;
using Judge.Grading.Languages;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Judge.Api.Batches;

public sealed record BatchItemRequest(string? Label, string? Language, string? Source);

public sealed record CreateBatchRequest(string? Problem, IReadOnlyList<BatchItemRequest?>? Items);

public sealed record BatchResponse(
    Guid Id, ProblemRef Problem, string Status, int Total, IReadOnlyDictionary<string, int> ByStatus, IReadOnlyDictionary<string, int> ByVerdict,
    double? JudgedPerSecond, double? EtaSeconds, DateTime CreatedAt, DateTime? FinishedAt, DateTime? CancelledAt);

public sealed record BatchResultRow(
    string Label, Guid SubmissionId, string Language, string Status, string? Verdict, double? Score, double? MaxScore,
    IReadOnlyDictionary<string, double> GroupScores, int? MaxCpuMs, long? PeakMemoryBytes, int? FailingTest);

public sealed record BatchResults(Guid BatchId, string Status, IReadOnlyList<BatchResultRow> Items);

/// <summary>
/// Batches: a class's solutions to one problem, submitted in one request and judged in the batch lane, with progress,
/// counts, an ETA and the results as JSON or CSV (a grade sheet). A key sees its own batches; an admin key all.
/// </summary>
public static class BatchesApi
{
    /// <summary>The most submissions one batch may hold.</summary>
    public const int MaxItems = 2000;

    private const int MaxLabelLength = 200;

    public static RouteGroupBuilder MapBatchesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/batches").WithTags("Batches").RequireAuthorization();
        group.MapPost("/", CreateAsync).WithSummary("Submit many labelled solutions to one problem; judged in the batch lane.");
        group.MapGet("/{id:guid}", GetAsync).WithSummary("A batch's status, counts by status and verdict, judging rate and ETA.");
        group.MapGet("/{id:guid}/results", (Guid id, HttpContext http, JudgeDbContext db, CancellationToken ct) =>
                ResultsAsync(id, http, db, http.Request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/csv", StringComparison.OrdinalIgnoreCase)), ct))
            .WithSummary("A row per submission (label, verdict, score, group scores, max CPU, peak memory, failing test); CSV with Accept: text/csv.");
        group.MapGet("/{id:guid}/results.csv", (Guid id, HttpContext http, JudgeDbContext db, CancellationToken ct) => ResultsAsync(id, http, db, csv: true, ct))
            .WithSummary("The results as CSV.");
        group.MapPost("/{id:guid}/cancel", CancelAsync).WithSummary("Ends what has not started as Cancelled; what is being judged finishes.");
        return group;
    }

    private static async Task<Results<Created<BatchResponse>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        CreateBatchRequest request, HttpContext http, JudgeDbContext db, JudgeCommandSender sender, IOptions<ApiOptions> options,
        CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        errors.Required("problem", request.Problem);
        var items = request.Items ?? [];
        if (items.Count is 0 or > MaxItems)
        {
            errors.Add("items", $"'items' must hold between 1 and {MaxItems} solutions; got {items.Count}.");
        }

        var labels = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Math.Min(items.Count, MaxItems); i++)
        {
            var item = items[i];
            var field = $"items[{i}]";
            if (item is null)
            {
                errors.Add(field, $"'{field}' is null; each item is {{label, language, source}}.");
                continue;
            }

            if (errors.Required($"{field}.label", item.Label))
            {
                if (item.Label!.Length > MaxLabelLength)
                {
                    errors.Add($"{field}.label", $"'{field}.label' is {item.Label.Length} characters; the limit is {MaxLabelLength}.");
                }
                else if (!labels.Add(item.Label))
                {
                    errors.Add($"{field}.label", $"'{field}.label' repeats the label '{item.Label}'; labels name the students, once each.");
                }
            }

            if (errors.Required($"{field}.language", item.Language) && LanguageRegistry.Find(item.Language!) is null)
            {
                errors.Add($"{field}.language", $"Unknown language '{item.Language}'. Known: {string.Join(", ", LanguageRegistry.All.Select(l => l.Id))}.");
            }

            if (errors.Required($"{field}.source", item.Source) && Encoding.UTF8.GetByteCount(item.Source!) > options.Value.MaxSourceBytes)
            {
                errors.Add($"{field}.source", $"'{field}.source' is {Encoding.UTF8.GetByteCount(item.Source!)} bytes; the limit is {options.Value.MaxSourceBytes}.");
            }
        }

        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var problem = await ProblemsApi.Find(db.Problems.AsNoTracking(), request.Problem!)
            .Select(p => new { p.Id, p.Slug, p.CurrentVersionId, Number = p.CurrentVersion!.Number }).SingleOrDefaultAsync(cancellationToken);
        if (problem is null)
        {
            return ProblemsApi.NotFound(request.Problem!);
        }

        if (problem.CurrentVersionId is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The problem is not ready",
                detail: $"Problem '{request.Problem}' has no judgeable version yet: its time limit is being derived from its accepted submissions.");
        }

        var now = DateTime.UtcNow;
        var batch = new Batch
        {
            Id = Guid.CreateVersion7(),
            ApiKeyId = Caller.From(http.User).KeyId,
            ProblemId = problem.Id,
            ProblemVersionId = problem.CurrentVersionId.Value,
            ItemCount = items.Count,
            CreatedAt = now,
            ExpandedAt = now,
        };
        var submissions = items.Select(item => new Submission
        {
            Id = Guid.CreateVersion7(),
            ApiKeyId = batch.ApiKeyId,
            ProblemId = problem.Id,
            ProblemVersionId = batch.ProblemVersionId,
            BatchId = batch.Id,
            Label = item!.Label,
            Language = LanguageRegistry.Get(item.Language!).Id,
            Source = item.Source!,
            Lane = Lane.Batch,
            CreatedAt = now,
        }).ToList();
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            db.Batches.Add(batch);
            await db.SaveChangesAsync(cancellationToken);
            db.Submissions.AddRange(submissions);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        // After the commit: a send that fails leaves the submission unpublished for the sweeper, never lost.
        foreach (var submission in submissions)
        {
            await sender.SendAsync(submission.Id, submission.Lane, cancellationToken);
        }

        var location = $"/api/batches/{batch.Id}";
        return TypedResults.Created(location, await DescribeAsync(db, batch, new ProblemRef(problem.Id, problem.Slug, problem.Number), cancellationToken));
    }

    private static async Task<Results<Ok<BatchResponse>, ProblemHttpResult>> GetAsync(Guid id, HttpContext http, JudgeDbContext db, CancellationToken cancellationToken)
    {
        var batch = await Visible(db, Caller.From(http.User)).SingleOrDefaultAsync(b => b.Id == id, cancellationToken);
        return batch is null ? NotFound(id) : TypedResults.Ok(await DescribeAsync(db, batch, await ProblemOfAsync(db, batch, cancellationToken), cancellationToken));
    }

    private static async Task<Results<Ok<BatchResponse>, ProblemHttpResult>> CancelAsync(
        Guid id, HttpContext http, JudgeDbContext db, SubmissionLifecycle lifecycle, CancellationToken cancellationToken)
    {
        if (!await Visible(db, Caller.From(http.User)).AnyAsync(b => b.Id == id, cancellationToken))
        {
            return NotFound(id);
        }

        await lifecycle.CancelBatchAsync(id, cancellationToken);
        var batch = await db.Batches.AsNoTracking().SingleAsync(b => b.Id == id, cancellationToken);
        return TypedResults.Ok(await DescribeAsync(db, batch, await ProblemOfAsync(db, batch, cancellationToken), cancellationToken));
    }

    private static async Task<IResult> ResultsAsync(Guid id, HttpContext http, JudgeDbContext db, bool csv, CancellationToken cancellationToken)
    {
        var batch = await Visible(db, Caller.From(http.User)).SingleOrDefaultAsync(b => b.Id == id, cancellationToken);
        if (batch is null)
        {
            return NotFound(id);
        }

        var groupNames = await db.TestGroups.AsNoTracking().Where(g => g.ProblemVersionId == batch.ProblemVersionId)
            .OrderBy(g => g.Name).ToDictionaryAsync(g => g.Id, g => g.Name, cancellationToken);
        var rows = await db.Submissions.AsNoTracking().Where(s => s.BatchId == id).OrderBy(s => s.Label)
            .Select(s => new
            {
                s.Label, s.Id, s.Language, s.Status, s.Verdict, s.Score, s.MaxScore, s.FailingTest,
                MaxCpuMs = s.TestResults.Max(r => (int?)(r.NormalizedCpuMs ?? r.CpuMs)),
                PeakMemoryBytes = s.TestResults.Max(r => (long?)r.MemoryBytes),
                Groups = s.GroupResults.Select(g => new { g.GroupId, g.Score }).ToList(),
            })
            .ToListAsync(cancellationToken);
        var items = rows.Select(r => new BatchResultRow(
            r.Label ?? "", r.Id, r.Language, r.Status.ToString(), r.Verdict?.ToString(), r.Score, r.MaxScore,
            r.Groups.Where(g => groupNames.ContainsKey(g.GroupId)).ToDictionary(g => groupNames[g.GroupId], g => g.Score, StringComparer.Ordinal),
            r.MaxCpuMs, r.PeakMemoryBytes, r.FailingTest)).ToList();
        var unfinished = items.Count(i => i.Status is nameof(SubmissionStatus.Queued) or nameof(SubmissionStatus.Judging));
        var results = new BatchResults(id, StoredName.Of(batch.StatusGiven(unfinished)), items);
        return csv ? TypedResults.Text(Csv(results, [.. groupNames.Values.Distinct()]), "text/csv; charset=utf-8") : TypedResults.Ok(results);
    }

    /// <summary>RFC 4180: a header, a row per submission, fields quoted where they hold a comma, a quote or a line break.</summary>
    private static string Csv(BatchResults results, IReadOnlyList<string> groups)
    {
        var csv = new StringBuilder();
        Line(["label", "submission", "language", "status", "verdict", "score", "max_score", .. groups.Select(g => $"group:{g}"), "max_cpu_ms",
            "peak_memory_bytes", "failing_test"]);
        foreach (var row in results.Items)
        {
            Line([row.Label, row.SubmissionId.ToString(), row.Language, row.Status, row.Verdict, Number(row.Score), Number(row.MaxScore),
                .. groups.Select(g => row.GroupScores.TryGetValue(g, out var score) ? Number(score) : null),
                row.MaxCpuMs?.ToString(CultureInfo.InvariantCulture), row.PeakMemoryBytes?.ToString(CultureInfo.InvariantCulture),
                row.FailingTest?.ToString(CultureInfo.InvariantCulture)]);
        }

        return csv.ToString();

        void Line(IEnumerable<string?> fields) =>
            csv.Append(string.Join(',', fields.Select(f => f is null ? "" : f.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{f.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : f)))
                .Append("\r\n");

        static string? Number(double? value) => value?.ToString("0.####", CultureInfo.InvariantCulture);
    }

    private static async Task<BatchResponse> DescribeAsync(JudgeDbContext db, Batch batch, ProblemRef problem, CancellationToken cancellationToken)
    {
        var submissions = db.Submissions.AsNoTracking().Where(s => s.BatchId == batch.Id);
        var byStatus = await submissions.GroupBy(s => s.Status).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(cancellationToken);
        var byVerdict = await submissions.Where(s => s.Verdict != null).GroupBy(s => s.Verdict).Select(g => new { g.Key, Count = g.Count() })
            .ToListAsync(cancellationToken);
        var judgedRows = submissions.Where(s => s.Status == SubmissionStatus.Done);
        var firstClaim = await judgedRows.MinAsync(s => s.JudgingStartedAt, cancellationToken);
        var lastResult = await judgedRows.MaxAsync(s => s.FinishedAt, cancellationToken);

        var counts = Enum.GetValues<SubmissionStatus>().ToDictionary(s => s.ToString(), s => byStatus.SingleOrDefault(c => c.Key == s)?.Count ?? 0);
        var unfinished = counts[nameof(SubmissionStatus.Queued)] + counts[nameof(SubmissionStatus.Judging)];
        var status = batch.StatusGiven(unfinished);
        var judged = counts[nameof(SubmissionStatus.Done)];
        // The rate so far: judged submissions over the time from the first claim to the last result (or now, while judging).
        var elapsed = firstClaim is { } first ? ((unfinished > 0 ? DateTime.UtcNow : lastResult ?? DateTime.UtcNow) - first).TotalSeconds : 0;
        double? rate = judged > 0 && elapsed > 0 ? judged / elapsed : null;
        double? eta = status != BatchStatus.Judging ? 0 : rate is { } r ? unfinished / r : null;
        return new BatchResponse(
            batch.Id, problem, StoredName.Of(status), batch.ItemCount, counts,
            byVerdict.Where(v => v.Key is not null).ToDictionary(v => v.Key!.Value.ToString(), v => v.Count),
            rate is { } value ? Math.Round(value, 3) : null, eta is { } seconds ? Math.Round(seconds, 1) : null,
            batch.CreatedAt, unfinished == 0 && status is BatchStatus.Done or BatchStatus.Cancelled ? lastResult ?? batch.CancelledAt : null, batch.CancelledAt);
    }

    private static Task<ProblemRef> ProblemOfAsync(JudgeDbContext db, Batch batch, CancellationToken cancellationToken) =>
        db.ProblemVersions.AsNoTracking().Where(v => v.Id == batch.ProblemVersionId)
            .Select(v => new ProblemRef(v.ProblemId, v.Problem!.Slug, v.Number)).SingleAsync(cancellationToken);

    private static IQueryable<Batch> Visible(JudgeDbContext db, Caller caller) =>
        caller.IsAdmin ? db.Batches.AsNoTracking() : db.Batches.AsNoTracking().Where(b => b.ApiKeyId == caller.KeyId);

    /// <summary>Another key's batch is reported as missing, not forbidden, as submissions are.</summary>
    private static ProblemHttpResult NotFound(Guid id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown batch", detail: $"There is no batch {id} for this API key.");
}
