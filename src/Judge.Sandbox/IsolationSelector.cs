using Judge.Grading.Languages;
using Judge.Sandbox.Images;
using Judge.Sandbox.Namespaces;
using Judge.Sandbox.Qemu;
using Judge.Sandbox.Settings;
using Judge.Sandbox.Vms;
using Microsoft.Extensions.Logging;

namespace Judge.Sandbox;

/// <summary>The launcher a sandbox uses, the isolation it gives and why, and the guest image it runs.</summary>
internal sealed record SelectedIsolation(IVmLauncher Launcher, IsolationChoice Choice, GuestImage Image);

/// <summary>
/// Decides which launcher a sandbox uses. Sandbox:Isolation decides; in auto mode a VM under KVM beats namespaces, which
/// beat a VM under TCG. Each candidate must really start here (a probe VM, a probe namespace sandbox) before it is chosen.
/// </summary>
internal sealed class IsolationSelector(SandboxOptions options, ILoggerFactory loggerFactory)
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<IsolationSelector>();

    public async Task<SelectedIsolation> SelectAsync(CancellationToken cancellationToken)
    {
        var image = GuestImage.Load(options.ResolveImageDirectory());
        var orphans = VmDirectory.RemoveOrphans(options.WorkDirectory);
        if (orphans > 0)
        {
            _logger.LogWarning("Removed {Count} sandboxes left behind by dead processes", orphans);
        }

        _logger.LogInformation("Guest image {ImageVersion} ({Directory})", image.Version, image.Directory);
        switch (options.Isolation)
        {
            case IsolationMode.Vm:
                var (vm, accelerator) = await StartQemuAsync(image, cancellationToken);
                return new SelectedIsolation(vm, accelerator, image);
            case IsolationMode.Namespace:
                var (configured, unavailable) = await StartNamespacesAsync(image, "configured (Sandbox:Isolation=namespace)");
                return configured ?? throw new SandboxVmException($"Sandbox:Isolation=namespace, but {unavailable}.");
        }

        (QemuLauncher Launcher, IsolationChoice Choice)? qemu = null;
        string whyNotKvm;
        try
        {
            qemu = await StartQemuAsync(image, cancellationToken);
            if (qemu.Value.Choice.Isolation == Isolation.Kvm)
            {
                return new SelectedIsolation(qemu.Value.Launcher, qemu.Value.Choice, image);
            }

            whyNotKvm = qemu.Value.Choice.Reason;
        }
        catch (Exception e) when (e is SandboxVmException or IOException or System.ComponentModel.Win32Exception)
        {
            whyNotKvm = $"no VM could be started ({e.Message})";
        }

        var (namespaces, namespaceUnavailable) = await StartNamespacesAsync(image, $"auto: VMs would not run under KVM here ({whyNotKvm})");
        if (namespaces is not null)
        {
            return namespaces;
        }

        if (qemu is not { } tcg)
        {
            throw new SandboxVmException($"No isolation works on this host: {whyNotKvm}; namespaces: {namespaceUnavailable}.");
        }

        return new SelectedIsolation(tcg.Launcher, new IsolationChoice(Isolation.Tcg, $"auto: {whyNotKvm}; namespaces unavailable: {namespaceUnavailable}"), image);
    }

    private async Task<(QemuLauncher Launcher, IsolationChoice Choice)> StartQemuAsync(GuestImage image, CancellationToken cancellationToken)
    {
        var host = await HostFacts.ReadAsync(options.QemuPath, cancellationToken);
        var cache = options.ResolveCacheDirectory();
        var snapshots = options.UseSnapshots ? new SnapshotStore(cache, _logger) : null;
        var tcg = new QemuLauncher(options, image, host, Isolation.Tcg, snapshots, loggerFactory);
        var choice = await AcceleratorSelector.SelectAsync(options, tcg, cache, _logger, cancellationToken);
        _logger.LogInformation("VMs under {Accelerator} ({Reason}); {Qemu}", choice.Isolation, choice.Reason, host.QemuVersion);
        return (choice.Isolation == Isolation.Tcg ? tcg : new QemuLauncher(options, image, host, choice.Isolation, snapshots, loggerFactory), choice);
    }

    /// <summary>The namespace launcher once a probe sandbox has answered; otherwise null and why namespaces cannot be used here.</summary>
    private async Task<(SelectedIsolation? Selected, string? Unavailable)> StartNamespacesAsync(GuestImage image, string reason)
    {
        var (launcher, unavailable) = await NamespaceLauncher.CreateAsync(options, image, loggerFactory, CancellationToken.None);
        if (launcher is null)
        {
            return (null, unavailable);
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
            return (null, $"a probe namespace sandbox failed: {e.Message}");
        }

        return (new SelectedIsolation(launcher, new IsolationChoice(Isolation.Namespace, $"{reason}; limits from {launcher.Cgroups}"), image), null);
    }
}
