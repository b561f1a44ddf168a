using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Judge.Client;

namespace Judge.Benchmarks;

/// <summary>
/// Latency and throughput of the running fleet, measured as a client sees them: from POST to the first poll
/// that sees the verdict. First one submission at a time on an idle fleet, then a burst of many at once.
/// </summary>
public static class FleetBenchmark
{
    private const string Problem = "bench-sum";
    private const string Source = "a, b = map(int, input().split())\nprint(a + b)\n";

    public static Command Create()
    {
        var api = new Option<string>("--api") { Description = "The API's base URL.", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var key = new Option<string>("--key") { Description = "An admin API key (deploy/run.sh keeps one in artifacts/data/admin.key).", Required = true };
        var sequential = new Option<int>("--sequential") { Description = "Submissions one at a time, on an idle fleet.", DefaultValueFactory = _ => 10 };
        var burst = new Option<int>("--burst") { Description = "Submissions sent at once.", DefaultValueFactory = _ => 40 };
        var output = new Option<FileInfo?>("--output") { Description = "Also write the Markdown report to this file." };
        var command = new Command("fleet", "POST-to-verdict latency (p50/p95/p99) and throughput of a running fleet, with the per-phase breakdown.")
        {
            api, key, sequential, burst, output,
        };
        command.SetAction((parse, ct) => RunAsync(new Uri(parse.GetValue(api)!), parse.GetValue(key)!, parse.GetValue(sequential), parse.GetValue(burst),
            parse.GetValue(output), ct));
        return command;
    }

    private static async Task<int> RunAsync(Uri api, string key, int sequential, int burst, FileInfo? output, CancellationToken cancellationToken)
    {
        var client = JudgeClient.Create(api, key);
        await client.CreateProblemAsync(JsonSerializer.Serialize(new
        {
            slug = Problem,
            title = "Benchmark: A plus B",
            timeLimitMs = 10_000,
            memoryLimitMb = 128,
            tests = Enumerable.Range(1, 3).Select(i => new { input = $"{i} {i * 10}\n", answer = $"{i * 11}\n" }),
        }), cancellationToken);

        Bench.Progress($"{sequential} submissions one at a time");
        var idle = new List<Measured>();
        for (var i = 0; i < sequential; i++)
        {
            idle.Add(await MeasureAsync(client, Stopwatch.StartNew(), cancellationToken));
        }

        Bench.Progress($"{burst} submissions at once");
        var clock = Stopwatch.StartNew();
        var loaded = await Task.WhenAll(Enumerable.Range(0, burst).Select(_ => MeasureAsync(client, Stopwatch.StartNew(), cancellationToken)));
        var burstSeconds = clock.Elapsed.TotalSeconds;

        await Bench.EmitAsync(Report(api, sequential, burst, idle, loaded, burstSeconds), output, cancellationToken);

        return idle.Concat(loaded).All(m => m.Result.Verdict == "Accepted") ? 0 : 1;
    }

    private static async Task<Measured> MeasureAsync(JudgeClient client, Stopwatch clock, CancellationToken cancellationToken)
    {
        var id = await client.SubmitAsync(Problem, "python", Source, "interactive", cancellationToken);
        var result = await client.WaitAsync(id, TimeSpan.FromMinutes(30), cancellationToken, poll: TimeSpan.FromMilliseconds(50));
        return new Measured(clock.Elapsed.TotalMilliseconds, result);
    }

    private static string Report(Uri api, int sequential, int burst, List<Measured> idle, Measured[] loaded, double burstSeconds)
    {
        var all = idle.Concat(loaded).ToList();
        var text = new StringBuilder();
        text.AppendLine("# Fleet benchmark");
        text.AppendLine();
        text.AppendLine($"Command: `dotnet run -c Release --project bench/Judge.Benchmarks -- fleet --key $(cat artifacts/data/admin.key) --sequential {sequential} --burst {burst}`");
        text.AppendLine("against the fleet `deploy/run.sh` leaves running (one worker).");
        text.AppendLine();
        text.AppendLine($"- date (UTC): {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm}; API {api}");
        text.AppendLine($"- isolation: **{all[0].Result.Isolation}**; host: {Environment.ProcessorCount} CPUs; workers: {string.Join(", ", all.Select(m => m.Result.Worker).Distinct())}");
        text.AppendLine("- workload: Python a+b, 3 tests, no compile step; latency = POST until a poll (every 50 ms) sees the verdict");
        text.AppendLine($"- verdicts: {all.Count(m => m.Result.Verdict == "Accepted")} of {all.Count} Accepted");
        text.AppendLine();
        text.AppendLine("| run | submissions | p50 ms | p95 ms | p99 ms | min ms | max ms | throughput |");
        text.AppendLine("|---|---|---|---|---|---|---|---|");
        text.AppendLine(Row("one at a time (idle fleet)", idle, null));
        text.AppendLine(Row($"{burst} at once", loaded, loaded.Length / burstSeconds));
        text.AppendLine();
        text.AppendLine("Where the time went (server-side timings of each submission, median / mean ms):");
        text.AppendLine();
        text.AppendLine("| run | queue | setup | boot | compile | execute | total judging | warm pool hits |");
        text.AppendLine("|---|---|---|---|---|---|---|---|");
        text.AppendLine(Phases("one at a time", idle));
        text.AppendLine(Phases($"{burst} at once", loaded));
        return text.ToString();
    }

    private static string Row(string name, IReadOnlyCollection<Measured> runs, double? throughput)
    {
        var latency = new Samples(name);
        foreach (var run in runs)
        {
            latency.Add(run.LatencyMs);
        }

        return $"| {name} | {runs.Count} | {Samples.Ms(latency.Percentile(50))} | {Samples.Ms(latency.Percentile(95))} | {Samples.Ms(latency.Percentile(99))} | " +
            $"{Samples.Ms(latency.Min)} | {Samples.Ms(latency.Max)} | {(throughput is { } t ? t.ToString("0.00", CultureInfo.InvariantCulture) + " /s" : "-")} |";
    }

    private static string Phases(string name, IReadOnlyCollection<Measured> runs)
    {
        string Phase(Func<TimingsDto, int?> pick)
        {
            var samples = new Samples(name);
            foreach (var value in runs.Select(r => pick(r.Result.Timings)).OfType<int>())
            {
                samples.Add(value);
            }

            return samples.Count == 0 ? "-" : $"{Samples.Ms(samples.Median)} / {Samples.Ms(samples.Mean)}";
        }

        var hits = runs.Count(r => r.Result.Timings.WarmPoolHit == true);
        return $"| {name} | {Phase(t => t.QueueMs)} | {Phase(t => t.SetupMs)} | {Phase(t => t.BootMs)} | {Phase(t => t.CompileMs)} | " +
            $"{Phase(t => t.ExecuteMs)} | {Phase(t => t.TotalMs)} | {hits} of {runs.Count} |";
    }

    private sealed record Measured(double LatencyMs, SubmissionDto Result);
}
