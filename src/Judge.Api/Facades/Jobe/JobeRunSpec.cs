using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Judge.Api.Runs;
using Judge.Data;
using Judge.Data.Runs;
using Judge.Data.Submissions;
using Judge.Grading.Languages;
using Microsoft.EntityFrameworkCore;

namespace Judge.Api.Facades.Jobe;

/// <summary>A request Jobe refuses: its message (a JSON string in the reply) and status code.</summary>
public sealed record JobeError(string Message, int Status);

/// <summary>
/// A Jobe <c>run_spec</c>, read as Jobe's RunSpecifier and LanguageTask read it: the same checks in the same order with the
/// same messages, numeric parameters that are not numbers taken as the default (Jobe's guard against injection), argument
/// lists joined with spaces into shell text, Jobe's units (seconds; memory and sizes in MB of 1000 KiB).
/// </summary>
public sealed partial class JobeRunSpec
{
    private const double DefaultCpuSeconds = 5;
    private const int DefaultProcesses = 30;
    private const double DefaultDiskMb = 20;
    private const double DefaultStreamMb = 2;

    /// <summary>Jobe's runguard leaves the stack at the limit the server was started with: Linux's usual 8 MiB.</summary>
    private const long StackBytes = 8L << 20;

    /// <summary>Jobe's megabyte, in runguard's arithmetic: 1000 KiB.</summary>
    private const long JobeMegabyte = 1000 * 1024;

    private const int MinFileIdLength = 8;

    private JobeRunSpec()
    {
    }

    public JobeError? Error { get; private init; }

    public string SourceCode { get; private init; } = "";

    public IReadOnlyList<(string Id, string Name)> FileList { get; private init; } = [];

    private JobeLanguage Language { get; init; } = null!;

    private string SourceFileName { get; init; } = "";

    private byte[] Input { get; init; } = [];

    private JsonObject Parameters { get; init; } = [];

    public static JobeRunSpec Read(JsonNode? body, int maxSourceBytes, RunsOptions options)
    {
        if (body is not JsonObject post)
        {
            return Refused("Non-JSON post data received");
        }

        if (post["run_spec"] is not JsonObject run)
        {
            return Refused("No run_spec attribute found in post data");
        }

        foreach (var required in new[] { "sourcecode", "language_id" })
        {
            if (run[required] is null)
            {
                return Refused($"run_spec is missing the required attribute '{required}'");
            }
        }

        if (Text(run["sourcecode"]) is not { } source)
        {
            return Refused("run_spec attribute 'sourcecode' must be a string");
        }

        var languageId = (Text(run["language_id"]) ?? "").ToLowerInvariant();
        if (JobeLanguages.Find(languageId) is not { } language)
        {
            return Refused($"Language '{languageId}' is not known");
        }

        if (Encoding.UTF8.GetByteCount(source) is var sourceBytes && sourceBytes > maxSourceBytes)
        {
            return Refused($"sourcecode is {sourceBytes} bytes; the limit on this server is {maxSourceBytes}");
        }

        var input = run["input"] is null ? "" : Text(run["input"]);
        if (input is null)
        {
            return Refused("run_spec attribute 'input' must be a string");
        }

        if (Encoding.UTF8.GetByteCount(input) is var inputBytes && inputBytes > options.MaxInputBytes)
        {
            return Refused($"input is {inputBytes} bytes; the limit on this server is {options.MaxInputBytes}");
        }

        var parameters = run["parameters"] switch
        {
            null => [],
            JsonObject given => given,
            // PHP casts an empty JSON array to an empty parameter list.
            JsonArray { Count: 0 } => [],
            _ => null,
        };
        if (parameters is null)
        {
            return Refused("run_spec attribute 'parameters' must be an object");
        }

        if ((int)Number(parameters["cputime"], 0) > JobeApi.MaxCpuSeconds)
        {
            return Refused($"cputime exceeds maximum allowed on this Jobe server ({JobeApi.MaxCpuSeconds} secs)");
        }

        var fileName = "";
        if (run["sourcefilename"] is { } named)
        {
            if (Text(named) is not { } name || !IsValidSourceFileName(name))
            {
                return Refused("The sourcefilename for the run_spec is illegal");
            }

            // Jobe's own hack for legacy CodeRunner, which sends this almost-certainly-wrong name for every Java program.
            fileName = name == "prog.java" ? "" : name;
        }

        var fileList = new List<(string, string)>();
        if (run["file_list"] is { } list)
        {
            if (list is not JsonArray specs)
            {
                return Refused($"Invalid file specifier: {list.ToJsonString()}");
            }

            foreach (var spec in specs)
            {
                if (spec is not JsonArray { Count: 2 or 3 } parts || Text(parts[0]) is not { } id || Text(parts[1]) is not { } name
                    || id.Length < MinFileIdLength || !IsFileId(id) || !IsFileName(name))
                {
                    return Refused($"Invalid file specifier: {spec?.ToJsonString() ?? "null"}");
                }

                fileList.Add((id, name));
            }
        }

        return new JobeRunSpec
        {
            SourceCode = source,
            Language = language,
            SourceFileName = fileName.Length > 0 ? fileName : DefaultFileName(language, source),
            Input = Encoding.UTF8.GetBytes(input),
            Parameters = parameters,
            FileList = fileList,
        };
    }

