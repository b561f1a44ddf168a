using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Judge.Sandbox.Processes;

namespace Judge.Sandbox.Qemu;

/// <summary>Just enough of QEMU's machine protocol (QMP) to take a memory snapshot.</summary>
internal sealed class QmpClient : IAsyncDisposable
{
    private readonly NetworkStream _stream;
    private readonly StreamReader _reader;

    private QmpClient(Socket socket)
    {
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = new StreamReader(_stream, Encoding.UTF8);
    }

    public static async Task<QmpClient> ConnectAsync(string socketPath, StartedProcess qemu, CancellationToken cancellationToken)
    {
        var client = new QmpClient(await QemuLauncher.ConnectUnixAsync(socketPath, qemu, cancellationToken));
        await client.ReadMessageAsync(cancellationToken); // greeting
        await client.ExecuteAsync("qmp_capabilities", null, cancellationToken);
        return client;
    }

    public async Task<JsonNode?> ExecuteAsync(string command, JsonObject? arguments, CancellationToken cancellationToken)
    {
        var request = new JsonObject { ["execute"] = command };
        if (arguments is not null)
        {
            request["arguments"] = arguments;
        }

        await _stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToJsonString() + "\n"), cancellationToken);
        while (true)
        {
            var message = await ReadMessageAsync(cancellationToken);
            if (message["error"] is JsonObject error)
            {
                throw new InvalidOperationException($"QMP {command} failed: {error["desc"]}");
            }

            if (message.ContainsKey("return"))
            {
                return message["return"];
            }

            // Anything else is an asynchronous event; QMP interleaves them with replies.
        }
    }

    private async Task<JsonObject> ReadMessageAsync(CancellationToken cancellationToken)
    {
        var line = await _reader.ReadLineAsync(cancellationToken)
            ?? throw new IOException("QEMU closed its QMP socket.");
        return JsonNode.Parse(line) as JsonObject ?? throw new JsonException($"QMP sent a non-object: {line}");
    }

    public async ValueTask DisposeAsync()
    {
        _reader.Dispose();
        await _stream.DisposeAsync();
    }
}
