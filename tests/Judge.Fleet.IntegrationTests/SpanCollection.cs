using System.Collections;
using System.Diagnostics;

namespace Judge.Fleet.IntegrationTests;

/// <summary>
/// A thread-safe collection for OpenTelemetry's in-memory exporter (the API's and the worker's providers both add), which
/// keeps spans only while <see cref="Recording"/>, so the rest of the fleet's tests do not pile them up.
/// </summary>
public sealed class SpanCollection : ICollection<Activity>
{
    private readonly List<Activity> _spans = [];
    private readonly Lock _lock = new();

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _spans.Count;
            }
        }
    }

    public bool IsReadOnly => false;

    public bool Recording { get; set; }

    /// <summary>A copy, each span once (both providers see every span of this process).</summary>
    public IReadOnlyList<Activity> Snapshot()
    {
        lock (_lock)
        {
            return [.. _spans.DistinctBy(s => s.SpanId)];
        }
    }

    public void Add(Activity item)
    {
        lock (_lock)
        {
            if (Recording)
            {
                _spans.Add(item);
            }
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _spans.Clear();
        }
    }

    public bool Contains(Activity item)
    {
        lock (_lock)
        {
            return _spans.Contains(item);
        }
    }

    public void CopyTo(Activity[] array, int arrayIndex)
    {
        lock (_lock)
        {
            _spans.CopyTo(array, arrayIndex);
        }
    }

    public bool Remove(Activity item)
    {
        lock (_lock)
        {
            return _spans.Remove(item);
        }
    }

    public IEnumerator<Activity> GetEnumerator() => Snapshot().GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
