namespace Judge.Data.Lifecycle;

/// <summary>Settings of a submission's lifecycle (section "Submissions"), read by the API's sweeper and by every worker alike.</summary>
public sealed class SubmissionLifecycleOptions
{
    public const string SectionName = "Submissions";

    /// <summary>Claims of one submission before it ends as InternalError rather than be tried again.</summary>
    public int MaxAttempts { get; set; } = 3;
}
