namespace Judge.Data.Submissions;

public static class SubmissionStatus
{
    public const string Queued = "Queued";
    public const string Judging = "Judging";
    public const string Done = "Done";
}

public static class Lanes
{
    public const string Interactive = "interactive";
    public const string Batch = "batch";
}

public sealed class Submission
{
    public Guid Id { get; set; }

    public Guid ApiKeyId { get; set; }

    public Guid ProblemId { get; set; }

    public Guid ProblemVersionId { get; set; }

    public required string Language { get; set; }

    public required string Source { get; set; }

    public string Lane { get; set; } = Lanes.Interactive;

    public string Status { get; set; } = SubmissionStatus.Queued;

    public string? Verdict { get; set; }

    public double? Score { get; set; }

    public double? MaxScore { get; set; }

    /// <summary>judge, or calibration: a package's accepted submission judged to derive the time limit.</summary>
    public string Purpose { get; set; } = SubmissionPurpose.Judge;

    /// <summary>For submissions from a package: its path there (submissions/accepted/x.py).</summary>
    public string? PackagePath { get; set; }

    public int? FailingTest { get; set; }

    public string? CompileOutput { get; set; }

    public string? Error { get; set; }

    public int Attempt { get; set; }

    public string? WorkerId { get; set; }

    public DateTime? LeaseExpiresAt { get; set; }

    public string? VmId { get; set; }

    public string? Isolation { get; set; }

    public bool? WarmPoolHit { get; set; }

    /// <summary>The language's speed factor on the judging worker: its CPU time per unit of reference-host CPU time.</summary>
    public double? SpeedFactor { get; set; }

    /// <summary>The CPU time each test could use there: time limit × language multiplier × speed factor.</summary>
    public int? CpuLimitMs { get; set; }

    public int? QueueMs { get; set; }

    public int? SetupMs { get; set; }

    public int? BootMs { get; set; }

    public int? CompileMs { get; set; }

    public int? ExecuteMs { get; set; }

    public int? TotalMs { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime? PublishedAt { get; set; }

    public int PublishCount { get; set; }

    public DateTime? JudgingStartedAt { get; set; }

    public DateTime? FinishedAt { get; set; }

    public List<TestResult> TestResults { get; } = [];

    public List<GroupResult> GroupResults { get; } = [];
}

public static class SubmissionPurpose
{
    public const string Judge = "judge";
    public const string Calibration = "calibration";
}

public sealed class GroupResult
{
    public Guid SubmissionId { get; set; }

    public Guid GroupId { get; set; }

    public required string Verdict { get; set; }

    public double Score { get; set; }

    public double MaxScore { get; set; }
}

public sealed class TestResult
{
    public Guid SubmissionId { get; set; }

    public int Ordinal { get; set; }

    public Guid TestCaseId { get; set; }

    public required string Verdict { get; set; }

    /// <summary>CPU time as measured on the judging worker.</summary>
    public int CpuMs { get; set; }

    /// <summary>CPU time as it would have been on the reference host (<see cref="CpuMs"/> ÷ speed factor).</summary>
    public int? NormalizedCpuMs { get; set; }

    public int WallMs { get; set; }

    public long MemoryBytes { get; set; }

    public int? ExitCode { get; set; }

    public int? Signal { get; set; }

    public string? CheckerMessage { get; set; }

    public string? OutputExcerpt { get; set; }

    public double? Score { get; set; }
}
