using Judge.Data.Lifecycle;
using Judge.Data.Runs;
using Judge.Grading.Languages;
using Judge.Grading.Runs;
using Judge.Grading.Verdicts;
using Judge.Sandbox;
using Judge.Sandbox.Protocol;
using Judge.Worker.Judging;
using Microsoft.Extensions.Logging;

namespace Judge.Worker.Runs;

/// <summary>Runs one claimed one-shot job to its outcome, or throws: <see cref="UnjudgeableException"/> when a retry would fail the same way.</summary>
public interface IRunExecutor
{
    Task<RunOutcome> ExecuteAsync(Run run, CancellationToken cancellationToken);
}

/// <summary>
/// A one-shot run in one sandbox: its files in /box (writable: there is no later run to protect), a compile (or syntax check),
/// then the program once on the run's stdin under the run's limits, with stdout and stderr kept. The program's CPU and wall
/// limits are times on the reference host, scaled by this host's speed factor as a problem's are, and its CPU time is
/// reported as on the reference host, so that a run means the same on every worker.
/// </summary>
public sealed class RunExecutor(SandboxRunner sandbox, ILogger<RunExecutor> logger) : IRunExecutor
{
    public async Task<RunOutcome> ExecuteAsync(Run run, CancellationToken cancellationToken)
    {
        var language = LanguageRegistry.Find(run.Language) ?? throw new UnjudgeableException($"This worker has no language '{run.Language}'.");
        var entry = run.Files.FirstOrDefault(f => f.Name == run.EntryPoint)
            ?? throw new UnjudgeableException($"The run has no file '{run.EntryPoint}', its entry point.");
        await using var session = await sandbox.OpenSessionAsync(language.Id, cancellationToken);
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["VmId"] = session.VmId, ["RunId"] = run.Id });
        foreach (var file in run.Files)
        {
            await session.WriteFileAsync(file.Name, file.Content, cancellationToken);
        }

        // Only the entry point is the program: the other files are the job's data (Jobe's file_list), there to be read.
        var program = LanguageRegistry.ForFiles(language, [entry], entry.Name);
        var speedFactor = sandbox.Speed.FactorFor(language);
        var args = new OneShotArgs(run.CompileArgs, run.LinkArgs, run.InterpreterArgs, run.RunArgs);
        if (OneShotCommands.Compile(program, args, run.SyntaxCheck) is { } compileCommand)
        {
            var compile = await session.ExecuteAsync(
                new GuestCommand(compileCommand) { Limits = LanguageRegistry.CompileLimitsAt(speedFactor), HiddenPaths = [GuestCommand.JudgeDirectory] },
                cancellationToken);
            if (!compile.Succeeded)
            {
                logger.LogInformation("Run {RunId} does not compile", run.Id);
                return new RunOutcome(Verdict.CompilationError, null, null, [], [], CompilerOutput.Of(compile), null, 0, 0, 0, session.VmId,
                    session.Isolation.ToString());
            }
        }

        var limits = new ResourceLimits
        {
            CpuTime = TimeSpan.FromMilliseconds(run.CpuLimitMs) * speedFactor,
            WallTime = TimeSpan.FromMilliseconds(run.WallLimitMs) * speedFactor,
            MemoryBytes = run.MemoryLimitBytes,
            AddressSpaceBytes = run.AddressSpaceBytes,
            StackBytes = run.StackBytes,
            MaxProcesses = run.MaxProcesses,
            OutputBytes = run.OutputLimitBytes,
            FileSizeBytes = run.FileSizeBytes,
            KillOnOutputLimit = run.OutputLimitKills,
        };
        var result = await session.ExecuteAsync(
            new GuestCommand(OneShotCommands.Run(program.RunCommandFor(limits), args))
            {
                Limits = limits,
                Stdin = run.Stdin,
                HiddenPaths = [GuestCommand.JudgeDirectory],
            },
            cancellationToken);
        var ended = VerdictRules.ForRun(result, language, speedFactor);
        var verdict = ended?.Verdict ?? Verdict.Accepted;
        logger.LogInformation("Run {RunId} ended {Verdict} after {CpuMs:0} ms of CPU", run.Id, verdict, result.CpuMs);
        return new RunOutcome(verdict, result.ExitCode, result.Signal, result.Stdout, result.Stderr, null, ended?.Message,
            (int)Math.Round(sandbox.Speed.Normalize(language, result.CpuMs)), (int)Math.Round(result.WallMs / speedFactor), result.PeakMemoryBytes,
            session.VmId, session.Isolation.ToString());
    }
}
