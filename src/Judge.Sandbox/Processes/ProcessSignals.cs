using System.Globalization;
using System.Runtime.InteropServices;

namespace Judge.Sandbox.Processes;

/// <summary>
/// SIGKILL by pid, for processes Judge finds rather than starts (a dead host's QEMU, a sandbox's PID 1, a leftover
/// cgroup's members): <see cref="HostProcess"/> starts and kills its own.
/// </summary>
internal static class ProcessSignals
{
    private const int SigKill = 9;

    /// <summary>False when there is no such process (any more).</summary>
    public static bool Kill(int pid) => pid > 0 && SendSignal(pid, SigKill) == 0;

    /// <summary>Waits until <paramref name="pid"/> is gone from /proc (reaped), at most <paramref name="timeout"/>.</summary>
    public static bool WaitForExit(int pid, TimeSpan timeout)
    {
        var path = "/proc/" + pid.ToString(CultureInfo.InvariantCulture);
        var deadline = DateTime.UtcNow + timeout;
        while (Directory.Exists(path))
        {
            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            Thread.Sleep(20);
        }

        return true;
    }

    // DllImport rather than LibraryImport, whose generated code needs AllowUnsafeBlocks for nothing here (ints only).
    [DllImport("libc", EntryPoint = "kill")]
    private static extern int SendSignal(int pid, int signal);
}
