using Judge.Grading.Problems;
using Judge.Grading.Verdicts;

namespace Judge.Grading.Scoring;

/// <summary>How one test case ended: its verdict and, when the validator gave one, its score.</summary>
public sealed record CaseOutcome(Verdict Verdict, double? Score = null);

public sealed record GroupOutcome(string Name, Verdict Verdict, double Score, double MaxScore);

/// <summary>A submission's result: the root's verdict and score, and every evaluated group's.</summary>
public sealed record Evaluation(Verdict Verdict, double Score, IReadOnlyList<GroupOutcome> Groups);

/// <summary>
/// Evaluates the test data tree as problemtools' default grader does: each group's items (test cases and
/// subgroups, in order) are run until one is rejected when the group stops on reject, then graded by the
/// group's verdict mode and score mode. Running stops where a group stops, so later tests are never run.
/// </summary>
public static class ScoreEngine
{
    /// <summary>problemtools' order of badness for worst_error: the first present wins.</summary>
    private static readonly Verdict[] Worst =
    [
        Verdict.InternalError, Verdict.RuntimeError, Verdict.MemoryLimitExceeded, Verdict.TimeLimitExceeded,
        Verdict.OutputLimitExceeded, Verdict.WrongAnswer, Verdict.Accepted,
    ];

    public static async Task<Evaluation> EvaluateAsync<TCase>(
        TestGroup<TCase> root, ProblemType type, Func<TCase, GroupSettings, Task<CaseOutcome>> run)
        where TCase : TestNode
    {
        var groups = new List<GroupOutcome>();
        var (verdict, score) = await EvaluateAsync(root, run, groups);

        // problemtools: on a scoring problem the score counts only for an accepted submission.
        var final = type == ProblemType.PassFail ? (verdict == Verdict.Accepted ? 1 : 0) : verdict == Verdict.Accepted ? score : 0;
        return new Evaluation(verdict, final, groups);
    }

    private static async Task<(Verdict Verdict, double Score)> EvaluateAsync<TCase>(
        TestGroup<TCase> group, Func<TCase, GroupSettings, Task<CaseOutcome>> run, List<GroupOutcome> groups)
        where TCase : TestNode
    {
        var settings = group.Settings;
        var items = new List<(Verdict Verdict, double Score)>();
        foreach (var child in group.Children)
        {
            (Verdict Verdict, double Score) item;
            if (child is TestGroup<TCase> subgroup)
            {
                item = await EvaluateAsync(subgroup, run, groups);
            }
            else if (child is TCase testCase)
            {
                var outcome = await run(testCase, settings);
                item = outcome.Verdict == Verdict.Accepted
                    ? (Verdict.Accepted, outcome.Score ?? settings.AcceptScore)
                    : (outcome.Verdict, settings.RejectScore);
            }
            else
            {
                continue;
            }

            items.Add(item);
            if (settings.StopOnReject && item.Verdict != Verdict.Accepted)
            {
                break;
            }
        }

        var result = Grade(settings, items);
        groups.Add(new GroupOutcome(group.Name, result.Verdict, result.Score, group.MaxScore()));
        return result;
    }

    private static (Verdict Verdict, double Score) Grade(GroupSettings settings, List<(Verdict Verdict, double Score)> items)
    {
        if (items.Any(i => i.Verdict == Verdict.InternalError))
        {
            return (Verdict.InternalError, 0);
        }

        if (items.Count == 0)
        {
            return (Verdict.Accepted, 0);
        }

        if (settings.IgnoreSample)
        {
            items = [items[^1]];
        }

        var verdict = settings.VerdictMode switch
        {
            VerdictMode.AlwaysAccept => Verdict.Accepted,
            VerdictMode.FirstError => items.Select(i => i.Verdict).FirstOrDefault(v => v != Verdict.Accepted, Verdict.Accepted),
            _ => Worst.First(w => items.Any(i => i.Verdict == w)),
        };
        if (settings.AcceptIfAnyAccepted && items.Any(i => i.Verdict == Verdict.Accepted))
        {
            verdict = Verdict.Accepted;
        }

        var scores = items.Select(i => i.Score).ToList();
        var score = settings.ScoreMode switch
        {
            ScoreMode.Sum => scores.Sum(),
            ScoreMode.Avg => scores.Average(),
            ScoreMode.Min => scores.Min(),
            _ => scores.Max(),
        };
        return (verdict, score);
    }
}
