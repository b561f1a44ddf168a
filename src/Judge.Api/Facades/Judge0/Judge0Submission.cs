using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Judge.Api.Callbacks;
using Judge.Api.Runs;
using Judge.Data.Runs;
using Judge.Data.Submissions;
using Judge.Grading.Languages;
using Judge.Grading.Verdicts;

namespace Judge.Api.Facades.Judge0;

/// <summary>What a Judge0 client asked for in Judge0's terms, kept with the run (<see cref="Run.FacadeRequest"/>) to be echoed back.</summary>
public sealed record Judge0Settings(
    int LanguageId, string? CompilerOptions, string? CommandLineArguments, double CpuTimeLimit, double CpuExtraTime, double WallTimeLimit,
    int MemoryLimit, int StackLimit, int MaxProcessesAndOrThreads, bool EnablePerProcessAndThreadTimeLimit, bool EnablePerProcessAndThreadMemoryLimit,
    int MaxFileSize, bool RedirectStderrToStdout, bool EnableNetwork, int NumberOfRuns);

/// <summary>
/// A Judge0 CE 1.13 submission: its attributes read and checked as Judge0's model checks them (the same defaults, limits and
/// messages, field by field), and a run rendered back as Judge0's serializer renders it (the fields asked for, in its order,
/// decimals as strings, memory in KB, text in base64 when asked).
/// </summary>
public static class Judge0Submission
{
    public const int MaxBatch = 20;
    private const int MaxOptionLength = 512;

    /// <summary>Every field a client may ask for, in the order Judge0 writes them.</summary>
    public static readonly string[] Fields =
    [
        "source_code", "language_id", "stdin", "expected_output", "stdout", "status_id", "created_at", "finished_at", "time", "memory", "stderr",
        "token", "number_of_runs", "cpu_time_limit", "cpu_extra_time", "wall_time_limit", "memory_limit", "stack_limit", "max_processes_and_or_threads",
        "enable_per_process_and_thread_time_limit", "enable_per_process_and_thread_memory_limit", "max_file_size", "compile_output", "exit_code",
        "exit_signal", "message", "wall_time", "compiler_options", "command_line_arguments", "redirect_stderr_to_stdout", "callback_url",
        "additional_files", "enable_network", "status", "language",
    ];

    public static readonly string[] DefaultFields = ["token", "time", "memory", "stdout", "stderr", "compile_output", "message", "status"];

    private static readonly JsonSerializerOptions SettingsJson = new(JsonSerializerDefaults.Web);

    /// <summary>The fields a <c>fields=</c> value selects, or the error Judge0 gives for it (pieces are not trimmed, as there).</summary>
    public static (HashSet<string>? Fields, string? Error) SelectFields(string? fields)
    {
        if (string.IsNullOrEmpty(fields))
        {
            return ([.. DefaultFields], null);
        }

        var pieces = fields.Split(',');
        if (pieces.Contains("*"))
        {
            return ([.. Fields], null);
        }

        var invalid = pieces.Where(p => !Fields.Contains(p)).ToList();
        return invalid.Count > 0 ? (null, $"invalid fields: [{string.Join(", ", invalid)}]") : ([.. pieces], null);
    }

