namespace Judge.Api.Submissions;

/// <summary>Settings of the API host (section "Api"); every one of them is about submissions, hence their namespace.</summary>
public sealed class ApiOptions
{
    public const string SectionName = "Api";

    /// <summary>A submission's size, all its files together: DOMjudge's default, 256 KiB (problem archives ship word lists in their solutions).</summary>
    public int MaxSourceBytes { get; set; } = 256 * 1024;

    /// <summary>When the sweeper runs: a Hangfire cron expression, with seconds (six fields) for intervals under a minute.</summary>
    public string SweepSchedule { get; set; } = "*/10 * * * * *";

    /// <summary>Submissions, with their results and callbacks, that ended longer ago than this are deleted; never when unset.</summary>
    public TimeSpan? RetainFor { get; set; }

    /// <summary>A committed submission whose command was not confirmed by the broker this long is sent again.</summary>
    public TimeSpan UnsentAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A submission whose worker's lease ran out this long ago, and nobody took over, is sent again.</summary>
    public TimeSpan AbandonedAfter { get; set; } = TimeSpan.FromSeconds(60);
}
