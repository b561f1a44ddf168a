using System.Data.Common;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Judge.Client;
using Judge.Sandbox.Processes;

namespace Judge.Benchmarks;

/// <summary>
/// A fleet of the benchmark's own: the API and workers as processes (<c>dotnet &lt;dll&gt;</c>, as deploy/fleet.sh starts
/// them, from this repository's build), on a database and a RabbitMQ virtual host of their own on the servers
/// deploy/services.sh runs (connection settings from <c>deploy/services.sh env</c> in the environment), so that no other
/// fleet on those servers judges its submissions. Disposing stops everything and removes the database and virtual host.
/// </summary>
internal sealed partial class LocalFleet : IAsyncDisposable
{
    private const int SigTerm = 15;

    private readonly string _services;
    private readonly string _root = Bench.RepositoryRoot();
    private readonly string _database;
    private readonly string _virtualHost;
    private readonly string _binaries;
    private readonly List<string> _settings;
    private readonly List<FleetProcess> _processes = [];

    private LocalFleet(string services, string database, string virtualHost, List<string> settings)
    {
        _services = services;
        _database = database;
        _virtualHost = virtualHost;
        _settings = settings;
        // The API, worker and CLI are built with the benchmark (see its csproj), in the same bin/<configuration>/<framework>.
        _binaries = Path.GetRelativePath(Path.Combine(_root, "bench", "Judge.Benchmarks"), AppContext.BaseDirectory);
    }

    public JudgeClient Client { get; private set; } = null!;

    /// <summary>Makes the database and virtual host, starts the API and creates an admin key.</summary>
    public static async Task<LocalFleet> StartAsync(string servicesScript, CancellationToken cancellationToken)
    {
        var connection = Environment.GetEnvironmentVariable("ConnectionStrings__Judge")
            ?? throw new InvalidOperationException("ConnectionStrings__Judge is not set: run `eval \"$(deploy/services.sh env)\"` first.");
        var suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var builder = new DbConnectionStringBuilder { ConnectionString = connection };
        var user = (string)builder["Username"];
        builder["Database"] = $"judge_bench_{suffix}";
        var fleet = new LocalFleet(servicesScript, $"judge_bench_{suffix}", $"judge-bench-{suffix}",
        [
            $"ConnectionStrings__Judge={builder.ConnectionString}",
            $"RabbitMq__VirtualHost=judge-bench-{suffix}",
            "Serilog__MinimumLevel=Warning",
        ]);
        try
        {
            await fleet.ServicesAsync(cancellationToken, "psql", "-v", "ON_ERROR_STOP=1", "-c", $"CREATE DATABASE {fleet._database} OWNER {user}");
            await fleet.ServicesAsync(cancellationToken, "rabbitmqctl", "add_vhost", fleet._virtualHost);
            await fleet.ServicesAsync(cancellationToken, "rabbitmqctl", "set_permissions", "-p", fleet._virtualHost,
                Environment.GetEnvironmentVariable("RabbitMq__Username") ?? "guest", ".*", ".*", ".*");
            var api = new Uri($"http://127.0.0.1:{FreePort()}");
            var process = fleet.Start("api", "Judge.Api", [], ["--urls", api.ToString()]);
            await WaitReadyAsync(api, process, cancellationToken);
            var key = await HostProcess.RunAsync("env", [.. fleet._settings, "dotnet", fleet.Dll("Judge.Cli", "judge"), "keys", "create", "--name", "isolation-benchmark", "--admin", "--quiet"],
                TimeSpan.FromMinutes(2), cancellationToken: cancellationToken);
            if (key.ExitCode != 0)
            {
                throw new InvalidOperationException($"judge keys create failed ({key.ExitCode}): {key.Stderr}");
            }

            fleet.Client = JudgeClient.Create(api, key.Stdout.Trim());
            return fleet;
        }
        catch
        {
            await fleet.DisposeAsync();
            throw;
        }
    }

    /// <summary>A worker process with the fleet's settings and <paramref name="settings"/> (KEY=VALUE, as environment variables).</summary>
    public FleetProcess StartWorker(string name, IEnumerable<string> settings) => Start(name, "Judge.Worker", settings, []);

    /// <summary>SIGTERM, as deploy/fleet.sh stops a process (a worker then destroys its sandboxes), then SIGKILL after a minute.</summary>
    public static async Task StopAsync(FleetProcess process)
    {
        if (process.Process.HasExited)
        {
            return;
        }

        _ = Kill(process.Process.Id, SigTerm);
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            await process.Process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Process.Kill();
            await process.Process.WaitForExitAsync(CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in Enumerable.Reverse(_processes))
        {
            await StopAsync(process);
            process.Process.Dispose();
        }

        // Best effort: a failed clean-up must not hide the benchmark's result or its own error.
        await TryServicesAsync("psql", "-c", $"DROP DATABASE IF EXISTS {_database} WITH (FORCE)");
        await TryServicesAsync("rabbitmqctl", "delete_vhost", _virtualHost);
    }

    private FleetProcess Start(string name, string project, IEnumerable<string> settings, IEnumerable<string> arguments)
    {
        var process = HostProcess.Start("env", [.. _settings, .. settings, "dotnet", Dll(project, project), .. arguments]);
        var started = new FleetProcess(name, process, process.Stderr);
        _processes.Add(started);
        return started;
    }

    private string Dll(string project, string assembly)
    {
        var dll = Path.Combine(_root, "src", project, _binaries, assembly + ".dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"{dll} is missing: build the solution (dotnet build -c Release) first.");
    }

    private static async Task WaitReadyAsync(Uri api, FleetProcess process, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = api, Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (process.Process.HasExited)
            {
                throw new InvalidOperationException($"The API exited ({process.Process.ExitCode}): {process.Stderr}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri("/readyz", UriKind.Relative), cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            if (clock.Elapsed > TimeSpan.FromMinutes(2))
            {
                throw new TimeoutException($"The API at {api} was not ready after 2 minutes: {process.Stderr}");
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    private async Task ServicesAsync(CancellationToken cancellationToken, params string[] arguments)
    {
        var result = await HostProcess.RunAsync(_services, arguments, TimeSpan.FromMinutes(2), cancellationToken: cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{_services} {string.Join(' ', arguments)} failed ({result.ExitCode}): {result.Stdout}{result.Stderr}");
        }
    }

    private async Task TryServicesAsync(params string[] arguments)
    {
        try
        {
            await ServicesAsync(CancellationToken.None, arguments);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
        {
            await Console.Error.WriteLineAsync($"benchmark: clean-up failed: {e.Message}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}

/// <summary>An API or worker process of a <see cref="LocalFleet"/>, with the end of its log (stderr) for error reports.</summary>
internal sealed record FleetProcess(string Name, StartedProcess Process, StderrTail Stderr);
