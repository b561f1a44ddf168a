using System.Diagnostics;
using System.Text;
using Judge.Grading.Checkers;
using Judge.Grading.Problems;
using Judge.Grading.Runs;
using Judge.Grading.Scoring;
using Judge.Grading.Verdicts;
using Judge.Sandbox;
using Judge.Sandbox.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Judge.Worker.Judging;

/// <summary>
/// Judges one submission in one VM: compiles once, then walks the version's test groups as the scoring
/// engine directs (a pass-fail problem stops at the first failure; a scoring problem runs every group),
/// checking each output with the default validator or the problem's own, inside the VM.
/// </summary>
public sealed class SubmissionJudge(
    SandboxRunner sandbox, TestDataCache testData, ValidatorBinaries validators, IOptions<WorkerOptions> options, ILogger<SubmissionJudge> logger)
{
    private const string InputPath = GuestCommand.JudgeDirectory + "/input";
    private const int MaxCompileOutput = 64 * 1024;
    private const int OutputExcerptChars = 200;

    public async Task<JudgeOutcome> JudgeAsync(ClaimedSubmission submission, CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        var version = submission.Version;
        await using var session = await sandbox.OpenSessionAsync(submission.Language, cancellationToken);
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["VmId"] = session.VmId });
        await session.WriteSourceAsync(submission.Source, cancellationToken);

        // The version's time limit is a time on the reference host; this host's speed factor makes it a time here.
        var speedFactor = sandbox.Speed.FactorFor(session.Language);
        var cpuLimit = sandbox.Speed.CpuLimitFor(session.Language,
            version.TimeLimitMs is { } timeLimitMs ? TimeSpan.FromMilliseconds(timeLimitMs) : options.Value.CalibrationTimeLimit);

        var compileClock = Stopwatch.StartNew();
        var compile = await session.CompileAsync(cancellationToken);
        var compileMs = compile is null ? 0 : (int)compileClock.Elapsed.TotalMilliseconds;
        var tests = new List<TestOutcome>();
        var executeMs = 0.0;
        if (compile is { Succeeded: false })
        {
            logger.LogInformation("Submission {SubmissionId} does not compile", submission.Id);
            return Outcome(new Evaluation(Verdict.CompilationError, 0, []), CompilerOutput(compile), null);
        }

        var custom = version.Checker != "default" ? new OutputValidation(session, version, testData, validators, sandbox.Speed) : null;
        var limits = new ResourceLimits
        {
            CpuTime = cpuLimit,
            MemoryBytes = version.MemoryLimitBytes,
            MaxProcesses = 64,
            OutputBytes = version.OutputLimitBytes,
            FileSizeBytes = version.OutputLimitBytes,
            KillOnOutputLimit = true,
        };

        // A custom validator reads the output from a file; the default validator gets it captured, here.
        var command = session.ProgramCommand(limits) with
        {
            StdinPath = InputPath,
            StdoutPath = custom is null ? null : OutputValidation.OutputPath,
        };
        try
        {
            var evaluation = await ScoreEngine.EvaluateAsync(TestTree.Build(version), version.Scoring == "scoring" ? ProblemType.Scoring : ProblemType.PassFail,
                async (testCase, settings) =>
                {
                    var row = testCase.Row;
                    var input = await testData.GetAsync(row.InputSha256, cancellationToken);

                    // What a test costs in the sandbox: its input, its run (checking is apart).
                    var runClock = Stopwatch.StartNew();
                    await session.WriteProtectedFileAsync(InputPath, input, cancellationToken);
                    var run = await session.ExecuteAsync(command, cancellationToken);
                    executeMs += runClock.Elapsed.TotalMilliseconds;

                    var (outcome, message) = VerdictRules.ForRun(run, session.Language, speedFactor) is { } ended
                        ? (new CaseOutcome(ended.Verdict), ended.Message)
                        : await CheckAsync(run, row.AnswerSha256, settings);
                    tests.Add(new TestOutcome(row.Ordinal, row.Id, outcome.Verdict, run.CpuMs, sandbox.Speed.Normalize(session.Language, run.CpuMs), run.WallMs,
                        run.PeakMemoryBytes, run.ExitCode, run.Signal,
                        message, outcome.Verdict == Verdict.Accepted ? null : await ExcerptAsync(run), outcome.Score));
                    return outcome;
                });
            logger.LogInformation("Submission {SubmissionId} judged {Verdict}, score {Score}, after {Tests} tests", submission.Id, evaluation.Verdict,
                evaluation.Score, tests.Count);
            var error = evaluation.Verdict == Verdict.InternalError ? tests.LastOrDefault(t => t.Verdict == Verdict.InternalError)?.Message : null;
            return Outcome(evaluation, null, error);
        }
        catch (ValidatorBrokenException e)
        {
            logger.LogError("Submission {SubmissionId}: {Reason}", submission.Id, e.Message);
            return Outcome(new Evaluation(Verdict.InternalError, 0, []), null, e.Message);
        }

        async Task<(CaseOutcome, string?)> CheckAsync(ProcessResult run, byte[] answerHash, GroupSettings settings)
        {
            var answer = await testData.GetAsync(answerHash, cancellationToken);
            if (custom is not null)
            {
                var verdict = await custom.CheckAsync(InputPath, answer, settings.OutputValidatorFlags, settings, cancellationToken);
                return (verdict.Outcome, verdict.Message);
            }

            var flags = DefaultValidatorFlags.Parse($"{version.ValidatorFlags} {settings.OutputValidatorFlags}");
            var result = DefaultValidator.Check(run.Stdout, answer, flags);
            return (new CaseOutcome(result.Accepted ? Verdict.Accepted : Verdict.WrongAnswer), result.Accepted ? null : result.Message);
        }

        async Task<string?> ExcerptAsync(ProcessResult run)
        {
            if (custom is null)
            {
                return run.Stdout.Length == 0 ? null : Encoding.UTF8.GetString(run.Stdout, 0, Math.Min(run.Stdout.Length, OutputExcerptChars));
            }

            try
            {
                var output = await session.ReadFileAsync(OutputValidation.OutputPath, OutputExcerptChars, cancellationToken);
                return output.Data.Length == 0 ? null : Encoding.UTF8.GetString(output.Data);
            }
            catch (Sandbox.Protocol.AgentErrorException)
            {
                return null;
            }
        }

        JudgeOutcome Outcome(Evaluation evaluation, string? compileOutput, string? error) =>
            new(evaluation.Verdict, evaluation.Score, version.MaxScore, tests.FirstOrDefault(t => t.Verdict != Verdict.Accepted)?.Ordinal,
                compileOutput, error, tests, evaluation.Groups, session.VmId, session.Isolation.ToString(), session.WarmPoolHit, speedFactor,
                (int)Math.Round(cpuLimit.TotalMilliseconds),
                new JudgeTimings((int)session.SetupMs, (int)session.BootMs, compileMs, (int)executeMs, (int)total.Elapsed.TotalMilliseconds));
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
}
