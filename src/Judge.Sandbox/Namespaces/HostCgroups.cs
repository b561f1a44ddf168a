using System.Globalization;
using Judge.Sandbox.Processes;

namespace Judge.Sandbox.Namespaces;

/// <summary>
/// Where namespace sandboxes get their cgroups on this host: cgroup v2 when the worker's own group offers the
/// memory, pids, cpu and cpuset controllers, else the v1 memory, pids, cpuacct and cpuset hierarchies (hosts that bind
/// those controllers to v1 and leave v2 empty, like ours). Sandboxes are made under a "judge" group inside the worker's
/// own group in each hierarchy, so the host's limits on the worker still hold; the agent's launcher makes each
/// sandbox's group, and this class removes it. The cpuset is what holds a sandbox to its one CPU: a program may widen
/// its own affinity, never its cpuset.
/// </summary>
internal sealed class HostCgroups
{
    private const string BaseName = "judge";

    /// <summary>In the order the agent's --cgroup1 takes them.</summary>
    private static readonly string[] V1Controllers = ["memory", "pids", "cpuacct", "cpuset"];
    private static readonly string[] V2Controllers = ["memory", "pids", "cpu", "cpuset"];

    private HostCgroups(int version, IReadOnlyList<string> bases)
    {
        Version = version;
        Bases = bases;
    }

    /// <summary>1 or 2.</summary>
    public int Version { get; }

    /// <summary>The "judge" groups that hold the sandboxes: one for v2; memory, pids, cpuacct and cpuset for v1.</summary>
    public IReadOnlyList<string> Bases { get; }

    /// <summary>How the agent's launcher is told where to make a sandbox's groups.</summary>
    public IEnumerable<string> LauncherArguments => Version == 2 ? ["--cgroup2", Bases[0]] : ["--cgroup1", .. Bases];

    /// <summary>Finds the hierarchies and makes the base groups; null with the reason when the host has none usable.</summary>
    public static HostCgroups? Prepare(out string? reason)
    {
        var mounts = ReadMounts();
        var own = ReadOwnGroups();
        try
        {
            if (V2Group(mounts, own) is { } v2Own)
            {
                reason = null;
                return new HostCgroups(2, [PrepareV2(v2Own)]);
            }

            var bases = new List<string>();
            foreach (var controller in V1Controllers)
            {
                var group = V1Group(mounts, own, controller);
                if (group is null)
                {
                    reason = $"no cgroup v2 group with the {string.Join(", ", V2Controllers)} controllers, and no cgroup v1 {controller} hierarchy";
                    return null;
                }

                var path = Path.Combine(group, BaseName);
                Directory.CreateDirectory(path);
                if (controller == "cpuset")
                {
                    // A v1 cpuset takes no process until it has CPUs and memory nodes: those of the worker's own.
                    WriteControl(Path.Combine(path, "cpuset.cpus"), File.ReadAllText(Path.Combine(group, "cpuset.cpus")).Trim());
                    WriteControl(Path.Combine(path, "cpuset.mems"), File.ReadAllText(Path.Combine(group, "cpuset.mems")).Trim());
                }

                bases.Add(path);
            }

            reason = null;
            return new HostCgroups(1, bases);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            reason = $"cannot make the sandboxes' cgroups: {e.Message}";
            return null;
        }
    }

    /// <summary>Removes a sandbox's groups once its processes are gone (they are killed if any are left).</summary>
    public async ValueTask RemoveAsync(string name)
    {
        foreach (var root in Bases)
        {
            var group = Path.Combine(root, name);
            for (var attempt = 0; Directory.Exists(group); attempt++)
            {
                try
                {
                    RemoveTree(group);
                }
                catch (IOException) when (attempt < 200)
                {
                    // A killed process leaves its group a moment after it is reaped.
                    KillAll(group);
                    await Task.Delay(5);
                }
            }
        }
    }

    /// <summary>Removes the groups of sandboxes whose host directory is gone (their worker died); returns how many.</summary>
    public async Task<int> RemoveOrphansAsync(Func<string, bool> isLive)
    {
        var orphans = Bases.Where(Directory.Exists)
            .SelectMany(root => Directory.EnumerateDirectories(root, "vm-*"))
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(name => !isLive(name))
            .Distinct()
            .ToList();
        foreach (var name in orphans)
        {
            await RemoveAsync(name); // kills what is still running in them
        }

        return orphans.Count;
    }

