using System.Text.Json.Nodes;
using Judge.Api.Auth;
using Judge.Api.Callbacks;
using Judge.Api.Languages;
using Judge.Api.Runs;
using Judge.Api.Submissions;
using Judge.Data;
using Judge.Data.Runs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Judge.Api.Facades.Judge0;

/// <summary>
/// The API of Judge0 CE 1.13 under <c>/judge0</c>: a submission is a one-shot run through the fleet, its token the run's id.
/// Judge0's protocol decides the shapes: its statuses, its field selection, 201 for a created submission (with the result when
/// it was waited for), 422 with errors by attribute, <c>{"error": …}</c> otherwise. See docs/facades.md.
/// </summary>
public static class Judge0Api
{
    public const string Prefix = "/judge0";

    /// <summary>Judge0's authentication header (its AUTHN_HEADER); a Judge API key goes in it.</summary>
    public const string AuthHeader = "X-Auth-Token";

    private const string Utf8Error = "some attributes for one or more submissions cannot be converted to UTF-8, use base64_encoded=true query parameter";

    public static IEndpointRouteBuilder MapJudge0Api(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Prefix).WithTags("Judge0").AllowAnonymous();
        group.MapPost("/submissions", CreateAsync).WithSummary("Judge0's create: 201 {token}, or with ?wait=true the result.");
        group.MapGet("/submissions/batch", GetBatchAsync).WithSummary("Several submissions by ?tokens=a,b,…; null for an unknown one.");
        group.MapPost("/submissions/batch", CreateBatchAsync).WithSummary("Up to 20 submissions: a token or the errors for each.");
        group.MapGet("/submissions/{token}", GetAsync).WithSummary("A submission by its token, with ?fields= and ?base64_encoded=.");
        group.MapGet("/submissions", Refused(StatusCodes.Status403Forbidden)).WithSummary("Judge0 lists submissions only to an authorized user; none is configured.");
        group.MapDelete("/submissions/{token}", Failed("delete not allowed")).WithSummary("As Judge0 ships: deleting is off.");
        group.MapGet("/languages", LanguagesAsync);
        group.MapGet("/languages/all", AllLanguagesAsync);
        group.MapGet("/languages/{id}", LanguageAsync);
        group.MapGet("/statuses", () => TypedResults.Ok(Enum.GetValues<Judge0Status>().Select(s => new { id = (int)s, description = Judge0Statuses.Description(s) })));
        group.MapGet("/about", () => TypedResults.Ok(new
        {
            version = "1.13.1",
            homepage = "https://github.com/judge/judge",
            source_code = "https://github.com/judge/judge",
            maintainer = "Judge (a Judge0 CE 1.13 compatible facade)",
        }));
        group.MapGet("/config_info", ConfigInfo);
        group.MapPost("/authenticate", AuthenticateAsync);
        return app;
    }

    private static async Task<IResult> CreateAsync(
        HttpContext http, JudgeDbContext db, RunService runs, RunOverload overload, ApiKeyLookup keys, IOptions<RunsOptions> options, IOptions<ApiOptions> api,
        IOptions<CallbackOptions> callbacks, CancellationToken cancellationToken)
    {
        var (caller, fields, refusal) = await ReadRequestAsync(http, keys, options.Value);
        if (refusal is not null)
        {
            return refusal;
        }

        var base64 = http.Request.Query["base64_encoded"] == "true";

        if (await FacadeJson.ReadObjectAsync(http.Request, cancellationToken) is not { } body)
        {
            return Error("the request body is not a JSON object", StatusCodes.Status400BadRequest);
        }

        if (await overload.IsOverloadedAsync(cancellationToken))
        {
            return Error("queue is full", StatusCodes.Status503ServiceUnavailable);
        }

        var (run, errors) = Judge0Submission.Read(body, base64, caller.KeyId, api.Value.MaxSourceBytes, options.Value, callbacks.Value);
        if (run is null)
        {
            return Results.Json(errors, statusCode: StatusCodes.Status422UnprocessableEntity);
        }

        if (http.Request.Query["wait"] != "true")
        {
            await runs.StartAsync(run, cancellationToken);
            return Results.Json(new { token = run.Id.ToString() }, statusCode: StatusCodes.Status201Created);
        }

        var ended = await runs.RunToEndAsync(run, cancellationToken);
        var (rendered, error) = Judge0Submission.Render(ended, fields, base64, await VersionsAsync(db, fields, cancellationToken));
        return rendered is not null
            ? Results.Json(rendered, statusCode: StatusCodes.Status201Created)
            : Results.Json(new { error, token = run.Id.ToString() }, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> CreateBatchAsync(
        HttpContext http, RunService runs, RunOverload overload, ApiKeyLookup keys, IOptions<RunsOptions> options, IOptions<ApiOptions> api,
        IOptions<CallbackOptions> callbacks, CancellationToken cancellationToken)
    {
        var caller = await FacadeAccess.AdmitAsync(http, AuthHeader, keys, options.Value);
        if (!caller.Admitted)
        {
            return Results.StatusCode(StatusCodes.Status401Unauthorized);
        }

        var base64 = http.Request.Query["base64_encoded"] == "true";
        var items = (await FacadeJson.ReadObjectAsync(http.Request, cancellationToken))?["submissions"] as JsonArray;
        if (items is null or { Count: 0 })
        {
            return Error("there should be at least one submission in a batch", StatusCodes.Status400BadRequest);
        }

        if (items.Count > Judge0Submission.MaxBatch)
        {
            return Error($"number of submissions in a batch should be less than or equal to {Judge0Submission.MaxBatch}", StatusCodes.Status400BadRequest);
        }

        if (await overload.IsOverloadedAsync(cancellationToken))
        {
            return Error("queue is full", StatusCodes.Status503ServiceUnavailable);
        }

        var answers = new JsonArray();
        var created = 0;
        foreach (var item in items)
        {
            var (run, errors) = Judge0Submission.Read(item, base64, caller.KeyId, api.Value.MaxSourceBytes, options.Value, callbacks.Value);
            if (run is null)
            {
                answers.Add(System.Text.Json.JsonSerializer.SerializeToNode(errors));
                continue;
            }

            await runs.StartAsync(run, cancellationToken);
            answers.Add(new JsonObject { ["token"] = run.Id.ToString() });
            created++;
        }

        return Results.Json(answers, statusCode: created > 0 ? StatusCodes.Status201Created : StatusCodes.Status422UnprocessableEntity);
    }

    private static async Task<IResult> GetAsync(
        string token, HttpContext http, JudgeDbContext db, ApiKeyLookup keys, IOptions<RunsOptions> options, CancellationToken cancellationToken)
    {
        var (caller, fields, refusal) = await ReadRequestAsync(http, keys, options.Value);
        if (refusal is not null)
        {
            return refusal;
        }

        var run = Guid.TryParse(token, out var id)
            ? await Visible(db, caller).SingleOrDefaultAsync(r => r.Id == id, cancellationToken)
            : null;
        if (run is null)
        {
            return NotFound();
        }

        var (rendered, error) = Judge0Submission.Render(run, fields, http.Request.Query["base64_encoded"] == "true", await VersionsAsync(db, fields, cancellationToken));
        return rendered is not null ? Results.Json(rendered) : Error(error!, StatusCodes.Status400BadRequest);
    }

    private static async Task<IResult> GetBatchAsync(
        HttpContext http, JudgeDbContext db, ApiKeyLookup keys, IOptions<RunsOptions> options, CancellationToken cancellationToken)
    {
        var (caller, fields, refusal) = await ReadRequestAsync(http, keys, options.Value);
        if (refusal is not null)
        {
            return refusal;
        }

        var given = http.Request.Headers["tokens"].ToString() is { Length: > 0 } header ? header : http.Request.Query["tokens"].ToString();
        var tokens = given.Trim().Split(',', StringSplitOptions.RemoveEmptyEntries);
        if (tokens.Length == 0)
        {
            return Error("there should be at least one submission in a batch", StatusCodes.Status400BadRequest);
        }

        if (tokens.Length > Judge0Submission.MaxBatch)
        {
            return Error($"number of submissions in a batch should be less than or equal to {Judge0Submission.MaxBatch}", StatusCodes.Status400BadRequest);
        }

        var ids = tokens.Select(t => Guid.TryParse(t, out var id) ? id : Guid.Empty).ToList();
        var found = await Visible(db, caller).Where(r => ids.Contains(r.Id)).ToDictionaryAsync(r => r.Id, cancellationToken);
        var versions = await VersionsAsync(db, fields, cancellationToken);
        var base64 = http.Request.Query["base64_encoded"] == "true";
        var submissions = new JsonArray();
        foreach (var id in ids)
        {
            if (!found.TryGetValue(id, out var run))
            {
                submissions.Add(null);
                continue;
            }

            var (rendered, _) = Judge0Submission.Render(run, fields, base64, versions);
            if (rendered is null)
            {
                return Error(Utf8Error, StatusCodes.Status400BadRequest);
            }

            submissions.Add(rendered);
        }

        return Results.Json(new JsonObject { ["submissions"] = submissions });
    }

    /// <summary>The body of a run's callback: what GET answers with the default fields, in base64, as Judge0 PUTs it.</summary>
    public static byte[] CallbackBody(Run run) =>
        System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(Judge0Submission.Render(run, Judge0Submission.DefaultFields.ToHashSet(), base64: true,
            new Dictionary<string, string>()).Body);

    private static async Task<IResult> LanguagesAsync(JudgeDbContext db, CancellationToken cancellationToken)
    {
        var versions = await LanguagesApi.ReportedVersionsAsync(db, cancellationToken);
        return Results.Json(Judge0Languages.All.Select(l => new { id = l.Id, name = Name(l, versions) }).OrderBy(l => l.name, StringComparer.OrdinalIgnoreCase));
    }

    private static async Task<IResult> AllLanguagesAsync(JudgeDbContext db, CancellationToken cancellationToken)
    {
        var versions = await LanguagesApi.ReportedVersionsAsync(db, cancellationToken);
        return Results.Json(Judge0Languages.All.Select(l => new { id = l.Id, name = Name(l, versions), is_archived = false })
            .OrderBy(l => l.name, StringComparer.OrdinalIgnoreCase));
    }

    private static async Task<IResult> LanguageAsync(string id, JudgeDbContext db, CancellationToken cancellationToken)
    {
        if (!int.TryParse(id, out var number) || Judge0Languages.Find(number) is not { } language)
        {
            return NotFound();
        }

        var versions = await LanguagesApi.ReportedVersionsAsync(db, cancellationToken);
        var program = Grading.Languages.LanguageRegistry.ForFiles(language.Language, [new Grading.Languages.SubmissionFile(language.SourceFile, [])], language.SourceFile);
        return Results.Json(new
        {
            id = language.Id,
            name = Name(language, versions),
            is_archived = false,
            source_file = language.SourceFile,
            compile_cmd = language.Compiled ? string.Join(' ', program.CompileCommand!) : null,
            run_cmd = string.Join(' ', program.RunCommand),
        });
    }

    private static IResult ConfigInfo(IOptions<RunsOptions> options) => Results.Json(new
    {
        maintenance_mode = false,
        enable_wait_result = true,
        enable_compiler_options = true,
        allowed_languages_for_compile_options = Array.Empty<string>(),
        enable_command_line_arguments = true,
        enable_submission_delete = false,
        enable_callbacks = true,
        enable_additional_files = false,
        max_queue_size = options.Value.MaxQueuedPerWorker,
        cpu_time_limit = 5.0,
        max_cpu_time_limit = 15.0,
        cpu_extra_time = 1.0,
        max_cpu_extra_time = 5.0,
        wall_time_limit = 10.0,
        max_wall_time_limit = 20.0,
        memory_limit = 128000,
        max_memory_limit = 512000,
        stack_limit = 64000,
        max_stack_limit = 128000,
        max_processes_and_or_threads = 60,
        max_max_processes_and_or_threads = 120,
        max_file_size = 1024,
        max_max_file_size = 4096,
        number_of_runs = 1,
        max_number_of_runs = 20,
        redirect_stderr_to_stdout = false,
        enable_batched_submissions = true,
        max_submission_batch_size = Judge0Submission.MaxBatch,
        allow_enable_network = false,
        enable_network = false,
    });

    private static async Task<IResult> AuthenticateAsync(HttpContext http, ApiKeyLookup keys, IOptions<RunsOptions> options) =>
        (await FacadeAccess.AdmitAsync(http, AuthHeader, keys, options.Value)).Admitted ? Results.Ok() : Results.StatusCode(StatusCodes.Status401Unauthorized);

    /// <summary>Who asks and which fields they want, or the answer that refuses them (401, or 400 for fields Judge0 does not know).</summary>
    private static async Task<(FacadeCaller Caller, HashSet<string> Fields, IResult? Refusal)> ReadRequestAsync(
        HttpContext http, ApiKeyLookup keys, RunsOptions options)
    {
        var caller = await FacadeAccess.AdmitAsync(http, AuthHeader, keys, options);
        if (!caller.Admitted)
        {
            return (caller, [], Results.StatusCode(StatusCodes.Status401Unauthorized));
        }

        var (fields, error) = Judge0Submission.SelectFields(http.Request.Query["fields"]);
        return (caller, fields ?? [], error is null ? null : Error(error, StatusCodes.Status400BadRequest));
    }

    private static string Name(Judge0Language language, IReadOnlyDictionary<string, string> versions) =>
        language.DisplayName(LanguagesApi.VersionNumber(versions.GetValueOrDefault(language.Language.Id)));

    /// <summary>The versions only when the language is shown: a result's hot path does not need the query.</summary>
    private static async Task<IReadOnlyDictionary<string, string>> VersionsAsync(JudgeDbContext db, HashSet<string> fields, CancellationToken cancellationToken) =>
        fields.Contains("language") ? await LanguagesApi.ReportedVersionsAsync(db, cancellationToken) : new Dictionary<string, string>();

    /// <summary>A key's runs, or an anonymous (loopback) caller's: a token is a capability, but only among the runs of whoever made it.</summary>
    private static IQueryable<Run> Visible(JudgeDbContext db, FacadeCaller caller) =>
        db.Runs.AsNoTracking().Where(r => r.Facade == RunFacade.Judge0 && r.ApiKeyId == caller.KeyId);

    private static IResult Error(string message, int status) => Results.Json(new { error = message }, statusCode: status);

    private static IResult NotFound() => Results.Json(new { status = 404, error = "Not Found" }, statusCode: StatusCodes.Status404NotFound);

    private static Func<IResult> Refused(int status) => () => Results.StatusCode(status);

    private static Func<IResult> Failed(string message) => () => Error(message, StatusCodes.Status400BadRequest);
}