    /// <summary>The run a submission asks for, or its errors by attribute (Judge0's 422 body).</summary>
    public static (Run? Run, Dictionary<string, List<string>> Errors) Read(
        JsonNode? body, bool base64, Guid? apiKeyId, int maxSourceBytes, RunsOptions runs, CallbackOptions callbacks)
    {
        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Add(string field, string message)
        {
            if (!errors.TryGetValue(field, out var list))
            {
                errors[field] = list = [];
            }

            list.Add(message);
        }

        var item = body as JsonObject ?? [];
        var source = Text(item, "source_code", base64);
        if (source is null || string.IsNullOrWhiteSpace(Encoding.UTF8.GetString(source)))
        {
            Add("source_code", "can't be blank");
        }
        else if (source.Length > maxSourceBytes)
        {
            Add("source_code", $"is too long (maximum is {maxSourceBytes} bytes)");
        }

        if (item["additional_files"] is not null)
        {
            Add("additional_files", "setting additional files is not allowed");
        }

        var languageNode = item["language_id"];
        var languageId = Integer(languageNode);
        if (languageNode is null)
        {
            Add("language_id", "can't be blank");
        }

        var language = languageId is { } id ? Judge0Languages.Find(id) : null;
        if (language is null)
        {
            Add("language_id", $"language with id {(languageNode is JsonValue v ? v.ToString() : "")} doesn't exist");
        }

        var numberOfRuns = Limit(item, "number_of_runs", 1, 0, exclusiveMin: true, 20, seconds: false, Add);
        var cpu = Limit(item, "cpu_time_limit", 5, 0, false, 15, seconds: true, Add);
        var extra = Limit(item, "cpu_extra_time", 1, 0, false, 5, seconds: true, Add);
        var wall = Limit(item, "wall_time_limit", 10, 1, false, 20, seconds: true, Add);
        var memory = Limit(item, "memory_limit", 128000, 2048, false, 512000, seconds: false, Add);
        var stack = Limit(item, "stack_limit", 64000, 0, false, 128000, seconds: false, Add);
        var processes = Limit(item, "max_processes_and_or_threads", 60, 0, exclusiveMin: true, 120, seconds: false, Add);
        var fileSize = Limit(item, "max_file_size", 1024, 0, false, 4096, seconds: false, Add);
        var compilerOptions = Option(item, "compiler_options", Add);
        var arguments = Option(item, "command_line_arguments", Add);
        if (!string.IsNullOrWhiteSpace(compilerOptions) && language is { Compiled: false })
        {
            Add("compiler_options", "setting compiler options is only allowed for compiled languages");
        }

        var network = Boolean(item, "enable_network");
        if (network)
        {
            Add("enable_network", "enabling network is not allowed");
        }

        var callbackUrl = item["callback_url"] is JsonValue url && url.TryGetValue<string>(out var given) && given.Length > 0 ? given : null;
        if (callbackUrl is not null && CallbackUrls.Refusal(callbackUrl, callbacks) is { } refusal)
        {
            Add("callback_url", refusal);
        }

        var stdin = Text(item, "stdin", base64) ?? [];
        if (stdin.Length > runs.MaxInputBytes)
        {
            Add("stdin", $"is too long (maximum is {runs.MaxInputBytes} bytes)");
        }

        if (errors.Count > 0)
        {
            return (null, errors);
        }

        var redirect = Boolean(item, "redirect_stderr_to_stdout");
        var settings = new Judge0Settings(languageId!.Value, compilerOptions, arguments, cpu, extra, wall, (int)memory, (int)stack, (int)processes,
            Boolean(item, "enable_per_process_and_thread_time_limit"), Boolean(item, "enable_per_process_and_thread_memory_limit"), (int)fileSize, redirect,
            network, (int)numberOfRuns);
        var runArguments = Sanitized(arguments);
        return (new Run
        {
            Id = Guid.CreateVersion7(),
            ApiKeyId = apiKeyId,
            Facade = RunFacade.Judge0,
            Language = language!.Language.Id,
            Files = [new SubmissionFile(language.SourceFile, source!)],
            EntryPoint = language.SourceFile,
            Stdin = stdin,
            ExpectedOutput = Text(item, "expected_output", base64),
            SyntaxCheck = language.SyntaxCheck,
            CompileArgs = Sanitized(compilerOptions),
            RunArgs = redirect ? $"{runArguments} 2>&1" : runArguments,
            CpuLimitMs = (int)Math.Round(cpu * 1000),
            WallLimitMs = (int)Math.Round(wall * 1000),
            MemoryLimitBytes = Math.Min((long)memory * 1024, runs.MaxMemoryBytes),
            StackBytes = (long)stack * 1024,
            FileSizeBytes = (long)fileSize * 1024,
            MaxProcesses = (int)processes,
            // Judge0's program writes its output to files under the file size limit: more is SIGXFSZ, a runtime error.
            OutputLimitBytes = Math.Max(1, (long)fileSize * 1024),
            OutputLimitKills = true,
            Lane = Lane.Interactive,
            CallbackUrl = callbackUrl,
            FacadeRequest = JsonSerializer.Serialize(settings, SettingsJson),
            CreatedAt = DateTime.UtcNow,
        }, errors);
    }

