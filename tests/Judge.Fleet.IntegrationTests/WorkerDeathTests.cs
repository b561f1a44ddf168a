using Judge.Data.Submissions;
using Microsoft.EntityFrameworkCore;

namespace Judge.Fleet.IntegrationTests;

/// <summary>
/// Integration test: a worker killed outright (SIGKILL, with its VMs) in the middle of judging loses
/// nothing. It never acknowledged the command, so RabbitMQ redelivers it; the next worker's claim succeeds
/// once the dead worker's lease has run out, and the submission gets its verdict.
/// </summary>
[Collection(Fleet.Name)]
public sealed class WorkerDeathTests(FleetFixture fleet)
{

    [Fact]
    public async Task A_worker_killed_mid_judging_loses_nothing_and_another_worker_finishes_the_submission()
    {
        await fleet.StopWorkerAsync(); // so that the submission goes to the worker about to die
        Guid id;
        using (var doomed = fleet.StartWorkerProcess("doomed-worker", lease: TimeSpan.FromSeconds(10)))
        {
            try
            {
                id = await fleet.SubmitAsync("sum", "python", Problems.SlowSumPython);
                await WaitUntilJudgedByAsync(id, "doomed-worker");
                await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);
            }
            finally
            {
                doomed.Kill(entireProcessTree: true);
                await doomed.WaitForExitAsync(TestContext.Current.CancellationToken);
            }
        }

        await fleet.StartWorkerAsync();
        var result = await fleet.WaitForVerdictAsync(id);

        Assert.Equal("Accepted", result.GetProperty("verdict").GetString());
        Assert.Equal(2, result.GetProperty("attempt").GetInt32());
        Assert.NotEqual("doomed-worker", result.GetProperty("worker").GetString());
        Assert.Equal(3, result.GetProperty("tests").GetArrayLength());
    }

    private async Task WaitUntilJudgedByAsync(Guid id, string workerId)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        while (!await fleet.WithDbAsync(db => db.Submissions.AnyAsync(s => s.Id == id && s.Status == SubmissionStatus.Judging && s.WorkerId == workerId)))
        {
            await Task.Delay(100, deadline.Token);
        }
    }
}
