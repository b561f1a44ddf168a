using System.Security.Cryptography;
using System.Text;
using Judge.Data.Problems;
using Judge.Grading.Checkers;
using Judge.Grading.Problems;
using Judge.Grading.Runs;
using Judge.Sandbox.Calibration;
using Judge.Sandbox.Protocol;
using Judge.Sandbox.Running;
using Judge.Sandbox.Settings;
using Microsoft.Extensions.Options;

namespace Judge.Worker.Judging;

/// <summary>
/// Runs a problem's custom output validator inside the submission's VM, after the program's processes are
/// gone (or, as an interactive problem's interactor, at once with the program, piped to it): a Kattis validator (<c>validator input answer feedback_dir/ [flags] &lt; output</c>, exit 42 or 43) or a
/// testlib checker (<c>checker input output answer result</c>, exit 0, 1, 2, 3 or 7). The answer is written
/// only now, and the program's runs never see the judge's directory. The validator starts from nothing the program
/// could have prepared: as its own user, with fresh scratch directories and IPC (every run has its own), without
/// the program's files (/box is out of its sight), Python in isolated mode, reading the output the agent copied
/// from the program's stdout. What its run means is <see cref="ValidatorRules"/>' to say (pure logic, in Judge.Grading).
/// </summary>
public sealed class OutputValidation(SandboxSession session, ProblemVersion version, TestDataCache testData, ValidatorBinaries binaries, HostSpeed speed)
{
    public const string OutputPath = GuestCommand.JudgeDirectory + "/output";
    private const string Directory = GuestCommand.JudgeDirectory + "/validator";
    private const string FeedbackRoot = GuestCommand.JudgeDirectory + "/feedback";
    private const string AnswerPath = GuestCommand.JudgeDirectory + "/answer";
    private const int ValidatorUid = 1001;

    private IReadOnlyList<string>? _command;
    private int _cases;

    /// <summary>A feedback directory of its own for every test case, so that no file of an earlier case passes for this one's (the passes of a multi-pass case share it).</summary>
    public async Task<string> NewFeedbackDirectoryAsync(CancellationToken cancellationToken)
    {
        var feedback = $"{FeedbackRoot}/{++_cases}";
        await session.MakeDirectoryAsync(feedback, 0x1ED /* 0755 */, ValidatorUid, ValidatorUid, cancellationToken);
        return feedback;
    }

    /// <summary>Checks the program's output, which the agent copied to <see cref="OutputPath"/>.</summary>
    public async Task<ValidatorVerdict> CheckAsync(string feedback, string inputPath, byte[] answer, string groupFlags, GroupSettings settings, CancellationToken cancellationToken)
    {
        var testlib = version.Checker == OutputValidatorKind.Testlib;
        var command = await CommandAsync(feedback, inputPath, answer, groupFlags, cancellationToken);
        var run = await session.ExecuteAsync(command with { StdinPath = testlib ? null : OutputPath }, cancellationToken);
        return testlib
            ? ValidatorRules.Testlib(run, await ReadAsync(feedback, "result.txt", cancellationToken))
            : await ValidatorRules.KattisAsync(run, Scoring(settings), name => ReadAsync(feedback, name, cancellationToken));
    }

    /// <summary>
    /// Runs the program with the validator as its interactor, at once, piped to each other. The interactor may take its own
    /// CPU time, and the program's whole wall time besides, since it spends that waiting for the program.
    /// </summary>
    public async Task<(ValidatorVerdict Verdict, ProcessResult Program)> InteractAsync(
        string feedback, string inputPath, byte[] answer, string groupFlags, GroupSettings settings, GuestCommand program, double programSpeedFactor,
        CancellationToken cancellationToken)
    {
        var command = await CommandAsync(feedback, inputPath, answer, groupFlags, cancellationToken);
        var interactor = command with
        {
            IgnoreSigpipe = true,
            Limits = command.Limits with { WallTime = (program.Limits.EffectiveWallTime ?? TimeSpan.Zero) + command.Limits.EffectiveWallTime },
        };
        var result = await session.InteractAsync(program, interactor, cancellationToken);
        var verdict = await InteractionRules.JudgeAsync(result, Scoring(settings), name => ReadAsync(feedback, name, cancellationToken),
            session.Language, programSpeedFactor);
        return (verdict, result.Program);
    }

