namespace Judge.Grading.Verdicts;

/// <summary>
/// The verdict a submission is expected to get, from the folder it sits in: the Kattis problem package
/// names (accepted, wrong_answer, time_limit_exceeded, run_time_error) plus Judge's own for the rest.
/// </summary>
public static class ExpectedVerdicts
{
    private static readonly Dictionary<string, Verdict> Folders = new(StringComparer.Ordinal)
    {
        ["accepted"] = Verdict.Accepted,
        ["wrong_answer"] = Verdict.WrongAnswer,
        ["time_limit_exceeded"] = Verdict.TimeLimitExceeded,
        ["run_time_error"] = Verdict.RuntimeError,
        ["compile_error"] = Verdict.CompilationError,
        ["memory_limit_exceeded"] = Verdict.MemoryLimitExceeded,
        ["output_limit_exceeded"] = Verdict.OutputLimitExceeded,
    };

    public static IReadOnlyCollection<string> FolderNames => Folders.Keys;

    public static Verdict? FromFolder(string folder) => Folders.TryGetValue(folder, out var verdict) ? verdict : null;
}
