using Judge.Grading.Problems;
using Judge.Grading.Scoring;
using Judge.Grading.Verdicts;

namespace Judge.Grading.Tests;

/// <summary>Unit tests of verdict and score aggregation over test groups (problemtools' default grader).</summary>
public sealed class ScoreEngineTests
{
    [Fact]
    public async Task A_pass_fail_problem_stops_at_the_first_failure_and_runs_nothing_after_it()
    {
        var ran = new List<string>();
        var data = Group("data", GroupSettings.PassFail,
            Group("data/sample", GroupSettings.PassFail, Case("sample/1")),
            Group("data/secret", GroupSettings.PassFail, Case("secret/1"), Case("secret/2"), Case("secret/3")));

        var result = await ScoreEngine.EvaluateAsync(data, ProblemType.PassFail, Run(ran, ("secret/2", Verdict.WrongAnswer)));

        Assert.Equal(Verdict.WrongAnswer, result.Verdict);
        Assert.Equal(0, result.Score);
        Assert.Equal(["sample/1", "secret/1", "secret/2"], ran);
    }

    [Fact]
    public async Task A_pass_fail_problem_scores_one_when_accepted()
    {
        var data = Group("data", GroupSettings.PassFail, Group("data/secret", GroupSettings.PassFail, Case("secret/1")));

        var result = await ScoreEngine.EvaluateAsync(data, ProblemType.PassFail, Run([]));

        Assert.Equal((Verdict.Accepted, 1.0), (result.Verdict, result.Score));
    }

    [Fact]
    public async Task Worst_error_picks_the_worst_verdict_and_first_error_the_first()
    {
        var keepGoing = new GroupSettings { StopOnReject = false };
        var cases = new[] { Case("a"), Case("b"), Case("c") };
        (string, Verdict)[] outcomes = [("a", Verdict.WrongAnswer), ("b", Verdict.TimeLimitExceeded), ("c", Verdict.RuntimeError)];

        var worst = await ScoreEngine.EvaluateAsync(Group("data", keepGoing, cases), ProblemType.PassFail, Run([], outcomes));
        var first = await ScoreEngine.EvaluateAsync(Group("data", keepGoing with { VerdictMode = VerdictMode.FirstError }, cases), ProblemType.PassFail, Run([], outcomes));

        Assert.Equal(Verdict.RuntimeError, worst.Verdict);
        Assert.Equal(Verdict.WrongAnswer, first.Verdict);
    }

    [Fact]
    public async Task An_olympiad_problem_sums_its_groups_each_scored_by_its_minimum()
    {
        var data = Olympiad();

        var result = await ScoreEngine.EvaluateAsync(data, ProblemType.Scoring, Run([], ("g2/2", Verdict.WrongAnswer)));

        Assert.Equal(Verdict.Accepted, result.Verdict);
        Assert.Equal(40, result.Score);
        Assert.Equal([("data/secret/g1", 40.0), ("data/secret/g2", 0.0)],
            result.Groups.Where(g => g.Name.StartsWith("data/secret/", StringComparison.Ordinal)).Select(g => (g.Name, g.Score)));
        Assert.Equal(Verdict.WrongAnswer, result.Groups.Single(g => g.Name == "data/secret/g2").Verdict);
        Assert.Equal(60, result.Groups.Single(g => g.Name == "data/secret/g2").MaxScore);
        Assert.Equal(100, data.MaxScore());
    }

    [Fact]
    public async Task A_scoring_submission_that_fails_everything_scores_zero()
    {
        var result = await ScoreEngine.EvaluateAsync(Olympiad(), ProblemType.Scoring,
            Run([], ("g1/1", Verdict.WrongAnswer), ("g2/1", Verdict.TimeLimitExceeded)));

        Assert.NotEqual(Verdict.Accepted, result.Verdict);
        Assert.Equal(0, result.Score);
    }

    [Fact]
    public async Task A_validator_score_replaces_the_accept_score()
    {
        var data = Group("data", new GroupSettings { StopOnReject = false }, Case("a"), Case("b"));

        var result = await ScoreEngine.EvaluateAsync(data, ProblemType.Scoring, (c, _) =>
            Task.FromResult(new CaseOutcome(Verdict.Accepted, c.Name == "a" ? 0.25 : null)));

        Assert.Equal(1.25, result.Score);
    }

    [Fact]
    public async Task A_judge_error_anywhere_makes_the_result_an_internal_error()
    {
        var data = Group("data", new GroupSettings { StopOnReject = false, AcceptIfAnyAccepted = true }, Case("a"), Case("b"));

        var result = await ScoreEngine.EvaluateAsync(data, ProblemType.Scoring, Run([], ("b", Verdict.InternalError)));

        Assert.Equal(Verdict.InternalError, result.Verdict);
    }

    [Fact]
    public async Task Ignore_sample_counts_only_the_last_item()
    {
        var data = Group("data", new GroupSettings { StopOnReject = false, IgnoreSample = true },
            Group("data/sample", new GroupSettings { AcceptScore = 0 }, Case("sample/1")),
            Group("data/secret", new GroupSettings { AcceptScore = 5 }, Case("secret/1")));

        var result = await ScoreEngine.EvaluateAsync(data, ProblemType.Scoring, Run([], ("sample/1", Verdict.WrongAnswer)));

        Assert.Equal((Verdict.Accepted, 5.0), (result.Verdict, result.Score));
    }

    /// <summary>The Swedish-olympiad layout problemtools documents: groups of 40 and 60 points, min per group.</summary>
    private static TestGroup<TestNodeCase> Olympiad()
    {
        var group = new GroupSettings { StopOnReject = true, ScoreMode = ScoreMode.Min, RangeMin = 0 };
        return Group("data", new GroupSettings { StopOnReject = false, IgnoreSample = true, RangeMin = 0, RangeMax = 100 },
            Group("data/sample", new GroupSettings { AcceptScore = 0, RangeMin = 0, RangeMax = 0, VerdictMode = VerdictMode.FirstError, StopOnReject = false }, Case("sample/1")),
            Group("data/secret", new GroupSettings { StopOnReject = false, VerdictMode = VerdictMode.FirstError, AcceptIfAnyAccepted = true, RangeMin = 0, RangeMax = 100 },
                Group("data/secret/g1", group with { AcceptScore = 40, RangeMax = 40 }, Case("g1/1")),
                Group("data/secret/g2", group with { AcceptScore = 60, RangeMax = 60 }, Case("g2/1"), Case("g2/2"))));
    }

    private static TestGroup<TestNodeCase> Group(string name, GroupSettings settings, params TestNode[] children) => new(name, settings, children);

    private static TestNodeCase Case(string name) => new(name);

    private static Func<TestNodeCase, GroupSettings, Task<CaseOutcome>> Run(List<string> ran, params (string Name, Verdict Verdict)[] outcomes) =>
        (testCase, _) =>
        {
            ran.Add(testCase.Name);
            var verdict = outcomes.FirstOrDefault(o => o.Name == testCase.Name).Verdict;
            return Task.FromResult(new CaseOutcome(verdict));
        };

    public sealed record TestNodeCase(string Name) : TestNode(Name);
}
