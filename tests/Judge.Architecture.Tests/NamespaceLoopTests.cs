namespace Judge.Architecture.Tests;

/// <summary>
/// Unit tests of the layering inside each project: the namespaces of a project (one per folder, its root namespace
/// included) use each other without a loop, so each folder can be read, tested and changed standing on the ones below
/// it. See <see cref="NamespaceGraph"/> for what counts as a use.
/// </summary>
public sealed class NamespaceLoopTests
{
    public static TheoryData<string> Projects { get; } =
        [.. Directory.GetDirectories(Path.Combine(Repository.Root, "src"))
            .Where(d => Directory.GetFiles(d, "*.csproj").Length > 0)
            .Select(d => Path.GetFileName(d))
            .Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Projects))]
    public void The_namespaces_of_a_project_use_each_other_without_a_loop(string project)
    {
        var graph = NamespaceGraph.OfProject(Path.Combine(Repository.Root, "src", project));

        Assert.Contains(graph.Namespaces, n => n.StartsWith(project, StringComparison.Ordinal));
        var loops = graph.Loops();
        Assert.True(loops.Count == 0,
            $"The namespaces of {project} use each other in a loop (files relative to src/{project}); move the types to the namespace "
            + $"of their concept so that uses go one way:{Environment.NewLine}{string.Join(Environment.NewLine, loops)}");
    }

    [Fact]
    public void A_type_of_the_root_namespace_used_without_a_using_is_a_use_and_closes_a_loop()
    {
        var graph = NamespaceGraph.OfSources(
        [
            ("Runner.cs", "using App.Running;\nnamespace App;\npublic sealed class Runner { public Session? Open() => null; }"),
            ("Running/Session.cs", "namespace App.Running;\npublic sealed class Session { public Runner? Owner { get; set; } }"),
            ("Vms/Vm.cs", "namespace App.Vms;\npublic sealed class Vm { }"),
            ("Pool/Pool.cs", "namespace App.Pool;\npublic static class Pool { public static void Use(this Vms.Vm vm) { } }"),
            ("Running/Use.cs", "using App.Pool;\nnamespace App.Running;\npublic static class Use { public static void Run(App.Vms.Vm vm) => vm.Use(); }"),
        ]);

        var loop = Assert.Single(graph.Loops());

        Assert.StartsWith("App → App.Running → App", loop, StringComparison.Ordinal);
        Assert.Contains("  App.Running → App: Running/Session.cs", loop, StringComparison.Ordinal);
        Assert.Equal(["Running/Session.cs"], graph.FilesBehind("App.Running", "App"));
        Assert.Equal(["App", "App.Pool", "App.Vms"], graph.UsesOf("App.Running").Order(StringComparer.Ordinal));
        Assert.Equal(["Running/Use.cs"], graph.FilesBehind("App.Running", "App.Pool"));
        Assert.Equal(["App.Vms"], graph.UsesOf("App.Pool"));
    }

    [Fact]
    public void Namespaces_that_use_each_other_one_way_make_no_loop()
    {
        var graph = NamespaceGraph.OfSources(
        [
            ("A/A.cs", "namespace App.A;\npublic sealed class A { public App.B.B? Next { get; set; } }"),
            ("B/B.cs", "namespace App.B;\npublic sealed class B { public App.C.C? Next { get; set; } }"),
            ("C/C.cs", "namespace App.C;\npublic sealed class C { }"),
        ]);

        Assert.Empty(graph.Loops());
        Assert.Equal(["App.B"], graph.UsesOf("App.A"));
    }
}
