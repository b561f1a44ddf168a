using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Judge.Sandbox.Settings;
using Judge.Sandbox.Vms;
using Microsoft.Extensions.Logging;

namespace Judge.Sandbox.Qemu;

/// <summary>
/// Picks KVM or TCG. /dev/kvm opening is not enough: on nested PVM hosts it opens but a normal guest kernel
/// hangs or faults under it. So in auto mode a probe VM must actually answer under KVM; the outcome is
/// remembered per host kernel, QEMU and image so workers do not pay the probe at every start.
/// </summary>
internal static class AcceleratorSelector
{
    public static async Task<IsolationChoice> SelectAsync(
        SandboxOptions options, QemuLauncher tcgLauncher, string cacheDirectory, ILogger logger, CancellationToken cancellationToken)
    {
        switch (options.Accelerator)
        {
            case AcceleratorMode.Tcg:
                return new IsolationChoice(Isolation.Tcg, "configured (Sandbox:Accelerator=tcg)");
            case AcceleratorMode.Kvm:
                if (KvmUnavailableReason() is { } missing)
                {
                    throw new SandboxVmException($"Sandbox:Accelerator=kvm, but {missing}.");
                }

                return new IsolationChoice(Isolation.Kvm, "configured (Sandbox:Accelerator=kvm)");
        }

        if (KvmUnavailableReason() is { } reason)
        {
            return new IsolationChoice(Isolation.Tcg, reason);
        }

        var host = tcgLauncher.Host;
        var key = string.Join('|', host.KernelRelease, host.KernelBuild, host.QemuVersion, tcgLauncher.Image.Version);
        var cachePath = Path.Combine(cacheDirectory, "accelerator",
            Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..24] + ".json");
        if (File.Exists(cachePath))
        {
            try
            {
                var cached = JsonSerializer.Deserialize<IsolationChoice>(File.ReadAllText(cachePath));
                if (cached is not null)
                {
                    return cached with { Reason = cached.Reason + " (remembered)" };
                }
            }
            catch (JsonException)
            {
                // A torn write: probe again.
            }
        }

        var choice = await ProbeAsync(options, tcgLauncher, logger, cancellationToken);
        Directory.CreateDirectory(Path.GetDirectoryName(cachePath)!);
        var temporary = $"{cachePath}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(choice));
        File.Move(temporary, cachePath, overwrite: true);
        return choice;
    }

    private static async Task<IsolationChoice> ProbeAsync(SandboxOptions options, QemuLauncher launcher, ILogger logger, CancellationToken cancellationToken)
    {
        logger.LogInformation("Probing whether a guest boots under KVM on this host (bound {Seconds} s)", options.KvmProbeTimeout.TotalSeconds);
        try
        {
            await using var vm = await launcher.BootAsync(Isolation.Kvm, withQmp: false, options.KvmProbeTimeout, cancellationToken);
            return new IsolationChoice(Isolation.Kvm, $"a probe guest booted under KVM in {vm.StartTimings.BootMs:0} ms");
        }
        catch (SandboxVmException e)
        {
            logger.LogWarning("No guest boots under KVM here, using TCG: {Reason}", e.Message);
            var why = e.Message.Split('\n')[0];
            why = why[(why.IndexOf(": ", StringComparison.Ordinal) + 2)..]; // drop "VM vm-… did not start under Kvm"
            return new IsolationChoice(Isolation.Tcg, $"/dev/kvm is present but a probe guest did not boot under it: {Truncate(why, 300)}");
        }
    }

    private static string? KvmUnavailableReason()
    {
        if (!File.Exists("/dev/kvm"))
        {
            return "no /dev/kvm on this host";
        }

        try
        {
            using var handle = File.OpenHandle("/dev/kvm", FileMode.Open, FileAccess.ReadWrite);
            return null;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return $"/dev/kvm cannot be opened ({e.Message})";
        }
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max] + "…";
}
