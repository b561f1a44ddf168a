using Judge.Grading.Runs;
using Judge.Sandbox.Protocol;
using Judge.Sandbox.Running;

namespace Judge.Sandbox.IntegrationTests;

/// <summary>Integration tests: what a judged process gets and gives back (stdin, stdout, stderr, exit, env).</summary>
public abstract class ProcessTests(SandboxFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Stdin_reaches_the_program()
    {
        var result = await fixture.RunAsync("python", "a, b = map(int, input().split())\nprint(a + b)", stdin: "40 2\n");

        Assert.Equal("42\n", result.Run!.StdoutText);
    }

    [Fact]
    public async Task The_exit_code_is_reported()
    {
        var result = await fixture.RunAsync("shell", "echo partial; exit 42");

        Assert.Equal(42, result.Run!.ExitCode);
        Assert.Null(result.Run.Signal);
        Assert.Equal("partial\n", result.Run.StdoutText);
        Assert.False(result.Run.Succeeded);
    }

    [Fact]
    public async Task A_crash_is_reported_with_its_signal()
    {
        var result = await fixture.RunAsync("c", "#include <stdlib.h>\nint main(void) { abort(); }");

        Assert.Null(result.Run!.ExitCode);
        Assert.Equal(6, result.Run.Signal); // SIGABRT
        Assert.Equal(LimitExceeded.None, result.Run.LimitExceeded);
    }

    [Fact]
    public async Task Stderr_is_captured_apart_from_stdout()
    {
        var result = await fixture.RunAsync("python", "import sys\nprint('out')\nprint('oops', file=sys.stderr)");

        Assert.Equal("out\n", result.Run!.StdoutText);
        Assert.Equal("oops\n", result.Run.StderrText);
    }

    [Fact]
    public async Task Environment_variables_reach_the_program_beside_the_defaults()
    {
        var result = await fixture.RunAsync("shell", "echo \"$GREETING|$PATH|$TMPDIR|$(id -u)|$(pwd)\"",
            environment: new Dictionary<string, string> { ["GREETING"] = "bonjour" });

        Assert.Equal("bonjour|/usr/local/bin:/usr/bin:/bin|/tmp|1000|/box\n", result.Run!.StdoutText);
    }

    [Fact]
    public async Task A_missing_program_is_a_clear_agent_error_not_a_crash()
    {
        await using var session = await fixture.Sandbox.OpenSessionAsync("shell", Ct);

        var error = await Assert.ThrowsAsync<AgentErrorException>(() => session.ExecuteAsync(new GuestCommand(["/no/such/program"]), Ct));
        var after = await session.ExecuteAsync(new GuestCommand(["echo", "still here"]), Ct);

        Assert.Equal(AgentErrorCode.ExecFailed, error.Code);
        Assert.Equal("still here\n", after.StdoutText);
    }

    [Fact]
    public async Task A_session_compiles_once_and_runs_many_times_with_files_read_back()
    {
        await using var session = await fixture.Sandbox.OpenSessionAsync("c", Ct);
        await session.WriteSourceAsync("#include <stdio.h>\nint main(void) { int x; scanf(\"%d\", &x); printf(\"%d\\n\", x * x); }", Ct);
        await session.WriteProtectedFileAsync("/data/1.in", "7\n"u8.ToArray(), Ct);

        var compile = await session.CompileAsync(Ct);
        var fromBytes = await session.RunProgramAsync("3\n"u8.ToArray(), SandboxRunRequest.DefaultLimits, null, Ct);
        var toFile = await session.ExecuteAsync(new GuestCommand(session.Language.RunCommandFor(SandboxRunRequest.DefaultLimits))
        {
            StdinPath = "/data/1.in",
            StdoutPath = "/box/1.out",
            Limits = SandboxRunRequest.DefaultLimits,
        }, Ct);
        var written = await session.ReadFileAsync("/box/1.out", 1024, Ct);

        Assert.True(compile!.Succeeded, compile.StderrText);
        Assert.Equal("9\n", fromBytes.StdoutText);
        Assert.Equal(0, toFile.ExitCode);
        Assert.Empty(toFile.Stdout);
        Assert.Equal("49\n", System.Text.Encoding.UTF8.GetString(written.Data));
    }
}

[Collection(VmSandbox.Name)]
public sealed class ProcessTestsInVms(VmSandboxFixture fixture) : ProcessTests(fixture);

[Collection(NamespaceSandbox.Name)]
public sealed class ProcessTestsInNamespaces(NamespaceSandboxFixture fixture) : ProcessTests(fixture);
