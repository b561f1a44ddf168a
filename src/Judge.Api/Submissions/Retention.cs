using Hangfire;
using Judge.Data.Lifecycle;
using Microsoft.Extensions.Options;

namespace Judge.Api.Submissions;

/// <summary>
/// The recurring job that deletes what ended longer ago than <see cref="ApiOptions.RetainFor"/> (sources, results,
/// callbacks): an operator's data-protection duty, off unless configured. Deletes in chunks, so no transaction holds
/// locks on a year of submissions at once.
/// </summary>
public sealed class Retention(SubmissionLifecycle lifecycle, IOptions<ApiOptions> options, ILogger<Retention> logger)
{
    public const string JobId = "retention";

    private const int Chunk = 1000;

    [DisableConcurrentExecution(timeoutInSeconds: 0)]
    [AutomaticRetry(Attempts = 0, LogEvents = false, OnAttemptsExceeded = AttemptsExceededAction.Delete)]
    public async Task<int> DeleteExpiredAsync(CancellationToken cancellationToken)
    {
        if (options.Value.RetainFor is not { } age)
        {
            return 0;
        }

        var cutoff = DateTime.UtcNow - age;
        var total = 0;
        int deleted;
        do
        {
            deleted = await lifecycle.DeleteEndedBeforeAsync(cutoff, Chunk, cancellationToken);
            total += deleted;
        }
        while (deleted == Chunk);

        await lifecycle.DeleteEmptyBatchesBeforeAsync(cutoff, cancellationToken);
        if (total > 0)
        {
            logger.LogInformation("Retention deleted {Count} submissions that ended before {Cutoff:O}", total, cutoff);
        }

        return total;
    }
}
