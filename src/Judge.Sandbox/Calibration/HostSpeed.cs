using System.Globalization;
using Judge.Grading.Languages;

namespace Judge.Sandbox.Calibration;

/// <summary>How fast one language runs in this host's sandbox: <see cref="Factor"/> = measured / reference CPU time.</summary>
public sealed record LanguageSpeed(double Factor, double MeasuredCpuMs, double ReferenceCpuMs);

/// <summary>
/// This host's speed per language against <see cref="SpeedReference"/>. A problem's time limit is a time on the
/// reference host: here a run may use limit × language multiplier × factor of CPU time, and its CPU time divided by
/// the factor (normalised) is what it would have used there. So a submission gets the same verdict on a fast KVM
/// host, a namespace host and a slow TCG host.
/// </summary>
public sealed record HostSpeed(IReadOnlyDictionary<string, LanguageSpeed> Languages)
{
    /// <summary>Factors outside this range mean a broken measurement (or reference), not a host: refuse them.</summary>
    private const double MinFactor = 0.05, MaxFactor = 100;

    /// <summary>No calibration (Sandbox:CalibrateSpeed=false): every factor is 1, as if this were the reference host.</summary>
    public static HostSpeed Uncalibrated { get; } = new(new Dictionary<string, LanguageSpeed>());

    public double FactorFor(Language language) =>
        Languages.TryGetValue(language.Id, out var speed) || (language.CalibratedAs is { } kin && Languages.TryGetValue(kin, out speed)) ? speed.Factor : 1.0;

    /// <summary>The CPU time a run of <paramref name="language"/> may use here for a problem time limit of <paramref name="limit"/>.</summary>
    public TimeSpan CpuLimitFor(Language language, TimeSpan limit) => limit * language.TimeMultiplier * FactorFor(language);

    /// <summary>The CPU time the reference host would have used for a run that used <paramref name="cpuMs"/> here.</summary>
    public double Normalize(Language language, double cpuMs) => cpuMs / FactorFor(language);

    /// <summary>Factors from calibration runs; the runs must print what the reference runs printed (else the toolchain differs).</summary>
    public static HostSpeed Against(SpeedReference reference, IEnumerable<CalibrationRun> runs)
    {
        var languages = new Dictionary<string, LanguageSpeed>();
        foreach (var run in runs)
        {
            if (!reference.Languages.TryGetValue(run.Language, out var expected))
            {
                throw new InvalidDataException(
                    $"The speed reference has no {run.Language} calibration; remake it (docs/sandbox.md, \"Speed calibration\").");
            }

            if (run.Output != expected.Output)
            {
                throw new InvalidDataException(
                    $"The {run.Language} calibration program printed \"{run.Output}\", but on the reference host \"{expected.Output}\".");
            }

            var factor = Math.Round(run.MedianCpuMs / expected.CpuMs, 3);
            if (factor is < MinFactor or > MaxFactor)
            {
                throw new InvalidDataException(
                    $"The {run.Language} speed factor {factor.ToString(CultureInfo.InvariantCulture)} ({run.MedianCpuMs:0} ms against {expected.CpuMs:0} ms) " +
                    $"is outside {MinFactor.ToString(CultureInfo.InvariantCulture)}-{MaxFactor.ToString(CultureInfo.InvariantCulture)}: the measurement is broken.");
            }

            languages[run.Language] = new LanguageSpeed(factor, run.MedianCpuMs, expected.CpuMs);
        }

        return new HostSpeed(languages);
    }
}
