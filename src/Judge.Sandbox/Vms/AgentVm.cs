using System.Net.Sockets;
using Judge.Grading.Runs;
using Judge.Sandbox.Processes;
using Judge.Sandbox.Protocol;
using Judge.Sandbox.Settings;
using Microsoft.Extensions.Logging;

namespace Judge.Sandbox.Vms;

/// <summary>
/// A running sandbox with a connected agent: a QEMU micro-VM, or the agent's namespace launcher. Every agent
/// call has a host-side deadline; a sandbox that misses it, or breaks the protocol, is killed on the spot.
/// </summary>
internal sealed class AgentVm : IVm
{
    private readonly string _processName;
    private readonly Func<ValueTask>? _afterExit;
    private readonly StartedProcess _process;
    private readonly StderrTail _stderr;
    private readonly AgentClient _agent;
    private readonly SandboxOptions _options;
    private readonly ILogger _logger;
    private int _destroyed;
    private string? _endedHow;

    /// <summary>
    /// <paramref name="processName"/> names the host process in messages ("QEMU"); <paramref name="afterExit"/> is
    /// host-side cleanup once that process has exited (a namespace sandbox's cgroups).
    /// </summary>
    public AgentVm(
        string processName, VmDirectory directory, StartedProcess process, StderrTail stderr, AgentClient agent, Isolation isolation,
        VmStartTimings startTimings, SandboxOptions options, ILogger logger, Func<ValueTask>? afterExit = null)
    {
        _processName = processName;
        _afterExit = afterExit;
        Directory = directory;
        _process = process;
        _stderr = stderr;
        _agent = agent;
        Isolation = isolation;
        StartTimings = startTimings;
        _options = options;
        _logger = logger;
    }

    public string Id => Directory.Id;

    public VmDirectory Directory { get; }

    public int ProcessId => _process.Id;

    internal StartedProcess Process => _process;

    /// <summary>
    /// The process the agent runs in: QEMU itself, or the namespace launcher's child (the sandbox's PID 1). Killing
    /// that one first lets the launcher reap it, and the whole PID namespace with it, before the launcher exits.
    /// </summary>
    public int AgentProcessId { get; init; }

    public Isolation Isolation { get; }

    public VmStartTimings StartTimings { get; }

    public bool HasExited => Volatile.Read(ref _destroyed) != 0 || _process.HasExited;

    public async Task<bool> PingAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (HasExited)
        {
            return false;
        }

