using Judge.Sandbox.Protocol;

namespace Judge.Sandbox.Tests.Fakes;

/// <summary>The guest end of the protocol in memory: answers each request through a handler written by the test.</summary>
internal sealed class FakeAgent : IAsyncDisposable
{
    private readonly Stream _guest;
    private readonly Task _loop;

    public FakeAgent(Func<Frame, (ushort Type, uint Id, ReadOnlyMemory<byte> Payload)> handler)
    {
        (var host, _guest) = DuplexStream.CreatePair();
        Client = new AgentClient(host);
        _loop = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var request = await Frame.ReadAsync(_guest, CancellationToken.None);
                    Requests.Add(request);
                    var (type, id, payload) = handler(request);
                    await _guest.WriteAsync(Frame.Encode(type, id, payload.Span));
                    await _guest.FlushAsync();
                }
            }
            catch (Exception e) when (e is EndOfStreamException or IOException or ObjectDisposedException or InvalidOperationException)
            {
            }
        });
    }

    public AgentClient Client { get; }

    public List<Frame> Requests { get; } = [];

    public static (ushort, uint, ReadOnlyMemory<byte>) Reply(Frame request, FieldWriter fields) =>
        ((ushort)(request.Type | AgentProtocol.ReplyBit), request.Id, fields.Payload);

    public static FieldWriter Hello(int protocolVersion = AgentProtocol.Version, string imageVersion = "img-1", bool cgroups = true) =>
        new FieldWriter()
            .Int(HelloTag.ProtocolVersion, protocolVersion)
            .String(HelloTag.AgentVersion, "test")
            .String(HelloTag.ImageVersion, imageVersion)
            .String(HelloTag.KernelRelease, "6.1.0-test")
            .Int(HelloTag.UptimeMs, 1234)
            .Int(HelloTag.CgroupReady, cgroups ? 1 : 0);

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await _guest.DisposeAsync();
        await _loop;
    }
}
