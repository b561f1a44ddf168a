using Judge.Api.Validation;
using Judge.Data.Lifecycle;
using Judge.Api.Notifications;

namespace Judge.Api.Submissions;

/// <summary>
/// Lets a request wait for a submission to finish without polling: the process's <see cref="DatabaseListener"/> hands it what
/// the lifecycle announces on <see cref="SubmissionLifecycle.FinishedChannel"/> (every submission that ends, and its batch,
/// when the write commits), and it wakes the requests waiting for that id. While the listener is down, waiters simply wait
/// out their time (the caller reads the submission again either way); after a reconnect every waiter is woken to look
/// again, since announcements made meanwhile were missed.
/// </summary>
public sealed class SubmissionWaiters : IChannelSubscriber
{
    /// <summary>The longest a GET may wait for a submission or a batch to end (<c>?wait=</c>, seconds).</summary>
    public const int MaxWaitSeconds = 60;

    private readonly Lock _lock = new();
    private readonly Dictionary<Guid, List<TaskCompletionSource>> _waiting = [];

    /// <summary>The errors of a <c>?wait=</c> value: none when it is absent or within 0 to <see cref="MaxWaitSeconds"/>.</summary>
    public static ValidationErrors WaitErrors(int? wait)
    {
        var errors = new ValidationErrors();
        if (wait is not null)
        {
            errors.Range("wait", wait, 0, MaxWaitSeconds, "seconds");
        }

        return errors;
    }

    /// <summary>
    /// Reads once, or, with <paramref name="waitSeconds"/> &gt; 0, reads again each time <paramref name="id"/> (a submission
    /// or a batch) is announced, until <paramref name="ended"/> holds for what was read or the time is up; returns the last
    /// read. Each wait is registered before its read, so an announcement between the read and the wait is not missed.
    /// </summary>
    public async Task<T> ReadUntilEndedAsync<T>(Guid id, int? waitSeconds, Func<Task<T>> read, Func<T, bool> ended, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(waitSeconds ?? 0);
        while (true)
        {
            using var registration = waitSeconds > 0 ? Register(id) : null;
            var value = await read();
            var left = deadline - DateTime.UtcNow;
            if (registration is null || ended(value) || left <= TimeSpan.Zero)
            {
                return value;
            }

            // Woken (announced, or the listener reconnected) or out of time: either way the next read is the answer.
            await registration.WaitAsync(left, cancellationToken);
        }
    }

    private Registration Register(Guid id)
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

    public string Channel => SubmissionLifecycle.FinishedChannel;

    public void Announced(Guid id)
    {
        lock (_lock)
        {
            foreach (var waiter in _waiting.GetValueOrDefault(id) ?? [])
            {
                waiter.TrySetResult();
            }
        }
    }

    public void Reconnected()
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

    private sealed class Registration(SubmissionWaiters owner, Guid id, TaskCompletionSource waiter) : IDisposable
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
