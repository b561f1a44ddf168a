using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Judge.Grading.Languages;
using Judge.Sandbox.Images;
using Judge.Sandbox.Processes;
using Judge.Sandbox.Protocol;
using Judge.Sandbox.Settings;
using Judge.Sandbox.Vms;
using Microsoft.Extensions.Logging;

namespace Judge.Sandbox.Qemu;

/// <summary>
/// Starts QEMU micro-VMs: a cold boot of the guest kernel, or a restore of a memory snapshot taken right
/// after one (much faster under TCG). The host listens on the control socket before QEMU starts, so the
/// agent's first frame cannot be missed.
/// </summary>
internal sealed class QemuLauncher : IVmLauncher
{
    private readonly SandboxOptions _options;
    private readonly GuestImage _image;
    private readonly HostFacts _host;
    private readonly SnapshotStore? _snapshots;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Lazy<Task<LanguageSnapshot?>>> _languageSnapshots = new(StringComparer.Ordinal);

    public QemuLauncher(
        SandboxOptions options, GuestImage image, HostFacts host, Isolation accelerator, SnapshotStore? snapshots, ILoggerFactory loggerFactory)
    {
        _options = options;
        _image = image;
        _host = host;
        Isolation = accelerator;
        _snapshots = snapshots;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<QemuLauncher>();
    }

    public Isolation Isolation { get; }

    public GuestImage Image => _image;

    public HostFacts Host => _host;

    /// <summary>
    /// Restores the language's snapshot (taking it first, once per host, when there is none) while restores
    /// stay faster than cold boots; cold-boots otherwise.
    /// </summary>
    public async Task<IVm> LaunchAsync(string language, CancellationToken cancellationToken)
    {
        var snapshot = await SnapshotForAsync(language);
        if (snapshot is { Preferred: true })
        {
            try
            {
                var restored = await RestoreAsync(snapshot.Path, cancellationToken);
                snapshot.LastRestoreMs = restored.StartTimings.BootMs;
                return restored;
            }
            catch (SandboxVmException e) when (!cancellationToken.IsCancellationRequested)
            {
                // Deleted so that the next start takes a fresh one instead of failing again.
                _logger.LogWarning(e, "Restoring the {Language} snapshot {Snapshot} failed; deleting it and cold-booting", language, snapshot.Path);
                snapshot.Broken = true;
                File.Delete(snapshot.Path);
            }
        }

        var booted = await BootAsync(Isolation, withQmp: false, _options.BootTimeout, cancellationToken);
        if (snapshot is not null)
        {
            snapshot.ColdBootMs = booted.StartTimings.BootMs;
        }

        return booted;
    }

    /// <summary>The language's snapshot file, or null when snapshots are off or could not be taken.</summary>
    public async Task<string?> SnapshotPathAsync(string language) => (await SnapshotForAsync(language))?.Path;

    /// <summary>One snapshot per language, taken by the first launch that needs it; later launches share that task.</summary>
    private Task<LanguageSnapshot?> SnapshotForAsync(string language)
    {
        if (_snapshots is null)
        {
            return Task.FromResult<LanguageSnapshot?>(null);
        }

        return _languageSnapshots.GetOrAdd(language, l => new Lazy<Task<LanguageSnapshot?>>(async () =>
        {
            try
            {
                var (path, coldBootMs) = await _snapshots.EnsureAsync(this, _options, LanguageRegistry.Get(l), CancellationToken.None);
                return new LanguageSnapshot(path, coldBootMs);
            }
            catch (Exception e) when (e is SandboxVmException or IOException or InvalidOperationException or AgentErrorException or JsonException)
            {
                _logger.LogWarning(e, "No memory snapshot for {Language}: its VMs are cold-booted", l);
                return null;
            }
        })).Value;
    }

    public async Task<AgentVm> BootAsync(Isolation accelerator, bool withQmp, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var directory = VmDirectory.Create(_options.WorkDirectory);
        return await AgentVmStarter.StartAsync("QEMU", directory, accelerator, timeout, clock, _options.QemuPath,
            QemuCommandLine.Build(_options, _image, _host, accelerator, directory, withQmp: withQmp), _options, _loggerFactory,
            (_, agent, setupMs, ct) => AgentVmStarter.ColdHandshakeAsync(agent, _image.Version, clock, setupMs, ct),
            cancellationToken);
    }

    public async Task<AgentVm> RestoreAsync(string snapshotPath, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var directory = VmDirectory.Create(_options.WorkDirectory);
        return await AgentVmStarter.StartAsync("QEMU", directory, Isolation, _options.BootTimeout, clock, _options.QemuPath,
            QemuCommandLine.Build(_options, _image, _host, Isolation, directory, incoming: true), _options, _loggerFactory,
            async (process, agent, setupMs, ct) =>
            {
                await StreamSnapshotAsync(snapshotPath, directory.IncomingSocket, process, ct);
                var hello = await agent.HelloAsync(ct);
                hello.EnsureCompatible(_image.Version);
                var bootMs = clock.Elapsed.TotalMilliseconds - setupMs;

                // Every VM restored from one snapshot starts with the same random state and a stale clock.
                await agent.ReseedAsync(RandomNumberGenerator.GetBytes(64), DateTimeOffset.UtcNow, ct);
                return new VmStartTimings(VmBootKind.Snapshot, setupMs, bootMs, clock.Elapsed.TotalMilliseconds - setupMs - bootMs);
            },
            cancellationToken);
    }

    private static async Task StreamSnapshotAsync(string snapshotPath, string socketPath, StartedProcess process, CancellationToken cancellationToken)
    {
        using var socket = await ConnectUnixAsync(socketPath, process, cancellationToken);
        await using (var stream = new NetworkStream(socket, ownsSocket: false))
        await using (var file = new FileStream(snapshotPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, useAsync: true))
        {
            await file.CopyToAsync(stream, 1 << 20, cancellationToken);
        }

        socket.Shutdown(SocketShutdown.Send);
    }

    /// <summary>QEMU creates its listening sockets some milliseconds after it starts: retry until it does or exits.</summary>
    internal static async Task<Socket> ConnectUnixAsync(string path, StartedProcess process, CancellationToken cancellationToken)
    {
        while (true)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
                return socket;
            }
            catch (SocketException) when (!process.HasExited)
            {
                socket.Dispose();
                await Task.Delay(5, cancellationToken);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
    }

    /// <summary>A language's snapshot and how restoring it compares with a cold boot on this host.</summary>
    private sealed class LanguageSnapshot(string path, double coldBootMs)
    {
        public string Path { get; } = path;

        public double ColdBootMs { get; set; } = coldBootMs;

        public double LastRestoreMs { get; set; }

        public bool Broken { get; set; }

        /// <summary>Restores are used while they beat the cold boot (the first one is always tried).</summary>
        public bool Preferred => !Broken && LastRestoreMs < ColdBootMs;
    }
}
