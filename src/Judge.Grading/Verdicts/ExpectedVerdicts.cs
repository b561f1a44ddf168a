using Judge.Grading.Problems;

namespace Judge.Grading.Verdicts;

/// <summary>
/// What a submission is expected to get, from the folder it sits in: the Kattis problem package names
/// (accepted, partially_accepted, wrong_answer, time_limit_exceeded, run_time_error, rejected, brute_force)
/// plus Judge's own for the other verdicts.
/// </summary>
public static class ExpectedVerdicts
{
    private static readonly Dictionary<string, Verdict> Exact = new(StringComparer.Ordinal)
    {
        ["wrong_answer"] = Verdict.WrongAnswer,
        ["time_limit_exceeded"] = Verdict.TimeLimitExceeded,
        ["run_time_error"] = Verdict.RuntimeError,
        ["compile_error"] = Verdict.CompilationError,
        ["memory_limit_exceeded"] = Verdict.MemoryLimitExceeded,
        ["output_limit_exceeded"] = Verdict.OutputLimitExceeded,
    };

    public static bool IsKnown(string folder) =>
        Exact.ContainsKey(folder) || folder is "accepted" or "partially_accepted" or "rejected" or "brute_force";

    /// <summary>The verdict a folder names, for the folders that name exactly one.</summary>
    public static Verdict? FromFolder(string folder) =>
        folder == "accepted" ? Verdict.Accepted : Exact.TryGetValue(folder, out var verdict) ? verdict : null;

    public static string Describe(string folder) => folder switch
    {
        "accepted" => "Accepted (full score)",
        "partially_accepted" => "Accepted, partial score",
        "rejected" => "not Accepted",
        "brute_force" => "TimeLimitExceeded or RuntimeError",
        _ => FromFolder(folder)?.ToString() ?? folder,
    };

    /// <summary>
    /// Whether a result meets the folder's expectation; null for folders that state none. For the folders that
    /// name one verdict, packages newer than legacy also constrain every test case (2023-07 and later): each is
    /// Accepted or that verdict, so a wrong-answer submission that also times out somewhere is a mismatch. Legacy
    /// packages, as problemtools checks them, constrain only the final verdict.
    /// </summary>
    public static bool? Satisfies(string folder, Verdict verdict, IReadOnlyList<Verdict> tests, double score, double maxScore, ProblemType type, string format)
    {
        var full = type == ProblemType.PassFail || !double.IsFinite(maxScore) || score >= maxScore - 1e-9;
        return folder switch
        {
            "accepted" => verdict == Verdict.Accepted && full,
            "partially_accepted" => verdict == Verdict.Accepted && !full,
            "rejected" => verdict != Verdict.Accepted,
            "brute_force" => verdict is Verdict.TimeLimitExceeded or Verdict.RuntimeError,
            _ when Exact.TryGetValue(folder, out var expected) =>
                verdict == expected && (format.StartsWith("legacy", StringComparison.Ordinal) || tests.All(t => t == Verdict.Accepted || t == expected)),
            _ => null,
        };
    }
}
