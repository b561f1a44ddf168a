namespace Judge.Api.Runs;

/// <summary>Settings of one-shot runs, the jobs of the Jobe and Judge0 facades (section "Runs").</summary>
public sealed class RunsOptions
{
    public const string SectionName = "Runs";

    /// <summary>
    /// The facades answer "overloaded" (Jobe's outcome 21, Judge0's 503) when more runs than this per live worker wait for one:
    /// every worker's share of the queue is beyond it. At ~40 runs/s per 2-core worker, 200 is ~5 s of waiting.
    /// </summary>
    public int MaxQueuedPerWorker { get; set; } = 200;

    /// <summary>The longest a synchronous run (Jobe's, Judge0's <c>wait=true</c>) keeps its request open.</summary>
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Jobe's runs are answered once and never asked for again: kept this long for operators, then deleted.</summary>
    public TimeSpan KeepJobeRunsFor { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Judge0's submissions are asked for by token later: kept this long, then deleted.</summary>
    public TimeSpan KeepJudge0RunsFor { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Files PUT for Jobe's file_list that no run named for this long are deleted.</summary>
    public TimeSpan KeepFilesFor { get; set; } = TimeSpan.FromDays(7);

    /// <summary>The most memory a run may have (the cgroup's limit), whatever its client asks for, or when it asks for none.</summary>
    public long MaxMemoryBytes { get; set; } = 2L << 30;

    /// <summary>A run's stdin, at most.</summary>
    public int MaxInputBytes { get; set; } = 16 << 20;

    /// <summary>A file PUT for Jobe's file_list, at most.</summary>
    public int MaxFileBytes { get; set; } = 16 << 20;

    /// <summary>Without a key the facades serve only loopback callers (as Jobe serves its own host); true asks loopback for keys too.</summary>
    public bool RequireKeyOnLoopback { get; set; }
}
