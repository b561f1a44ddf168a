using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Judge.Sandbox.Vms;
using Microsoft.Extensions.Logging;

namespace Judge.Sandbox.Qemu;

/// <summary>
/// Memory snapshots of a freshly booted, idle guest, taken once per image, QEMU build, accelerator and
/// machine shape, and kept in the cache directory. Restoring one replaces a multi-second cold boot.
/// </summary>
internal sealed class SnapshotStore(string cacheDirectory, ILogger logger)
{
    /// <summary>Bump when QemuCommandLine changes the machine's devices: old snapshots would not restore.</summary>
    private const int MachineLayoutVersion = 1;

    public string PathFor(QemuLauncher launcher, SandboxOptions options)
    {
        var key = string.Join('|',
            MachineLayoutVersion, launcher.Image.Version, launcher.Host.QemuVersion, launcher.Accelerator, options.VmMemoryMb,
            launcher.Accelerator == Accelerator.Kvm ? launcher.Host.KernelRelease : "any-kernel");
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..24];
        return Path.Combine(cacheDirectory, "snapshots", $"{hash}.vmstate");
    }

    /// <summary>Returns the snapshot path, taking the snapshot first when there is none. Also returns a cold boot time.</summary>
    public async Task<(string Path, double ColdBootMs)> EnsureAsync(QemuLauncher launcher, SandboxOptions options, CancellationToken cancellationToken)
    {
        var path = PathFor(launcher, options);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var fileLock = await AcquireLockAsync(path + ".lock", cancellationToken);
        var coldBootRecord = path + ".cold-boot-ms";
        if (File.Exists(path))
        {
            // The cold boot measured when the snapshot was taken: restores are used only while they beat it.
            return (path, File.Exists(coldBootRecord) && double.TryParse(File.ReadAllText(coldBootRecord), out var recorded) ? recorded : double.MaxValue);
        }

        var clock = Stopwatch.StartNew();
        await using var vm = await launcher.BootAsync(launcher.Accelerator, withQmp: true, options.BootTimeout, cancellationToken);
        var coldBootMs = vm.StartTimings.BootMs;
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
            "Took a {SizeMiB:0} MiB memory snapshot of a {Accelerator} guest in {ElapsedMs:0} ms (cold boot {BootMs:0} ms): {Snapshot}",
            new FileInfo(path).Length / 1048576.0, launcher.Accelerator, clock.Elapsed.TotalMilliseconds, coldBootMs, path);
        return (path, coldBootMs);
    }

    /// <summary>Migrates the running guest into a file over a Unix socket (QEMU's own exec: transport would need fork, which its sandbox denies).</summary>
    private static async Task SaveAsync(QemuVm vm, string destination, CancellationToken cancellationToken)
    {
        using var process = Process.GetProcessById(vm.ProcessId);
        await using var qmp = await QmpClient.ConnectAsync(vm.Directory.QmpSocket, process, cancellationToken);
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

    /// <summary>Serialises snapshot creation across processes sharing the cache (several workers, parallel test runs).</summary>
    private static async Task<FileStream> AcquireLockAsync(string path, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(100, cancellationToken);
            }
        }
    }
}
