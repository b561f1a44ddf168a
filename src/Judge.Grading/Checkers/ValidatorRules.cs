using System.Globalization;
using Judge.Grading.Runs;
using Judge.Grading.Scoring;
using Judge.Grading.Verdicts;

namespace Judge.Grading.Checkers;

/// <summary>A verdict from an output validator, with what it said about the output.</summary>
public sealed record ValidatorVerdict(CaseOutcome Outcome, string? Message);

/// <summary>How a Kattis validator's acceptance is scored: whether the problem takes its score, and how.</summary>
/// <param name="Scores">The problem is scored by its validator (legacy <c>custom score</c>, or a newer-format scoring problem).</param>
/// <param name="RequiresScoreFile">Acceptance without score.txt is a broken validator (legacy packages); else it is the full score.</param>
/// <param name="AcceptScore">The test case's share of its group's score, which score_multiplier.txt multiplies.</param>
public sealed record KattisScoring(bool Scores, bool RequiresScoreFile, double AcceptScore);

/// <summary>
/// What a custom output validator's run means, in the two interfaces real archives use: Kattis (exit 42 accepts, 43
/// rejects; judgemessage.txt, else teammessage.txt, is the message; score.txt or score_multiplier.txt the score) and
/// testlib (exit 0 accepted, 1 wrong, 2/4/8 presentation error, 7 points from the result file). A validator that
/// exceeds a limit, is killed or exits otherwise is the judge's error (InternalError), never the program's.
/// </summary>
public static class ValidatorRules
{
    private const int MaxQuoted = 500;

    /// <summary>A Kattis validator's verdict; <paramref name="readFeedback"/> gives a feedback file's text by name, or null.</summary>
    public static async Task<ValidatorVerdict> KattisAsync(ProcessResult run, KattisScoring scoring, Func<string, Task<string?>> readFeedback)
    {
        if (Broken(run, "output validator") is { } broken)
        {
            return broken;
        }

        var message = await readFeedback("judgemessage.txt") ?? await readFeedback("teammessage.txt");
        switch (run.ExitCode)
        {
            case 43:
                return new ValidatorVerdict(new CaseOutcome(Verdict.WrongAnswer), message);
            case 42 when !scoring.Scores:
                return new ValidatorVerdict(new CaseOutcome(Verdict.Accepted), message);
            case 42:
                if (await readFeedback("score_multiplier.txt") is { } multiplier)
                {
                    return Scored(multiplier, "score_multiplier.txt", m => m * scoring.AcceptScore, message);
                }

                if (await readFeedback("score.txt") is { } score)
                {
                    return Scored(score, "score.txt", s => s, message);
                }

                return scoring.RequiresScoreFile
                    ? JudgeError("the output validator accepted without writing score.txt, which a 'custom score' problem needs")
                    : new ValidatorVerdict(new CaseOutcome(Verdict.Accepted), message);
            default:
                return JudgeError($"the output validator exited with {run.ExitCode} (42 accepts, 43 rejects): {Quote(message ?? run.StderrText)}");
        }
    }

    /// <summary>A testlib checker's verdict; <paramref name="result"/> is its result file's text, or null when it wrote none.</summary>
    public static ValidatorVerdict Testlib(ProcessResult run, string? result)
    {
        if (Broken(run, "checker") is { } broken)
        {
            return broken;
        }

        var message = (result ?? run.StderrText).Trim();
        return run.ExitCode switch
        {
            0 => new ValidatorVerdict(new CaseOutcome(Verdict.Accepted), message),
            1 => new ValidatorVerdict(new CaseOutcome(Verdict.WrongAnswer), message),
            2 or 4 or 8 => new ValidatorVerdict(new CaseOutcome(Verdict.WrongAnswer), "presentation error: " + message),
            7 => Scored(message.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "", "the checker's points", p => p, message),
            _ => JudgeError($"the checker failed (exit {run.ExitCode}): {Quote(message)}"),
        };
    }

    private static ValidatorVerdict? Broken(ProcessResult run, string what) =>
        run.LimitExceeded != LimitExceeded.None ? JudgeError($"the {what} exceeded its {run.LimitExceeded} limit")
        : run.Signal is { } signal ? JudgeError($"the {what} was killed by signal {signal} ({VerdictRules.SignalName(signal)}): {Quote(run.StderrText)}")
        : null;

    private static ValidatorVerdict Scored(string text, string source, Func<double, double> score, string? message) =>
        double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
            ? new ValidatorVerdict(new CaseOutcome(Verdict.Accepted, score(value)), message)
            : JudgeError($"{source} does not hold a number: '{Quote(text)}'");

    private static ValidatorVerdict JudgeError(string message) => new(new CaseOutcome(Verdict.InternalError), message);

    /// <summary>What a validator (or its compiler) said, quoted in a message: at most 500 characters.</summary>
    public static string Quote(string text) => text.Length <= MaxQuoted ? text.Trim() : text[..MaxQuoted].Trim() + "…";
}
