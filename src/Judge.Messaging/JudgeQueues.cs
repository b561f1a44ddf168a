using Judge.Messaging.Contracts;
using MassTransit;

namespace Judge.Messaging;

/// <summary>
/// The two lanes. Every worker consumes both, interactive first, so a large batch never starves a student
/// waiting for one verdict. Both are durable quorum queues.
/// </summary>
public static class JudgeQueues
{
    public const string Interactive = "judge-interactive";
    public const string Batch = "judge-batch";

    /// <summary>
    /// How long a command waits in its lane's delay queue before it returns to the lane: a worker that finds the
    /// submission held by another (whose lease has not run out yet) parks the command there instead of waiting for
    /// the lease while it occupies one of its consumers.
    /// </summary>
    public static readonly TimeSpan HeldRetryDelay = TimeSpan.FromSeconds(2);

    public static string ForLane(string lane) => lane == "batch" ? Batch : Interactive;

    public static string DelayQueue(string queue) => queue + "-delay";

    /// <summary>
    /// Senders address the lane's exchange, not its queue: sending to a queue: address would declare the
    /// queue without the quorum argument and clash with the consumers' declaration.
    /// </summary>
    public static Uri SendAddress(string lane) => new($"exchange:{ForLane(lane)}");

    /// <summary>The lane's delay exchange; a command sent there comes back to the lane after <see cref="HeldRetryDelay"/>.</summary>
    public static Uri DelayAddress(string lane) => new($"exchange:{DelayQueue(ForLane(lane))}");

    /// <summary>The one declaration of a lane's queue, used by workers and by <see cref="DeployTopologyAsync"/>.</summary>
    public static void ConfigureQueue(IRabbitMqReceiveEndpointConfigurator endpoint)
    {
        endpoint.SetQuorumQueue();
        // Commands arrive by lane; binding the message type's exchange would deliver every publish to both lanes.
        endpoint.ConfigureConsumeTopology = false;
    }

    /// <summary>
    /// Nobody consumes a delay queue: its messages expire after <see cref="HeldRetryDelay"/> and are dead-lettered, at
    /// least once (a quorum queue's guarantee, which needs publishers refused rather than old messages dropped when it
    /// is full), to the lane's exchange.
    /// </summary>
    private static void ConfigureDelayQueue(IRabbitMqReceiveEndpointConfigurator endpoint, string lane)
    {
        endpoint.SetQuorumQueue();
        endpoint.ConfigureConsumeTopology = false;
        endpoint.SetQueueArgument("x-message-ttl", (int)HeldRetryDelay.TotalMilliseconds);
        endpoint.SetQueueArgument("x-dead-letter-exchange", lane);
        endpoint.SetQueueArgument("x-dead-letter-strategy", "at-least-once");
        endpoint.SetQueueArgument("x-overflow", "reject-publish");
    }

    /// <summary>
    /// MassTransit (8.4 and later) reports its usage to its makers over the internet; a judge's hosts call nothing outside
    /// the fleet (and here reach nothing beyond loopback, where the attempt only fills the log with a connection error).
    /// </summary>
    public static void DisableUsageTelemetry(IBusRegistrationConfigurator bus) => bus.ConfigureUsageTelemetryOptions(options => options.Enabled = false);

    public static void ConfigureHost(IRabbitMqBusFactoryConfigurator bus, RabbitMqOptions options) =>
        bus.Host(options.Host, (ushort)options.Port, options.VirtualHost, host =>
        {
            host.Username(options.Username);
            host.Password(options.Password);
            host.PublisherConfirmation = true;
        });

    /// <summary>
    /// MassTransit's DeployAsync can hang at random after the topology is declared (seen here once in a clean-clone run:
    /// both queues declared, then nothing; MassTransit/MassTransit#6099 reports the same). Declaring is idempotent, so a
    /// deploy that takes longer than this is abandoned and tried again with a new bus.
    /// </summary>
    private static readonly TimeSpan DeployTimeout = TimeSpan.FromSeconds(30);

    private const int DeployAttempts = 3;

    /// <summary>
    /// Declares both lanes and their delay queues (exchanges, quorum queues, bindings) without consuming, so that
    /// commands sent before any worker has started are kept rather than dropped by an exchange with no queue.
    /// </summary>
    public static async Task DeployTopologyAsync(RabbitMqOptions options, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
            {
                ConfigureHost(cfg, options);
                cfg.DeployTopologyOnly = true;
                foreach (var queue in new[] { Interactive, Batch })
                {
                    cfg.ReceiveEndpoint(queue, endpoint =>
                    {
                        ConfigureQueue(endpoint);
                        endpoint.Handler<JudgeSubmission>(_ => Task.CompletedTask);
                    });
                    cfg.ReceiveEndpoint(DelayQueue(queue), endpoint =>
                    {
                        ConfigureDelayQueue(endpoint, queue);
                        endpoint.Handler<JudgeSubmission>(_ => Task.CompletedTask);
                    });
                }
            });
            try
            {
                await bus.DeployAsync(cancellationToken).WaitAsync(DeployTimeout, cancellationToken);
                return;
            }
            catch (TimeoutException) when (attempt < DeployAttempts)
            {
            }
            catch (TimeoutException e)
            {
                throw new TimeoutException(
                    $"Declaring the queues on {options.Host}:{options.Port} did not finish within {DeployTimeout.TotalSeconds:0} s, {DeployAttempts} times.", e);
            }
        }
    }
}