    /// <summary>
    /// The input of a multi-pass problem's next pass, when the validator asked for one (nextpass.in in its feedback directory,
    /// which the passes share). The file is taken away once read, so that a later pass's validator asks afresh: removed by the
    /// validator's user, who owns the directory, since the agent removes nothing.
    /// </summary>
    public async Task<byte[]?> NextPassInputAsync(string feedback, CancellationToken cancellationToken)
    {
        var path = $"{feedback}/nextpass.in";
        byte[] next;
        try
        {
            next = (await session.ReadFileAsync(path, SandboxCaps.CapturedOutputBytes, cancellationToken)).Data;
        }
        catch (AgentErrorException e) when (e.Code == AgentErrorCode.Io)
        {
            return null;
        }

        var removed = await session.ExecuteAsync(new GuestCommand(["rm", "-f", "--", path])
        {
            Uid = ValidatorUid,
            Gid = ValidatorUid,
            WorkingDirectory = feedback,
            HiddenPaths = [GuestCommand.WorkDirectory],
            Limits = new ResourceLimits { CpuTime = TimeSpan.FromSeconds(5), MaxProcesses = 4 },
        }, cancellationToken);
        return removed.Succeeded ? next : throw new UnjudgeableException($"Could not remove {path} after a pass: {removed.StderrText}");
    }

    /// <summary>The validator's command for one check: <c>validator input answer feedback_dir/ [flags]</c> (Kattis) or testlib's.</summary>
    private async Task<GuestCommand> CommandAsync(string feedback, string inputPath, byte[] answer, string groupFlags, CancellationToken cancellationToken)
    {
        _command ??= await InstallAsync(cancellationToken);
        await session.WriteProtectedFileAsync(AnswerPath, answer, cancellationToken);
        var flags = $"{version.ValidatorFlags} {groupFlags}".Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var testlib = version.Checker == OutputValidatorKind.Testlib;
        return new GuestCommand([.. _command, .. testlib
            ? [inputPath, OutputPath, AnswerPath, $"{feedback}/result.txt"]
            : new[] { inputPath, AnswerPath, feedback + "/" }.Concat(flags)])
        {
            Uid = ValidatorUid,
            Gid = ValidatorUid,
            WorkingDirectory = feedback,
            HiddenPaths = [GuestCommand.WorkDirectory],
            Limits = new ResourceLimits
            {
                // Like the program's limit, a time on the reference host.
                CpuTime = TimeSpan.FromMilliseconds(version.ValidationTimeMs) * speed.FactorFor(Judge.Grading.Languages.LanguageRegistry.Get(version.ValidatorLanguage ?? "cpp")),
                MemoryBytes = version.ValidationMemoryBytes,
                MaxProcesses = 64,
                OutputBytes = 64 * 1024,
                KillOnOutputLimit = false,
                FileSizeBytes = 64L << 20,
            },
        };
    }

    private KattisScoring Scoring(GroupSettings settings) =>
        new(version.ValidatorScores, version.PackageFormat.StartsWith("legacy", StringComparison.Ordinal), settings.AcceptScore);

    /// <summary>
    /// A feedback file's text, or null when the validator did not write it as a regular file there (the agent follows no
    /// symbolic link: a validator cannot make it read anything but its own output).
    /// </summary>
    private async Task<string?> ReadAsync(string feedback, string name, CancellationToken cancellationToken)
    {
        try
        {
            var file = await session.ReadFileAsync($"{feedback}/{name}", 64 * 1024, cancellationToken);
            return Encoding.UTF8.GetString(file.Data);
        }
        catch (AgentErrorException e) when (e.Code == AgentErrorCode.Io)
        {
            return null;
        }
    }

