using Judge.Grading.Runs;

namespace Judge.Sandbox.Protocol;

/// <summary>
/// The host end of the agent protocol over one byte stream. One request is in flight at a time; any failure
/// other than an ERROR reply leaves the stream at an unknown position, so the client refuses further use.
/// </summary>
internal sealed class AgentClient(Stream stream) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private uint _lastId;
    private bool _broken;

    public bool IsBroken => _broken;

    public async Task<AgentInfo> WaitForReadyAsync(CancellationToken cancellationToken)
    {
        var frame = await Frame.ReadAsync(stream, cancellationToken);
        if (frame.Type != (ushort)MessageType.Ready)
        {
            _broken = true;
            throw new AgentProtocolException($"Expected READY from a booting guest, got frame type 0x{frame.Type:X4}.");
        }

        return AgentInfo.Parse(new FieldReader(frame.Payload));
    }

    public async Task<AgentInfo> HelloAsync(CancellationToken cancellationToken) =>
        AgentInfo.Parse(await RequestAsync(MessageType.Hello, ReadOnlyMemory<byte>.Empty, cancellationToken));

    public async Task PingAsync(CancellationToken cancellationToken)
    {
        byte[] token = [1, 2, 3, 4];
        var reply = await RequestAsync(MessageType.Ping, new FieldWriter().Bytes(1, token).Payload, cancellationToken);
        if (!reply.BytesOrEmpty(1).AsSpan().SequenceEqual(token))
        {
            _broken = true;
            throw new AgentProtocolException("The agent echoed a different PING token.");
        }
    }

    public async Task WriteFileAsync(string path, ReadOnlyMemory<byte> content, int mode, int uid, int gid, CancellationToken cancellationToken)
    {
        var offset = 0;
        do
        {
            var chunk = content.Slice(offset, Math.Min(AgentProtocol.MaxWriteChunk, content.Length - offset));
            var fields = new FieldWriter()
                .String(FileTag.Path, path)
                .Bytes(FileTag.Data, chunk.Span)
                .Int(FileTag.Mode, mode)
                .Int(FileTag.Uid, uid)
                .Int(FileTag.Gid, gid)
                .Int(FileTag.Append, offset == 0 ? 0 : 1);
            await RequestAsync(MessageType.WriteFile, fields.Payload, cancellationToken);
            offset += chunk.Length;
        }
        while (offset < content.Length);
    }

    public Task MkdirAsync(string path, int mode, int uid, int gid, CancellationToken cancellationToken) =>
        RequestAsync(MessageType.Mkdir, new FieldWriter()
            .String(FileTag.Path, path)
            .Int(FileTag.Mode, mode)
            .Int(FileTag.Uid, uid)
            .Int(FileTag.Gid, gid).Payload, cancellationToken);

    public async Task<GuestFileContent> ReadFileAsync(string path, long maxBytes, CancellationToken cancellationToken)
    {
        var reply = await RequestAsync(MessageType.ReadFile, new FieldWriter()
            .String(ReadFileTag.Path, path)
            .Int(ReadFileTag.MaxBytes, Math.Clamp(maxBytes, 0, AgentProtocol.MaxReadBytes)).Payload, cancellationToken);
        return new GuestFileContent(reply.BytesOrEmpty(ReadFileTag.Data), reply.RequiredInt(ReadFileTag.Size), reply.Int(ReadFileTag.Truncated) == 1);
    }

    public Task ReseedAsync(ReadOnlySpan<byte> entropy, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var unixNs = (now - DateTimeOffset.UnixEpoch).Ticks * 100;
        return RequestAsync(MessageType.Reseed, new FieldWriter()
            .Bytes(ReseedTag.Entropy, entropy)
            .Int(ReseedTag.UnixTimeNs, unixNs).Payload, cancellationToken);
    }

    public async Task<ProcessResult> RunAsync(GuestCommand command, CancellationToken cancellationToken) =>
        ToProcessResult(await RequestAsync(MessageType.Run, RunFields(command).Payload, cancellationToken));

    /// <summary>
    /// Runs <paramref name="program"/> and <paramref name="peer"/> at once, the program's stdout piped to the peer's stdin and
    /// the peer's stdout to the program's stdin (neither command may name stdin or stdout of its own); each under its own limits.
    /// </summary>
    public async Task<InteractionResult> InteractAsync(GuestCommand program, GuestCommand peer, CancellationToken cancellationToken)
    {
        var fields = new FieldWriter()
            .Bytes(InteractTag.Program, RunFields(program).Payload.Span)
            .Bytes(InteractTag.Peer, RunFields(peer).Payload.Span);
        var reply = await RequestAsync(MessageType.Interact, fields.Payload, cancellationToken);
        return new InteractionResult(
            ToProcessResult(new FieldReader(reply.Bytes(InteractTag.ReplyProgram) ?? throw Missing("the program's run"))),
            ToProcessResult(new FieldReader(reply.Bytes(InteractTag.ReplyPeer) ?? throw Missing("the interactor's run"))),
            reply.Int(InteractTag.ReplyFirst) == InteractTag.FirstPeer);

        AgentProtocolException Missing(string what)
        {
            _broken = true;
            return new AgentProtocolException($"The INTERACT reply lacks {what}.");
        }
    }

    private static FieldWriter RunFields(GuestCommand command)
    {
        var limits = command.Limits;
        var fields = new FieldWriter();
        foreach (var arg in command.Argv)
        {
            fields.String(RunTag.Argv, arg);
        }

        foreach (var entry in command.EnvironmentEntries())
        {
            fields.String(RunTag.Env, entry);
        }

        fields.String(RunTag.Cwd, command.WorkingDirectory)
            .Int(RunTag.Uid, command.Uid)
            .Int(RunTag.Gid, command.Gid)
            .IntIfPositive(RunTag.CpuMs, (long?)limits.CpuTime?.TotalMilliseconds)
            .IntIfPositive(RunTag.WallMs, (long?)limits.EffectiveWallTime?.TotalMilliseconds)
            .IntIfPositive(RunTag.MemoryBytes, limits.MemoryBytes)
            .IntIfPositive(RunTag.Pids, limits.MaxProcesses)
            .Int(RunTag.OutputBytes, Math.Clamp(limits.OutputBytes, 0, AgentProtocol.MaxCapturedOutput))
            .IntIfPositive(RunTag.FileSizeBytes, limits.FileSizeBytes)
            .IntIfPositive(RunTag.OpenFiles, limits.OpenFiles)
            .IntIfPositive(RunTag.StackBytes, limits.StackBytes)
            .IntIfPositive(RunTag.AddressSpaceBytes, limits.AddressSpaceBytes)
            .Int(RunTag.KillOnOutputLimit, limits.KillOnOutputLimit ? 1 : 0)
            .IntIfPositive(RunTag.IgnoreSigpipe, command.IgnoreSigpipe ? 1 : 0);
        if (command.Stdin is { } stdin)
        {
            fields.Bytes(RunTag.StdinData, stdin.Span);
        }
        else if (command.StdinPath is { } stdinPath)
        {
            fields.String(RunTag.StdinPath, stdinPath);
        }

        if (command.StdoutPath is { } stdoutPath)
        {
            fields.String(RunTag.StdoutPath, stdoutPath);
        }

        foreach (var path in command.ReadOnlyPaths)
        {
            fields.String(RunTag.ReadOnlyPath, path);
        }

        foreach (var path in command.HiddenPaths)
        {
            fields.String(RunTag.HiddenPath, path);
        }

        return fields;
    }

    private static ProcessResult ToProcessResult(FieldReader reply)
    {
        var exitCode = reply.RequiredInt(RunReplyTag.ExitCode);
        var signal = reply.Int(RunReplyTag.Signal) ?? 0;
        return new ProcessResult
        {
            ExitCode = exitCode >= 0 ? (int)exitCode : null,
            Signal = signal > 0 ? (int)signal : null,
            CpuMs = Millis(reply.Int(RunReplyTag.CpuUs)),
            UserCpuMs = Millis(reply.Int(RunReplyTag.UserCpuUs)),
            SystemCpuMs = Millis(reply.Int(RunReplyTag.SystemCpuUs)),
            WallMs = Millis(reply.Int(RunReplyTag.WallUs)),
            PeakMemoryBytes = reply.Int(RunReplyTag.PeakMemoryBytes) ?? 0,
            OomKilled = reply.Int(RunReplyTag.OomKilled) == 1,
            LimitExceeded = ToLimit(reply.Int(RunReplyTag.LimitReason) ?? 0),
            Stdout = reply.BytesOrEmpty(RunReplyTag.Stdout),
            Stderr = reply.BytesOrEmpty(RunReplyTag.Stderr),
            StdoutTruncated = reply.Int(RunReplyTag.StdoutTruncated) == 1,
            StderrTruncated = reply.Int(RunReplyTag.StderrTruncated) == 1,
            SpawnMs = Millis(reply.Int(RunReplyTag.SpawnUs)),
            ProcessMs = Millis(reply.Int(RunReplyTag.ProcessUs)),
        };
    }

    /// <summary>Sends raw bytes; for tests of the agent's handling of malformed input.</summary>
    internal async Task SendRawAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(bytes, cancellationToken);
        await stream.FlushAsync(cancellationToken);
    }

    /// <summary>Reads one frame without matching it to a request; for tests of the agent's error replies.</summary>
    internal Task<Frame> ReadRawFrameAsync(CancellationToken cancellationToken) => Frame.ReadAsync(stream, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        _broken = true;
        await stream.DisposeAsync();
        _gate.Dispose();
    }

    private async Task<FieldReader> RequestAsync(MessageType type, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_broken)
            {
                throw new AgentProtocolException("The agent channel is unusable after an earlier failure; the VM must be destroyed.");
            }

            var id = ++_lastId;
            try
            {
                var header = new byte[AgentProtocol.HeaderSize];
                Frame.EncodeHeader(header, (ushort)type, id, (uint)payload.Length);
                await stream.WriteAsync(header, cancellationToken);
                await stream.WriteAsync(payload, cancellationToken);
                await stream.FlushAsync(cancellationToken);
                var reply = await ReadReplyAsync(id, cancellationToken);
                var fields = new FieldReader(reply.Payload);
                if (reply.Type == (ushort)MessageType.Error)
                {
                    throw new AgentErrorException(
                        (AgentErrorCode)(fields.Int(ErrorTag.Code) ?? 0),
                        fields.String(ErrorTag.Message) ?? "(no message)");
                }

                if (reply.Type != ((ushort)type | AgentProtocol.ReplyBit))
                {
                    throw new AgentProtocolException($"Expected a reply of type 0x{(ushort)type | AgentProtocol.ReplyBit:X4}, got 0x{reply.Type:X4}.");
                }

                return fields;
            }
            catch (Exception e) when (e is not AgentErrorException)
            {
                _broken = true;
                throw;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Skips frames of earlier requests and unsolicited ones (id 0): a reply the agent wrote while no host was
    /// connected reaches the next connection. An id this client never sent means the stream is out of step.
    /// </summary>
    private async Task<Frame> ReadReplyAsync(uint id, CancellationToken cancellationToken)
    {
        while (true)
        {
            var frame = await Frame.ReadAsync(stream, cancellationToken);
            if (frame.Id == id)
            {
                return frame;
            }

            if (frame.Id > id)
            {
                throw new AgentProtocolException($"Reply id {frame.Id} does not match request id {id}.");
            }
        }
    }

    private static double Millis(long? micros) => (micros ?? 0) / 1000.0;

    private static LimitExceeded ToLimit(long reason) => reason switch
    {
        1 => LimitExceeded.CpuTime,
        2 => LimitExceeded.WallTime,
        3 => LimitExceeded.Output,
        4 => LimitExceeded.Memory,
        _ => LimitExceeded.None,
    };
}

public sealed record GuestFileContent(byte[] Data, long Size, bool Truncated);
