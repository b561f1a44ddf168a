using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Judge.Grading.Languages;
using Judge.Grading.Runs;
using Judge.Sandbox.Processes;
using Judge.Sandbox.Protocol;
using Judge.Sandbox.Settings;
using Judge.Sandbox.Vms;
using Microsoft.Extensions.Logging;

namespace Judge.Sandbox.Qemu;

/// <summary>
/// Memory snapshots of a freshly booted guest that has compiled and run its language's hello world once,
/// taken once per language, image, QEMU build, accelerator and machine shape, and kept in the cache
/// directory. Restoring one replaces a multi-second cold boot, and the VM starts with the toolchain in its
/// page cache: a judged program's first run does not pay (in time or CPU) for decompressing it.
/// </summary>
internal sealed class SnapshotStore(string cacheDirectory, ILogger logger)
{
    /// <summary>Bump when QemuCommandLine changes the machine's devices: old snapshots would not restore.</summary>
    private const int MachineLayoutVersion = 1;

    public string PathFor(QemuLauncher launcher, SandboxOptions options, Language language)
    {
        var key = string.Join('|',
            MachineLayoutVersion, launcher.Image.Version, launcher.Host.QemuVersion, launcher.Isolation, options.VmMemoryMb,
            launcher.Isolation == Isolation.Kvm ? launcher.Host.KernelRelease : "any-kernel",
            language.Id, string.Join(' ', language.CompileCommand ?? []), string.Join(' ', language.RunCommand), language.HelloWorld);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..24];
        return Path.Combine(cacheDirectory, "snapshots", $"{language.Id}-{hash}.vmstate");
    }

    /// <summary>Returns the language's snapshot, taking it first when there is none, and the cold boot time measured then.</summary>
    public async Task<(string Path, double ColdBootMs)> EnsureAsync(QemuLauncher launcher, SandboxOptions options, Language language, CancellationToken cancellationToken)
    {
        var path = PathFor(launcher, options, language);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var fileLock = await CrossProcessLock.AcquireAsync(path + ".lock", cancellationToken);
        var coldBootRecord = path + ".cold-boot-ms";
        if (File.Exists(path))
        {
            // The cold boot measured when the snapshot was taken: restores are used only while they beat it.
            return (path, File.Exists(coldBootRecord) && double.TryParse(File.ReadAllText(coldBootRecord), out var recorded) ? recorded : double.MaxValue);
        }

        var clock = Stopwatch.StartNew();
        await using var vm = await launcher.BootAsync(launcher.Isolation, withQmp: true, options.BootTimeout, cancellationToken);
        var coldBootMs = vm.StartTimings.BootMs;
        await WarmUpAsync(vm, language, cancellationToken);
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        try
        {
            await SaveAsync(vm, temporary, cancellationToken);
            File.WriteAllText(coldBootRecord, coldBootMs.ToString("0", System.Globalization.CultureInfo.InvariantCulture));
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }

        logger.LogInformation(
            "Took a {SizeMiB:0} MiB memory snapshot of a warmed-up {Language} {Accelerator} guest in {ElapsedMs:0} ms (cold boot {BootMs:0} ms): {Snapshot}",
            new FileInfo(path).Length / 1048576.0, language.Id, launcher.Isolation, clock.Elapsed.TotalMilliseconds, coldBootMs, path);
        return (path, coldBootMs);
    }

    /// <summary>
    /// Compiles and runs the language's hello world with its real commands, then leaves /box empty again (the runs'
    /// scratch directories were their own): the snapshot keeps the warmed page cache and nothing else of the runs.
    /// </summary>
    private static async Task WarmUpAsync(AgentVm vm, Language language, CancellationToken cancellationToken)
    {
        await vm.WriteFileAsync(language.SourcePath, Encoding.UTF8.GetBytes(language.HelloWorld), 0x1A4, GuestCommand.JudgeUid, GuestCommand.JudgeUid, cancellationToken);
        if (language.CompileCommand is { } compile)
        {
            Expect(await vm.RunAsync(new GuestCommand(compile) { Limits = LanguageRegistry.CompileLimits }, cancellationToken), "compiling");
        }

        Expect(await vm.RunAsync(new GuestCommand(language.RunCommandFor(LanguageRegistry.CompileLimits)) { Limits = LanguageRegistry.CompileLimits }, cancellationToken), "running");
        Expect(await vm.RunAsync(new GuestCommand(["find", "/box", "-mindepth", "1", "-delete"]) { Uid = 0, Gid = 0 }, cancellationToken), "cleaning up after");

        void Expect(ProcessResult result, string step)
        {
            if (!result.Succeeded)
            {
                throw new SandboxVmException(
                    $"Warming up {language.Id} for its snapshot failed while {step} its hello world: exit {result.ExitCode}, signal {result.Signal}, " +
                    $"limit {result.LimitExceeded}: {result.StderrText}");
            }
        }
    }

    /// <summary>Migrates the running guest into a file over a Unix socket (QEMU's own exec: transport would need fork, which its sandbox denies).</summary>
    private static async Task SaveAsync(AgentVm vm, string destination, CancellationToken cancellationToken)
    {
        await using var qmp = await QmpClient.ConnectAsync(vm.Directory.QmpSocket, vm.Process, cancellationToken);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(vm.Directory.MigrationSocket));
        listener.Listen(1);
        await qmp.ExecuteAsync("migrate-set-parameters", new JsonObject { ["max-bandwidth"] = 1L << 40 }, cancellationToken);
        await qmp.ExecuteAsync("migrate", new JsonObject { ["uri"] = "unix:" + vm.Directory.MigrationSocket }, cancellationToken);
        using (var connection = await listener.AcceptAsync(cancellationToken))
        await using (var stream = new NetworkStream(connection, ownsSocket: false))
        await using (var file = new FileStream(destination, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20, useAsync: true))
        {
            await stream.CopyToAsync(file, 1 << 20, cancellationToken);
            await file.FlushAsync(cancellationToken);
        }

        while (true)
        {
            var status = (await qmp.ExecuteAsync("query-migrate", null, cancellationToken))?["status"]?.GetValue<string>();
            switch (status)
            {
                case "completed":
                    return;
                case "failed" or "cancelled":
                    throw new SandboxVmException($"Taking the memory snapshot of VM {vm.Id} ended with migration status '{status}'.");
                default:
                    await Task.Delay(10, cancellationToken);
                    break;
            }
        }
    }
}
