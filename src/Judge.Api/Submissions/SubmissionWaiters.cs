using Judge.Api.Notifications;
using Judge.Api.Validation;
using Judge.Data.Lifecycle;

namespace Judge.Api.Submissions;

/// <summary>Requests waiting for a submission, or a batch, to end: what <see cref="SubmissionLifecycle"/> announces when one does.</summary>
public sealed class SubmissionWaiters() : AnnouncementWaiters(SubmissionLifecycle.FinishedChannel)
{
    /// <summary>The longest a GET may wait for a submission or a batch to end (<c>?wait=</c>, seconds).</summary>
    public const int MaxWaitSeconds = 60;

    /// <summary>The errors of a <c>?wait=</c> value: none when it is absent or within 0 to <see cref="MaxWaitSeconds"/>.</summary>
    public static ValidationErrors WaitErrors(int? wait)
    {
        var errors = new ValidationErrors();
        if (wait is not null)
        {
            errors.Range("wait", wait, 0, MaxWaitSeconds, "seconds");
        }

        return errors;
    }
}
