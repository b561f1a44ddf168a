using Judge.Grading.Problems;

namespace Judge.Grading.Verdicts;

/// <summary>
/// What a submission is expected to get, from the folder it sits in: the Kattis problem package names
/// (accepted, partially_accepted, wrong_answer, time_limit_exceeded, run_time_error, rejected, brute_force),
/// DOMjudge's (compiler_error, output_limit, no_output), Judge's own for the other verdicts; or from a DOMjudge
/// <c>@EXPECTED_RESULTS@:</c> header in the source, which overrides the folder. The Kattis format has no memory or
/// output verdict: running out of memory is a run-time error there, so run_time_error accepts MemoryLimitExceeded.
/// </summary>
public static class ExpectedVerdicts
{
    private static readonly Dictionary<string, Verdict> Exact = new(StringComparer.Ordinal)
    {
        ["wrong_answer"] = Verdict.WrongAnswer,
        ["time_limit_exceeded"] = Verdict.TimeLimitExceeded,
        ["run_time_error"] = Verdict.RuntimeError,
        ["compile_error"] = Verdict.CompilationError,
        ["compiler_error"] = Verdict.CompilationError,
        ["output_limit"] = Verdict.OutputLimitExceeded,
        ["no_output"] = Verdict.WrongAnswer,
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
            "brute_force" => verdict is Verdict.TimeLimitExceeded or Verdict.RuntimeError or Verdict.MemoryLimitExceeded,
            _ when Exact.TryGetValue(folder, out var expected) =>
                Is(verdict, expected) && (format.StartsWith("legacy", StringComparison.Ordinal) || tests.All(t => t == Verdict.Accepted || Is(t, expected))),
            _ => null,
        };
    }

    /// <summary>
    /// The verdicts a DOMjudge <c>@EXPECTED_RESULTS@: A, B</c> line in <paramref name="source"/> allows (any of them), or null
    /// without one; an unknown name makes it null too, so the folder decides. DOMjudge takes verdict names after
    /// <c>@EXPECTED_SCORE@:</c> too (a number there is a score, not a verdict).
    /// </summary>
    public static IReadOnlyList<Verdict>? FromHeader(string source) => FromHeader(source, HeaderMark) ?? FromHeader(source, ScoreMark);

    private static List<Verdict>? FromHeader(string source, string mark)
    {
        var at = source.IndexOf(mark, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        var line = source[(at + mark.Length)..].Split('\n', 2)[0];
        var names = line.Split([',', ' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries).Select(n => n.Trim('*', '/', '#', '-').ToUpperInvariant())
            .Where(n => n.Length > 0).ToList(); // the rest of a comment's delimiters
        var verdicts = names.Select(n => DomjudgeNames.TryGetValue(n, out var v) ? v : (Verdict?)null).ToList();
        return verdicts.Count > 0 && verdicts.All(v => v is not null) ? [.. verdicts.Select(v => v!.Value).Distinct()] : null;
    }

    /// <summary>
    /// Whether a result is one of the header's verdicts (a run error there includes running out of memory): the submission's
    /// verdict, or DOMjudge's for it, the first failing test's (a scoring problem's verdict is the worst of its tests').
    /// </summary>
    public static bool SatisfiesHeader(IReadOnlyList<Verdict> allowed, Verdict verdict, IReadOnlyList<Verdict>? tests = null) =>
        allowed.Any(a => Is(verdict, a))
        || tests?.FirstOrDefault(t => t != Verdict.Accepted) is { } first && first != Verdict.Accepted && allowed.Any(a => Is(first, a));

    private const string HeaderMark = "@EXPECTED_RESULTS@:";
    private const string ScoreMark = "@EXPECTED_SCORE@:";

    private static readonly Dictionary<string, Verdict> DomjudgeNames = new(StringComparer.Ordinal)
    {
        ["CORRECT"] = Verdict.Accepted,
        ["WRONG-ANSWER"] = Verdict.WrongAnswer,
        ["NO-OUTPUT"] = Verdict.WrongAnswer,
        ["TIMELIMIT"] = Verdict.TimeLimitExceeded,
        ["RUN-ERROR"] = Verdict.RuntimeError,
        ["COMPILER-ERROR"] = Verdict.CompilationError,
        ["OUTPUT-LIMIT"] = Verdict.OutputLimitExceeded,
        ["MEMORY-LIMIT"] = Verdict.MemoryLimitExceeded,
    };

    private static bool Is(Verdict got, Verdict expected) =>
        got == expected || (expected == Verdict.RuntimeError && got == Verdict.MemoryLimitExceeded);
}
