namespace Judge.Data.Batches;

/// <summary>What a batch is doing, derived from its times and its submissions (stored kebab-case in responses).</summary>
public enum BatchStatus
{
    /// <summary>Its submissions are still being created from what was uploaded.</summary>
    Expanding,
    Judging,
    Done,

    /// <summary>Cancelled: what had not started ended as Cancelled; what had, finished.</summary>
    Cancelled,
}

/// <summary>Solutions to one problem submitted together (a class's), judged in the batch lane; each submission has a label.</summary>
public sealed class Batch
{
    public Guid Id { get; set; }

    public Guid ApiKeyId { get; set; }

    public Guid ProblemId { get; set; }

    public Guid ProblemVersionId { get; set; }

    public int ItemCount { get; set; }

    /// <summary>A rejudge: its submissions are copies of earlier ones, each naming its original.</summary>
    public bool Rejudge { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime? ExpandedAt { get; set; }

    public DateTime? CancelledAt { get; set; }

    /// <summary>Where to POST the batch's results once it has ended.</summary>
    public string? CallbackUrl { get; set; }

    public BatchStatus StatusGiven(int unfinished) =>
        CancelledAt is not null ? BatchStatus.Cancelled
        : ExpandedAt is null ? BatchStatus.Expanding
        : unfinished > 0 ? BatchStatus.Judging
        : BatchStatus.Done;
}
