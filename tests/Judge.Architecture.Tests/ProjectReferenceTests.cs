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

    /// <summary>The table of docs/architecture.md: which Judge projects each may reference.</summary>
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["Judge.Grading"] = [],
        ["Judge.Messaging"] = [],
        ["Judge.ServiceDefaults"] = [],
        ["Judge.Client"] = [],
        ["Judge.Sandbox"] = ["Judge.Grading"],
        ["Judge.Data"] = ["Judge.Grading"],
        ["Judge.Api"] = ["Judge.Grading", "Judge.Data", "Judge.Messaging", "Judge.ServiceDefaults"],
        ["Judge.Worker"] = ["Judge.Grading", "Judge.Sandbox", "Judge.Data", "Judge.Messaging", "Judge.ServiceDefaults"],
        ["Judge.Cli"] = ["Judge.Grading", "Judge.Sandbox", "Judge.Data", "Judge.Messaging", "Judge.ServiceDefaults", "Judge.Client"],
    };

    [Fact]
    public void Every_project_references_only_the_projects_the_architecture_allows()
    {
        var projects = Directory.GetDirectories(Path.Combine(Repository.Root, "src"))
            .Select(dir => Path.Combine(dir, Path.GetFileName(dir) + ".csproj"))
            .Where(File.Exists)
            .ToDictionary(path => Path.GetFileNameWithoutExtension(path), path => XDocument.Load(path).Descendants("ProjectReference")
                .Select(r => Path.GetFileNameWithoutExtension(((string)r.Attribute("Include")!).Replace('\\', '/'))).ToList());

        Assert.Equal(Allowed.Keys.Order(), projects.Keys.Order());
        var forbidden = projects.SelectMany(p => p.Value.Except(Allowed[p.Key]).Select(r => $"{p.Key} → {r}"));
        Assert.Empty(forbidden);
    }
}