    /// <summary>The files a file_list names, by their names in it; null when one of them is not kept.</summary>
    public static async Task<List<SubmissionFile>?> LoadFilesAsync(JudgeDbContext db, IReadOnlyList<(string Id, string Name)> fileList, CancellationToken cancellationToken)
    {
        if (fileList.Count == 0)
        {
            return [];
        }

        var ids = fileList.Select(f => f.Id).Distinct().ToList();
        var kept = await db.RunFiles.AsNoTracking().Where(f => ids.Contains(f.Id)).ToDictionaryAsync(f => f.Id, f => f.Content, cancellationToken);
        if (kept.Count < ids.Count)
        {
            return null;
        }

        await db.RunFiles.Where(f => ids.Contains(f.Id)).ExecuteUpdateAsync(set => set.SetProperty(f => f.UsedAt, _ => DateTime.UtcNow), cancellationToken);
        return [.. fileList.Select(f => new SubmissionFile(f.Name, kept[f.Id]))];
    }

    /// <summary>The run, with Jobe's defaults for what the spec leaves out.</summary>
    public Run ToRun(Guid? apiKeyId, List<SubmissionFile> dataFiles, RunsOptions options)
    {
        var cpuSeconds = Number(Parameters["cputime"], DefaultCpuSeconds) is > 0 and var cpu ? cpu : DefaultCpuSeconds;
        var memoryMb = Number(Parameters["memorylimit"], Language.MemoryLimitMb);
        var addressSpace = Language.IgnoresMemoryLimit || memoryMb <= 0 ? (long?)null : (long)(memoryMb * JobeMegabyte);
        var diskMb = Number(Parameters["disklimit"], DefaultDiskMb);
        var streamMb = Number(Parameters["streamsize"], DefaultStreamMb);
        var processes = Math.Max((int)Number(Parameters["numprocs"], DefaultProcesses), Language.MinProcesses);
        // Jobe writes the source, then the job's files over it: a file_list entry of the same name wins.
        var files = new List<SubmissionFile> { SubmissionFile.Of(SourceFileName, SourceCode) };
        foreach (var file in dataFiles)
        {
            files.RemoveAll(f => f.Name == file.Name);
            files.Add(file);
        }

        return new Run
        {
            Id = Guid.CreateVersion7(),
            ApiKeyId = apiKeyId,
            Facade = RunFacade.Jobe,
            Language = Language.Language.Id,
            Files = files,
            EntryPoint = SourceFileName,
            Stdin = Input,
            SyntaxCheck = Language.SyntaxCheck,
            CompileArgs = Arguments(Parameters["compileargs"]) ?? Language.CompileArgs,
            LinkArgs = Arguments(Parameters["linkargs"]),
            InterpreterArgs = Arguments(Parameters["interpreterargs"]) ?? Language.InterpreterArgs,
            RunArgs = Arguments(Parameters["runargs"]),
            CpuLimitMs = (int)Math.Round(cpuSeconds * 1000),
            // Jobe's runguard kills a run after twice its CPU time.
            WallLimitMs = (int)Math.Round(cpuSeconds * 2000),
            MemoryLimitBytes = Math.Min(addressSpace ?? options.MaxMemoryBytes, options.MaxMemoryBytes),
            AddressSpaceBytes = addressSpace,
            StackBytes = StackBytes,
            FileSizeBytes = diskMb < 0 ? null : (long)(diskMb * JobeMegabyte),
            MaxProcesses = Math.Max(1, processes),
            OutputLimitBytes = Math.Clamp((long)(streamMb * JobeMegabyte), 0, MaxCapturedBytes),
            OutputLimitKills = false,
            Lane = Lane.Interactive,
            CreatedAt = DateTime.UtcNow,
        };
    }

    /// <summary>What the agent captures of one stream at most (its reply must fit one frame).</summary>
    private const long MaxCapturedBytes = 16L << 20;

    /// <summary>A file id as Jobe's routes take it: letters and digits.</summary>
    public static bool IsFileId(string id) => id.Length is > 0 and <= 256 && id.All(char.IsAsciiLetterOrDigit);

    private static string DefaultFileName(JobeLanguage language, string source) =>
        language.DefaultFileName ?? (language.Language == LanguageRegistry.Java
            ? JavaMainClass().Match(source) is { Success: true } main ? main.Groups[2].Value + ".java" : "prog.java"
            : language.Language.SourceFileName);

    /// <summary>Jobe's test: the name is unchanged by replacing every character that is reserved in file names or URIs.</summary>
    private static bool IsValidSourceFileName(string name) =>
        name.Length > 0 && !UnsafeFileNameCharacter().IsMatch(name) && name.TrimStart('.', '-') == name;

    private static bool IsFileName(string name) =>
        name.Length > 0 && name.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).Replace(".", "", StringComparison.Ordinal)
            .All(char.IsAsciiLetterOrDigit) && name is not ("." or "..");

    private static JobeRunSpec Refused(string message) => new() { Error = new JobeError(message, StatusCodes.Status400BadRequest) };

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    /// <summary>A number, or a string that is one (PHP's is_numeric); anything else is the default.</summary>
    private static double Number(JsonNode? node, double fallback) => FacadeJson.Number(node) ?? fallback;

    /// <summary>An argument list as Jobe builds its commands from it: the items joined by spaces (a string is taken as it is).</summary>
    private static string? Arguments(JsonNode? node) => node switch
    {
        JsonArray items => string.Join(' ', items.Select(i => i is JsonValue v ? v.ToString() : i?.ToJsonString() ?? "")),
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        _ => null,
    };

    [GeneratedRegex(@"[<>:""/\\|?*\x00-\x1F\x7F\xA0\xAD#\[\]@!$&'()+,;={}^~`]")]
    private static partial Regex UnsafeFileNameCharacter();

    [GeneratedRegex(@"(^|\W)public\s+class\s+(\w+)[^{]*\{.*?(public\s+static|static\s+public)\s+void\s+main\s*\(\s*String", RegexOptions.Singleline)]
    private static partial Regex JavaMainClass();
}
