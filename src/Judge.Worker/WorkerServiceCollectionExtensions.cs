using Judge.Messaging;
using Judge.Sandbox;
using Judge.Sandbox.Settings;
using Judge.ServiceDefaults;
using Judge.Worker.Heartbeats;
using Judge.Worker.Judging;
using Judge.Worker.Runs;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Judge.Worker;

public static class WorkerServiceCollectionExtensions
{
    /// <summary>A worker host: the sandbox (started first), judging and one-shot runs, both lanes' consumers, heartbeats.</summary>
    public static HostApplicationBuilder AddJudgeWorker(this HostApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        builder.AddServiceDefaults();
        services.AddOptions<WorkerOptions>().Bind(configuration.GetSection(WorkerOptions.SectionName));
        var worker = configuration.GetSection(WorkerOptions.SectionName).Get<WorkerOptions>() ?? new WorkerOptions();
        builder.AddMetricsListener(new MetricsListenerOptions(System.Net.IPAddress.Parse(worker.MetricsAddress), worker.MetricsPort));
        services.AddJudgeData(configuration);
        services.AddSandbox(configuration);

        var slots = Math.Max(1, configuration.GetSection(SandboxOptions.SectionName).Get<SandboxOptions>()?.MaxConcurrentVms ?? new SandboxOptions().MaxConcurrentVms);
        services.AddSingleton(new JudgeSlots(slots));
        services.AddSingleton<InFlightSubmissions>();
        services.AddSingleton<TestDataCache>();
        services.AddSingleton<ValidatorBinaries>();
        services.AddSingleton<ISubmissionJudge, SubmissionJudge>();
        services.AddSingleton<IRunExecutor, RunExecutor>();

        var rabbit = RabbitMqOptions.From(configuration);
        services.AddMassTransit(bus =>
        {
            JudgeQueues.DisableUsageTelemetry(bus);
            bus.AddConsumer<JudgeSubmissionConsumer, JudgeSubmissionConsumerDefinition>();
            bus.AddConsumer<ExecuteRunConsumer, ExecuteRunConsumerDefinition>();
            bus.UsingRabbitMq((context, cfg) =>
            {
                JudgeQueues.ConfigureHost(cfg, rabbit);
                // Prefetch stays at the slot count (batch: half), so idle workers elsewhere get the rest.
                cfg.ReceiveEndpoint(JudgeQueues.Interactive, endpoint =>
                {
                    JudgeQueues.ConfigureQueue(endpoint);
                    endpoint.PrefetchCount = slots;
                    endpoint.ConcurrentMessageLimit = slots;
                    endpoint.ConfigureConsumer<JudgeSubmissionConsumer>(context);
                    endpoint.ConfigureConsumer<ExecuteRunConsumer>(context);
                });
                cfg.ReceiveEndpoint(JudgeQueues.Batch, endpoint =>
                {
                    JudgeQueues.ConfigureQueue(endpoint);
                    endpoint.PrefetchCount = Math.Max(1, slots / 2);
                    endpoint.ConcurrentMessageLimit = Math.Max(1, slots / 2);
                    endpoint.ConfigureConsumer<JudgeSubmissionConsumer>(context);
                    endpoint.ConfigureConsumer<ExecuteRunConsumer>(context);
                });
            });
        });
        services.AddHostedService<HeartbeatService>();
        return builder;
    }
}
