using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Judge.Fleet.IntegrationTests;

/// <summary>A POST (or, from a Judge0 client's point of view, a PUT) a receiver got: its path, headers and body, and when.</summary>
public sealed record ReceivedCallback(string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body, DateTime At, string Method = "POST");

/// <summary>
/// A course platform's webhook endpoint, on a loopback port of its own (a real Kestrel server): records every POST, and
/// answers 500 to the first N on a path that was told to fail, 200 otherwise.
/// </summary>
public sealed class CallbackReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedCallback> _received = new();
    private readonly Dictionary<string, int> _failuresLeft = new(StringComparer.Ordinal);

    private CallbackReceiver(WebApplication app) => _app = app;

    public Uri Address { get; private set; } = null!;

    public static async Task<CallbackReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var receiver = new CallbackReceiver(builder.Build());
        receiver._app.MapMethods("/{**path}", [HttpMethods.Post, HttpMethods.Put], async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            var path = context.Request.Path.Value ?? "/";
            receiver._received.Enqueue(new ReceivedCallback(
                path, context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body.ToArray(), DateTime.UtcNow,
                context.Request.Method));
            return receiver.TakeFailure(path) ? Results.StatusCode(500) : Results.Ok();
        });
        await receiver._app.StartAsync();
        receiver.Address = new Uri(receiver._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
        return receiver;
    }

    /// <summary>The next <paramref name="count"/> POSTs to <paramref name="path"/> are answered 500.</summary>
    public void FailNext(string path, int count)
    {
        lock (_failuresLeft)
        {
            _failuresLeft[path] = count;
        }
    }

    public Uri Url(string path) => new(Address, path);

    public IReadOnlyList<ReceivedCallback> ReceivedOn(string path) => [.. _received.Where(r => r.Path == path)];

    /// <summary>Waits until <paramref name="path"/> got <paramref name="count"/> POSTs, and returns them.</summary>
    public async Task<IReadOnlyList<ReceivedCallback>> WaitForAsync(string path, int count, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (ReceivedOn(path).Count < count)
        {
            await Task.Delay(50, deadline.Token);
        }

        return ReceivedOn(path);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private bool TakeFailure(string path)
    {
        lock (_failuresLeft)
        {
            if (_failuresLeft.TryGetValue(path, out var left) && left > 0)
            {
                _failuresLeft[path] = left - 1;
                return true;
            }

            return false;
        }
    }
}
