using System.Globalization;
using System.Text;
using Hangfire;
using Judge.Api.Auth;
using Judge.Api.Callbacks;
using Judge.Api.Commands;
using Judge.Api.Problems;
using Judge.Api.Submissions;
using Judge.Api.Validation;
using Judge.Data;
using Judge.Data.Batches;
using Judge.Data.Lifecycle;
using Judge.Data.Problems;
using Judge.Data.Storage;
using Judge.Data.Submissions;
using Judge.Grading.Languages;
using Judge.Grading.Verdicts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Judge.Api.Batches;

public sealed record BatchItemRequest(
    string? Label, string? Language, string? Source, IReadOnlyList<SubmissionFileRequest?>? Files = null, string? EntryPoint = null);

public sealed record CreateBatchRequest(string? Problem, IReadOnlyList<BatchItemRequest?>? Items, string? CallbackUrl = null);

/// <summary>Which of a problem's judged submissions to judge again; none given: all of them.</summary>
public sealed record RejudgeRequest(
    string? Verdict, IReadOnlyList<Guid>? Submissions, int? Version, Guid? Batch, int? TargetVersion, string? CallbackUrl = null);

public sealed record BatchResponse(
    Guid Id, ProblemRef Problem, string Kind, string Status, int Total, IReadOnlyDictionary<string, int> ByStatus, IReadOnlyDictionary<string, int> ByVerdict,
    double? JudgedPerSecond, double? EtaSeconds, DateTime CreatedAt, DateTime? FinishedAt, DateTime? CancelledAt, string? CallbackUrl);

public sealed record BatchResultRow(
    string Label, Guid SubmissionId, string Language, string Status, string? Verdict, double? Score, double? MaxScore,
    IReadOnlyDictionary<string, double> GroupScores, int? MaxCpuMs, long? PeakMemoryBytes, int? FailingTest,
    Guid? OriginalSubmissionId, string? OriginalVerdict, double? OriginalScore, bool? Changed);

public sealed record BatchResults(Guid BatchId, string Kind, string Status, IReadOnlyList<BatchResultRow> Items);

/// <summary>
/// Batches: a class's solutions to one problem, submitted in one request and judged in the batch lane, with progress,
/// counts, an ETA and the results as JSON or CSV (a grade sheet). A key sees its own batches; an admin key all.
/// </summary>
public static class BatchesApi
{
    /// <summary>The most submissions one batch may hold.</summary>
    public const int MaxItems = 2000;

    /// <summary>The largest upload: a zip of <see cref="MaxItems"/> sources of the API's largest size fits.</summary>
    private const long MaxUploadBytes = 128L << 20;

    private const int MaxLabelLength = 200;

    private static readonly string[] RejudgeColumns = ["original_submission", "original_verdict", "original_score", "changed"];

