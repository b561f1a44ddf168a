using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Judge.Grading.Languages;
using Judge.Grading.Runs;
using Judge.Sandbox;
using Judge.Sandbox.Protocol;
using Judge.Sandbox.Qemu;
using Judge.Sandbox.Running;
using Judge.Sandbox.Settings;
using Microsoft.Extensions.Logging;

namespace Judge.Benchmarks;

/// <summary>
/// VM costs (cold boot, snapshot restore, warm checkout, agent round trip) and the same commands in a VM and
/// natively on this host, in one run, so the report compares ratios rather than absolute times.
/// </summary>
public static class SandboxBenchmark
{
    private const string CSource = """
        #include <stdio.h>

        static int is_prime(int n)
        {
            if (n < 2)
                return 0;
            for (int d = 2; d * d <= n; d++)
                if (n % d == 0)
                    return 0;
            return 1;
        }

        int main(void)
        {
            int count = 0;
            for (int n = 0; n < 20000; n++)
                count += is_prime(n);
            printf("%d\n", count);
            return 0;
        }
        """;

    public static Command Create()
    {
        var runs = new Option<int>("--runs") { Description = "Timed runs of each measurement.", DefaultValueFactory = _ => 10 };
        var output = new Option<FileInfo?>("--output") { Description = "Also write the Markdown report to this file." };
        var command = new Command("sandbox", "Cold boot, snapshot restore, warm checkout, agent round trip, and python/gcc/node/compiled runs in a VM beside native.")
        {
            runs,
            output,
        };
        command.SetAction((parse, ct) => RunAsync(parse.GetValue(runs), parse.GetValue(output), ct));
        return command;
    }

    private static async Task<int> RunAsync(int runs, FileInfo? output, CancellationToken cancellationToken)
    {
        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        var options = new SandboxOptions
        {
            // VM costs are what this measures: auto would pick namespaces on hosts where VMs only get TCG.
            Isolation = IsolationMode.Vm,
            MaxConcurrentVms = 2,
            WarmPoolSize = 1,
            WarmLanguages = { "python" },
            HealthCheckInterval = TimeSpan.FromHours(1),
            CalibrateSpeed = false, // what is measured here is the sandbox itself, not limits
        };
        await using var sandbox = new SandboxRunner(Microsoft.Extensions.Options.Options.Create(options), loggerFactory);
        await sandbox.StartAsync(cancellationToken);
        await sandbox.WhenWarmAsync();
        var launcher = (QemuLauncher)sandbox.Launcher;
        var rows = new List<Row>();

        Bench.Progress("cold boots");
        var cold = new Samples("cold boot: QEMU start to agent READY");
        for (var i = 0; i < runs; i++)
        {
            await using var vm = await launcher.BootAsync(launcher.Isolation, withQmp: false, options.BootTimeout, cancellationToken);
            cold.Add(vm.StartTimings.BootMs);
        }

        rows.Add(new Row(cold));

        if (await launcher.SnapshotPathAsync("python") is { } snapshot)
        {
            Bench.Progress("snapshot restores");
            var restore = new Samples("snapshot restore (python): QEMU start to first agent reply");
            var reseed = new Samples("reseed after restore (entropy + clock)");
            for (var i = 0; i < runs; i++)
            {
                await using var vm = await launcher.RestoreAsync(snapshot, cancellationToken);
                restore.Add(vm.StartTimings.BootMs);
                reseed.Add(vm.StartTimings.ConnectMs);
            }

            rows.Add(new Row(restore));
            rows.Add(new Row(reseed));

            Bench.Progress("idle VM memory");
            var restoredRss = new Samples("QEMU RSS of an idle VM restored from the python snapshot (MiB)");
            var bootedRss = new Samples("QEMU RSS of an idle cold-booted VM (MiB)");
            for (var i = 0; i < Math.Min(runs, 3); i++)
            {
                await using var restored = await launcher.RestoreAsync(snapshot, cancellationToken);
                restoredRss.Add(RssMiB(restored.ProcessId));
                await using var booted = await launcher.BootAsync(launcher.Isolation, withQmp: false, options.BootTimeout, cancellationToken);
                bootedRss.Add(RssMiB(booted.ProcessId));
            }

            rows.Add(new Row(restoredRss));
            rows.Add(new Row(bootedRss));
        }

        Bench.Progress("warm checkouts");
        var warm = new Samples("warm pool checkout (incl. liveness ping)");
        for (var i = 0; i < runs; i++)
        {
            await sandbox.WhenWarmAsync();
            var clock = Stopwatch.StartNew();
            await using var session = await sandbox.OpenSessionAsync("python", cancellationToken);
            warm.Add(clock.Elapsed.TotalMilliseconds);
            if (!session.WarmPoolHit)
            {
                throw new InvalidOperationException("A warm checkout missed the pool; the measurement would be wrong.");
            }
        }

        rows.Add(new Row(warm));

        Bench.Progress("first python run in fresh VMs");
        var firstPython = new Samples("python3 -c 'print(1)', first run in a fresh VM from the python snapshot");
        for (var i = 0; i < runs; i++)
        {
            await sandbox.WhenWarmAsync();
            await using var session = await sandbox.OpenSessionAsync("python", cancellationToken);
            var clock = Stopwatch.StartNew();
            await session.ExecuteAsync(new GuestCommand(["python3", "-c", "print(1)"]), cancellationToken);
            firstPython.Add(clock.Elapsed.TotalMilliseconds);
        }

        rows.Add(new Row(firstPython));
        rows.AddRange(await CompareCommandsAsync(sandbox, runs, cancellationToken));

        await Bench.EmitAsync(Report(sandbox, launcher, runs, rows), output, cancellationToken);
        return 0;
    }

