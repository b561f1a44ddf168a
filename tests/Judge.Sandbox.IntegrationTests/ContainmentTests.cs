using System.Text;
using Judge.Grading.Runs;
using Judge.Sandbox.Protocol;
using Judge.Sandbox.Running;

namespace Judge.Sandbox.IntegrationTests;

/// <summary>
/// Integration tests of the threat model (docs/sandbox.md): the judged program controls everything it can write, its
/// own scheduling and its output, and nothing of that reaches a later run, the agent reading results back, or its
/// verdict. Each runs against both launchers, with programs that try what a contestant would.
/// </summary>
public abstract class ContainmentTests(SandboxFixture fixture)
{
    private static readonly string[] PlantedLinks = ["secret", "fd", "root", "judge/secret"];

    private static readonly string[] MagicLinks = ["/proc/self/root/judge/secret", "/proc/self/fd/0", "/proc/1/root/judge/secret"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Nothing_a_run_writes_anywhere_it_can_survives_the_run_and_the_program_cannot_change_itself()
    {
        // Finds every directory it may write to (rather than a list of known ones, which a new package in the image
        // could outgrow), marks each, leaves a chain of directories deeper than PATH_MAX in /tmp (which no path-based
        // clearing can remove), tries to change its own source, and reports what an earlier run left.
        const string source = """
            import os
            mark = "left-by-an-earlier-run"
            found, writable = [], []
            for root, dirs, files in os.walk("/"):
                if root == "/":
                    dirs[:] = [d for d in dirs if d not in ("proc", "sys")]
                if mark in files or "chain" in dirs and root == "/tmp":
                    found.append(root)
                if os.access(root, os.W_OK):
                    writable.append(root)
            for d in writable:
                try:
                    open(os.path.join(d, mark), "w").write("x")
                except OSError:
                    pass
            os.chdir("/tmp")
            os.mkdir("chain")
            os.chdir("chain")
            for _ in range(2100):
                os.mkdir("dd")
                os.chdir("dd")
            try:
                open("/box/main.py", "a").write("# changed\n")
                print("changed")
            except OSError:
                print("unchanged")
            print("writable", " ".join(sorted(writable)))
            print("found", " ".join(sorted(found)))
            """;
        await using var session = await fixture.Sandbox.OpenSessionAsync("python", Ct);
        await session.WriteSourceAsync(source, Ct);

        var first = (await session.RunProgramAsync(null, SandboxRunRequest.DefaultLimits, null, Ct)).StdoutText.Split('\n');
        var second = (await session.RunProgramAsync(null, SandboxRunRequest.DefaultLimits, null, Ct)).StdoutText.Split('\n');

        Assert.Equal("unchanged", first[0]);
        Assert.Contains(" /tmp", first[1], StringComparison.Ordinal);
        Assert.Contains(" /dev/shm", first[1], StringComparison.Ordinal);
        Assert.DoesNotContain("/box", first[1], StringComparison.Ordinal);
        Assert.Equal(["unchanged", first[1], "found ", ""], first);
        Assert.Equal(first, second);
    }

    [Fact]
    public async Task System_v_and_posix_ipc_objects_of_one_run_are_gone_in_the_next()
    {
        const string source = """
            import ctypes, os, sys
            libc = ctypes.CDLL(None, use_errno=True)
            KEY, IPC_CREAT = 0x4A554447, 0o1000
            if sys.stdin.read().strip() == "create":
                made = [libc.shmget(KEY, 4096, IPC_CREAT | 0o600) >= 0, libc.msgget(KEY, IPC_CREAT | 0o600) >= 0,
                        libc.semget(KEY, 1, IPC_CREAT | 0o600) >= 0, libc.mq_open(b"/judge-left", os.O_CREAT | os.O_RDWR, 0o600, None) >= 0]
                print("created" if all(made) else f"not created: {made} {os.strerror(ctypes.get_errno())}")
            else:
                def look(name, rc):
                    return f"{name}:" + ("present" if rc >= 0 else os.strerror(ctypes.get_errno()))
                print(look("shm", libc.shmget(KEY, 0, 0)), look("msg", libc.msgget(KEY, 0)), look("sem", libc.semget(KEY, 0, 0)),
                      look("mq", libc.mq_open(b"/judge-left", os.O_RDONLY)))
            """;
        await using var session = await fixture.Sandbox.OpenSessionAsync("python", Ct);
        await session.WriteSourceAsync(source, Ct);

        var create = await session.RunProgramAsync("create"u8.ToArray(), SandboxRunRequest.DefaultLimits, null, Ct);
        var look = await session.RunProgramAsync("look"u8.ToArray(), SandboxRunRequest.DefaultLimits, null, Ct);

        Assert.Equal("created\n", create.StdoutText);
        Assert.Equal("shm:No such file or directory msg:No such file or directory sem:No such file or directory mq:No such file or directory\n",
            look.StdoutText);
    }

    [Fact]
    public async Task The_agent_follows_no_link_a_run_planted_for_anything_it_reads_writes_or_runs_with()
    {
        // The links lead to what the agent may read and the run may not, and to a directory the run cannot write.
        await using var session = await fixture.Sandbox.OpenSessionAsync("shell", Ct);
        const string planted = GuestCommand.JudgeDirectory + "/planted";
        await session.WriteProtectedFileAsync("/judge/secret", "the answers"u8.ToArray(), Ct, mode: 0x180 /* 0600 */);
        await session.MakeDirectoryAsync(planted, 0x1ED /* 0755 */, GuestCommand.JudgeUid, GuestCommand.JudgeUid, Ct);
        var plant = await session.ExecuteAsync(new GuestCommand(["sh", "-c",
            "ln -s /judge/secret secret && ln -s /proc/self/fd/0 fd && ln -s /proc/self/root/judge/secret root && ln -s /judge judge " +
            "&& ln -s /etc etc && echo planted"])
        {
            WorkingDirectory = planted,
        }, Ct);
        Assert.Equal("planted\n", plant.StdoutText);

        // Read back, as the feedback files of a validator are: a link, a link to a magic link, a magic link, a linked directory.
        foreach (var path in PlantedLinks.Select(p => $"{planted}/{p}").Concat(MagicLinks))
        {
            var refused = await Assert.ThrowsAsync<AgentErrorException>(() => session.ReadFileAsync(path, 4096, Ct));
            Assert.Equal(AgentErrorCode.Io, refused.Code);
        }

        // Written, made, and opened for a run through them: refused, and nothing appears where they point.
        await Assert.ThrowsAsync<AgentErrorException>(() => session.WriteProtectedFileAsync($"{planted}/etc/judge-planted", "x"u8.ToArray(), Ct));
        await Assert.ThrowsAsync<AgentErrorException>(() => session.WriteProtectedFileAsync($"{planted}/secret", "x"u8.ToArray(), Ct));
        await Assert.ThrowsAsync<AgentErrorException>(() => session.MakeDirectoryAsync($"{planted}/etc/judge-planted-dir", 0x1ED, 0, 0, Ct));
        await Assert.ThrowsAsync<AgentErrorException>(() => session.ExecuteAsync(new GuestCommand(["cat"]) { StdinPath = $"{planted}/secret" }, Ct));
        await Assert.ThrowsAsync<AgentErrorException>(() => session.ExecuteAsync(new GuestCommand(["echo"]) { StdoutPath = $"{planted}/etc/judge-out" }, Ct));
        var check = await session.ExecuteAsync(new GuestCommand(["sh", "-c", "ls /etc | grep -c judge-; cat /judge/secret"]) { Uid = 0, Gid = 0 }, Ct);
        Assert.Equal("0\nthe answers", check.StdoutText);
    }

    [Fact]
    public async Task A_program_that_undoes_its_pinning_and_burns_every_cpu_past_its_limit_gets_tle_in_every_one_of_10_runs()
    {
        // Widens its affinity to every CPU, in every thread, runs a thread per CPU, and exits (successfully) as soon as
        // its CPU time passed the limit: before the watcher's next look, so only the usage at the end can tell. In a VM
        // it can read its own cgroup's usage and exit microseconds after it crossed; in a namespace sandbox (no cgroup
        // file system) it goes by its own CPU clock, half a millisecond past the limit.
        const string source = """
            #define _GNU_SOURCE
            #include <pthread.h>
            #include <sched.h>
            #include <stdio.h>
            #include <time.h>
            #include <unistd.h>
            static double cpu(void) { struct timespec t; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec / 1e9; }
            static void widen(void) { cpu_set_t all; CPU_ZERO(&all); for (int i = 0; i < CPU_SETSIZE; i++) CPU_SET(i, &all); sched_setaffinity(0, sizeof all, &all); }
            static void *burn(void *arg) { (void)arg; widen(); for (;;) {} return NULL; }
            static char stat_path[600];
            static long long usage(void) { /* the run's cgroup's CPU time in us, or -1 when it cannot be seen */
                long long v = -1;
                char line[256];
                FILE *f = fopen(stat_path, "r");
                while (f && fgets(line, sizeof line, f)) if (sscanf(line, "usage_usec %lld", &v) == 1) break;
                if (f) fclose(f);
                return v;
            }
            int main(void) {
                widen();
                cpu_set_t mine;
                sched_getaffinity(0, sizeof mine, &mine);
                printf("cpus %d\n", CPU_COUNT(&mine));
                fflush(stdout);
                char group[512] = "";
                FILE *g = fopen("/proc/self/cgroup", "r");
                if (g && fscanf(g, "0::%511s", group) == 1) snprintf(stat_path, sizeof stat_path, "/sys/fs/cgroup%s/cpu.stat", group);
                if (g) fclose(g);
                long n = sysconf(_SC_NPROCESSORS_CONF);
                for (long i = 1; i < (n < 4 ? 4 : n); i++) { pthread_t t; pthread_create(&t, NULL, burn, NULL); }
                if (usage() >= 0) while (usage() < 300000) {}
                else while (cpu() < 0.30005) {}
                _exit(0);
            }
            """;
        await using var session = await fixture.Sandbox.OpenSessionAsync("c", Ct);
        await session.WriteSourceAsync(source, Ct);
        Assert.True((await session.CompileAsync(Ct))!.Succeeded);
        var limits = new ResourceLimits { CpuTime = TimeSpan.FromMilliseconds(300), MaxProcesses = 64 };

        for (var run = 0; run < 10; run++)
        {
            var result = await session.RunProgramAsync(null, limits, null, Ct);

            Assert.Equal("cpus 1\n", result.StdoutText);
            Assert.Equal(LimitExceeded.CpuTime, result.LimitExceeded);
            Assert.True(result.CpuMs >= 300, $"run {run}: {result.CpuMs} ms of CPU");
        }
    }

    [Fact]
    public async Task A_socket_of_a_family_a_program_has_no_use_for_cannot_be_made()
    {
        const string source = """
            import errno, socket
            def attempt(name, family, kind=socket.SOCK_STREAM):
                try:
                    socket.socket(family, kind).close()
                    return name + ":ok"
                except OSError as e:
                    return name + ":" + errno.errorcode.get(e.errno, str(e.errno))
            print(attempt("unix", socket.AF_UNIX), attempt("inet", socket.AF_INET), attempt("netlink", socket.AF_NETLINK, socket.SOCK_RAW),
                  attempt("vsock", socket.AF_VSOCK), attempt("vsock-dgram", socket.AF_VSOCK, socket.SOCK_DGRAM), attempt("alg", 38, socket.SOCK_SEQPACKET))
            a, b = socket.socketpair()
            print("socketpair:ok")
            """;

        var result = await fixture.RunAsync("python", source);

        Assert.Equal("unix:ok inet:ok netlink:ok vsock:EAFNOSUPPORT vsock-dgram:EAFNOSUPPORT alg:EAFNOSUPPORT\nsocketpair:ok\n", result.Run!.StdoutText);
    }

    [Fact]
    public async Task The_file_stdout_goes_to_is_the_agents_and_the_program_cannot_change_or_keep_it()
    {
        await using var session = await fixture.Sandbox.OpenSessionAsync("shell", Ct);
        // Its stdout is a pipe of its own (which it may reopen, or chmod to its heart's content), never the file.
        await session.WriteSourceAsync("echo first > /dev/stdout\nchmod 000 /proc/self/fd/1 /dev/stdout\necho second\n", Ct);
        const string output = GuestCommand.JudgeDirectory + "/output";
        await session.WriteProtectedFileAsync(output, "stale"u8.ToArray(), Ct);

        var run = await session.ExecuteAsync(session.ProgramCommand(SandboxRunRequest.DefaultLimits) with { StdoutPath = output }, Ct);
        var owner = await session.ExecuteAsync(new GuestCommand(["stat", "-c", "%u %a", output]) { Uid = 0, Gid = 0 }, Ct);

        Assert.True(run.Succeeded, run.StderrText);
        Assert.Empty(run.Stdout);
        Assert.Equal("first\nsecond\n", Encoding.UTF8.GetString((await session.ReadFileAsync(output, 4096, Ct)).Data));
        Assert.Equal("0 644\n", owner.StdoutText);
    }

    [Fact]
    public async Task The_program_sees_none_of_the_judges_files_and_a_validator_none_of_the_programs()
    {
        await using var session = await fixture.Sandbox.OpenSessionAsync("shell", Ct);
        await session.WriteSourceAsync("cat /dev/stdin; ls -A /judge | wc -l; cat /judge/validator/check 2>/dev/null || echo hidden; echo x > /tmp/from-program\n", Ct);
        await session.WriteProtectedFileAsync("/judge/input", "the input\n"u8.ToArray(), Ct);
        await session.WriteProtectedFileAsync("/judge/validator/check", "secret\n"u8.ToArray(), Ct);

        var program = await session.ExecuteAsync(session.ProgramCommand(SandboxRunRequest.DefaultLimits) with { StdinPath = "/judge/input" }, Ct);
        var validator = await session.ExecuteAsync(new GuestCommand(["sh", "-c", "ls -A /box | wc -l; ls -A /tmp | wc -l; cat /judge/validator/check"])
        {
            Uid = 1001,
            Gid = 1001,
            WorkingDirectory = "/",
            HiddenPaths = [GuestCommand.WorkDirectory],
        }, Ct);

        Assert.Equal("the input\n0\nhidden\n", program.StdoutText);
        Assert.Equal("0\n0\nsecret\n", validator.StdoutText);
    }

    [Fact]
    public async Task The_agent_holds_no_descriptor_that_leads_outside_the_sandbox_and_nothing_it_was_started_with()
    {
        await using var session = await fixture.Sandbox.OpenSessionAsync("shell", Ct);
        var vm = (Vms.AgentVm)session.Vm;
        Dictionary<string, string> targets;
        if (vm.Isolation == Vms.Isolation.Namespace)
        {
            // Seen from the host, the one place that sees the agent (no process of the sandbox does), between runs.
            targets = Directory.EnumerateFileSystemEntries($"/proc/{vm.AgentProcessId}/fd")
                .ToDictionary(fd => Path.GetFileName(fd), fd => new FileInfo(fd).LinkTarget ?? "");
            Assert.Empty(await HostEnvironmentOfAsync(vm.AgentProcessId));
        }
        else
        {
            // In a VM, by the guest's root (while it runs this, so with the run's pipes), for targets that are not in the guest.
            var listing = await session.ExecuteAsync(new GuestCommand(["sh", "-c",
                "for fd in /proc/1/fd/*; do t=$(readlink $fd); case $t in /*) [ -e $t ] || t=\"outside: $t\";; esac; echo \"${fd##*/} $t\"; done"])
            {
                Uid = 0,
                Gid = 0,
                WorkingDirectory = "/",
            }, Ct);
            targets = listing.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', 2)).ToDictionary(p => p[0], p => p[1]);
        }

        Assert.Equal("/dev/null", targets["0"]);
        Assert.Equal("/dev/null", targets["1"]);
        Assert.All(targets.Values, t => Assert.Matches(@"^(socket:|pipe:|anon_inode:|/dev/null$|/dev/kmsg$|/dev/vport\d+p\d+$|/sys/fs/cgroup$|/run/judge/cgroup/\d$)", t));
    }

    /// <summary>The environment a host process was started with.</summary>
    private static async Task<string> HostEnvironmentOfAsync(int pid) => (await File.ReadAllTextAsync($"/proc/{pid}/environ", Ct)).Trim('\0');
}

[Collection(VmSandbox.Name)]
public sealed class ContainmentTestsInVms(VmSandboxFixture fixture) : ContainmentTests(fixture);

[Collection(NamespaceSandbox.Name)]
public sealed class ContainmentTestsInNamespaces(NamespaceSandboxFixture fixture) : ContainmentTests(fixture);
