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

    public int TimeLimitMs { get; set; }

    public long MemoryLimitBytes { get; set; }

    public long OutputLimitBytes { get; set; }

    public string Checker { get; set; } = "tokens";

    public string ValidatorFlags { get; set; } = "";

    public string Scoring { get; set; } = "pass-fail";

    public DateTime CreatedAt { get; set; }

    public List<TestCase> TestCases { get; } = [];
}

public sealed class TestCase
{
    public Guid Id { get; set; }

    public Guid ProblemVersionId { get; set; }

    public int Ordinal { get; set; }

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
