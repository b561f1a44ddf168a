using Judge.Grading.Runs;
using Judge.Sandbox.Protocol;
using Judge.Sandbox.Vms;

namespace Judge.Sandbox.Tests.Fakes;

/// <summary>A VM that only records what the pool does to it.</summary>
internal sealed class FakeVm(string id, VmStartTimings? timings = null) : IVm
{
    private int _disposed;

    /// <summary>When set, the next ping waits for it; the test decides the answer.</summary>
    public TaskCompletionSource<bool>? PingGate { get; set; }

    /// <summary>Told about every ping, so tests can wait for health passes.</summary>
    public Action<FakeVm>? OnPing { get; set; }

    /// <summary>What a guest command returns; by default exit code 0.</summary>
    public Func<GuestCommand, ProcessResult> Behaviour { get; set; } = _ => new ProcessResult { ExitCode = 0 };

    public List<GuestCommand> Commands { get; } = [];

    public string Id { get; } = id;

    public Isolation Isolation => Isolation.Tcg;

    public VmStartTimings StartTimings { get; } = timings ?? new VmStartTimings(VmBootKind.Cold, 12, 3400, 40);

    /// <summary>Simulates the QEMU process having been killed.</summary>
    public bool Killed { get; set; }

    public bool Destroyed => Volatile.Read(ref _disposed) != 0;

    public int Pings;

    public bool HasExited => Killed || Destroyed;

    public async Task<bool> PingAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Pings);
        OnPing?.Invoke(this);
        if (PingGate is { } gate)
        {
            PingGate = null;
            return await gate.Task;
        }

        return !HasExited;
    }

    public Task WriteFileAsync(string path, ReadOnlyMemory<byte> content, int mode, int uid, int gid, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    public Task MkdirAsync(string path, int mode, int uid, int gid, CancellationToken cancellationToken) => Task.CompletedTask;


    public Task<GuestFileContent> ReadFileAsync(string path, long maxBytes, CancellationToken cancellationToken) =>
        Task.FromResult(new GuestFileContent([], 0, false));

    public Task<ProcessResult> RunAsync(GuestCommand command, CancellationToken cancellationToken)
    {
        Commands.Add(command);
        return Task.FromResult(Behaviour(command));
    }

    public Task<InteractionResult> InteractAsync(GuestCommand program, GuestCommand peer, CancellationToken cancellationToken)
    {
        Commands.Add(program);
        Commands.Add(peer);
        return Task.FromResult(new InteractionResult(Behaviour(program), Behaviour(peer), InteractorEndedFirst: false));
    }

    public ValueTask DisposeAsync()
    {
        Interlocked.Exchange(ref _disposed, 1);
        return ValueTask.CompletedTask;
    }
}
