using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Judge.Client;
using Judge.Grading.Languages;
using Judge.Grading.Packages;
using Judge.Grading.Runs;
using Judge.Sandbox;
using Judge.Sandbox.Qemu;
using Judge.Sandbox.Running;
using Judge.Sandbox.Settings;
using Judge.Sandbox.Vms;
using Microsoft.Extensions.Logging;

namespace Judge.Benchmarks;

/// <summary>
/// Native, namespace sandboxes and VMs side by side, in one run on one host: the same fixed programs (hello worlds, a
/// CPU-bound loop) run directly, in a namespace sandbox and in a VM (KVM or TCG, whichever this host gives), interleaved
/// run by run; then a 50-test submission judged through the whole fleet by a worker of each isolation in turn. Reports
/// each one's ratio to native, the time it adds per test, and the spread of CPU time, against the project's targets.
/// </summary>
public static class IsolationBenchmark
{
    private const int WarmUps = 2;
    private const int FleetTests = 50;
    private const double OverheadTargetMs = 10;
    private const double CvTargetRatio = 1.5;
    private const string Problem = "isolation-sum";
    private const string FleetWorkload = "50-test C submission through the fleet, per test";

    private const string LoopSource = """
        #include <stdint.h>
        #include <stdio.h>

        /* ~0.5 s natively: xorshift64, a serial chain of integer operations; no memory traffic, no system calls. */
        int main(void)
        {
            uint64_t x = 88172645463325252ULL;
            for (long i = 0; i < 300000000L; i++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
            }
            printf("%llu\n", (unsigned long long)x);
            return 0;
        }
        """;

    private const string SumSource = """
        #include <stdio.h>

        int main(void)
        {
            long long a, b;
            if (scanf("%lld %lld", &a, &b) != 2)
                return 1;
            printf("%lld\n", a + b);
            return 0;
        }
        """;

    /// <summary>A test's limits as the worker sets them (SubmissionJudge), with room for the loop under TCG.</summary>
    private static readonly ResourceLimits Limits = new()
    {
        CpuTime = TimeSpan.FromSeconds(30),
        MemoryBytes = 256L << 20,
        MaxProcesses = 64,
        OutputBytes = 64 << 10,
        FileSizeBytes = 64 << 10,
    };

    /// <summary>
    /// The C hello world twice: run after run, as a judge runs tiny tests; and with a pause before each run, as a judge
    /// runs the test after one that took a while (moving a process into a cgroup can cost an RCU grace period when no
    /// other move happened just before: see docs/benchmarks/isolation.md).
    /// </summary>
    private static readonly Workload[] Workloads =
    [
        new("c-hello", "C hello world (static, gcc -O2), run only", LanguageRegistry.C, LanguageRegistry.C.HelloWorld, TimeSpan.Zero),
        new("c-hello-paused", "C hello world, each run 100 ms after the previous one", LanguageRegistry.C, LanguageRegistry.C.HelloWorld, TimeSpan.FromMilliseconds(100)),
        new("python-hello", "Python hello world", LanguageRegistry.Python, LanguageRegistry.Python.HelloWorld, TimeSpan.Zero),
        new("c-loop", "C CPU loop (~0.5 s of integer work)", LanguageRegistry.C, LoopSource, TimeSpan.Zero),
    ];

