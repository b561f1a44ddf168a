using Judge.Data.Problems;
using Judge.Grading.Problems;

namespace Judge.Worker.Judging;

/// <summary>A stored test case as a node of the grading tree.</summary>
public sealed record StoredCase(TestCase Row) : TestNode(Row.Name);

/// <summary>Builds the grading tree of a version from its stored groups and test cases.</summary>
public static class TestTree
{
    public static TestGroup<StoredCase> Build(ProblemVersion version)
    {
        var children = version.TestGroups.ToLookup(g => g.ParentId);
        var cases = version.TestCases.ToLookup(c => c.GroupId);
        var root = version.TestGroups.Single(g => g.ParentId is null);
        return Build(root);

        TestGroup<StoredCase> Build(Data.Problems.TestGroup group) => new(
            group.Name,
            Settings(group),
            [.. children[group.Id].Select(g => (g.Position, Node: (TestNode)Build(g)))
                .Concat(cases[group.Id].Select(c => (c.Position, Node: (TestNode)new StoredCase(c))))
                .OrderBy(n => n.Position)
                .Select(n => n.Node)]);
    }

    private static GroupSettings Settings(Data.Problems.TestGroup group) => new()
    {
        StopOnReject = group.StopOnReject,
        VerdictMode = group.VerdictMode,
        AcceptIfAnyAccepted = group.AcceptIfAnyAccepted,
        ScoreMode = group.ScoreMode,
        IgnoreSample = group.IgnoreSample,
        AcceptScore = group.AcceptScore,
        RejectScore = group.RejectScore,
        RangeMin = group.RangeMin,
        RangeMax = group.RangeMax,
        OutputValidatorFlags = group.OutputValidatorFlags,
    };
}
