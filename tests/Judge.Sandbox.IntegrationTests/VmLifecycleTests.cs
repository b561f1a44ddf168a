using System.Globalization;
using Judge.Sandbox.Processes;
using Judge.Sandbox.Qemu;
using Judge.Sandbox.Running;
using Judge.Sandbox.Vms;

namespace Judge.Sandbox.IntegrationTests;

/// <summary>Integration tests: VMs are destroyed completely, and a VM whose agent goes silent is killed by the host.</summary>
[Collection(RealVms.Name)]
public sealed class VmLifecycleTests(SandboxFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Ending_a_session_kills_qemu_and_removes_every_file_of_the_vm()
    {
        var session = await fixture.Sandbox.OpenSessionAsync("shell", Ct);
        var (pid, directory) = Locate(session);
        Assert.True(Directory.Exists($"/proc/{pid}"));

        await session.DisposeAsync();

        Assert.False(Directory.Exists($"/proc/{pid}"));
        Assert.False(Directory.Exists(directory));
    }

    [Fact]
    public async Task A_vm_whose_agent_stops_answering_mid_run_is_killed_by_the_host_timeout()
    {
        await using var session = await fixture.Sandbox.OpenSessionAsync("shell", Ct);
        var (pid, directory) = Locate(session);
        var command = new GuestCommand(["sleep", "100"]) { Limits = new ResourceLimits { WallTime = TimeSpan.FromSeconds(1) } };

        var run = session.ExecuteAsync(command, Ct);
        await HostProcess.RunAsync("kill", ["-STOP", pid.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(5), cancellationToken: Ct);
        var error = await Assert.ThrowsAsync<SandboxVmException>(() => run);

        Assert.Contains("did not answer", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists($"/proc/{pid}"));
        Assert.False(Directory.Exists(directory));
        await Assert.ThrowsAsync<SandboxVmException>(() => session.ExecuteAsync(new GuestCommand(["true"]), Ct));
    }

    private (int Pid, string Directory) Locate(SandboxSession session)
    {
        var vm = (QemuVm)session.Vm;
        Assert.StartsWith(fixture.Options.WorkDirectory, vm.Directory.Path, StringComparison.Ordinal);
        return (vm.ProcessId, vm.Directory.Path);
    }
}