    /// <summary>The status Judge0 would give the run (decided on reading: the comparison with the expected output is Judge0's).</summary>
    public static Judge0Status StatusOf(Run run) => run.Status switch
    {
        RunStatus.Queued => Judge0Status.InQueue,
        RunStatus.Running => Judge0Status.Processing,
        _ => run.Verdict switch
        {
            Verdict.CompilationError => Judge0Status.CompilationError,
            Verdict.TimeLimitExceeded => Judge0Status.TimeLimitExceeded,
            Verdict.OutputLimitExceeded => Judge0Status.RuntimeErrorSigxfsz,
            // The cgroup's kill, which Judge0 reports as SIGKILL.
            Verdict.MemoryLimitExceeded => Judge0Status.RuntimeErrorOther,
            Verdict.RuntimeError => run.Signal switch
            {
                null => Judge0Status.RuntimeErrorNzec,
                11 => Judge0Status.RuntimeErrorSigsegv,
                25 => Judge0Status.RuntimeErrorSigxfsz,
                8 => Judge0Status.RuntimeErrorSigfpe,
                6 => Judge0Status.RuntimeErrorSigabrt,
                _ => Judge0Status.RuntimeErrorOther,
            },
            Verdict.Accepted when run.ExpectedOutput is { } expected && Stripped(NullIfEmpty(run.Stdout)) != Stripped(expected) => Judge0Status.WrongAnswer,
            Verdict.Accepted => Judge0Status.Accepted,
            _ => Judge0Status.InternalError,
        },
    };

