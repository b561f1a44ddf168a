using Judge.Sandbox;
using Judge.Sandbox.Settings;
using Judge.Sandbox.Vms;
using Microsoft.Extensions.Logging.Abstractions;

namespace Judge.Fleet.IntegrationTests;

/// <summary>Worker settings for each isolation kind, and whether this host can isolate so.</summary>
public static class Isolations
{
    public static Dictionary<string, string?> SettingsFor(Isolation isolation) => isolation switch
    {
        Isolation.Namespace => new() { ["Sandbox:Isolation"] = "namespace" },
        Isolation.Kvm => new() { ["Sandbox:Isolation"] = "vm", ["Sandbox:Accelerator"] = "auto" },
        _ => new() { ["Sandbox:Isolation"] = "vm", ["Sandbox:Accelerator"] = "tcg" },
    };

    /// <summary>
    /// Why this host cannot isolate so, or null. KVM is asked of a sandbox with the worker's settings: in auto mode it
    /// probes (once per host kernel and image) whether a guest boots under KVM here, as a worker would.
    /// </summary>
    public static async Task<string?> UnavailableAsync(Isolation isolation, CancellationToken cancellationToken)
    {
        var settings = SettingsFor(isolation);
        var options = new SandboxOptions
        {
            Isolation = Enum.Parse<IsolationMode>(settings["Sandbox:Isolation"]!, ignoreCase: true),
            Accelerator = settings.TryGetValue("Sandbox:Accelerator", out var accelerator) ? Enum.Parse<AcceleratorMode>(accelerator!, ignoreCase: true) : AcceleratorMode.Auto,
            MaxConcurrentVms = 1,
            WarmLanguages = { "shell" },
            CalibrateSpeed = false,
        };
        try
        {
            await using var sandbox = new SandboxRunner(Microsoft.Extensions.Options.Options.Create(options), NullLoggerFactory.Instance);
            await sandbox.StartAsync(cancellationToken);
            return sandbox.Isolation.Isolation == isolation ? null : sandbox.Isolation.Reason;
        }
        catch (SandboxVmException e)
        {
            return e.Message;
        }
    }
}
