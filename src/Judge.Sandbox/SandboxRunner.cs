using System.Collections.Concurrent;
using System.Diagnostics;
using Judge.Grading.Languages;
using Judge.Grading.Runs;
using Judge.Sandbox.Calibration;
using Judge.Sandbox.Images;
using Judge.Sandbox.Pool;
using Judge.Sandbox.Running;
using Judge.Sandbox.Settings;
using Judge.Sandbox.Vms;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Judge.Sandbox;

/// <summary>
/// Runs untrusted code in single-use sandboxes (VMs, or namespace sets): <see cref="RunAsync"/> for one program,
/// <see cref="OpenSessionAsync"/> for a whole submission. Start it once (isolation choice, snapshots, warm pool,
/// calibration) before use. It does not bound how many sessions are open at once: its caller does (the worker's
/// judging slots; the CLI and the benchmarks open one session at a time), so that there is one gate, not two that
/// could disagree.
/// </summary>
public sealed class SandboxRunner : IAsyncDisposable, ISessionSource
{
    private const int New = 0, Starting = 1, Running = 2, Stopped = 3;

    private readonly SandboxOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, byte> _active = new();
    private IVmLauncher? _launcher;
    private WarmPool? _pool;
    private IsolationChoice? _isolation;
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

            if (_launcher is null)
            {
                var selected = await new IsolationSelector(_options, _loggerFactory).SelectAsync(cancellationToken);
                (_launcher, _isolation, Image) = (selected.Launcher, selected.Choice, selected.Image);
            }
        }
        catch
        {
            Volatile.Write(ref _state, New); // a failed start can be retried
            throw;
        }

        _isolation ??= new IsolationChoice(_launcher.Isolation, "given by the launcher");
        _pool = new WarmPool(_launcher, WarmPoolSizeFor(_options, _isolation.Isolation), _options.EffectiveWarmLanguages,
            _options.HealthCheckInterval, _options.PingTimeout, _loggerFactory.CreateLogger<WarmPool>());
        _pool.Start();
        Volatile.Write(ref _state, Running);
        _logger.LogInformation(
            "Sandbox isolation {Isolation} ({Reason}); warm pool of {PoolSize} per language for {Languages}",
            _isolation.Isolation, _isolation.Reason, _pool.PoolSize, string.Join(", ", _pool.Languages));
        if (_options.CalibrateSpeed)
        {
            Speed = await SpeedCalibrator.CalibrateAsync(this, _options.CalibrationRuns, _logger, cancellationToken);
        }
    }

    /// <summary>
    /// Sandboxes kept up per language. Unless configured: a quarter of the slots for VMs, since an idle VM holds its memory; a
    /// sandbox for every slot under namespaces, since an idle one is two sleeping processes, so that none starts on a
    /// submission's critical path.
    /// </summary>
    internal static int WarmPoolSizeFor(SandboxOptions options, Vms.Isolation isolation) =>
        isolation == Vms.Isolation.Namespace && options.WarmPoolSize <= 0 ? Math.Max(1, options.MaxConcurrentVms) : options.EffectiveWarmPoolSize;

    /// <summary>VMs held by open sessions now.</summary>
    public IReadOnlyCollection<string> ActiveVmIds => [.. _active.Keys];

    /// <summary>Idle warm VMs per pooled language, for heartbeats and health output.</summary>
    public IReadOnlyDictionary<string, int> WarmPoolCounts() =>
        Pool.Languages.ToDictionary(l => l, Pool.IdleCount);

    /// <summary>Completes when the warm pools hold every VM they could boot; useful before measuring.</summary>
    public Task WhenWarmAsync() => Pool.WhenRefilledAsync();

    /// <summary>Takes a VM for <paramref name="language"/>: a warm one, or one started now when the pool has none.</summary>
    public async Task<SandboxSession> OpenSessionAsync(string language, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _state) != Running)
        {
            throw NotRunning();
        }

        var lang = LanguageRegistry.Get(language);
        var lease = await Pool.AcquireAsync(lang.Id, cancellationToken);
        var vmId = lease.Vm.Id;
        _active.TryAdd(vmId, 0);
        return new SandboxSession(lease, lang, () => _active.TryRemove(vmId, out _), _loggerFactory.CreateLogger<SandboxSession>());
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

    private static InvalidOperationException NotRunning() =>
        new("The sandbox is not running: call StartAsync first (and not after StopAsync).");
}
