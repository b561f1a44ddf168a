using Judge.Grading.Languages;
using Judge.Grading.Problems;
using Judge.Grading.Runs;
using Judge.Grading.Verdicts;

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
    public void A_java_program_out_of_heap_exceeds_the_memory_limit()
    {
        var run = new ProcessResult { ExitCode = 1, Stderr = "Exception in thread \"main\" java.lang.OutOfMemoryError: Java heap space"u8.ToArray() };

        Assert.Equal(Verdict.MemoryLimitExceeded, VerdictRules.ForRun(run, LanguageRegistry.Java)!.Verdict);
    }

    [Fact]
    public void A_program_in_another_language_printing_the_java_message_is_a_runtime_error()
    {
        var run = new ProcessResult { ExitCode = 1, Stderr = "java.lang.OutOfMemoryError: Java heap space"u8.ToArray() };

        Assert.Equal(Verdict.RuntimeError, VerdictRules.ForRun(run, LanguageRegistry.Python)!.Verdict);
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

public sealed class ExpectedVerdictsTests
{
    [Theory]
    [InlineData("accepted", Verdict.Accepted, 1, 1, ProblemType.PassFail, true)]
    [InlineData("accepted", Verdict.WrongAnswer, 0, 1, ProblemType.PassFail, false)]
    [InlineData("accepted", Verdict.Accepted, 60, 100, ProblemType.Scoring, false)]
    [InlineData("accepted", Verdict.Accepted, 100, 100, ProblemType.Scoring, true)]
    [InlineData("partially_accepted", Verdict.Accepted, 60, 100, ProblemType.Scoring, true)]
    [InlineData("partially_accepted", Verdict.Accepted, 100, 100, ProblemType.Scoring, false)]
    [InlineData("wrong_answer", Verdict.WrongAnswer, 0, 1, ProblemType.PassFail, true)]
    [InlineData("wrong_answer", Verdict.TimeLimitExceeded, 0, 1, ProblemType.PassFail, false)]
    [InlineData("time_limit_exceeded", Verdict.TimeLimitExceeded, 0, 1, ProblemType.PassFail, true)]
    [InlineData("run_time_error", Verdict.RuntimeError, 0, 1, ProblemType.PassFail, true)]
    [InlineData("memory_limit_exceeded", Verdict.MemoryLimitExceeded, 0, 1, ProblemType.PassFail, true)]
    [InlineData("rejected", Verdict.WrongAnswer, 0, 1, ProblemType.PassFail, true)]
    [InlineData("rejected", Verdict.Accepted, 1, 1, ProblemType.PassFail, false)]
    [InlineData("brute_force", Verdict.TimeLimitExceeded, 0, 1, ProblemType.PassFail, true)]
    [InlineData("run_time_error", Verdict.MemoryLimitExceeded, 0, 1, ProblemType.PassFail, true)]
    [InlineData("run_time_error", Verdict.WrongAnswer, 0, 1, ProblemType.PassFail, false)]
    [InlineData("memory_limit_exceeded", Verdict.RuntimeError, 0, 1, ProblemType.PassFail, false)]
    [InlineData("compiler_error", Verdict.CompilationError, 0, 1, ProblemType.PassFail, true)]
    [InlineData("output_limit", Verdict.OutputLimitExceeded, 0, 1, ProblemType.PassFail, true)]
    [InlineData("no_output", Verdict.WrongAnswer, 0, 1, ProblemType.PassFail, true)]
    public void A_folder_states_what_its_submissions_must_get(string folder, Verdict verdict, double score, double max, ProblemType type, bool expected)
    {
        Assert.Equal(expected, ExpectedVerdicts.Satisfies(folder, verdict, [verdict], score, max, type, "2025-09"));
    }

    [Theory]
    [InlineData("2025-09", false)]
    [InlineData("2023-07-draft", false)]
    [InlineData("legacy", true)]
    public void Since_2023_a_single_verdict_folder_permits_only_that_verdict_on_every_test(string format, bool satisfied)
    {
        // A scored problem runs every test: this "wrong answer" also timed out on a later one.
        Verdict[] tests = [Verdict.Accepted, Verdict.WrongAnswer, Verdict.TimeLimitExceeded];

        Assert.Equal(satisfied, ExpectedVerdicts.Satisfies("wrong_answer", Verdict.WrongAnswer, tests, 30, 100, ProblemType.Scoring, format));
        Assert.True(ExpectedVerdicts.Satisfies("wrong_answer", Verdict.WrongAnswer, [Verdict.Accepted, Verdict.WrongAnswer, Verdict.Accepted], 30, 100, ProblemType.Scoring, format));
    }

    [Theory]
    [InlineData("// @EXPECTED_RESULTS@: CORRECT\nint main(){}", Verdict.Accepted, true)]
    [InlineData("# @EXPECTED_RESULTS@: WRONG-ANSWER, TIMELIMIT\nprint(1)", Verdict.TimeLimitExceeded, true)]
    [InlineData("# @EXPECTED_RESULTS@: WRONG-ANSWER, TIMELIMIT\nprint(1)", Verdict.Accepted, false)]
    [InlineData("/* @EXPECTED_RESULTS@: RUN-ERROR */", Verdict.MemoryLimitExceeded, true)]
    [InlineData("-- @EXPECTED_RESULTS@: NO-OUTPUT", Verdict.WrongAnswer, true)]
    [InlineData("# @EXPECTED_SCORE@: CORRECT", Verdict.Accepted, true)]
    public void A_domjudge_expected_results_header_states_the_verdicts_a_submission_may_get(string source, Verdict verdict, bool satisfied)
    {
        var allowed = ExpectedVerdicts.FromHeader(source);

        Assert.NotNull(allowed);
        Assert.Equal(satisfied, ExpectedVerdicts.SatisfiesHeader(allowed, verdict));
    }

    [Fact]
    public void An_expected_score_that_is_a_number_states_no_verdict()
    {
        Assert.Null(ExpectedVerdicts.FromHeader("# @EXPECTED_SCORE@: 60\nprint(1)"));
    }

    [Fact]
    public void A_header_is_also_met_by_domjudges_verdict_the_first_failing_tests()
    {
        var allowed = ExpectedVerdicts.FromHeader("# @EXPECTED_RESULTS@: WRONG-ANSWER")!;

        Assert.True(ExpectedVerdicts.SatisfiesHeader(allowed, Verdict.TimeLimitExceeded, [Verdict.Accepted, Verdict.WrongAnswer, Verdict.TimeLimitExceeded]));
        Assert.False(ExpectedVerdicts.SatisfiesHeader(allowed, Verdict.TimeLimitExceeded, [Verdict.TimeLimitExceeded, Verdict.WrongAnswer]));
    }

    [Theory]
    [InlineData("print(1)\n")]
    [InlineData("# @EXPECTED_RESULTS@: SOMETHING-ELSE\n")]
    public void Without_a_header_it_knows_the_folder_decides(string source)
    {
        Assert.Null(ExpectedVerdicts.FromHeader(source));
    }

    [Fact]
    public void A_folder_that_states_nothing_is_not_judged()
    {
        Assert.Null(ExpectedVerdicts.Satisfies("extra", Verdict.Accepted, [Verdict.Accepted], 1, 1, ProblemType.PassFail, "2025-09"));
        Assert.False(ExpectedVerdicts.IsKnown("extra"));
    }

    [Fact]
    public void A_time_limit_message_gives_the_time_on_the_reference_host_beside_the_measured_one()
    {
        var verdict = VerdictRules.ForRun(new ProcessResult { Signal = 9, CpuMs = 3000, LimitExceeded = LimitExceeded.CpuTime }, LanguageRegistry.C, speedFactor: 3.0)!;

        Assert.Equal(Verdict.TimeLimitExceeded, verdict.Verdict);
        Assert.Equal("CPU time limit exceeded (1000 ms normalised, 3000 ms measured at speed factor 3)", verdict.Message);
    }
}
