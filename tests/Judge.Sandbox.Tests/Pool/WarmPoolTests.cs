using Judge.Sandbox.Pool;
using Judge.Sandbox.Settings;
using Judge.Sandbox.Tests.Fakes;
using Judge.Sandbox.Vms;
using Microsoft.Extensions.Logging.Abstractions;

namespace Judge.Sandbox.Tests.Pool;

/// <summary>Unit tests of the warm pool's rules, with fake VMs whose boots the tests finish by hand.</summary>
public sealed class WarmPoolTests : IAsyncDisposable
{
    private static readonly TimeSpan HealthInterval = TimeSpan.FromSeconds(30);

    /// <summary>A broken pool rule must fail a test, not hang it.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(10, 0, 2)]
    [InlineData(3, 0, 1)]
    [InlineData(1, 0, 1)]
    [InlineData(7, 0, 1)]
    [InlineData(8, 0, 2)]
    [InlineData(40, 0, 10)]
    [InlineData(10, 5, 5)]
    [InlineData(1, 3, 3)]
    public void Pool_size_is_a_quarter_of_max_concurrent_vms_at_least_one_unless_overridden(int maxConcurrentVms, int warmPoolSize, int expected)
    {
        var options = new SandboxOptions { MaxConcurrentVms = maxConcurrentVms, WarmPoolSize = warmPoolSize };

        Assert.Equal(expected, options.EffectiveWarmPoolSize);
    }

    [Theory]
    [InlineData(4, 0, Isolation.Namespace, 4)]
    [InlineData(1, 0, Isolation.Namespace, 1)]
    [InlineData(10, 2, Isolation.Namespace, 2)]
    [InlineData(4, 0, Isolation.Kvm, 1)]
    [InlineData(8, 0, Isolation.Tcg, 2)]
    public void A_namespace_pool_has_a_sandbox_for_every_slot_and_a_vm_pool_a_quarter_unless_configured(
        int maxConcurrentVms, int warmPoolSize, Isolation isolation, int expected)
    {
        var options = new SandboxOptions { MaxConcurrentVms = maxConcurrentVms, WarmPoolSize = warmPoolSize };

        Assert.Equal(expected, SandboxRunner.WarmPoolSizeFor(options, isolation));
    }

    [Fact]
    public void Max_concurrent_vms_defaults_to_ten()
    {
        Assert.Equal(10, new SandboxOptions().MaxConcurrentVms);
        Assert.Equal(2, new SandboxOptions().EffectiveWarmPoolSize);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(3, 1)]
    [InlineData(4, 2)]
    [InlineData(5, 2)]
    [InlineData(10, 5)]
    public void At_most_half_the_pool_boots_at_once_at_least_one(int poolSize, int expected)
    {
        var pool = NewPool(new FakeLauncher(), poolSize);

        Assert.Equal(expected, pool.MaxParallelBoots);
    }

    [Fact]
    public async Task Start_fills_every_language_to_the_pool_size()
    {
        var launcher = new FakeLauncher { AutoComplete = true };
        var pool = NewPool(launcher, 3, "c", "python");

        pool.Start();
        await pool.WhenRefilledAsync().WaitAsync(Bound, TestContext.Current.CancellationToken);

        Assert.Equal(3, pool.IdleCount("c"));
        Assert.Equal(3, pool.IdleCount("python"));
        Assert.Equal(6, launcher.Launches);
    }

    [Fact]
    public async Task A_warm_checkout_is_a_hit_without_setup_or_boot_and_is_replenished()
    {
        var launcher = new FakeLauncher { AutoComplete = true };
        var pool = NewPool(launcher, 2);
        pool.Start();
        await pool.WhenRefilledAsync().WaitAsync(Bound, TestContext.Current.CancellationToken);

        var lease = await pool.AcquireAsync("c", TestContext.Current.CancellationToken);
        await pool.WhenRefilledAsync().WaitAsync(Bound, TestContext.Current.CancellationToken);

        Assert.True(lease.WarmPoolHit);
        Assert.Equal(0, lease.SetupMs);
        Assert.Equal(0, lease.BootMs);
        Assert.Equal(2, pool.IdleCount("c"));
        Assert.Equal(3, launcher.Launches);
        Assert.DoesNotContain(lease.Vm.Id, pool.IdleVmIds("c"));
    }