    /// <summary>
    /// The run as Judge0 shows a submission: the selected <paramref name="fields"/> in Judge0's order. Without base64, output
    /// that is not UTF-8 cannot be JSON text: null and an error, as Judge0 answers then.
    /// </summary>
    public static (JsonObject? Body, string? Error) Render(Run run, ISet<string> fields, bool base64, IReadOnlyDictionary<string, string> versions)
    {
        var settings = run.FacadeRequest is { } json ? JsonSerializer.Deserialize<Judge0Settings>(json, SettingsJson)! : null;
        var status = StatusOf(run);
        var done = run.Status == RunStatus.Done;
        var compiled = done && run.Verdict != Verdict.CompilationError;
        var language = settings is null ? null : Judge0Languages.Find(settings.LanguageId);
        var source = run.Files.FirstOrDefault(f => f.Name == run.EntryPoint)?.Content;
        var body = new JsonObject();
        foreach (var field in Fields.Where(fields.Contains))
        {
            JsonNode? value;
            try
            {
                value = field switch
                {
                    "source_code" => Encoded(source, base64),
                    "language_id" => settings?.LanguageId,
                    "stdin" => Encoded(NullIfEmpty(run.Stdin), base64),
                    "expected_output" => Encoded(run.ExpectedOutput, base64),
                    "stdout" => compiled ? Encoded(NullIfEmpty(run.Stdout), base64) : null,
                    "status_id" => (int)status,
                    "created_at" => Time(run.CreatedAt),
                    "finished_at" => run.FinishedAt is { } finished ? Time(finished) : null,
                    "time" => compiled && run.CpuMs is { } cpu ? Seconds(cpu / 1000.0) : null,
                    "memory" => compiled && run.MemoryBytes is { } bytes ? (int)(bytes / 1024) : null,
                    "stderr" => compiled ? Encoded(NullIfEmpty(run.Stderr), base64) : null,
                    "token" => run.Id.ToString(),
                    "number_of_runs" => settings?.NumberOfRuns,
                    "cpu_time_limit" => settings is null ? null : Seconds(settings.CpuTimeLimit),
                    "cpu_extra_time" => settings is null ? null : Seconds(settings.CpuExtraTime),
                    "wall_time_limit" => settings is null ? null : Seconds(settings.WallTimeLimit),
                    "memory_limit" => settings?.MemoryLimit,
                    "stack_limit" => settings?.StackLimit,
                    "max_processes_and_or_threads" => settings?.MaxProcessesAndOrThreads,
                    "enable_per_process_and_thread_time_limit" => settings?.EnablePerProcessAndThreadTimeLimit,
                    "enable_per_process_and_thread_memory_limit" => settings?.EnablePerProcessAndThreadMemoryLimit,
                    "max_file_size" => settings?.MaxFileSize,
                    "compile_output" => Encoded(run.CompileOutput is { Length: > 0 } output ? Encoding.UTF8.GetBytes(output) : null, base64),
                    "exit_code" => compiled ? run.ExitCode ?? 0 : null,
                    "exit_signal" => compiled ? run.Signal : null,
                    "message" => Encoded(Message(run) is { } message ? Encoding.UTF8.GetBytes(message) : null, base64),
                    "wall_time" => compiled && run.WallMs is { } wall ? Seconds(wall / 1000.0) : null,
                    "compiler_options" => settings?.CompilerOptions,
                    "command_line_arguments" => settings?.CommandLineArguments,
                    "redirect_stderr_to_stdout" => settings?.RedirectStderrToStdout,
                    "callback_url" => run.CallbackUrl,
                    "additional_files" => null,
                    "enable_network" => settings?.EnableNetwork,
                    "status" => new JsonObject { ["id"] = (int)status, ["description"] = Judge0Statuses.Description(status) },
                    _ => language is null ? null : new JsonObject
                    {
                        ["id"] = language.Id,
                        ["name"] = language.DisplayName(Languages.LanguagesApi.VersionNumber(versions.GetValueOrDefault(language.Language.Id))),
                    },
                };
            }
            catch (DecoderFallbackException)
            {
                return (null, "some attributes for this submission cannot be converted to UTF-8, use base64_encoded=true query parameter");
            }

            body[field] = value;
        }

        return (body, null);
    }

    /// <summary>isolate's message for how the run ended, as Judge0 passes it on.</summary>
    private static string? Message(Run run) => run.Status != RunStatus.Done ? null : run.Verdict switch
    {
        Verdict.TimeLimitExceeded => run.Message?.StartsWith("wall", StringComparison.Ordinal) == true ? "Time limit exceeded (wall clock)" : "Time limit exceeded",
        Verdict.RuntimeError or Verdict.MemoryLimitExceeded or Verdict.OutputLimitExceeded => run.Signal is { } signal ? $"Caught fatal signal {signal}"
            : run.ExitCode is { } code and not 0 ? $"Exited with error status {code}" : run.Message,
        Verdict.InternalError => run.Message,
        _ => null,
    };

    /// <summary>Judge0's comparison: trailing whitespace of every line and trailing lines do not count.</summary>
    private static string? Stripped(byte[]? output) =>
        output is null ? null : string.Join('\n', Encoding.UTF8.GetString(output).Split('\n').Select(l => l.TrimEnd(RubyWhitespace))).TrimEnd(RubyWhitespace);

    private static readonly char[] RubyWhitespace = [' ', '\t', '\r', '\n', '\0', '\v', '\f'];

