using Judge.Api.Commands;
using Judge.Data.Lifecycle;
using Judge.Data.Runs;
using Microsoft.Extensions.Options;

namespace Judge.Api.Runs;

/// <summary>
/// Starts one-shot runs for the facades and, for a synchronous request, waits for their end by announcement, never by polling:
/// the run's row is read once when it is announced (or when the listener reconnected, or the wait ran out).
/// </summary>
public sealed class RunService(RunLifecycle lifecycle, JudgeCommandSender sender, RunWaiters waiters, IOptions<RunsOptions> options)
{
    /// <summary>
    /// Commits the run as sent, then sends its command (after the commit, so that a worker finds it). A send that fails marks
    /// it unsent for the sweeper; one this process did not live to make is found by the sweeper as a run queued too long.
    /// </summary>
    public async Task StartAsync(Run run, CancellationToken cancellationToken)
    {
        run.PublishedAt = DateTime.UtcNow;
        await lifecycle.CreateAsync(run, cancellationToken);
        if (!await sender.SendRunAsync(run.Id, run.Lane, cancellationToken))
        {
            await lifecycle.MarkUnsentAsync(run.Id, CancellationToken.None);
        }
    }

    /// <summary>Starts the run and returns it once it has ended, or as it is after <see cref="RunsOptions.MaxWait"/>.</summary>
    public async Task<Run> RunToEndAsync(Run run, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + options.Value.MaxWait;
        using (var registration = waiters.Register(run.Id))
        {
            await StartAsync(run, cancellationToken);
            await registration.WaitAsync(options.Value.MaxWait, cancellationToken);
        }

        while (true)
        {
            using var registration = waiters.Register(run.Id);
            var read = await lifecycle.FindAsync(run.Id, cancellationToken)
                ?? throw new InvalidOperationException($"Run {run.Id} was deleted while its client waited for it.");
            var left = deadline - DateTime.UtcNow;
            if (read.Status == RunStatus.Done || left <= TimeSpan.Zero)
            {
                return read;
            }

            await registration.WaitAsync(left, cancellationToken);
        }
    }
}
