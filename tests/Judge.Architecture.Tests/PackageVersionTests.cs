using System.Xml.Linq;

namespace Judge.Architecture.Tests;

/// <summary>Unit tests of Directory.Packages.props: every pinned version is one some project uses, in a group that says what it is for.</summary>
public sealed class PackageVersionTests
{
    private static readonly XDocument Central = XDocument.Load(Path.Combine(Repository.Root, "Directory.Packages.props"));

    [Fact]
    public void Every_pinned_package_is_referenced_by_a_project()
    {
        var referenced = Directory.EnumerateFiles(Repository.Root, "*.csproj", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(p => XDocument.Load(p).Descendants("PackageReference").Select(r => (string?)r.Attribute("Include")))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);

        var unused = Central.Descendants("PackageVersion").Select(v => (string)v.Attribute("Include")!).Where(p => !referenced.Contains(p));

        Assert.Empty(unused);
    }

    [Fact]
    public void Every_pinned_package_is_in_a_group_labelled_with_its_purpose()
    {
        var unlabelled = Central.Descendants("PackageVersion")
            .Where(v => string.IsNullOrWhiteSpace((string?)v.Parent!.Attribute("Label")))
            .Select(v => (string)v.Attribute("Include")!);

        Assert.Empty(unlabelled);
    }
}
