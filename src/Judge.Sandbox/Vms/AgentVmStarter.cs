using System.Diagnostics;
using System.Net.Sockets;
using Judge.Sandbox.Processes;
using Judge.Sandbox.Protocol;
using Judge.Sandbox.Settings;
using Microsoft.Extensions.Logging;

namespace Judge.Sandbox.Vms;

/// <summary>
/// Starts a sandbox's host process and connects its agent. The host listens on the control socket before the
/// process starts, so the agent's first frame cannot be missed; if the process exits first, its own words
/// (stderr) explain why.
/// </summary>
internal static class AgentVmStarter
{
    public static async Task<AgentVm> StartAsync(
        string processName, VmDirectory directory, Isolation isolation, TimeSpan timeout, Stopwatch clock, string fileName,
        List<string> arguments, SandboxOptions options, ILoggerFactory loggerFactory,
        Func<StartedProcess, AgentClient, double, CancellationToken, Task<VmStartTimings>> handshake, CancellationToken cancellationToken,
        Func<ValueTask>? afterExit = null, Func<StartedProcess, int>? agentProcessId = null)
    {
        var logger = loggerFactory.CreateLogger<AgentVm>();
        StartedProcess? process = null;
        StderrTail? stderr = null;
        AgentClient? agent = null;
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(directory.ControlSocket));
            listener.Listen(1);
            // None of the worker's environment, which may hold its secrets (connection strings): what a sandbox's host
            // process holds, a judged program must never be one step from.
            process = HostProcess.Start(fileName, arguments, environment: new Dictionary<string, string>());
            stderr = process.Stderr;
            var setupMs = clock.Elapsed.TotalMilliseconds;

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            var exited = process.WaitForExitAsync(deadline.Token);
            var connection = await UntilExitAsync(listener.AcceptAsync(deadline.Token).AsTask(), exited);
            agent = new AgentClient(new NetworkStream(connection, ownsSocket: true));
            var timings = await UntilExitAsync(handshake(process, agent, setupMs, deadline.Token), exited);
            var vm = new AgentVm(processName, directory, process, stderr, agent, isolation, timings, options, logger, afterExit)
            {
                AgentProcessId = agentProcessId?.Invoke(process) ?? process.Id,
            };
            logger.LogInformation(
                "VM {VmId} up under {Isolation} ({BootKind}): setup {SetupMs:0} ms, boot {BootMs:0} ms",
                directory.Id, isolation, timings.Kind, timings.SetupMs, timings.BootMs);
            return vm;
        }
        catch (Exception e)
        {
            var detail = Describe(processName, e, process, stderr, timeout);
            if (process is { HasExited: false })
            {
                process.Kill();
                await process.WaitForExitAsync(CancellationToken.None);
            }

            if (agent is not null)
            {
                await agent.DisposeAsync();
            }

            process?.Dispose();
            if (afterExit is not null)
            {
                await afterExit();
            }

            directory.Delete();
            if (e is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            if (e is AgentVersionMismatchException)
            {
                throw;
            }

            throw new SandboxVmException($"VM {directory.Id} did not start under {isolation}: {detail}", e);
        }
    }

    /// <summary>
    /// The handshake of a freshly started agent: READY, then HELLO, both checked against the image version. The boot
    /// time runs until READY; the connect time is the HELLO round trip.
    /// </summary>
    public static async Task<VmStartTimings> ColdHandshakeAsync(AgentClient agent, string imageVersion, Stopwatch clock, double setupMs, CancellationToken cancellationToken)
    {
        var ready = await agent.WaitForReadyAsync(cancellationToken);
        var bootMs = clock.Elapsed.TotalMilliseconds - setupMs;
        ready.EnsureCompatible(imageVersion);
        var hello = await agent.HelloAsync(cancellationToken);
        hello.EnsureCompatible(imageVersion);
        return new VmStartTimings(VmBootKind.Cold, setupMs, bootMs, clock.Elapsed.TotalMilliseconds - setupMs - bootMs);
    }

    /// <summary>A step of the start-up that fails fast when the host process exits first.</summary>
    private static async Task<T> UntilExitAsync<T>(Task<T> step, Task exited)
    {
        var first = await Task.WhenAny(step, exited);
        if (first == exited && !step.IsCompleted)
        {
            await exited; // surfaces the deadline's cancellation, if that is what ended the wait
            throw new ProcessExitedException();
        }

        return await step;
    }

    private static string Describe(string processName, Exception e, StartedProcess? process, StderrTail? stderr, TimeSpan timeout)
    {
        var reason = e switch
        {
            ProcessExitedException => $"{processName} {process?.Ending}",
            OperationCanceledException => $"no answer from the agent within {timeout.TotalSeconds:0.#} s",
            _ => e.Message,
        };
        var text = stderr?.ToString();
        return string.IsNullOrEmpty(text) ? reason : $"{reason}. {processName} stderr: {text}";
    }

    private sealed class ProcessExitedException : Exception;
}