    [Fact]
    public async Task Refills_never_boot_more_than_max_parallel_boots_at_once()
    {
        var launcher = new FakeLauncher();
        var pool = NewPool(launcher, 4);

        pool.Start(); // four refills; two boot slots
        var first = await launcher.NextBootAsync();
        var second = await launcher.NextBootAsync();

        Assert.Equal(2, launcher.BootsInFlight);
        Assert.False(launcher.TryNextBoot(out _));

        first.Succeed();
        var third = await launcher.NextBootAsync();
        second.Succeed();
        var fourth = await launcher.NextBootAsync();
        third.Succeed();
        fourth.Succeed();
        await pool.WhenRefilledAsync().WaitAsync(Bound, TestContext.Current.CancellationToken);

        Assert.Equal(2, launcher.MaxConcurrentBoots);
        Assert.Equal(4, pool.IdleCount("c"));
        Assert.Equal(4, launcher.Launches);
    }

    [Fact]
    public async Task A_refill_that_finds_the_pool_filled_while_it_waited_boots_nothing()
    {
        var launcher = new FakeLauncher();
        var pool = NewPool(launcher, 2); // one boot slot
        pool.Start(); // refill A boots, refill B waits for the slot
        var bootA = await launcher.NextBootAsync();

        // The pool is empty: this checkout queues refill C behind B and boots a VM on demand.
        var checkout = pool.AcquireAsync("c", TestContext.Current.CancellationToken);
        (await launcher.NextBootAsync()).Succeed();
        var lease = await checkout.WaitAsync(Bound, TestContext.Current.CancellationToken);

        bootA.Succeed(); // A done: B takes the slot and boots, as the pool still lacks one
        (await launcher.NextBootAsync()).Succeed();
        await pool.WhenRefilledAsync().WaitAsync(Bound, TestContext.Current.CancellationToken); // C took the slot, found the pool full, and booted nothing

        Assert.False(lease.WarmPoolHit);
        Assert.Equal(2, pool.IdleCount("c"));
        Assert.Equal(3, launcher.Launches);
        Assert.False(launcher.TryNextBoot(out _));
    }

    [Fact]
    public async Task Boots_in_flight_count_toward_a_full_pool()
    {
        var launcher = new FakeLauncher();
        var pool = NewPool(launcher, 4); // two boot slots
        pool.Start(); // refills 1 and 2 boot, 3 and 4 wait
        var boot1 = await launcher.NextBootAsync();
        var boot2 = await launcher.NextBootAsync();

        // An on-demand checkout adds refill 5 without taking anything from the pool: one more refill than the pool lacks.
        var checkout = pool.AcquireAsync("c", TestContext.Current.CancellationToken);
        (await launcher.NextBootAsync()).Succeed();
        await checkout.WaitAsync(Bound, TestContext.Current.CancellationToken);

        boot1.Succeed();
        var boot3 = await launcher.NextBootAsync();
        boot2.Succeed();
        var boot4 = await launcher.NextBootAsync();
        boot3.Succeed(); // refill 5 now sees three idle and one booting: full, so it boots nothing
        boot4.Succeed();
        await pool.WhenRefilledAsync().WaitAsync(Bound, TestContext.Current.CancellationToken);

        Assert.Equal(4, pool.IdleCount("c"));
        Assert.Equal(5, launcher.Launches);
    }

    [Fact]
    public async Task Languages_never_block_each_other()
    {
        var launcher = new FakeLauncher();
        var pool = NewPool(launcher, 1, "c", "python"); // one boot slot per language

        pool.Start();
        var one = await launcher.NextBootAsync();
        var other = await launcher.NextBootAsync(); // started although the first boot has not finished

        Assert.Equal(2, launcher.BootsInFlight);
        one.Succeed();
        await WaitUntilAsync(() => pool.IdleCount("c") + pool.IdleCount("python") == 1);
        var ready = pool.IdleCount("c") == 1 ? "c" : "python";
        var lease = await pool.AcquireAsync(ready, TestContext.Current.CancellationToken);
        Assert.True(lease.WarmPoolHit);

        other.Succeed();
        launcher.ReleaseAll();
    }

    [Fact]
    public async Task A_failed_boot_gives_its_slot_back_so_the_next_refill_succeeds()
    {
        var launcher = new FakeLauncher();
        var pool = NewPool(launcher, 1); // one boot slot
        pool.Start();
        (await launcher.NextBootAsync()).Fail();
        await pool.WhenRefilledAsync().WaitAsync(Bound, TestContext.Current.CancellationToken);
        Assert.Equal(0, pool.IdleCount("c"));

        var checkout = pool.AcquireAsync("c", TestContext.Current.CancellationToken);
        var refill = await launcher.NextBootAsync(); // took the slot the failed boot released
        var onDemand = await launcher.NextBootAsync();
        refill.Succeed();
        onDemand.Succeed();
        await checkout.WaitAsync(Bound, TestContext.Current.CancellationToken);
        await pool.WhenRefilledAsync().WaitAsync(Bound, TestContext.Current.CancellationToken);

        Assert.Equal(1, pool.IdleCount("c"));
    }

