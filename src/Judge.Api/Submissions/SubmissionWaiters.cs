using Judge.Data.Lifecycle;
using Npgsql;

namespace Judge.Api.Submissions;

/// <summary>
/// Lets a request wait for a submission to finish without polling: one PostgreSQL connection per API process listens on
/// <see cref="SubmissionLifecycle.FinishedChannel"/>, on which the lifecycle announces every submission that becomes Done
/// when its write commits, and wakes the requests waiting for that id. While the connection is down, waiters simply wait
/// out their time (the caller reads the submission again either way); after a reconnect every waiter is woken to look
/// again, since announcements made meanwhile were missed.
/// </summary>
public sealed class SubmissionWaiters(NpgsqlDataSource dataSource, ILogger<SubmissionWaiters> logger) : BackgroundService
{
    private static readonly TimeSpan ReconnectDelay = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private readonly Dictionary<Guid, List<TaskCompletionSource>> _waiting = [];

    /// <summary>
    /// Starts waiting for <paramref name="id"/>; the task completes when it is announced finished, or after a reconnect.
    /// Dispose the registration when done. Register before reading the submission, so an announcement between the read
    /// and the wait cannot be missed.
    /// </summary>
    public Registration Register(Guid id)
    {
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (!_waiting.TryGetValue(id, out var waiters))
            {
                _waiting[id] = waiters = [];
            }

            waiters.Add(waiter);
        }

        return new Registration(this, id, waiter);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) =>
                {
                    if (Guid.TryParse(e.Payload, out var id))
                    {
                        Wake(id);
                    }
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {SubmissionLifecycle.FinishedChannel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                WakeAll();
                while (true)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Listening for finished submissions failed; reconnecting in {Delay}", ReconnectDelay);
                await Task.Delay(ReconnectDelay, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private void Wake(Guid id)
    {
        lock (_lock)
        {
            foreach (var waiter in _waiting.GetValueOrDefault(id) ?? [])
            {
                waiter.TrySetResult();
            }
        }
    }

    private void WakeAll()
    {
        lock (_lock)
        {
            foreach (var waiter in _waiting.Values.SelectMany(w => w))
            {
                waiter.TrySetResult();
            }
        }
    }

    private void Unregister(Guid id, TaskCompletionSource waiter)
    {
        lock (_lock)
        {
            if (_waiting.TryGetValue(id, out var waiters) && waiters.Remove(waiter) && waiters.Count == 0)
            {
                _waiting.Remove(id);
            }
        }
    }

    public sealed class Registration(SubmissionWaiters owner, Guid id, TaskCompletionSource waiter) : IDisposable
    {
        /// <summary>Until the submission is announced finished (or the listener reconnected), or <paramref name="timeout"/> passes.</summary>
        public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
        {
            try
            {
                await waiter.Task.WaitAsync(timeout, cancellationToken);
            }
            catch (TimeoutException)
            {
            }
        }

        public void Dispose() => owner.Unregister(id, waiter);
    }
}
