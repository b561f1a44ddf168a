using Judge.Grading.Runs;
using Judge.Sandbox.Protocol;
using Judge.Sandbox.Tests.Fakes;

namespace Judge.Sandbox.Tests.Protocol;

/// <summary>Unit tests of the host's agent client against an in-memory fake agent.</summary>
public sealed class AgentClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_guest_speaking_another_protocol_version_is_refused_with_a_clear_error()
    {
        await using var agent = new FakeAgent(r => FakeAgent.Reply(r, FakeAgent.Hello(protocolVersion: AgentProtocol.Version + 1)));

        var hello = await agent.Client.HelloAsync(Ct);
        var error = Assert.Throws<AgentVersionMismatchException>(() => hello.EnsureCompatible("img-1"));

        Assert.Contains($"protocol version {AgentProtocol.Version + 1}", error.Message, StringComparison.Ordinal);
        Assert.Contains("deploy/guest-image/build.sh", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_guest_from_another_image_is_refused()
    {
        await using var agent = new FakeAgent(r => FakeAgent.Reply(r, FakeAgent.Hello(imageVersion: "img-2")));

        var hello = await agent.Client.HelloAsync(Ct);
        var error = Assert.Throws<AgentVersionMismatchException>(() => hello.EnsureCompatible("img-1"));

        Assert.Contains("img-2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_guest_without_usable_cgroups_is_refused_because_limits_would_not_hold()
    {
        await using var agent = new FakeAgent(r => FakeAgent.Reply(r, FakeAgent.Hello(cgroups: false)));

        var hello = await agent.Client.HelloAsync(Ct);

        Assert.Throws<AgentVersionMismatchException>(() => hello.EnsureCompatible("img-1"));
    }

    [Fact]
    public async Task An_error_reply_surfaces_code_and_message_and_the_channel_stays_usable()
    {
        var calls = 0;
        await using var agent = new FakeAgent(r => ++calls == 1
            ? ((ushort)0x7FFF, r.Id, new FieldWriter().Int(1, 7).String(2, "execve(/nope): No such file or directory").Payload)
            : FakeAgent.Reply(r, new FieldWriter().Bytes(1, [1, 2, 3, 4])));

        var error = await Assert.ThrowsAsync<AgentErrorException>(() => agent.Client.RunAsync(new GuestCommand(["/nope"]), Ct));
        await agent.Client.PingAsync(Ct);

        Assert.Equal(AgentErrorCode.ExecFailed, error.Code);
        Assert.Contains("No such file", error.Message, StringComparison.Ordinal);
        Assert.False(agent.Client.IsBroken);
    }

    [Fact]
    public async Task A_reply_to_another_request_breaks_the_channel_for_good()
    {
        await using var agent = new FakeAgent(r => ((ushort)(r.Type | AgentProtocol.ReplyBit), r.Id + 1, new FieldWriter().Bytes(1, [1, 2, 3, 4]).Payload));

        await Assert.ThrowsAsync<AgentProtocolException>(() => agent.Client.PingAsync(Ct));

        Assert.True(agent.Client.IsBroken);
        await Assert.ThrowsAsync<AgentProtocolException>(() => agent.Client.PingAsync(Ct));
    }

    [Fact]
    public async Task A_stale_reply_from_before_a_reconnect_is_skipped()
    {
        var (host, guest) = DuplexStream.CreatePair();
        await using var client = new AgentClient(host);
        await guest.WriteAsync(Frame.Encode(0x8006, 0, new FieldWriter().Int(RunReplyTag.ExitCode, 3).Payload.Span), Ct);
        await guest.FlushAsync(Ct);
        var answered = Task.Run(async () =>
        {
            var request = await Frame.ReadAsync(guest, Ct);
            await guest.WriteAsync(Frame.Encode(0x8003, request.Id, new FieldWriter().Bytes(1, [1, 2, 3, 4]).Payload.Span), Ct);
            await guest.FlushAsync(Ct);
        }, Ct);

        await client.PingAsync(Ct);
        await answered;

        Assert.False(client.IsBroken);
    }

    [Fact]
    public async Task Run_sends_limits_and_the_default_wall_limit_of_twice_cpu_plus_one_second()
    {
        await using var agent = new FakeAgent(r => FakeAgent.Reply(r, new FieldWriter().Int(RunReplyTag.ExitCode, 0)));
        var command = new GuestCommand(["python3", "/box/main.py"])
        {
            Stdin = "1 2\n"u8.ToArray(),
            Environment = new Dictionary<string, string> { ["FOO"] = "bar", ["HOME"] = "/box" },
            Limits = new ResourceLimits { CpuTime = TimeSpan.FromSeconds(2), MemoryBytes = 64 << 20, MaxProcesses = 16 },
        };

        await agent.Client.RunAsync(command, Ct);

        var sent = new FieldReader(agent.Requests.Single().Payload);
        Assert.Equal(2000, sent.Int(RunTag.CpuMs));
        Assert.Equal(5000, sent.Int(RunTag.WallMs));
        Assert.Equal(64 << 20, sent.Int(RunTag.MemoryBytes));
        Assert.Equal(16, sent.Int(RunTag.Pids));
        Assert.Equal(1000, sent.Int(RunTag.Uid));
        Assert.Equal("1 2\n"u8.ToArray(), sent.BytesOrEmpty(RunTag.StdinData));
        Assert.Null(sent.Int(RunTag.FileSizeBytes));
        var env = sent.Strings(RunTag.Env).ToList();
        Assert.Contains("FOO=bar", env);
        Assert.Contains("HOME=/box", env);
        Assert.DoesNotContain("HOME=/tmp", env);
        Assert.Contains("PATH=/usr/local/bin:/usr/bin:/bin", env);
        Assert.Equal(["python3", "/box/main.py"], [.. sent.Strings(RunTag.Argv)]);
    }

    [Fact]
    public async Task Run_reads_signal_limits_memory_and_truncation_from_the_reply()
    {
        await using var agent = new FakeAgent(r => FakeAgent.Reply(r, new FieldWriter()
            .Int(RunReplyTag.ExitCode, -1)
            .Int(RunReplyTag.Signal, 9)
            .Int(RunReplyTag.CpuUs, 1_500_000)
            .Int(RunReplyTag.WallUs, 1_700_000)
            .Int(RunReplyTag.PeakMemoryBytes, 67_108_864)
            .Int(RunReplyTag.OomKilled, 1)
            .Int(RunReplyTag.LimitReason, 4)
            .Bytes(RunReplyTag.Stdout, "partial"u8)
            .Int(RunReplyTag.StdoutTruncated, 1)));

        var result = await agent.Client.RunAsync(new GuestCommand(["/box/main"]), Ct);

        Assert.Null(result.ExitCode);
        Assert.Equal(9, result.Signal);
        Assert.Equal(1500, result.CpuMs);
        Assert.Equal(1700, result.WallMs);
        Assert.Equal(67_108_864, result.PeakMemoryBytes);
        Assert.True(result.OomKilled);
        Assert.Equal(LimitExceeded.Memory, result.LimitExceeded);
        Assert.Equal("partial", result.StdoutText);
        Assert.True(result.StdoutTruncated);
        Assert.False(result.Succeeded);
    }

    [Fact]
    public async Task A_file_larger_than_one_frame_is_written_in_appended_chunks()
    {
        await using var agent = new FakeAgent(r => FakeAgent.Reply(r, new FieldWriter()));
        var content = new byte[AgentProtocol.MaxWriteChunk + 1000];
        content[^1] = 7;

        await agent.Client.WriteFileAsync("/box/big.in", content, 0x1A4, 0, 0, Ct);

        Assert.Equal(2, agent.Requests.Count);
        var first = new FieldReader(agent.Requests[0].Payload);
        var second = new FieldReader(agent.Requests[1].Payload);
        Assert.Equal(0, first.Int(FileTag.Append));
        Assert.Equal(1, second.Int(FileTag.Append));
        Assert.Equal(AgentProtocol.MaxWriteChunk, first.BytesOrEmpty(FileTag.Data).Length);
        Assert.Equal(1000, second.BytesOrEmpty(FileTag.Data).Length);
        Assert.Equal(7, second.BytesOrEmpty(FileTag.Data)[^1]);
        Assert.All(agent.Requests, r => Assert.True(r.Payload.Length <= AgentProtocol.MaxPayload));
    }
}
