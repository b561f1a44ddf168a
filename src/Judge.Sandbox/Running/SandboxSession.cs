using System.Diagnostics;
using System.Text;
using Judge.Grading.Languages;
using Judge.Grading.Runs;
using Judge.Sandbox.Pool;
using Judge.Sandbox.Protocol;
using Judge.Sandbox.Vms;
using Microsoft.Extensions.Logging;

namespace Judge.Sandbox.Running;

/// <summary>
/// One VM held for one whole job (a submission): write files, compile once, run many times, then dispose,
/// which destroys the VM. Nothing crosses from one session to the next.
/// </summary>
public sealed class SandboxSession : IAsyncDisposable
{
    private readonly IVm _vm;
    private readonly Action _release;
    private readonly ILogger _logger;
    private readonly IDisposable? _scope;
    private readonly Stopwatch _busy = new();
    private int _disposed;

    internal SandboxSession(VmLease lease, Language language, Action release, ILogger logger)
    {
        _vm = lease.Vm;
        Language = language;
        WarmPoolHit = lease.WarmPoolHit;
        SetupMs = lease.SetupMs;
        BootMs = lease.BootMs;
        ConnectMs = lease.ConnectMs;
        BootKind = lease.WarmPoolHit ? null : lease.Vm.StartTimings.Kind;
        _release = release;
        _logger = logger;
        _scope = logger.BeginScope(new Dictionary<string, object> { ["VmId"] = _vm.Id, ["Language"] = language.Id });
    }

    public string VmId => _vm.Id;

    internal IVm Vm => _vm;

    public Isolation Isolation => _vm.Isolation;

    /// <summary>The session's language, adapted to its source once written (see <see cref="LanguageRegistry.ForSource"/>).</summary>
    public Language Language { get; private set; }

    public bool WarmPoolHit { get; }

    /// <summary>How the VM was started when it was not a warm pool hit.</summary>
    public VmBootKind? BootKind { get; }

    public double SetupMs { get; }

    public double BootMs { get; }

    public double ConnectMs { get; }

    /// <summary>Host-side time spent in agent requests (writes, compiles, runs) so far.</summary>
    public double ExecuteMs => _busy.Elapsed.TotalMilliseconds;

    /// <summary>Writes a file owned by the judged program's user (uid 1000), so the program may read and replace it.</summary>
    public Task WriteFileAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken, int mode = 0x1A4 /* 0644 */) =>
        TimedAsync(() => _vm.WriteFileAsync(GuestPath(path), content, mode, GuestCommand.JudgeUid, GuestCommand.JudgeUid, cancellationToken));

    /// <summary>Writes a root-owned file the judged program can read but not change (test data, checkers).</summary>
    public Task WriteProtectedFileAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken, int mode = 0x1A4 /* 0644 */) =>
        TimedAsync(() => _vm.WriteFileAsync(GuestPath(path), content, mode, 0, 0, cancellationToken));

    public Task WriteSourceAsync(string source, CancellationToken cancellationToken)
    {
        Language = LanguageRegistry.ForSource(Language, source);
        return WriteFileAsync(Language.SourcePath, Encoding.UTF8.GetBytes(source), cancellationToken);
    }

    /// <summary>Writes a multi-file submission's files to /box by name; the language's commands take them all (see <see cref="LanguageRegistry.ForFiles"/>).</summary>
    public async Task WriteSourcesAsync(IReadOnlyList<SubmissionFile> files, string? entryPoint, CancellationToken cancellationToken)
    {
        Language = LanguageRegistry.ForFiles(Language, files, entryPoint);
        foreach (var file in files)
        {
            await WriteFileAsync(file.Name, file.Content, cancellationToken);
        }
    }

    public Task<GuestFileContent> ReadFileAsync(string path, long maxBytes, CancellationToken cancellationToken) =>
        TimedAsync(() => _vm.ReadFileAsync(GuestPath(path), maxBytes, cancellationToken));

    /// <summary>
    /// Compiles (or syntax-checks) the language's source file; null for a language without that step. Compilers run code of
    /// the submission's in some languages (macros, templates evaluated at compile time), so the judge's files are out of
    /// its sight too. The compile limits are times on the reference host, so they are scaled by this host's
    /// <paramref name="speedFactor"/> for the language, as a run's limits are: under TCG, kotlinc needs minutes.
    /// </summary>
    public async Task<ProcessResult?> CompileAsync(CancellationToken cancellationToken, double speedFactor = 1.0) =>
        Language.CompileCommand is { } compile
            ? await ExecuteAsync(new GuestCommand(compile) { Limits = LanguageRegistry.CompileLimitsAt(speedFactor), HiddenPaths = [GuestCommand.JudgeDirectory] },
                cancellationToken)
            : null;

    /// <summary>
    /// A run of the compiled or interpreted program, in the view every run of it gets: its files in /box read-only, so
    /// that no run changes the program or leaves anything there for a later one, and the judge's files (tests,
    /// answers, validators) out of sight. Like every run, it starts with fresh scratch directories and IPC of its own.
    /// </summary>
    public GuestCommand ProgramCommand(ResourceLimits limits) =>
        new(Language.RunCommandFor(limits))
        {
            Limits = limits,
            ReadOnlyPaths = [GuestCommand.WorkDirectory],
            HiddenPaths = [GuestCommand.JudgeDirectory],
        };

    /// <summary>Runs the compiled or interpreted program once (see <see cref="ProgramCommand"/>).</summary>
    public Task<ProcessResult> RunProgramAsync(
        ReadOnlyMemory<byte>? stdin, ResourceLimits limits, IReadOnlyDictionary<string, string>? environment, CancellationToken cancellationToken) =>
        ExecuteAsync(ProgramCommand(limits) with { Stdin = stdin, Environment = environment }, cancellationToken);

    /// <summary>Makes a directory (and its parents) in the sandbox, or re-owns the one there.</summary>
    public Task MakeDirectoryAsync(string path, int mode, int uid, int gid, CancellationToken cancellationToken) =>
        TimedAsync(() => _vm.MkdirAsync(GuestPath(path), mode, uid, gid, cancellationToken));

    public Task<ProcessResult> ExecuteAsync(GuestCommand command, CancellationToken cancellationToken) =>
        TimedAsync(() => _vm.RunAsync(command, cancellationToken));

    /// <summary>
    /// Runs the program and an interactor at once, connected by two pipes and nothing else: each in its own cgroup, under its
    /// own limits and user, with its own view (the program's <see cref="ProgramCommand"/> hides the judge's files, the
    /// interactor's hides /box).
    /// </summary>
    public Task<InteractionResult> InteractAsync(GuestCommand program, GuestCommand interactor, CancellationToken cancellationToken) =>
        TimedAsync(() => _vm.InteractAsync(program, interactor, cancellationToken));

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await _vm.DisposeAsync();
            _logger.LogDebug("Session on VM {VmId} ended after {ExecuteMs:0} ms of guest work", _vm.Id, ExecuteMs);
        }
        finally
        {
            _scope?.Dispose();
            _release();
        }
    }

    private static string GuestPath(string path) => path.StartsWith('/') ? path : $"{GuestCommand.WorkDirectory}/{path}";

    private async Task<T> TimedAsync<T>(Func<Task<T>> call)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        _busy.Start();
        try
        {
            return await call();
        }
        finally
        {
            _busy.Stop();
        }
    }

    private async Task TimedAsync(Func<Task> call)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        _busy.Start();
        try
        {
            await call();
        }
        finally
        {
            _busy.Stop();
        }
    }
}
