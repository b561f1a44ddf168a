using System.Globalization;
using System.Security.Cryptography;
using Judge.Sandbox.Processes;

namespace Judge.Sandbox.Vms;

/// <summary>The host files of one sandbox: sockets, pid file, console log. Deleted with it.</summary>
internal sealed class VmDirectory
{
    private const string OwnerFile = "owner";

    private VmDirectory(string id, string path)
    {
        Id = id;
        Path = path;
    }

    public string Id { get; }

    public string Path { get; }

    public string ControlSocket => System.IO.Path.Combine(Path, "ctl.sock");

    public string QmpSocket => System.IO.Path.Combine(Path, "qmp.sock");

    public string IncomingSocket => System.IO.Path.Combine(Path, "in.sock");

    public string MigrationSocket => System.IO.Path.Combine(Path, "out.sock");

    /// <summary>The pid of the sandbox's host process (QEMU, or the namespace launcher).</summary>
    public string PidFile => System.IO.Path.Combine(Path, "process.pid");

    public string ConsoleLog => System.IO.Path.Combine(Path, "console.log");

    public static VmDirectory Create(string root)
    {
        Directory.CreateDirectory(root);
        var id = "vm-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(5));
        var path = System.IO.Path.Combine(root, id);
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(System.IO.Path.Combine(path, OwnerFile), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        return new VmDirectory(id, path);
    }

    public void Delete()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    /// <summary>
    /// Removes VMs left behind by host processes that died without destroying them (a worker killed with
    /// SIGKILL): their host process (QEMU, or the namespace launcher) is killed and their directory deleted. VMs of live owners are left alone.
    /// </summary>
    public static int RemoveOrphans(string root)
    {
        if (!Directory.Exists(root))
        {
            return 0;
        }

        var removed = 0;
        foreach (var dir in Directory.EnumerateDirectories(root, "vm-*"))
        {
            var ownerPath = System.IO.Path.Combine(dir, OwnerFile);
            if (File.Exists(ownerPath) && int.TryParse(File.ReadAllText(ownerPath).Trim(), out var owner) && IsAlive(owner))
            {
                continue;
            }

            var pidPath = System.IO.Path.Combine(dir, "process.pid");
            if (File.Exists(pidPath) && int.TryParse(File.ReadAllText(pidPath).Trim(), out var hostPid) && IsAlive(hostPid)
                && File.ReadAllText($"/proc/{hostPid}/cmdline").Contains(dir, StringComparison.Ordinal))
            {
                if (ProcessSignals.Kill(hostPid))
                {
                    ProcessSignals.WaitForExit(hostPid, TimeSpan.FromSeconds(5));
                }
            }

            new VmDirectory(System.IO.Path.GetFileName(dir), dir).Delete();
            removed++;
        }

        return removed;
    }

    private static bool IsAlive(int pid) => Directory.Exists($"/proc/{pid}");
}
