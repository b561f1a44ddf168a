using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Judge.Fleet.IntegrationTests;

/// <summary>Integration tests: what operators and client authors rely on (health, OpenAPI, languages, heartbeats).</summary>
[Collection(Fleet.Name)]
public sealed class OperationsTests(FleetFixture fleet)
{
    [Fact]
    public void Neither_the_API_nor_the_worker_reports_usage_to_MassTransits_makers()
    {
        Assert.False(fleet.Api.Services.GetRequiredService<IOptions<MassTransit.UsageTelemetryOptions>>().Value.Enabled);
        Assert.False(fleet.Worker.Services.GetRequiredService<IOptions<MassTransit.UsageTelemetryOptions>>().Value.Enabled);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Liveness_needs_no_key_and_readiness_reports_postgres_and_rabbitmq()
    {
        using var live = await fleet.Client(null).GetAsync(new Uri("/healthz", UriKind.Relative), Ct);
        var ready = await fleet.Client(null).GetFromJsonAsync<JsonElement>("/readyz", FleetFixture.Json, Ct);

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("Healthy", ready.GetProperty("status").GetString());
        var checks = ready.GetProperty("checks");
        Assert.Equal("Healthy", checks.GetProperty("postgres").GetProperty("status").GetString());
        Assert.Contains(checks.EnumerateObject(), c => c.Name.Contains("masstransit", StringComparison.OrdinalIgnoreCase)
            && c.Value.GetProperty("status").GetString() == "Healthy");
    }

    [Fact]
    public async Task Both_lanes_are_durable_quorum_queues()
    {
        var listing = await LocalServices.RunAsync("rabbitmqctl", "list_queues", "-p", fleet.VirtualHost, "--quiet", "--no-table-headers", "name", "type", "durable");

        var lanes = listing.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).Where(c => c[0] is "judge-interactive" or "judge-batch").ToList();
        Assert.Equal(2, lanes.Count);
        Assert.All(lanes, columns => Assert.Equal(["quorum", "true"], columns[1..]));
    }

    [Fact]
    public async Task The_openapi_document_describes_the_api()
    {
        var document = await fleet.Client(null).GetFromJsonAsync<JsonElement>("/openapi/v1.json", FleetFixture.Json, Ct);

        var paths = document.GetProperty("paths");
        foreach (var path in new[] { "/api/submissions", "/api/submissions/{id}", "/api/problems", "/api/problems/{problem}", "/api/languages" })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"OpenAPI lacks {path}");
        }
    }

    [Fact]
    public async Task Languages_carry_the_versions_the_workers_guest_image_reports()
    {
        await WaitForHeartbeatAsync();

        var languages = await fleet.Client(fleet.AliceKey).GetFromJsonAsync<JsonElement>("/api/languages", FleetFixture.Json, Ct);

        var python = languages.EnumerateArray().Single(l => l.GetProperty("id").GetString() == "python");
        Assert.StartsWith("Python 3", python.GetProperty("version").GetString(), StringComparison.Ordinal);
        Assert.Equal(1.0, python.GetProperty("timeMultiplier").GetDouble());
        Assert.Equal(Judge.Grading.Languages.LanguageRegistry.All.Select(l => l.Id), languages.EnumerateArray().Select(l => l.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task The_worker_reports_its_slots_pool_and_isolation_in_heartbeats()
    {
        var heartbeat = await WaitForHeartbeatAsync();

        Assert.Equal(4, heartbeat.Slots);
        Assert.Contains(heartbeat.Isolation, Enum.GetNames<Judge.Sandbox.Vms.Isolation>());
        Assert.Contains("\"python\"", heartbeat.WarmPool, StringComparison.Ordinal);
        Assert.True(heartbeat.LastSeenAt > DateTime.UtcNow.AddMinutes(-1));
    }

    [Fact]
    public async Task Operators_see_each_worker_isolation_and_why_it_was_chosen_and_other_keys_may_not()
    {
        var heartbeat = await WaitForHeartbeatAsync();

        var workers = await fleet.Client(fleet.AdminKey).GetFromJsonAsync<JsonElement>("/api/workers", FleetFixture.Json, Ct);
        var refused = await fleet.Client(fleet.AliceKey).GetAsync("/api/workers", Ct);

        var worker = workers.EnumerateArray().Single(w => w.GetProperty("id").GetString() == heartbeat.WorkerId);
        Assert.Equal(heartbeat.Isolation, worker.GetProperty("isolation").GetString());
        Assert.False(string.IsNullOrWhiteSpace(worker.GetProperty("isolationReason").GetString()));
        Assert.True(worker.GetProperty("live").GetBoolean());
        Assert.Equal(4, worker.GetProperty("slots").GetInt32());
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task Operators_see_the_speed_factor_each_worker_measured_for_every_language_it_calibrates()
    {
        var heartbeat = await WaitForHeartbeatAsync();

        var workers = await fleet.Client(fleet.AdminKey).GetFromJsonAsync<JsonElement>("/api/workers", FleetFixture.Json, Ct);

        var speed = workers.EnumerateArray().Single(w => w.GetProperty("id").GetString() == heartbeat.WorkerId).GetProperty("speed");
        // The others borrow one of these (Language.CalibratedAs).
        Assert.Equal(Judge.Grading.Languages.LanguageRegistry.All.Where(l => l.CalibratedAs is null).Select(l => l.Id).Order(),
            speed.EnumerateObject().Select(p => p.Name).Order());
        Assert.All(speed.EnumerateObject(), language =>
        {
            var measured = language.Value.GetProperty("measuredCpuMs").GetDouble();
            var reference = language.Value.GetProperty("referenceCpuMs").GetDouble();
            Assert.Equal(Judge.Sandbox.Calibration.SpeedReference.BuiltIn.Languages[language.Name].CpuMs, reference);
            Assert.True(measured > 0);
            Assert.Equal(measured / reference, language.Value.GetProperty("factor").GetDouble(), 0.001);
        });
    }

    private async Task<Data.Workers.WorkerHeartbeat> WaitForHeartbeatAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            // The newest: a worker another test killed leaves its last heartbeat behind.
            var heartbeat = await fleet.WithDbAsync(db => db.WorkerHeartbeats.AsNoTracking().OrderByDescending(w => w.LastSeenAt).FirstOrDefaultAsync());
            if (heartbeat is not null)
            {
                return heartbeat;
            }

            await Task.Delay(200, deadline.Token);
        }
    }
}
