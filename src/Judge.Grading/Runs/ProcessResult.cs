using System.Text;

namespace Judge.Grading.Runs;

/// <summary>Which limit stopped a run, as the guest agent saw it.</summary>
public enum LimitExceeded
{
    None = 0,
    CpuTime = 1,
    WallTime = 2,
    Output = 3,
    Memory = 4,
}

/// <summary>How one guest command ended, measured inside the guest.</summary>
public sealed record ProcessResult
{
    /// <summary>Exit code 0-255, or null when a signal ended the process.</summary>
    public int? ExitCode { get; init; }

    /// <summary>Terminating signal, or null when the process exited.</summary>
    public int? Signal { get; init; }

    public double CpuMs { get; init; }

    public double UserCpuMs { get; init; }

    public double SystemCpuMs { get; init; }

    public double WallMs { get; init; }

    public long PeakMemoryBytes { get; init; }

    /// <summary>The run's cgroup saw an OOM kill (from memory.events, not guessed from exit code 137).</summary>
    public bool OomKilled { get; init; }

    public LimitExceeded LimitExceeded { get; init; }

    public byte[] Stdout { get; init; } = [];

    public byte[] Stderr { get; init; } = [];

    public bool StdoutTruncated { get; init; }

    public bool StderrTruncated { get; init; }

    /// <summary>Agent time from the request to a successful execve.</summary>
    public double SpawnMs { get; init; }

    /// <summary>Time from execve to the exit of the main process.</summary>
    public double ProcessMs { get; init; }

    public string StdoutText => Encoding.UTF8.GetString(Stdout);

    public string StderrText => Encoding.UTF8.GetString(Stderr);

    public bool Succeeded => ExitCode == 0 && LimitExceeded == LimitExceeded.None;
}

/// <summary>How an interaction ended: the program's run and its interactor's, which ran at once, piped to each other.</summary>
public sealed record InteractionResult(ProcessResult Program, ProcessResult Interactor, bool InteractorEndedFirst);
