using System.Diagnostics;
using System.Globalization;
using System.Text;
using CliWrap;
using CliWrap.Buffered;

namespace Judge.Sandbox.Processes;

public sealed record HostProcessResult(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed);

/// <summary>
/// The project's one way to start trusted host programs (QEMU, the namespace launcher, mount, native baselines), over
/// CliWrap. Standard input is always closed at once: no host program reads the worker's own.
/// </summary>
public static class HostProcess
{
    private static readonly PipeTarget DiscardedOutput = PipeTarget.Create((output, cancellationToken) => output.CopyToAsync(Stream.Null, cancellationToken));

    /// <summary>Runs a program to completion; kills its process tree when <paramref name="timeout"/> passes.</summary>
    public static async Task<HostProcessResult> RunAsync(
        string fileName, IEnumerable<string> arguments, TimeSpan timeout, string? stdin = null, CancellationToken cancellationToken = default)
    {
        var command = Cli.Wrap(fileName)
            .WithArguments(arguments)
            .WithStandardInputPipe(stdin is null ? PipeSource.Null : PipeSource.FromString(stdin))
            .WithValidation(CommandResultValidation.None);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            // A cancelled run has its whole process tree killed, and ends only once it has exited. Elapsed is what the
            // caller waited, spawn included (CliWrap's RunTime starts once the process exists), as benchmarks' native
            // baselines have always been measured.
            var clock = Stopwatch.StartNew();
            var result = await command.ExecuteBufferedAsync(deadline.Token);
            return new HostProcessResult(result.ExitCode, result.StandardOutput, result.StandardError, clock.Elapsed);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{fileName} did not finish within {timeout.TotalSeconds:0.#} s.");
        }
    }

    /// <summary>
    /// Starts a long-running program whose stderr is kept (the last few KiB) for error reports and whose stdout is
    /// discarded, with this process's environment, or with <paramref name="environment"/> alone when it is given.
    /// </summary>
    public static StartedProcess Start(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var tail = new StderrTail();
        var command = Cli.Wrap(fileName)
            .WithArguments(arguments)
            // Read and dropped, not PipeTarget.Null: that closes the pipe at once, and a write to it then fails (EPIPE).
            .WithStandardOutputPipe(DiscardedOutput)
            .WithStandardErrorPipe(PipeTarget.ToDelegate(tail.Append))
            .WithValidation(CommandResultValidation.None);
        if (environment is not null)
        {
            // CliWrap only adds to the inherited environment, and removes a variable set to null: so every variable of
            // this process is removed, then the given ones are set. Judge sets no variable of its own at run time, so
            // none can appear between this snapshot and the start.
            command = command.WithEnvironmentVariables(variables =>
            {
                foreach (var name in Environment.GetEnvironmentVariables().Keys.Cast<string>())
                {
                    variables.Set(name, null);
                }

                variables.Set(environment.ToDictionary(v => v.Key, v => (string?)v.Value, StringComparer.Ordinal));
            });
        }

        return new StartedProcess(command, tail);
    }
}

/// <summary>
/// A long-running host program from <see cref="HostProcess.Start"/>: its pid, whether and how it ended, and a kill of its
/// whole process tree, which disposing does too when the program still runs.
/// </summary>
public sealed class StartedProcess : IDisposable
{
    private readonly CancellationTokenSource _kill = new();
    private readonly Task<CommandResult?> _ended;
    private readonly string? _startTime;
    private int _gone;
    private int _killed;

    internal StartedProcess(Command command, StderrTail stderr)
    {
        var running = command.ExecuteAsync(_kill.Token);
        Id = running.ProcessId;
        _startTime = StartTimeOf(Id);
        Stderr = stderr;
        _ended = EndedAsync(running);
    }

    public int Id { get; }

    public StderrTail Stderr { get; }

    /// <summary>
    /// The program itself has exited. CliWrap's run ends only once its output pipes close too, which a child that outlives
    /// it (a namespace sandbox's PID 1 when its launcher was killed) may delay; so the process's own entry in /proc, with
    /// the start time it had (a reused pid is another process), decides as well.
    /// </summary>
    public bool HasExited
    {
        get
        {
            if (_ended.IsCompleted || Volatile.Read(ref _gone) != 0)
            {
                return true;
            }

            if (_startTime is not null && StartTimeOf(Id) == _startTime)
            {
                return false;
            }

            Volatile.Write(ref _gone, 1);
            return true;
        }
    }

    /// <summary>The exit code of a program that exited by itself, once its output is closed; else null.</summary>
    public int? ExitCode => _ended.IsCompletedSuccessfully ? _ended.Result?.ExitCode : null;

    /// <summary>"exited with code N", "was killed" (by <see cref="Kill"/>), or "exited"; for messages.</summary>
    public string Ending => ExitCode is { } code ? $"exited with code {code}"
        : Volatile.Read(ref _killed) != 0 ? "was killed"
        : HasExited ? "exited" : "is running";

    /// <summary>
    /// Completes when the program has exited and its output pipes are closed; never throws but for
    /// <paramref name="cancellationToken"/>.
    /// </summary>
    public Task WaitForExitAsync(CancellationToken cancellationToken) => _ended.WaitAsync(cancellationToken);

    /// <summary>Kills the program and every process it started (SIGKILL); <see cref="WaitForExitAsync"/> tells when they are gone.</summary>
    public void Kill()
    {
        if (!_ended.IsCompleted)
        {
            Volatile.Write(ref _killed, 1);
            _kill.Cancel();
        }
    }

    public void Dispose() => Kill();

    /// <summary>
    /// Field 22 of /proc/PID/stat (clock ticks after boot); null when the process is gone or a zombie. The fields are read
    /// after the last ')', since the command name in parentheses may hold anything.
    /// </summary>
    private static string? StartTimeOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields[0] is "Z" or "X" ? null : fields[19];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private static async Task<CommandResult?> EndedAsync(CommandTask<CommandResult> running)
    {
        try
        {
            return await running;
        }
        catch (OperationCanceledException)
        {
            return null; // killed by Kill
        }
    }
}

/// <summary>The end of a process's stderr, bounded so a chatty process cannot grow the host's memory.</summary>
public sealed class StderrTail
{
    private const int MaxChars = 8192;
    private readonly StringBuilder _text = new();
    private readonly Lock _lock = new();

    public void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lock)
        {
            _text.AppendLine(line);
            if (_text.Length > MaxChars)
            {
                _text.Remove(0, _text.Length - MaxChars);
            }
        }
    }

    public override string ToString()
    {
        lock (_lock)
        {
            return _text.ToString().Trim();
        }
    }
}
