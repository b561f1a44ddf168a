using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Judge.Client;

namespace Judge.Benchmarks;

/// <summary>
/// Fairness between the lanes: does a teacher's 2 000-submission batch make a student wait? On a fleet of its own (one
/// worker), it measures a student's POST→verdict latency, one submission a second, on the idle fleet; the batch's
/// throughput alone; then the same batch again while the student keeps submitting. The student's p95 during the batch
/// should stay within 2× of idle, and the batch should lose no throughput (within 10%) to the student's traffic.
/// </summary>
public static class BatchBenchmark
{
    private const string Problem = "bench-fairness";
    private const string Source = "a, b = map(int, input().split())\nprint(a + b)\n";
    private const string WrongSource = "a, b = map(int, input().split())\nprint(a - b)\n";
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    public static Command Create()
    {
        var size = new Option<int>("--size") { Description = "Submissions in the batch.", DefaultValueFactory = _ => 2000 };
        var idle = new Option<int>("--idle") { Description = "Interactive submissions (one a second) on the idle fleet.", DefaultValueFactory = _ => 30 };
        var slots = new Option<int>("--slots") { Description = "The worker's judging slots (Sandbox:MaxConcurrentVms).", DefaultValueFactory = _ => 2 };
        var services = new Option<FileInfo?>("--services")
        {
            Description = "The deploy/services.sh that runs PostgreSQL and RabbitMQ, to make the fleet's own database and virtual host (default: this repository's).",
        };
        var output = new Option<FileInfo?>("--output") { Description = "Also write the Markdown report to this file." };
        var command = new Command("batch", "Interactive latency during a large batch against an idle fleet, and the batch's throughput with and without that traffic.")
        {
            size, idle, slots, services, output,
        };
        command.SetAction((parse, ct) =>
        {
            var given = parse.GetValue(services)?.FullName;
            var arguments = $"--size {parse.GetValue(size)} --idle {parse.GetValue(idle)} --slots {parse.GetValue(slots)}";
            return RunAsync(parse.GetValue(size), parse.GetValue(idle), parse.GetValue(slots),
                given ?? Path.Combine(Bench.RepositoryRoot(), "deploy", "services.sh"), parse.GetValue(output), arguments, ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(int size, int idleCount, int slots, string services, FileInfo? output, string arguments, CancellationToken cancellationToken)
    {
        Bench.Progress("starting a fleet of its own (API and one worker)");
        await using var fleet = await LocalFleet.StartAsync(services, cancellationToken);
        var worker = fleet.StartWorker("bench-fairness",
        [
            "Worker__Id=bench-fairness", $"Sandbox__MaxConcurrentVms={slots}", $"Sandbox__WarmPoolSize={slots}", "Sandbox__WarmLanguages__0=python",
        ]);
        var client = fleet.Client;
        await client.CreateProblemAsync(JsonSerializer.Serialize(new
        {
            slug = Problem,
            title = "Benchmark: fairness, A plus B",
            timeLimitMs = 10_000,
            memoryLimitMb = 128,
            tests = Enumerable.Range(1, 3).Select(i => new { input = $"{i} {i * 10}\n", answer = $"{i * 11}\n" }),
        }), cancellationToken);

        Bench.Progress("warming up (the worker's first submissions)");
        for (var i = 0; i < 5; i++)
        {
            await MeasureInteractiveAsync(client, cancellationToken);
        }

        Bench.Progress($"{idleCount} interactive submissions, one a second, on the idle fleet");
        var idle = new List<double>();
        for (var i = 0; i < idleCount; i++)
        {
            var started = Stopwatch.StartNew();
            idle.Add(await MeasureInteractiveAsync(client, cancellationToken));
            await Task.Delay(Interval - started.Elapsed is { Ticks: > 0 } rest ? rest : TimeSpan.Zero, cancellationToken);
        }

        Bench.Progress($"a batch of {size}, alone");
        var alone = await JudgeBatchAsync(client, size, cancellationToken);

        Bench.Progress($"a batch of {size}, with an interactive submission every second");
        using var batchDone = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var during = new List<Task<double>>();
        var student = Task.Run(async () =>
        {
            while (!batchDone.IsCancellationRequested)
            {
                during.Add(MeasureInteractiveAsync(client, cancellationToken));
                await Task.Delay(Interval, batchDone.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }, cancellationToken);
        var shared = await JudgeBatchAsync(client, size, cancellationToken);
        await batchDone.CancelAsync();
        await student;
        var loaded = (await Task.WhenAll(during)).ToList();

        await LocalFleet.StopAsync(worker);
        var report = Report(arguments, size, slots, idle, loaded, alone, shared);
        await Bench.EmitAsync(report.Text, output, cancellationToken);
        return report.Holds ? 0 : 1;
    }

    /// <summary>POST → verdict of one interactive submission, read by ?wait= (no polling); throws if it is not Accepted.</summary>
    private static async Task<double> MeasureInteractiveAsync(JudgeClient client, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var id = await client.SubmitAsync(Problem, "python", Source, "interactive", cancellationToken);
        var result = await client.WaitForVerdictAsync(id, TimeSpan.FromMinutes(10), cancellationToken);
        var elapsed = clock.Elapsed.TotalMilliseconds;
        return result.Verdict == "Accepted" ? elapsed : throw new InvalidOperationException($"Interactive submission {id}: {result.Verdict} ({result.Error}).");
    }

    /// <summary>Uploads a class zip (every tenth solution wrong), waits until the batch is done, checks its counts; returns its throughput.</summary>
    private static async Task<BatchRun> JudgeBatchAsync(JudgeClient client, int size, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            for (var i = 0; i < size; i++)
            {
                await using var entry = new StreamWriter(archive.CreateEntry($"student{i:D4}.py").Open());
                await entry.WriteAsync(i % 10 == 0 ? WrongSource : Source);
            }
        }

        var clock = Stopwatch.StartNew();
        var batch = await client.CreateBatchAsync(Problem, buffer.ToArray(), cancellationToken);
        while (batch.Status is not ("done" or "cancelled"))
        {
            batch = await client.GetBatchAsync(batch.Id, TimeSpan.FromSeconds(30), cancellationToken);
        }

        var seconds = clock.Elapsed.TotalSeconds;
        var wrong = (size + 9) / 10;
        if (batch.ByVerdict.GetValueOrDefault("Accepted") != size - wrong || batch.ByVerdict.GetValueOrDefault("WrongAnswer") != wrong)
        {
            throw new InvalidOperationException($"Batch {batch.Id}: verdicts {string.Join(", ", batch.ByVerdict.Select(v => $"{v.Key} {v.Value}"))}, " +
                $"expected Accepted {size - wrong} and WrongAnswer {wrong}.");
        }

        return new BatchRun(size / seconds, batch.JudgedPerSecond ?? 0, seconds);
    }

    private static (string Text, bool Holds) Report(string arguments, int size, int slots, List<double> idle, List<double> loaded, BatchRun alone, BatchRun shared)
    {
        var idleSamples = Samples.Of("idle", idle);
        var loadedSamples = Samples.Of("during the batch", loaded);
        var latencyRatio = loadedSamples.Percentile(95) / idleSamples.Percentile(95);
        var throughputRatio = shared.PerSecond / alone.PerSecond;
        var holds = latencyRatio <= 2 && throughputRatio >= 0.9;
        var text = new StringBuilder();
        text.AppendLine("# Fairness benchmark: a student's submission during a class's batch");
        text.AppendLine();
        text.AppendLine($"Command: `eval \"$(deploy/services.sh env)\" && dotnet run -c Release --project bench/Judge.Benchmarks -- batch {arguments}`");
        text.AppendLine("(a fleet of its own: the API and one worker as processes, on a database and RabbitMQ virtual host of their own).");
        text.AppendLine();
        text.AppendLine($"- date (UTC): {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm}; host: {Environment.ProcessorCount} CPUs, {Bench.CpuModel()}");
        text.AppendLine($"- worker: {slots} judging slots, isolation as the worker chose it (namespaces where KVM cannot boot a guest)");
        text.AppendLine($"- workload: Python a+b, 3 tests; the batch is a zip of {size} solutions (every tenth wrong), in the batch lane; the student sends one " +
            "interactive submission a second and reads its verdict with `?wait=` (no polling); latency is POST → verdict");
        text.AppendLine();
        text.AppendLine("| interactive latency | submissions | min ms | p50 ms | p95 ms | max ms |");
        text.AppendLine("|---|---|---|---|---|---|");
        text.AppendLine(LatencyRow(idleSamples));
        text.AppendLine(LatencyRow(loadedSamples));
        text.AppendLine();
        text.AppendLine("| batch | wall s | judged /s (client: upload → done) | judged /s (API: first claim → last result) |");
        text.AppendLine("|---|---|---|---|");
        text.AppendLine(BatchRow("alone", alone));
        text.AppendLine(BatchRow("with the interactive traffic", shared));
        text.AppendLine();
        text.AppendLine($"- interactive p95 during the batch / idle p95: **{latencyRatio.ToString("0.00", CultureInfo.InvariantCulture)}×** (must be ≤ 2)");
        text.AppendLine($"- batch throughput with / without the interactive traffic: **{throughputRatio.ToString("0.000", CultureInfo.InvariantCulture)}** (must be ≥ 0.9)");
        text.AppendLine($"- {(holds ? "both hold" : "NOT MET")}");
        return (text.ToString(), holds);

        static string LatencyRow(Samples s) =>
            $"| {s.Name} | {s.Count} | {Samples.Ms(s.Min)} | {Samples.Ms(s.Median)} | {Samples.Ms(s.Percentile(95))} | {Samples.Ms(s.Max)} |";

        static string BatchRow(string name, BatchRun run) =>
            FormattableString.Invariant($"| {name} | {run.Seconds:0.0} | {run.PerSecond:0.00} | {run.ApiPerSecond:0.00} |");
    }

    private sealed record BatchRun(double PerSecond, double ApiPerSecond, double Seconds);
}
