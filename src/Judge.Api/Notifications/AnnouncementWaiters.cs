namespace Judge.Api.Notifications;

/// <summary>
/// Lets a request wait for something to end without polling: the process's <see cref="DatabaseListener"/> hands it what is
/// announced on its channel (the ids of what ended, when the write commits), and it wakes the requests waiting for that id.
/// While the listener is down, waiters simply wait out their time (the caller reads again either way); after a reconnect every
/// waiter is woken to look again, since announcements made meanwhile were missed.
/// </summary>
public abstract class AnnouncementWaiters(string channel) : IChannelSubscriber
{
    private readonly Lock _lock = new();
    private readonly Dictionary<Guid, List<TaskCompletionSource>> _waiting = [];

    /// <summary>
    /// Reads once, or, with <paramref name="waitSeconds"/> &gt; 0, reads again each time <paramref name="id"/> is announced, until <paramref name="ended"/> holds for what was read or the time is up; returns the last
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

    /// <summary>Starts listening for <paramref name="id"/>'s end; dispose it to stop. Register before what could end it is sent.</summary>
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

    public string Channel => channel;

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

    public sealed class Registration(AnnouncementWaiters owner, Guid id, TaskCompletionSource waiter) : IDisposable
    {
        /// <summary>Until the id is announced (or the listener reconnected: look again), or <paramref name="timeout"/> passes.</summary>
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
