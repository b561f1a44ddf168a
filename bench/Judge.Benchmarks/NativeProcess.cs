using System.Runtime.InteropServices;
using Judge.Sandbox.Processes;
using Judge.Sandbox.Protocol;

namespace Judge.Benchmarks;

/// <summary>One run of a trusted program directly on this host: the baseline beside the sandboxes.</summary>
public sealed record NativeRun(double WallMs, double CpuMs, string Stdout);

/// <summary>
/// The native baseline: a sandbox command as it runs on this host (its /box paths moved to a host directory,
/// its program looked up in the sandbox's PATH), run with its wall time and CPU time measured.
/// </summary>
public static partial class NativeProcess
{
    private const string Box = GuestCommand.WorkDirectory + "/";
    private const int RusageChildren = -1;

    /// <summary>
    /// The guest command <paramref name="guestArgv"/> for this host: /box/… arguments point into <paramref name="directory"/>,
    /// and a bare program name is looked up in the PATH sandboxes get, so that `python3` is /usr/bin/python3 (as in the
    /// guest image) rather than, say, a pyenv shim that would triple the native time.
    /// </summary>
    public static string[] Command(IReadOnlyList<string> guestArgv, string directory) =>
    [
        Resolve(guestArgv[0], directory),
        .. guestArgv.Skip(1).Select(a => a.StartsWith(Box, StringComparison.Ordinal) ? Path.Combine(directory, a[Box.Length..]) : a),
    ];

    /// <summary>
    /// Runs <paramref name="argv"/> to completion and fails unless it exits 0. Wall time is the host's cost of a
    /// process (start to reaped exit); CPU time is the child's user + system time, from getrusage(RUSAGE_CHILDREN)
    /// before and after: exact as long as no other child of this process ends meanwhile, so call it sequentially.
    /// </summary>
    public static async Task<NativeRun> RunAsync(string[] argv, string? stdin, CancellationToken cancellationToken)
    {
        var before = ChildrenCpuMs();
        var result = await HostProcess.RunAsync(argv[0], argv[1..], TimeSpan.FromMinutes(5), stdin, cancellationToken);
        var cpuMs = ChildrenCpuMs() - before;
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"Native `{string.Join(' ', argv)}` exited {result.ExitCode}: {result.Stderr}");
        }

        return new NativeRun(result.Elapsed.TotalMilliseconds, cpuMs, result.Stdout);
    }

    private static string Resolve(string program, string directory)
    {
        if (program.StartsWith(Box, StringComparison.Ordinal))
        {
            return Path.Combine(directory, program[Box.Length..]);
        }

        if (program.Contains('/', StringComparison.Ordinal))
        {
            return program;
        }

        return GuestCommand.DefaultEnvironment["PATH"].Split(':').Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException($"{program} is not in the sandboxes' PATH ({GuestCommand.DefaultEnvironment["PATH"]}) on this host.");
    }

    /// <summary>User + system time of this process's ended and reaped children, in ms (the kernel keeps it in µs).</summary>
    private static double ChildrenCpuMs()
    {
        var usage = new long[18]; // struct rusage: two timevals, then 14 longs
        if (GetRusage(RusageChildren, usage) != 0)
        {
            throw new InvalidOperationException($"getrusage failed: errno {Marshal.GetLastPInvokeError()}");
        }

        return (usage[0] + usage[2]) * 1000.0 + (usage[1] + usage[3]) / 1000.0;
    }

    [LibraryImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    private static partial int GetRusage(int who, [Out] long[] usage);
}
