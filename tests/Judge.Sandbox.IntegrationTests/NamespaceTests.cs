using System.Globalization;
using Judge.Sandbox.Protocol;
using Judge.Sandbox.Vms;

namespace Judge.Sandbox.IntegrationTests;

/// <summary>
/// Integration tests of what only a namespace sandbox must prove, since it shares the host's kernel: the host is
/// invisible, the kernel's dangerous calls are refused, no capability survives, and a hostile program leaves no
/// trace on the host.
/// </summary>
[Collection(NamespaceSandbox.Name)]
public sealed class NamespaceTests(NamespaceSandboxFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_host_is_invisible_only_the_image_and_the_sandbox_own_directories_are_there()
    {
        var result = await fixture.RunAsync("shell", """
            ls / | tr '\n' ' '; echo
            ls /dev | tr '\n' ' '; echo
            cat /proc/1/cmdline 2>/dev/null || echo "no /proc/1"
            ls /proc | grep -c '^[0-9]'
            hostname
            ls -d /work /sys /home 2>&1 | grep -c 'No such file'
            """);

        var lines = result.Run!.StdoutText.Split('\n');
        Assert.Equal("bin box dev etc lib lib64 opt proc root run sbin tmp usr var ", lines[0]);
        Assert.Equal("fd full null random shm stderr stdin stdout urandom zero ", lines[1]);
        Assert.Equal("no /proc/1", lines[2]); // the agent is another user's process, and /proc shows a user only its own
        Assert.InRange(int.Parse(lines[3], CultureInfo.InvariantCulture), 1, 4); // sh and its pipeline: no agent, no host process
        Assert.Equal("judge", lines[4]);
        Assert.Equal("3", lines[5]);
    }

    [Fact]
    public async Task Nothing_the_program_can_read_names_a_host_path()
    {
        // What a program could learn the host's layout from: its mounts (a bind mount shows its source's path), its
        // cgroups, its own and every visible process's command line and environment.
        var result = await fixture.RunAsync("shell", """
            cat /proc/self/mountinfo /proc/self/cgroup
            for p in /proc/[0-9]*; do tr '\0' ' ' < $p/cmdline; tr '\0' ' ' < $p/environ; echo; done 2>/dev/null
            """);

        var text = result.Run!.StdoutText;
        Assert.Contains(" /usr ", text, StringComparison.Ordinal);
        var image = fixture.Sandbox.Image!;
        foreach (var hostPath in new[] { image.Directory, fixture.Options.WorkDirectory, "/judge/vm-", "/.cache/" })
        {
            Assert.DoesNotContain(hostPath, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Kernel_calls_a_judged_program_never_needs_are_refused_and_no_capability_survives()
    {
        const string source = """
            import ctypes, os
            libc = ctypes.CDLL(None, use_errno=True)
            def call(name, *args):
                rc = getattr(libc, name)(*args)
                return f"{name}={'ok' if rc >= 0 else os.strerror(ctypes.get_errno())}"
            print(call("ptrace", 16, 1, 0, 0))            # PTRACE_ATTACH to the agent
            print(call("unshare", 0x10000000))            # CLONE_NEWUSER
            print(call("mount", b"none", b"/tmp", b"tmpfs", 0, None))
            print(call("syscall", 425, 1, 0))             # io_uring_setup
            status = dict(line.split(":\t") for line in open("/proc/self/status").read().splitlines() if ":\t" in line)
            print(status["CapEff"].strip(), status["CapBnd"].strip(), status["NoNewPrivs"].strip(), status["Seccomp"].strip())
            print(open("/proc/self/uid_map").read().split())
            """;

        var result = await fixture.RunAsync("python", source);

        Assert.Equal(
            "ptrace=Operation not permitted\nunshare=Operation not permitted\nmount=Operation not permitted\nsyscall=Operation not permitted\n" +
            "0000000000000000 0000000000000000 1 2\n" +
            $"['0', '{fixture.Options.NamespaceUidBase}', '65536']\n",
            result.Run!.StdoutText);
    }

    [Fact]
    public async Task A_hostile_program_leaves_no_process_file_or_cgroup_on_the_host()
    {
        var marker = "judge-trace-" + Guid.NewGuid().ToString("N");
        var session = await fixture.Sandbox.OpenSessionAsync("shell", Ct);
        var cgroups = fixture.HostCgroupsOf(session);
        var launcher = ((AgentVm)session.Vm).ProcessId;
        var pidNamespace = new FileInfo($"/proc/{((AgentVm)session.Vm).AgentProcessId}/ns/pid").LinkTarget!;
        var hostile = await session.ExecuteAsync(new GuestCommand(["sh", "-c",
            $"setsid sh -c 'sleep 600' </dev/null >/dev/null 2>&1 & " +
            $"nohup sleep 600 >/dev/null 2>&1 & echo x > /tmp/{marker}; echo x > /dev/shm/{marker}; echo x > /box/{marker}; echo planted"]), Ct);
        Assert.Equal("planted\n", hostile.StdoutText);

        await session.DisposeAsync();

        Assert.False(Directory.Exists($"/proc/{launcher}"));
        Assert.All(cgroups, group => Assert.False(Directory.Exists(group)));
        Assert.Empty(LeftoverHostProcesses(session.VmId, pidNamespace));
        Assert.False(File.Exists(Path.Combine("/tmp", marker)));
        Assert.False(File.Exists(Path.Combine("/dev/shm", marker)));
    }

    /// <summary>
    /// Host processes of the sandboxes' mapped users that are in the ended sandbox's cgroups or in its PID namespace (which a
    /// judged program cannot leave: setns and namespace clones are refused). Processes of sandboxes still alive (this
    /// fixture's warm pool, or a fleet test's worker running beside these tests, whose sandboxes may be mid-teardown) are in
    /// their own groups and namespaces, and do not count.
    /// </summary>
    private List<int> LeftoverHostProcesses(string vmId, string pidNamespace)
    {
        var first = fixture.Options.NamespaceUidBase;
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var uid = long.Parse(File.ReadLines(Path.Combine(dir, "status")).First(l => l.StartsWith("Uid:", StringComparison.Ordinal))
                    .Split('\t', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
                var cgroups = File.ReadAllText(Path.Combine(dir, "cgroup"));
                if (uid >= first && uid < first + 65536
                    && (cgroups.Contains("/" + vmId + "/", StringComparison.Ordinal) || new FileInfo(Path.Combine(dir, "ns", "pid")).LinkTarget == pidNamespace))
                {
                    found.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                // The process ended while we looked.
            }
        }

        return found;
    }
}