    /// <summary>The same commands in one VM (after a warm-up run) and natively, interleaved per run.</summary>
    private static async Task<List<Row>> CompareCommandsAsync(SandboxRunner sandbox, int runs, CancellationToken cancellationToken)
    {
        var native = Directory.CreateTempSubdirectory("judge-bench-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(native.FullName, LanguageRegistry.C.SourceFileName), CSource, cancellationToken);
            var cases = new (string Name, string[] Argv)[]
            {
                ("agent round trip of `true`", ["true"]),
                ("python3 -c 'print(1)'", ["python3", "-c", "print(1)"]),
                ("node -e 'console.log(1)'", ["node", "-e", "console.log(1)"]),
                ("gcc -O2 -static of a 20-line C file", [.. LanguageRegistry.C.CompileCommand!]),
                ("run the compiled program", [.. LanguageRegistry.C.RunCommand]),
            };

            await using var session = await sandbox.OpenSessionAsync("python", cancellationToken);
            await session.WriteFileAsync(LanguageRegistry.C.SourcePath, Encoding.UTF8.GetBytes(CSource), cancellationToken);
            var rows = new List<Row>();
            foreach (var (name, guest) in cases)
            {
                Bench.Progress(name);
                var host = NativeProcess.Command(guest, native.FullName);
                var vm = new Samples(name);
                var inGuest = new Samples(name);
                var onHost = new Samples(name);
                await RunGuestAsync(session, guest, cancellationToken); // warm-up: page cache, first-run costs
                await NativeProcess.RunAsync(host, null, cancellationToken);
                for (var i = 0; i < runs; i++)
                {
                    var clock = Stopwatch.StartNew();
                    var result = await RunGuestAsync(session, guest, cancellationToken);
                    vm.Add(clock.Elapsed.TotalMilliseconds);
                    inGuest.Add(result.WallMs);
                    onHost.Add((await NativeProcess.RunAsync(host, null, cancellationToken)).WallMs);
                }

                rows.Add(new Row(vm, inGuest, onHost));
            }

            return rows;
        }
        finally
        {
            native.Delete(recursive: true);
        }
    }

    private static async Task<ProcessResult> RunGuestAsync(SandboxSession session, string[] argv, CancellationToken cancellationToken)
    {
        var result = await session.ExecuteAsync(new GuestCommand(argv) { Limits = LanguageRegistry.CompileLimits }, cancellationToken);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"{string.Join(' ', argv)} failed in the VM: exit {result.ExitCode}, {result.StderrText}");
        }

        return result;
    }

    private static string Report(SandboxRunner sandbox, QemuLauncher launcher, int runs, List<Row> rows)
    {
        var text = new StringBuilder();
        text.AppendLine("# Sandbox benchmark");
        text.AppendLine();
        text.AppendLine("Command: `dotnet run -c Release --project bench/Judge.Benchmarks -- sandbox --runs " + runs.ToString(CultureInfo.InvariantCulture) + "`");
        text.AppendLine();
        text.AppendLine($"- date (UTC): {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm}");
        text.AppendLine($"- isolation: **{sandbox.Isolation.Isolation}** ({sandbox.Isolation.Reason})");
        text.AppendLine($"- host: {Bench.CpuModel()}, {Environment.ProcessorCount} CPUs, Linux {launcher.Host.KernelRelease}; {launcher.Host.QemuVersion}");
        text.AppendLine($"- guest: image {launcher.Image.Version}, kernel {launcher.Image.KernelRelease}, 1 vCPU, {new SandboxOptions().VmMemoryMb} MiB; " +
            string.Join("; ", launcher.Image.LanguageVersions.Select(kv => $"{kv.Key}: {kv.Value}")));
        text.AppendLine($"- {runs} timed runs each (memory: {Math.Min(runs, 3)}), milliseconds unless named, min / median / max. \"VM\" is host-side (request to reply), " +
            "\"in guest\" is the agent's own wall time of the process, \"native\" is the same command run directly on this host. " +
            "Commands in a VM run after one untimed warm-up in the same VM.");
        text.AppendLine();
        text.AppendLine("| what | VM (host-side) | in guest | native | VM ÷ native (median) |");
        text.AppendLine("|---|---|---|---|---|");
        foreach (var row in rows)
        {
            var ratio = row.Native is { Count: > 0 } native ? (row.Vm.Median / native.Median).ToString("0.0", CultureInfo.InvariantCulture) + "x" : "-";
            text.AppendLine($"| {row.Vm.Name} | {row.Vm.Format()} | {row.InGuest?.Format() ?? "-"} | {row.Native?.Format() ?? "-"} | {ratio} |");
        }

        return text.ToString();
    }

    private static double RssMiB(int pid) =>
        File.ReadLines($"/proc/{pid}/status")
            .Where(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Select(l => double.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024)
            .Single();

    private sealed record Row(Samples Vm, Samples? InGuest = null, Samples? Native = null);
}
