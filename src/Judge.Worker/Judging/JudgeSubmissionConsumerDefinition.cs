using MassTransit;

namespace Judge.Worker.Judging;

/// <summary>
/// Infrastructure failures (a VM that does not boot, a broken connection) are retried in place. A submission that
/// cannot be judged (<see cref="UnjudgeableException"/>) never reaches the retry: the consumer ends it at once.
/// </summary>
public sealed class JudgeSubmissionConsumerDefinition : ConsumerDefinition<JudgeSubmissionConsumer>
{
    public static readonly TimeSpan[] RetryIntervals = [TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10)];

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<JudgeSubmissionConsumer> consumerConfigurator, IRegistrationContext context) =>
        consumerConfigurator.UseMessageRetry(retry => retry.Intervals(RetryIntervals));
}
