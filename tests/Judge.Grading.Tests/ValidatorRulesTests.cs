using Judge.Grading.Checkers;
using Judge.Grading.Runs;
using Judge.Grading.Verdicts;

namespace Judge.Grading.Tests;

/// <summary>Unit tests: what a custom validator's exit, feedback files and limits mean, in the Kattis and testlib interfaces.</summary>
public sealed class ValidatorRulesTests
{
    private static readonly KattisScoring PassFail = new(Scores: false, RequiresScoreFile: false, AcceptScore: 1);

    [Theory]
    [InlineData(42, Verdict.Accepted)]
    [InlineData(43, Verdict.WrongAnswer)]
    [InlineData(0, Verdict.InternalError)]
    [InlineData(1, Verdict.InternalError)]
    [InlineData(44, Verdict.InternalError)]
    public async Task A_kattis_validators_exit_code_decides_and_any_but_42_or_43_is_the_judges_error(int exit, Verdict verdict)
    {
        var result = await ValidatorRules.KattisAsync(new ProcessResult { ExitCode = exit }, PassFail, Feedback());

        Assert.Equal(verdict, result.Outcome.Verdict);
    }

    [Fact]
    public async Task The_judge_message_is_the_message_else_the_team_message()
    {
        var both = await ValidatorRules.KattisAsync(new ProcessResult { ExitCode = 43 }, PassFail,
            Feedback(("judgemessage.txt", "for the judge"), ("teammessage.txt", "for the team")));
        var team = await ValidatorRules.KattisAsync(new ProcessResult { ExitCode = 43 }, PassFail, Feedback(("teammessage.txt", "for the team")));

        Assert.Equal("for the judge", both.Message);
        Assert.Equal("for the team", team.Message);
    }

    [Theory]
    [InlineData(LimitExceeded.CpuTime, null)]
    [InlineData(LimitExceeded.Memory, null)]
    [InlineData(LimitExceeded.None, 11)]
    public async Task A_validator_over_a_limit_or_killed_is_the_judges_error_even_if_it_exited_42(LimitExceeded limit, int? signal)
    {
        var run = new ProcessResult { ExitCode = signal is null ? 42 : null, Signal = signal, LimitExceeded = limit };

        var kattis = await ValidatorRules.KattisAsync(run, PassFail, Feedback());
        var testlib = ValidatorRules.Testlib(run with { ExitCode = signal is null ? 0 : null }, null);

        Assert.Equal(Verdict.InternalError, kattis.Outcome.Verdict);
        Assert.Equal(Verdict.InternalError, testlib.Outcome.Verdict);
    }

    [Fact]
    public async Task A_scoring_validator_gives_the_score_or_a_multiple_of_the_cases_share()
    {
        var scoring = new KattisScoring(Scores: true, RequiresScoreFile: true, AcceptScore: 20);

        var score = await ValidatorRules.KattisAsync(new ProcessResult { ExitCode = 42 }, scoring, Feedback(("score.txt", " 7.5\n")));
        var multiplier = await ValidatorRules.KattisAsync(new ProcessResult { ExitCode = 42 }, scoring, Feedback(("score_multiplier.txt", "0.25")));
        var missing = await ValidatorRules.KattisAsync(new ProcessResult { ExitCode = 42 }, scoring, Feedback());
        var newerFormat = await ValidatorRules.KattisAsync(new ProcessResult { ExitCode = 42 }, scoring with { RequiresScoreFile = false }, Feedback());
        var garbage = await ValidatorRules.KattisAsync(new ProcessResult { ExitCode = 42 }, scoring, Feedback(("score.txt", "lots")));

        Assert.Equal((Verdict.Accepted, 7.5), (score.Outcome.Verdict, score.Outcome.Score));
        Assert.Equal((Verdict.Accepted, 5.0), (multiplier.Outcome.Verdict, multiplier.Outcome.Score));
        Assert.Equal(Verdict.InternalError, missing.Outcome.Verdict);
        Assert.Equal(Verdict.Accepted, newerFormat.Outcome.Verdict);
        Assert.Equal(Verdict.InternalError, garbage.Outcome.Verdict);
    }

    [Theory]
    [InlineData(0, Verdict.Accepted, "ok 1 token")]
    [InlineData(1, Verdict.WrongAnswer, "ok 1 token")]
    [InlineData(2, Verdict.WrongAnswer, "presentation error: ok 1 token")]
    [InlineData(3, Verdict.InternalError, "the checker failed (exit 3): ok 1 token")]
    [InlineData(5, Verdict.InternalError, "the checker failed (exit 5): ok 1 token")]
    public void A_testlib_checkers_exit_code_decides(int exit, Verdict verdict, string message)
    {
        var result = ValidatorRules.Testlib(new ProcessResult { ExitCode = exit }, "ok 1 token\n");

        Assert.Equal((verdict, message), (result.Outcome.Verdict, result.Message));
    }

    [Fact]
    public void A_testlib_checkers_points_are_the_first_word_of_its_result()
    {
        var points = ValidatorRules.Testlib(new ProcessResult { ExitCode = 7 }, "0.40 partially right");
        var noNumber = ValidatorRules.Testlib(new ProcessResult { ExitCode = 7 }, "partially right");
        var fromStderr = ValidatorRules.Testlib(new ProcessResult { ExitCode = 1, Stderr = "wrong on line 3\n"u8.ToArray() }, null);

        Assert.Equal((Verdict.Accepted, 0.4), (points.Outcome.Verdict, points.Outcome.Score));
        Assert.Equal(Verdict.InternalError, noNumber.Outcome.Verdict);
        Assert.Equal("wrong on line 3", fromStderr.Message);
    }

    private static Func<string, Task<string?>> Feedback(params (string Name, string Text)[] files) =>
        name => Task.FromResult(files.Where(f => f.Name == name).Select(f => f.Text).FirstOrDefault());
}
