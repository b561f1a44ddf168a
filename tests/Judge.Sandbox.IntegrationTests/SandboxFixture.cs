using Judge.Grading.Runs;
using Judge.Sandbox.Namespaces;
using Judge.Sandbox.Protocol;
using Judge.Sandbox.Running;
using Judge.Sandbox.Settings;
using Microsoft.Extensions.Logging;

namespace Judge.Sandbox.IntegrationTests;

/// <summary>
/// One real sandbox of one isolation kind for a whole test collection: the isolation choice, memory snapshots and
/// warm pools are paid once. Every test class runs against both kinds: VMs (KVM or TCG, whichever boots here) and
/// namespaces. A missing guest image fails the tests (it is built by deploy/test.sh), never skips them.
/// </summary>
public abstract class SandboxFixture : IAsyncLifetime
{
    public const int PoolSize = 1;

    private readonly ILoggerFactory _loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));

    public SandboxRunner Sandbox { get; private set; } = null!;

    protected SandboxFixture(IsolationMode isolation) => Options.Isolation = isolation;

    public SandboxOptions Options { get; } = new()
    {
        MaxConcurrentVms = 6,
        WarmPoolSize = PoolSize,
        WarmLanguages = { "python", "c", "cpp", "javascript", "java", "shell" },
        // The tests run health passes themselves.
        HealthCheckInterval = TimeSpan.FromHours(1),
        // Short, so the test of a silent agent does not wait long; still ample for a reply under TCG.
        AgentReplyMargin = TimeSpan.FromSeconds(10),
        // Limits here are absolute; the fleet tests cover calibration, which takes minutes under TCG.
        CalibrateSpeed = false,
    };

    public async ValueTask InitializeAsync()
    {
        Sandbox = new SandboxRunner(Microsoft.Extensions.Options.Options.Create(Options), _loggerFactory);
        await Sandbox.StartAsync(CancellationToken.None);
        await Sandbox.WhenWarmAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Sandbox.DisposeAsync();
        _loggerFactory.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>A namespace sandbox's cgroup directories on the host; none for a VM (its cgroups are in the guest).</summary>
    public IReadOnlyList<string> HostCgroupsOf(SandboxSession session) =>
        Sandbox.Launcher is NamespaceLauncher launcher ? launcher.CgroupsOf(session.VmId) : [];

    /// <summary>Run cgroups still present in the session's sandbox (none should outlive their run).</summary>
    public async Task<IReadOnlyList<string>> RunGroupsLeftAsync(SandboxSession session)
    {
        if (Sandbox.Launcher is NamespaceLauncher launcher)
        {
            return [.. launcher.CgroupsOf(session.VmId).SelectMany(Directory.EnumerateDirectories).Select(Path.GetFileName).OfType<string>()
                .Where(name => name != "agent")];
        }

        var listing = await session.ExecuteAsync(new GuestCommand(
            ["sh", "-c", "own=$(cut -d/ -f2 /proc/self/cgroup); ls /sys/fs/cgroup | grep '^run-' | grep -vx \"$own\"; true"]) { Uid = 0, Gid = 0 },
            TestContext.Current.CancellationToken);
        return listing.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>Compiles (if needed) and runs <paramref name="source"/> once in a fresh VM.</summary>
    public Task<SandboxRunResult> RunAsync(string language, string source, ResourceLimits? limits = null, string? stdin = null,
        IReadOnlyDictionary<string, string>? environment = null) =>
        Sandbox.RunAsync(new SandboxRunRequest(language)
        {
            Source = source,
            Limits = limits ?? SandboxRunRequest.DefaultLimits,
            Stdin = stdin is null ? null : System.Text.Encoding.UTF8.GetBytes(stdin),
            Environment = environment,
        }, TestContext.Current.CancellationToken);
}

public sealed class VmSandboxFixture() : SandboxFixture(IsolationMode.Vm);

public sealed class NamespaceSandboxFixture() : SandboxFixture(IsolationMode.Namespace);

[CollectionDefinition(Name)]
public sealed class VmSandbox : ICollectionFixture<VmSandboxFixture>
{
    public const string Name = "Real VM sandbox";
}

[CollectionDefinition(Name)]
public sealed class NamespaceSandbox : ICollectionFixture<NamespaceSandboxFixture>
{
    public const string Name = "Real namespace sandbox";
}
