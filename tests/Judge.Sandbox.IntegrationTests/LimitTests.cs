using Judge.Grading.Runs;
using Judge.Sandbox.Protocol;
using Judge.Sandbox.Running;

namespace Judge.Sandbox.IntegrationTests;

/// <summary>
/// Integration tests: limits hold against hostile programs. Bounds are loose on purpose: under TCG timings
/// are ~3x slower and noisy, and these tests assert which limit fired, not how fast.
/// </summary>
public abstract class LimitTests(SandboxFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_busy_loop_is_stopped_by_the_cpu_limit()
    {
        var limits = SandboxRunRequest.DefaultLimits with { CpuTime = TimeSpan.FromSeconds(1) };

        var result = await fixture.RunAsync("c", "int main(void) { volatile unsigned long i = 0; for (;;) i++; }", limits);

        Assert.Equal(LimitExceeded.CpuTime, result.Run!.LimitExceeded);
        Assert.InRange(result.Run.CpuMs, 1000, 2500);
        Assert.NotNull(result.Run.Signal);
    }

    [Fact]
    public async Task A_sleeping_program_is_stopped_by_the_wall_limit()
    {
        var limits = SandboxRunRequest.DefaultLimits with { CpuTime = TimeSpan.FromSeconds(1), WallTime = TimeSpan.FromSeconds(2) };

        var result = await fixture.RunAsync("shell", "sleep 30", limits);

        Assert.Equal(LimitExceeded.WallTime, result.Run!.LimitExceeded);
        Assert.InRange(result.Run.WallMs, 2000, 8000);
        Assert.True(result.Run.CpuMs < 1000);
    }

    [Fact]
    public async Task A_memory_hog_is_reported_as_an_oom_kill()
    {
        var limits = SandboxRunRequest.DefaultLimits with { MemoryBytes = 64L * 1024 * 1024 };

        var result = await fixture.RunAsync("python", "data = b'x' * (512 << 20)\nprint(len(data))", limits);

        Assert.True(result.Run!.OomKilled);
        Assert.Equal(LimitExceeded.Memory, result.Run.LimitExceeded);
        Assert.Empty(result.Run.Stdout);
        Assert.InRange(result.Run.PeakMemoryBytes, 32L << 20, 64L << 20);
    }

    /// <summary>Counts processes of the judged user and run cgroups other than the check's own (it runs as root).</summary>
    private const string LeftoverProcesses =
        "n=0; for p in /proc/[0-9]*; do [ \"$(stat -c %u $p 2>/dev/null)\" = 1000 ] && n=$((n+1)); done; echo $n";

    [Fact]
    public async Task A_fork_bomb_is_contained_and_leaves_no_process_behind()
    {
        await using var session = await fixture.Sandbox.OpenSessionAsync("c", Ct);
        await session.WriteSourceAsync("#include <unistd.h>\nint main(void) { for (;;) fork(); }", Ct);
        Assert.True((await session.CompileAsync(Ct))!.Succeeded);

        var bomb = await session.RunProgramAsync(null,
            SandboxRunRequest.DefaultLimits with { CpuTime = TimeSpan.FromSeconds(2), MaxProcesses = 32 }, null, Ct);
        var leftovers = await session.ExecuteAsync(new GuestCommand(["sh", "-c", LeftoverProcesses]) { Uid = 0, Gid = 0 }, Ct);

        Assert.NotEqual(LimitExceeded.None, bomb.LimitExceeded);
        Assert.Equal("0\n", leftovers.StdoutText);
        Assert.Empty(await fixture.RunGroupsLeftAsync(session));
    }

    [Fact]
    public async Task An_output_flood_is_capped_and_stopped()
    {
        var result = await fixture.RunAsync("shell", "yes");

        Assert.Equal(LimitExceeded.Output, result.Run!.LimitExceeded);
        Assert.True(result.Run.StdoutTruncated);
        Assert.Equal(SandboxRunRequest.DefaultLimits.OutputBytes, result.Run.Stdout.Length);
        Assert.StartsWith("y\ny\n", result.Run.StdoutText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_size_limit_stops_a_disk_filler()
    {
        var limits = SandboxRunRequest.DefaultLimits with { FileSizeBytes = 1024 * 1024 };

        var result = await fixture.RunAsync("shell", "head -c 10000000 /dev/zero > /tmp/big; echo $?; stat -c %s /tmp/big", limits);

        Assert.Equal("1048576", result.Run!.StdoutText.Split('\n')[1]);
        Assert.NotEqual("0", result.Run.StdoutText.Split('\n')[0]);
    }
}

[Collection(VmSandbox.Name)]
public sealed class LimitTestsInVms(VmSandboxFixture fixture) : LimitTests(fixture);

[Collection(NamespaceSandbox.Name)]
public sealed class LimitTestsInNamespaces(NamespaceSandboxFixture fixture) : LimitTests(fixture);
