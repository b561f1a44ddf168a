using Hangfire;
using Judge.Data;
using Judge.Data.Lifecycle;
using Judge.Data.Runs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Judge.Api.Runs;

/// <summary>
/// One-shot runs are the facades' working data, not records: the recurring job that deletes Jobe's runs soon after they were
/// answered, Judge0's once their clients have had time to ask for them, and the files PUT for Jobe's runs once no run has named
/// them for a while (<see cref="RunsOptions"/>). Deletes in chunks, as <see cref="Submissions.Retention"/> does.
/// </summary>
public sealed class RunRetention(RunLifecycle runs, JudgeDbContext db, IOptions<RunsOptions> options, ILogger<RunRetention> logger)
{
    public const string JobId = "retention-runs";

    private const int Chunk = 1000;

    [DisableConcurrentExecution(timeoutInSeconds: 0)]
    [AutomaticRetry(Attempts = 0, LogEvents = false, OnAttemptsExceeded = AttemptsExceededAction.Delete)]
    public async Task<int> DeleteOldAsync(CancellationToken cancellationToken)
    {
        var total = 0;
        foreach (var (facade, age) in new[] { (RunFacade.Jobe, options.Value.KeepJobeRunsFor), (RunFacade.Judge0, options.Value.KeepJudge0RunsFor) })
        {
            int deleted;
            do
            {
                deleted = await runs.DeleteEndedBeforeAsync(facade, DateTime.UtcNow - age, Chunk, cancellationToken);
                total += deleted;
            }
            while (deleted == Chunk);
        }

        var unusedSince = DateTime.UtcNow - options.Value.KeepFilesFor;
        var files = await db.RunFiles.Where(f => f.UsedAt < unusedSince).ExecuteDeleteAsync(cancellationToken);
        if (total + files > 0)
        {
            logger.LogInformation("Retention deleted {Runs} ended runs and {Files} unused run files", total, files);
        }

        return total;
    }
}
