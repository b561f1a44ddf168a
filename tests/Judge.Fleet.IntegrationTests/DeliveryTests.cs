using System.Net.Http.Json;
using System.Text.Json;
using Judge.Api.Commands;
using Judge.Api.Submissions;
using Judge.Data.Problems;
using Judge.Data.Submissions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Judge.Fleet.IntegrationTests;

/// <summary>Integration tests: concurrency, duplicate commands, and submissions that lost their way.</summary>
[Collection(Fleet.Name)]
public sealed class DeliveryTests(FleetFixture fleet)
{
    [Fact]
    public async Task Ten_concurrent_submissions_are_all_judged_correctly()
    {
        const string wrong = "a, b = map(int, input().split())\nprint(a - b)\n";
        var submitted = await Task.WhenAll(Enumerable.Range(0, 10).Select(async i =>
            (Expected: i % 2 == 0 ? "Accepted" : "WrongAnswer", Id: await fleet.SubmitAsync("sum", "python", i % 2 == 0 ? Problems.SumPython : wrong))));

        var results = await Task.WhenAll(submitted.Select(s => fleet.WaitForVerdictAsync(s.Id)));

        Assert.Equal(submitted.Select(s => s.Expected), results.Select(r => r.GetProperty("verdict").GetString()));
        Assert.All(results, r => Assert.Equal(1, r.GetProperty("attempt").GetInt32()));
        Assert.Equal(10, results.Select(r => r.GetProperty("vmId").GetString()).Distinct().Count());
    }

    [Fact]
    public async Task The_same_judge_command_delivered_twice_is_judged_once()
    {
        var whileJudging = await fleet.SubmitAsync("sum", "python", Problems.SumPython);
        await Sender().SendAsync(whileJudging, Lane.Interactive, CancellationToken.None);
        var first = await fleet.WaitForVerdictAsync(whileJudging);

        await Sender().SendAsync(whileJudging, Lane.Interactive, CancellationToken.None);
        await WaitForEmptyQueuesAsync();
        var again = await fleet.WaitForVerdictAsync(whileJudging);

        Assert.Equal("Accepted", again.GetProperty("verdict").GetString());
        Assert.Equal(1, again.GetProperty("attempt").GetInt32());
        Assert.Equal(first.GetProperty("finishedAt").GetDateTime(), again.GetProperty("finishedAt").GetDateTime());
        Assert.Equal(first.GetProperty("vmId").GetString(), again.GetProperty("vmId").GetString());
        var rows = await fleet.WithDbAsync(db => db.TestResults.CountAsync(r => r.SubmissionId == whileJudging));
        Assert.Equal(3, rows);
        var publishes = await fleet.WithDbAsync(db => db.Submissions.Where(s => s.Id == whileJudging).Select(s => s.PublishCount).SingleAsync());
        Assert.Equal(3, publishes);
    }

    [Fact]
    public async Task A_submission_whose_command_never_reached_the_broker_is_sent_by_the_sweeper()
    {
        var id = await InsertSubmissionAsync(s =>
        {
            s.Status = SubmissionStatus.Queued;
            s.CreatedAt = DateTime.UtcNow.AddMinutes(-1);
        });

        await Sweeper().SweepAsync(CancellationToken.None);
        var result = await fleet.WaitForVerdictAsync(id);

        Assert.Equal("Accepted", result.GetProperty("verdict").GetString());
    }

    [Fact]
    public async Task The_sweeper_is_a_Hangfire_recurring_job_that_the_API_host_runs()
    {
        var id = await InsertSubmissionAsync(s =>
        {
            s.Status = SubmissionStatus.Queued;
            s.CreatedAt = DateTime.UtcNow.AddMinutes(-1);
        });
        using (var connection = fleet.Api.Services.GetRequiredService<Hangfire.JobStorage>().GetConnection())
        {
            Assert.Contains(Hangfire.Storage.StorageConnectionExtensions.GetRecurringJobs(connection), job => job.Id == SubmissionSweeper.JobId);
        }

        fleet.Api.Services.GetRequiredService<Hangfire.IRecurringJobManager>().Trigger(SubmissionSweeper.JobId);
        var result = await fleet.WaitForVerdictAsync(id);

        Assert.Equal("Accepted", result.GetProperty("verdict").GetString());
    }

