using System.Diagnostics;
using System.Globalization;
using Judge.Sandbox;
using Judge.Sandbox.Settings;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Judge.Fleet.IntegrationTests;

/// <summary>
/// Integration tests: the judge's own failures. A VM that dies under a submission is an infrastructure
/// failure: retried in place, and when every retry fails the submission ends as InternalError and its
/// command lands in the _error queue, never stuck and never blamed on the program.
/// </summary>
[Collection(Fleet.Name)]
public sealed class FailureTests(FleetFixture fleet)
{

    [Fact]
    public async Task A_vm_that_dies_mid_judging_is_retried_and_the_submission_still_gets_its_verdict()
    {
        var before = ActiveVms();
        var id = await fleet.SubmitAsync("sum", "python", Problems.SlowSumPython);

        await KillNextVmAsync(before);
        var result = await fleet.WaitForVerdictAsync(id);

        Assert.Equal("Accepted", result.GetProperty("verdict").GetString());
        Assert.Equal(2, result.GetProperty("attempt").GetInt32());
    }

    [Fact]
    public async Task A_submission_whose_vm_dies_on_every_retry_ends_as_internal_error_and_its_command_in_the_error_queue()
    {
        var id = await fleet.SubmitAsync("sum", "python", Problems.SlowSumPython);

        var killed = new HashSet<string>(ActiveVms());
        for (var attempt = 0; attempt < 3; attempt++)
        {
            killed.Add(await KillNextVmAsync(killed));
        }

        var result = await fleet.WaitForVerdictAsync(id);

        Assert.Equal("InternalError", result.GetProperty("verdict").GetString());
        Assert.StartsWith("The judge failed:", result.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Empty(result.GetProperty("tests").EnumerateArray());
        await WaitForErrorQueueAsync();
    }

    /// <summary>The result is written before MassTransit moves the command, so the error queue is polled.</summary>
    private async Task WaitForErrorQueueAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var queues = await LocalServices.RunAsync("rabbitmqctl", "list_queues", "-p", fleet.VirtualHost, "--quiet", "--no-table-headers", "name", "messages");
            if (queues.Split('\n').Any(line => line.StartsWith("judge-interactive_error\t", StringComparison.Ordinal) && line.Trim() != "judge-interactive_error\t0"))
            {
                return;
            }

            await Task.Delay(200, deadline.Token);
        }
    }

    private IReadOnlyCollection<string> ActiveVms() => fleet.Worker.Services.GetRequiredService<SandboxRunner>().ActiveVmIds;

    /// <summary>Waits for a VM to be taken for judging (one not in <paramref name="ignore"/>) and kills its QEMU.</summary>
    private async Task<string> KillNextVmAsync(IReadOnlyCollection<string> ignore)
    {
        var workDirectory = fleet.Worker.Services.GetRequiredService<IOptions<SandboxOptions>>().Value.WorkDirectory;
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (true)
        {
            var vm = ActiveVms().FirstOrDefault(v => !ignore.Contains(v));
            var pidFile = vm is null ? null : Path.Combine(workDirectory, vm, "process.pid");
            if (pidFile is not null && File.Exists(pidFile))
            {
                // Let the program start, so the VM dies under a running test, not before the compile.
                await Task.Delay(1500, deadline.Token);
                using var qemu = Process.GetProcessById(int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture));
                qemu.Kill();
                return vm!;
            }

            await Task.Delay(50, deadline.Token);
        }
    }
}