        try
        {
            await CallAsync((agent, ct) => agent.PingAsync(ct), timeout, "PING", cancellationToken);
            return true;
        }
        catch (SandboxVmException)
        {
            return false;
        }
    }

    public Task WriteFileAsync(string path, ReadOnlyMemory<byte> content, int mode, int uid, int gid, CancellationToken cancellationToken) =>
        CallAsync((agent, ct) => agent.WriteFileAsync(path, content, mode, uid, gid, ct), TransferTime(content.Length), $"WRITE_FILE {path}", cancellationToken);

    public Task MkdirAsync(string path, int mode, int uid, int gid, CancellationToken cancellationToken) =>
        CallAsync((agent, ct) => agent.MkdirAsync(path, mode, uid, gid, ct), _options.AgentReplyMargin, $"MKDIR {path}", cancellationToken);


    public Task<GuestFileContent> ReadFileAsync(string path, long maxBytes, CancellationToken cancellationToken) =>
        CallAsync((agent, ct) => agent.ReadFileAsync(path, maxBytes, ct), TransferTime(maxBytes), $"READ_FILE {path}", cancellationToken);

    public Task<ProcessResult> RunAsync(GuestCommand command, CancellationToken cancellationToken)
    {
        var allowed = (command.Limits.EffectiveWallTime ?? _options.MaxCommandTime) + TransferTime(command.Stdin?.Length ?? 0);
        return CallAsync((agent, ct) => agent.RunAsync(command, ct), allowed, $"RUN {command.Argv[0]}", cancellationToken);
    }

    public Task<InteractionResult> InteractAsync(GuestCommand program, GuestCommand peer, CancellationToken cancellationToken)
    {
        var allowed = new[] { program, peer }.Max(c => c.Limits.EffectiveWallTime ?? _options.MaxCommandTime);
        return CallAsync((agent, ct) => agent.InteractAsync(program, peer, ct), allowed, $"INTERACT {program.Argv[0]} {peer.Argv[0]}", cancellationToken);
    }

    internal AgentClient Agent => _agent;

    internal string StderrTail => _stderr.ToString();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _destroyed, 1) != 0)
        {
            return;
        }

        try
        {
            var exited = _process.HasExited;
            _endedHow = exited ? $"{_processName} had {_process.Ending}." : "The VM was destroyed.";
            if (!exited && AgentProcessId != 0 && AgentProcessId != _process.Id)
            {
                KillInner();
                using var reaped = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _process.WaitForExitAsync(reaped.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            }

            if (!_process.HasExited)
            {
                _process.Kill();
            }

            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException)
        {
            _logger.LogWarning(e, "VM {VmId}: {Process} (pid {Pid}) did not exit cleanly on destroy", Id, _processName, _process.Id);
        }

        await _agent.DisposeAsync();
        _process.Dispose();
        if (_afterExit is not null)
        {
            await _afterExit();
        }

        Directory.Delete();
        _logger.LogDebug("VM {VmId} destroyed", Id);
    }

    /// <summary>SIGKILL to the agent's process, if it is still the launcher's child (its pid cannot have been reused).</summary>
    private void KillInner()
    {
        try
        {
            var parent = File.ReadLines($"/proc/{AgentProcessId}/status").FirstOrDefault(l => l.StartsWith("PPid:", StringComparison.Ordinal));
            if (parent?[5..].Trim() == _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                ProcessSignals.Kill(AgentProcessId);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            // Gone already.
        }
    }

    /// <summary>Seconds for moving bytes over the control channel, on top of the agent's own reply margin.</summary>
    private TimeSpan TransferTime(long bytes) => _options.AgentReplyMargin + TimeSpan.FromSeconds(bytes / (4.0 * 1024 * 1024));

    private async Task CallAsync(Func<AgentClient, CancellationToken, Task> call, TimeSpan timeout, string what, CancellationToken cancellationToken) =>
        await CallAsync(async (agent, ct) =>
        {
            await call(agent, ct);
            return true;
        }, timeout, what, cancellationToken);

    private async Task<T> CallAsync<T>(Func<AgentClient, CancellationToken, Task<T>> call, TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        // HasExited reads /proc, and must: a namespace sandbox whose launcher was killed keeps an agent that still answers,
        // and such a sandbox is dead (its cgroups and limits are the launcher's to keep).
        if (HasExited)
        {
            throw new SandboxVmException($"VM {Id} is gone ({_processName} exited or the VM was destroyed) before {what}. {Diagnostics()}");
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            return await call(_agent, deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            _logger.LogWarning("VM {VmId}: the agent did not answer {Request} within {TimeoutSeconds} s; killing the VM", Id, what, timeout.TotalSeconds);
            await DisposeAsync();
            throw new SandboxVmException($"VM {Id}: the guest agent did not answer {what} within {timeout.TotalSeconds:0.#} s; the VM was killed.");
        }
        catch (OperationCanceledException)
        {
            // The channel is mid-request: it cannot be reused, so the VM goes with the cancelled call.
            await DisposeAsync();
            throw;
        }
        catch (Exception e) when (e is IOException or SocketException or EndOfStreamException or AgentProtocolException or ObjectDisposedException)
        {
            var diagnostics = Diagnostics();
            await DisposeAsync();
            throw new SandboxVmException($"VM {Id} failed during {what}: {e.Message} {diagnostics}", e);
        }
    }

    private string Diagnostics()
    {
        if (Volatile.Read(ref _destroyed) != 0)
        {
            return _endedHow ?? "The VM was destroyed.";
        }

        var exited = _process.HasExited ? $"{_processName} {_process.Ending}." : string.Empty;
        var stderr = _stderr.ToString();
        return stderr.Length > 0 ? $"{exited} {_processName} stderr: {stderr}" : exited;
    }
}
