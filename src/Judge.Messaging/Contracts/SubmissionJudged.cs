namespace Judge.Messaging.Contracts;

/// <summary>Published once a submission's final result is committed (batch progress, callbacks).</summary>
public sealed record SubmissionJudged(Guid SubmissionId, Guid ProblemId, string Verdict, double? Score, DateTime FinishedAt);
