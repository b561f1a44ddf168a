using System.Collections.Concurrent;
using System.Threading.Channels;
using Judge.Sandbox.Vms;

namespace Judge.Sandbox.Tests.Fakes;

/// <summary>
/// A launcher whose boots finish only when the test says so, so concurrency is observed through events,
/// not sleeps. With <see cref="AutoComplete"/> every boot succeeds at once.
/// </summary>
internal sealed class FakeLauncher : IVmLauncher
{
    private readonly Channel<PendingBoot> _started = Channel.CreateUnbounded<PendingBoot>();
    private readonly Lock _lock = new();
    private int _inFlight;
    private int _maxInFlight;
    private int _count;

    private readonly Channel<FakeVm> _pinged = Channel.CreateUnbounded<FakeVm>();

    /// <summary>Boots succeed at once; otherwise each waits for <see cref="NextBootAsync"/>'s caller.</summary>
    public bool AutoComplete { get; set; }

    public Isolation Isolation => Isolation.Tcg;

    public ConcurrentQueue<FakeVm> Launched { get; } = new();

    public int Launches => Volatile.Read(ref _count);

    public int MaxConcurrentBoots => Volatile.Read(ref _maxInFlight);

    public int BootsInFlight => Volatile.Read(ref _inFlight);

    /// <summary>The language of every launch, in order.</summary>
    public ConcurrentQueue<string> Languages { get; } = new();

    public async Task<IVm> LaunchAsync(string language, CancellationToken cancellationToken)
    {
        Languages.Enqueue(language);
        var number = Interlocked.Increment(ref _count);
        var inFlight = Interlocked.Increment(ref _inFlight);
        InterlockedMax(ref _maxInFlight, inFlight);
        try
        {
            PendingBoot boot;
            lock (_lock)
            {
                if (AutoComplete)
                {
                    return Record(new FakeVm($"vm-{number}"));
                }

                // Deliberately ignores cancellation: a real boot that is under way finishes (or fails) on its own.
                boot = new PendingBoot(number);
                _started.Writer.TryWrite(boot);
            }

            return Record(await boot.Outcome.Task);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    /// <summary>The next boot that has started and waits for the test to finish or fail it.</summary>
    public async Task<PendingBoot> NextBootAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return await _started.Reader.ReadAsync(timeout.Token);
    }

    public bool TryNextBoot(out PendingBoot? boot) => _started.Reader.TryRead(out boot);

    /// <summary>Lets every waiting boot, and every later one, succeed; so a test can stop the pool without hanging.</summary>
    public void ReleaseAll()
    {
        lock (_lock)
        {
            AutoComplete = true;
            while (_started.Reader.TryRead(out var boot))
            {
                boot.Succeed();
            }
        }
    }

    /// <summary>The next VM pinged by anyone (checkout or health pass).</summary>
    public async Task<FakeVm> NextPingAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return await _pinged.Reader.ReadAsync(timeout.Token);
    }

    public bool TryNextPing(out FakeVm? vm) => _pinged.Reader.TryRead(out vm);

    private FakeVm Record(FakeVm vm)
    {
        vm.OnPing = pinged => _pinged.Writer.TryWrite(pinged);
        Launched.Enqueue(vm);
        return vm;
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}

internal sealed class PendingBoot(int number)
{
    public TaskCompletionSource<FakeVm> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public FakeVm Succeed()
    {
        var vm = new FakeVm($"vm-{number}");
        Outcome.SetResult(vm);
        return vm;
    }

    public void Fail() => Outcome.SetException(new SandboxVmException($"boot {number} failed"));
}
