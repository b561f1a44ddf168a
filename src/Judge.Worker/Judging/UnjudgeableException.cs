namespace Judge.Worker.Judging;

/// <summary>
/// Judging this submission again would fail the same way: its package is broken (a validator that does not compile,
/// test data missing) or its language is not one this worker has. The judge's problem, not the program's, and not worth
/// a retry: the submission ends as InternalError at once.
/// </summary>
public sealed class UnjudgeableException(string message) : Exception(message);
