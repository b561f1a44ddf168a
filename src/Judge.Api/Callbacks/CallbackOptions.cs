namespace Judge.Api.Callbacks;

/// <summary>Settings of callbacks (section "Callbacks").</summary>
public sealed class CallbackOptions
{
    public const string SectionName = "Callbacks";

    /// <summary>
    /// The hosts a callback URL may name: a name or an IP literal, optionally with a port (<c>lms.example.edu</c>,
    /// <c>127.0.0.1:8080</c>), or <c>*.example.edu</c> for its subdomains. None by default: a key must not make Judge call into
    /// the operator's network, so the operator names what it may call.
    /// </summary>
    public List<string> AllowedHosts { get; set; } = [];

    /// <summary>The wait before the second attempt; each later wait doubles, up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>No attempt starts later than this after the callback was made.</summary>
    public TimeSpan RetryFor { get; set; } = TimeSpan.FromHours(24);

    /// <summary>The longest an attempt waits for the receiver's answer.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The wait after <paramref name="attempt"/> failed (1-based).</summary>
    public TimeSpan RetryDelayAfter(int attempt) =>
        TimeSpan.FromTicks(Math.Min(MaxRetryDelay.Ticks, FirstRetryDelay.Ticks * (1L << Math.Min(attempt - 1, 30))));
}