    [Fact]
    public async Task A_refill_cancelled_after_its_vm_was_created_destroys_that_vm()
    {
        var launcher = new FakeLauncher();
        var pool = NewPool(launcher, 1);
        pool.Start();
        var boot = await launcher.NextBootAsync();

        var stopping = pool.StopAsync(); // cancels the refill while its boot is under way
        var vm = boot.Succeed();
        await stopping.WaitAsync(Bound, TestContext.Current.CancellationToken);

        Assert.True(vm.Destroyed);
        Assert.Equal(0, pool.IdleCount("c"));
    }

    [Fact]
    public async Task Health_check_destroys_a_vm_whose_qemu_was_killed_keeps_the_healthy_ones_and_refills()
    {
        var launcher = new FakeLauncher { AutoComplete = true };
        var pool = NewPool(launcher, 2);
        pool.Start();
        await pool.WhenRefilledAsync().WaitAsync(Bound, TestContext.Current.CancellationToken);
        var killed = launcher.Launched.First();
        var healthy = launcher.Launched.Last();
        killed.Killed = true;

        await pool.CheckHealthAsync(TestContext.Current.CancellationToken);
        await pool.WhenRefilledAsync().WaitAsync(Bound, TestContext.Current.CancellationToken);

        Assert.True(killed.Destroyed);
        Assert.False(healthy.Destroyed);
        Assert.Contains(healthy.Id, pool.IdleVmIds("c"));
        Assert.DoesNotContain(killed.Id, pool.IdleVmIds("c"));
        Assert.Equal(2, pool.IdleCount("c"));
        Assert.Equal(3, launcher.Launches);
    }

    [Fact]
    public async Task Health_check_pings_each_pooled_vm_once_per_pass()
    {
        var launcher = new FakeLauncher { AutoComplete = true };
        var pool = NewPool(launcher, 3);
        pool.Start();
        await pool.WhenRefilledAsync().WaitAsync(Bound, TestContext.Current.CancellationToken);

        await pool.CheckHealthAsync(TestContext.Current.CancellationToken);

        Assert.All(launcher.Launched, vm => Assert.Equal(1, vm.Pings));
    }

    [Fact]
    public async Task Health_check_returns_each_healthy_vm_at_once_without_waiting_for_slow_ones()
    {
        var launcher = new FakeLauncher { AutoComplete = true };
        var pool = NewPool(launcher, 2);
        pool.Start();
        await pool.WhenRefilledAsync().WaitAsync(Bound, TestContext.Current.CancellationToken);
        var slow = launcher.Launched.First();
        var gate = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        slow.PingGate = gate;

        var pass = pool.CheckHealthAsync(TestContext.Current.CancellationToken);

        Assert.False(pass.IsCompleted);
        Assert.Equal([launcher.Launched.Last().Id], pool.IdleVmIds("c"));
        gate.SetResult(false); // the slow one turns out dead
        await pass.WaitAsync(Bound, TestContext.Current.CancellationToken);
        Assert.True(slow.Destroyed);
    }

    [Fact]
    public async Task Health_loop_runs_every_interval_and_stop_ends_it()
    {
        var launcher = new FakeLauncher { AutoComplete = true };
        var time = new ManualTimeProvider();
        var pool = NewPool(launcher, 1, time, "c");
        pool.Start();
        await pool.WhenRefilledAsync().WaitAsync(Bound, TestContext.Current.CancellationToken);

        time.Advance(HealthInterval);
        var pinged = await launcher.NextPingAsync();
        Assert.Same(launcher.Launched.Single(), pinged);

        await pool.StopAsync();
        time.Advance(HealthInterval * 3);
        Assert.False(launcher.TryNextPing(out _));
    }

    [Fact]
    public async Task Stop_destroys_every_pooled_vm()
    {
        var launcher = new FakeLauncher { AutoComplete = true };
        var pool = NewPool(launcher, 2, "c", "python");
        pool.Start();
        await pool.WhenRefilledAsync().WaitAsync(Bound, TestContext.Current.CancellationToken);

        await pool.StopAsync();

        Assert.Equal(4, launcher.Launched.Count);
        Assert.All(launcher.Launched, vm => Assert.True(vm.Destroyed));
    }

