using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Judge.Data.Submissions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Judge.Fleet.IntegrationTests;

/// <summary>Integration tests of batches through the real API, PostgreSQL, RabbitMQ's batch lane and a worker.</summary>
[Collection(Fleet.Name)]
public sealed class BatchTests(FleetFixture fleet)
{
    private const string WrongPython = "a, b = map(int, input().split())\nprint(a - b)\n";
    private const string BrokenC = "int main(void) { return 0 }\n";
    private const string CrashingPython = "raise SystemExit(3)\n";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_batch_is_judged_in_the_batch_lane_and_its_results_come_as_json_and_as_csv()
    {
        var batch = await CreateAsync(fleet.AliceKey,
            ("alice", "python", Problems.SumPython), ("bob", "python", WrongPython), ("carol", "c", BrokenC), ("dave", "python", CrashingPython),
            ("erin, \"the\" second", "python", Problems.SumPython));

        var done = await WaitUntilDoneAsync(batch);

        Assert.Equal("done", done.GetProperty("status").GetString());
        Assert.Equal(5, done.GetProperty("total").GetInt32());
        Assert.Equal(5, done.GetProperty("byStatus").GetProperty("Done").GetInt32());
        var byVerdict = done.GetProperty("byVerdict");
        Assert.Equal(2, byVerdict.GetProperty("Accepted").GetInt32());
        Assert.Equal(1, byVerdict.GetProperty("WrongAnswer").GetInt32());
        Assert.Equal(1, byVerdict.GetProperty("CompilationError").GetInt32());
        Assert.Equal(1, byVerdict.GetProperty("RuntimeError").GetInt32());
        Assert.True(done.GetProperty("judgedPerSecond").GetDouble() > 0);
        Assert.Equal(0, done.GetProperty("etaSeconds").GetDouble());

        var expected = new Dictionary<string, string>
        {
            ["alice"] = "Accepted", ["bob"] = "WrongAnswer", ["carol"] = "CompilationError", ["dave"] = "RuntimeError", ["erin, \"the\" second"] = "Accepted",
        };
        var results = await fleet.Client(fleet.AliceKey).GetFromJsonAsync<JsonElement>($"/api/batches/{batch}/results", FleetFixture.Json, Ct);
        var rows = results.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(expected, rows.ToDictionary(r => r.GetProperty("label").GetString()!, r => r.GetProperty("verdict").GetString()!));
        var lanes = await fleet.WithDbAsync(db => db.Submissions.Where(s => s.BatchId == batch).Select(s => s.Lane).Distinct().ToListAsync());
        Assert.Equal([Lane.Batch], lanes);

        var csv = await CsvAsync(batch);
        Assert.Equal(csv, await fleet.Client(fleet.AliceKey).GetStringAsync(new Uri($"/api/batches/{batch}/results.csv", UriKind.Relative), Ct));
        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("label,submission,language,status,verdict,score,max_score,", lines[0], StringComparison.Ordinal);
        Assert.EndsWith(",max_cpu_ms,peak_memory_bytes,failing_test", lines[0], StringComparison.Ordinal);
        Assert.Equal(6, lines.Length);
        Assert.Contains(lines, l => l.StartsWith("bob,", StringComparison.Ordinal) && l.Contains(",Done,WrongAnswer,", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("\"erin, \"\"the\"\" second\",", StringComparison.Ordinal) && l.Contains(",Done,Accepted,1,1,", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_zip_of_one_file_per_student_is_a_batch_labelled_by_file_name_with_the_language_from_the_extension()
    {
        using var response = await PostZipAsync("sum",
            ("alice.py", Problems.SumPython), ("bob.c", BrokenC), ("hand-ins/carol.py", WrongPython), ("__MACOSX/hand-ins/._carol.py", "\0"), (".DS_Store", "\0"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var batch = (await response.Content.ReadFromJsonAsync<JsonElement>(FleetFixture.Json, Ct)).GetProperty("id").GetGuid();

        await WaitUntilDoneAsync(batch);
        var rows = (await fleet.Client(fleet.AliceKey).GetFromJsonAsync<JsonElement>($"/api/batches/{batch}/results", FleetFixture.Json, Ct))
            .GetProperty("items").EnumerateArray()
            .ToDictionary(r => r.GetProperty("label").GetString()!, r => (r.GetProperty("language").GetString(), r.GetProperty("verdict").GetString()));

        Assert.Equal(new Dictionary<string, (string?, string?)>
        {
            ["alice"] = ("python", "Accepted"), ["bob"] = ("c", "CompilationError"), ["carol"] = ("python", "WrongAnswer"),
        }, rows);
        // Expanded by a Hangfire job, once, and the upload is gone.
        var jobs = await fleet.WithDbAsync(db => db.Database.SqlQuery<string>(
            $"SELECT statename AS \"Value\" FROM hangfire.job WHERE invocationdata::text LIKE '%ExpandAsync%' AND arguments::text LIKE {"%" + batch + "%"}").ToListAsync());
        Assert.Equal(["Succeeded"], jobs);
        Assert.False(await fleet.WithDbAsync(db => db.BatchUploads.AnyAsync(u => u.BatchId == batch)));
    }

    [Fact]
    public async Task A_students_folder_of_several_files_is_one_multi_file_submission_labelled_by_the_folder()
    {
        using var response = await PostZipAsync("sum",
            ("dave/helper.py", "def add(a, b):\n    return a + b\n"), ("dave/dave.py", "import helper\nprint(helper.add(*map(int, input().split())))\n"),
            ("frank.py", Problems.SumPython));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var batch = (await response.Content.ReadFromJsonAsync<JsonElement>(FleetFixture.Json, Ct)).GetProperty("id").GetGuid();

        await WaitUntilDoneAsync(batch);
        var rows = (await fleet.Client(fleet.AliceKey).GetFromJsonAsync<JsonElement>($"/api/batches/{batch}/results", FleetFixture.Json, Ct))
            .GetProperty("items").EnumerateArray().ToDictionary(r => r.GetProperty("label").GetString()!, r => r.GetProperty("verdict").GetString());
        var dave = await fleet.WithDbAsync(db => db.Submissions.SingleAsync(s => s.BatchId == batch && s.Label == "dave"));

        Assert.Equal(new Dictionary<string, string?> { ["dave"] = "Accepted", ["frank"] = "Accepted" }, rows);
        Assert.Equal(["dave.py", "helper.py"], dave.Files!.Select(f => f.Name).Order());
        Assert.Equal("dave.py", dave.EntryPoint); // named like the folder
    }

    [Fact]
    public async Task A_batch_item_may_give_files_instead_of_a_source_and_bad_files_are_named_by_item()
    {
        var files = new[] { new { name = "lib.py", content = "def add(a, b):\n    return a + b\n" }, new { name = "solve.py", content = "import lib\nprint(lib.add(*map(int, input().split())))\n" } };
        using var good = await fleet.Client(fleet.AliceKey).PostAsJsonAsync("/api/batches",
            new { problem = "sum", items = new object[] { new { label = "gina", language = "python", files, entryPoint = "solve.py" } } }, Ct);
        using var bad = await fleet.Client(fleet.AliceKey).PostAsJsonAsync("/api/batches",
            new { problem = "sum", items = new object[] { new { label = "hal", language = "python", files = new[] { new { name = "../x.py", content = "" } } } } }, Ct);
        Assert.Equal(HttpStatusCode.Created, good.StatusCode);
        var batch = (await good.Content.ReadFromJsonAsync<JsonElement>(FleetFixture.Json, Ct)).GetProperty("id").GetGuid();

        var results = await WaitUntilDoneAsync(batch);

        Assert.Equal(1, results.GetProperty("byVerdict").GetProperty("Accepted").GetInt32());
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.True((await ErrorsAsync(bad)).TryGetProperty("items[0].files[0].name", out _));
    }

    [Fact]
    public async Task An_expansion_that_was_never_enqueued_is_done_by_the_recurring_job_and_running_it_again_makes_nothing_twice()
    {
        // As an API that died between the commit and the enqueue leaves it: an expanding batch with its upload.
        using var zip = new MemoryStream();
        using (var archive = new System.IO.Compression.ZipArchive(zip, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        {
            await using var entry = await archive.CreateEntry("orphan.py").OpenAsync(Ct);
            await entry.WriteAsync(System.Text.Encoding.UTF8.GetBytes(Problems.SumPython), Ct);
        }

        var batch = await fleet.WithDbAsync(async db =>
        {
            var alice = await db.ApiKeys.Where(k => k.Name == "alice").Select(k => k.Id).SingleAsync();
            var sum = await db.Problems.Where(p => p.Slug == "sum").Select(p => new { p.Id, Version = p.CurrentVersionId!.Value }).SingleAsync();
            var row = new Judge.Data.Batches.Batch
            {
                Id = Guid.CreateVersion7(), ApiKeyId = alice, ProblemId = sum.Id, ProblemVersionId = sum.Version, ItemCount = 1,
                CreatedAt = DateTime.UtcNow.AddMinutes(-5),
            };
            db.Batches.Add(row);
            await db.SaveChangesAsync();
            db.BatchUploads.Add(new Judge.Data.Batches.BatchUpload { BatchId = row.Id, Content = zip.ToArray() });
            await db.SaveChangesAsync();
            return row.Id;
        });

        await using (var scope = fleet.Api.Services.CreateAsyncScope())
        {
            var expansion = scope.ServiceProvider.GetRequiredService<Judge.Api.Batches.BatchExpansion>();
            await expansion.ExpandStaleAsync(Ct);
            await expansion.ExpandAsync(batch, Ct);
        }

        var done = await WaitUntilDoneAsync(batch);
        Assert.Equal(1, done.GetProperty("byVerdict").GetProperty("Accepted").GetInt32());
        Assert.Equal(1, await fleet.WithDbAsync(db => db.Submissions.CountAsync(s => s.BatchId == batch)));
    }

    [Fact]
    public async Task A_zip_with_a_file_of_no_known_language_is_refused_naming_the_file()
    {
        using var response = await PostZipAsync("sum", ("alice.py", Problems.SumPython), ("notes.txt", "hello"));

        Assert.True((await ErrorsAsync(response)).TryGetProperty("notes.txt", out _));
    }

    [Fact]
    public async Task A_waiting_get_of_a_batch_answers_within_100_ms_of_its_last_result()
    {
        const string slow = "import time\ntime.sleep(0.5)\na, b = map(int, input().split())\nprint(a + b)\n";
        var batch = await CreateAsync(fleet.AliceKey, ("first", "python", slow), ("second", "python", slow));

        var asked = System.Diagnostics.Stopwatch.StartNew();
        var done = await fleet.Client(fleet.AliceKey).GetFromJsonAsync<JsonElement>($"/api/batches/{batch}?wait=60", FleetFixture.Json, Ct);
        var answeredAt = DateTime.UtcNow;

        Assert.Equal("done", done.GetProperty("status").GetString());
        Assert.True(asked.Elapsed > TimeSpan.FromSeconds(1), $"answered after {asked.Elapsed}");
        var lag = answeredAt - done.GetProperty("finishedAt").GetDateTime().ToUniversalTime();
        Assert.True(lag < TimeSpan.FromMilliseconds(100), $"answered {lag.TotalMilliseconds:0} ms after the last result was written");
    }

    [Fact]
    public async Task Cancelling_a_batch_ends_what_has_not_started_and_nothing_is_judged_after()
    {
        await fleet.StopWorkerAsync();
        Guid batch;
        JsonElement cancelled;
        try
        {
            batch = await CreateAsync(fleet.AliceKey, ("a", "python", Problems.SumPython), ("b", "python", Problems.SumPython), ("c", "python", Problems.SumPython));
            using var response = await fleet.Client(fleet.AliceKey).PostAsync(new Uri($"/api/batches/{batch}/cancel", UriKind.Relative), null, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            cancelled = await response.Content.ReadFromJsonAsync<JsonElement>(FleetFixture.Json, Ct);
        }
        finally
        {
            await fleet.StartWorkerAsync();
        }

        // A cancelled submission has ended: waiting for it answers at once.
        var one = await fleet.WithDbAsync(db => db.Submissions.Where(s => s.BatchId == batch).Select(s => s.Id).FirstAsync());
        var asked = System.Diagnostics.Stopwatch.StartNew();
        var waited = await fleet.Client(fleet.AliceKey).GetFromJsonAsync<JsonElement>($"/api/submissions/{one}?wait=30", FleetFixture.Json, Ct);
        Assert.Equal("Cancelled", waited.GetProperty("status").GetString());
        Assert.True(asked.Elapsed < TimeSpan.FromSeconds(5), $"answered after {asked.Elapsed}");

        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        Assert.Equal(3, cancelled.GetProperty("byStatus").GetProperty("Cancelled").GetInt32());
        Assert.Equal(0, cancelled.GetProperty("byStatus").GetProperty("Queued").GetInt32());

        // The worker is back: the three commands still queued find their submissions final and judge nothing.
        await Task.Delay(TimeSpan.FromSeconds(3), Ct);
        var states = await fleet.WithDbAsync(db => db.Submissions.Where(s => s.BatchId == batch).Select(s => new { s.Status, s.Attempt }).ToListAsync());
        Assert.All(states, s => Assert.Equal((SubmissionStatus.Cancelled, 0), (s.Status, s.Attempt)));
    }

    [Fact]
    public async Task Another_keys_batch_is_not_found()
    {
        var batch = await CreateAsync(fleet.AliceKey, ("only", "python", Problems.SumPython));
        var bob = fleet.Client(fleet.BobKey);

        using var get = await bob.GetAsync(new Uri($"/api/batches/{batch}", UriKind.Relative), Ct);
        using var results = await bob.GetAsync(new Uri($"/api/batches/{batch}/results", UriKind.Relative), Ct);
        using var cancel = await bob.PostAsync(new Uri($"/api/batches/{batch}/cancel", UriKind.Relative), null, Ct);

        Assert.Equal([HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound], new[] { get.StatusCode, results.StatusCode, cancel.StatusCode });
        await WaitUntilDoneAsync(batch);
    }

    [Fact]
    public async Task A_rejudge_after_a_new_version_reports_exactly_the_submissions_whose_verdict_changed_and_keeps_the_originals()
    {
        var slug = "rejudge-" + Guid.NewGuid().ToString("N")[..8];
        var first = FleetFixture.Package("name: Echo\n", ("data/secret/1.in", "1\n"), ("data/secret/1.ans", "1\n"), (".timelimit", "2"));
        await fleet.CreatePackageAsync(first, slug);
        var batch = await CreateAsync(fleet.AliceKey, slug,
            ("echoes", "python", "print(input())\n"), ("always-one", "python", "print(1)\n"), ("always-two", "python", "print(2)\n"));
        await WaitUntilDoneAsync(batch);
        var before = await fleet.WithDbAsync(db => db.Submissions.AsNoTracking().Where(s => s.BatchId == batch).ToDictionaryAsync(s => s.Label!, s => (s.Verdict, s.FinishedAt)));

        // Version 2 adds a test "always-one" fails; "echoes" passes both, "always-two" fails both.
        await fleet.CreatePackageAsync([.. first, ("data/secret/2.in", "2\n"), ("data/secret/2.ans", "2\n")], slug);
        using var response = await fleet.Client(fleet.AliceKey).PostAsJsonAsync($"/api/problems/{slug}/rejudge", new { batch }, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var rejudge = (await response.Content.ReadFromJsonAsync<JsonElement>(FleetFixture.Json, Ct)).GetProperty("id").GetGuid();
        var done = await WaitUntilDoneAsync(rejudge);

        Assert.Equal("rejudge", done.GetProperty("kind").GetString());
        Assert.Equal(2, done.GetProperty("problem").GetProperty("version").GetInt32());
        var rows = (await fleet.Client(fleet.AliceKey).GetFromJsonAsync<JsonElement>($"/api/batches/{rejudge}/results", FleetFixture.Json, Ct))
            .GetProperty("items").EnumerateArray().ToDictionary(r => r.GetProperty("label").GetString()!);
        Assert.Equal(["always-one"], rows.Where(r => r.Value.GetProperty("changed").GetBoolean()).Select(r => r.Key));
        Assert.Equal(("Accepted", "WrongAnswer"), (rows["always-one"].GetProperty("originalVerdict").GetString(), rows["always-one"].GetProperty("verdict").GetString()));
        Assert.Equal(("WrongAnswer", "WrongAnswer"), (rows["always-two"].GetProperty("originalVerdict").GetString(), rows["always-two"].GetProperty("verdict").GetString()));
        var csv = await CsvAsync(rejudge);
        Assert.EndsWith(",original_submission,original_verdict,original_score,changed", csv.Split("\r\n")[0], StringComparison.Ordinal);
        Assert.Contains(csv.Split("\r\n"), l => l.StartsWith("always-one,", StringComparison.Ordinal) && l.EndsWith(",Accepted,1,yes", StringComparison.Ordinal));

        var after = await fleet.WithDbAsync(db => db.Submissions.AsNoTracking().Where(s => s.BatchId == batch).ToDictionaryAsync(s => s.Label!, s => (s.Verdict, s.FinishedAt)));
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task A_rejudge_that_matches_nothing_is_refused_naming_the_filter()
    {
        using var response = await fleet.Client(fleet.AliceKey).PostAsJsonAsync("/api/problems/sum/rejudge", new { verdict = "OutputLimitExceeded", version = 999 }, Ct);

        Assert.True((await ErrorsAsync(response)).TryGetProperty("submissions", out _));
    }

    [Fact]
    public async Task A_batch_for_a_problem_without_a_judgeable_version_is_a_conflict_as_a_submission_is()
    {
        var slug = "unready-" + Guid.NewGuid().ToString("N")[..8];
        await fleet.WithDbAsync(async db =>
        {
            db.Problems.Add(new Judge.Data.Problems.Problem { Id = Guid.CreateVersion7(), Slug = slug, Title = "Not ready", CreatedAt = DateTime.UtcNow });
            return await db.SaveChangesAsync();
        });

        using var json = await fleet.Client(fleet.AliceKey).PostAsJsonAsync("/api/batches",
            new { problem = slug, items = new[] { new { label = "a", language = "python", source = Problems.SumPython } } }, Ct);
        using var zip = await PostZipAsync(slug, ("a.py", Problems.SumPython));
        using var single = await fleet.Client(fleet.AliceKey).PostAsJsonAsync("/api/submissions", new { problem = slug, language = "python", source = Problems.SumPython }, Ct);

        Assert.Equal([HttpStatusCode.Conflict, HttpStatusCode.Conflict, HttpStatusCode.Conflict], new[] { json.StatusCode, zip.StatusCode, single.StatusCode });
    }

    [Fact]
    public async Task A_bad_batch_is_refused_naming_each_bad_item_field()
    {
        using var empty = await fleet.Client(fleet.AliceKey).PostAsJsonAsync("/api/batches", new { problem = "sum", items = Array.Empty<object>() }, Ct);
        using var bad = await fleet.Client(fleet.AliceKey).PostAsJsonAsync("/api/batches", new
        {
            problem = "sum",
            items = new object[]
            {
                new { label = "x", language = "python", source = Problems.SumPython },
                new { label = "x", language = "cobol", source = "" },
            },
        }, Ct);

        Assert.True((await ErrorsAsync(empty)).TryGetProperty("items", out _));
        var errors = await ErrorsAsync(bad);
        Assert.True(errors.TryGetProperty("items[1].label", out _), errors.ToString());
        Assert.True(errors.TryGetProperty("items[1].language", out _), errors.ToString());
        Assert.True(errors.TryGetProperty("items[1].source", out _), errors.ToString());
        Assert.False(errors.TryGetProperty("items[0].label", out _), errors.ToString());
    }

    private Task<Guid> CreateAsync(string key, params (string Label, string Language, string Source)[] items) => CreateAsync(key, "sum", items);

    private async Task<Guid> CreateAsync(string key, string problem, params (string Label, string Language, string Source)[] items)
    {
        using var response = await fleet.Client(key).PostAsJsonAsync("/api/batches",
            new { problem, items = items.Select(i => new { label = i.Label, language = i.Language, source = i.Source }) }, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(FleetFixture.Json, Ct);
        Assert.Equal($"/api/batches/{body.GetProperty("id").GetGuid()}", response.Headers.Location!.ToString());
        return body.GetProperty("id").GetGuid();
    }

    private async Task<HttpResponseMessage> PostZipAsync(string problem, params (string Path, string Content)[] files)
    {
        using var zip = new MemoryStream();
        using (var archive = new System.IO.Compression.ZipArchive(zip, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (path, content) in files)
            {
                await using var entry = await archive.CreateEntry(path).OpenAsync(Ct);
                await entry.WriteAsync(System.Text.Encoding.UTF8.GetBytes(content), Ct);
            }
        }

        using var body = new ByteArrayContent(zip.ToArray());
        body.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        return await fleet.Client(fleet.AliceKey).PostAsync(new Uri($"/api/batches?problem={problem}", UriKind.Relative), body, Ct);
    }

    private async Task<JsonElement> WaitUntilDoneAsync(Guid batch)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        while (true)
        {
            var state = await fleet.Client(fleet.AliceKey).GetFromJsonAsync<JsonElement>($"/api/batches/{batch}", FleetFixture.Json, deadline.Token);
            if (state.GetProperty("status").GetString() == "done")
            {
                return state;
            }

            await Task.Delay(200, deadline.Token);
        }
    }

    private async Task<string> CsvAsync(Guid batch)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/batches/{batch}/results");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        using var response = await fleet.Client(fleet.AliceKey).SendAsync(request, Ct);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsStringAsync(Ct);
    }

    private static async Task<JsonElement> ErrorsAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        return problem.GetProperty("errors");
    }
}
