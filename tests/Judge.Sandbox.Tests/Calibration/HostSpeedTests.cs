using Judge.Grading.Languages;
using Judge.Sandbox.Calibration;

namespace Judge.Sandbox.Tests.Calibration;

/// <summary>Unit tests: speed factors from calibration runs, and what they do to limits and reported CPU time.</summary>
public sealed class HostSpeedTests
{
    private static readonly SpeedReference Reference = new("test host", "Namespace", new DateOnly(2026, 11, 21), "test",
        new Dictionary<string, ReferenceRun>
        {
            ["c"] = new(200, "78498 1"),
            ["python"] = new(150, "9592 2"),
        });

    [Fact]
    public void A_host_three_times_slower_than_the_reference_gets_three_times_the_limit_and_reports_a_third_of_its_time()
    {
        var speed = HostSpeed.Against(Reference, [new CalibrationRun("c", 600, [590, 600, 640], "78498 1")]);

        Assert.Equal(3.0, speed.FactorFor(LanguageRegistry.C));
        Assert.Equal(TimeSpan.FromSeconds(3), speed.CpuLimitFor(LanguageRegistry.C, TimeSpan.FromSeconds(1)));
        Assert.Equal(400, speed.Normalize(LanguageRegistry.C, 1200));
    }

    [Fact]
    public void Each_language_has_its_own_factor()
    {
        var speed = HostSpeed.Against(Reference,
            [new CalibrationRun("c", 100, [100], "78498 1"), new CalibrationRun("python", 300, [300], "9592 2")]);

        Assert.Equal(0.5, speed.FactorFor(LanguageRegistry.C));
        Assert.Equal(2.0, speed.FactorFor(LanguageRegistry.Python));
        Assert.Equal(TimeSpan.FromMilliseconds(500), speed.CpuLimitFor(LanguageRegistry.C, TimeSpan.FromSeconds(1)));
        Assert.Equal(TimeSpan.FromSeconds(2), speed.CpuLimitFor(LanguageRegistry.Python, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void A_language_multiplier_lengthens_the_limit_on_top_of_the_factor_but_leaves_normalised_time_alone()
    {
        var speed = HostSpeed.Against(Reference, [new CalibrationRun("python", 300, [300], "9592 2")]);
        var slowPython = LanguageRegistry.Python with { TimeMultiplier = 1.5 };

        Assert.Equal(TimeSpan.FromSeconds(3), speed.CpuLimitFor(slowPython, TimeSpan.FromSeconds(1)));
        Assert.Equal(500, speed.Normalize(slowPython, 1000));
    }

    [Fact]
    public void Without_calibration_every_factor_is_one()
    {
        var speed = HostSpeed.Uncalibrated;

        Assert.Empty(speed.Languages);
        Assert.Equal(TimeSpan.FromSeconds(2), speed.CpuLimitFor(LanguageRegistry.Java, TimeSpan.FromSeconds(2)));
        Assert.Equal(1234, speed.Normalize(LanguageRegistry.Java, 1234));
    }

    [Fact]
    public void A_calibration_program_printing_something_else_than_on_the_reference_host_is_refused_naming_both()
    {
        var error = Assert.Throws<InvalidDataException>(() => HostSpeed.Against(Reference, [new CalibrationRun("c", 200, [200], "78498 7")]));

        Assert.Contains("\"78498 7\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("\"78498 1\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_language_missing_from_the_reference_is_refused()
    {
        var error = Assert.Throws<InvalidDataException>(() => HostSpeed.Against(Reference, [new CalibrationRun("java", 200, [200], "x")]));

        Assert.Contains("no java calibration", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(30_000)]
    public void An_absurd_factor_is_a_broken_measurement_not_a_speed(double medianCpuMs)
    {
        var error = Assert.Throws<InvalidDataException>(() => HostSpeed.Against(Reference, [new CalibrationRun("c", medianCpuMs, [medianCpuMs], "78498 1")]));

        Assert.Contains("the measurement is broken", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_built_in_reference_and_a_calibration_program_cover_every_language_calibrated_itself()
    {
        foreach (var language in LanguageRegistry.All.Where(l => l.CalibratedAs is null))
        {
            Assert.True(SpeedReference.BuiltIn.Languages.TryGetValue(language.Id, out var run), $"no reference for {language.Id}");
            Assert.True(run.CpuMs > 0);
            Assert.NotEmpty(run.Output);
            Assert.NotEmpty(SpeedCalibrator.ProgramFor(language));
        }
    }

    [Fact]
    public void A_language_not_calibrated_itself_runs_at_its_kins_speed()
    {
        var speed = new HostSpeed(new Dictionary<string, LanguageSpeed> { ["java"] = new(4.0, 400, 100), ["c"] = new(2.0, 200, 100) });

        Assert.Equal(4.0, speed.FactorFor(LanguageRegistry.Kotlin));
        Assert.Equal(2.0, speed.FactorFor(LanguageRegistry.Rust));
        Assert.Equal(1.0, speed.FactorFor(LanguageRegistry.Ruby)); // python's was not measured here
        Assert.Equal(TimeSpan.FromSeconds(8), speed.CpuLimitFor(LanguageRegistry.Scala, TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public void A_reference_survives_writing_and_reading()
    {
        var copy = SpeedReference.Parse(Reference.ToJson());

        Assert.Equal(Reference.Host, copy.Host);
        Assert.Equal(Reference.MadeOn, copy.MadeOn);
        Assert.Equal(Reference.Languages["python"], copy.Languages["python"]);
    }
}
