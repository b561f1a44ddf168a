using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Judge.Api;
using Judge.Data;
using Judge.Data.Keys;
using Judge.ServiceDefaults;
using Judge.Worker;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using OpenTelemetry.Trace;

namespace Judge.Fleet.IntegrationTests;

/// <summary>
/// The whole fleet for one test run: a fresh database and RabbitMQ virtual host on the servers that
/// deploy/services.sh runs, the API on Kestrel at a random loopback port, and one worker judging in VMs.
/// </summary>
public sealed class FleetFixture : IAsyncLifetime
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly string _suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
    private readonly string _testData = Directory.CreateTempSubdirectory("judge-testdata-").FullName;
    private readonly List<HttpClient> _clients = [];
    private readonly List<(string Database, string VirtualHost)> _separateFleets = [];
    private string _serverConnectionString = "";

    public WebApplication Api { get; private set; } = null!;

    public IHost Worker { get; private set; } = null!;

    public Uri ApiAddress { get; private set; } = null!;

    public Dictionary<string, string?> Settings { get; } = [];

    /// <summary>Every span the API's and the workers' tracer providers exported (OpenTelemetry's in-memory exporter).</summary>
    public SpanCollection Spans { get; } = new();

    /// <summary>The in-process worker's /metrics, on the loopback port its metrics listener took.</summary>
    public Uri WorkerMetricsAddress => Worker.Services.GetRequiredService<MetricsListener>().MetricsAddress!;

    public string VirtualHost => $"judge-test-{_suffix}";

    public string AdminKey { get; private set; } = "";

    public string AliceKey { get; private set; } = "";

    public string BobKey { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        var services = await LocalServices.StartAsync();
        _serverConnectionString = services["ConnectionStrings:Judge"];
        var database = $"judge_test_{_suffix}";
        await using (var server = new NpgsqlConnection(_serverConnectionString))
        {
            await server.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", server);
            await create.ExecuteNonQueryAsync();
        }

        await LocalServices.RunAsync("rabbitmqctl", "add_vhost", VirtualHost);
        await LocalServices.RunAsync("rabbitmqctl", "set_permissions", "-p", VirtualHost, services["RabbitMq:Username"], ".*", ".*", ".*");

        Settings["ConnectionStrings:Judge"] = new NpgsqlConnectionStringBuilder(_serverConnectionString) { Database = database }.ConnectionString;
        foreach (var key in new[] { "Host", "Port", "Username", "Password" })
        {
            Settings[$"RabbitMq:{key}"] = services[$"RabbitMq:{key}"];
        }

        Settings["RabbitMq:VirtualHost"] = VirtualHost;
        Settings["Serilog:MinimumLevel"] = "Warning";
        Settings[Judge.ServiceDefaults.ServiceDefaultsExtensions.RecordTracesSetting] = "true"; // the tests' in-memory exporter takes them
        Settings["Sandbox:MaxConcurrentVms"] = "4";
        Settings["Sandbox:WarmPoolSize"] = "1";
        Settings["Sandbox:WarmLanguages:0"] = "python";
        Settings["Sandbox:WarmLanguages:1"] = "c";
        Settings["Worker:CacheDirectory"] = _testData;
        Settings["Worker:HeartbeatInterval"] = "00:00:02";
        // The tests call the sweeper themselves (or trigger its Hangfire job).
        Settings["Api:SweepSchedule"] = Hangfire.Cron.Never();
        // The tests' callback receivers listen on loopback; retries come quickly enough to watch.
        Settings["Callbacks:AllowedHosts:0"] = "127.0.0.1";
        Settings["Callbacks:FirstRetryDelay"] = "00:00:01";
        Settings["Runs:MaxQueuedPerWorker"] = Fleet.MaxQueuedRunsPerWorker.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var api = WebApplication.CreateBuilder();
        api.Configuration.AddInMemoryCollection(Settings);
        api.WebHost.UseUrls("http://127.0.0.1:0");
        api.AddJudgeApi();
        api.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(Spans));
        Api = api.Build();
        await Api.PrepareJudgeAsync();
        Api.MapJudgeApi();
        await Api.StartAsync();
        ApiAddress = new Uri(Api.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());

        await StartWorkerAsync();

        AdminKey = await CreateKeyAsync("admin", isAdmin: true);
        AliceKey = await CreateKeyAsync("alice", isAdmin: false);
        BobKey = await CreateKeyAsync("bob", isAdmin: false);
        await CreateProblemAsync(Problems.Sum);
        await CreateProblemAsync(Problems.Hello);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        await Worker.StopAsync();
        Worker.Dispose();
        await Api.StopAsync();
        await Api.DisposeAsync();
        foreach (var (database, vhost) in _separateFleets.Prepend(($"judge_test_{_suffix}", VirtualHost)))
        {
            await using (var server = new NpgsqlConnection(_serverConnectionString))
            {
                await server.OpenAsync();
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", server);
                await drop.ExecuteNonQueryAsync();
            }

            await LocalServices.RunAsync("rabbitmqctl", "delete_vhost", vhost);
        }
        Directory.Delete(_testData, recursive: true);
    }

    /// <summary>
    /// Starts a worker host in this process (the fixture's own, or its replacement after <see cref="StopWorkerAsync"/>), with the
    /// fixture's settings and <paramref name="overrides"/>.
    /// </summary>
    public async Task StartWorkerAsync(IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var worker = Host.CreateApplicationBuilder();
        worker.Configuration.AddInMemoryCollection(Settings);
        worker.Configuration.AddInMemoryCollection(overrides ?? new Dictionary<string, string?>());
        worker.AddJudgeWorker();
        worker.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(Spans));
        Worker = worker.Build();
        await Worker.StartAsync();
    }

    /// <summary>
    /// Runs <paramref name="test"/> with the fixture's worker replaced by one that isolates so (with <paramref name="settings"/>
    /// on top), then puts the fixture's own back; skips the test, naming why, on a host that cannot isolate so.
    /// </summary>
    public async Task WithWorkerIsolatingAsync(
        Judge.Sandbox.Vms.Isolation isolation, Func<Task> test, IReadOnlyDictionary<string, string?>? settings = null)
    {
        if (await Isolations.UnavailableAsync(isolation, TestContext.Current.CancellationToken) is { } reason)
        {
            Assert.Skip($"{isolation} isolation is not available on this host: {reason}");
        }

        await StopWorkerAsync();
        try
        {
            var worker = new Dictionary<string, string?>(Isolations.SettingsFor(isolation));
            foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            {
                worker[key] = value;
            }

            await StartWorkerAsync(worker);
            await test();
        }
        finally
        {
            await StopWorkerAsync();
            await StartWorkerAsync();
        }
    }

    public async Task StopWorkerAsync()
    {
        await Worker.StopAsync();
        Worker.Dispose();
    }

    /// <summary>A worker in a process of its own, with the fixture's settings: one that a test can kill outright.</summary>
    public System.Diagnostics.Process StartWorkerProcess(string workerId, TimeSpan lease, IReadOnlyDictionary<string, string?>? settings = null) =>
        StartProcess("Judge.Worker.dll", new Dictionary<string, string?>(settings ?? Settings)
        {
            ["Worker:Id"] = workerId,
            ["Worker:LeaseDuration"] = lease.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
        });

    /// <summary>An API host in a process of its own, on <paramref name="address"/>, with <paramref name="settings"/>: one that a test can kill outright.</summary>
    public static System.Diagnostics.Process StartApiProcess(Uri address, IReadOnlyDictionary<string, string?> settings) =>
        StartProcess("Judge.Api.dll", settings, "--urls", address.ToString());

    /// <summary>
    /// Settings for a second fleet beside this one: its own database and virtual host on the same servers (dropped with the
    /// fixture), so that processes a test starts and kills share nothing with the fixture's API and worker.
    /// </summary>
    public async Task<Dictionary<string, string?>> CreateSeparateFleetAsync(string name)
    {
        var database = $"judge_test_{_suffix}_{name}";
        var vhost = $"{VirtualHost}-{name}";
        await using (var server = new NpgsqlConnection(_serverConnectionString))
        {
            await server.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", server);
            await create.ExecuteNonQueryAsync();
        }

        await LocalServices.RunAsync("rabbitmqctl", "add_vhost", vhost);
        await LocalServices.RunAsync("rabbitmqctl", "set_permissions", "-p", vhost, Settings["RabbitMq:Username"]!, ".*", ".*", ".*");
        _separateFleets.Add((database, vhost));
        return new Dictionary<string, string?>(Settings)
        {
            ["ConnectionStrings:Judge"] = new NpgsqlConnectionStringBuilder(_serverConnectionString) { Database = database }.ConnectionString,
            ["RabbitMq:VirtualHost"] = vhost,
        };
    }

    private static System.Diagnostics.Process StartProcess(string dll, IReadOnlyDictionary<string, string?> settings, params string[] arguments)
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, dll), .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = System.Diagnostics.Process.Start(start)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>An HTTP client of the API; with a key unless <paramref name="key"/> is null.</summary>
    public HttpClient Client(string? key)
    {
        var client = new HttpClient { BaseAddress = ApiAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", key);
        }

        _clients.Add(client);
        return client;
    }

    public async Task CreateProblemAsync(object problem)
    {
        using var response = await Client(AdminKey).PostAsJsonAsync("/api/problems", problem, Json);
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
    }

    /// <summary>A problem package's files: problem.yaml (unless null) and the others given.</summary>
    public static (string Path, string Content)[] Package(string? problemYaml, params (string Path, string Content)[] files) =>
        problemYaml is null ? files : [("problem.yaml", problemYaml), .. files];

    /// <summary>Uploads a package of <paramref name="files"/> as a zip, as problem <paramref name="slug"/>.</summary>
    public async Task<HttpResponseMessage> ImportPackageAsync((string Path, string Content)[] files, string slug)
    {
        using var buffer = new MemoryStream();
        using (var archive = new System.IO.Compression.ZipArchive(buffer, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (path, content) in files)
            {
                await using var entry = new StreamWriter(archive.CreateEntry(path).Open());
                await entry.WriteAsync(content);
            }
        }

        using var body = new ByteArrayContent(buffer.ToArray());
        body.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/zip");
        return await Client(AdminKey).PostAsync(new Uri($"/api/problems?slug={slug}", UriKind.Relative), body);
    }

    /// <summary>Writes a package of <paramref name="files"/> to a directory and runs `judge verify` on it, as problem <paramref name="slug"/>.</summary>
    public async Task<(bool Ok, string Report)> VerifyPackageAsync((string Path, string Content)[] files, string slug)
    {
        var directory = Directory.CreateTempSubdirectory("judge-verify-");
        try
        {
            foreach (var (path, content) in files)
            {
                var file = Path.Combine(directory.FullName, path);
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                await File.WriteAllTextAsync(file, content);
            }

            return await Judge.Cli.Problems.ProblemCommands.VerifyAsync(Judge.Client.JudgeClient.Create(ApiAddress, AdminKey), directory.FullName, slug,
                TestContext.Current.CancellationToken);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>Uploads a package that must be accepted, and returns the created problem.</summary>
    public async Task<JsonElement> CreatePackageAsync((string Path, string Content)[] files, string slug)
    {
        using var response = await ImportPackageAsync(files, slug);
        Assert.True(response.StatusCode is System.Net.HttpStatusCode.Created, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Submits as <paramref name="key"/> (Alice by default) and returns the submission id.</summary>
    public async Task<Guid> SubmitAsync(string problem, string language, string source, string? key = null, string priority = "interactive")
    {
        using var response = await Client(key ?? AliceKey).PostAsJsonAsync("/api/submissions", new { problem, language, source, priority }, Json);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Json);
        Assert.Equal($"/api/submissions/{body.GetProperty("id").GetGuid()}", response.Headers.Location!.ToString());
        return body.GetProperty("id").GetGuid();
    }

    /// <summary>Polls the submission, as a client would, until it is judged.</summary>
    public async Task<JsonElement> WaitForVerdictAsync(Guid id, string? key = null)
    {
        var client = Client(key ?? AliceKey);
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        while (true)
        {
            var submission = await client.GetFromJsonAsync<JsonElement>($"/api/submissions/{id}", Json, deadline.Token);
            if (submission.GetProperty("status").GetString() == "Done")
            {
                return submission;
            }

            await Task.Delay(200, deadline.Token);
        }
    }

    public async Task<T> WithDbAsync<T>(Func<JudgeDbContext, Task<T>> work)
    {
        await using var scope = Api.Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<JudgeDbContext>());
    }

    private Task<string> CreateKeyAsync(string name, bool isAdmin) => WithDbAsync(async db =>
    {
        var (key, row) = ApiKey.Create(name, isAdmin);
        db.ApiKeys.Add(row);
        await db.SaveChangesAsync();
        return key;
    });
}

[CollectionDefinition(Name)]
public sealed class Fleet : ICollectionFixture<FleetFixture>
{
    public const string Name = "Fleet";

    /// <summary>The facades' queue bound per live worker in the fixture's API (Runs:MaxQueuedPerWorker): small enough to reach.</summary>
    public const int MaxQueuedRunsPerWorker = 5;
}

/// <summary>The problems every fleet test may use.</summary>
public static class Problems
{
    public static readonly object Sum = new
    {
        slug = "sum",
        title = "A plus B",
        // Generous: under TCG with several VMs per core, guest CPU time inflates with host contention.
        timeLimitMs = 5000,
        memoryLimitMb = 64,
        outputLimitKb = 64,
        tests = new[]
        {
            new { name = "sample", input = "1 2\n", answer = "3\n", sample = true },
            new { name = "negative", input = "-5 3\n", answer = "-2\n", sample = false },
            new { name = "large", input = "2000000000 2000000000\n", answer = "4000000000\n", sample = false },
        },
    };

    public static readonly object Hello = new
    {
        slug = "hello",
        title = "Hello",
        timeLimitMs = 2000,
        memoryLimitMb = 128,
        tests = new[] { new { name = "only", input = "", answer = "Hello, World!\n", sample = true } },
    };

    public const string SumPython = "a, b = map(int, input().split())\nprint(a + b)\n";

    /// <summary>Correct, but sleeps in every test: time for a test to kill the VM or the worker judging it.</summary>
    public const string SlowSumPython = "import time\ntime.sleep(3)\na, b = map(int, input().split())\nprint(a + b)\n";
}
