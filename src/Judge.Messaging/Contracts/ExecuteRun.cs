namespace Judge.Messaging.Contracts;

/// <summary>
/// Run this one-shot job (a program without a problem: Jobe's and Judge0's). Sent to the lane's queue after the run is
/// committed; like <see cref="JudgeSubmission"/>, a claim in the database decides who runs it, so a duplicate is harmless.
/// </summary>
public sealed record ExecuteRun(Guid RunId, string Lane);
