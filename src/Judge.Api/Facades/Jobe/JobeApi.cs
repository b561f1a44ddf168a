using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Judge.Api.Auth;
using Judge.Api.Languages;
using Judge.Api.Runs;
using Judge.Api.Submissions;
using Judge.Data;
using Judge.Data.Runs;
using Judge.Grading.Verdicts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Judge.Api.Facades.Jobe;

/// <summary>Jobe's answer to a run: its outcome code and what the program and its compiler printed.</summary>
public sealed record JobeResult(
    [property: JsonPropertyName("run_id")] string? RunId,
    [property: JsonPropertyName("outcome")] int Outcome,
    [property: JsonPropertyName("cmpinfo")] string CompilerOutput,
    [property: JsonPropertyName("stdout")] string Stdout,
    [property: JsonPropertyName("stderr")] string Stderr);

/// <summary>Jobe's outcome codes (its LanguageTask constants).</summary>
public enum JobeOutcome
{
    CompilationError = 11,
    RuntimeError = 12,
    TimeLimit = 13,
    Success = 15,
    MemoryLimit = 17,
    IllegalSystemCall = 19,
    InternalError = 20,
    ServerOverload = 21,
}

/// <summary>
/// The REST API of a Jobe server (trampgeek/jobe, version 2), which Moodle's CodeRunner speaks, at Jobe's two prefixes: a run
/// is a one-shot job through the fleet, answered when it has ended. Jobe's protocol decides the shapes, including its errors:
/// a JSON string with the status code (what its clients show), not a ProblemDetails object. See docs/facades.md.
/// </summary>
public static class JobeApi
{
    public static readonly string[] Prefixes = ["/jobe/index.php/restapi", "/restapi"];

    /// <summary>Jobe's <c>cputime_upper_limit_secs</c>, as it ships.</summary>
    public const int MaxCpuSeconds = 120;

    /// <summary>Jobe answers this source with an overload, so that its clients can test how they handle one (testsubmit.py does).</summary>
    private const string OverloadTestSource = "!** TESTING OVERLOAD EXCEPTION **!";

    public static IEndpointRouteBuilder MapJobeApi(this IEndpointRouteBuilder app)
    {
        foreach (var prefix in Prefixes)
        {
            var group = app.MapGroup(prefix).WithTags("Jobe").AllowAnonymous();
            group.MapGet("/languages", LanguagesAsync).WithSummary("[[language, version], …] as Jobe lists them.");
            group.MapPost("/runs", RunAsync).WithSummary("Jobe's run: {run_spec} in, {run_id, outcome, cmpinfo, stdout, stderr} out, when it has ended.");
            group.MapPut("/files/{id}", PutFileAsync).WithSummary("Keeps a file ({file_contents}: base64) for runs to name in their file_list.");
            group.MapMethods("/files/{id}", [HttpMethods.Head], HasFileAsync).WithSummary("204 when the file is kept, else 404.");
        }

        return app;
    }

    private static async Task<Ok<List<string[]>>> LanguagesAsync(JudgeDbContext db, CancellationToken cancellationToken)
    {
        var versions = await LanguagesApi.ReportedVersionsAsync(db, cancellationToken);
        return TypedResults.Ok(JobeLanguages.All
            .Select(l => new[] { l.Id, LanguagesApi.VersionNumber(versions.GetValueOrDefault(l.Language.Id)) ?? "unknown" })
            .ToList());
    }

    private static async Task<IResult> RunAsync(
        HttpContext http, JudgeDbContext db, RunService runs, RunOverload overload, ApiKeyLookup keys, IOptions<RunsOptions> options,
        IOptions<ApiOptions> api, CancellationToken cancellationToken)
    {
        var caller = await FacadeAccess.AdmitAsync(http, ApiKeyDefaults.Header, keys, options.Value);
        if (!caller.Admitted)
        {
            return Results.Text(caller.Refusal, statusCode: StatusCodes.Status403Forbidden);
        }

        var body = await FacadeJson.ReadObjectAsync(http.Request, cancellationToken);

        var spec = JobeRunSpec.Read(body, api.Value.MaxSourceBytes, options.Value);
        if (spec.Error is { } error)
        {
            return Error(error.Message, error.Status);
        }

        if (spec.SourceCode == OverloadTestSource || await overload.IsOverloadedAsync(cancellationToken))
        {
            return TypedResults.Json(new JobeResult(null, (int)JobeOutcome.ServerOverload, "", "", ""));
        }

        var files = await JobeRunSpec.LoadFilesAsync(db, spec.FileList, cancellationToken);
        if (files is null)
        {
            return Error("One or more of the specified files is missing/unavailable", StatusCodes.Status404NotFound);
        }

        var run = spec.ToRun(caller.KeyId, files, options.Value);
        var ended = await runs.RunToEndAsync(run, cancellationToken);
        return TypedResults.Json(Result(ended));
    }

