using System.Xml.Linq;
using Judge.Grading.Verdicts;

namespace Judge.Architecture.Tests;

/// <summary>
/// Unit tests of which project may use which: Judge.Grading is the pure judging logic (languages, limits, run results,
/// verdicts, packages, scoring) and stands on no other Judge project, so everything that needs it (the API above all)
/// gets no sandbox, database or messaging code with it.
/// </summary>
public sealed class ProjectReferenceTests
{
    [Fact]
    public void Judge_grading_references_no_other_judge_project_or_assembly()
    {
        var project = XDocument.Load(Path.Combine(Repository.Root, "src", "Judge.Grading", "Judge.Grading.csproj"));
        var projectReferences = project.Descendants("ProjectReference").Select(r => (string?)r.Attribute("Include")).ToList();
        var assemblyReferences = typeof(Verdict).Assembly.GetReferencedAssemblies().Select(a => a.Name).Where(n => n?.StartsWith("Judge.", StringComparison.Ordinal) == true);

        Assert.Empty(projectReferences);
        Assert.Empty(assemblyReferences);
    }
}
