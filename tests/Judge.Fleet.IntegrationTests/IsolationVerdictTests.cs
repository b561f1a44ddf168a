using Judge.Grading.Languages;
using Judge.Sandbox.Calibration;

namespace Judge.Fleet.IntegrationTests;

/// <summary>
/// Integration tests: the same submissions get the same verdicts whichever isolation judges them, because time limits
/// are scaled by the speed the worker measured at start. The programs are the C calibration program (a sieve and a
/// hash) with more rounds, work a TCG VM runs several times slower than the reference host (3.5-3.8x here, where a
/// pure integer loop is only 1.1x): the accepted one takes about 0.4 of the limit on the reference host, so under TCG
/// it needs about 1.5 s against the 1 s limit, and passes only because the limit is scaled.
/// </summary>
[Collection(Fleet.Name)]
public sealed class IsolationVerdictTests(FleetFixture fleet)
{
    private const int TimeLimitMs = 1000;

    /// <summary>The C calibration program, 80 rounds of about 3 ms each on the reference host.</summary>
    private static readonly string Calibration = SpeedCalibrator.ProgramFor(LanguageRegistry.C);

    /// <summary>About 0.4 s of CPU on the reference host.</summary>
    private static readonly string Accepted = WithRounds(137);

    /// <summary>About 10 s of CPU on the reference host, ten times the limit.</summary>
    private static readonly string TooSlow = WithRounds(137 * 25);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(Judge.Sandbox.Vms.Isolation.Namespace)]
    [InlineData(Judge.Sandbox.Vms.Isolation.Kvm)]
    [InlineData(Judge.Sandbox.Vms.Isolation.Tcg)]
    public async Task An_accepted_and_a_too_slow_submission_get_the_same_verdicts_under_each_isolation(Judge.Sandbox.Vms.Isolation isolation)
    {
        await CreateProblemOnceAsync();
        await fleet.WithWorkerIsolatingAsync(isolation, async () =>
        {
            var accepted = await fleet.WaitForVerdictAsync(await fleet.SubmitAsync("sieve", "c", Accepted));
            var tooSlow = await fleet.WaitForVerdictAsync(await fleet.SubmitAsync("sieve", "c", TooSlow));

            Assert.Equal(("Accepted", isolation.ToString()), (accepted.GetProperty("verdict").GetString(), accepted.GetProperty("isolation").GetString()));
            Assert.Equal(("TimeLimitExceeded", isolation.ToString()), (tooSlow.GetProperty("verdict").GetString(), tooSlow.GetProperty("isolation").GetString()));
            var factor = accepted.GetProperty("speedFactor").GetDouble();
            Assert.Equal((int)Math.Round(TimeLimitMs * factor), accepted.GetProperty("cpuLimitMs").GetInt32());
            var test = accepted.GetProperty("tests")[0];
            Assert.Equal(test.GetProperty("cpuMs").GetInt32() / factor, test.GetProperty("normalizedCpuMs").GetInt32(), 1.0);
            Assert.True(test.GetProperty("normalizedCpuMs").GetInt32() < TimeLimitMs);
            Assert.True(test.GetProperty("cpuMs").GetInt32() < accepted.GetProperty("cpuLimitMs").GetInt32());
        });
    }

    private async Task CreateProblemOnceAsync()
    {
        using var existing = await fleet.Client(fleet.AdminKey).GetAsync(new Uri("/api/problems/sieve", UriKind.Relative), Ct);
        if (existing.IsSuccessStatusCode)
        {
            return;
        }

        await fleet.CreateProblemAsync(new
        {
            slug = "sieve",
            title = "Sieve",
            timeLimitMs = TimeLimitMs,
            memoryLimitMb = 64,
            // The primes below the sieve's 10^6, and the hash after a million LCG steps per round.
            tests = new[] { new { name = "only", input = "", answer = $"78498 {Hash(137 * 1_000_000)}\n", sample = false } },
        });
    }

    private static string WithRounds(int rounds)
    {
        const string defined = "#define ROUNDS 80";
        Assert.Contains(defined, Calibration, StringComparison.Ordinal);
        return Calibration.Replace(defined, $"#define ROUNDS {rounds}", StringComparison.Ordinal);
    }

    private static uint Hash(long iterations)
    {
        uint x = 12345, hash = 2166136261u;
        for (long k = 0; k < iterations; k++)
        {
            x = unchecked((x * 1103515245u) + 12345u);
            hash = unchecked((hash ^ (x >> 16)) * 16777619u);
        }

        return hash;
    }
}
