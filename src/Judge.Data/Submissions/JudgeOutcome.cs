using Judge.Grading.Scoring;
using Judge.Grading.Verdicts;

namespace Judge.Data.Submissions;

/// <summary>One test's run: <see cref="CpuMs"/> as measured here, <see cref="NormalizedCpuMs"/> as on the reference host.</summary>
public sealed record TestOutcome(
    int Ordinal, Guid TestCaseId, Verdict Verdict, double CpuMs, double NormalizedCpuMs, double WallMs, long MemoryBytes, int? ExitCode, int? Signal,
    string? Message, string? OutputExcerpt, double? Score);

/// <summary>Host-side milliseconds of one judging; see docs/sandbox.md for the sandbox's own fields.</summary>
public sealed record JudgeTimings(int SetupMs, int BootMs, int CompileMs, int ExecuteMs, int TotalMs);

public sealed record JudgeOutcome(
    Verdict Verdict, double Score, double MaxScore, int? FailingTest, string? CompileOutput, string? Error, IReadOnlyList<TestOutcome> Tests,
    IReadOnlyList<GroupOutcome> Groups, string VmId, string Isolation, bool WarmPoolHit, double SpeedFactor, int CpuLimitMs,
    JudgeTimings Timings);
