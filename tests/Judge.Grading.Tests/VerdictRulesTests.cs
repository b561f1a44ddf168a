using Judge.Grading.Verdicts;
using Judge.Sandbox.Running;

namespace Judge.Grading.Tests;

public sealed class VerdictRulesTests
{
    [Fact]
    public void A_clean_exit_leaves_the_verdict_to_the_checker()
    {
        Assert.Null(VerdictRules.ForRun(new ProcessResult { ExitCode = 0 }));
    }

    [Fact]
    public void An_oom_kill_is_a_memory_limit_even_though_it_looks_like_sigkill()
    {
        var verdict = VerdictRules.ForRun(new ProcessResult { Signal = 9, OomKilled = true, PeakMemoryBytes = 64 << 20 });

        Assert.Equal(Verdict.MemoryLimitExceeded, verdict!.Verdict);
        Assert.Contains("64.0 MiB", verdict.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Exit_code_137_without_an_oom_kill_is_a_runtime_error_not_a_memory_limit()
    {
        Assert.Equal(Verdict.RuntimeError, VerdictRules.ForRun(new ProcessResult { ExitCode = 137 })!.Verdict);
    }

    [Theory]
    [InlineData(LimitExceeded.CpuTime, Verdict.TimeLimitExceeded)]
    [InlineData(LimitExceeded.WallTime, Verdict.TimeLimitExceeded)]
    [InlineData(LimitExceeded.Output, Verdict.OutputLimitExceeded)]
    [InlineData(LimitExceeded.Memory, Verdict.MemoryLimitExceeded)]
    public void A_limit_decides_the_verdict_even_when_the_process_was_killed(LimitExceeded limit, Verdict expected)
    {
        Assert.Equal(expected, VerdictRules.ForRun(new ProcessResult { Signal = 9, LimitExceeded = limit })!.Verdict);
    }

    [Fact]
    public void A_crash_is_a_runtime_error_naming_the_signal()
    {
        var verdict = VerdictRules.ForRun(new ProcessResult { Signal = 11 });

        Assert.Equal(Verdict.RuntimeError, verdict!.Verdict);
        Assert.Equal("killed by signal 11 (SIGSEGV)", verdict.Message);
    }

    [Fact]
    public void Hitting_the_file_size_limit_is_an_output_limit()
    {
        Assert.Equal(Verdict.OutputLimitExceeded, VerdictRules.ForRun(new ProcessResult { Signal = 25 })!.Verdict);
    }

    [Fact]
    public void A_non_zero_exit_is_a_runtime_error_naming_the_code()
    {
        Assert.Equal("exit code 3", VerdictRules.ForRun(new ProcessResult { ExitCode = 3 })!.Message);
    }
}