    /// <summary>
    /// Jobe's outcome for how the run ended. Jobe decides by stderr, not by the exit status: any output there is a runtime
    /// error, and a program that exits non-zero having printed none succeeded (its sandbox reports only signals, on stderr); a
    /// flood of output is cut at its stream size while the program runs on into its time limit. So does this.
    /// </summary>
    public static JobeResult Result(Run run)
    {
        var stdout = Clean(run.Stdout);
        var stderr = Clean(run.Stderr);
        var outcome = run.Status != RunStatus.Done ? JobeOutcome.InternalError : run.Verdict switch
        {
            Verdict.CompilationError => JobeOutcome.CompilationError,
            Verdict.TimeLimitExceeded => JobeOutcome.TimeLimit,
            Verdict.MemoryLimitExceeded => JobeOutcome.MemoryLimit,
            Verdict.RuntimeError when run.Signal is null && stderr.Length == 0 => JobeOutcome.Success,
            Verdict.RuntimeError or Verdict.OutputLimitExceeded => JobeOutcome.RuntimeError,
            Verdict.Accepted => stderr.Length > 0 ? JobeOutcome.RuntimeError : JobeOutcome.Success,
            _ => JobeOutcome.InternalError,
        };
        return outcome switch
        {
            // Jobe drops stderr on a time limit (it holds only its sandbox's message then).
            JobeOutcome.TimeLimit => new JobeResult(run.Id.ToString(), (int)outcome, "", stdout, ""),
            JobeOutcome.InternalError => new JobeResult(run.Id.ToString(), (int)outcome, "", stdout,
                run.Status == RunStatus.Done ? run.Message ?? stderr : "The run did not end in time."),
            _ => new JobeResult(run.Id.ToString(), (int)outcome, run.CompileOutput ?? "", stdout, stderr),
        };
    }

    /// <summary>
    /// Output as Jobe returns it: as it is when it is UTF-8; otherwise every byte that is a control character (but newline, tab
    /// and carriage return) or above 0x7E written as <c>\xNN</c>, so that any output can be sent as JSON text.
    /// </summary>
    public static string Clean(byte[]? bytes)
    {
        if (bytes is null or { Length: 0 })
        {
            return "";
        }

        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (System.Text.DecoderFallbackException)
        {
            var text = new System.Text.StringBuilder(bytes.Length + 16);
            foreach (var b in bytes)
            {
                if ((b < 0x20 && b is not ((byte)'\n' or (byte)'\r' or (byte)'\t')) || b > 0x7E)
                {
                    text.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\x{b:x2}");
                }
                else
                {
                    text.Append((char)b);
                }
            }

            return text.ToString();
        }
    }

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static async Task<IResult> PutFileAsync(
        string id, HttpContext http, JudgeDbContext db, ApiKeyLookup keys, IOptions<RunsOptions> options, CancellationToken cancellationToken)
    {
        var caller = await FacadeAccess.AdmitAsync(http, ApiKeyDefaults.Header, keys, options.Value);
        if (!caller.Admitted)
        {
            return Results.Text(caller.Refusal, statusCode: StatusCodes.Status403Forbidden);
        }

        if (!JobeRunSpec.IsFileId(id))
        {
            return Error($"put: the file id '{id}' is not alphanumeric", StatusCodes.Status400BadRequest);
        }

        var body = await FacadeJson.ReadObjectAsync(http.Request, cancellationToken);

        if (body?["file_contents"] is not JsonValue contentsNode || !contentsNode.TryGetValue<string>(out var contents))
        {
            return Error("put: missing file_contents parameter", StatusCodes.Status400BadRequest);
        }

        byte[] content;
        try
        {
            content = Convert.FromBase64String(contents);
        }
        catch (FormatException)
        {
            return Error($"put: contents of file {id} are not valid base-64", StatusCodes.Status400BadRequest);
        }

        if (content.Length > options.Value.MaxFileBytes)
        {
            return Error($"put: file {id} is {content.Length} bytes; the limit is {options.Value.MaxFileBytes}", StatusCodes.Status400BadRequest);
        }

        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO run_files (id, content) VALUES ({id}, {content})
            ON CONFLICT (id) DO UPDATE SET content = excluded.content, used_at = now()
            """, cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<Results<NoContent, NotFound>> HasFileAsync(string id, JudgeDbContext db, CancellationToken cancellationToken) =>
        JobeRunSpec.IsFileId(id) && await db.RunFiles.AnyAsync(f => f.Id == id, cancellationToken) ? TypedResults.NoContent() : TypedResults.NotFound();

    private static JsonHttpResult<string> Error(string message, int status) => TypedResults.Json(message, statusCode: status);
}