    [Fact]
    public async Task A_submission_whose_workers_kept_vanishing_ends_as_an_internal_error_not_stuck()
    {
        var id = await InsertSubmissionAsync(s =>
        {
            s.Status = SubmissionStatus.Judging;
            s.Attempt = 3;
            s.WorkerId = "dead-worker";
            s.LeaseExpiresAt = DateTime.UtcNow.AddMinutes(-10);
            s.PublishedAt = DateTime.UtcNow.AddMinutes(-10);
        });

        await Sweeper().SweepAsync(CancellationToken.None);
        var result = await fleet.WaitForVerdictAsync(id);

        Assert.Equal("InternalError", result.GetProperty("verdict").GetString());
        Assert.Contains("3 attempts", result.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_calibration_whose_last_run_is_abandoned_ends_its_version_rather_than_leave_it_calibrating()
    {
        var slug = "abandoned-" + Guid.NewGuid().ToString("N")[..8];
        var (versionId, runId) = await fleet.WithDbAsync(async db =>
        {
            var admin = await db.ApiKeys.Where(k => k.Name == "alice").Select(k => k.Id).SingleAsync();
            var problem = new Problem { Id = Guid.CreateVersion7(), Slug = slug, Title = "Abandoned calibration", CreatedAt = DateTime.UtcNow };
            var version = new ProblemVersion
            {
                Id = Guid.CreateVersion7(), ProblemId = problem.Id, Number = 1, MemoryLimitBytes = 256L << 20, OutputLimitBytes = 8L << 20,
                Status = VersionStatus.Calibrating, CreatedAt = DateTime.UtcNow,
            };
            var run = new Submission
            {
                Id = Guid.CreateVersion7(), ApiKeyId = admin, ProblemId = problem.Id, ProblemVersionId = version.Id, Language = "python",
                Source = Problems.SumPython, Purpose = SubmissionPurpose.Calibration, PackagePath = "submissions/accepted/sum.py",
                Status = SubmissionStatus.Judging, Attempt = 3, WorkerId = "dead-worker", LeaseExpiresAt = DateTime.UtcNow.AddMinutes(-10),
                PublishedAt = DateTime.UtcNow.AddMinutes(-10), CreatedAt = DateTime.UtcNow.AddMinutes(-11),
            };
            db.Problems.Add(problem);
            db.ProblemVersions.Add(version);
            await db.SaveChangesAsync();
            db.Submissions.Add(run);
            await db.SaveChangesAsync();
            return (version.Id, run.Id);
        });

        await Sweeper().SweepAsync(CancellationToken.None);

        var version = await fleet.WithDbAsync(db => db.ProblemVersions.AsNoTracking().SingleAsync(v => v.Id == versionId));
        Assert.Equal(VersionStatus.Failed, version.Status);
        Assert.Contains("submissions/accepted/sum.py got InternalError", version.StatusMessage, StringComparison.Ordinal);
        var run = await fleet.WithDbAsync(db => db.Submissions.AsNoTracking().SingleAsync(s => s.Id == runId));
        Assert.Equal(SubmissionStatus.Done, run.Status);
    }

    [Fact]
    public async Task A_worker_gives_up_on_a_submission_after_the_maximum_attempts()
    {
        var id = await InsertSubmissionAsync(s =>
        {
            s.Status = SubmissionStatus.Judging;
            s.Attempt = 3;
            s.WorkerId = "dead-worker";
            s.LeaseExpiresAt = DateTime.UtcNow.AddSeconds(-1);
        });

        await Sender().SendAsync(id, Lane.Interactive, CancellationToken.None);
        var result = await fleet.WaitForVerdictAsync(id);

        Assert.Equal("InternalError", result.GetProperty("verdict").GetString());
        Assert.StartsWith("Gave up after 3 attempts", result.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(4, result.GetProperty("attempt").GetInt32());
    }

    [Fact]
    public async Task A_batch_submission_is_judged_through_the_batch_lane()
    {
        var id = await fleet.SubmitAsync("sum", "python", Problems.SumPython, priority: "batch");

        var result = await fleet.WaitForVerdictAsync(id);

        Assert.Equal("Accepted", result.GetProperty("verdict").GetString());
        Assert.Equal("batch", result.GetProperty("priority").GetString());
    }

    private JudgeCommandSender Sender() => fleet.Api.Services.GetRequiredService<JudgeCommandSender>();

    private SubmissionSweeper Sweeper() => fleet.Api.Services.CreateScope().ServiceProvider.GetRequiredService<SubmissionSweeper>();

    /// <summary>A submission row written straight to the database, as a crashed API or worker would have left it.</summary>
    private async Task<Guid> InsertSubmissionAsync(Action<Submission> state)
    {
        var problem = await fleet.Client(fleet.AdminKey).GetFromJsonAsync<JsonElement>("/api/problems/sum", FleetFixture.Json);
        return await fleet.WithDbAsync(async db =>
        {
            var alice = await db.ApiKeys.Where(k => k.Name == "alice").Select(k => k.Id).SingleAsync();
            var versionId = await db.Problems.Where(p => p.Slug == "sum").Select(p => p.CurrentVersionId!.Value).SingleAsync();
            var submission = new Submission
            {
                Id = Guid.CreateVersion7(),
                ApiKeyId = alice,
                ProblemId = problem.GetProperty("id").GetGuid(),
                ProblemVersionId = versionId,
                Language = "python",
                Source = Problems.SumPython,
                CreatedAt = DateTime.UtcNow,
            };
            state(submission);
            db.Submissions.Add(submission);
            await db.SaveChangesAsync();
            return submission.Id;
        });
    }

    /// <summary>Both lanes drained and acknowledged: every command sent so far has been consumed.</summary>
    private async Task WaitForEmptyQueuesAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (true)
        {
            var listing = await LocalServices.RunAsync("rabbitmqctl", "list_queues", "-p", fleet.VirtualHost, "--quiet", "--no-table-headers",
                "name", "messages");
            var busy = listing.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l.Split('\t', ' '))
                .Any(cols => cols[0] is "judge-interactive" or "judge-batch" && cols[^1] != "0");
            if (!busy)
            {
                return;
            }

            await Task.Delay(200, deadline.Token);
        }
    }
}
