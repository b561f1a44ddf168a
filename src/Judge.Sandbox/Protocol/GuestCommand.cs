using Judge.Grading.Languages;
using Judge.Grading.Runs;

namespace Judge.Sandbox.Protocol;

/// <summary>One command to run inside a VM as a fresh process tree under <see cref="Limits"/>.</summary>
public sealed record GuestCommand(IReadOnlyList<string> Argv)
{
    public const string WorkDirectory = Language.WorkDirectory;

    /// <summary>Where the judge keeps a submission's tests, answers and validators: hidden from the judged program's runs.</summary>
    public const string JudgeDirectory = "/judge";

    public const int JudgeUid = 1000;

    public static readonly IReadOnlyDictionary<string, string> DefaultEnvironment = new Dictionary<string, string>
    {
        ["PATH"] = "/usr/local/bin:/usr/bin:/bin",
        ["HOME"] = "/tmp",
        ["LANG"] = "C.UTF-8",
        ["TMPDIR"] = "/tmp", // every run's own fresh tmpfs; runtimes such as R's need it named
    };

    /// <summary>Variables added to (or overriding) <see cref="DefaultEnvironment"/>.</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    public string WorkingDirectory { get; init; } = WorkDirectory;

    public ReadOnlyMemory<byte>? Stdin { get; init; }

    /// <summary>A guest file fed as stdin when <see cref="Stdin"/> is not given.</summary>
    public string? StdinPath { get; init; }

    /// <summary>When set, stdout goes to this guest file instead of being captured.</summary>
    public string? StdoutPath { get; init; }

    public int Uid { get; init; } = JudgeUid;

    public int Gid { get; init; } = JudgeUid;

    public ResourceLimits Limits { get; init; } = new();

    /// <summary>Directories the run sees read-only (bound so in its own mount namespace); missing ones are skipped.</summary>
    public IReadOnlyList<string> ReadOnlyPaths { get; init; } = [];

    /// <summary>Directories the run sees empty (an empty read-only file system over each); missing ones are skipped.</summary>
    public IReadOnlyList<string> HiddenPaths { get; init; } = [];

    /// <summary>The run starts with SIGPIPE ignored, so that writing to a peer that has gone is an error it sees, not its death.</summary>
    public bool IgnoreSigpipe { get; init; }

    public IEnumerable<string> EnvironmentEntries()
    {
        var merged = new Dictionary<string, string>(DefaultEnvironment);
        foreach (var (key, value) in Environment ?? new Dictionary<string, string>())
        {
            merged[key] = value;
        }

        return merged.Select(kv => $"{kv.Key}={kv.Value}");
    }
}
