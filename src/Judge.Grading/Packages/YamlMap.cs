using System.Globalization;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Judge.Grading.Packages;

/// <summary>A YAML mapping from a package file; every typed read names the file and line when the value is wrong.</summary>
public sealed class YamlMap
{
    private readonly YamlMappingNode _node;
    private readonly string _prefix;

    private YamlMap(string file, YamlMappingNode node, string prefix)
    {
        File = file;
        _node = node;
        _prefix = prefix;
    }

    public string File { get; }

    public int Line => (int)_node.Start.Line;

    public static YamlMap Parse(string file, byte[] content)
    {
        var text = Encoding.UTF8.GetString(content);
        CheckSyntax(file, text);
        var stream = new YamlStream();
        using (var reader = new StringReader(text))
        {
            stream.Load(reader);
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            return new YamlMap(file, new YamlMappingNode(), "");
        }

        return stream.Documents[0].RootNode is YamlMappingNode mapping
            ? new YamlMap(file, mapping, "")
            : throw new PackageException(file, (int)stream.Documents[0].RootNode.Start.Line, "must be a mapping of keys to values");
    }

    public bool Has(string key) => Node(key) is not null;

    public bool IsMap(string key) => Node(key) is YamlMappingNode;

    public IEnumerable<string> Keys => _node.Children.Keys.OfType<YamlScalarNode>().Select(k => k.Value ?? "");

    public int LineOf(string key) => Node(key) is { } node ? (int)node.Start.Line : Line;

    /// <summary>The keys of this mapping outside <paramref name="known"/>, each with the line it is on.</summary>
    public IEnumerable<(string Key, int Line)> UnknownKeys(IReadOnlySet<string> known) =>
        _node.Children.Keys.OfType<YamlScalarNode>().Where(k => !known.Contains(k.Value ?? "")).Select(k => (_prefix + k.Value, (int)k.Start.Line));

    public string? Text(string key) => Node(key) switch
    {
        null => null,
        YamlScalarNode scalar => scalar.Value ?? "",
        var other => throw Error(other, $"'{Name(key)}' must be a single value"),
    };

    /// <summary>A string, or a list of strings joined by spaces (newer formats give arguments as lists).</summary>
    public string? Words(string key) => Node(key) switch
    {
        null => null,
        YamlScalarNode scalar => scalar.Value ?? "",
        YamlSequenceNode list when list.Children.All(c => c is YamlScalarNode) =>
            string.Join(' ', list.Children.Cast<YamlScalarNode>().Select(c => c.Value)),
        var other => throw Error(other, $"'{Name(key)}' must be a string or a list of strings"),
    };

    public IReadOnlyList<string>? List(string key) => Node(key) switch
    {
        null => null,
        YamlScalarNode scalar => [scalar.Value ?? ""],
        YamlSequenceNode list when list.Children.All(c => c is YamlScalarNode) => [.. list.Children.Cast<YamlScalarNode>().Select(c => c.Value ?? "")],
        var other => throw Error(other, $"'{Name(key)}' must be a string or a list of strings"),
    };

    public double? Number(string key, double min = double.NegativeInfinity, double max = double.PositiveInfinity)
    {
        if (Text(key) is not { } text)
        {
            return null;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value) || value < min || value > max)
        {
            var range = double.IsFinite(max) ? $" between {min.ToString(CultureInfo.InvariantCulture)} and {max.ToString(CultureInfo.InvariantCulture)}"
                : double.IsFinite(min) ? $" of at least {min.ToString(CultureInfo.InvariantCulture)}" : "";
            throw Error(Node(key)!, $"'{Name(key)}' must be a number{range}; got '{text}'");
        }

        return value;
    }

    public long? WholeNumber(string key, long min, string unit)
    {
        if (Text(key) is not { } text)
        {
            return null;
        }

        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min
            ? value
            : throw Error(Node(key)!, $"'{Name(key)}' must be a whole number of {unit} of at least {min}; got '{text}'");
    }

    public YamlMap? Map(string key) => Node(key) switch
    {
        null => null,
        YamlMappingNode mapping => new YamlMap(File, mapping, Name(key) + "."),
        var other => throw Error(other, $"'{Name(key)}' must be a mapping of keys to values"),
    };

    public PackageException Error(string key, string problem) => new(File, LineOf(key), problem);

    private PackageException Error(YamlNode node, string problem) => new(File, (int)node.Start.Line, problem);

    private string Name(string key) => _prefix + key;

    private YamlNode? Node(string key) => _node.Children.TryGetValue(new YamlScalarNode(key), out var value)
        ? value is YamlScalarNode { Value: null or "~" } && value.Tag.IsEmpty ? null : value
        : null;

    /// <summary>
    /// Walks the parser's events so that a syntax error always has a line: YamlDotNet reports most with a
    /// position, but its scanner throws a bare InvalidOperationException on some input; then the line is where
    /// the last event that parsed ends.
    /// </summary>
    private static void CheckSyntax(string file, string text)
    {
        var parser = new Parser(new StringReader(text));
        var last = Mark.Empty;
        try
        {
            while (parser.MoveNext())
            {
                last = parser.Current!.End;
            }
        }
        catch (YamlException e)
        {
            throw new PackageException(file, (int)e.Start.Line, $"not valid YAML: {Innermost(e).Message.Trim()}");
        }
        catch (InvalidOperationException)
        {
            throw new PackageException(file, (int)Math.Max(1, last.Line), "not valid YAML: malformed value after this line");
        }
    }

    private static Exception Innermost(Exception e) => e.InnerException is { } inner ? Innermost(inner) : e;
}
