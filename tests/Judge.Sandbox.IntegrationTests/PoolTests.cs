using System.Diagnostics;
using System.Globalization;
using Judge.Sandbox.Settings;
using Judge.Sandbox.Vms;

namespace Judge.Sandbox.IntegrationTests;

/// <summary>Integration tests: the warm pool with real sandboxes (health, exhaustion, concurrency).</summary>
public abstract class PoolTests(SandboxFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_killed_sandbox_process_is_detected_by_the_health_check_and_replaced()
    {
        await fixture.Sandbox.WhenWarmAsync();
        var pool = fixture.Sandbox.Pool;
        var victim = Assert.Single(pool.IdleVmIds("shell"));
        var vmDirectory = Path.Combine(fixture.Options.WorkDirectory, victim);
        var pid = int.Parse(File.ReadAllText(Path.Combine(vmDirectory, "process.pid")).Trim(), CultureInfo.InvariantCulture);
        using (var host = Process.GetProcessById(pid))
        {
            host.Kill();
            await host.WaitForExitAsync(Ct);
        }

        await pool.CheckHealthAsync(Ct);
        await fixture.Sandbox.WhenWarmAsync();

        Assert.DoesNotContain(victim, pool.IdleVmIds("shell"));
        Assert.False(Directory.Exists(vmDirectory));
        var replacement = Assert.Single(pool.IdleVmIds("shell"));
        var result = await fixture.RunAsync("shell", "echo alive");
        Assert.Equal("alive\n", result.Run!.StdoutText);
        Assert.Equal(replacement, result.VmId);
    }

    [Fact]
    public async Task When_the_pool_is_exhausted_a_vm_is_booted_on_demand_with_real_start_costs()
    {
        await fixture.Sandbox.WhenWarmAsync();

        await using var warm = await fixture.Sandbox.OpenSessionAsync("c", Ct);
        await using var cold = await fixture.Sandbox.OpenSessionAsync("c", Ct);

        Assert.True(warm.WarmPoolHit);
        Assert.Equal(0, warm.SetupMs);
        Assert.Equal(0, warm.BootMs);
        Assert.False(cold.WarmPoolHit);
        Assert.NotNull(cold.BootKind);
        Assert.True(cold.SetupMs > 0);
        Assert.True(cold.BootMs > 0);
        Assert.True(cold.ConnectMs > 0);
    }

    [Fact]
    public async Task Several_runs_at_once_each_get_their_own_vm_and_answer()
    {
        var runs = Enumerable.Range(1, 4)
            .Select(i => fixture.RunAsync("python", "print(int(input()) * 2)", stdin: $"{i}\n"))
            .ToList();

        var results = await Task.WhenAll(runs);

        Assert.Equal(["2\n", "4\n", "6\n", "8\n"], results.Select(r => r.Run!.StdoutText));
        Assert.Equal(4, results.Select(r => r.VmId).Distinct().Count());
    }

    [Fact]
    public async Task Every_sandbox_runs_under_the_configured_isolation()
    {
        await using var session = await fixture.Sandbox.OpenSessionAsync("python", Ct);

        Assert.Equal(fixture.Sandbox.Isolation.Isolation, session.Isolation);
        Assert.Contains(session.Isolation, fixture.Options.Isolation == IsolationMode.Vm
            ? new[] { Isolation.Kvm, Isolation.Tcg }
            : new[] { Isolation.Namespace });
        Assert.False(string.IsNullOrWhiteSpace(fixture.Sandbox.Isolation.Reason));
    }
}

[Collection(VmSandbox.Name)]
public sealed class PoolTestsInVms(VmSandboxFixture fixture) : PoolTests(fixture);

[Collection(NamespaceSandbox.Name)]
public sealed class PoolTestsInNamespaces(NamespaceSandboxFixture fixture) : PoolTests(fixture);