    private static byte[]? NullIfEmpty(byte[]? bytes) => bytes is { Length: > 0 } ? bytes : null;

    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    /// <summary>Text as Judge0 returns it: base64 as Ruby's encode64 writes it (a newline every 60 characters and at the end), or UTF-8 text.</summary>
    private static string? Encoded(byte[]? bytes, bool base64)
    {
        if (bytes is null)
        {
            return null;
        }

        if (!base64)
        {
            return StrictUtf8.GetString(bytes);
        }

        var encoded = Convert.ToBase64String(bytes);
        var text = new StringBuilder(encoded.Length + (encoded.Length / 60) + 1);
        for (var i = 0; i < encoded.Length; i += 60)
        {
            text.Append(encoded, i, Math.Min(60, encoded.Length - i)).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>A decimal as Rails writes one: at least one decimal place, no trailing zeros beyond it ("5.0", "0.001").</summary>
    private static string Seconds(double seconds)
    {
        var text = Math.Round(seconds, 3).ToString("0.0##", CultureInfo.InvariantCulture);
        return text;
    }

    private static string Time(DateTime at) => DateTime.SpecifyKind(at, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>A text attribute, decoded from base64 (leniently, as Ruby's decode64 does) when the request says it is.</summary>
    private static byte[]? Text(JsonObject item, string field, bool base64)
    {
        if (item[field] is not JsonValue value || !value.TryGetValue<string>(out var text))
        {
            return item[field] is JsonValue other && other.GetValueKind() is JsonValueKind.Number ? Encoding.UTF8.GetBytes(other.ToString()) : null;
        }

        if (!base64)
        {
            return Encoding.UTF8.GetBytes(text);
        }

        var alphabet = new string([.. text.Where(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '/')]);
        var padded = (alphabet.Length % 4) switch { 2 => alphabet + "==", 3 => alphabet + "=", 1 => alphabet[..^1], _ => alphabet };
        return Convert.FromBase64String(padded);
    }

    /// <summary>Judge0 removes these from the options and arguments it puts into its shell scripts.</summary>
    private static string? Sanitized(string? text) =>
        string.IsNullOrWhiteSpace(text) ? null : new string([.. text.Trim().Where(c => c is not ('$' or '&' or ';' or '<' or '>' or '|' or '`'))]);

    private static string? Option(JsonObject item, string field, Action<string, string> add)
    {
        var text = item[field] is JsonValue value && value.TryGetValue<string>(out var given) ? given : null;
        if (text?.Length > MaxOptionLength)
        {
            add(field, $"is too long (maximum is {MaxOptionLength} characters)");
        }

        return text;
    }

    /// <summary>
    /// A numeric attribute within its limits, with Rails' messages: the minimums are integers in Judge0's model, the maximums
    /// come from its configuration, where the times are floats ("must be less than or equal to 15.0").
    /// </summary>
    private static double Limit(
        JsonObject item, string field, double fallback, double min, bool exclusiveMin, double max, bool seconds, Action<string, string> add)
    {
        var node = item[field];
        if (node is null)
        {
            return fallback;
        }

        if (FacadeJson.Number(node) is not { } value)
        {
            add(field, "is not a number");
            return fallback;
        }

        var least = min.ToString("0", CultureInfo.InvariantCulture);
        if (exclusiveMin ? value <= min : value < min)
        {
            add(field, exclusiveMin ? $"must be greater than {least}" : $"must be greater than or equal to {least}");
        }
        else if (value > max)
        {
            add(field, $"must be less than or equal to {max.ToString(seconds ? "0.0" : "0", CultureInfo.InvariantCulture)}");
        }

        return value;
    }

    private static int? Integer(JsonNode? node) => FacadeJson.Number(node) is { } value && value == Math.Floor(value) && Math.Abs(value) < int.MaxValue ? (int)value : null;

    /// <summary>Rails' boolean casting: false, "false", 0, "0", "f", "off" are false; null and "" the default (false here).</summary>
    private static bool Boolean(JsonObject item, string field) => item[field] switch
    {
        JsonValue value when value.GetValueKind() == JsonValueKind.True => true,
        JsonValue value when value.GetValueKind() == JsonValueKind.Number => value.GetValue<double>() != 0,
        JsonValue value when value.TryGetValue<string>(out var text) => text.Length > 0 && text is not ("false" or "0" or "f" or "off" or "F" or "FALSE" or "OFF"),
        _ => false,
    };
}
