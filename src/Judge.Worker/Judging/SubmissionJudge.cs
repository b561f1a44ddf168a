using System.Diagnostics;
using System.Text;
using Judge.Data.Lifecycle;
using Judge.Data.Problems;
using Judge.Data.Submissions;
using Judge.Grading.Checkers;
using Judge.Grading.Languages;
using Judge.Grading.Problems;
using Judge.Grading.Runs;
using Judge.Grading.Scoring;
using Judge.Grading.Verdicts;
using Judge.Sandbox;
using Judge.Sandbox.Calibration;
using Judge.Sandbox.Protocol;
using Judge.Sandbox.Running;
using Judge.Worker.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Judge.Worker.Judging;

/// <summary>Judges one claimed submission to an outcome, or throws: <see cref="UnjudgeableException"/> when a retry would fail the same way.</summary>
public interface ISubmissionJudge
{
    Task<JudgeOutcome> JudgeAsync(ClaimedSubmission submission, CancellationToken cancellationToken);
}

/// <summary>
/// Judges one submission in one sandbox: compiles once, then walks the version's test groups as the scoring
/// engine directs (a pass-fail problem stops at the first failure; a scoring problem runs every group),
/// checking each output with the default validator or the problem's own, inside the sandbox. An interactive problem's
/// validator runs at once with the program, piped to it; a multi-pass problem's runs the program again on the input it
/// writes, up to the version's pass limit.
/// </summary>
public sealed class SubmissionJudge(
    SandboxRunner sandbox, TestDataCache testData, ValidatorBinaries validators, IOptions<WorkerOptions> options, ILogger<SubmissionJudge> logger)
    : ISubmissionJudge
{
    private const string InputPath = GuestCommand.JudgeDirectory + "/input";
    private const int OutputExcerptChars = 200;

    public async Task<JudgeOutcome> JudgeAsync(ClaimedSubmission submission, CancellationToken cancellationToken)
    {
        var language = LanguageRegistry.Find(submission.Language)
            ?? throw new UnjudgeableException($"This worker has no language '{submission.Language}'.");
        var total = Stopwatch.StartNew();
        await using var session = await sandbox.OpenSessionAsync(language.Id, cancellationToken);
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["VmId"] = session.VmId });
        var judging = new Judging(sandbox.Speed, testData, validators, options.Value.CalibrationTimeLimit, logger, submission, session, total, cancellationToken);
        return await judging.RunAsync();
    }

    /// <summary>One submission's judging, in the order it happens: compile, then each test run and checked.</summary>
    private sealed class Judging
    {
        private readonly HostSpeed _speed;
        private readonly TestDataCache _testData;
        private readonly ILogger _logger;
        private readonly ClaimedSubmission _submission;
        private readonly ProblemVersion _version;
        private readonly SandboxSession _session;
        private readonly Stopwatch _total;
        private readonly CancellationToken _cancellationToken;
        private readonly double _speedFactor;
        private readonly TimeSpan _cpuLimit;
        private readonly OutputValidation? _validator;
        private readonly List<TestOutcome> _tests = [];
        private int _compileMs;
        private double _executeMs;

        public Judging(
            HostSpeed speed, TestDataCache testData, ValidatorBinaries validators, TimeSpan calibrationTimeLimit, ILogger logger,
            ClaimedSubmission submission, SandboxSession session, Stopwatch total, CancellationToken cancellationToken)
        {
            _speed = speed;
            _testData = testData;
            _logger = logger;
            _submission = submission;
            _version = submission.Version;
            _session = session;
            _total = total;
            _cancellationToken = cancellationToken;

            // The version's time limit is a time on the reference host; this host's speed factor makes it a time here.
            _speedFactor = speed.FactorFor(session.Language);
            _cpuLimit = speed.CpuLimitFor(session.Language,
                _version.TimeLimitMs is { } timeLimitMs ? TimeSpan.FromMilliseconds(timeLimitMs) : calibrationTimeLimit);
            _validator = _version.Checker != OutputValidatorKind.Default
                ? new OutputValidation(session, _version, testData, validators, speed)
                : null;
        }

        public async Task<JudgeOutcome> RunAsync()
        {
            // The program's command depends on its source (a Java class is run by the name it declares).
            await (_submission.Files is { } files
                ? _session.WriteSourcesAsync(files, _submission.EntryPoint, _cancellationToken)
                : _session.WriteSourceAsync(_submission.Source, _cancellationToken));
            var program = ProgramCommand();
            var compile = await CompileAsync();
            if (compile is { Succeeded: false })
            {
                _logger.LogInformation("Submission {SubmissionId} does not compile", _submission.Id);
                return Outcome(new Evaluation(Verdict.CompilationError, 0, []), CompilerOutput.Of(compile), null);
            }

            var evaluation = await ScoreEngine.EvaluateAsync(TestTree.Build(_version), _version.Scoring,
                (testCase, settings) => RunTestAsync(program, testCase, settings));
            _logger.LogInformation("Submission {SubmissionId} judged {Verdict}, score {Score}, after {Tests} tests", _submission.Id,
                evaluation.Verdict, evaluation.Score, _tests.Count);
            var error = evaluation.Verdict == Verdict.InternalError ? _tests.LastOrDefault(t => t.Verdict == Verdict.InternalError)?.Message : null;
            return Outcome(evaluation, null, error);
        }

        private GuestCommand ProgramCommand()
        {
            var limits = new ResourceLimits
            {
                CpuTime = _cpuLimit,
                MemoryBytes = _version.MemoryLimitBytes,
                MaxProcesses = SandboxCaps.Processes,
                OutputBytes = _version.OutputLimitBytes,
                FileSizeBytes = _version.OutputLimitBytes,
                KillOnOutputLimit = true,
            };
            // A custom validator reads the output from a file; the default validator gets it captured; an interactor is piped to it.
            return _version.Interactive
                ? _session.ProgramCommand(limits)
                : _session.ProgramCommand(limits) with
                {
                    StdinPath = InputPath,
                    StdoutPath = _validator is null ? null : OutputValidation.OutputPath,
                };
        }

        /// <summary>Null for a language without a compile step.</summary>
        private async Task<ProcessResult?> CompileAsync()
        {
            var clock = Stopwatch.StartNew();
            var compile = await WorkerActivities.TraceAsync("judge.compile", () => _session.CompileAsync(_cancellationToken, _speedFactor));
            _compileMs = compile is null ? 0 : (int)clock.Elapsed.TotalMilliseconds;
            return compile;
        }

        private async Task<CaseOutcome> RunTestAsync(GuestCommand program, StoredCase testCase, GroupSettings settings)
        {
            var row = testCase.Row;
            using var span = WorkerActivities.Start("judge.test", _submission.Id)?.SetTag("judge.test", row.Ordinal);
            var input = await _testData.GetAsync(row.InputSha256, _cancellationToken);
            var feedback = _validator is null ? null : await _validator.NewFeedbackDirectoryAsync(_cancellationToken);
            var passes = new List<ProcessResult>();
            CaseOutcome outcome;
            string? message;
            while (true)
            {
                // What a test costs in the sandbox: its input and its run (with an interactor, their conversation); checking is apart.
                var clock = Stopwatch.StartNew();
                await _session.WriteProtectedFileAsync(InputPath, input, _cancellationToken);
                ProcessResult run;
                if (_version.Interactive)
                {
                    var answer = await _testData.GetAsync(row.AnswerSha256, _cancellationToken);
                    (var verdict, run) = await _validator!.InteractAsync(feedback!, InputPath, answer, settings.OutputValidatorFlags, settings, program, _speedFactor,
                        _cancellationToken);
                    _executeMs += clock.Elapsed.TotalMilliseconds;
                    (outcome, message) = (verdict.Outcome, verdict.Message);
                }
                else
                {
                    run = await _session.ExecuteAsync(program, _cancellationToken);
                    _executeMs += clock.Elapsed.TotalMilliseconds;
                    (outcome, message) = VerdictRules.ForRun(run, _session.Language, _speedFactor) is { } ended
                        ? (new CaseOutcome(ended.Verdict), ended.Message)
                        : await CheckAsync(run, row.AnswerSha256, settings, feedback);
                }

                passes.Add(run);
                if (!_version.MultiPass || outcome.Verdict != Verdict.Accepted || await _validator!.NextPassInputAsync(feedback!, _cancellationToken) is not { } next)
                {
                    break;
                }

                if (passes.Count == _version.ValidationPasses)
                {
                    (outcome, message) = (new CaseOutcome(Verdict.InternalError),
                        $"the output validator asked for pass {passes.Count + 1}, beyond the problem's {_version.ValidationPasses} validation passes");
                    break;
                }

                input = next;
            }

            var last = passes[^1];
            var cpuMs = passes.Sum(p => p.CpuMs);
            var excerpt = outcome.Verdict == Verdict.Accepted || _version.Interactive ? null : await ExcerptAsync(last);
            _tests.Add(new TestOutcome(row.Ordinal, row.Id, outcome.Verdict, cpuMs, _speed.Normalize(_session.Language, cpuMs),
                passes.Sum(p => p.WallMs), passes.Max(p => p.PeakMemoryBytes), last.ExitCode, last.Signal, message, excerpt, outcome.Score));
            return outcome;
        }

        private async Task<(CaseOutcome Outcome, string? Message)> CheckAsync(ProcessResult run, byte[] answerHash, GroupSettings settings, string? feedback)
        {
            var answer = await _testData.GetAsync(answerHash, _cancellationToken);
            if (_validator is not null)
            {
                var verdict = await _validator.CheckAsync(feedback!, InputPath, answer, settings.OutputValidatorFlags, settings, _cancellationToken);
                return (verdict.Outcome, verdict.Message);
            }

            var flags = DefaultValidatorFlags.Parse($"{_version.ValidatorFlags} {settings.OutputValidatorFlags}");
            var result = DefaultValidator.Check(run.Stdout, answer, flags);
            return (new CaseOutcome(result.Accepted ? Verdict.Accepted : Verdict.WrongAnswer), result.Accepted ? null : result.Message);
        }

        /// <summary>The start of a failing run's output, for the submitter to see what went wrong.</summary>
        private async Task<string?> ExcerptAsync(ProcessResult run)
        {
            if (_validator is null)
            {
                return run.Stdout.Length == 0 ? null : Encoding.UTF8.GetString(run.Stdout, 0, Math.Min(run.Stdout.Length, OutputExcerptChars));
            }

            try
            {
                var output = await _session.ReadFileAsync(OutputValidation.OutputPath, OutputExcerptChars, _cancellationToken);
                return output.Data.Length == 0 ? null : Encoding.UTF8.GetString(output.Data);
            }
            catch (AgentErrorException)
            {
                return null;
            }
        }

        private JudgeOutcome Outcome(Evaluation evaluation, string? compileOutput, string? error) =>
            new(evaluation.Verdict, evaluation.Score, _version.MaxScore, _tests.FirstOrDefault(t => t.Verdict != Verdict.Accepted)?.Ordinal,
                compileOutput, error, _tests, evaluation.Groups, _session.VmId, _session.Isolation.ToString(), _session.WarmPoolHit, _speedFactor,
                (int)Math.Round(_cpuLimit.TotalMilliseconds),
                new JudgeTimings((int)_session.SetupMs, (int)_session.BootMs, _compileMs, (int)_executeMs, (int)_total.Elapsed.TotalMilliseconds));
    }
}
