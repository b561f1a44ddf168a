using Judge.Grading.Verdicts;

namespace Judge.Data.Submissions;

/// <summary>Stored by name (Queued, Judging, Done, Cancelled).</summary>
public enum SubmissionStatus
{
    Queued,
    Judging,
    Done,

    /// <summary>Its batch was cancelled before a worker claimed it: never judged, no verdict.</summary>
    Cancelled,
}

/// <summary>The queue a submission waits in; stored and shown kebab-case (interactive, batch).</summary>
public enum Lane
{
    Interactive,
    Batch,
}

/// <summary>Stored kebab-case.</summary>
public enum SubmissionPurpose
{
    Judge,

    /// <summary>A package's accepted submission, judged to derive the version's time limit.</summary>
    Calibration,
}

public sealed class Submission
{
    public Guid Id { get; set; }

    public Guid ApiKeyId { get; set; }

    public Guid ProblemId { get; set; }

    public Guid ProblemVersionId { get; set; }

    public required string Language { get; set; }

    /// <summary>The program's text; of a multi-file submission, its entry point's.</summary>
    public required string Source { get; set; }

    /// <summary>Every file of a multi-file submission, put in /box by name; null for a single-file one.</summary>
    public List<Judge.Grading.Languages.SubmissionFile>? Files { get; set; }

    /// <summary>The file of <see cref="Files"/> the program starts from, when the submitter named it; else the language's rules choose.</summary>
    public string? EntryPoint { get; set; }

    /// <summary>The batch it was submitted in, if any, and its label there (the student's).</summary>
    public Guid? BatchId { get; set; }

    public string? Label { get; set; }

    /// <summary>For a rejudge's copy: the submission it judges again, which stays as it was.</summary>
    public Guid? OriginalSubmissionId { get; set; }

    /// <summary>Where to POST the result once it is judged.</summary>
    public string? CallbackUrl { get; set; }

    public Lane Lane { get; set; } = Lane.Interactive;

    public SubmissionStatus Status { get; set; } = SubmissionStatus.Queued;

    public Verdict? Verdict { get; set; }

    public double? Score { get; set; }

    public double? MaxScore { get; set; }

    public SubmissionPurpose Purpose { get; set; } = SubmissionPurpose.Judge;

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

public sealed class GroupResult
{
    public Guid SubmissionId { get; set; }

    public Guid GroupId { get; set; }

    public Verdict Verdict { get; set; }

    public double Score { get; set; }

    public double MaxScore { get; set; }
}

public sealed class TestResult
{
    public Guid SubmissionId { get; set; }

    public int Ordinal { get; set; }

    public Guid TestCaseId { get; set; }

    public Verdict Verdict { get; set; }

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
