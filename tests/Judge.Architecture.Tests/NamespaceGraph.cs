using System.Xml.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Judge.Architecture.Tests;

/// <summary>
/// Which namespace of a project uses which other namespace of the same project, and through which files. A namespace
/// uses another when one of its files imports it (<c>using</c>) or names one of its types or their members, with or
/// without a using: a file of Judge.Sandbox.Running sees the types of Judge.Sandbox by parent-namespace lookup, and those
/// count too. The sources are bound by Roslyn, so a name means the type it resolves to, not a guess from its spelling.
/// </summary>
internal sealed class NamespaceGraph
{
    /// <summary>What the SDK's ImplicitUsings adds to every file (Microsoft.NET.Sdk); Judge sets it in Directory.Build.props.</summary>
    private static readonly string[] ImplicitUsings =
        ["System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks"];

    private readonly Dictionary<string, Dictionary<string, SortedSet<string>>> _uses = new(StringComparer.Ordinal);
    private readonly Dictionary<(string From, string To, string File), SortedSet<string>> _names = [];

    private NamespaceGraph()
    {
    }

    /// <summary>The namespaces declared in the project's sources.</summary>
    public IReadOnlyCollection<string> Namespaces => _uses.Keys;

    /// <summary>The namespaces <paramref name="from"/> uses, other than itself.</summary>
    public IEnumerable<string> UsesOf(string from) => _uses.TryGetValue(from, out var uses) ? uses.Keys : [];

    /// <summary>The files of <paramref name="from"/> that use <paramref name="to"/>.</summary>
    public IReadOnlyCollection<string> FilesBehind(string from, string to) => _uses[from][to];

    /// <summary>
    /// The graph of the project in <paramref name="projectDirectory"/> (every .cs file under it but bin/ and obj/), with the
    /// projects it references compiled from their sources too, so their types bind as in a real build.
    /// </summary>
    public static NamespaceGraph OfProject(string projectDirectory)
    {
        var compilations = new Dictionary<string, CSharpCompilation>(StringComparer.Ordinal);
        var compilation = Compile(Path.GetFullPath(projectDirectory), compilations);
        return Of(compilation);
    }

    /// <summary>The graph of sources given as (path, text), for tests of the graph itself.</summary>
    public static NamespaceGraph OfSources(IEnumerable<(string Path, string Text)> sources)
    {
        var trees = sources.Select(s => CSharpSyntaxTree.ParseText(s.Text, path: s.Path)).Append(GlobalUsings([]));
        return Of(CSharpCompilation.Create("Sources", trees, PlatformReferences(), Options));
    }

    /// <summary>
    /// Every loop, each as one path round it (A → B → A) and every use among the namespaces it joins, with the files behind
    /// each; empty when there is none.
    /// </summary>
    public IReadOnlyList<string> Loops()
    {
        var loops = new List<string>();
        foreach (var component in StronglyConnectedComponents().Where(c => c.Count > 1))
        {
            var cycle = ShortestCycle(component.Min(StringComparer.Ordinal)!, component);
            var steps = component.Order(StringComparer.Ordinal)
                .SelectMany(from => UsesOf(from).Where(component.Contains).Order(StringComparer.Ordinal).Select(to => (From: from, To: to)))
                .Select(u => $"  {u.From} → {u.To}: {string.Join(", ", FilesBehind(u.From, u.To).Select(f => $"{f} ({string.Join(", ", _names[(u.From, u.To, f)])})"))}");
            loops.Add(string.Join(" → ", cycle) + $" (every use among {string.Join(", ", component.Order(StringComparer.Ordinal))}:)"
                + Environment.NewLine + string.Join(Environment.NewLine, steps));
        }

        return loops;
    }

    private static CSharpCompilationOptions Options { get; } = new(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable);

