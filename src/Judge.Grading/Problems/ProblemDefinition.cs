namespace Judge.Grading.Problems;

public enum ProblemType
{
    PassFail,
    Scoring,
}

public enum OutputValidatorKind
{
    /// <summary>The Kattis default validator (token comparison with flags), run by the judge itself.</summary>
    Default,

    /// <summary>A Kattis output validator: <c>validator input answer feedback_dir [flags] &lt; output</c>, exit 42 or 43.</summary>
    Kattis,

    /// <summary>A testlib checker: <c>checker input output answer</c>, exit 0 ok, 1 wrong, 2 presentation error, 3 fail, 7 points.</summary>
    Testlib,
}

/// <summary>Limits of a problem version. A null time limit is derived from the accepted submissions' run times.</summary>
public sealed record ProblemLimits
{
    public int? TimeLimitMs { get; init; }

    /// <summary>Time limit = max CPU time of the accepted submissions × this, rounded up to <see cref="TimeResolutionMs"/>.</summary>
    public double TimeMultiplier { get; init; } = 2.0;

    public int TimeResolutionMs { get; init; } = 1000;

    public long MemoryBytes { get; init; } = 2048L << 20;

    public long OutputBytes { get; init; } = 8L << 20;

    public int ValidationTimeMs { get; init; } = 60_000;

    public long ValidationMemoryBytes { get; init; } = 2048L << 20;

    /// <summary>Runs of the program per test case a multi-pass problem's validator may ask for (its limit); 1 for every other problem.</summary>
    public int ValidationPasses { get; init; } = 1;

    public bool MultiPass => ValidationPasses > 1;

    /// <summary>The time limit problemtools derives: max(1, ceil(max AC CPU time × multiplier / resolution)) × resolution.</summary>
    public int DeriveTimeLimitMs(double maxAcceptedCpuMs) =>
        TimeResolutionMs * Math.Max(1, (int)Math.Ceiling(maxAcceptedCpuMs * TimeMultiplier / TimeResolutionMs - 1e-9));
}

/// <summary>How a group's results become its verdict and score: problemtools' default grader, per group.</summary>
public sealed record GroupSettings
{
    public static GroupSettings PassFail { get; } = new();

    /// <summary>Stop at the first rejected item (the failing item still counts).</summary>
    public bool StopOnReject { get; init; } = true;

    public VerdictMode VerdictMode { get; init; } = VerdictMode.WorstError;

    public bool AcceptIfAnyAccepted { get; init; }

    public ScoreMode ScoreMode { get; init; } = ScoreMode.Sum;

    /// <summary>Only the last item counts (the secret group at the root of an olympiad-style package).</summary>
    public bool IgnoreSample { get; init; }

    public double AcceptScore { get; init; } = 1;

    public double RejectScore { get; init; }

    public double RangeMin { get; init; } = double.NegativeInfinity;

    public double RangeMax { get; init; } = double.PositiveInfinity;

    /// <summary>Extra arguments for the output validator on this group's test cases.</summary>
    public string OutputValidatorFlags { get; init; } = "";
}

public enum VerdictMode
{
    /// <summary>The worst verdict present, in the order JE, RTE, MLE, TLE, OLE, WA, AC.</summary>
    WorstError,

    /// <summary>The first non-accepted verdict.</summary>
    FirstError,

    AlwaysAccept,
}

public enum ScoreMode
{
    Sum,
    Avg,
    Min,
    Max,
}

/// <summary>A node of the test data tree: a group or a test case, in judging order.</summary>
public abstract record TestNode(string Name);

public sealed record TestGroup<TCase>(string Name, GroupSettings Settings, IReadOnlyList<TestNode> Children) : TestNode(Name)
    where TCase : TestNode
{
    public IEnumerable<TCase> Cases() => Children.SelectMany(c => c switch
    {
        TestGroup<TCase> group => group.Cases(),
        TCase testCase => [testCase],
        _ => [],
    });

    /// <summary>The best score: the upper end of the group's range when finite, else what its items can add up to.</summary>
    public double MaxScore()
    {
        if (double.IsFinite(Settings.RangeMax))
        {
            return Settings.RangeMax;
        }

        var items = Children.Select(c => c is TestGroup<TCase> sub ? sub.MaxScore() : Settings.AcceptScore).ToList();
        if (items.Count == 0)
        {
            return 0;
        }

        if (Settings.IgnoreSample)
        {
            return items[^1];
        }

        return Settings.ScoreMode switch
        {
            ScoreMode.Sum => items.Sum(),
            ScoreMode.Avg => items.Average(),
            ScoreMode.Min => items.Min(),
            _ => items.Max(),
        };
    }
}

/// <summary>A test case of an imported package, with its bytes.</summary>
public sealed record TestCaseData(string Name, byte[] Input, byte[] Answer, bool IsSample) : TestNode(Name);

/// <summary>A source file of the output validator, by its path inside the validator's directory.</summary>
public sealed record ValidatorFile(string Path, byte[] Content);

public sealed record OutputValidator(OutputValidatorKind Kind, string? Language, IReadOnlyList<ValidatorFile> Files)
{
    public static OutputValidator Default { get; } = new(OutputValidatorKind.Default, null, []);
}

/// <summary>
/// A solution shipped in the package, in the folder that states the verdict it should get: one file, or a directory of
/// several (<see cref="Files"/>, with <see cref="Source"/> its entry point's text).
/// </summary>
public sealed record PackageSubmission(string Path, string Folder, string Language, byte[] Source)
{
    public IReadOnlyList<Judge.Grading.Languages.SubmissionFile>? Files { get; init; }

    /// <summary>The file of <see cref="Files"/> it starts from.</summary>
    public string? EntryPoint { get; init; }
}

/// <summary>
/// Everything Judge keeps of a problem package, read and checked; <see cref="Warnings"/> name what of it is not used (a
/// submission in a language no sandbox has, for one), each beginning with the file it is about.
/// </summary>
public sealed record ProblemDefinition(
    string Name,
    string Format,
    ProblemType Type,
    ProblemLimits Limits,
    string ValidatorFlags,
    OutputValidator Validator,
    bool ValidatorScores,
    TestGroup<TestCaseData> Data,
    IReadOnlyList<PackageSubmission> Submissions,
    IReadOnlyList<string> Warnings)
{
    /// <summary>The output validator is the interactor: it runs at once with the program, each one's stdout the other's stdin.</summary>
    public bool Interactive { get; init; }

    /// <summary>The best score a submission can reach: the upper end of the root range, else of the secret group.</summary>
    public double MaxScore => Type == ProblemType.PassFail ? 1 : Data.MaxScore();
}
