using System.Diagnostics;
using Judge.Grading.Languages;
using Judge.Grading.Runs;
using Judge.Sandbox.Calibration;
using Judge.Sandbox.Namespaces;
using Judge.Sandbox.Pool;
using Judge.Sandbox.Qemu;
using Judge.Sandbox.Running;
using Judge.Sandbox.Vms;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Judge.Sandbox;

/// <summary>The isolation in use and why it was chosen; reported in logs, results, heartbeats and health.</summary>
public sealed record IsolationChoice(Isolation Isolation, string Reason);

/// <summary>
/// Runs untrusted code in single-use sandboxes (VMs, or namespace sets): <see cref="RunAsync"/> for one program,
/// <see cref="OpenSessionAsync"/> for a whole submission. Start it once (isolation choice, snapshots, warm pool)
/// before use.
/// </summary>
public sealed class SandboxRunner : IAsyncDisposable
{
    private const int New = 0, Starting = 1, Running = 2, Stopped = 3;

    private readonly SandboxOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _slots;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _active = new();
    private IVmLauncher? _launcher;
    private WarmPool? _pool;
    private IsolationChoice? _isolation;
    private string? _namespaceUnavailable; // why namespaces cannot be used here, for the isolation choice's reason
    private int _state;

    public SandboxRunner(IOptions<SandboxOptions> options, ILoggerFactory loggerFactory)
        : this(options.Value, null, null, loggerFactory)
    {
    }

    internal SandboxRunner(SandboxOptions options, IVmLauncher? launcher, IsolationChoice? isolation, ILoggerFactory loggerFactory)
    {
        _options = options;
        _launcher = launcher;
        _isolation = isolation;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<SandboxRunner>();
        _slots = new SemaphoreSlim(options.MaxConcurrentVms, options.MaxConcurrentVms);
    }

    /// <summary>The isolation in use and why; known once started.</summary>
    public IsolationChoice Isolation => _isolation ?? throw NotRunning();

    /// <summary>This host's speed per language against the reference; known once started (uncalibrated if so configured).</summary>
    public HostSpeed Speed { get; private set; } = HostSpeed.Uncalibrated;

    /// <summary>The guest image in use (null with a launcher given by a test).</summary>
    public GuestImage? Image { get; private set; }

    internal WarmPool Pool => _pool ?? throw NotRunning();

    internal IVmLauncher Launcher => _launcher ?? throw NotRunning();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var previous = Interlocked.CompareExchange(ref _state, Starting, New);
        if (previous != New)
        {
            throw new InvalidOperationException(previous == Stopped
                ? "The sandbox was stopped; create a new one."
                : "The sandbox is already started.");
        }

        try
        {
            var unknown = _options.EffectiveWarmLanguages.Where(l => LanguageRegistry.Find(l) is null).ToList();
            if (unknown.Count > 0)
            {
                throw new InvalidOperationException(
                    $"Sandbox:WarmLanguages names unknown languages: {string.Join(", ", unknown)}. Known: {string.Join(", ", LanguageRegistry.All.Select(l => l.Id))}.");
            }

            _launcher ??= await StartLauncherAsync(cancellationToken);
        }
        catch
        {
            Volatile.Write(ref _state, New); // a failed start can be retried
            throw;
        }