    /// <summary>rmdir, children first: a cgroup directory cannot be deleted recursively, its files are not files.</summary>
    private static void RemoveTree(string group)
    {
        foreach (var child in Directory.EnumerateDirectories(group))
        {
            RemoveTree(child);
        }

        try
        {
            Directory.Delete(group, recursive: false);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private static void KillAll(string group)
    {
        if (!Directory.Exists(group))
        {
            return;
        }

        foreach (var dir in Directory.EnumerateDirectories(group, "*", SearchOption.AllDirectories).Prepend(group))
        {
            var procs = Path.Combine(dir, "cgroup.procs");
            if (!File.Exists(procs))
            {
                continue;
            }

            foreach (var line in File.ReadAllLines(procs))
            {
                if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                {
                    ProcessSignals.Kill(pid);
                }
            }
        }
    }

    /// <summary>
    /// v2: controllers can be enabled for children only in a group without processes of its own, so the worker
    /// moves its process into a leaf beside the sandboxes first (as a delegated service does under systemd).
    /// </summary>
    private static string PrepareV2(string own)
    {
        var enable = string.Join(' ', V2Controllers.Select(c => "+" + c));
        var subtree = Path.Combine(own, "cgroup.subtree_control");
        if (!HasAll(File.ReadAllText(subtree), V2Controllers))
        {
            var leaf = Path.Combine(own, "judge-worker");
            Directory.CreateDirectory(leaf);
            foreach (var pid in File.ReadAllLines(Path.Combine(own, "cgroup.procs")))
            {
                WriteControl(Path.Combine(leaf, "cgroup.procs"), pid);
            }

            WriteControl(subtree, enable);
        }

        var path = Path.Combine(own, BaseName);
        Directory.CreateDirectory(path);
        WriteControl(Path.Combine(path, "cgroup.subtree_control"), enable);
        return path;
    }

    private static string? V2Group(List<Mount> mounts, Dictionary<string, string> own)
    {
        if (!own.TryGetValue(string.Empty, out var ownPath))
        {
            return null;
        }

        foreach (var mount in mounts.Where(m => m.Type == "cgroup2"))
        {
            var group = Combine(mount, ownPath);
            var controllers = Path.Combine(group ?? string.Empty, "cgroup.controllers");
            if (group is not null && File.Exists(controllers) && HasAll(File.ReadAllText(controllers), V2Controllers))
            {
                return group;
            }
        }

        return null;
    }

    private static string? V1Group(List<Mount> mounts, Dictionary<string, string> own, string controller)
    {
        var mount = mounts.FirstOrDefault(m => m.Type == "cgroup" && m.SuperOptions.Split(',').Contains(controller));
        var key = own.Keys.FirstOrDefault(k => k.Split(',').Contains(controller));
        return mount is null || key is null ? null : Combine(mount, own[key]);
    }

    /// <summary>The directory of cgroup <paramref name="groupPath"/> under a mount of part of its hierarchy.</summary>
    private static string? Combine(Mount mount, string groupPath)
    {
        var root = mount.Root.TrimEnd('/');
        if (root.Length > 0 && groupPath != root && !groupPath.StartsWith(root + "/", StringComparison.Ordinal))
        {
            return null;
        }

        return mount.MountPoint.TrimEnd('/') + groupPath[root.Length..].TrimEnd('/');
    }

    private static bool HasAll(string list, IEnumerable<string> wanted)
    {
        var have = list.Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        return wanted.All(have.Contains);
    }

    private static void WriteControl(string path, string value)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
        stream.Write(System.Text.Encoding.ASCII.GetBytes(value));
    }

    private sealed record Mount(string Root, string MountPoint, string Type, string SuperOptions);

    /// <summary>/proc/self/mountinfo: "id parent dev root mountpoint options [tags] - type source superoptions".</summary>
    private static List<Mount> ReadMounts()
    {
        var mounts = new List<Mount>();
        foreach (var line in File.ReadAllLines("/proc/self/mountinfo"))
        {
            var fields = line.Split(' ');
            var dash = Array.IndexOf(fields, "-");
            if (fields.Length < 5 || dash < 0 || dash + 3 >= fields.Length)
            {
                continue;
            }

            mounts.Add(new Mount(Unescape(fields[3]), Unescape(fields[4]), fields[dash + 1], fields[dash + 3]));
        }

        return mounts;
    }

    /// <summary>/proc/self/cgroup: "id:controllers:path"; controllers is empty for v2.</summary>
    private static Dictionary<string, string> ReadOwnGroups()
    {
        var groups = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadAllLines("/proc/self/cgroup"))
        {
            var parts = line.Split(':', 3);
            if (parts.Length == 3)
            {
                groups[parts[1]] = parts[2];
            }
        }

        return groups;
    }

    /// <summary>mountinfo escapes space, tab, newline and backslash as octal.</summary>
    private static string Unescape(string field) =>
        System.Text.RegularExpressions.Regex.Replace(field, @"\\([0-7]{3})", m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString());
}