    private static CSharpCompilation Compile(string projectDirectory, Dictionary<string, CSharpCompilation> compiled)
    {
        if (compiled.TryGetValue(projectDirectory, out var done))
        {
            return done;
        }

        var project = XDocument.Load(Directory.GetFiles(projectDirectory, "*.csproj").Single());
        var referenced = project.Descendants("ProjectReference")
            .Select(r => Compile(Path.GetDirectoryName(Path.GetFullPath(Path.Combine(projectDirectory, (string)r.Attribute("Include")!)))!, compiled))
            .ToList();
        var globalUsings = project.Descendants("Using").Select(u => (string?)u.Attribute("Include")).OfType<string>();
        var trees = SourceFiles(projectDirectory)
            .Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), path: Path.GetRelativePath(projectDirectory, f)))
            .Append(GlobalUsings(globalUsings));
        // Packages (MassTransit, EF Core, ...) are left out: their types do not bind, which changes nothing here, since only
        // the project's own types make its graph, and those always bind.
        var references = PlatformReferences().Concat(referenced.Select(c => c.ToMetadataReference()))
            .Concat(referenced.SelectMany(c => c.References.OfType<CompilationReference>()));
        var compilation = CSharpCompilation.Create(Path.GetFileName(projectDirectory), trees, references.Distinct(), Options);
        compiled[projectDirectory] = compilation;
        return compilation;
    }

    private static IEnumerable<string> SourceFiles(string projectDirectory) =>
        Directory.EnumerateFiles(projectDirectory, "*.cs", SearchOption.AllDirectories)
            .Where(f => Path.GetRelativePath(projectDirectory, f).Split(Path.DirectorySeparatorChar)[0] is not ("bin" or "obj"))
            .Order(StringComparer.Ordinal);

    private static SyntaxTree GlobalUsings(IEnumerable<string> extra) =>
        CSharpSyntaxTree.ParseText(string.Concat(ImplicitUsings.Concat(extra).Select(u => $"global using {u};\n")), path: "GlobalUsings.g.cs");

    private static IEnumerable<MetadataReference> PlatformReferences() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => !Path.GetFileName(p).StartsWith("Judge.", StringComparison.Ordinal))
            .Select(p => MetadataReference.CreateFromFile(p));

    private static NamespaceGraph Of(CSharpCompilation compilation)
    {
        var graph = new NamespaceGraph();
        var models = compilation.SyntaxTrees.Select(t => (Tree: t, Model: compilation.GetSemanticModel(t), Root: t.GetCompilationUnitRoot())).ToList();
        foreach (var (_, model, root) in models)
        {
            foreach (var declared in NamespacesOf(model, root))
            {
                graph._uses.TryAdd(declared, new(StringComparer.Ordinal));
            }
        }

        foreach (var (tree, model, root) in models)
        {
            foreach (var name in root.DescendantNodes().OfType<SimpleNameSyntax>())
            {
                if (name.FirstAncestorOrSelf<BaseNamespaceDeclarationSyntax>() is { } declaration
                    && TypeUsed(model, name, compilation.Assembly) is { } type)
                {
                    graph.Add(model.GetDeclaredSymbol(declaration)!.ToDisplayString(), type.ContainingNamespace.ToDisplayString(), tree.FilePath, type.Name);
                }
            }

            // A using is kept only when used (IDE0005), but it counts on its own, as the import it is.
            foreach (var directive in root.DescendantNodes().OfType<UsingDirectiveSyntax>())
            {
                if (directive.Alias is null && directive.StaticKeyword.IsKind(SyntaxKind.None)
                    && model.GetSymbolInfo(directive.NamespaceOrType).Symbol is INamespaceSymbol used
                    && graph._uses.ContainsKey(used.ToDisplayString()))
                {
                    var inside = directive.FirstAncestorOrSelf<BaseNamespaceDeclarationSyntax>();
                    foreach (var from in inside is null ? NamespacesOf(model, root) : [model.GetDeclaredSymbol(inside)!.ToDisplayString()])
                    {
                        graph.Add(from, used.ToDisplayString(), tree.FilePath, "using");
                    }
                }
            }
        }

        return graph;
    }

    private static IEnumerable<string> NamespacesOf(SemanticModel model, CompilationUnitSyntax root) =>
        root.DescendantNodes().OfType<BaseNamespaceDeclarationSyntax>().Select(d => model.GetDeclaredSymbol(d)!.ToDisplayString()).Distinct();

    /// <summary>The project's own (outermost) type that <paramref name="name"/> names, or whose member it names.</summary>
    private static INamedTypeSymbol? TypeUsed(SemanticModel model, SimpleNameSyntax name, IAssemblySymbol project)
    {
        var info = model.GetSymbolInfo(name);
        var symbol = info.Symbol ?? info.CandidateSymbols.FirstOrDefault();
        var type = symbol switch
        {
            INamedTypeSymbol named => named,
            IMethodSymbol { ReducedFrom: { } extension } => extension.ContainingType,
            INamespaceSymbol or ITypeParameterSymbol or ILocalSymbol or IParameterSymbol or IRangeVariableSymbol or ILabelSymbol or null => null,
            _ => symbol.ContainingType,
        };
        for (; type?.ContainingType is not null; type = type.ContainingType)
        {
        }

        return type is not null && SymbolEqualityComparer.Default.Equals(type.ContainingAssembly, project) ? type : null;
    }

    private void Add(string from, string to, string file, string what)
    {
        if (from == to)
        {
            return;
        }

        var uses = _uses.TryGetValue(from, out var known) ? known : _uses[from] = new(StringComparer.Ordinal);
        (uses.TryGetValue(to, out var files) ? files : uses[to] = new(StringComparer.Ordinal)).Add(file);
        _uses.TryAdd(to, new(StringComparer.Ordinal));
        (_names.TryGetValue((from, to, file), out var names) ? names : _names[(from, to, file)] = new(StringComparer.Ordinal)).Add(what);
    }

    /// <summary>Tarjan's algorithm: sets of namespaces each of which reaches every other.</summary>
    private List<HashSet<string>> StronglyConnectedComponents()
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var components = new List<HashSet<string>>();
        void Visit(string node)
        {
            var order = index.Count;
            index[node] = order;
            low[node] = order;
            stack.Push(node);
            foreach (var next in UsesOf(node).Order(StringComparer.Ordinal))
            {
                if (!index.TryGetValue(next, out var seen))
                {
                    Visit(next);
                    low[node] = Math.Min(low[node], low[next]);
                }
                else if (stack.Contains(next))
                {
                    low[node] = Math.Min(low[node], seen);
                }
            }

            if (low[node] == index[node])
            {
                var component = new HashSet<string>(StringComparer.Ordinal);
                string member;
                do
                {
                    member = stack.Pop();
                    component.Add(member);
                }
                while (member != node);
                components.Add(component);
            }
        }

        foreach (var node in Namespaces.Order(StringComparer.Ordinal).Where(n => !index.ContainsKey(n)).ToList())
        {
            Visit(node);
        }

        return components;
    }

    /// <summary>The shortest path from <paramref name="start"/> back to itself inside <paramref name="component"/>.</summary>
    private List<string> ShortestCycle(string start, HashSet<string> component)
    {
        var previous = new Dictionary<string, string>(StringComparer.Ordinal);
        var queue = new Queue<string>([start]);
        while (queue.TryDequeue(out var node))
        {
            foreach (var next in UsesOf(node).Where(component.Contains).Order(StringComparer.Ordinal))
            {
                if (next == start)
                {
                    var path = new List<string> { start };
                    for (var at = node; at != start; at = previous[at])
                    {
                        path.Add(at);
                    }

                    path.Add(start);
                    path.Reverse();
                    return path;
                }

                if (previous.TryAdd(next, node))
                {
                    queue.Enqueue(next);
                }
            }
        }

        throw new InvalidOperationException($"{start} is in a loop that does not come back to it.");
    }
}
