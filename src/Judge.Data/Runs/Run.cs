using Judge.Data.Submissions;
using Judge.Grading.Languages;
using Judge.Grading.Verdicts;

namespace Judge.Data.Runs;

/// <summary>Stored by name (Queued, Running, Done).</summary>
public enum RunStatus
{
    Queued,
    Running,
    Done,
}

/// <summary>The API a run came through, which decides how it is answered; stored kebab-case.</summary>
public enum RunFacade
{
    Jobe,
    Judge0,
}

/// <summary>
/// A one-shot job: a program without a problem, compiled once and run once on its <see cref="Stdin"/> under its own limits,
/// with its stdout and stderr kept (what Jobe and Judge0 clients ask for). <see cref="Verdict"/> is how it ended: Accepted for
/// a clean exit (and, with <see cref="ExpectedOutput"/>, matching output), else the verdict the run earned.
/// </summary>
public sealed class Run
{
    public Guid Id { get; set; }

    public Guid? ApiKeyId { get; set; }

    public RunFacade Facade { get; set; }

    public required string Language { get; set; }

    /// <summary>Every file put in /box: the program's and the job's data files.</summary>
    public required List<SubmissionFile> Files { get; set; }

    public required string EntryPoint { get; set; }

    public byte[] Stdin { get; set; } = [];

    public byte[]? ExpectedOutput { get; set; }

    /// <summary>An interpreted language's syntax check runs first, its failure a compilation error (Jobe's Python, PHP).</summary>
    public bool SyntaxCheck { get; set; }

    /// <summary>Shell text in place of the language's compiler options (see <see cref="Judge.Grading.Languages.OneShotArgs"/>); null for its own.</summary>
    public string? CompileArgs { get; set; }

    public string? LinkArgs { get; set; }

    public string? InterpreterArgs { get; set; }

    public string? RunArgs { get; set; }

    /// <summary>CPU time on the reference host; a worker scales it by its speed factor, as a problem's time limit.</summary>
    public int CpuLimitMs { get; set; }

    public int WallLimitMs { get; set; }

    /// <summary>The cgroup's limit on the memory the run uses.</summary>
    public long MemoryLimitBytes { get; set; }

    /// <summary>RLIMIT_AS, for clients that expect a large allocation to fail (Jobe's memorylimit); null for none.</summary>
    public long? AddressSpaceBytes { get; set; }

    public long? StackBytes { get; set; }

    /// <summary>The largest file the program may write (RLIMIT_FSIZE); null for none.</summary>
    public long? FileSizeBytes { get; set; }

    public int MaxProcesses { get; set; }

    /// <summary>Stdout and stderr are each kept up to this many bytes.</summary>
    public long OutputLimitBytes { get; set; }

    /// <summary>More output than <see cref="OutputLimitBytes"/> ends the run (an output limit); else it is dropped and the run goes on.</summary>
    public bool OutputLimitKills { get; set; }

    public Lane Lane { get; set; } = Lane.Interactive;

    public RunStatus Status { get; set; } = RunStatus.Queued;

    public Verdict? Verdict { get; set; }

    public int? ExitCode { get; set; }

    public int? Signal { get; set; }

    public byte[]? Stdout { get; set; }

    public byte[]? Stderr { get; set; }

    public string? CompileOutput { get; set; }

    /// <summary>Why the run ended as it did (the limit, the signal), or the judge's error for InternalError.</summary>
    public string? Message { get; set; }

    public int? CpuMs { get; set; }

    public int? WallMs { get; set; }

    public long? MemoryBytes { get; set; }

    public int Attempt { get; set; }

    public string? WorkerId { get; set; }

    public DateTime? LeaseExpiresAt { get; set; }

    public string? VmId { get; set; }

    public string? Isolation { get; set; }

    public string? CallbackUrl { get; set; }

    /// <summary>What the facade's client asked for in its own terms (JSON), for the facade to echo back: Judge0's limits as given.</summary>
    public string? FacadeRequest { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime? PublishedAt { get; set; }

    public DateTime? StartedAt { get; set; }

    public DateTime? FinishedAt { get; set; }
}

/// <summary>A file a Jobe client PUT once, by an id of its choice, for later runs to name in their <c>file_list</c>.</summary>
public sealed class RunFile
{
    public required string Id { get; set; }

    public required byte[] Content { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime UsedAt { get; set; }
}
