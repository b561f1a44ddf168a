using System.Globalization;
using System.Text.RegularExpressions;
using Judge.Sandbox.Images;
using Judge.Sandbox.Processes;

namespace Judge.Sandbox.Qemu;

/// <summary>Facts about this host that decide QEMU's command line and which cached snapshots and probes are valid.</summary>
internal sealed partial record HostFacts(string QemuVersion, string KernelRelease, string KernelBuild, long TscKhz)
{
    public static async Task<HostFacts> ReadAsync(string qemuPath, CancellationToken cancellationToken)
    {
        HostProcessResult version;
        try
        {
            version = await HostProcess.RunAsync(qemuPath, ["--version"], TimeSpan.FromSeconds(20), cancellationToken: cancellationToken);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new GuestImageException($"Cannot run {qemuPath}: {e.Message}. Install QEMU with deploy/install-deps.sh.");
        }

        var firstLine = version.Stdout.Split('\n')[0].Trim();
        return new HostFacts(
            firstLine,
            ReadOrUnknown("/proc/sys/kernel/osrelease"),
            ReadOrUnknown("/proc/sys/kernel/version"),
            ReadTscKhz());
    }

    /// <summary>
    /// The guest is told the TSC frequency (tsc_early_khz) because timer calibration under TCG hung about
    /// half the boots otherwise; under TCG the guest TSC is the host's.
    /// </summary>
    private static long ReadTscKhz()
    {
        const string sysfs = "/sys/devices/system/cpu/cpu0/tsc_freq_khz";
        if (File.Exists(sysfs) && long.TryParse(File.ReadAllText(sysfs).Trim(), out var khz) && khz > 0)
        {
            return khz;
        }

        foreach (var line in File.ReadLines("/proc/cpuinfo"))
        {
            var match = CpuMhz().Match(line);
            if (match.Success)
            {
                return (long)(double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) * 1000);
            }
        }

        return 0;
    }

    private static string ReadOrUnknown(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : "unknown";

    [GeneratedRegex(@"^cpu MHz\s*:\s*([0-9.]+)")]
    private static partial Regex CpuMhz();
}
