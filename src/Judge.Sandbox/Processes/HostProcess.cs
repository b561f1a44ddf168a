using System.Diagnostics;
using System.Text;

namespace Judge.Sandbox.Processes;

public sealed record HostProcessResult(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed);

/// <summary>The project's one wrapper over <see cref="Process"/> for trusted host programs (QEMU, native baselines).</summary>
public static class HostProcess
{
    /// <summary>Runs a program to completion; kills its process tree when <paramref name="timeout"/> passes.</summary>
    public static async Task<HostProcessResult> RunAsync(
        string fileName, IEnumerable<string> arguments, TimeSpan timeout, string? stdin = null, CancellationToken cancellationToken = default)
    {
        var startInfo = CreateStartInfo(fileName, arguments);
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardInput = stdin is not null;
        using var process = new Process { StartInfo = startInfo };
        var stopwatch = Stopwatch.StartNew();
        process.Start();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"{fileName} did not finish within {timeout.TotalSeconds:0.#} s.");
        }

        var elapsed = stopwatch.Elapsed;
        return new HostProcessResult(process.ExitCode, await stdout, await stderr, elapsed);
    }

    /// <summary>
    /// Starts a long-running program whose stderr is kept (the last few KiB) for error reports, with this process's
    /// environment, or with <paramref name="environment"/> alone when it is given.
    /// </summary>
    public static (Process Process, StderrTail Stderr) Start(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var startInfo = CreateStartInfo(fileName, arguments);
        if (environment is not null)
        {
            startInfo.Environment.Clear();
            foreach (var (key, value) in environment)
            {
                startInfo.Environment[key] = value;
            }
        }

        startInfo.RedirectStandardInput = true;
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var tail = new StderrTail();
        process.ErrorDataReceived += (_, e) => tail.Append(e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginErrorReadLine();
        return (process, tail);
    }

    private static ProcessStartInfo CreateStartInfo(string fileName, IEnumerable<string> arguments)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            RedirectStandardOutput = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        return startInfo;
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
