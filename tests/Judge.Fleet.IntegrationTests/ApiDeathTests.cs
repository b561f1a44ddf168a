using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Judge.Data;
using Judge.Data.Keys;
using Judge.Data.Submissions;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Judge.Fleet.IntegrationTests;

/// <summary>
/// Integration test: an API process killed outright (SIGKILL) while its Hangfire server expands a zip batch. The job was
/// taken but never finished; the API started again takes it over (or the stale-expansion job does), and every file of
/// the zip becomes exactly one submission, judged exactly once.
/// </summary>
[Collection(Fleet.Name)]
public sealed class ApiDeathTests(FleetFixture fleet)
{
    private const int Students = 300;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_API_killed_mid_expansion_and_started_again_finishes_the_batch_with_every_submission_exactly_once()
    {
        // A fleet of its own: the fixture's API runs a Hangfire server too, which must not take the job from the doomed one.
        var settings = await fleet.CreateSeparateFleetAsync("apideath");
        settings["Api:SweepSchedule"] = "*/2 * * * * *";
        var address = new Uri($"http://127.0.0.1:{FreePort()}");
        var doomed = FleetFixture.StartApiProcess(address, settings);
        using var worker = fleet.StartWorkerProcess("apideath-worker", TimeSpan.FromSeconds(30), settings);
        Process? restarted = null;
        try
        {
            await WaitUntilReadyAsync(address);
            var (admin, alice) = await CreateKeysAsync(settings);
            using var asAdmin = Client(address, admin);
            using var asAlice = Client(address, alice);
            using (var problem = await asAdmin.PostAsJsonAsync("/api/problems", Problems.Hello, FleetFixture.Json, Ct))
            {
                Assert.Equal(HttpStatusCode.Created, problem.StatusCode);
            }

            // Every fifth student prints the wrong thing: the verdicts show each submission was judged on its own source.
            var expected = Enumerable.Range(0, Students).ToDictionary(i => $"student{i:D3}", i => i % 5 == 0 ? "WrongAnswer" : "Accepted");
            using var body = new ByteArrayContent(Zip(expected));
            body.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/zip");
            using var created = await asAlice.PostAsync(new Uri("/api/batches?problem=hello", UriKind.Relative), body, Ct);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var batchId = (await created.Content.ReadFromJsonAsync<JsonElement>(FleetFixture.Json, Ct)).GetProperty("id").GetGuid();

            await using var jobs = NpgsqlDataSource.Create(settings["ConnectionStrings:Judge"]!);
            await WaitForExpansionStateAsync(jobs, "Processing", TimeSpan.FromMinutes(1));
            doomed.Kill(entireProcessTree: true);
            await doomed.WaitForExitAsync(Ct);
            Assert.Equal("Processing", await ExpansionStateAsync(jobs)); // killed mid-job: Hangfire never saw it end
            await using (var atKill = Context(settings))
            {
                // Either the transaction making the submissions had not committed, or some commands were not yet sent.
                TestContext.Current.TestOutputHelper?.WriteLine(
                    $"Killed with {await atKill.Submissions.CountAsync(s => s.BatchId == batchId, Ct)} submissions made, " +
                    $"{await atKill.Submissions.CountAsync(s => s.BatchId == batchId && s.PublishedAt != null, Ct)} sent.");
            }

            restarted = FleetFixture.StartApiProcess(address, settings);
            await WaitUntilReadyAsync(address);
            await WaitForBatchDoneAsync(asAlice, batchId);
            // The job the dead API held is taken again once its invisibility runs out; it must find its work done.
            await WaitForExpansionStateAsync(jobs, "Succeeded", TimeSpan.FromMinutes(3));

            await using var db = Context(settings);
            var rows = await db.Submissions.AsNoTracking().Where(s => s.BatchId == batchId)
                .Select(s => new { s.Label, s.Status, s.Verdict, s.Attempt, Tests = s.TestResults.Count() }).ToListAsync(Ct);
            Assert.Equal(Students, rows.Count);
            Assert.Equal(expected, rows.ToDictionary(r => r.Label!, r => r.Verdict?.ToString() ?? "none"));
            Assert.All(rows, r =>
            {
                Assert.Equal(SubmissionStatus.Done, r.Status);
                Assert.Equal(1, r.Attempt);
                Assert.Equal(1, r.Tests);
            });
            Assert.False(await db.BatchUploads.AnyAsync(u => u.BatchId == batchId, Ct));
        }
        finally
        {
            foreach (var process in new[] { doomed, restarted, worker }.OfType<Process>().Where(p => !p.HasExited))
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }

            doomed.Dispose();
            restarted?.Dispose();
        }
    }

    private static byte[] Zip(IReadOnlyDictionary<string, string> expected)
    {
        using var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (label, verdict) in expected)
            {
                using var entry = new StreamWriter(archive.CreateEntry($"{label}.py").Open());
                entry.Write(verdict == "Accepted" ? "print('Hello, World!')\n" : $"print('Hello, {label}!')\n");
            }
        }

        return buffer.ToArray();
    }

    private static async Task WaitForExpansionStateAsync(NpgsqlDataSource jobs, string state, TimeSpan timeout)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(timeout);
        while (await ExpansionStateAsync(jobs) != state)
        {
            await Task.Delay(state == "Processing" ? 2 : 200, deadline.Token); // the first is brief: catch it while it lasts
        }
    }

    private static async Task<string?> ExpansionStateAsync(NpgsqlDataSource jobs)
    {
        await using var command = jobs.CreateCommand(
            "SELECT statename FROM hangfire.job WHERE invocationdata::text LIKE '%ExpandAsync%' ORDER BY id LIMIT 1");
        return await command.ExecuteScalarAsync(Ct) as string;
    }

    private static async Task WaitForBatchDoneAsync(HttpClient api, Guid batchId)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromMinutes(6));
        while (true)
        {
            using var response = await api.GetAsync(new Uri($"/api/batches/{batchId}?wait=60", UriKind.Relative), deadline.Token);
            if (response.IsSuccessStatusCode
                && (await response.Content.ReadFromJsonAsync<JsonElement>(FleetFixture.Json, deadline.Token)).GetProperty("status").GetString() == "done")
            {
                return;
            }
        }
    }

    private static async Task WaitUntilReadyAsync(Uri address)
    {
        using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(5) };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(90));
        while (true)
        {
            try
            {
                using var response = await client.GetAsync(new Uri("/healthz", UriKind.Relative), deadline.Token);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(200, deadline.Token);
        }
    }

    private static async Task<(string Admin, string Alice)> CreateKeysAsync(IReadOnlyDictionary<string, string?> settings)
    {
        await using var db = Context(settings);
        var (admin, adminRow) = ApiKey.Create("admin", isAdmin: true);
        var (alice, aliceRow) = ApiKey.Create("alice", isAdmin: false);
        db.ApiKeys.AddRange(adminRow, aliceRow);
        await db.SaveChangesAsync(Ct);
        return (admin, alice);
    }

    private static JudgeDbContext Context(IReadOnlyDictionary<string, string?> settings) =>
        new(new DbContextOptionsBuilder<JudgeDbContext>().UseNpgsql(settings["ConnectionStrings:Judge"]).Options);

    private static HttpClient Client(Uri address, string key)
    {
        var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(70) };
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
