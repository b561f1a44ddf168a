using Judge.Messaging;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Judge.Worker.Judging;

/// <summary>What a consumer does with a command whose submission or run another worker holds.</summary>
public static class HeldCommands
{
    /// <summary>When this command first found its job held by another worker (UTC, round-trip text).</summary>
    public const string HeldSinceHeader = "Judge-Held-Since";

    /// <summary>
    /// Another worker holds the job. If it died, its lease runs out and the command must find the job again then (RabbitMQ
    /// redelivers a dead worker's command at once, before its lease has run out): the command goes to the lane's delay queue
    /// and comes back, rather than wait here and keep one of this worker's consumers. A holder that keeps renewing for twice
    /// the lease is alive and will finish, so then this duplicate is dropped.
    /// </summary>
    public static async Task RetryLaterAsync<T>(ConsumeContext<T> context, string lane, TimeSpan leaseDuration, ILogger logger) where T : class
    {
        var now = DateTime.UtcNow;
        var heldSince = context.Headers.Get<string>(HeldSinceHeader) is { } text
            && DateTime.TryParse(text, null, System.Globalization.DateTimeStyles.RoundtripKind, out var since) ? since : now;
        if (now - heldSince >= 2 * leaseDuration)
        {
            logger.LogInformation("The job stays with the worker that holds it; dropping this duplicate command");
            return;
        }

        var delay = await context.GetSendEndpoint(JudgeQueues.DelayAddress(lane));
        await delay.Send(context.Message, send =>
        {
            send.Headers.Set(HeldSinceHeader, heldSince.ToString("O"));
            // A delay queue that was never declared would drop the command without a word.
            if (send.TryGetPayload<RabbitMqSendContext>(out var rabbit))
            {
                rabbit.Mandatory = true;
            }
        }, context.CancellationToken);
        logger.LogInformation("The job is held by another worker; its command comes back in {Delay}", JudgeQueues.HeldRetryDelay);
    }
}