    /// <summary>
    /// Puts the validator in the VM: Python as source; C and C++ compiled once per problem version and host and
    /// cached as a binary (built in a VM, never run on the host).
    /// </summary>
    private async Task<IReadOnlyList<string>> InstallAsync(CancellationToken cancellationToken)
    {
        var files = new List<(string Path, byte[] Content)>();
        foreach (var file in version.Files.Where(f => f.Role == ProblemVersionFile.OutputValidator).OrderBy(f => f.Path, StringComparer.Ordinal))
        {
            files.Add((file.Path, await testData.GetAsync(file.Sha256, cancellationToken)));
        }

        if (version.ValidatorLanguage == "python")
        {
            var script = files.Single(f => f.Path.EndsWith(".py", StringComparison.Ordinal));
            await session.WriteProtectedFileAsync($"{Directory}/{script.Path}", script.Content, cancellationToken);
            // Isolated mode: no user site-packages, no PYTHON* variables, no script directory on the path.
            return ["python3", "-I", $"{Directory}/{script.Path}"];
        }

        var binary = $"{Directory}/validator";
        var key = ValidatorBinaries.Key(version.ValidatorLanguage!, files);
        if (binaries.TryGet(key) is { } cached)
        {
            await session.WriteProtectedFileAsync(binary, cached, cancellationToken, mode: 0x1ED /* 0755 */);
            return [binary];
        }

        foreach (var (path, content) in files)
        {
            await session.WriteProtectedFileAsync($"{Directory}/src/{path}", content, cancellationToken);
        }

        var compiler = version.ValidatorLanguage == "c" ? "gcc" : "g++";
        var standard = version.ValidatorLanguage == "c" ? "-std=gnu17" : "-std=gnu++17";
        var sources = files.Where(f => Path.GetExtension(f.Path) is ".c" or ".cc" or ".cpp" or ".cxx").Select(f => $"{Directory}/src/{f.Path}");
        var compile = await session.ExecuteAsync(new GuestCommand([compiler, "-O2", standard, "-static", "-pipe", $"-I{Directory}/src", "-o", binary, .. sources, "-lm"])
        {
            Uid = 0,
            Gid = 0,
            WorkingDirectory = Directory,
            Limits = Judge.Grading.Languages.LanguageRegistry.CompileLimits,
        }, cancellationToken);
        if (!compile.Succeeded)
        {
            throw new UnjudgeableException($"The output validator does not compile: {ValidatorRules.Quote(compile.StderrText + compile.StdoutText)}");
        }

        var built = await session.ReadFileAsync(binary, 64L << 20, cancellationToken);
        binaries.Put(key, built.Data);
        return [binary];
    }
}

/// <summary>Compiled output validators on the worker's disk, by a hash of their sources and language.</summary>
public sealed class ValidatorBinaries(IOptions<WorkerOptions> options, IOptions<SandboxOptions> sandbox)
{
    private readonly string _directory = Path.Combine(options.Value.CacheDirectory ?? sandbox.Value.ResolveCacheDirectory(), "validators");

    public static string Key(string language, IEnumerable<(string Path, byte[] Content)> files)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(language));
        foreach (var (path, content) in files)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(path));
            hash.AppendData(SHA256.HashData(content));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    public byte[]? TryGet(string key)
    {
        var path = Path.Combine(_directory, key);
        return File.Exists(path) ? File.ReadAllBytes(path) : null;
    }

    public void Put(string key, byte[] binary)
    {
        System.IO.Directory.CreateDirectory(_directory);
        var path = Path.Combine(_directory, key);
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        File.WriteAllBytes(temporary, binary);
        File.Move(temporary, path, overwrite: true);
    }
}
