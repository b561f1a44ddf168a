using System.Diagnostics;

namespace Judge.Worker.Telemetry;

/// <summary>
/// The worker's spans (activity source <see cref="SourceName"/>): claim, compile, each test, write result. They are children
/// of MassTransit's consume span, whose parent came in the message's headers from the API's request.
/// </summary>
public static class WorkerActivities
{
    public const string SourceName = "Judge.Worker";

    private static readonly ActivitySource Source = new(SourceName);

    public static Activity? Start(string name, Guid submissionId) =>
        Source.StartActivity(name)?.SetTag("judge.submission_id", submissionId);

    /// <summary>A span around <paramref name="work"/>; an exception marks it failed.</summary>
    public static async Task<T> TraceAsync<T>(string name, Func<Task<T>> work)
    {
        using var activity = Source.StartActivity(name);
        try
        {
            return await work();
        }
        catch (Exception e)
        {
            activity?.AddException(e).SetStatus(ActivityStatusCode.Error, e.Message);
            throw;
        }
    }
}
