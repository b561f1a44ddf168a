namespace Judge.Grading.Verdicts;

/// <summary>The outcome of one test or a whole submission. The names are stored and served as they are.</summary>
public enum Verdict
{
    Accepted,
    WrongAnswer,
    TimeLimitExceeded,
    MemoryLimitExceeded,
    RuntimeError,
    OutputLimitExceeded,
    CompilationError,

    /// <summary>The judge's fault (a VM that failed, a broken checker), never the contestant's.</summary>
    InternalError,
}
