using System.Diagnostics;
using Judge.Grading.Runs;
using Judge.Sandbox.Protocol;
using Judge.Sandbox.Running;

namespace Judge.Sandbox.IntegrationTests;

/// <summary>
/// Integration tests: the agent's INTERACT, a program and an interactor run at once with each one's stdout piped to the
/// other's stdin, each under its own limits and user. The program is hostile: whatever it does, the interactor keeps its
/// own verdict and the request ends.
/// </summary>
public abstract class InteractionTests(SandboxFixture fixture)
{
    private const string InteractorPath = GuestCommand.JudgeDirectory + "/interactor.py";
    private const int InteractorUid = 1001;

    /// <summary>
    /// Asks for the doubles of 1..3 and accepts (42) when every answer is right, else rejects (43); leaves by os._exit, since
    /// Python's own exit would try again to flush what the closed pipe refused, and exit 120.
    /// </summary>
    private const string Doubler = """
        import os, sys
        for n in (1, 2, 3):
            try:
                print(n, flush=True)
                answer = sys.stdin.readline()
            except BrokenPipeError:
                os._exit(43)
            if answer.strip() != str(2 * n):
                print(f"for {n} got {answer!r}", file=sys.stderr, flush=True)
                os._exit(43)
        print("done", file=sys.stderr, flush=True)
        os._exit(42)
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ResourceLimits ProgramLimits(int cpuMs = 5000, int? wallMs = null) => new()
    {
        CpuTime = TimeSpan.FromMilliseconds(cpuMs),
        WallTime = wallMs is { } wall ? TimeSpan.FromMilliseconds(wall) : null,
        MemoryBytes = 256L << 20,
        MaxProcesses = 16,
    };

    /// <summary>
    /// For a program that ends only on its wall limit: its CPU is its start-up alone, which for Python under TCG can pass half a
    /// second, so the CPU limit is wide and the wall limit is what must stop it.
    /// </summary>
    private static ResourceLimits WaitingProgramLimits => ProgramLimits(cpuMs: 10_000, wallMs: 2000);

    [Fact]
    public async Task The_program_and_the_interactor_talk_through_their_pipes()
    {
        await using var session = await OpenAsync();

        var result = await InteractAsync(session, "for _ in range(3): print(2 * int(input()), flush=True)");

        Assert.Equal(0, result.Program.ExitCode);
        Assert.Equal(42, result.Interactor.ExitCode);
        Assert.Equal("done\n", result.Interactor.StderrText);
        Assert.Empty(result.Program.Stdout); // what the program wrote went to the interactor
    }

    [Fact]
    public async Task A_wrong_answer_is_the_interactors_to_say_and_its_stderr_is_kept()
    {
        await using var session = await OpenAsync();

        var result = await InteractAsync(session, "print(int(input()) + 5, flush=True)");

        Assert.Equal(43, result.Interactor.ExitCode);
        Assert.Contains("for 1 got '6\\n'", result.Interactor.StderrText);
    }

    [Fact]
    public async Task An_interactor_that_rejects_and_exits_is_seen_to_end_first_though_the_program_fails_right_after()
    {
        await using var session = await OpenAsync();

        // After its last question the interactor rejects at once; the program, waiting for a reply, gets EOF and fails.
        var result = await InteractAsync(session, "print(int(input()) + 5, flush=True)\ninput()");

        Assert.Equal(43, result.Interactor.ExitCode);
        Assert.Equal(1, result.Program.ExitCode);
        Assert.True(result.InteractorEndedFirst);
    }

    [Fact]
    public async Task A_program_that_never_flushes_deadlocks_and_ends_first_on_its_wall_limit()
    {
        await using var session = await OpenAsync();

        // Its answer stays in its buffer, so both wait to read; the kill at the wall limit, not the interactor's EOF, ends it.
        var result = await InteractAsync(session, "import sys\nsys.stdout.write(sys.stdin.readline())\nsys.stdin.readline()", WaitingProgramLimits);

        Assert.Equal(LimitExceeded.WallTime, result.Program.LimitExceeded);
        Assert.Equal(43, result.Interactor.ExitCode);
        Assert.False(result.InteractorEndedFirst);
    }

    [Fact]
    public async Task A_program_that_spins_is_stopped_by_its_own_cpu_limit_and_the_interactor_still_ends()
    {
        await using var session = await OpenAsync();

        var result = await InteractAsync(session, "while True: pass", ProgramLimits(cpuMs: 500));

        Assert.Equal(LimitExceeded.CpuTime, result.Program.LimitExceeded);
        Assert.Equal(43, result.Interactor.ExitCode);
        Assert.Equal(LimitExceeded.None, result.Interactor.LimitExceeded);
        Assert.True(result.InteractorEndedFirst is false);
    }

    [Fact]
    public async Task A_program_that_never_reads_and_sleeps_does_not_hang_the_request()
    {
        await using var session = await OpenAsync();
        var clock = Stopwatch.StartNew();

        var result = await InteractAsync(session, "import time\ntime.sleep(3600)", WaitingProgramLimits);

        Assert.Equal(LimitExceeded.WallTime, result.Program.LimitExceeded);
        Assert.Equal(43, result.Interactor.ExitCode);
        Assert.InRange(clock.Elapsed.TotalSeconds, 0, 30);
    }

    [Fact]
    public async Task A_process_the_program_leaves_behind_does_not_keep_the_interactor_waiting()
    {
        await using var session = await OpenAsync();

        // The background sleep holds the program's stdout and stdin; only killing it gives the interactor EOF.
        var result = await InteractAsync(session, "import os, sys\nif os.fork() == 0:\n    os.execvp('sleep', ['sleep', '3600'])\nsys.exit(0)");

        Assert.Equal(0, result.Program.ExitCode);
        Assert.Equal(43, result.Interactor.ExitCode);
        Assert.InRange(result.Interactor.WallMs, 0, 10_000);
        Assert.Empty(await fixture.RunGroupsLeftAsync(session));
    }

    [Fact]
    public async Task The_program_can_neither_signal_the_interactor_nor_see_the_judges_files()
    {
        await using var session = await OpenAsync();

        // kill -1 reaches every process the program's user may signal but itself; the interactor, another user's, is not among them.
        var result = await InteractAsync(session, """
            import os, signal, sys
            print(os.listdir('/judge'), file=sys.stderr, flush=True)
            try:
                os.kill(-1, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            """);

        Assert.Equal(0, result.Program.ExitCode);
        Assert.Equal("[]\n", result.Program.StderrText);
        Assert.Equal(43, result.Interactor.ExitCode);
        Assert.Null(result.Interactor.Signal);
    }

    [Fact]
    public async Task The_interactor_is_held_to_its_own_limits()
    {
        await using var session = await OpenAsync();
        await session.WriteProtectedFileAsync(InteractorPath, "while True: pass\n"u8.ToArray(), Ct);

        var result = await session.InteractAsync(await ProgramCommandAsync(session, "import sys\nsys.stdin.read()"), Interactor(cpuMs: 500), Ct);

        Assert.Equal(LimitExceeded.CpuTime, result.Interactor.LimitExceeded);
        Assert.True(result.InteractorEndedFirst);
        Assert.Equal(0, result.Program.ExitCode); // its stdin closed when the interactor was killed
    }

    [Fact]
    public async Task A_command_naming_its_own_stdin_is_refused_and_the_agent_goes_on()
    {
        await using var session = await OpenAsync();

        var program = await ProgramCommandAsync(session, "pass") with { StdinPath = "/dev/null" };

        var error = await Assert.ThrowsAsync<AgentErrorException>(() => session.InteractAsync(program, Interactor(), Ct));
        var after = await session.ExecuteAsync(new GuestCommand(["echo", "still here"]), Ct);

        Assert.Equal(AgentErrorCode.Invalid, error.Code);
        Assert.Equal("still here\n", after.StdoutText);
    }

    private Task<SandboxSession> OpenAsync() => fixture.Sandbox.OpenSessionAsync("python", Ct);

    private static async Task<InteractionResult> InteractAsync(SandboxSession session, string program, ResourceLimits? limits = null)
    {
        await session.WriteProtectedFileAsync(InteractorPath, System.Text.Encoding.UTF8.GetBytes(Doubler), Ct);
        return await session.InteractAsync(await ProgramCommandAsync(session, program, limits), Interactor(), Ct);
    }

    private static async Task<GuestCommand> ProgramCommandAsync(SandboxSession session, string source, ResourceLimits? limits = null)
    {
        await session.WriteSourceAsync(source, Ct);
        return session.ProgramCommand(limits ?? ProgramLimits());
    }

    private static GuestCommand Interactor(int cpuMs = 10_000) => new(["python3", "-I", InteractorPath])
    {
        Uid = InteractorUid,
        Gid = InteractorUid,
        WorkingDirectory = GuestCommand.JudgeDirectory,
        HiddenPaths = [GuestCommand.WorkDirectory],
        IgnoreSigpipe = true,
        Limits = new ResourceLimits { CpuTime = TimeSpan.FromMilliseconds(cpuMs), MemoryBytes = 256L << 20, MaxProcesses = 16 },
    };
}

[Collection(VmSandbox.Name)]
public sealed class InteractionTestsInVms(VmSandboxFixture fixture) : InteractionTests(fixture);

[Collection(NamespaceSandbox.Name)]
public sealed class InteractionTestsInNamespaces(NamespaceSandboxFixture fixture) : InteractionTests(fixture);
