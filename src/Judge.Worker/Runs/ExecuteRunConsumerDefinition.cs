using Judge.Worker.Judging;
using MassTransit;

namespace Judge.Worker.Runs;

/// <summary>As for submissions: infrastructure failures are retried in place; a run that cannot be run never reaches the retry.</summary>
public sealed class ExecuteRunConsumerDefinition : ConsumerDefinition<ExecuteRunConsumer>
{
    public static TimeSpan[] RetryIntervals => JudgeSubmissionConsumerDefinition.RetryIntervals;

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<ExecuteRunConsumer> consumerConfigurator, IRegistrationContext context) =>
        consumerConfigurator.UseMessageRetry(retry => retry.Intervals(RetryIntervals));
}
