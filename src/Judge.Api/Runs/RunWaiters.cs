using Judge.Api.Notifications;
using Judge.Data.Lifecycle;

namespace Judge.Api.Runs;

/// <summary>Requests waiting for a one-shot run to end: what <see cref="RunLifecycle"/> announces when one does.</summary>
public sealed class RunWaiters() : AnnouncementWaiters(RunLifecycle.FinishedChannel);
