using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Judge.Benchmarks;

/// <summary>
/// Drives a Jobe REST API (Judge's facade, or a real Jobe server: the same command measures both) as Jobe's own
/// <c>testsubmit.py --perf</c> drives one: bursts of parallel runs doubling until one fails, then steady rates for a window,
/// raised until one fails; with each language's first job of testsubmit.py. Beside those it measures what testsubmit.py
/// does not: one client's latency, the runs completed per second at each rate, and, when the server is Judge's local fleet,
/// the CPU each of its processes spent per run.
/// </summary>
public static class JobeBenchmark
{
    /// <summary>testsubmit.py's first job of each language, as it checks it.</summary>
    private static readonly Dictionary<string, (string Source, string FileName, string Stdout)> Jobs = new(StringComparer.Ordinal)
    {
        ["c"] = ("#include <stdio.h>\nint main() {\n    printf(\"Hello world\\nIsn't this fun!\\n\");\n}\n", "prog.c", "Hello world\nIsn't this fun!\n"),
        ["python3"] = ("print(\"Hello world!\")\n", "test.py", "Hello world!\n"),
        ["cpp"] = ("#include <iostream>\nusing namespace std;\nint main() {\n    cout << \"Hello world\\nIsn't this fun!\\n\";\n}\n", "prog.cpp", "Hello world\nIsn't this fun!\n"),
    };