        _isolation ??= new IsolationChoice(_launcher.Isolation, "given by the launcher");
        _pool = new WarmPool(_launcher, _options.EffectiveWarmPoolSize, _options.EffectiveWarmLanguages,
            _options.HealthCheckInterval, _options.PingTimeout, _loggerFactory.CreateLogger<WarmPool>());
        _pool.Start();
        Volatile.Write(ref _state, Running);
        _logger.LogInformation(
            "Sandbox isolation {Isolation} ({Reason}); warm pool of {PoolSize} per language for {Languages}",
            _isolation.Isolation, _isolation.Reason, _pool.PoolSize, string.Join(", ", _pool.Languages));
        if (_options.CalibrateSpeed)
        {
            await CalibrateAsync(cancellationToken);
        }
    }

    /// <summary>VMs held by open sessions now.</summary>
    public IReadOnlyCollection<string> ActiveVmIds => [.. _active.Keys];

    /// <summary>Idle warm VMs per pooled language, for heartbeats and health output.</summary>
    public IReadOnlyDictionary<string, int> WarmPoolCounts() =>
        Pool.Languages.ToDictionary(l => l, Pool.IdleCount);

    /// <summary>Completes when the warm pools hold every VM they could boot; useful before measuring.</summary>
    public Task WhenWarmAsync() => Pool.WhenRefilledAsync();

    /// <summary>Takes a VM for <paramref name="language"/>, waiting for a free slot when MaxConcurrentVms are in use.</summary>
    public async Task<SandboxSession> OpenSessionAsync(string language, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _state) != Running)
        {
            throw NotRunning();
        }

        var lang = LanguageRegistry.Get(language);
        await _slots.WaitAsync(cancellationToken);
        try
        {
            var lease = await Pool.AcquireAsync(lang.Id, cancellationToken);
            var vmId = lease.Vm.Id;
            _active.TryAdd(vmId, 0);
            return new SandboxSession(lease, lang, () =>
            {
                _active.TryRemove(vmId, out _);
                _slots.Release();
            }, _loggerFactory.CreateLogger<SandboxSession>());
        }
        catch
        {
            _slots.Release();
            throw;
        }
    }

    public async Task<SandboxRunResult> RunAsync(SandboxRunRequest request, CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        await using var session = await OpenSessionAsync(request.Language, cancellationToken);
        if (request.Source is { } source)
        {
            await session.WriteSourceAsync(source, cancellationToken);
        }

        foreach (var file in request.Files)
        {
            await session.WriteFileAsync(file.Name, file.Content, cancellationToken);
        }

        var compileClock = Stopwatch.StartNew();
        var compile = await session.CompileAsync(cancellationToken);
        var compileMs = compile is null ? 0 : compileClock.Elapsed.TotalMilliseconds;
        ProcessResult? run = null;
        if (compile is not { Succeeded: false })
        {
            run = await session.RunProgramAsync(request.Stdin, request.Limits, request.Environment, cancellationToken);
        }

        return new SandboxRunResult(request.Language, session.VmId, session.Isolation, compile, run,
            new SandboxTimings(session.SetupMs, session.BootMs, session.ConnectMs, compileMs, session.ExecuteMs,
                total.Elapsed.TotalMilliseconds, session.WarmPoolHit, session.BootKind));
    }

    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _state, Stopped) == Stopped)
        {
            return;
        }

        if (_pool is not null)
        {
            await _pool.StopAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (_pool is not null)
        {
            await _pool.DisposeAsync();
        }
    }

    /// <summary>Measured before the host takes any work, so nothing else competes for the CPU.</summary>
    private async Task CalibrateAsync(CancellationToken cancellationToken)
    {
        await WhenWarmAsync();
        var clock = Stopwatch.StartNew();
        Speed = HostSpeed.Against(SpeedReference.BuiltIn, await SpeedCalibrator.MeasureAsync(this, _options.CalibrationRuns, cancellationToken));
        _logger.LogInformation("Speed factors against the reference host ({Reference}), measured in {Seconds:0.0} s: {Factors}",
            SpeedReference.BuiltIn.Host, clock.Elapsed.TotalSeconds,
            string.Join(", ", Speed.Languages.Select(l => FormattableString.Invariant($"{l.Key} {l.Value.Factor:0.000} ({l.Value.MeasuredCpuMs:0}/{l.Value.ReferenceCpuMs:0} ms)"))));
    }

    /// <summary>Sandbox:Isolation decides; in auto mode a VM under KVM beats namespaces, which beat a VM under TCG.</summary>
    private async Task<IVmLauncher> StartLauncherAsync(CancellationToken cancellationToken)
    {
        var image = GuestImage.Load(_options.ResolveImageDirectory());
        Image = image;
        var orphans = VmDirectory.RemoveOrphans(_options.WorkDirectory);
        if (orphans > 0)
        {
            _logger.LogWarning("Removed {Count} sandboxes left behind by dead processes", orphans);
        }

        _logger.LogInformation("Guest image {ImageVersion} ({Directory})", image.Version, image.Directory);
        switch (_options.Isolation)
        {
            case IsolationMode.Vm:
                return await StartQemuAsync(image, cancellationToken);
            case IsolationMode.Namespace:
                return await StartNamespacesAsync(image, "configured (Sandbox:Isolation=namespace)")
                    ?? throw new SandboxVmException($"Sandbox:Isolation=namespace, but {_namespaceUnavailable}.");
        }

        QemuLauncher? qemu = null;
        string whyNotKvm;
        try
        {
            qemu = await StartQemuAsync(image, cancellationToken);
            if (qemu.Isolation == Vms.Isolation.Kvm)
            {
                return qemu;
            }

            whyNotKvm = _isolation!.Reason;
        }
        catch (Exception e) when (e is SandboxVmException or IOException or System.ComponentModel.Win32Exception)
        {
            whyNotKvm = $"no VM could be started ({e.Message})";
        }

        var namespaces = await StartNamespacesAsync(image, $"auto: VMs would not run under KVM here ({whyNotKvm})");
        if (namespaces is not null)
        {
            return namespaces;
        }

        if (qemu is null)
        {
            throw new SandboxVmException($"No isolation works on this host: {whyNotKvm}; namespaces: {_namespaceUnavailable}.");
        }

        _isolation = new IsolationChoice(Vms.Isolation.Tcg, $"auto: {whyNotKvm}; namespaces unavailable: {_namespaceUnavailable}");
        return qemu;
    }

    private async Task<QemuLauncher> StartQemuAsync(GuestImage image, CancellationToken cancellationToken)
    {
        var host = await HostFacts.ReadAsync(_options.QemuPath, cancellationToken);
        var cache = _options.ResolveCacheDirectory();
        var snapshots = _options.UseSnapshots ? new SnapshotStore(cache, _logger) : null;
        var tcg = new QemuLauncher(_options, image, host, Vms.Isolation.Tcg, snapshots, _loggerFactory);
        _isolation = await AcceleratorSelector.SelectAsync(_options, tcg, cache, _logger, cancellationToken);
        _logger.LogInformation("VMs under {Accelerator} ({Reason}); {Qemu}", _isolation.Isolation, _isolation.Reason, host.QemuVersion);
        return _isolation.Isolation == Vms.Isolation.Tcg
            ? tcg
            : new QemuLauncher(_options, image, host, _isolation.Isolation, snapshots, _loggerFactory);
    }

    /// <summary>The namespace launcher once a probe sandbox has answered; null (reason in _namespaceUnavailable) otherwise.</summary>
    private async Task<NamespaceLauncher?> StartNamespacesAsync(GuestImage image, string reason)
    {
        (var launcher, _namespaceUnavailable) = await NamespaceLauncher.CreateAsync(_options, image, _loggerFactory, CancellationToken.None);
        if (launcher is null)
        {
            return null;
        }

        var orphans = await launcher.RemoveOrphansAsync();
        if (orphans > 0)
        {
            _logger.LogWarning("Removed the cgroups of {Count} namespace sandboxes left behind by dead processes", orphans);
        }

        try
        {
            await using var probe = await launcher.LaunchAsync(LanguageRegistry.Shell.Id, CancellationToken.None);
        }
        catch (SandboxVmException e)
        {
            _namespaceUnavailable = $"a probe namespace sandbox failed: {e.Message}";
            return null;
        }

        _isolation = new IsolationChoice(Vms.Isolation.Namespace, $"{reason}; limits from {launcher.Cgroups}");
        return launcher;
    }

    private static InvalidOperationException NotRunning() =>
        new("The sandbox is not running: call StartAsync first (and not after StopAsync).");
}