    public static Command Create()
    {
        var runs = new Option<int>("--runs") { Description = "Timed runs of each measurement (for the fleet: submissions per isolation).", DefaultValueFactory = _ => 20 };
        var skipVm = new Option<bool>("--skip-vm") { Description = "Native and namespaces only: a quick run (VMs under TCG are slow)." };
        var services = new Option<FileInfo?>("--services")
        {
            Description = "The deploy/services.sh that runs PostgreSQL and RabbitMQ, to make the fleet's own database and virtual host (default: this repository's).",
        };
        var output = new Option<FileInfo?>("--output") { Description = "Also write the Markdown report to this file." };
        var command = new Command("isolation",
            "Hello worlds, a CPU-bound loop and a 50-test submission through the fleet: natively, in namespace sandboxes and in VMs, side by side.")
        {
            runs, skipVm, services, output,
        };
        command.SetAction((parse, ct) =>
        {
            var given = parse.GetValue(services)?.FullName;
            var arguments = $"--runs {parse.GetValue(runs)}{(parse.GetValue(skipVm) ? " --skip-vm" : "")}{(given is null ? "" : $" --services {given}")}";
            return RunAsync(parse.GetValue(runs), parse.GetValue(skipVm), given ?? Path.Combine(Bench.RepositoryRoot(), "deploy", "services.sh"),
                parse.GetValue(output), arguments, ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(int runs, bool skipVm, string services, FileInfo? output, string arguments, CancellationToken cancellationToken)
    {
        if (Environment.GetEnvironmentVariable("ConnectionStrings__Judge") is null)
        {
            await Console.Error.WriteLineAsync("The fleet part needs PostgreSQL and RabbitMQ: run deploy/services.sh start, then eval \"$(deploy/services.sh env)\".");
            return 2;
        }

        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        var work = Directory.CreateTempSubdirectory("judge-isolation-");
        try
        {
            var environment = await HostEnvironment.ReadAsync(cancellationToken);
            var launchers = new List<Launcher> { new("native", null, null, null) };
            var rows = new List<Row>();
            try
            {
                IsolationMode[] modes = skipVm ? [IsolationMode.Namespace] : [IsolationMode.Namespace, IsolationMode.Vm];
                foreach (var mode in modes)
                {
                    Bench.Progress($"starting {mode} sandboxes");
                    var sandbox = await StartSandboxAsync(mode, loggerFactory, cancellationToken);
                    var choice = sandbox.Isolation;
                    launchers.Add(new Launcher(mode == IsolationMode.Vm ? $"VM ({choice.Isolation.ToString().ToUpperInvariant()})" : "namespace", mode, sandbox, choice));
                    environment.Describe(sandbox);
                }

                foreach (var workload in Workloads)
                {
                    rows.AddRange(await MeasureAsync(workload, launchers, runs, work.FullName, cancellationToken));
                }
            }
            finally
            {
                foreach (var sandbox in launchers.Select(l => l.Sandbox).OfType<SandboxRunner>())
                {
                    await sandbox.DisposeAsync();
                }
            }

            var fleet = new List<FleetSummary>();
            rows.AddRange(await FleetAsync(launchers, services, runs, work.FullName, fleet, cancellationToken));
            await Bench.EmitAsync(Report(runs, arguments, environment, launchers, rows, fleet), output, cancellationToken);
            return 0;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static async Task<SandboxRunner> StartSandboxAsync(IsolationMode mode, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var options = new SandboxOptions
        {
            Isolation = mode,
            MaxConcurrentVms = 2,
            WarmPoolSize = 1,
            WarmLanguages = { LanguageRegistry.C.Id, LanguageRegistry.Python.Id },
            HealthCheckInterval = TimeSpan.FromHours(1),
            CalibrateSpeed = false, // what is measured here is the sandbox itself, not limits
        };
        var sandbox = new SandboxRunner(Microsoft.Extensions.Options.Options.Create(options), loggerFactory);
        try
        {
            await sandbox.StartAsync(cancellationToken);
            await sandbox.WhenWarmAsync();
            return sandbox;
        }
        catch
        {
            await sandbox.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// One workload under every launcher: compiled once per launcher (untimed), then run in turns (native, namespace,
    /// VM, native, …) so that whatever else loads this host falls on all of them alike; warm-up runs are not counted.
    /// </summary>
    private static async Task<List<Row>> MeasureAsync(Workload workload, IReadOnlyList<Launcher> launchers, int runs, string work, CancellationToken cancellationToken)
    {
        Bench.Progress(workload.Name);
        var nativeArgv = await CompileNativeAsync(workload.Language, workload.Source, Path.Combine(work, workload.Id), cancellationToken);
        var sessions = new SandboxSession?[launchers.Count];
        try
        {
            for (var l = 0; l < launchers.Count; l++)
            {
                if (launchers[l].Sandbox is { } sandbox)
                {
                    sessions[l] = await OpenAsync(sandbox, workload.Language, workload.Source, cancellationToken);
                }
            }

            // Each checkout started a pool refill: let it finish, so that nothing but the measured runs is going on.
            foreach (var sandbox in launchers.Select(l => l.Sandbox).OfType<SandboxRunner>())
            {
                await sandbox.WhenWarmAsync();
            }

            var rows = launchers.Select(l => new Row(workload.Name, l)).ToList();
            string? expected = null;
            for (var i = -WarmUps; i < runs; i++)
            {
                for (var l = 0; l < launchers.Count; l++)
                {
                    await Task.Delay(workload.Pause, cancellationToken);
                    var run = await RunOnceAsync(sessions[l], nativeArgv, null, cancellationToken);
                    expected ??= run.Stdout;
                    if (run.Stdout != expected)
                    {
                        throw new InvalidOperationException($"{workload.Name} printed '{run.Stdout.Trim()}' under {launchers[l].Name}, '{expected.Trim()}' under {launchers[0].Name}.");
                    }

                    if (i >= 0)
                    {
                        rows[l].Add(run);
                    }
                }
            }

            return rows;
        }
        finally
        {
            foreach (var session in sessions.OfType<SandboxSession>())
            {
                await session.DisposeAsync();
            }
        }
    }

    /// <summary>Writes the source into <paramref name="directory"/>, compiles it there as the sandbox would, and returns the native run command.</summary>
    private static async Task<string[]> CompileNativeAsync(Language language, string source, string directory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, language.SourceFileName), source, cancellationToken);
        if (language.CompileCommand is { } compile)
        {
            await NativeProcess.RunAsync(NativeProcess.Command(compile, directory), null, cancellationToken);
        }

        return NativeProcess.Command(language.RunCommandFor(Limits), directory);
    }

    private static async Task<SandboxSession> OpenAsync(SandboxRunner sandbox, Language language, string source, CancellationToken cancellationToken)
    {
        var session = await sandbox.OpenSessionAsync(language.Id, cancellationToken);
        await session.WriteSourceAsync(source, cancellationToken);
        if (await session.CompileAsync(cancellationToken) is { Succeeded: false } compile)
        {
            await session.DisposeAsync();
            throw new InvalidOperationException($"The {language.Id} source does not compile in a {sandbox.Isolation.Isolation} sandbox: {compile.StderrText}");
        }

        return session;
    }

    /// <summary>
    /// One run natively (<paramref name="session"/> null) or in the session. In a sandbox, wall time is the host's round
    /// trip of the RUN request (what a judge pays per test), after an agent ping timed on its own (the bare round trip).
    /// </summary>
    private static async Task<Run> RunOnceAsync(SandboxSession? session, string[] nativeArgv, string? stdin, CancellationToken cancellationToken)
    {
        if (session is null)
        {
            var native = await NativeProcess.RunAsync(nativeArgv, stdin, cancellationToken);
            return new Run(native.WallMs, native.CpuMs, native.Stdout, null, null);
        }

        var ping = Stopwatch.StartNew();
        if (!await session.Vm.PingAsync(TimeSpan.FromSeconds(30), cancellationToken))
        {
            throw new InvalidOperationException($"Sandbox {session.VmId} did not answer a ping.");
        }

        var pingMs = ping.Elapsed.TotalMilliseconds;
        var clock = Stopwatch.StartNew();
        var result = await session.RunProgramAsync(stdin is null ? null : Encoding.UTF8.GetBytes(stdin), Limits, null, cancellationToken);
        var wallMs = clock.Elapsed.TotalMilliseconds;
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"A run in {session.Isolation} sandbox {session.VmId} failed: exit {result.ExitCode}, signal {result.Signal}, " +
                $"limit {result.LimitExceeded}: {result.StderrText}");
        }

        return new Run(wallMs, result.CpuMs, result.StdoutText, result, pingMs);
    }

    /// <summary>
    /// The solution run natively on the 50 inputs, then judged through the fleet (API → RabbitMQ → worker → PostgreSQL →
    /// API) by one worker process per isolation, one after the other, each stopped before the next starts.
    /// </summary>
    private static async Task<List<Row>> FleetAsync(
        IReadOnlyList<Launcher> launchers, string services, int runs, string work, List<FleetSummary> summaries, CancellationToken cancellationToken)
    {
        var package = Path.Combine(work, "package");
        var tests = WritePackage(package);
        Bench.Progress($"fleet: native baseline, the solution run on the {FleetTests} inputs directly");
        var argv = await CompileNativeAsync(LanguageRegistry.C, SumSource, Path.Combine(work, "sum"), cancellationToken);
        var native = new Row(FleetWorkload, launchers[0]);
        for (var i = -WarmUps; i < runs; i++)
        {
            double wall = 0, cpu = 0;
            foreach (var (input, answer) in tests)
            {
                var run = await RunOnceAsync(null, argv, input, cancellationToken);
                if (run.Stdout != answer)
                {
                    throw new InvalidOperationException($"The sum solution printed '{run.Stdout.Trim()}' for '{input.Trim()}', not '{answer.Trim()}'.");
                }

                wall += run.WallMs;
                cpu += run.CpuMs;
            }

            if (i >= 0)
            {
                native.Add(wall / FleetTests, cpu / FleetTests, null);
            }
        }

        var rows = new List<Row> { native };
        Bench.Progress("fleet: starting the API on a database and RabbitMQ virtual host of its own");
        await using var fleet = await LocalFleet.StartAsync(services, cancellationToken);
        var problem = await fleet.Client.ImportPackageAsync(PackageFiles.FromDirectory(package).ToZip(), Problem, cancellationToken);
        if (problem.TestCount != FleetTests)
        {
            throw new InvalidOperationException($"The imported problem has {problem.TestCount} tests, not {FleetTests}.");
        }

        foreach (var launcher in launchers.Where(l => l.Mode is not null))
        {
            Bench.Progress($"fleet: {runs} submissions judged by a {launcher.Name} worker");
            var (row, summary) = await JudgeAsync(fleet, launcher, runs, cancellationToken);
            rows.Add(row);
            summaries.Add(summary);
        }

        return rows;
    }

    /// <summary>A Kattis package (legacy format, 5 s time limit) with 50 secret tests of "a b → a+b"; returns the tests.</summary>
    private static List<(string Input, string Answer)> WritePackage(string directory)
    {
        var secret = Directory.CreateDirectory(Path.Combine(directory, "data", "secret")).FullName;
        File.WriteAllText(Path.Combine(directory, "problem.yaml"), "name: Isolation benchmark, A plus B\ntype: pass-fail\nvalidation: default\nlimits:\n  memory: 256\n");
        File.WriteAllText(Path.Combine(directory, ".timelimit"), "5\n");
        var tests = new List<(string, string)>();
        for (var i = 1; i <= FleetTests; i++)
        {
            long a = i * 7919L % 2_000_001 - 1_000_000, b = i * 104_729L % 2_000_000_001 - 1_000_000_000;
            var (input, answer) = (FormattableString.Invariant($"{a} {b}\n"), FormattableString.Invariant($"{a + b}\n"));
            File.WriteAllText(Path.Combine(secret, $"{i:00}.in"), input);
            File.WriteAllText(Path.Combine(secret, $"{i:00}.ans"), answer);
            tests.Add((input, answer));
        }

        return tests;
    }

    /// <summary>Starts a worker of the launcher's isolation, judges one untimed and <paramref name="runs"/> timed submissions one at a time, stops it.</summary>
    private static async Task<(Row, FleetSummary)> JudgeAsync(LocalFleet fleet, Launcher launcher, int runs, CancellationToken cancellationToken)
    {
        var id = $"bench-{launcher.Mode.ToString()!.ToLowerInvariant()}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
        var worker = fleet.StartWorker(id,
        [
            $"Worker__Id={id}", $"Sandbox__Isolation={launcher.Mode}", "Sandbox__MaxConcurrentVms=2", "Sandbox__WarmPoolSize=1",
            $"Sandbox__WarmLanguages__0={LanguageRegistry.C.Id}",
        ]);
        var row = new Row(FleetWorkload, launcher);
        var summary = new FleetSummary(launcher.Name);
        try
        {
            for (var i = -1; i < runs; i++) // the untimed first one also waits for the worker to start
            {
                var clock = Stopwatch.StartNew();
                var submission = await fleet.Client.SubmitAsync(Problem, LanguageRegistry.C.Id, SumSource, "interactive", cancellationToken);
                var result = await WaitAsync(fleet.Client, submission, worker, cancellationToken);
                var latency = clock.Elapsed.TotalMilliseconds;
                if (result.Verdict != "Accepted" || result.Tests?.Count != FleetTests || result.Timings.ExecuteMs is not { } executeMs)
                {
                    throw new InvalidOperationException($"Submission {submission}: {result.Verdict} after {result.Tests?.Count} tests ({result.Error}).");
                }

                if (result.Worker != id || result.Isolation != launcher.Choice!.Isolation.ToString())
                {
                    throw new InvalidOperationException($"Submission {submission} was judged by {result.Worker} under {result.Isolation}, not by {id} under {launcher.Choice!.Isolation}.");
                }

                if (i >= 0)
                {
                    row.Add((double)executeMs / FleetTests, result.Tests.Average(t => t.CpuMs), result.Tests.Average(t => t.WallMs));
                    summary.Add(result.Timings, latency);
                }
            }
        }
        finally
        {
            await LocalFleet.StopAsync(worker);
        }

        return (row, summary);
    }

    /// <summary>Polls until the submission is judged; fails at once, with its log, if the worker dies meanwhile.</summary>
    private static async Task<SubmissionDto> WaitAsync(JudgeClient client, Guid id, FleetProcess worker, CancellationToken cancellationToken)
    {
        using var died = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        async Task WatchAsync()
        {
            try
            {
                await worker.Process.WaitForExitAsync(died.Token);
                await died.CancelAsync();
            }
            catch (OperationCanceledException)
            {
            }
        }

        var watch = WatchAsync();
        try
        {
            return await client.WaitAsync(id, TimeSpan.FromMinutes(10), died.Token, poll: TimeSpan.FromMilliseconds(50));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && worker.Process.HasExited)
        {
            throw new InvalidOperationException($"Worker {worker.Name} {worker.Process.Ending} before judging submission {id}: {worker.Stderr}");
        }
        finally
        {
            await died.CancelAsync();
            await watch;
        }
    }

    private static string Report(int runs, string arguments, HostEnvironment environment, IReadOnlyList<Launcher> launchers, List<Row> rows, List<FleetSummary> fleet)
    {
        var text = new StringBuilder();
        text.AppendLine("# Isolation benchmark: native, namespace sandboxes, VMs");
        text.AppendLine();
        text.AppendLine($"Command: `dotnet run -c Release --project bench/Judge.Benchmarks -- isolation {arguments}`, " +
            "with PostgreSQL and RabbitMQ running (`deploy/services.sh start`) and their settings in the environment (`eval \"$(deploy/services.sh env)\"`).");
        text.AppendLine();
        environment.Write(text);
        text.AppendLine(
            $"- method: {runs} timed runs per measurement after {WarmUps} untimed ones; native, namespace and VM runs take turns. Native: the same " +
            "program run directly (C compiled with the same gcc -O2 -static), wall = start to reaped exit of the process, CPU = getrusage(RUSAGE_CHILDREN) " +
            "around it. Sandbox: one session per workload (compiled once), test limits as the worker sets them; wall = host-side round trip of the RUN " +
            "request; agent = the agent's own fork-to-exit time (WallMs); CPU = the run's cgroup (CpuMs). Fleet: one worker process per isolation, " +
            $"{runs} submissions (after one untimed) of a C a+b solution to a {FleetTests}-test problem, one at a time; per test = the worker's execute " +
            $"time (for each of the {FleetTests} tests: writing its input, the RUN round trip, in which the run gets its own fresh scratch directories and IPC) / {FleetTests}, agent = mean WallMs of the tests; native = the solution run on the {FleetTests} inputs, total / {FleetTests}.");
        text.AppendLine("- milliseconds, min / median / max; ratio and overhead are of medians (overhead = median − native median).");
        text.AppendLine();
        text.AppendLine("| workload | launcher | wall per run (host) | agent wall | ÷ native | overhead per run (ms) |");
        text.AppendLine("|---|---|---|---|---|---|");
        foreach (var group in rows.GroupBy(r => r.Workload))
        {
            var native = group.First(r => r.Launcher.Mode is null);
            foreach (var row in group)
            {
                var isNative = row.Launcher.Mode is null;
                text.AppendLine($"| {group.Key} | {row.Launcher.Name} | {row.Wall.Format()} | {row.AgentWall.Format()} | " +
                    $"{(isNative ? "1" : Ratio(row.Wall.Median, native.Wall.Median))} | {(isNative ? "-" : Samples.Ms(row.Wall.Median - native.Wall.Median))} |");
            }
        }

        var loop = rows.Where(r => r.Workload == Workloads[^1].Name).ToList();
        var nativeCv = loop[0].Cpu.CoefficientOfVariation;
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"CPU time of the {Workloads[^1].Name}, {runs} runs each:");
        text.AppendLine();
        text.AppendLine("| launcher | CPU ms | mean | stdev | CV (stdev / mean) | CV ÷ native CV | CPU ÷ native (median) |");
        text.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var row in loop)
        {
            text.AppendLine($"| {row.Launcher.Name} | {row.Cpu.Format()} | {Samples.Ms(row.Cpu.Mean)} | {Samples.Ms(row.Cpu.StandardDeviation)} | " +
                $"{Percent(row.Cpu.CoefficientOfVariation)} | {Ratio(row.Cpu.CoefficientOfVariation, nativeCv)} | {Ratio(row.Cpu.Median, loop[0].Cpu.Median)} |");
        }

        text.AppendLine();
        text.AppendLine("Where a sandbox run's time goes (medians over the runs, ms). Spawn: the agent's request to execve (cgroup creation, pipes, fork, " +
            "the child's set-up); process: execve to exit; rest: the round trip minus both (after exit: kill and wait for the run's cgroup to empty, read " +
            "its counters, remove it; then the reply and the host's side); ping: a bare agent round trip, timed before each run.");
        text.AppendLine();
        text.AppendLine("| workload | launcher | round trip | spawn | process | rest | ping |");
        text.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var row in rows.Where(r => r.Launcher.Mode is not null && r.Spawn.Count > 0))
        {
            text.AppendLine($"| {row.Workload} | {row.Launcher.Name} | {Samples.Ms(row.Wall.Median)} | {Samples.Ms(row.Spawn.Median)} | " +
                $"{Samples.Ms(row.Process.Median)} | {Samples.Ms(row.Rest.Median)} | {Samples.Ms(row.Ping.Median)} |");
        }

        text.AppendLine();
        text.AppendLine("Fleet submissions (server-side timings, median per submission, ms):");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"| worker | submissions | compile | execute ({FleetTests} tests) | total judging | POST → verdict (polled every 50 ms) |");
        text.AppendLine("|---|---|---|---|---|---|");
        foreach (var summary in fleet)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {summary.Name} | {summary.Execute.Count} | {Samples.Ms(summary.Compile.Median)} | {Samples.Ms(summary.Execute.Median)} | " +
                $"{Samples.Ms(summary.Total.Median)} | {Samples.Ms(summary.Latency.Median)} |");
        }

        text.AppendLine();
        text.AppendLine("Targets (printed, not asserted):");
        text.AppendLine();
        foreach (var workload in new[] { Workloads[0].Name, Workloads[1].Name, FleetWorkload })
        {
            var native = rows.First(r => r.Workload == workload && r.Launcher.Mode is null);
            var ns = rows.First(r => r.Workload == workload && r.Launcher.Mode == IsolationMode.Namespace);
            var overhead = ns.Wall.Median - native.Wall.Median;
            text.AppendLine(CultureInfo.InvariantCulture,
                $"- namespace per-test overhead ≤ {OverheadTargetMs:0} ms (median), {workload}: {Samples.Ms(overhead)} ms — {(overhead <= OverheadTargetMs ? "met" : "**missed**")}");
        }

        var nsLoop = loop.First(r => r.Launcher.Mode == IsolationMode.Namespace);
        var cvRatio = nsLoop.Cpu.CoefficientOfVariation / nativeCv;
        text.AppendLine(
            $"- namespace CPU-time CV of the loop ≤ {CvTargetRatio} × native: {Percent(nsLoop.Cpu.CoefficientOfVariation)} vs {Percent(nativeCv)}, " +
            $"{cvRatio.ToString("0.00", CultureInfo.InvariantCulture)}× — {(cvRatio <= CvTargetRatio ? "met" : "**missed**")}");
        if (launchers.FirstOrDefault(l => l.Mode == IsolationMode.Vm) is { } vm)
        {
            text.AppendLine();
            text.AppendLine($"The VM rows ran under {vm.Choice!.Isolation.ToString().ToUpperInvariant()}: {vm.Choice.Reason}.");
        }

        return text.ToString();
    }

    private static string Ratio(double value, double baseline) => (value / baseline).ToString("0.00", CultureInfo.InvariantCulture) + "x";

    private static string Percent(double fraction) => (fraction * 100).ToString("0.00", CultureInfo.InvariantCulture) + " %";

    private sealed record Workload(string Id, string Name, Language Language, string Source, TimeSpan Pause);

    /// <summary>Where programs run: natively (no mode, no sandbox) or in sandboxes of one isolation.</summary>
    private sealed record Launcher(string Name, IsolationMode? Mode, SandboxRunner? Sandbox, IsolationChoice? Choice);

    /// <summary>One run: host-side wall time, CPU time, output, and in a sandbox the agent's result and a ping's round trip.</summary>
    private sealed record Run(double WallMs, double CpuMs, string Stdout, ProcessResult? Sandbox, double? PingMs);

    /// <summary>A workload's timings under one launcher.</summary>
    private sealed class Row(string workload, Launcher launcher)
    {
        public string Workload { get; } = workload;

        public Launcher Launcher { get; } = launcher;

        public Samples Wall { get; } = new("wall");

        public Samples AgentWall { get; } = new("agent wall");

        public Samples Cpu { get; } = new("cpu");

        public Samples Spawn { get; } = new("spawn");

        public Samples Process { get; } = new("process");

        public Samples Rest { get; } = new("rest");

        public Samples Ping { get; } = new("ping");

        public void Add(Run run)
        {
            Add(run.WallMs, run.CpuMs, run.Sandbox?.WallMs);
            if (run.Sandbox is { } result)
            {
                Spawn.Add(result.SpawnMs);
                Process.Add(result.ProcessMs);
                Rest.Add(run.WallMs - result.SpawnMs - result.ProcessMs);
            }

            if (run.PingMs is { } ping)
            {
                Ping.Add(ping);
            }
        }

        public void Add(double wallMs, double cpuMs, double? agentWallMs)
        {
            Wall.Add(wallMs);
            Cpu.Add(cpuMs);
            if (agentWallMs is { } agent)
            {
                AgentWall.Add(agent);
            }
        }
    }

    /// <summary>Server-side timings of one worker's submissions.</summary>
    private sealed class FleetSummary(string name)
    {
        public string Name { get; } = name;

        public Samples Compile { get; } = new("compile");

        public Samples Execute { get; } = new("execute");

        public Samples Total { get; } = new("total");

        public Samples Latency { get; } = new("latency");

        public void Add(TimingsDto timings, double latencyMs)
        {
            Compile.Add(timings.CompileMs ?? 0);
            Execute.Add(timings.ExecuteMs ?? 0);
            Total.Add(timings.TotalMs ?? 0);
            Latency.Add(latencyMs);
        }
    }

    /// <summary>What the report says about the host, the sandboxes and the toolchains.</summary>
    private sealed class HostEnvironment
    {
        private readonly List<string> _lines = [];

        public static async Task<HostEnvironment> ReadAsync(CancellationToken cancellationToken)
        {
            var host = await HostFacts.ReadAsync(new SandboxOptions().QemuPath, cancellationToken);
            var environment = new HostEnvironment();
            environment._lines.Add($"- date (UTC): {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm}");
            environment._lines.Add($"- host: {Bench.CpuModel()}, {Environment.ProcessorCount} CPUs (nproc), Linux {host.KernelRelease}; {Cgroups()}; {host.QemuVersion}");
            var gcc = await NativeProcess.RunAsync(NativeProcess.Command(["gcc", "--version"], "/"), null, cancellationToken);
            var python = await NativeProcess.RunAsync(NativeProcess.Command(["python3", "--version"], "/"), null, cancellationToken);
            environment._lines.Add($"- native toolchains: {gcc.Stdout.Split('\n')[0].Trim()}; {python.Stdout.Trim()}");
            return environment;
        }

        /// <summary>Adds what a started sandbox runner chose and why.</summary>
        public void Describe(SandboxRunner sandbox)
        {
            var choice = sandbox.Isolation;
            _lines.Add(choice.Isolation == Sandbox.Vms.Isolation.Namespace
                ? $"- namespace isolation: **{choice.Isolation}** ({choice.Reason}); each sandbox pinned to one CPU"
                : $"- VM isolation: **{choice.Isolation}** ({choice.Reason}); 1 vCPU, {new SandboxOptions().VmMemoryMb} MiB");
            if (sandbox.Image is { } image && !_lines.Any(l => l.StartsWith("- guest image", StringComparison.Ordinal)))
            {
                _lines.Add($"- guest image {image.Version} ({image.Directory}; kernel {image.KernelRelease}): " +
                    string.Join("; ", new[] { LanguageRegistry.C.Id, LanguageRegistry.Python.Id }.Select(l => $"{l}: {image.LanguageVersions.GetValueOrDefault(l, "?")}")));
            }
        }

        public void Write(StringBuilder text)
        {
            foreach (var line in _lines)
            {
                text.AppendLine(line);
            }
        }

        /// <summary>The host's cgroup layout: the v1 hierarchies mounted, and whether a v2 one is.</summary>
        private static string Cgroups()
        {
            var mounts = File.ReadLines("/proc/mounts").Select(l => l.Split(' ')).Where(f => f.Length > 2).ToList();
            var v1 = mounts.Where(f => f[2] == "cgroup").Select(f => Path.GetFileName(f[1])).ToList();
            var v2 = mounts.Where(f => f[2] == "cgroup2").Select(f => f[1]).ToList();
            return (v1.Count, v2.Count) switch
            {
                ( > 0, 0) => $"cgroup v1 ({string.Join(", ", v1)})",
                (0, > 0) => "cgroup v2",
                ( > 0, > 0) => $"cgroup v1 ({string.Join(", ", v1)}) and v2 at {string.Join(", ", v2)}",
                _ => "no cgroup file system",
            };
        }
    }
}
