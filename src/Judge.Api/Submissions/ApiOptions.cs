namespace Judge.Api.Submissions;

/// <summary>Settings of the API host (section "Api"); every one of them is about submissions, hence their namespace.</summary>
public sealed class ApiOptions
{
    public const string SectionName = "Api";

    public int MaxSourceBytes { get; set; } = 64 * 1024;

    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A committed submission whose command was not confirmed by the broker this long is sent again.</summary>
    public TimeSpan UnsentAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A submission whose worker's lease ran out this long ago, and nobody took over, is sent again.</summary>
    public TimeSpan AbandonedAfter { get; set; } = TimeSpan.FromSeconds(60);
}
