using System.Globalization;
using Judge.Sandbox.Processes;

namespace Judge.Sandbox.Tests.Processes;

/// <summary>Unit tests of the host-program wrapper, against /bin/sh: no VM, no service.</summary>
public sealed class HostProcessTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_sandbox_host_program_starts_with_no_variable_of_the_worker_but_the_ones_given()
    {
        Environment.SetEnvironmentVariable("JUDGE_TEST_SECRET", "connection-string");
        // env writes to stdout, which Start discards: it writes to stderr here, which is kept.
        using var process = HostProcess.Start("/bin/sh", ["-c", "/usr/bin/env >&2"], environment: new Dictionary<string, string> { ["ONLY"] = "this" });
        await process.WaitForExitAsync(Ct);

        Assert.Equal(0, process.ExitCode);
        Assert.Equal(["ONLY=this"], process.Stderr.ToString().Split('\n').Where(l => !l.StartsWith("PWD=", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Killing_a_started_program_kills_its_children_too_and_reports_no_exit_code()
    {
        using var process = HostProcess.Start("/bin/sh", ["-c", "sleep 300 & echo $! >&2; wait"]);
        var child = await ChildPidAsync(process);

        process.Kill();
        await process.WaitForExitAsync(Ct);

        Assert.True(process.HasExited);
        Assert.Null(process.ExitCode);
        Assert.Equal("was killed", process.Ending);
        Assert.True(process.HasExited);
        Assert.True(ProcessSignals.WaitForExit(child, TimeSpan.FromSeconds(5)), $"sleep ({child}) outlived its parent");
    }

    [Fact]
    public async Task A_program_that_exits_while_a_child_holds_its_stderr_has_exited_all_the_same()
    {
        using var process = HostProcess.Start("/bin/sh", ["-c", "sleep 300 & echo $! >&2; exit 0"]);
        var child = await ChildPidAsync(process);
        try
        {
            for (var i = 0; i < 500 && !process.HasExited; i++)
            {
                await Task.Delay(10, Ct);
            }

            Assert.True(process.HasExited);
            Assert.Equal("exited", process.Ending);
        }
        finally
        {
            ProcessSignals.Kill(child);
        }
    }

    [Fact]
    public async Task Disposing_a_running_program_kills_it()
    {
        var process = HostProcess.Start("/bin/sh", ["-c", "sleep 300"]);

        process.Dispose();
        await process.WaitForExitAsync(Ct);

        Assert.True(process.HasExited);
    }

    [Fact]
    public async Task A_program_may_write_all_it_likes_to_its_discarded_stdout()
    {
        using var process = HostProcess.Start("/bin/sh", ["-c", "seq 1 200000 && echo done >&2"]);
        await process.WaitForExitAsync(Ct);

        Assert.Equal("done", process.Stderr.ToString());
        Assert.Equal(0, process.ExitCode);
    }

    [Fact]
    public async Task A_program_that_exits_reports_its_code_and_its_stderr()
    {
        using var process = HostProcess.Start("/bin/sh", ["-c", "echo out; echo broken >&2; exit 3"]);
        await process.WaitForExitAsync(Ct);

        Assert.Equal(3, process.ExitCode);
        Assert.Equal("exited with code 3", process.Ending);
        Assert.Equal("broken", process.Stderr.ToString());
    }

    [Fact]
    public async Task A_run_to_completion_gets_stdin_and_returns_both_outputs()
    {
        var result = await HostProcess.RunAsync("/bin/sh", ["-c", "read x; echo \"got $x\"; echo err >&2; exit 4"], TimeSpan.FromSeconds(30), "line\n", Ct);

        Assert.Equal(4, result.ExitCode);
        Assert.Equal("got line\n", result.Stdout);
        Assert.Equal("err\n", result.Stderr);
    }

    [Fact]
    public async Task A_run_past_its_timeout_is_killed_and_throws_a_timeout()
    {
        var error = await Assert.ThrowsAsync<TimeoutException>(() => HostProcess.RunAsync("/bin/sh", ["-c", "sleep 300"], TimeSpan.FromMilliseconds(200), cancellationToken: Ct));

        Assert.Contains("/bin/sh", error.Message, StringComparison.Ordinal);
    }

    private static async Task<int> ChildPidAsync(StartedProcess process)
    {
        for (var i = 0; i < 500 && process.Stderr.ToString().Length == 0; i++)
        {
            await Task.Delay(10, Ct);
        }

        return int.Parse(process.Stderr.ToString(), NumberStyles.None, CultureInfo.InvariantCulture);
    }
}
