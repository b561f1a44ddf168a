using Judge.Grading.Languages;

namespace Judge.Sandbox.Settings;

public enum IsolationMode
{
    /// <summary>A VM under KVM when a guest boots under it here; else namespaces when this host allows them; else a VM under TCG.</summary>
    Auto,

    /// <summary>QEMU micro-VMs, under the accelerator <see cref="SandboxOptions.Accelerator"/> picks.</summary>
    Vm,

    /// <summary>The agent as the first process of fresh Linux namespaces on the host, limited by the host's cgroups.</summary>
    Namespace,
}

/// <summary>The accelerator of VMs (Sandbox:Isolation=vm, or auto when it chooses a VM).</summary>
public enum AcceleratorMode
{
    /// <summary>KVM when a probe guest boots under it on this host, else TCG. The outcome is cached per host kernel and image.</summary>
    Auto,
    Kvm,
    Tcg,
}

/// <summary>Settings of the sandbox (configuration section "Sandbox").</summary>
public sealed class SandboxOptions
{
    public const string SectionName = "Sandbox";

    public string QemuPath { get; set; } = "qemu-system-x86_64";

    /// <summary>Directory with vmlinux, initramfs.cpio.gz, rootfs.sqfs and manifest.json; see <see cref="Images.GuestImage"/>.</summary>
    public string? ImageDirectory { get; set; }

    /// <summary>Snapshots and accelerator probe results; outside the clone so they survive it.</summary>
    public string? CacheDirectory { get; set; }

    /// <summary>Per-VM directories (sockets, logs). Kept short: Unix socket paths are limited to 107 bytes.</summary>
    public string WorkDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "judge-vms");

    public IsolationMode Isolation { get; set; } = IsolationMode.Auto;

    public AcceleratorMode Accelerator { get; set; } = AcceleratorMode.Auto;

    /// <summary>
    /// Namespace sandboxes map their user IDs 0-65535 to host IDs from this one on, so that even a sandbox's root
    /// is an unprivileged host user. The range must be unused on the host.
    /// </summary>
    public long NamespaceUidBase { get; set; } = 2_000_000_000;

    /// <summary>
    /// A worker's judging slots (its JudgeSlots), so the sessions (VMs in use) at once on a worker; also sets the default
    /// warm pool size. The sandbox does not gate sessions itself: whoever opens them bounds them.
    /// </summary>
    public int MaxConcurrentVms { get; set; } = 10;

    /// <summary>
    /// VMs kept booted per language; 0 = max(1, (int)(MaxConcurrentVms * 0.25)) for VMs, and MaxConcurrentVms for namespace
    /// sandboxes, whose idle ones are cheap (the runner decides, knowing the isolation).
    /// </summary>
    public int WarmPoolSize { get; set; }

    /// <summary>Languages with a warm pool; empty = see <see cref="EffectiveWarmLanguages"/>.</summary>
    public IList<string> WarmLanguages { get; } = [];

    /// <summary>A VM's memory; for a namespace sandbox, the memory limit of the whole sandbox (its tmpfs files included).</summary>
    public int VmMemoryMb { get; set; } = 1024;

    /// <summary>TCG translation cache size; QEMU's default (1 GiB) costs ~30 MiB more RSS per VM for no gain on judge workloads.</summary>
    public int TcgTranslationCacheMb { get; set; } = 64;

    public bool UseSnapshots { get; set; } = true;

    public TimeSpan BootTimeout { get; set; } = TimeSpan.FromSeconds(60);

    public TimeSpan KvmProbeTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Slack the host grants the agent beyond a command's own wall limit before it kills the VM.</summary>
    public TimeSpan AgentReplyMargin { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Host-side bound on a command that has no wall limit of its own.</summary>
    public TimeSpan MaxCommandTime { get; set; } = TimeSpan.FromMinutes(10);

    public TimeSpan HealthCheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan PingTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Measure this host's speed per language at start (see <see cref="Calibration.HostSpeed"/>) and scale time limits by it;
    /// without it every factor is 1, as if this were the reference host.
    /// </summary>
    public bool CalibrateSpeed { get; set; } = true;

    /// <summary>Timed runs of each calibration program; the median counts.</summary>
    public int CalibrationRuns { get; set; } = 3;

    /// <summary>Write each guest's serial console to console.log in its VM directory (kept only while the VM lives).</summary>
    public bool GuestConsoleLog { get; set; }

    /// <summary>The pool size for VMs: the configured one, else a quarter of the slots.</summary>
    public int EffectiveWarmPoolSize => WarmPoolSize > 0 ? WarmPoolSize : Math.Max(1, (int)(MaxConcurrentVms * 0.25));

    /// <summary>
    /// Unless configured, the six languages most submissions are in (those calibrated themselves): a pool for each of two
    /// dozen would hold two dozen idle VMs; the others start a sandbox on demand.
    /// </summary>
    public IReadOnlyList<string> EffectiveWarmLanguages =>
        WarmLanguages.Count > 0 ? [.. WarmLanguages] : [.. LanguageRegistry.All.Where(l => l.CalibratedAs is null).Select(l => l.Id)];

    public string ResolveCacheDirectory() =>
        CacheDirectory
        ?? Environment.GetEnvironmentVariable("JUDGE_CACHE_DIR")
        ?? Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "judge");

    /// <summary>The configured image, else JUDGE_GUEST_IMAGE, else artifacts/guest-image of the enclosing repository.</summary>
    public string ResolveImageDirectory()
    {
        if ((ImageDirectory ?? Environment.GetEnvironmentVariable("JUDGE_GUEST_IMAGE")) is { } configured)
        {
            return configured;
        }

        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Judge.sln")))
                {
                    return Path.Combine(dir.FullName, "artifacts", "guest-image");
                }
            }
        }

        return Path.Combine(Directory.GetCurrentDirectory(), "artifacts", "guest-image");
    }
}
