using Judge.Grading.Languages;
using Judge.Grading.Runs;
using Judge.Grading.Scoring;
using Judge.Grading.Verdicts;

namespace Judge.Grading.Checkers;

/// <summary>
/// What an interaction means: the program and its interactor (a Kattis output validator) ran at once, piped to each other,
/// so each one's end may be the other's doing. Whoever ended first decides, as problemtools and DOMjudge judge it:
/// <list type="bullet">
/// <item>The interactor ended first: its rejection is Wrong Answer whatever the program did next (a program whose pipe
/// closed under it fails because of the rejection); its acceptance stands unless the program then failed by itself
/// (ran out of time, crashed, exited non-zero).</item>
/// <item>The program ended first: its own failure (a time or memory limit, a crash) is its verdict, since the interactor
/// only saw the conversation stop; a program that ended cleanly gets the interactor's verdict.</item>
/// </list>
/// An interactor that exits otherwise than 42 or 43, crashes or exceeds its own limits is the judge's error.
/// </summary>
public static class InteractionRules
{
    public static async Task<ValidatorVerdict> JudgeAsync(
        InteractionResult result, KattisScoring scoring, Func<string, Task<string?>> readFeedback, Language? language = null, double speedFactor = 1.0)
    {
        var own = VerdictRules.ForRun(result.Program, language, speedFactor);
        if (!result.InteractorEndedFirst && own is not null)
        {
            return Failure(own);
        }

        var interactor = await ValidatorRules.KattisAsync(result.Interactor, scoring, readFeedback);
        if (interactor.Outcome.Verdict == Verdict.InternalError)
        {
            return interactor with { Message = interactor.Message?.Replace("output validator", "interactor", StringComparison.Ordinal) };
        }

        return interactor.Outcome.Verdict == Verdict.Accepted && own is not null ? Failure(own) : interactor;
    }

    private static ValidatorVerdict Failure(RunVerdict own) => new(new CaseOutcome(own.Verdict), own.Message);
}