    public static RouteGroupBuilder MapBatchesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/batches").WithTags("Batches").RequireAuthorization();
        group.MapPost("/", CreateAsync)
            .Accepts<CreateBatchRequest>("application/json", "application/zip")
            .WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(MaxUploadBytes))
            .WithSummary("Submit many labelled solutions to one problem, judged in the batch lane: JSON {problem, items}, or a zip of one file per " +
                "student with ?problem= (the file name without its extension is the label; the extension gives the language).");
        group.MapGet("/{id:guid}", GetAsync)
            .WithSummary("A batch's status, counts by status and verdict, judging rate and ETA; with ?wait=N (seconds, at most 60) it answers once the batch has ended, or after N seconds.");
        group.MapGet("/{id:guid}/results", (Guid id, HttpContext http, JudgeDbContext db, CancellationToken ct) =>
                ResultsAsync(id, http, db, http.Request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/csv", StringComparison.OrdinalIgnoreCase)), ct))
            .WithSummary("A row per submission (label, verdict, score, group scores, max CPU, peak memory, failing test); CSV with Accept: text/csv.");
        group.MapGet("/{id:guid}/results.csv", (Guid id, HttpContext http, JudgeDbContext db, CancellationToken ct) => ResultsAsync(id, http, db, csv: true, ct))
            .WithSummary("The results as CSV.");
        group.MapPost("/{id:guid}/cancel", CancelAsync).WithSummary("Ends what has not started as Cancelled; what is being judged finishes.");
        app.MapPost("/api/problems/{problem}/rejudge", RejudgeAsync).WithTags("Batches").RequireAuthorization()
            .WithSummary("Judge copies of a problem's submissions (all, one verdict, a list, a version, a batch) against its current version or one named, " +
                "as a batch whose results put the old verdict and score beside the new; the originals stay as they were.");
        return group;
    }

    private static async Task<Results<Created<BatchResponse>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        HttpContext http, string? problem, string? callbackUrl, JudgeDbContext db, JudgeCommandSender sender, IBackgroundJobClient expansions,
        IOptions<ApiOptions> options, IOptions<CallbackOptions> callbacks, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        CreateBatchRequest request;
        if (http.Request.HasJsonContentType())
        {
            try
            {
                request = await http.Request.ReadFromJsonAsync<CreateBatchRequest>(cancellationToken) ?? new CreateBatchRequest(null, null);
            }
            catch (System.Text.Json.JsonException e)
            {
                var invalid = new ValidationErrors();
                invalid.Add(e.Path is { Length: > 2 } path ? path.TrimStart('$', '.') : "body", e.Message);
                return invalid.ToProblem();
            }
        }
        else
        {
            return await CreateFromZipAsync(http, problem, callbackUrl, caller, db, expansions, options.Value.MaxSourceBytes, callbacks.Value, cancellationToken);
        }

        var errors = new ValidationErrors();
        errors.Required("problem", request.Problem);
        var items = request.Items ?? [];
        if (items.Count is 0 or > MaxItems)
        {
            errors.Add("items", $"'items' must hold between 1 and {MaxItems} solutions; got {items.Count}.");
        }

        await CallbackUrls.CheckAsync(errors, "callbackUrl", request.CallbackUrl, caller.KeyId, db, callbacks.Value, cancellationToken);
        var labels = new HashSet<string>(StringComparer.Ordinal);
        var files = new List<Judge.Grading.Languages.SubmissionFile>?[items.Count];
        for (var i = 0; i < Math.Min(items.Count, MaxItems); i++)
        {
            var item = items[i];
            var field = $"items[{i}]";
            if (item is null)
            {
                errors.Add(field, $"'{field}' is null; each item is {{label, language, source}} (or files instead of source).");
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

            files[i] = SubmissionFiles.Check(errors, item.Source, item.Files, item.EntryPoint, options.Value.MaxSourceBytes, $"{field}.");
        }

        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var (found, refusal) = await ProblemsApi.FindJudgeableAsync(db, request.Problem!, cancellationToken);
        if (found is null)
        {
            return refusal!;
        }

        var submissions = items.Select((item, i) => new Submission
        {
            Id = Guid.CreateVersion7(),
            ProblemId = found.Id,
            Label = item!.Label,
            Language = LanguageRegistry.Get(item.Language!).Id,
            Source = files[i] is { } given ? SubmissionFiles.EntryPoint(LanguageRegistry.Get(item.Language!), given, item.EntryPoint).Text : item.Source!,
            Files = files[i],
            EntryPoint = files[i] is null ? null : item.EntryPoint,
            Lane = Lane.Batch,
        }).ToList();
        var batch = await StartAsync(db, sender, caller.KeyId, found.Id, found.VersionId, rejudge: false, request.CallbackUrl, submissions, cancellationToken);
        return TypedResults.Created($"/api/batches/{batch.Id}", await DescribeAsync(db, batch, new ProblemRef(found.Id, found.Slug, found.VersionNumber), cancellationToken));
    }

    private static async Task<Results<Created<BatchResponse>, ValidationProblem, ProblemHttpResult>> RejudgeAsync(
        string problem, RejudgeRequest? request, HttpContext http, JudgeDbContext db, JudgeCommandSender sender, IOptions<CallbackOptions> callbacks,
        CancellationToken cancellationToken)
    {
        request ??= new RejudgeRequest(null, null, null, null, null);
        var caller = Caller.From(http.User);
        var errors = new ValidationErrors();
        await CallbackUrls.CheckAsync(errors, "callbackUrl", request.CallbackUrl, caller.KeyId, db, callbacks.Value, cancellationToken);
        Verdict? verdict = null;
        if (request.Verdict is not null)
        {
            if (Enum.GetNames<Verdict>().Contains(request.Verdict, StringComparer.Ordinal))
            {
                verdict = Enum.Parse<Verdict>(request.Verdict);
            }
            else
            {
                errors.Add("verdict", $"Unknown verdict '{request.Verdict}'. Known: {string.Join(", ", Enum.GetNames<Verdict>())}.");
            }
        }

        if (request.Version is < 1)
        {
            errors.Add("version", $"'version' starts at 1; got {request.Version}.");
        }

        if (request.Submissions is { Count: > MaxItems })
        {
            errors.Add("submissions", $"'submissions' may name at most {MaxItems}; got {request.Submissions.Count}.");
        }

        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var found = await ProblemsApi.Find(db.Problems.AsNoTracking(), problem).Select(p => new { p.Id, p.Slug, p.CurrentVersionId }).SingleOrDefaultAsync(cancellationToken);
        if (found is null)
        {
            return ProblemsApi.NotFound(problem);
        }

        var versions = db.ProblemVersions.AsNoTracking().Where(v => v.ProblemId == found.Id);
        var target = request.TargetVersion is { } number
            ? await versions.Where(v => v.Number == number).Select(v => new { v.Id, v.Number, v.Status }).SingleOrDefaultAsync(cancellationToken)
            : await versions.Where(v => v.Id == found.CurrentVersionId).Select(v => new { v.Id, v.Number, v.Status }).SingleOrDefaultAsync(cancellationToken);
        if (target is null || target.Status != VersionStatus.Ready)
        {
            errors.Add("targetVersion", request.TargetVersion is null
                ? $"Problem '{problem}' has no judgeable version yet."
                : $"Problem '{problem}' has no judgeable version {request.TargetVersion}.");
            return errors.ToProblem();
        }

        var originals = db.Submissions.AsNoTracking()
            .Where(s => s.ProblemId == found.Id && s.Status == SubmissionStatus.Done && s.Purpose == SubmissionPurpose.Judge)
            .Where(s => caller.IsAdmin || s.ApiKeyId == caller.KeyId);
        // Copies are judged again only when named: "all" means the submissions people made.
        originals = request.Submissions is { } ids ? originals.Where(s => ids.Contains(s.Id)) : originals.Where(s => s.OriginalSubmissionId == null);
        if (verdict is not null)
        {
            originals = originals.Where(s => s.Verdict == verdict);
        }

        if (request.Version is { } judgedOn)
        {
            originals = originals.Where(s => versions.Any(v => v.Id == s.ProblemVersionId && v.Number == judgedOn));
        }

        if (request.Batch is { } batchId)
        {
            originals = originals.Where(s => s.BatchId == batchId);
        }

        var chosen = await originals.OrderBy(s => s.CreatedAt).Take(MaxItems + 1)
            .Select(s => new { s.Id, s.Label, s.Language, s.Source, s.Files, s.EntryPoint }).ToListAsync(cancellationToken);
        if (chosen.Count is 0 or > MaxItems)
        {
            errors.Add("submissions", chosen.Count == 0
                ? "No judged submission of this problem matches the filter."
                : $"More than {MaxItems} submissions match; narrow the filter (verdict, version, batch or a list).");
            return errors.ToProblem();
        }

        var copies = chosen.Select(o => new Submission
        {
            Id = Guid.CreateVersion7(),
            ProblemId = found.Id,
            Label = o.Label ?? o.Id.ToString(),
            Language = o.Language,
            Source = o.Source,
            Files = o.Files,
            EntryPoint = o.EntryPoint,
            Lane = Lane.Batch,
            OriginalSubmissionId = o.Id,
        }).ToList();
        var batch = await StartAsync(db, sender, caller.KeyId, found.Id, target.Id, rejudge: true, request.CallbackUrl, copies, cancellationToken);
        return TypedResults.Created($"/api/batches/{batch.Id}", await DescribeAsync(db, batch, new ProblemRef(found.Id, found.Slug, target.Number), cancellationToken));
    }

    /// <summary>
    /// A zip is checked here, so that what Judge cannot take is refused by name, then stored with a batch that is
    /// <c>expanding</c>; a Hangfire job makes its submissions (<see cref="BatchExpansion"/>), so a class of 2 000 files
    /// costs the request one insert, and an API that dies meanwhile leaves the job to the next.
    /// </summary>
    private static async Task<Results<Created<BatchResponse>, ValidationProblem, ProblemHttpResult>> CreateFromZipAsync(
        HttpContext http, string? problem, string? callbackUrl, Caller caller, JudgeDbContext db, IBackgroundJobClient expansions, int maxSourceBytes,
        CallbackOptions callbacks, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        errors.Required("problem", problem);
        await CallbackUrls.CheckAsync(errors, "callbackUrl", callbackUrl, caller.KeyId, db, callbacks, cancellationToken);
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, cancellationToken);
        var zip = buffer.ToArray();
        var (items, fileErrors) = ClassZip.Read(zip, maxSourceBytes);
        foreach (var (file, message) in fileErrors)
        {
            errors.Add(file, message);
        }

        if (items.Count is 0 or > MaxItems && fileErrors.Count == 0)
        {
            errors.Add("body", $"The zip must hold between 1 and {MaxItems} solutions; it holds {items.Count}.");
        }

        foreach (var duplicate in items.GroupBy(i => i.Label, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            errors.Add(duplicate.Key, $"More than one file is labelled '{duplicate.Key}': labels name the students, once each.");
        }

        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var (found, refusal) = await ProblemsApi.FindJudgeableAsync(db, problem!, cancellationToken);
        if (found is null)
        {
            return refusal!;
        }

        var batch = new Batch
        {
            Id = Guid.CreateVersion7(),
            ApiKeyId = caller.KeyId,
            ProblemId = found.Id,
            ProblemVersionId = found.VersionId,
            ItemCount = items.Count,
            CallbackUrl = callbackUrl,
            CreatedAt = DateTime.UtcNow,
        };
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            db.Batches.Add(batch);
            await db.SaveChangesAsync(cancellationToken);
            db.BatchUploads.Add(new BatchUpload { BatchId = batch.Id, Content = zip });
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        // After the commit; the sweeper enqueues again an expansion that never got here.
        expansions.Enqueue<BatchExpansion>(expansion => expansion.ExpandAsync(batch.Id, CancellationToken.None));
        return TypedResults.Created($"/api/batches/{batch.Id}", await DescribeAsync(db, batch, new ProblemRef(found.Id, found.Slug, found.VersionNumber), cancellationToken));
    }

    /// <summary>Stores a batch and its submissions in one transaction, then sends their commands to the batch lane.</summary>
    private static async Task<Batch> StartAsync(
        JudgeDbContext db, JudgeCommandSender sender, Guid keyId, Guid problemId, Guid versionId, bool rejudge, string? callbackUrl,
        List<Submission> submissions, CancellationToken cancellationToken)
    {
        var now = DateTime.UtcNow;
        var batch = new Batch
        {
            Id = Guid.CreateVersion7(),
            ApiKeyId = keyId,
            ProblemId = problemId,
            ProblemVersionId = versionId,
            ItemCount = submissions.Count,
            Rejudge = rejudge,
            CallbackUrl = callbackUrl,
            CreatedAt = now,
            ExpandedAt = now,
        };
        foreach (var submission in submissions)
        {
            submission.ApiKeyId = keyId;
            submission.ProblemVersionId = versionId;
            submission.BatchId = batch.Id;
            submission.CreatedAt = now;
        }

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

        return batch;
    }

    private static async Task<Results<Ok<BatchResponse>, ValidationProblem, ProblemHttpResult>> GetAsync(
        Guid id, int? wait, HttpContext http, JudgeDbContext db, SubmissionWaiters waiters, CancellationToken cancellationToken)
    {
        if (SubmissionWaiters.WaitErrors(wait) is { Any: true } errors)
        {
            return errors.ToProblem();
        }

        var batch = await Visible(db, Caller.From(http.User)).SingleOrDefaultAsync(b => b.Id == id, cancellationToken);
        if (batch is null)
        {
            return NotFound(id);
        }

        var problem = await ProblemOfAsync(db, batch, cancellationToken);
        return TypedResults.Ok(await waiters.ReadUntilEndedAsync(id, wait,
            async () => await DescribeAsync(db, await db.Batches.AsNoTracking().SingleAsync(b => b.Id == id, cancellationToken), problem, cancellationToken),
            state => state.FinishedAt is not null, cancellationToken));
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

        var groupNames = await GroupNamesAsync(db, batch, cancellationToken);
        var results = await ReadResultsAsync(db, batch, groupNames, cancellationToken);
        return csv ? TypedResults.Text(Csv(results, [.. groupNames.Values.Distinct()], batch.Rejudge), "text/csv; charset=utf-8") : TypedResults.Ok(results);
    }

    /// <summary>A row per submission of <paramref name="batch"/>, by label; with <paramref name="groupNames"/> of its version.</summary>
    public static async Task<BatchResults> ReadResultsAsync(
        JudgeDbContext db, Batch batch, IReadOnlyDictionary<Guid, string> groupNames, CancellationToken cancellationToken)
    {
        var rows = await db.Submissions.AsNoTracking().Where(s => s.BatchId == batch.Id).OrderBy(s => s.Label)
            .Select(s => new
            {
                s.Label, s.Id, s.Language, s.Status, s.Verdict, s.Score, s.MaxScore, s.FailingTest,
                MaxCpuMs = s.TestResults.Max(r => (int?)(r.NormalizedCpuMs ?? r.CpuMs)),
                PeakMemoryBytes = s.TestResults.Max(r => (long?)r.MemoryBytes),
                Groups = s.GroupResults.Select(g => new { g.GroupId, g.Score }).ToList(),
                s.OriginalSubmissionId,
                Original = db.Submissions.Where(o => o.Id == s.OriginalSubmissionId).Select(o => new { o.Verdict, o.Score }).FirstOrDefault(),
            })
            .ToListAsync(cancellationToken);
        var items = rows.Select(r => new BatchResultRow(
            r.Label ?? "", r.Id, r.Language, r.Status.ToString(), r.Verdict?.ToString(), r.Score, r.MaxScore,
            r.Groups.Where(g => groupNames.ContainsKey(g.GroupId)).ToDictionary(g => groupNames[g.GroupId], g => g.Score, StringComparer.Ordinal),
            r.MaxCpuMs, r.PeakMemoryBytes, r.FailingTest, r.OriginalSubmissionId, r.Original?.Verdict?.ToString(), r.Original?.Score,
            r.OriginalSubmissionId is null || r.Status != SubmissionStatus.Done ? null
                : r.Verdict != r.Original?.Verdict || Math.Abs((r.Score ?? 0) - (r.Original?.Score ?? 0)) > 1e-9)).ToList();
        var unfinished = items.Count(i => i.Status is nameof(SubmissionStatus.Queued) or nameof(SubmissionStatus.Judging));
        return new BatchResults(batch.Id, Kind(batch), StoredName.Of(batch.StatusGiven(unfinished)), items);
    }

    public static Task<Dictionary<Guid, string>> GroupNamesAsync(JudgeDbContext db, Batch batch, CancellationToken cancellationToken) =>
        db.TestGroups.AsNoTracking().Where(g => g.ProblemVersionId == batch.ProblemVersionId)
            .OrderBy(g => g.Name).ToDictionaryAsync(g => g.Id, g => g.Name, cancellationToken);

    /// <summary>RFC 4180: a header, a row per submission, fields quoted where they hold a comma, a quote or a line break.</summary>
    private static string Csv(BatchResults results, IReadOnlyList<string> groups, bool rejudge)
    {
        var csv = new StringBuilder();
        Line(["label", "submission", "language", "status", "verdict", "score", "max_score", .. groups.Select(g => $"group:{g}"), "max_cpu_ms",
            "peak_memory_bytes", "failing_test", .. rejudge ? RejudgeColumns : []]);
        foreach (var row in results.Items)
        {
            Line([row.Label, row.SubmissionId.ToString(), row.Language, row.Status, row.Verdict, Number(row.Score), Number(row.MaxScore),
                .. groups.Select(g => row.GroupScores.TryGetValue(g, out var score) ? Number(score) : null),
                row.MaxCpuMs?.ToString(CultureInfo.InvariantCulture), row.PeakMemoryBytes?.ToString(CultureInfo.InvariantCulture),
                row.FailingTest?.ToString(CultureInfo.InvariantCulture),
                .. rejudge ? new[] { row.OriginalSubmissionId?.ToString(), row.OriginalVerdict, Number(row.OriginalScore), row.Changed switch { true => "yes", false => "no", null => null } } : []]);
        }

        return csv.ToString();

        void Line(IEnumerable<string?> fields) =>
            csv.Append(string.Join(',', fields.Select(f => f is null ? "" : f.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{f.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : f)))
                .Append("\r\n");

        static string? Number(double? value) => value?.ToString("0.####", CultureInfo.InvariantCulture);
    }

    public static async Task<BatchResponse> DescribeAsync(JudgeDbContext db, Batch batch, ProblemRef problem, CancellationToken cancellationToken)
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
            batch.Id, problem, Kind(batch), StoredName.Of(status), batch.ItemCount, counts,
            byVerdict.Where(v => v.Key is not null).ToDictionary(v => v.Key!.Value.ToString(), v => v.Count),
            rate is { } value ? Math.Round(value, 3) : null, eta is { } seconds ? Math.Round(seconds, 1) : null,
            batch.CreatedAt, unfinished == 0 && status is BatchStatus.Done or BatchStatus.Cancelled ? lastResult ?? batch.CancelledAt : null, batch.CancelledAt,
            batch.CallbackUrl);
    }

    private static string Kind(Batch batch) => batch.Rejudge ? "rejudge" : "batch";

    public static Task<ProblemRef> ProblemOfAsync(JudgeDbContext db, Batch batch, CancellationToken cancellationToken) =>
        db.ProblemVersions.AsNoTracking().Where(v => v.Id == batch.ProblemVersionId)
            .Select(v => new ProblemRef(v.ProblemId, v.Problem!.Slug, v.Number)).SingleAsync(cancellationToken);

    private static IQueryable<Batch> Visible(JudgeDbContext db, Caller caller) =>
        caller.IsAdmin ? db.Batches.AsNoTracking() : db.Batches.AsNoTracking().Where(b => b.ApiKeyId == caller.KeyId);

    /// <summary>Another key's batch is reported as missing, not forbidden, as submissions are.</summary>
    private static ProblemHttpResult NotFound(Guid id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown batch", detail: $"There is no batch {id} for this API key.");
}
