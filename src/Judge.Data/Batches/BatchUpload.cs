namespace Judge.Data.Batches;

/// <summary>A batch's uploaded zip, kept until its expansion has made the batch's submissions.</summary>
public sealed class BatchUpload
{
    public Guid BatchId { get; set; }

    public required byte[] Content { get; set; }
}
