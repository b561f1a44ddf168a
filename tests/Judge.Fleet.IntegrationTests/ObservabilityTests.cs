using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Judge.Sandbox;
using Judge.Sandbox.Settings;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Judge.Fleet.IntegrationTests;

/// <summary>
/// Integration tests of what an operator sees: one trace from the API's request through RabbitMQ to the worker's result
/// write, and every judge metric on the API's and the worker's /metrics (Prometheus text) with a value.
/// </summary>
[Collection(Fleet.Name)]
public sealed partial class ObservabilityTests(FleetFixture fleet)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task One_trace_follows_a_submission_from_the_post_through_the_broker_and_the_worker_to_the_result_write()
    {
        fleet.Spans.Clear();
        fleet.Spans.Recording = true;
        try
        {
            var id = await fleet.SubmitAsync("sum", "python", Problems.SumPython);
            await fleet.WaitForVerdictAsync(id);
            var write = await WaitForSpanAsync(s => s.OperationName == "judge.write_result" && Equals(s.GetTagItem("judge.submission_id"), id));

            var trace = fleet.Spans.Snapshot().Where(s => s.TraceId == write.TraceId).ToList();
            var ancestors = Ancestors(write, trace);
            var chain = string.Join(" <- ", ancestors.Select(Describe));
            Assert.Contains(ancestors, s => s.Source.Name == "MassTransit" && s.Kind == ActivityKind.Consumer);
            Assert.Contains(ancestors, s => s.Source.Name == "MassTransit" && s.Kind == ActivityKind.Producer);
            var request = Assert.Single(ancestors, s => s.Kind == ActivityKind.Server);
            Assert.True(request.Source.Name == "Microsoft.AspNetCore" && (string?)request.GetTagItem("http.request.method") == "POST", chain);
            Assert.Equal("/api/submissions", request.GetTagItem("url.path"));
            // The worker's own steps and its database writes are in the same trace.
            Assert.Contains(trace, s => s.OperationName == "judge.claim");
            Assert.Contains(trace, s => s.OperationName == "judge.compile");
            Assert.Equal(3, trace.Count(s => s.OperationName == "judge.test"));
            Assert.Contains(trace, s => s.Source.Name == "Npgsql" && s.ParentSpanId == write.SpanId);
        }
        finally
        {
            fleet.Spans.Recording = false;
            fleet.Spans.Clear();
        }
    }

    [Fact]
    public async Task The_api_and_the_worker_serve_every_judge_metric_with_a_value_after_judging()
    {
        // Queue depth: while no worker runs, a submission waits in its lane.
        await fleet.StopWorkerAsync();
        var waiting = await fleet.SubmitAsync("sum", "python", Problems.SumPython);
        var queued = await ScrapeAsync(new Uri(fleet.ApiAddress, "/metrics"));
        await fleet.StartWorkerAsync();
        Assert.True(queued.Sum("judge_queue_depth", "lane", "interactive") >= 1, queued.Text);
        Assert.True(queued.Sum("judge_queue_oldest_age_seconds", "lane", "interactive") > 0, queued.Text);
        await fleet.WaitForVerdictAsync(waiting);

        // A sandbox start failure (a pooled VM dead at checkout), a re-claim (the VM dies mid-judging: retried in place,
        // attempt 2) and lease renewals (judging outlasts heartbeats) in one slow submission.
        await KillIdleVmAsync("python");
        var slow = await fleet.SubmitAsync("sum", "python", Problems.SlowSumPython);
        await KillActiveVmAsync();
        var result = await fleet.WaitForVerdictAsync(slow);
        Assert.Equal(2, result.GetProperty("attempt").GetInt32());

        var api = await ScrapeAsync(new Uri(fleet.ApiAddress, "/metrics"));
        var worker = await ScrapeAsync(fleet.WorkerMetricsAddress);
        Assert.Equal(IPAddressLoopback, fleet.WorkerMetricsAddress.Host);

        Assert.True(api.Sum("judge_submissions_received_total", "lane", "interactive") >= 2, api.Text);
        Assert.True(api.Sum("judge_queue_depth") >= 0 && api.Has("judge_queue_depth", "lane", "batch"), api.Text);

        var missing = new List<string>();
        void Expect(string name, string? label = null, string? value = null)
        {
            if (!(worker.Sum(name, label, value) > 0))
            {
                missing.Add(label is null ? name : $"{name}{{{label}=\"{value}\"}}");
            }
        }

        Expect("judge_submissions_judged_total", "verdict", "Accepted");
        foreach (var stage in new[] { "judging", "judging_queue", "judging_setup", "judging_boot", "judging_compile", "judging_execute" })
        {
            Expect($"judge_{stage}_duration_seconds_count", "language", "python");
        }

        Expect("judge_judging_duration_seconds_sum");
        Expect("judge_judging_queue_duration_seconds_sum");
        Expect("judge_judging_execute_duration_seconds_sum");
        Expect("judge_warmpool_idle");
        Expect("judge_warmpool_hits_total", "language", "python");
        Expect("judge_warmpool_misses_total"); // the fixture's cpp and java have no pool: calibration launches them on demand
        Expect("judge_sandbox_start_failures_total", "reason", "unresponsive");
        Expect("judge_leases_renewals_total");
        Expect("judge_claims_reclaims_total", "lane", "interactive");
        Expect("messaging_masstransit_consume_ea_total");
        Expect("db_client_operation_duration_seconds_count");
        Assert.True(missing.Count == 0, $"Missing or zero on the worker: {string.Join(", ", missing)}\n{worker.Text}");
    }

    private const string IPAddressLoopback = "127.0.0.1";

    private async Task<Activity> WaitForSpanAsync(Func<Activity, bool> match)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            if (fleet.Spans.Snapshot().FirstOrDefault(match) is { } span)
            {
                return span;
            }

            await Task.Delay(100, deadline.Token);
        }
    }

    /// <summary>The span and its parents, as far as they are in <paramref name="trace"/>.</summary>
    private static List<Activity> Ancestors(Activity span, IReadOnlyList<Activity> trace)
    {
        var chain = new List<Activity> { span };
        while (trace.FirstOrDefault(s => s.SpanId == chain[^1].ParentSpanId) is { } parent)
        {
            chain.Add(parent);
        }

        return chain;
    }

    private static string Describe(Activity s) => $"{s.Source.Name}:{s.Kind}:{s.DisplayName}";

    private static async Task<Metrics> ScrapeAsync(Uri address)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var response = await client.GetAsync(address, Ct);
        response.EnsureSuccessStatusCode();
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        return new Metrics(await response.Content.ReadAsStringAsync(Ct));
    }

    private SandboxRunner Sandbox => fleet.Worker.Services.GetRequiredService<SandboxRunner>();

    private string VmPidFile(string vm) =>
        Path.Combine(fleet.Worker.Services.GetRequiredService<IOptions<SandboxOptions>>().Value.WorkDirectory, vm, "process.pid");

    /// <summary>Waits for an idle warm VM of <paramref name="language"/> and kills it, so the next checkout finds it dead.</summary>
    private async Task KillIdleVmAsync(string language)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (true)
        {
            if (Sandbox.Pool.IdleVmIds(language) is [var vm, ..] && File.Exists(VmPidFile(vm)))
            {
                Kill(vm);
                return;
            }

            await Task.Delay(100, deadline.Token);
        }
    }

    /// <summary>Waits for a VM to be taken for judging and kills it once its program runs.</summary>
    private async Task KillActiveVmAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (true)
        {
            if (Sandbox.ActiveVmIds.FirstOrDefault() is { } vm && File.Exists(VmPidFile(vm)))
            {
                await Task.Delay(1500, deadline.Token);
                Kill(vm);
                return;
            }

            await Task.Delay(50, deadline.Token);
        }
    }

    private void Kill(string vm)
    {
        using var process = Process.GetProcessById(int.Parse(File.ReadAllText(VmPidFile(vm)).Trim(), CultureInfo.InvariantCulture));
        process.Kill();
    }

    /// <summary>Prometheus text: "name{label="value",…} number [timestamp]" lines, comments skipped.</summary>
    private sealed partial class Metrics(string text)
    {
        private readonly List<(string Name, Dictionary<string, string> Labels, double Value)> _samples = [.. Parse(text)];

        public string Text { get; } = text;

        public bool Has(string name, string label, string value) =>
            _samples.Any(s => s.Name == name && s.Labels.GetValueOrDefault(label) == value);

        public double Sum(string name, string? label = null, string? value = null) =>
            _samples.Where(s => s.Name == name && (label is null || s.Labels.GetValueOrDefault(label) == value)).Sum(s => s.Value);

        private static IEnumerable<(string, Dictionary<string, string>, double)> Parse(string text)
        {
            foreach (Match line in Sample().Matches(text))
            {
                var labels = Label().Matches(line.Groups["labels"].Value).ToDictionary(l => l.Groups["key"].Value, l => l.Groups["value"].Value);
                yield return (line.Groups["name"].Value, labels, double.Parse(line.Groups["value"].Value, CultureInfo.InvariantCulture));
            }
        }

        [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?<labels>[^}]*)\})?\s+(?<value>[-+0-9.eE]+|NaN|\+Inf|-Inf)(?:\s+\d+)?\s*$", RegexOptions.Multiline)]
        private static partial Regex Sample();

        [GeneratedRegex(@"(?<key>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>(?:[^""\\]|\\.)*)""")]
        private static partial Regex Label();
    }
}
