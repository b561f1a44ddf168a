using System.Net;
using Judge.Api.Submissions;
using Judge.Data.Lifecycle;
using Judge.Data.Submissions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Judge.Fleet.IntegrationTests;

/// <summary>Integration tests: the retention job against the fleet's PostgreSQL.</summary>
[Collection(Fleet.Name)]
public sealed class RetentionTests(FleetFixture fleet)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Retention_deletes_what_ended_before_its_age_with_its_results_and_keeps_the_rest()
    {
        var old = await fleet.SubmitAsync("sum", "python", Problems.SumPython);
        var recent = await fleet.SubmitAsync("sum", "python", Problems.SumPython);
        await fleet.WaitForVerdictAsync(old);
        await fleet.WaitForVerdictAsync(recent);
        await fleet.WithDbAsync(db => db.Submissions.Where(s => s.Id == old)
            .ExecuteUpdateAsync(set => set.SetProperty(s => s.FinishedAt, DateTime.UtcNow.AddDays(-30)), Ct));
        var calibrationRuns = await fleet.WithDbAsync(db => db.Submissions.CountAsync(s => s.Purpose == SubmissionPurpose.Calibration, Ct));

        var deleted = await RunRetentionAsync(TimeSpan.FromDays(7));

        Assert.Equal(1, deleted);
        using var gone = await fleet.Client(fleet.AliceKey).GetAsync(new Uri($"/api/submissions/{old}", UriKind.Relative), Ct);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Equal(0, await fleet.WithDbAsync(db => db.TestResults.CountAsync(r => r.SubmissionId == old, Ct)));
        Assert.Equal("Accepted", (await fleet.WaitForVerdictAsync(recent)).GetProperty("verdict").GetString());
        Assert.Equal(calibrationRuns, await fleet.WithDbAsync(db => db.Submissions.CountAsync(s => s.Purpose == SubmissionPurpose.Calibration, Ct)));
        Assert.Equal(0, await RunRetentionAsync(TimeSpan.FromDays(7)));
    }

    private async Task<int> RunRetentionAsync(TimeSpan age)
    {
        await using var scope = fleet.Api.Services.CreateAsyncScope();
        var retention = new Retention(scope.ServiceProvider.GetRequiredService<SubmissionLifecycle>(),
            Options.Create(new ApiOptions { RetainFor = age }), NullLogger<Retention>.Instance);
        return await retention.DeleteExpiredAsync(Ct);
    }
}
