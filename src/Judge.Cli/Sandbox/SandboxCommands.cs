using System.CommandLine;
using System.Globalization;
using Judge.Grading.Languages;
using Judge.Sandbox;
using Judge.Sandbox.Calibration;
using Judge.Sandbox.Running;
using Judge.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog.Events;

namespace Judge.Cli.Sandbox;

/// <summary>`judge sandbox …`: run code in the VM sandbox directly, without the fleet.</summary>
public static class SandboxCommands
{
    private static readonly string[] TableHeader =
        ["language", "result", "stdout", "warm", "setup ms", "boot ms", "connect ms", "compile ms", "run cpu ms", "run wall ms", "total ms", "vm"];

    private static readonly string[] CalibrationHeader = ["language", "runs cpu ms", "median ms", "reference ms", "factor", "output"];

    public static Command Create()
    {
        var languages = new Option<string[]>("--language", "-l")
        {
            Description = "Languages to run (default: python c javascript).",
            AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => ["python", "c", "javascript"],
        };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Debug logs on stderr." };
        var hello = new Command("hello", "Run hello-world programs in fresh VMs and print their results with timings.")
        {
            languages,
            verbose,
        };
        hello.SetAction((parse, ct) => HelloAsync(parse.GetValue(languages)!, parse.GetValue(verbose), ct));

        var runs = new Option<int>("--runs") { Description = "Timed runs of each calibration program (the median counts).", DefaultValueFactory = _ => 5 };
        var write = new Option<FileInfo?>("--write-reference")
        {
            Description = "Write the measured times as the new speed reference (src/Judge.Sandbox/Calibration/speed-reference.json).",
        };
        var calibrate = new Command("calibrate", "Measure this host's speed factor per language against the speed reference, as a worker does at start.")
        {
            runs,
            write,
            verbose,
        };
        calibrate.SetAction((parse, ct) => CalibrateAsync(parse.GetValue(runs), parse.GetValue(write), parse.GetValue(verbose), ct));

        var sandbox = new Command("sandbox", "Run code in the sandbox directly.");
        sandbox.Subcommands.Add(hello);
        sandbox.Subcommands.Add(calibrate);
        return sandbox;
    }

    private static async Task<int> HelloAsync(string[] languages, bool verbose, CancellationToken cancellationToken)
    {
        foreach (var id in languages)
        {
            if (LanguageRegistry.Find(id) is null)
            {
                await Console.Error.WriteLineAsync($"Unknown language '{id}'. Known: {string.Join(", ", LanguageRegistry.All.Select(l => l.Id))}.");
                return 2;
            }
        }

        using var host = await StartSandboxAsync(languages, verbose, cancellationToken);
        var sandbox = host.Services.GetRequiredService<SandboxRunner>();

        Console.WriteLine($"Isolation: {sandbox.Isolation.Isolation} ({sandbox.Isolation.Reason})");
        Console.WriteLine($"Guest image: {sandbox.Image?.Version} ({sandbox.Image?.Directory})");
        Console.WriteLine();
        var rows = new List<string[]> { TableHeader };
        var failures = 0;
        foreach (var id in languages)
        {
            var result = await sandbox.RunAsync(new SandboxRunRequest(id) { Source = LanguageRegistry.Get(id).HelloWorld }, cancellationToken);
            var ok = result.Run is { Succeeded: true } run && run.StdoutText.Trim() == "Hello, World!";
            failures += ok ? 0 : 1;
            var t = result.Timings;
            rows.Add(
            [
                id, ok ? "ok" : Describe(result), result.Run?.StdoutText.Trim() ?? "", t.WarmPoolHit ? "hit" : $"miss ({t.BootKind})",
                Ms(t.SetupMs), Ms(t.BootMs), Ms(t.ConnectMs), Ms(t.CompileMs), Ms(result.Run?.CpuMs), Ms(result.Run?.WallMs), Ms(t.TotalMs),
                result.VmId,
            ]);
        }

        PrintTable(rows);
        Console.WriteLine();
        Console.WriteLine($"All timings in ms under {sandbox.Isolation.Isolation}; 'warm hit' means the VM came booted from the pool.");
        await host.StopAsync(CancellationToken.None);
        return failures == 0 ? 0 : 1;
    }

