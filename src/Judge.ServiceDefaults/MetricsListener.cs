using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

namespace Judge.ServiceDefaults;

/// <summary>Where a host without HTTP of its own serves /metrics.</summary>
/// <param name="Address">The address to listen on; loopback unless an operator opens it.</param>
/// <param name="Port">The port; 0 = the first free one of <see cref="DefaultPorts"/>.</param>
public sealed record MetricsListenerOptions(IPAddress Address, int Port)
{
    /// <summary>The first port tried when none is configured; deploy/fleet.sh gives its workers 5090, 5091, ….</summary>
    public const int FirstDefaultPort = 5090;

    public const int DefaultPortCount = 100;

    public static IEnumerable<int> DefaultPorts => Enumerable.Range(FirstDefaultPort, DefaultPortCount);
}

/// <summary>
/// A small Kestrel listener of its own that serves the host's Prometheus endpoint (/metrics) and nothing else, for a
/// generic host such as the worker. With no port configured it takes the first free one from
/// <see cref="MetricsListenerOptions.FirstDefaultPort"/>, so several workers on one machine never collide.
/// </summary>
public sealed class MetricsListener(MetricsListenerOptions options, MeterProvider meterProvider, ILogger<MetricsListener> logger) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    /// <summary>The bound address, e.g. http://127.0.0.1:5090/metrics; known once started.</summary>
    public Uri? MetricsAddress { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var ports = options.Port > 0 ? [options.Port] : MetricsListenerOptions.DefaultPorts.ToList();
        foreach (var port in ports)
        {
            var app = Build(port);
            try
            {
                await app.StartAsync(cancellationToken);
            }
            catch (IOException e) when (port != ports[^1])
            {
                logger.LogDebug(e, "Metrics port {Port} is taken; trying the next", port);
                await app.DisposeAsync();
                continue;
            }

            _app = app;
            var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            MetricsAddress = new Uri(new Uri(bound), ServiceDefaultsExtensions.MetricsPath);
            logger.LogInformation("Metrics at {MetricsAddress}", MetricsAddress);
            return;
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
            _app = null;
        }
    }

    private WebApplication Build(int port)
    {
        // An empty builder: none of the host's configuration (ASPNETCORE_URLS, Kestrel sections) reaches this listener.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.Listen(options.Address, port));
        builder.Services.AddSingleton<IMeterFactory, UndisposedMeterFactory>();
        builder.Services.AddRoutingCore();
        builder.Services.AddOptions();
        var app = builder.Build();
        app.UseRouting();
        app.MapPrometheusScrapingEndpoint(ServiceDefaultsExtensions.MetricsPath, meterProvider, configureBranchedPipeline: null, optionsName: null);
        return app;
    }
}

/// <summary>
/// Meters for the listener's own Kestrel and hosting metrics that outlive it. OpenTelemetry drops a metric stream once an
/// instrument of it is disposed, even when another instrument of the same name (the API's own Kestrel, in a test process
/// holding both) still records; so a stopped listener, or one retrying on the next port, must dispose none.
/// </summary>
internal sealed class UndisposedMeterFactory : IMeterFactory
{
    public Meter Create(MeterOptions options) => new(options);

    public void Dispose()
    {
    }
}

public static class MetricsListenerExtensions
{
    /// <summary>Serves /metrics on <paramref name="options"/>' address and port, apart from any HTTP the host has.</summary>
    public static TBuilder AddMetricsListener<TBuilder>(this TBuilder builder, MetricsListenerOptions options) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<MetricsListener>();
        builder.Services.AddHostedService(services => services.GetRequiredService<MetricsListener>());
        return builder;
    }
}
