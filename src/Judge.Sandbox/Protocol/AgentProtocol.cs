namespace Judge.Sandbox.Protocol;

/// <summary>Constants of the guest agent protocol; docs/agent-protocol.md is the specification.</summary>
internal static class AgentProtocol
{
    public const int Version = 4;
    public const uint Magic = 0x3141474A; // "JGA1" in little-endian byte order
    public const int HeaderSize = 16;
    public const int MaxPayload = 64 * 1024 * 1024;
    public const ushort ReplyBit = 0x8000;

    /// <summary>A WRITE_FILE chunk leaves room for the path and the other fields inside one frame.</summary>
    public const int MaxWriteChunk = MaxPayload - 64 * 1024;

    /// <summary>READ_FILE returns at most this much, so that data and field headers fit one frame.</summary>
    public const long MaxReadBytes = MaxPayload - 4096;

    /// <summary>The agent captures at most this much of stdout and of stderr, so a RUN reply fits one frame.</summary>
    public const long MaxCapturedOutput = 16 * 1024 * 1024;
}

internal enum MessageType : ushort
{
    Ready = 0x0001,
    Hello = 0x0002,
    Ping = 0x0003,
    WriteFile = 0x0004,
    ReadFile = 0x0005,
    Run = 0x0006,
    Reseed = 0x0007,
    Mkdir = 0x0008,
    Interact = 0x0009,
    Error = 0x7FFF,
}

/// <summary>Error codes the agent sends in an ERROR frame.</summary>
public enum AgentErrorCode
{
    Unknown = 0,
    BadMagic = 1,
    TooLarge = 2,
    UnknownType = 3,
    Malformed = 4,
    Invalid = 5,
    Io = 6,
    ExecFailed = 7,
    Cgroup = 8,
    Internal = 9,
}

internal static class HelloTag
{
    public const ushort ProtocolVersion = 1;
    public const ushort AgentVersion = 2;
    public const ushort ImageVersion = 3;
    public const ushort KernelRelease = 4;
    public const ushort UptimeMs = 5;
    public const ushort CgroupReady = 6;
}

internal static class FileTag
{
    public const ushort Path = 1;
    public const ushort Data = 2;
    public const ushort Mode = 3;
    public const ushort Uid = 4;
    public const ushort Gid = 5;
    public const ushort Append = 6;
}

internal static class ReadFileTag
{
    public const ushort Path = 1;
    public const ushort MaxBytes = 2;
    public const ushort Data = 1;
    public const ushort Size = 2;
    public const ushort Truncated = 3;
}

internal static class ReseedTag
{
    public const ushort Entropy = 1;
    public const ushort UnixTimeNs = 2;
}

internal static class RunTag
{
    public const ushort Argv = 1;
    public const ushort Env = 2;
    public const ushort Cwd = 3;
    public const ushort StdinData = 4;
    public const ushort StdinPath = 5;
    public const ushort StdoutPath = 6;
    public const ushort Uid = 7;
    public const ushort Gid = 8;
    public const ushort CpuMs = 10;
    public const ushort WallMs = 11;
    public const ushort MemoryBytes = 12;
    public const ushort Pids = 13;
    public const ushort OutputBytes = 14;
    public const ushort FileSizeBytes = 15;
    public const ushort OpenFiles = 16;
    public const ushort StackBytes = 17;
    public const ushort KillOnOutputLimit = 18;
    public const ushort ReadOnlyPath = 19;
    public const ushort HiddenPath = 20;
    public const ushort IgnoreSigpipe = 21;
    public const ushort AddressSpaceBytes = 22;
}

internal static class RunReplyTag
{
    public const ushort ExitCode = 1;
    public const ushort Signal = 2;
    public const ushort CpuUs = 3;
    public const ushort WallUs = 4;
    public const ushort PeakMemoryBytes = 5;
    public const ushort OomKilled = 6;
    public const ushort LimitReason = 7;
    public const ushort Stdout = 8;
    public const ushort Stderr = 9;
    public const ushort StdoutTruncated = 10;
    public const ushort StderrTruncated = 11;
    public const ushort SpawnUs = 12;
    public const ushort ProcessUs = 13;
    public const ushort UserCpuUs = 14;
    public const ushort SystemCpuUs = 15;
}

internal static class InteractTag
{
    public const ushort Program = 1;
    public const ushort Peer = 2;
    public const ushort ReplyProgram = 1;
    public const ushort ReplyPeer = 2;
    public const ushort ReplyFirst = 3;
    public const long FirstPeer = 2;
}

internal static class ErrorTag
{
    public const ushort Code = 1;
    public const ushort Message = 2;
}