    private static async Task<int> CalibrateAsync(int runs, FileInfo? write, bool verbose, CancellationToken cancellationToken)
    {
        using var host = await StartSandboxAsync([.. LanguageRegistry.All.Select(l => l.Id)], verbose, cancellationToken);
        var sandbox = host.Services.GetRequiredService<SandboxRunner>();
        Console.WriteLine($"Isolation: {sandbox.Isolation.Isolation} ({sandbox.Isolation.Reason})");
        var measured = await SpeedCalibrator.MeasureAsync(sandbox, runs, cancellationToken);
        await host.StopAsync(CancellationToken.None);

        var reference = SpeedReference.BuiltIn;
        Console.WriteLine($"Reference: {reference.Host}, {reference.Isolation}, {reference.MadeOn:yyyy-MM-dd}");
        Console.WriteLine();
        var rows = new List<string[]> { CalibrationHeader };
        foreach (var run in measured)
        {
            var expected = reference.Languages.GetValueOrDefault(run.Language);
            rows.Add(
            [
                run.Language, string.Join(" ", run.CpuMs.Select(ms => Ms(ms))), Ms(run.MedianCpuMs), Ms(expected?.CpuMs),
                expected is null ? "-" : (run.MedianCpuMs / expected.CpuMs).ToString("0.000", CultureInfo.InvariantCulture),
                expected is null || expected.Output == run.Output ? run.Output : $"{run.Output} (reference: {expected.Output})",
            ]);
        }

        PrintTable(rows);
        if (write is null)
        {
            return measured.All(r => reference.Languages.GetValueOrDefault(r.Language)?.Output == r.Output) ? 0 : 1;
        }

        var made = new SpeedReference(
            HostDescription(), sandbox.Isolation.Isolation.ToString(), DateOnly.FromDateTime(DateTime.UtcNow),
            $"judge sandbox calibrate --runs {runs} --write-reference FILE (Sandbox:Isolation={sandbox.Isolation.Isolation})",
            measured.ToDictionary(r => r.Language, r => new ReferenceRun(Math.Round(r.MedianCpuMs, 1), r.Output)));
        await File.WriteAllTextAsync(write.FullName, made.ToJson(), cancellationToken);
        Console.WriteLine();
        Console.WriteLine($"Wrote the new speed reference to {write.FullName}.");
        return 0;
    }

    /// <summary>A sandbox with warm pools for <paramref name="languages"/>, started and warm; calibration is left to the caller.</summary>
    private static async Task<IHost> StartSandboxAsync(IReadOnlyList<string> languages, bool verbose, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.AddJudgeLogging(verbose ? LogEventLevel.Debug : LogEventLevel.Information);
        builder.Configuration["Sandbox:MaxConcurrentVms"] ??= "4";
        builder.Configuration["Sandbox:CalibrateSpeed"] ??= "false";
        foreach (var (id, index) in languages.Select((l, i) => (l, i)))
        {
            builder.Configuration[$"Sandbox:WarmLanguages:{index}"] ??= id;
        }

        builder.Services.AddSandbox(builder.Configuration);
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        await host.Services.GetRequiredService<SandboxRunner>().WhenWarmAsync();
        return host;
    }

    private static string HostDescription()
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        return $"{cpu}, {Environment.ProcessorCount} CPUs, Linux {File.ReadAllText("/proc/sys/kernel/osrelease").Trim()}";
    }

    private static string Describe(SandboxRunResult result) => result switch
    {
        { CompilationFailed: true } => "compile error: " + result.Compile!.StderrText.Split('\n')[0],
        { Run: { } run } => $"exit {run.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "-"} signal {run.Signal?.ToString(CultureInfo.InvariantCulture) ?? "-"} limit {run.LimitExceeded}",
        _ => "no run",
    };

    private static string Ms(double? value) => value is { } v ? v.ToString("0", CultureInfo.InvariantCulture) : "-";

    private static void PrintTable(List<string[]> rows)
    {
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
        {
            Console.WriteLine(string.Join("  ", row.Select((cell, c) => cell.PadRight(widths[c]))).TrimEnd());
        }
    }
}
