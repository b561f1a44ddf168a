namespace Judge.Data.Callbacks;

/// <summary>What a callback reports: one submission's result, a whole batch's once it has ended, or a one-shot run's (Judge0's).</summary>
public enum CallbackEvent
{
    SubmissionEnded,
    BatchEnded,
    RunEnded,
}

/// <summary>
/// The POST of a result to the URL a submission or a batch named, made when it ended. Due while
/// <see cref="NextAttemptAt"/> is set; delivered, or given up after the retry period, once it is cleared.
/// </summary>
public sealed class Callback
{
    public Guid Id { get; set; }

    public Guid? SubmissionId { get; set; }

    public Guid? BatchId { get; set; }

    public Guid? RunId { get; set; }

    public required string Url { get; set; }

    public DateTime CreatedAt { get; set; }

    public int Attempts { get; set; }

    public DateTime? NextAttemptAt { get; set; }

    public DateTime? DeliveredAt { get; set; }

    public DateTime? GaveUpAt { get; set; }

    public List<CallbackAttempt> AttemptLog { get; set; } = [];

    public CallbackEvent Event => SubmissionId is not null ? CallbackEvent.SubmissionEnded
        : BatchId is not null ? CallbackEvent.BatchEnded
        : CallbackEvent.RunEnded;

    /// <summary>The submission, batch or run it reports.</summary>
    public Guid SubjectId => SubmissionId ?? BatchId ?? RunId!.Value;
}

/// <summary>One POST of a callback: the receiver's status code, or why there was none.</summary>
public sealed class CallbackAttempt
{
    public Guid CallbackId { get; set; }

    public int Number { get; set; }

    public DateTime StartedAt { get; set; }

    public int DurationMs { get; set; }

    public int? StatusCode { get; set; }

    public string? Error { get; set; }
}
