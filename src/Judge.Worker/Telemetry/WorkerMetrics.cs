using System.Diagnostics;
using System.Diagnostics.Metrics;
using Judge.Data.Lifecycle;
using Judge.Data.Storage;
using Judge.Data.Submissions;
using Judge.Grading.Verdicts;

namespace Judge.Worker.Telemetry;

/// <summary>
/// The worker's instruments (meter <see cref="MeterName"/>), all in one place: results written by verdict, the timing
/// breakdown of each judging as histograms (seconds), lease renewals and re-claims. Tags: <c>verdict</c>, <c>lane</c>,
/// <c>language</c>.
/// </summary>
public static class WorkerMetrics
{
    public const string MeterName = "Judge.Worker";

    /// <summary>From 5 ms (a warm checkout's setup) to 10 minutes (a long queue).</summary>
    private static readonly IReadOnlyList<double> Seconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 600];

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Judged = Meter.CreateCounter<long>(
        "judge.submissions.judged", "{submission}", "Submissions whose final result this worker wrote, by verdict");

    private static readonly Histogram<double> Total = Duration("judge.judging.duration", "Host-side time of judging one submission: setup, boot, compile and every test");
    private static readonly Histogram<double> Queue = Duration("judge.judging.queue.duration", "From the submission to its claim");
    private static readonly Histogram<double> Setup = Duration("judge.judging.setup.duration", "Preparing the sandbox (0 on a warm-pool hit)");
    private static readonly Histogram<double> Boot = Duration("judge.judging.boot.duration", "Booting the sandbox (0 on a warm-pool hit)");
    private static readonly Histogram<double> Compile = Duration("judge.judging.compile.duration", "Compiling the submission (0 for interpreted languages)");
    private static readonly Histogram<double> Execute = Duration("judge.judging.execute.duration", "Running the tests: each one's input and run");

    private static readonly Counter<long> LeaseRenewals = Meter.CreateCounter<long>(
        "judge.leases.renewals", "{lease}", "Leases of submissions being judged here renewed by the heartbeat");

    private static readonly Counter<long> Reclaims = Meter.CreateCounter<long>(
        "judge.claims.reclaims", "{claim}", "Claims of a submission an earlier claim did not finish (attempt > 1: a retry, or a dead worker's lease taken over)");

    /// <summary>A final result written (see <see cref="SubmissionLifecycle.FinishAsync"/>), with its timings.</summary>
    public static void ResultWritten(ClaimedSubmission claim, JudgeOutcome outcome)
    {
        Judged.Add(1, Tags(claim, outcome.Verdict));
        var tags = Tags(claim);
        Queue.Record((claim.JudgingStartedAt - claim.CreatedAt).TotalSeconds, tags);
        Setup.Record(outcome.Timings.SetupMs / 1000.0, tags);
        Boot.Record(outcome.Timings.BootMs / 1000.0, tags);
        Compile.Record(outcome.Timings.CompileMs / 1000.0, tags);
        Execute.Record(outcome.Timings.ExecuteMs / 1000.0, tags);
        Total.Record(outcome.Timings.TotalMs / 1000.0, tags);
    }

    /// <summary>A submission ended as InternalError without a judging result (retries or attempts used up).</summary>
    public static void Failed(ClaimedSubmission claim) => Judged.Add(1, Tags(claim, Verdict.InternalError));

    public static void Claimed(ClaimedSubmission claim)
    {
        if (claim.Attempt > 1)
        {
            Reclaims.Add(1, Tags(claim));
        }
    }

    public static void LeasesRenewed(int count) => LeaseRenewals.Add(count);

    private static Histogram<double> Duration(string name, string description) =>
        Meter.CreateHistogram(name, "s", description, tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = Seconds });

    private static TagList Tags(ClaimedSubmission claim) => new() { { "lane", StoredName.Of(claim.Lane) }, { "language", claim.Language } };

    private static TagList Tags(ClaimedSubmission claim, Verdict verdict) =>
        new() { { "verdict", verdict.ToString() }, { "lane", StoredName.Of(claim.Lane) }, { "language", claim.Language } };
}
