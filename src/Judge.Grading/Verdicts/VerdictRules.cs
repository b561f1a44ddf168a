using Judge.Grading.Languages;
using Judge.Grading.Runs;

namespace Judge.Grading.Verdicts;

/// <summary>A verdict decided by how the program ended, before its output is looked at.</summary>
public sealed record RunVerdict(Verdict Verdict, string Message);

public static class VerdictRules
{
    private const int SigXfsz = 25;

    /// <summary>
    /// The verdict a run earns by itself, or null when it exited cleanly and its output must be checked.
    /// Memory comes first: an OOM kill ends the process with SIGKILL, which is not a crash of the program's
    /// own making; and it is read from the cgroup, never guessed from exit code 137. Times in messages are on the
    /// reference host, the run's own ÷ <paramref name="speedFactor"/> (see HostSpeed), as the limit the user knows is.
    /// </summary>
    public static RunVerdict? ForRun(ProcessResult run, Language? language = null, double speedFactor = 1.0)
    {
        if (run.OomKilled || run.LimitExceeded == LimitExceeded.Memory)
        {
            return new RunVerdict(Verdict.MemoryLimitExceeded, $"memory limit exceeded (peak {run.PeakMemoryBytes / 1048576.0:0.0} MiB)");
        }

        switch (run.LimitExceeded)
        {
            case LimitExceeded.CpuTime:
                return new RunVerdict(Verdict.TimeLimitExceeded, $"CPU time limit exceeded ({Times(run.CpuMs, speedFactor)})");
            case LimitExceeded.WallTime:
                return new RunVerdict(Verdict.TimeLimitExceeded, $"wall time limit exceeded ({run.WallMs:0} ms, {Times(run.CpuMs, speedFactor)} CPU)");
            case LimitExceeded.Output:
                return new RunVerdict(Verdict.OutputLimitExceeded, "output limit exceeded");
        }

        // A file the program writes itself is bounded by RLIMIT_FSIZE (the output limit), which ends it with SIGXFSZ.
        if (run.Signal == SigXfsz)
        {
            return new RunVerdict(Verdict.OutputLimitExceeded, "output limit exceeded (SIGXFSZ)");
        }

        if (run.Signal is { } signal)
        {
            return new RunVerdict(Verdict.RuntimeError, $"killed by signal {signal} ({SignalName(signal)})");
        }

        // The JVM reports a full heap as an exception and exits 1; it is the memory limit all the same. Only for the
        // language whose runtime says so: any program may print the words.
        if (run.ExitCode is not (null or 0) && language?.OutOfMemoryMessage is { } outOfMemory
            && run.StderrText.Contains(outOfMemory, StringComparison.Ordinal))
        {
            return new RunVerdict(Verdict.MemoryLimitExceeded, $"memory limit exceeded ({outOfMemory})");
        }

        if (run.ExitCode is { } code and not 0)
        {
            return new RunVerdict(Verdict.RuntimeError, $"exit code {code}");
        }

        return null;
    }

    private static string Times(double cpuMs, double speedFactor) =>
        speedFactor == 1.0
            ? FormattableString.Invariant($"{cpuMs:0} ms")
            : FormattableString.Invariant($"{cpuMs / speedFactor:0} ms normalised, {cpuMs:0} ms measured at speed factor {speedFactor:0.###}");

    public static string SignalName(int signal) => signal switch
    {
        1 => "SIGHUP",
        2 => "SIGINT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        24 => "SIGXCPU",
        25 => "SIGXFSZ",
        31 => "SIGSYS",
        _ => "signal " + signal,
    };
}
