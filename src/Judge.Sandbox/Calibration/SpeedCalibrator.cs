using System.Diagnostics;
using Judge.Grading.Languages;
using Judge.Grading.Runs;
using Judge.Sandbox.Running;
using Judge.Sandbox.Vms;
using Microsoft.Extensions.Logging;

namespace Judge.Sandbox.Calibration;

/// <summary>One language's calibration program measured in this host's sandbox: the median CPU time of the timed runs.</summary>
public sealed record CalibrationRun(string Language, double MedianCpuMs, IReadOnlyList<double> CpuMs, string Output);

/// <summary>
/// Runs each language's fixed calibration program (Calibration/Programs, CPU-bound, about 0.2 s on the reference host)
/// in this host's sandbox: compiled once, one untimed run to warm caches, then timed runs whose median CPU time is
/// compared with the reference (<see cref="HostSpeed.Against"/>).
/// </summary>
public static class SpeedCalibrator
{
    /// <summary>Generous: a slow host is what is being measured, and a TCG VM runs these 10-30 times slower.</summary>
    private static readonly ResourceLimits Limits = new()
    {
        CpuTime = TimeSpan.FromSeconds(60),
        MemoryBytes = 512L * 1024 * 1024,
        MaxProcesses = 64,
        OutputBytes = 4096,
    };

    /// <summary>
    /// This host's speed against the built-in reference, measured once the warm pools are full and before the host takes
    /// any work, so nothing else competes for the CPU.
    /// </summary>
    public static async Task<HostSpeed> CalibrateAsync(ISessionSource sandbox, int timedRuns, ILogger logger, CancellationToken cancellationToken)
    {
        await sandbox.WhenWarmAsync();
        var clock = Stopwatch.StartNew();
        var speed = HostSpeed.Against(SpeedReference.BuiltIn, await MeasureAsync(sandbox, timedRuns, cancellationToken));
        logger.LogInformation("Speed factors against the reference host ({Reference}), measured in {Seconds:0.0} s: {Factors}",
            SpeedReference.BuiltIn.Host, clock.Elapsed.TotalSeconds,
            string.Join(", ", speed.Languages.Select(l => FormattableString.Invariant($"{l.Key} {l.Value.Factor:0.000} ({l.Value.MeasuredCpuMs:0}/{l.Value.ReferenceCpuMs:0} ms)"))));
        return speed;
    }

    public static async Task<IReadOnlyList<CalibrationRun>> MeasureAsync(ISessionSource sandbox, int timedRuns, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timedRuns, 1);
        var results = new List<CalibrationRun>();
        foreach (var language in LanguageRegistry.All.Where(l => l.CalibratedAs is null))
        {
            results.Add(await MeasureAsync(sandbox, language, timedRuns, cancellationToken));
        }

        return results;
    }

    /// <summary>The calibration program of <paramref name="language"/>, as stored in the assembly.</summary>
    public static string ProgramFor(Language language)
    {
        var name = $"calibration/{language.Id}{Path.GetExtension(language.SourceFileName)}";
        using var stream = typeof(SpeedCalibrator).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Language {language.Id} has no calibration program ({name}).");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static async Task<CalibrationRun> MeasureAsync(ISessionSource sandbox, Language language, int timedRuns, CancellationToken cancellationToken)
    {
        await using var session = await sandbox.OpenSessionAsync(language.Id, cancellationToken);
        await session.WriteSourceAsync(ProgramFor(language), cancellationToken);
        if (await session.CompileAsync(cancellationToken) is { Succeeded: false } compile)
        {
            throw new SandboxVmException($"The {language.Id} calibration program did not compile: {(compile.StdoutText + compile.StderrText).Trim()}");
        }

        // Taking this sandbox made the warm pool start another; timing waits until that start no longer competes for the CPU.
        await sandbox.WhenWarmAsync();
        var cpuMs = new List<double>();
        string? output = null;
        for (var i = 0; i <= timedRuns; i++)
        {
            var run = await session.RunProgramAsync(null, Limits, null, cancellationToken);
            if (!run.Succeeded)
            {
                throw new SandboxVmException(
                    $"The {language.Id} calibration program failed: exit {run.ExitCode}, signal {run.Signal}, limit {run.LimitExceeded}; {run.StderrText.Trim()}");
            }

            output = run.StdoutText.Trim();
            if (i > 0)
            {
                cpuMs.Add(run.CpuMs);
            }
        }

        var sorted = cpuMs.Order().ToList();
        var median = sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
        return new CalibrationRun(language.Id, median, cpuMs, output!);
    }
}
