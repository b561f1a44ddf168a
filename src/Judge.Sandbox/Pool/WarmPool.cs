using System.Collections.Concurrent;
using System.Diagnostics;
using Judge.Sandbox.Vms;
using Microsoft.Extensions.Logging;

namespace Judge.Sandbox.Pool;

/// <summary>A checked-out VM: from the warm pool (no setup or boot paid) or launched on demand.</summary>
internal sealed record VmLease(IVm Vm, bool WarmPoolHit, double SetupMs, double BootMs, double ConnectMs);

/// <summary>
/// Booted, idle VMs kept ready per language so a submission does not wait for a boot.
/// <list type="bullet">
/// <item>Each checkout starts a refill. Refills of one language take one of at most <see cref="MaxParallelBoots"/>
/// boot slots (a per-language semaphore) and boot nothing when the pool is already full, counting boots in
/// flight — also when it filled while they waited. Languages have separate slots, so they never block each other.</item>
/// <item>A failed boot gives its slot back; a VM whose refill was cancelled (the pool stopping) is destroyed.</item>
/// <item>A health pass takes up to <see cref="PoolSize"/> idle VMs of each language, pings each, returns each
/// healthy one as soon as it answers and destroys the dead ones (e.g. a killed QEMU), refilling for them.</item>
/// <item>An empty pool (or a language without one) falls back to launching a VM on demand, reported as a pool
/// miss with real start costs.</item>
/// </list>
/// </summary>
internal sealed class WarmPool : IAsyncDisposable
{
    private const int New = 0, Started = 1, Stopped = 2;

    private readonly IVmLauncher _launcher;
    private readonly Dictionary<string, LanguagePool> _pools;
    private readonly TimeSpan _healthInterval;
    private readonly TimeSpan _pingTimeout;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Task, byte> _refills = new();
    private Task _healthLoop = Task.CompletedTask;
    private int _state;

