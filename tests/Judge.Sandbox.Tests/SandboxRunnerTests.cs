using Judge.Grading.Runs;
using Judge.Sandbox.Protocol;
using Judge.Sandbox.Running;
using Judge.Sandbox.Settings;
using Judge.Sandbox.Tests.Fakes;
using Judge.Sandbox.Vms;
using Microsoft.Extensions.Logging.Abstractions;

namespace Judge.Sandbox.Tests;

/// <summary>Unit tests of the sandbox facade over fake VMs.</summary>
public sealed class SandboxRunnerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Using_the_sandbox_before_start_or_starting_it_twice_fails_clearly()
    {
        await using var sandbox = NewSandbox(new FakeLauncher { AutoComplete = true });

        var early = await Assert.ThrowsAsync<InvalidOperationException>(() => sandbox.OpenSessionAsync("c", Ct));
        Assert.Contains("StartAsync", early.Message, StringComparison.Ordinal);

        await sandbox.StartAsync(Ct);
        var twice = await Assert.ThrowsAsync<InvalidOperationException>(() => sandbox.StartAsync(Ct));
        Assert.Contains("already started", twice.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_language_is_refused_naming_the_known_ones()
    {
        await using var sandbox = NewSandbox(new FakeLauncher { AutoComplete = true });
        await sandbox.StartAsync(Ct);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => sandbox.OpenSessionAsync("cobol", Ct));

        Assert.Contains("cobol", error.Message, StringComparison.Ordinal);
        Assert.Contains("python", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_warm_language_in_the_settings_fails_the_start_naming_it()
    {
        var options = new SandboxOptions { WarmLanguages = { "python", "brainfuck" } };
        await using var sandbox = new SandboxRunner(options, new FakeLauncher { AutoComplete = true },
            new IsolationChoice(Isolation.Tcg, "test"), NullLoggerFactory.Instance);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => sandbox.StartAsync(Ct));

        Assert.Contains("brainfuck", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ending_a_session_destroys_its_vm()
    {
        var launcher = new FakeLauncher { AutoComplete = true };
        await using var sandbox = NewSandbox(launcher);
        await sandbox.StartAsync(Ct);
        await sandbox.WhenWarmAsync();

        var session = await sandbox.OpenSessionAsync("c", Ct);
        var vm = launcher.Launched.Single(v => v.Id == session.VmId);
        await session.DisposeAsync();

        Assert.True(vm.Destroyed);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => session.ExecuteAsync(new GuestCommand(["true"]), Ct));
    }

    [Fact]
    public async Task The_sandbox_does_not_gate_sessions_a_second_time_its_caller_bounds_them()
    {
        await using var sandbox = NewSandbox(new FakeLauncher { AutoComplete = true }, maxConcurrentVms: 1);
        await sandbox.StartAsync(Ct);

        var first = await sandbox.OpenSessionAsync("c", Ct);
        var second = await sandbox.OpenSessionAsync("c", Ct).WaitAsync(TimeSpan.FromSeconds(10), Ct);

        Assert.NotEqual(first.VmId, second.VmId);
        Assert.Equal(new[] { first.VmId, second.VmId }.Order(StringComparer.Ordinal), sandbox.ActiveVmIds.Order(StringComparer.Ordinal));
        await first.DisposeAsync();
        await second.DisposeAsync();
        Assert.Empty(sandbox.ActiveVmIds);
    }

    [Fact]
    public async Task A_failed_compile_skips_the_run_and_reports_the_compiler_output()
    {
        var launcher = new FakeLauncher { AutoComplete = true };
        await using var sandbox = NewSandbox(launcher);
        await sandbox.StartAsync(Ct);
        await sandbox.WhenWarmAsync();
        foreach (var vm in launcher.Launched)
        {
            vm.Behaviour = command => command.Argv[0] == "gcc"
                ? new ProcessResult { ExitCode = 1, Stderr = "main.c:1: error: expected ';'"u8.ToArray() }
                : new ProcessResult { ExitCode = 0 };
        }

        var result = await sandbox.RunAsync(new SandboxRunRequest("c") { Source = "int main() { return 0 }" }, Ct);

        Assert.True(result.CompilationFailed);
        Assert.Null(result.Run);
        Assert.Contains("expected ';'", result.Compile!.StderrText, StringComparison.Ordinal);
        var used = launcher.Launched.Single(v => v.Id == result.VmId);
        Assert.Equal(["gcc"], used.Commands.Select(c => c.Argv[0]));
    }

    [Fact]
    public async Task A_run_reports_a_warm_hit_with_zero_setup_and_boot_and_the_isolation()
    {
        var launcher = new FakeLauncher { AutoComplete = true };
        await using var sandbox = NewSandbox(launcher);
        await sandbox.StartAsync(Ct);
        await sandbox.WhenWarmAsync();

        var result = await sandbox.RunAsync(new SandboxRunRequest("python") { Source = "print(1)" }, Ct);

        Assert.True(result.Timings.WarmPoolHit);
        Assert.Equal(0, result.Timings.SetupMs);
        Assert.Equal(0, result.Timings.BootMs);
        Assert.Null(result.Timings.BootKind);
        Assert.Equal(Isolation.Tcg, result.Isolation);
        Assert.True(result.Timings.TotalMs >= result.Timings.ExecuteMs);
        Assert.NotNull(result.Run);
    }

    private static SandboxRunner NewSandbox(FakeLauncher launcher, int maxConcurrentVms = 4) =>
        new(new SandboxOptions { MaxConcurrentVms = maxConcurrentVms, CalibrateSpeed = false }, launcher,
            new IsolationChoice(Isolation.Tcg, "test"), NullLoggerFactory.Instance);
}
