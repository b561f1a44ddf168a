using Judge.Grading.Runs;
using Judge.Sandbox.Protocol;

namespace Judge.Sandbox.Vms;

/// <summary>How a sandbox is isolated from the host: a VM under hardware virtualization, a VM under QEMU's software
/// emulation, or Linux namespaces and cgroups on the host's own kernel.</summary>
public enum Isolation
{
    Kvm,
    Tcg,
    Namespace,
}

/// <summary>The isolation in use and why it was chosen; reported in logs, results, heartbeats and health.</summary>
public sealed record IsolationChoice(Isolation Isolation, string Reason);

/// <summary>How a VM came to be: booted from scratch or restored from a memory snapshot.</summary>
public enum VmBootKind
{
    Cold,
    Snapshot,
}

/// <summary>Host-side start-up costs of one VM, measured when it was launched.</summary>
public sealed record VmStartTimings(VmBootKind Kind, double SetupMs, double BootMs, double ConnectMs);

/// <summary>
/// One single-use sandbox instance with a running guest agent. Disposing destroys it: the instance is
/// killed and every host file of it removed. Any failure of the instance surfaces as <see cref="SandboxVmException"/>.
/// </summary>
internal interface IVm : IAsyncDisposable
{
    string Id { get; }

    Isolation Isolation { get; }

    VmStartTimings StartTimings { get; }

    /// <summary>The instance's process has gone (killed, crashed, or destroyed).</summary>
    bool HasExited { get; }

    /// <summary>An agent round trip within <paramref name="timeout"/>; false when the instance is dead or silent.</summary>
    Task<bool> PingAsync(TimeSpan timeout, CancellationToken cancellationToken);

    Task WriteFileAsync(string path, ReadOnlyMemory<byte> content, int mode, int uid, int gid, CancellationToken cancellationToken);

    Task MkdirAsync(string path, int mode, int uid, int gid, CancellationToken cancellationToken);

    Task<GuestFileContent> ReadFileAsync(string path, long maxBytes, CancellationToken cancellationToken);

    Task<ProcessResult> RunAsync(GuestCommand command, CancellationToken cancellationToken);

    /// <summary>Two commands at once, each one's stdout the other's stdin (the agent's INTERACT).</summary>
    Task<InteractionResult> InteractAsync(GuestCommand program, GuestCommand peer, CancellationToken cancellationToken);
}

/// <summary>The launcher seam: how an instance with a running agent is started (a QEMU VM, or a set of namespaces).</summary>
internal interface IVmLauncher
{
    Isolation Isolation { get; }

    /// <summary>An instance ready for <paramref name="language"/> (a launcher may prepare it for that language).</summary>
    Task<IVm> LaunchAsync(string language, CancellationToken cancellationToken);
}

/// <summary>The sandbox instance failed (did not boot, died, or stopped answering). The judge's fault, not the program's.</summary>
public sealed class SandboxVmException(string message, Exception? inner = null) : Exception(message, inner);
