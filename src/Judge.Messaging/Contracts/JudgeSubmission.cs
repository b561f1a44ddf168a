namespace Judge.Messaging.Contracts;

/// <summary>
/// Judge this submission. Sent to the lane's queue after the submission is committed; consumers are
/// idempotent (a claim in the database decides who judges), so a duplicate command is harmless.
/// </summary>
public sealed record JudgeSubmission(Guid SubmissionId, string Lane);
