using System.Diagnostics;
using System.Text;
using Judge.Grading.Checkers;
using Judge.Grading.Verdicts;
using Judge.Sandbox;
using Judge.Sandbox.Running;
using Microsoft.Extensions.Logging;

namespace Judge.Worker.Judging;

/// <summary>
/// Judges one submission in one VM: compile once, then run the tests in order under the problem's limits,
/// checking each output, and stop at the first failure (pass-fail scoring).
/// </summary>
public sealed class SubmissionJudge(SandboxRunner sandbox, TestDataCache testData, ILogger<SubmissionJudge> logger)
{
    private const string InputPath = "/judge/input";
    private const int MaxCompileOutput = 64 * 1024;
    private const int OutputExcerptChars = 200;

    public async Task<JudgeOutcome> JudgeAsync(ClaimedSubmission submission, CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        var version = submission.Version;
        await using var session = await sandbox.OpenSessionAsync(submission.Language, cancellationToken);
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["VmId"] = session.VmId });
        await session.WriteSourceAsync(submission.Source, cancellationToken);

        var compileClock = Stopwatch.StartNew();
        var compile = await session.CompileAsync(cancellationToken);
        var compileMs = compile is null ? 0 : (int)compileClock.Elapsed.TotalMilliseconds;
        if (compile is { Succeeded: false })
        {
            logger.LogInformation("Submission {SubmissionId} does not compile", submission.Id);
            return Outcome(Verdict.CompilationError, null, CompilerOutput(compile), [], 0);
        }

        var flags = DefaultValidatorFlags.Parse(version.ValidatorFlags);
        var limits = new ResourceLimits
        {
            CpuTime = TimeSpan.FromMilliseconds(version.TimeLimitMs),
            MemoryBytes = version.MemoryLimitBytes,
            MaxProcesses = 64,
            OutputBytes = version.OutputLimitBytes,
            FileSizeBytes = version.OutputLimitBytes,
            KillOnOutputLimit = true,
        };
        var command = new GuestCommand(session.Language.RunCommand) { StdinPath = InputPath, Limits = limits };
        var tests = new List<TestOutcome>();
        var executeMs = 0.0;
        foreach (var test in version.TestCases)
        {
            await session.WriteProtectedFileAsync(InputPath, await testData.GetAsync(test.InputSha256, cancellationToken), cancellationToken);
            var runClock = Stopwatch.StartNew();
            var run = await session.ExecuteAsync(command, cancellationToken);
            executeMs += runClock.Elapsed.TotalMilliseconds;

            var (verdict, message) = VerdictRules.ForRun(run) is { } ended
                ? (ended.Verdict, ended.Message)
                : Check(flags, run, await testData.GetAsync(test.AnswerSha256, cancellationToken));
            tests.Add(new TestOutcome(test.Ordinal, test.Id, verdict, run.CpuMs, run.WallMs, run.PeakMemoryBytes, run.ExitCode, run.Signal,
                message, Excerpt(run.Stdout)));
            if (verdict != Verdict.Accepted)
            {
                break;
            }
        }

        var failed = tests.FirstOrDefault(t => t.Verdict != Verdict.Accepted);
        logger.LogInformation("Submission {SubmissionId} judged {Verdict} after {Tests} tests", submission.Id, failed?.Verdict ?? Verdict.Accepted, tests.Count);
        return Outcome(failed?.Verdict ?? Verdict.Accepted, failed?.Ordinal, null, tests, executeMs);

        JudgeOutcome Outcome(Verdict verdict, int? failingTest, string? compileOutput, IReadOnlyList<TestOutcome> results, double execute) =>
            new(verdict, verdict == Verdict.Accepted ? 1 : 0, failingTest, compileOutput, null, results, session.VmId, session.Accelerator.ToString(),
                session.WarmPoolHit, new JudgeTimings((int)session.SetupMs, (int)session.BootMs, compileMs, (int)execute, (int)total.Elapsed.TotalMilliseconds));
    }

    private static (Verdict, string) Check(DefaultValidatorFlags flags, ProcessResult run, byte[] answer)
    {
        var result = DefaultValidator.Check(run.Stdout, answer, flags);
        return (result.Accepted ? Verdict.Accepted : Verdict.WrongAnswer, result.Message);
    }

    private static string CompilerOutput(ProcessResult compile)
    {
        var text = (compile.StdoutText + compile.StderrText).Trim();
        if (compile.LimitExceeded != LimitExceeded.None)
        {
            text += $"\n(compilation stopped: {compile.LimitExceeded} limit)";
        }

        return text.Length > MaxCompileOutput ? text[..MaxCompileOutput] + "\n… (truncated)" : text;
    }

    private static string? Excerpt(byte[] stdout) =>
        stdout.Length == 0 ? null : Encoding.UTF8.GetString(stdout, 0, Math.Min(stdout.Length, OutputExcerptChars));
}