    public WarmPool(
        IVmLauncher launcher, int poolSize, IEnumerable<string> languages, TimeSpan healthInterval, TimeSpan pingTimeout,
        ILogger logger, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(poolSize, 1);
        _launcher = launcher;
        PoolSize = poolSize;
        MaxParallelBoots = Math.Max(1, (int)(poolSize * 0.5));
        _pools = languages.Distinct(StringComparer.OrdinalIgnoreCase)
            .ToDictionary(l => l, l => new LanguagePool(l, MaxParallelBoots), StringComparer.OrdinalIgnoreCase);
        _healthInterval = healthInterval;
        _pingTimeout = pingTimeout;
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    public int PoolSize { get; }

    public int MaxParallelBoots { get; }

    public IReadOnlyCollection<string> Languages => _pools.Keys;

    public int IdleCount(string language)
    {
        var pool = PoolFor(language);
        lock (pool.Lock)
        {
            return pool.Idle.Count;
        }
    }

    public IReadOnlyList<string> IdleVmIds(string language)
    {
        var pool = PoolFor(language);
        lock (pool.Lock)
        {
            return [.. pool.Idle.Select(vm => vm.Id)];
        }
    }

    /// <summary>Fills every language's pool in the background and starts the health loop.</summary>
    public void Start()
    {
        var previous = Interlocked.CompareExchange(ref _state, Started, New);
        if (previous != New)
        {
            throw new InvalidOperationException(previous == Started
                ? "The warm pool is already started."
                : "The warm pool was stopped; create a new one.");
        }

        foreach (var pool in _pools.Values)
        {
            for (var i = 0; i < PoolSize; i++)
            {
                StartRefill(pool);
            }
        }

        _healthLoop = HealthLoopAsync(_stopping.Token);
        SandboxMetrics.Track(this, tracked: true);
    }

    /// <summary>Completes once no refill is in flight; at start-up that means every pool holds what could be booted.</summary>
    public async Task WhenRefilledAsync()
    {
        while (!_refills.IsEmpty)
        {
            await Task.WhenAll(_refills.Keys);
        }
    }

    public async Task<VmLease> AcquireAsync(string language, CancellationToken cancellationToken)
    {
        var state = Volatile.Read(ref _state);
        if (state != Started)
        {
            throw new InvalidOperationException(state == New
                ? "The warm pool is not started; call Start first."
                : "The warm pool is stopped.");
        }

        // A language without a pool of its own is simply started on demand.
        var pool = _pools.GetValueOrDefault(language);
        while (pool is not null)
        {
            IVm? warm;
            lock (pool.Lock)
            {
                pool.Idle.TryDequeue(out warm);
            }

            StartRefill(pool);
            if (warm is null)
            {
                break;
            }

            var clock = Stopwatch.StartNew();
            if (await warm.PingAsync(_pingTimeout, cancellationToken))
            {
                SandboxMetrics.Checkout(language, warmPoolHit: true);
                return new VmLease(warm, WarmPoolHit: true, 0, 0, clock.Elapsed.TotalMilliseconds);
            }

            _logger.LogWarning("Pooled VM {VmId} for {Language} did not answer at checkout; destroying it", warm.Id, language);
            SandboxMetrics.StartFailed(language, "unresponsive");
            await warm.DisposeAsync();
        }

        var vm = await LaunchAsync(language, cancellationToken);
        _logger.LogInformation("No warm VM for {Language}: started VM {VmId} on demand", language, vm.Id);
        SandboxMetrics.Checkout(language, warmPoolHit: false);
        var timings = vm.StartTimings;
        return new VmLease(vm, WarmPoolHit: false, timings.SetupMs, timings.BootMs, timings.ConnectMs);
    }

    /// <summary>One health pass over every language, in parallel.</summary>
    public Task CheckHealthAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(_pools.Values.Select(pool => CheckHealthAsync(pool, cancellationToken)));

    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _state, Stopped) != Started)
        {
            return;
        }

        SandboxMetrics.Track(this, tracked: false);
        await _stopping.CancelAsync();
        await _healthLoop;
        await WhenRefilledAsync();
        var destroy = new List<IVm>();
        foreach (var pool in _pools.Values)
        {
            lock (pool.Lock)
            {
                destroy.AddRange(pool.Idle);
                pool.Idle.Clear();
            }
        }

        await Task.WhenAll(destroy.Select(vm => vm.DisposeAsync().AsTask()));
        _logger.LogInformation("Warm pool stopped; destroyed {Count} idle VMs", destroy.Count);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stopping.Dispose();
    }

    private LanguagePool PoolFor(string language) =>
        _pools.TryGetValue(language, out var pool)
            ? pool
            : throw new ArgumentException($"No warm pool for language '{language}'. Pooled: {string.Join(", ", _pools.Keys)}.", nameof(language));

    /// <summary>Every VM the pool starts, on demand or as a refill; a failure is counted (not a cancellation).</summary>
    private async Task<IVm> LaunchAsync(string language, CancellationToken cancellationToken)
    {
        try
        {
            return await _launcher.LaunchAsync(language, cancellationToken);
        }
        catch (Exception e) when (!(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            SandboxMetrics.StartFailed(language, "launch");
            throw;
        }
    }

    private void StartRefill(LanguagePool pool)
    {
        if (Volatile.Read(ref _state) != Started)
        {
            return;
        }

        var refill = RefillAsync(pool, _stopping.Token);
        _refills.TryAdd(refill, 0);
        _ = refill.ContinueWith(done => _refills.TryRemove(done, out _), CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task RefillAsync(LanguagePool pool, CancellationToken stopping)
    {
        try
        {
            await pool.BootSlots.WaitAsync(stopping);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        try
        {
            lock (pool.Lock)
            {
                if (pool.Idle.Count + pool.Booting >= PoolSize)
                {
                    return;
                }

                pool.Booting++;
            }

            IVm vm;
            try
            {
                vm = await LaunchAsync(pool.Language, stopping);
            }
            catch (Exception e)
            {
                lock (pool.Lock)
                {
                    pool.Booting--;
                }

                if (!stopping.IsCancellationRequested)
                {
                    _logger.LogWarning(e, "Refilling the warm pool for {Language} failed", pool.Language);
                }

                return;
            }

            bool kept;
            lock (pool.Lock)
            {
                pool.Booting--;
                kept = !stopping.IsCancellationRequested;
                if (kept)
                {
                    pool.Idle.Enqueue(vm);
                }
            }

            if (!kept)
            {
                _logger.LogInformation("VM {VmId} finished booting after the pool stopped; destroying it", vm.Id);
                await vm.DisposeAsync();
            }
        }
        finally
        {
            pool.BootSlots.Release();
        }
    }

    private async Task CheckHealthAsync(LanguagePool pool, CancellationToken cancellationToken)
    {
        var drained = new List<IVm>();
        lock (pool.Lock)
        {
            while (drained.Count < PoolSize && pool.Idle.TryDequeue(out var vm))
            {
                drained.Add(vm);
            }
        }

        await Task.WhenAll(drained.Select(async vm =>
        {
            if (await vm.PingAsync(_pingTimeout, cancellationToken))
            {
                lock (pool.Lock)
                {
                    if (Volatile.Read(ref _state) == Started)
                    {
                        pool.Idle.Enqueue(vm);
                        return;
                    }
                }

                await vm.DisposeAsync();
                return;
            }

            _logger.LogWarning("Pooled VM {VmId} for {Language} failed its health check; destroying it", vm.Id, pool.Language);
            SandboxMetrics.StartFailed(pool.Language, "unresponsive");
            await vm.DisposeAsync();
            StartRefill(pool);
        }));
    }

    private async Task HealthLoopAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(_healthInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                try
                {
                    await CheckHealthAsync(stopping);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _logger.LogError(e, "Warm pool health check failed");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private sealed class LanguagePool(string language, int maxParallelBoots)
    {
        public string Language { get; } = language;

        public Lock Lock { get; } = new();

        public Queue<IVm> Idle { get; } = new();

        public int Booting { get; set; }

        public SemaphoreSlim BootSlots { get; } = new(maxParallelBoots, maxParallelBoots);
    }
}
