using Judge.Grading.Runs;
using Judge.Sandbox.Vms;

namespace Judge.Sandbox.Running;

/// <summary>A file placed in the guest's working directory (/box) before compiling.</summary>
public sealed record SourceFile(string Name, ReadOnlyMemory<byte> Content);

/// <summary>Compile (when the language needs it) and run one program once, in a VM of its own.</summary>
public sealed record SandboxRunRequest(string Language)
{
    /// <summary>The program's source, stored under the language's source file name.</summary>
    public string? Source { get; init; }

    /// <summary>Files for /box instead of (or besides) <see cref="Source"/>.</summary>
    public IReadOnlyList<SourceFile> Files { get; init; } = [];

    public ReadOnlyMemory<byte>? Stdin { get; init; }

    public ResourceLimits Limits { get; init; } = DefaultLimits;

    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    public static ResourceLimits DefaultLimits { get; } = new()
    {
        CpuTime = TimeSpan.FromSeconds(10),
        MemoryBytes = 256L * 1024 * 1024,
        MaxProcesses = 64,
        FileSizeBytes = 64L * 1024 * 1024,
    };
}

/// <summary>
/// Where the time went, host-side, in milliseconds. A warm pool hit has zero setup and boot time;
/// connect is the agent check at checkout (warm) or the handshake after boot (cold or restored).
/// </summary>
public sealed record SandboxTimings(
    double SetupMs,
    double BootMs,
    double ConnectMs,
    double CompileMs,
    double ExecuteMs,
    double TotalMs,
    bool WarmPoolHit,
    VmBootKind? BootKind);

public sealed record SandboxRunResult(
    string Language,
    string VmId,
    Isolation Isolation,
    ProcessResult? Compile,
    ProcessResult? Run,
    SandboxTimings Timings)
{
    public bool CompilationFailed => Compile is { Succeeded: false };
}
