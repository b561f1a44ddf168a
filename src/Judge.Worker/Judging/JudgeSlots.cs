namespace Judge.Worker.Judging;

/// <summary>
/// The worker's judging slots (one VM each). A freed slot goes to a waiting interactive submission before
/// any batch one, so a student's submission waits for at most the batch work already running.
/// </summary>
public sealed class JudgeSlots(int capacity)
{
    private readonly Lock _lock = new();
    private readonly Queue<TaskCompletionSource> _interactive = new();
    private readonly Queue<TaskCompletionSource> _batch = new();
    private int _free = capacity;

    public int Capacity { get; } = capacity;

    public int InUse
    {
        get
        {
            lock (_lock)
            {
                return Capacity - _free;
            }
        }
    }

    public async Task<IDisposable> AcquireAsync(bool interactive, CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        lock (_lock)
        {
            // A slot is free only when nobody waits: Release hands freed slots to waiters first.
            if (_free > 0)
            {
                _free--;
                return new Slot(this);
            }

            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            (interactive ? _interactive : _batch).Enqueue(waiter);
        }

        // A cancelled waiter stays queued but can no longer be granted; Release skips it.
        await using (cancellationToken.Register(() => waiter.TrySetCanceled(cancellationToken)))
        {
            await waiter.Task;
        }

        return new Slot(this);
    }

    private void Release()
    {
        lock (_lock)
        {
            foreach (var queue in new[] { _interactive, _batch })
            {
                while (queue.TryDequeue(out var waiter))
                {
                    if (waiter.TrySetResult())
                    {
                        return;
                    }
                }
            }

            _free++;
        }
    }

    private sealed class Slot(JudgeSlots owner) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner.Release();
            }
        }
    }
}

/// <summary>Submissions and one-shot runs this worker is judging now: for lease renewal, heartbeats, and to spot a duplicate command.</summary>
public sealed class InFlightSubmissions
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, byte> _ids = new();

    public int Count => _ids.Count;

    public IReadOnlyCollection<Guid> Ids => [.. _ids.Keys];

    /// <summary>False when this worker already judges the submission (a duplicate delivery).</summary>
    public bool TryBegin(Guid id) => _ids.TryAdd(id, 0);

    public void End(Guid id) => _ids.TryRemove(id, out _);
}
