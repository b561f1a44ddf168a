using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Judge.Fleet.IntegrationTests;

/// <summary>
/// Integration tests of waiting for a verdict without polling (<c>GET /api/submissions/{id}?wait=N</c>): the real API
/// listens on PostgreSQL for the lifecycle's announcements of finished submissions, which the real worker's result
/// write makes.
/// </summary>
[Collection(Fleet.Name)]
public sealed class WaitTests(FleetFixture fleet)
{
    private const string SecondPerTestPython = "import time\ntime.sleep(1)\na, b = map(int, input().split())\nprint(a + b)\n";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_waiting_get_answers_within_100_ms_of_the_verdict_being_written()
    {
        var id = await fleet.SubmitAsync("sum", "python", SecondPerTestPython);

        var asked = Stopwatch.StartNew();
        var result = await fleet.Client(fleet.AliceKey).GetFromJsonAsync<JsonElement>($"/api/submissions/{id}?wait=60", FleetFixture.Json, Ct);
        var answeredAt = DateTime.UtcNow;

        Assert.Equal("Done", result.GetProperty("status").GetString());
        Assert.Equal("Accepted", result.GetProperty("verdict").GetString());
        // It did wait: three tests of a second each were still to run when it asked.
        Assert.True(asked.Elapsed > TimeSpan.FromSeconds(2), $"answered after {asked.Elapsed}");
        var lag = answeredAt - result.GetProperty("finishedAt").GetDateTime().ToUniversalTime();
        Assert.True(lag < TimeSpan.FromMilliseconds(100), $"answered {lag.TotalMilliseconds:0} ms after the verdict was written");
    }

    [Fact]
    public async Task A_waiting_get_answers_with_the_state_it_finds_when_the_wait_runs_out()
    {
        await fleet.StopWorkerAsync();
        try
        {
            var id = await fleet.SubmitAsync("sum", "python", Problems.SumPython);

            var asked = Stopwatch.StartNew();
            var result = await fleet.Client(fleet.AliceKey).GetFromJsonAsync<JsonElement>($"/api/submissions/{id}?wait=1", FleetFixture.Json, Ct);

            Assert.Equal("Queued", result.GetProperty("status").GetString());
            Assert.InRange(asked.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
        }
        finally
        {
            await fleet.StartWorkerAsync();
        }
    }

    [Fact]
    public async Task Waiting_for_another_keys_submission_is_not_found_at_once()
    {
        var id = await fleet.SubmitAsync("sum", "python", SecondPerTestPython);

        var asked = Stopwatch.StartNew();
        using var response = await fleet.Client(fleet.BobKey).GetAsync(new Uri($"/api/submissions/{id}?wait=30", UriKind.Relative), Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.True(asked.Elapsed < TimeSpan.FromSeconds(2), $"answered after {asked.Elapsed}");
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("61")]
    public async Task A_wait_out_of_range_is_refused_naming_it(string wait)
    {
        using var response = await fleet.Client(fleet.AliceKey).GetAsync(new Uri($"/api/submissions/{Guid.NewGuid()}?wait={wait}", UriKind.Relative), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(problem.GetProperty("errors").TryGetProperty("wait", out _), problem.ToString());
    }
}
