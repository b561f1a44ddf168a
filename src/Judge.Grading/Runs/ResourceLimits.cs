namespace Judge.Grading.Runs;

/// <summary>Limits for one command. Null means no limit; CPU time covers the whole process tree.</summary>
public sealed record ResourceLimits
{
    public TimeSpan? CpuTime { get; init; }

    /// <summary>Wall-clock limit; when unset and a CPU limit is set, 2 × CPU + 1 s (against sleeping programs).</summary>
    public TimeSpan? WallTime { get; init; }

    public long? MemoryBytes { get; init; }

    public int? MaxProcesses { get; init; }

    /// <summary>Captured stdout and stderr are each cut at this many bytes.</summary>
    public long OutputBytes { get; init; } = 64 * 1024;

    /// <summary>Stdout beyond <see cref="OutputBytes"/> kills the run (an output limit) rather than being discarded.</summary>
    public bool KillOnOutputLimit { get; init; } = true;

    public long? FileSizeBytes { get; init; }

    public int? OpenFiles { get; init; }

    public long? StackBytes { get; init; }

    /// <summary>
    /// Virtual memory (RLIMIT_AS), beside the cgroup's <see cref="MemoryBytes"/>: with it a large allocation fails, as a Jobe
    /// client expects, instead of succeeding and being killed when touched. Null for none (a JVM reserves far more than it uses).
    /// </summary>
    public long? AddressSpaceBytes { get; init; }

    public TimeSpan? EffectiveWallTime =>
        WallTime ?? (CpuTime is { } cpu ? cpu * 2 + TimeSpan.FromSeconds(1) : null);
}
