using Judge.Grading.Problems;

namespace Judge.Data.Problems;

public sealed class Problem
{
    public Guid Id { get; set; }

    public required string Slug { get; set; }

    public required string Title { get; set; }

    public DateTime CreatedAt { get; set; }

    public Guid? CurrentVersionId { get; set; }

    public ProblemVersion? CurrentVersion { get; set; }

    public List<ProblemVersion> Versions { get; } = [];
}

/// <summary>Limits, checker and tests of a problem at one point in time. Never changed once created.</summary>
public sealed class ProblemVersion
{
    public Guid Id { get; set; }

    public Guid ProblemId { get; set; }

    public Problem? Problem { get; set; }

    public int Number { get; set; }

    /// <summary>Null while the version is calibrating.</summary>
    public int? TimeLimitMs { get; set; }

    public long MemoryLimitBytes { get; set; }

    public long OutputLimitBytes { get; set; }

    public OutputValidatorKind Checker { get; set; } = OutputValidatorKind.Default;

    public string ValidatorFlags { get; set; } = "";

    public ProblemType Scoring { get; set; } = ProblemType.PassFail;

    public DateTime CreatedAt { get; set; }

    public VersionStatus Status { get; set; } = VersionStatus.Ready;

    public string? StatusMessage { get; set; }

    public bool TimeLimitDerived { get; set; }

    public double TimeMultiplier { get; set; } = 2;

    public int TimeResolutionMs { get; set; } = 1000;

    public int ValidationTimeMs { get; set; } = 60_000;

    public long ValidationMemoryBytes { get; set; } = 512L << 20;

    public string? ValidatorLanguage { get; set; }

    public bool ValidatorScores { get; set; }

    /// <summary>The output validator is the interactor, run at once with the program and piped to it.</summary>
    public bool Interactive { get; set; }

    /// <summary>Runs of the program per test case a multi-pass validator may ask for; 1 for every other version.</summary>
    public int ValidationPasses { get; set; } = 1;

    public bool MultiPass => ValidationPasses > 1;

    public double MaxScore { get; set; } = 1;

    public string PackageFormat { get; set; } = "json";

    public byte[]? PackageSha256 { get; set; }

    public List<TestCase> TestCases { get; } = [];

    public List<TestGroup> TestGroups { get; } = [];

    public List<ProblemVersionFile> Files { get; } = [];
}

/// <summary>Stored kebab-case.</summary>
public enum VersionStatus
{
    /// <summary>The time limit is being derived from the package's accepted submissions.</summary>
    Calibrating,
    Ready,
    Failed,
}

/// <summary>A directory of test data with problemtools' grading settings for its items.</summary>
public sealed class TestGroup
{
    public Guid Id { get; set; }

    public Guid ProblemVersionId { get; set; }

    public Guid? ParentId { get; set; }

    public required string Name { get; set; }

    public int Position { get; set; }

    public bool StopOnReject { get; set; }

    public VerdictMode VerdictMode { get; set; }

    public bool AcceptIfAnyAccepted { get; set; }

    public ScoreMode ScoreMode { get; set; }

    public bool IgnoreSample { get; set; }

    public double AcceptScore { get; set; }

    public double RejectScore { get; set; }

    public double RangeMin { get; set; }

    public double RangeMax { get; set; }

    public string OutputValidatorFlags { get; set; } = "";
}

public sealed class ProblemVersionFile
{
    public const string OutputValidator = "output_validator";

    public Guid ProblemVersionId { get; set; }

    public string Role { get; set; } = OutputValidator;

    public required string Path { get; set; }

    public required byte[] Sha256 { get; set; }
}

public sealed class TestCase
{
    public Guid Id { get; set; }

    public Guid ProblemVersionId { get; set; }

    /// <summary>Judging order over the whole version.</summary>
    public int Ordinal { get; set; }

    public Guid GroupId { get; set; }

    /// <summary>Order among its group's items.</summary>
    public int Position { get; set; }

    public required string Name { get; set; }

    public bool IsSample { get; set; }

    public required byte[] InputSha256 { get; set; }

    public required byte[] AnswerSha256 { get; set; }
}

/// <summary>Test input or answer bytes, stored once per content hash.</summary>
public sealed class TestFile
{
    public required byte[] Sha256 { get; set; }

    public long Size { get; set; }

    public required byte[] Content { get; set; }
}