    [Fact]
    public async Task Start_twice_or_checkout_before_start_or_after_stop_fails_clearly()
    {
        var pool = NewPool(new FakeLauncher { AutoComplete = true }, 1);

        var early = await Assert.ThrowsAsync<InvalidOperationException>(() => pool.AcquireAsync("c", CancellationToken.None));
        Assert.Contains("not started", early.Message, StringComparison.Ordinal);

        pool.Start();
        var twice = Assert.Throws<InvalidOperationException>(pool.Start);
        Assert.Contains("already started", twice.Message, StringComparison.Ordinal);

        await pool.StopAsync();
        var late = await Assert.ThrowsAsync<InvalidOperationException>(() => pool.AcquireAsync("c", CancellationToken.None));
        Assert.Contains("stopped", late.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_pool_falls_back_to_a_cold_boot_with_real_start_costs()
    {
        var launcher = new FakeLauncher();
        var pool = NewPool(launcher, 1);
        pool.Start();
        var refill = await launcher.NextBootAsync();

        var checkout = pool.AcquireAsync("c", TestContext.Current.CancellationToken);
        var onDemand = (await launcher.NextBootAsync()).Succeed();
        var lease = await checkout.WaitAsync(Bound, TestContext.Current.CancellationToken);

        Assert.False(lease.WarmPoolHit);
        Assert.Same(onDemand, lease.Vm);
        Assert.Equal(onDemand.StartTimings.SetupMs, lease.SetupMs);
        Assert.Equal(onDemand.StartTimings.BootMs, lease.BootMs);
        Assert.True(lease.BootMs > 0);
        refill.Succeed();
    }

    [Fact]
    public async Task Each_pool_launches_vms_for_its_own_language()
    {
        var launcher = new FakeLauncher { AutoComplete = true };
        var pool = NewPool(launcher, 2, "c", "python");
        pool.Start();
        await pool.WhenRefilledAsync().WaitAsync(Bound, TestContext.Current.CancellationToken);

        await pool.AcquireAsync("java", TestContext.Current.CancellationToken);

        Assert.Equal(2, launcher.Languages.Count(l => l == "c"));
        Assert.Equal(2, launcher.Languages.Count(l => l == "python"));
        Assert.Equal(1, launcher.Languages.Count(l => l == "java"));
    }

    [Fact]
    public async Task A_language_without_a_pool_is_started_on_demand()
    {
        var launcher = new FakeLauncher { AutoComplete = true };
        var pool = NewPool(launcher, 1, "c");
        pool.Start();
        await pool.WhenRefilledAsync().WaitAsync(Bound, TestContext.Current.CancellationToken);

        var lease = await pool.AcquireAsync("java", TestContext.Current.CancellationToken);

        Assert.False(lease.WarmPoolHit);
        Assert.True(lease.BootMs > 0);
        Assert.Equal(1, pool.IdleCount("c"));
    }

    [Fact]
    public async Task A_pooled_vm_that_died_is_not_handed_out()
    {
        var launcher = new FakeLauncher { AutoComplete = true };
        var pool = NewPool(launcher, 1);
        pool.Start();
        await pool.WhenRefilledAsync().WaitAsync(Bound, TestContext.Current.CancellationToken);
        var dead = launcher.Launched.Single();
        dead.Killed = true;

        var lease = await pool.AcquireAsync("c", TestContext.Current.CancellationToken);

        Assert.NotSame(dead, lease.Vm);
        Assert.True(dead.Destroyed);
    }

    private readonly List<(FakeLauncher Launcher, WarmPool Pool)> _created = [];

    /// <summary>Finishes every boot a test left waiting, then stops its pools: a failing test must not hang here.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var (launcher, pool) in _created)
        {
            launcher.ReleaseAll();
            await pool.DisposeAsync().AsTask().WaitAsync(Bound, TestContext.Current.CancellationToken);
        }
    }

    private WarmPool NewPool(FakeLauncher launcher, int size, params string[] languages) =>
        NewPool(launcher, size, null, languages);

    private WarmPool NewPool(FakeLauncher launcher, int size, TimeProvider? time, params string[] languages)
    {
        var pool = new WarmPool(launcher, size, languages.Length == 0 ? ["c"] : languages, HealthInterval, TimeSpan.FromSeconds(1),
            NullLogger.Instance, time ?? new ManualTimeProvider());
        _created.Add((launcher, pool));
        return pool;
    }

    /// <summary>For state that another task publishes right after an event the test has already seen.</summary>
    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            await Task.Yield();
            timeout.Token.ThrowIfCancellationRequested();
        }
    }
}
