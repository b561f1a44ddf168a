using Judge.Grading.Checkers;
using Judge.Grading.Runs;
using Judge.Grading.Verdicts;

namespace Judge.Grading.Tests;

/// <summary>Unit tests: the verdict of an interaction, from the program's and the interactor's runs and which ended first.</summary>
public sealed class InteractionRulesTests
{
    private static readonly KattisScoring PassFail = new(Scores: false, RequiresScoreFile: false, AcceptScore: 1);
    private static readonly ProcessResult Clean = new() { ExitCode = 0 };
    private static readonly ProcessResult Crashed = new() { Signal = 11 };
    private static readonly ProcessResult Piped = new() { Signal = 13 };
    private static readonly ProcessResult OutOfTime = new() { Signal = 9, LimitExceeded = LimitExceeded.CpuTime };
    private static readonly ProcessResult Accepts = new() { ExitCode = 42 };
    private static readonly ProcessResult Rejects = new() { ExitCode = 43 };

    public static TheoryData<string, ProcessResult, ProcessResult, bool, Verdict> Cases => new()
    {
        { "both clean, accepted", Clean, Accepts, false, Verdict.Accepted },
        { "both clean, rejected", Clean, Rejects, true, Verdict.WrongAnswer },
        { "rejection first, then the program dies of the closed pipe", Piped, Rejects, true, Verdict.WrongAnswer },
        { "rejection first, then the program spins out of time", OutOfTime, Rejects, true, Verdict.WrongAnswer },
        { "acceptance first, then the program crashes", Crashed, Accepts, true, Verdict.RuntimeError },
        { "acceptance first, then the program runs out of time", OutOfTime, Accepts, true, Verdict.TimeLimitExceeded },
        { "the program crashes first, then the interactor rejects the cut conversation", Crashed, Rejects, false, Verdict.RuntimeError },
        { "the program runs out of time first, then the interactor rejects", OutOfTime, Rejects, false, Verdict.TimeLimitExceeded },
        { "the program exits non-zero first", new ProcessResult { ExitCode = 3 }, Rejects, false, Verdict.RuntimeError },
        { "the program ends cleanly first, the interactor rejects", Clean, Rejects, false, Verdict.WrongAnswer },
        { "the interactor exits 0", Clean, Clean, true, Verdict.InternalError },
        { "the interactor is out of time", Clean, OutOfTime with { ExitCode = null }, true, Verdict.InternalError },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Whoever_ended_first_decides(string situation, ProcessResult program, ProcessResult interactor, bool interactorFirst, Verdict verdict)
    {
        var result = await InteractionRules.JudgeAsync(new InteractionResult(program, interactor, interactorFirst), PassFail, NoFeedback);

        Assert.True(verdict == result.Outcome.Verdict, $"{situation}: {result.Outcome.Verdict} ({result.Message})");
    }

    [Fact]
    public async Task A_broken_interactor_is_named_as_the_interactor_and_a_rejection_keeps_its_message()
    {
        var broken = await InteractionRules.JudgeAsync(new InteractionResult(Clean, new ProcessResult { ExitCode = 1 }, true), PassFail, NoFeedback);
        var rejected = await InteractionRules.JudgeAsync(new InteractionResult(Clean, Rejects, true), PassFail,
            name => Task.FromResult(name == "judgemessage.txt" ? "guessed 7 times" : null));

        Assert.StartsWith("the interactor exited with 1", broken.Message, StringComparison.Ordinal);
        Assert.Equal("guessed 7 times", rejected.Message);
    }

    private static Task<string?> NoFeedback(string name) => Task.FromResult<string?>(null);
}
