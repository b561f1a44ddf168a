using System.Globalization;
using Judge.Grading.Runs;
using Judge.Sandbox.Processes;
using Judge.Sandbox.Protocol;
using Judge.Sandbox.Running;
using Judge.Sandbox.Vms;

namespace Judge.Sandbox.IntegrationTests;

/// <summary>Integration tests: sandboxes are destroyed completely, and one whose agent goes silent is killed by the host.</summary>
public abstract class VmLifecycleTests(SandboxFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Ending_a_session_kills_the_sandbox_and_removes_every_file_and_cgroup_of_it()
    {
        var session = await fixture.Sandbox.OpenSessionAsync("shell", Ct);
        var (pid, directory) = Locate(session);
        var agent = AgentProcessId(session);
        var cgroups = fixture.HostCgroupsOf(session);
        Assert.True(Directory.Exists($"/proc/{pid}"));
        Assert.True(Directory.Exists($"/proc/{agent}"));
        Assert.All(cgroups, group => Assert.True(Directory.Exists(group)));

        await session.DisposeAsync();

        Assert.False(Directory.Exists($"/proc/{pid}"));
        Assert.False(Directory.Exists($"/proc/{agent}"));
        Assert.False(Directory.Exists(directory));
        Assert.All(cgroups, group => Assert.False(Directory.Exists(group)));
    }

    [Fact]
    public async Task A_vm_whose_agent_stops_answering_mid_run_is_killed_by_the_host_timeout()
    {
        await using var session = await fixture.Sandbox.OpenSessionAsync("shell", Ct);
        var (pid, directory) = Locate(session);
        var command = new GuestCommand(["sleep", "100"]) { Limits = new ResourceLimits { WallTime = TimeSpan.FromSeconds(1) } };

        var run = session.ExecuteAsync(command, Ct);
        await HostProcess.RunAsync("kill", ["-STOP", AgentProcessId(session).ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(5), cancellationToken: Ct);
        var error = await Assert.ThrowsAsync<SandboxVmException>(() => run);

        Assert.Contains("did not answer", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists($"/proc/{pid}"));
        Assert.False(Directory.Exists(directory));
        await Assert.ThrowsAsync<SandboxVmException>(() => session.ExecuteAsync(new GuestCommand(["true"]), Ct));
    }

    private (int Pid, string Directory) Locate(SandboxSession session)
    {
        var vm = (AgentVm)session.Vm;
        Assert.StartsWith(fixture.Options.WorkDirectory, vm.Directory.Path, StringComparison.Ordinal);
        return (vm.ProcessId, vm.Directory.Path);
    }

    private static int AgentProcessId(SandboxSession session) => ((AgentVm)session.Vm).AgentProcessId;
}

[Collection(VmSandbox.Name)]
public sealed class VmLifecycleTestsInVms(VmSandboxFixture fixture) : VmLifecycleTests(fixture);

[Collection(NamespaceSandbox.Name)]
public sealed class VmLifecycleTestsInNamespaces(NamespaceSandboxFixture fixture) : VmLifecycleTests(fixture);
