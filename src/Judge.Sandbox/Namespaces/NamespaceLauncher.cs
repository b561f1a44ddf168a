using System.Diagnostics;
using System.Globalization;
using Judge.Sandbox.Images;
using Judge.Sandbox.Processes;
using Judge.Sandbox.Settings;
using Judge.Sandbox.Vms;
using Microsoft.Extensions.Logging;

namespace Judge.Sandbox.Namespaces;

/// <summary>
/// Starts the guest image's own agent on the host as the first process of fresh user, mount, PID, network, IPC
/// and UTS namespaces, with the image's root read-only (<see cref="ImageRoot"/>; docs/sandbox.md, "Namespace isolation"). Each sandbox is
/// pinned to one CPU, round robin over the worker's CPUs, as a VM has one vCPU. Starting one takes milliseconds,
/// so there is nothing to snapshot.
/// </summary>
internal sealed class NamespaceLauncher : IVmLauncher
{
    /// <summary>Processes of a whole sandbox; each run has its own, lower limit.</summary>
    private const int SandboxPids = 1024;

    private readonly SandboxOptions _options;
    private readonly GuestImage _image;
    private readonly HostCgroups _cgroups;
    private readonly ILoggerFactory _loggerFactory;
    private readonly int[] _cpus;
    private int _nextCpu = -1;

    private NamespaceLauncher(SandboxOptions options, GuestImage image, HostCgroups cgroups, ILoggerFactory loggerFactory)
    {
        _options = options;
        _image = image;
        _cgroups = cgroups;
        _loggerFactory = loggerFactory;
        _cpus = AllowedCpus();
    }

    public Isolation Isolation => Isolation.Namespace;

    /// <summary>"cgroup v1" or "cgroup v2": what limits the sandboxes on this host.</summary>
    public string Cgroups => $"cgroup v{_cgroups.Version}";

    /// <summary>A launcher, or null with the reason this host cannot run namespace sandboxes.</summary>
    public static async Task<(NamespaceLauncher? Launcher, string? Reason)> CreateAsync(
        SandboxOptions options, GuestImage image, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        if (!IsRoot())
        {
            return (null, "the worker is not root (namespace sandboxes map a range of host user IDs and manage cgroups)");
        }

        if (!File.Exists(image.AgentPath))
        {
            return (null, $"the guest image at {image.Directory} has no judge-agent (rebuild it with deploy/guest-image/build.sh)");
        }

        try
        {
            if (await ImageRoot.MountAsync(image, cancellationToken))
            {
                loggerFactory.CreateLogger<NamespaceLauncher>().LogInformation(
                    "Mounted the guest image's root file system {Rootfs} read-only on {Root} for namespace sandboxes", image.RootfsPath, image.RootDirectory);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            return (null, e.Message);
        }

        var cgroups = HostCgroups.Prepare(out var reason);
        return (cgroups is null ? null : new NamespaceLauncher(options, image, cgroups, loggerFactory), reason);
    }

    /// <summary>The host cgroup directories of one sandbox (one per hierarchy).</summary>
    public IReadOnlyList<string> CgroupsOf(string vmId) => [.. _cgroups.Bases.Select(b => Path.Combine(b, vmId))];

    public Task<int> RemoveOrphansAsync() =>
        _cgroups.RemoveOrphansAsync(name => Directory.Exists(Path.Combine(_options.WorkDirectory, name)));

    public async Task<IVm> LaunchAsync(string language, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var directory = VmDirectory.Create(_options.WorkDirectory);
        var cpu = _cpus[(int)((uint)Interlocked.Increment(ref _nextCpu) % (uint)_cpus.Length)];
        List<string> arguments =
        [
            "--namespace", "--root", _image.RootDirectory, "--socket", directory.ControlSocket, "--image-version", _image.Version,
            "--name", directory.Id, "--uid-base", Invariant(_options.NamespaceUidBase), "--cpu", Invariant(cpu),
            "--memory", Invariant(_options.VmMemoryMb * 1024L * 1024), "--pids", Invariant(SandboxPids),
            .. _cgroups.LauncherArguments,
        ];
        return await AgentVmStarter.StartAsync("the namespace launcher", directory, Isolation.Namespace, _options.BootTimeout, clock,
            _image.AgentPath, arguments, _options, _loggerFactory,
            async (process, agent, setupMs, ct) =>
            {
                await File.WriteAllTextAsync(directory.PidFile, Invariant(process.Id), ct);
                return await AgentVmStarter.ColdHandshakeAsync(agent, _image.Version, clock, setupMs, ct);
            },
            cancellationToken,
            afterExit: () => _cgroups.RemoveAsync(directory.Id),
            agentProcessId: SandboxInit);
    }

    /// <summary>The launcher's one child, PID 1 of the sandbox (it exists once the agent has said READY).</summary>
    private static int SandboxInit(StartedProcess launcher)
    {
        var children = File.ReadAllText($"/proc/{launcher.Id}/task/{launcher.Id}/children").Trim();
        return int.TryParse(children, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : launcher.Id;
    }

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>The effective user ID ("Uid:\treal\teffective\tsaved\tfs") is 0.</summary>
    private static bool IsRoot() => File.ReadAllLines("/proc/self/status")
        .FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal))?.Split('\t', StringSplitOptions.RemoveEmptyEntries) is [_, _, "0", ..];

    /// <summary>The CPUs this process may run on ("Cpus_allowed_list: 0-3,6").</summary>
    private static int[] AllowedCpus()
    {
        var line = File.ReadAllLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal));
        var cpus = new List<int>();
        foreach (var range in (line?[18..] ?? string.Empty).Trim().Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var ends = range.Split('-');
            var first = int.Parse(ends[0], CultureInfo.InvariantCulture);
            var last = ends.Length > 1 ? int.Parse(ends[1], CultureInfo.InvariantCulture) : first;
            cpus.AddRange(Enumerable.Range(first, last - first + 1));
        }

        return cpus.Count > 0 ? [.. cpus] : [.. Enumerable.Range(0, Environment.ProcessorCount)];
    }
}