    private const int MaxBurst = 1024;

    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "The Jobe API's base URL.", DefaultValueFactory = _ => "http://127.0.0.1:5080/jobe/index.php/restapi" };
        var languages = new Option<string[]>("--languages") { Description = "Jobe language ids.", DefaultValueFactory = _ => ["c", "python3"], AllowMultipleArgumentsPerToken = true };
        var window = new Option<int>("--window") { Description = "Seconds of each steady rate (testsubmit.py's default: 30).", DefaultValueFactory = _ => 30 };
        var latencyRuns = new Option<int>("--latency-runs") { Description = "Runs one at a time for one client's latency.", DefaultValueFactory = _ => 20 };
        var cpuRuns = new Option<int>("--cpu-runs") { Description = "C runs over which each local Judge process's CPU is summed (0: none).", DefaultValueFactory = _ => 1000 };
        var cpuClients = new Option<int>("--cpu-clients") { Description = "Clients sending those runs at once.", DefaultValueFactory = _ => 12 };
        var cpuWarmup = new Option<int>("--cpu-warmup")
        {
            Description = "C runs sent first and not counted: until the processes' code is compiled to its last tier, a run costs twice as much.",
            DefaultValueFactory = _ => 1000,
        };
        var output = new Option<FileInfo?>("--output") { Description = "Also write the Markdown report to this file." };
        var command = new Command("jobe", "Burst and sustained throughput of a Jobe API as testsubmit.py --perf measures them, one client's latency, and Judge's CPU per run.")
        {
            url, languages, window, latencyRuns, cpuRuns, cpuClients, cpuWarmup, output,
        };
        command.SetAction((parse, ct) => RunAsync(new Uri(parse.GetValue(url)!.TrimEnd('/') + "/"), parse.GetValue(languages)!, parse.GetValue(window),
            parse.GetValue(latencyRuns), parse.GetValue(cpuRuns), parse.GetValue(cpuClients), parse.GetValue(cpuWarmup), parse.GetValue(output), ct));
        return command;
    }

    private static async Task<int> RunAsync(
        Uri url, string[] languages, int window, int latencyRuns, int cpuRuns, int cpuClients, int cpuWarmup, FileInfo? output,
        CancellationToken cancellationToken)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 4096, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = url,
            Timeout = TimeSpan.FromMinutes(10),
        };
        var report = new StringBuilder();
        report.AppendLine("# Jobe API benchmark");
        report.AppendLine();
        report.AppendLine($"Command: `dotnet run -c Release --project bench/Judge.Benchmarks -- jobe --url {url} --languages {string.Join(' ', languages)} --window {window} --cpu-runs {cpuRuns} --cpu-warmup {cpuWarmup}`");
        report.AppendLine();
        report.AppendLine($"- date (UTC): {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm}; host: {Environment.ProcessorCount} CPUs ({Bench.CpuModel()})");
        report.AppendLine("- jobs: testsubmit.py's first job of each language (a hello world, compiled and run), checked as it checks them (outcome 15, the stdout)");
        report.AppendLine();
        report.AppendLine("| language | one client: min / median / max ms | max burst without a failure | best burst rate | sustained (testsubmit.py's rule) | completed/s at that rate |");
        report.AppendLine("|---|---|---|---|---|---|");
        var details = new StringBuilder();
        foreach (var language in languages)
        {
            if (!Jobs.TryGetValue(language, out var job))
            {
                throw new ArgumentException($"No job for language '{language}'; known: {string.Join(", ", Jobs.Keys)}.");
            }

            var runner = new JobRunner(http, language, job);
            Bench.Progress($"{language}: {latencyRuns} runs one at a time");
            var latency = new Samples($"{language} latency");
            for (var i = 0; i < latencyRuns; i++)
            {
                var one = await runner.RunAsync(cancellationToken);
                if (!one.Ok)
                {
                    throw new InvalidOperationException($"A single {language} run failed: {one.Problem}");
                }

                latency.Add(one.Ms);
            }

            details.AppendLine($"## {language}");
            details.AppendLine();
            var (burst, burstRate) = await BurstsAsync(runner, details, cancellationToken);
            var (sustained, completed) = await SustainedAsync(runner, Math.Max(1, (int)(burstRate * 0.5)), window, details, cancellationToken);
            report.AppendLine($"| {language} | {Samples.Ms(latency.Min)} / {Samples.Ms(latency.Median)} / {Samples.Ms(latency.Max)} | {burst} | {burstRate} jobs/s | " +
                $"**{sustained} jobs/s** | {completed.ToString("0.0", CultureInfo.InvariantCulture)} |");
        }

        report.AppendLine();
        report.Append(details);
        if (cpuRuns > 0 && ProcessCpu.JudgeIsLocal())
        {
            report.Append(await CpuPerRunAsync(new JobRunner(http, "c", Jobs["c"]), cpuRuns, cpuClients, cpuWarmup, cancellationToken));
        }

        await Bench.EmitAsync(report.ToString(), output, cancellationToken);
        return 0;
    }

    /// <summary>testsubmit.py's bursts: 1, 2, 4, … runs at once until one fails; the largest that did not, and the best rate of any.</summary>
    private static async Task<(int Burst, int Rate)> BurstsAsync(JobRunner runner, StringBuilder details, CancellationToken cancellationToken)
    {
        details.AppendLine("| runs at once | ok | elapsed s | jobs/s |");
        details.AppendLine("|---|---|---|---|");
        var best = 0;
        var size = 1;
        for (; size <= MaxBurst; size *= 2)
        {
            Bench.Progress($"{runner.Language}: {size} runs at once");
            var clock = Stopwatch.StartNew();
            var results = await Task.WhenAll(Enumerable.Range(0, size).Select(_ => runner.RunAsync(cancellationToken)));
            var seconds = clock.Elapsed.TotalSeconds;
            var ok = results.All(r => r.Ok);
            details.AppendLine($"| {size} | {(ok ? "yes" : $"no: {results.First(r => !r.Ok).Problem}")} | {seconds:0.00} | {(int)(size / seconds)} |");
            if (!ok)
            {
                break;
            }

            best = Math.Max(best, (int)(size / seconds));
        }

        details.AppendLine();
        return (size / 2, best);
    }

    /// <summary>
    /// testsubmit.py's sustained load: a run every 1/rate s for the window, all of which must succeed; the rate starts at half
    /// the best burst rate and rises by 1 (below 10) or 20% until a run fails. A server that queues without bound never fails
    /// that rule, so the runs completed per second (the last answer's time) is shown too: it is what the server kept up with.
    /// </summary>
    private static async Task<(int Rate, double Completed)> SustainedAsync(
        JobRunner runner, int start, int window, StringBuilder details, CancellationToken cancellationToken)
    {
        details.AppendLine($"Sustained, {window} s at each rate:");
        details.AppendLine();
        details.AppendLine("| rate jobs/s | runs | ok | completed/s | p50 ms | p95 ms |");
        details.AppendLine("|---|---|---|---|---|---|");
        var (best, bestCompleted) = (0, 0.0);
        for (var rate = start; ; rate = rate < 10 ? rate + 1 : (int)(rate * 1.2))
        {
            Bench.Progress($"{runner.Language}: {rate} runs/s for {window} s");
            var count = window * rate;
            var clock = Stopwatch.StartNew();
            var pending = new List<Task<JobResult>>(count);
            for (var i = 0; i < count; i++)
            {
                var due = TimeSpan.FromSeconds((double)i / rate) - clock.Elapsed;
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due, cancellationToken);
                }

                pending.Add(runner.RunAsync(cancellationToken));
            }

            var results = await Task.WhenAll(pending);
            var completed = count / clock.Elapsed.TotalSeconds;
            var latency = new Samples("sustained");
            foreach (var result in results)
            {
                latency.Add(result.Ms);
            }

            var ok = results.All(r => r.Ok);
            details.AppendLine($"| {rate} | {count} | {(ok ? "yes" : $"no ({results.Count(r => !r.Ok)} failed: {results.First(r => !r.Ok).Problem})")} | " +
                $"{completed:0.0} | {Samples.Ms(latency.Percentile(50))} | {Samples.Ms(latency.Percentile(95))} |");
            if (!ok)
            {
                details.AppendLine();
                return (best, bestCompleted);
            }

            (best, bestCompleted) = (rate, completed);
        }
    }

    /// <summary>
    /// Each local Judge process's CPU (utime + stime, /proc) over <paramref name="runs"/> C runs from <paramref name="clients"/>
    /// clients, after <paramref name="warmup"/> runs that are not counted (a long-running fleet's steady state).
    /// </summary>
    private static async Task<string> CpuPerRunAsync(JobRunner runner, int runs, int clients, int warmup, CancellationToken cancellationToken)
    {
        Bench.Progress($"CPU of Judge's processes over {runs} C runs from {clients} clients, after {warmup} not counted");
        await SendAsync(runner, Math.Max(warmup, clients), clients, cancellationToken);
        var before = ProcessCpu.Snapshot();
        var clock = Stopwatch.StartNew();
        var failed = await SendAsync(runner, runs, clients, cancellationToken);
        var seconds = clock.Elapsed.TotalSeconds;
        var after = ProcessCpu.Snapshot();
        var text = new StringBuilder();
        text.AppendLine($"## CPU per run ({runs} C hello-world runs, {clients} clients at once, {runs / seconds:0.0} runs/s, {failed} failed; {warmup} runs before not counted)");
        text.AppendLine();
        text.AppendLine("Summed over each process's user and system time (/proc/PID/stat, with the children they reaped), divided by the runs:");
        text.AppendLine();
        text.AppendLine("| process | CPU ms per run |");
        text.AppendLine("|---|---|");
        double orchestration = 0;
        foreach (var part in ProcessCpu.Parts)
        {
            var ms = (after[part] - before[part]) / runs;
            if (part != ProcessCpu.Sandbox)
            {
                orchestration += ms;
            }

            text.AppendLine($"| {part} | {ms:0.00} |");
        }

        text.AppendLine($"| **orchestration** (all but the sandboxes: API, PostgreSQL, RabbitMQ, worker) | **{orchestration:0.00}** |");
        text.AppendLine();
        return text.ToString();
    }

    private sealed record JobResult(bool Ok, double Ms, string? Problem);

    private sealed class JobRunner(HttpClient http, string language, (string Source, string FileName, string Stdout) job)
    {
        public string Language => language;

        public async Task<JobResult> RunAsync(CancellationToken cancellationToken)
        {
            var clock = Stopwatch.StartNew();
            try
            {
                using var response = await http.PostAsJsonAsync("runs/", new
                {
                    run_spec = new { language_id = language, sourcecode = job.Source, sourcefilename = job.FileName },
                }, cancellationToken);
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                if (!response.IsSuccessStatusCode)
                {
                    return new JobResult(false, clock.Elapsed.TotalMilliseconds, $"HTTP {(int)response.StatusCode}");
                }

                using var result = JsonDocument.Parse(body);
                var outcome = result.RootElement.GetProperty("outcome").GetInt32();
                var stdout = result.RootElement.GetProperty("stdout").GetString();
                return outcome == 15 && stdout == job.Stdout
                    ? new JobResult(true, clock.Elapsed.TotalMilliseconds, null)
                    : new JobResult(false, clock.Elapsed.TotalMilliseconds, $"outcome {outcome}");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
            {
                return new JobResult(false, clock.Elapsed.TotalMilliseconds, e.GetType().Name);
            }
        }
    }

    /// <summary>Sends <paramref name="runs"/> runs from <paramref name="clients"/> clients, each sending its next when the last is answered; returns how many failed.</summary>
    private static async Task<int> SendAsync(JobRunner runner, int runs, int clients, CancellationToken cancellationToken)
    {
        var next = 0;
        var failed = 0;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= runs)
            {
                if (!(await runner.RunAsync(cancellationToken)).Ok)
                {
                    Interlocked.Increment(ref failed);
                }
            }
        }));
        return failed;
    }

    /// <summary>CPU milliseconds of Judge's local processes, by part, from /proc: each process's own time, and what it reaped.</summary>
    private static class ProcessCpu
    {
        public const string Api = "API";
        public const string Worker = "worker (its own threads)";
        public const string Sandbox = "sandboxes (agents, compilers, programs)";
        public const string Postgres = "PostgreSQL";
        public const string RabbitMq = "RabbitMQ";

        public static readonly string[] Parts = [Api, Worker, Postgres, RabbitMq, Sandbox];

        private static readonly double MsPerTick = 1000.0 / 100; // USER_HZ is 100 on Linux

        public static bool JudgeIsLocal() => Processes().Any(p => p.CommandLine.Contains("Judge.Worker.dll", StringComparison.Ordinal));

        public static Dictionary<string, double> Snapshot()
        {
            var parts = Parts.ToDictionary(p => p, _ => 0.0);
            var processes = Processes();
            var workers = processes.Where(p => p.CommandLine.Contains("Judge.Worker.dll", StringComparison.Ordinal)).Select(p => p.Pid).ToHashSet();
            foreach (var p in processes)
            {
                if (p.CommandLine.Contains("Judge.Api.dll", StringComparison.Ordinal))
                {
                    parts[Api] += p.OwnTicks * MsPerTick;
                }
                else if (workers.Contains(p.Pid))
                {
                    // Sandboxes are the worker's children: when they end, their time (and their compilers') is what it reaped.
                    parts[Worker] += p.OwnTicks * MsPerTick;
                    parts[Sandbox] += p.ReapedTicks * MsPerTick;
                }
                else if (workers.Contains(p.ParentPid))
                {
                    parts[Sandbox] += (p.OwnTicks + p.ReapedTicks) * MsPerTick;
                }
                else if (p.Name == "postgres")
                {
                    // The postmaster reaps the backends that ended; the live ones count themselves.
                    parts[Postgres] += (p.OwnTicks + (processes.Any(q => q.Pid == p.ParentPid && q.Name == "postgres") ? 0 : p.ReapedTicks)) * MsPerTick;
                }
                else if (p.Name is "beam.smp" or "erl_child_setup" or "epmd" or "inet_gethost")
                {
                    parts[RabbitMq] += (p.OwnTicks + (p.Name == "beam.smp" ? p.ReapedTicks : 0)) * MsPerTick;
                }
            }

            return parts;
        }

        private sealed record ProcessTicks(int Pid, int ParentPid, string Name, string CommandLine, long OwnTicks, long ReapedTicks);

        private static List<ProcessTicks> Processes()
        {
            var all = new ConcurrentBag<ProcessTicks>();
            foreach (var directory in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(directory), out var pid))
                {
                    continue;
                }

                try
                {
                    var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                    var name = stat[(stat.IndexOf('(', StringComparison.Ordinal) + 1)..stat.LastIndexOf(')')];
                    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    var commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ');
                    all.Add(new ProcessTicks(pid, int.Parse(fields[1], CultureInfo.InvariantCulture), name, commandLine,
                        long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture),
                        long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture)));
                }
                catch (IOException)
                {
                    // It ended meanwhile: its parent reaped its time.
                }
            }

            return [.. all];
        }
    }
}
