using System.Buffers.Binary;
using Judge.Sandbox.Protocol;
using Judge.Sandbox.Vms;

namespace Judge.Sandbox.IntegrationTests;

/// <summary>Integration tests: the real guest agent answers bad frames with errors and keeps serving.</summary>
public abstract class AgentRobustnessTests(SandboxFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Bad_frames_get_error_replies_and_the_agent_keeps_serving()
    {
        await using var session = await fixture.Sandbox.OpenSessionAsync("shell", Ct);
        var agent = ((AgentVm)session.Vm).Agent;

        await agent.SendRawAsync("this is not a frame"u8.ToArray(), Ct);
        Assert.Equal(AgentErrorCode.BadMagic, await ReadErrorAsync(agent, expectedId: 0));

        await agent.SendRawAsync(Frame.Encode(0x0999, 1001, []), Ct);
        Assert.Equal(AgentErrorCode.UnknownType, await ReadErrorAsync(agent, expectedId: 1001));

        var overrun = new FieldWriter().String(1, "/box/x").Payload.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(overrun.AsSpan(2), 1000);
        await agent.SendRawAsync(Frame.Encode(0x0004, 1002, overrun), Ct);
        Assert.Equal(AgentErrorCode.Malformed, await ReadErrorAsync(agent, expectedId: 1002));

        await agent.SendRawAsync(Frame.Encode(0x0004, 1003, new FieldWriter().String(1, "relative/path").Payload.Span), Ct);
        Assert.Equal(AgentErrorCode.Invalid, await ReadErrorAsync(agent, expectedId: 1003));

        var tooLarge = new byte[AgentProtocol.HeaderSize];
        Frame.EncodeHeader(tooLarge, 0x0003, 1004, AgentProtocol.MaxPayload + 1);
        await agent.SendRawAsync(tooLarge, Ct);
        Assert.Equal(AgentErrorCode.TooLarge, await ReadErrorAsync(agent, expectedId: 1004));
        await agent.SendRawAsync(new byte[AgentProtocol.MaxPayload + 1], Ct); // the agent discards the announced bytes

        var after = await session.ExecuteAsync(new GuestCommand(["echo", "still serving"]), Ct);
        Assert.Equal("still serving\n", after.StdoutText);
    }

    private static async Task<AgentErrorCode> ReadErrorAsync(AgentClient agent, uint expectedId)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var frame = await agent.ReadRawFrameAsync(timeout.Token);
        Assert.Equal(0x7FFF, frame.Type);
        Assert.Equal(expectedId, frame.Id);
        return (AgentErrorCode)(new FieldReader(frame.Payload).Int(1) ?? 0);
    }
}

[Collection(VmSandbox.Name)]
public sealed class AgentRobustnessTestsInVms(VmSandboxFixture fixture) : AgentRobustnessTests(fixture);

[Collection(NamespaceSandbox.Name)]
public sealed class AgentRobustnessTestsInNamespaces(NamespaceSandboxFixture fixture) : AgentRobustnessTests(fixture);
