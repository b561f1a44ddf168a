using System.Text.RegularExpressions;
using Judge.Sandbox.Processes;

namespace Judge.Architecture.Tests;

/// <summary>
/// Unit tests of the guest agent's structure: each C file compiled on its own, and the symbols it defines and uses read
/// with nm, give the graph of which file calls into which. It must have no loop, and nothing may call into the file
/// that holds main (helpers live apart from it, as in ioi/isolate).
/// </summary>
public sealed partial class GuestAgentStructureTests
{
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromMinutes(2);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_agents_files_call_each_other_without_a_loop_and_none_calls_into_main()
    {
        var graph = await CallGraphAsync(Path.Combine(Repository.Root, "src", "Judge.GuestAgent"));

        Assert.True(graph.Count >= 8, $"only {graph.Count} files compiled");
        Assert.Null(FindLoop(graph));
        Assert.Empty(graph.Where(f => f.Value.Contains("agent")).Select(f => f.Key));
        Assert.Empty(graph["util"]);
    }

    /// <summary>File (without .c) → the files whose symbols it uses.</summary>
    private static async Task<Dictionary<string, HashSet<string>>> CallGraphAsync(string directory)
    {
        var output = Directory.CreateTempSubdirectory("judge-agent-structure-");
        try
        {
            var defined = new Dictionary<string, string>(StringComparer.Ordinal);
            var used = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            foreach (var source in Directory.GetFiles(directory, "*.c").Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileNameWithoutExtension(source);
                var obj = Path.Combine(output.FullName, name + ".o");
                var compile = await HostProcess.RunAsync("gcc", ["-std=gnu11", "-c", "-o", obj, source], ToolTimeout, cancellationToken: Ct);
                Assert.True(compile.ExitCode == 0, $"gcc {source}: {compile.Stderr}");
                var symbols = await HostProcess.RunAsync("nm", [obj], ToolTimeout, cancellationToken: Ct);
                Assert.True(symbols.ExitCode == 0, $"nm {obj}: {symbols.Stderr}");
                used[name] = [];
                foreach (Match m in Symbol().Matches(symbols.Stdout))
                {
                    if (m.Groups["kind"].Value == "U")
                    {
                        used[name].Add(m.Groups["name"].Value);
                    }
                    else
                    {
                        defined[m.Groups["name"].Value] = name;
                    }
                }
            }

            return used.ToDictionary(u => u.Key, u => u.Value.Select(s => defined.GetValueOrDefault(s)).OfType<string>().Where(f => f != u.Key).ToHashSet(),
                StringComparer.Ordinal);
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    /// <summary>A loop of files as "a -> b -> a", or null.</summary>
    private static string? FindLoop(Dictionary<string, HashSet<string>> graph)
    {
        var done = new HashSet<string>();
        var path = new List<string>();
        string? Visit(string file)
        {
            if (path.Contains(file))
            {
                return string.Join(" -> ", path.SkipWhile(f => f != file).Append(file));
            }

            if (!done.Add(file))
            {
                return null;
            }

            path.Add(file);
            var loop = graph[file].Order(StringComparer.Ordinal).Select(Visit).FirstOrDefault(l => l is not null);
            path.RemoveAt(path.Count - 1);
            return loop;
        }

        return graph.Keys.Order(StringComparer.Ordinal).Select(Visit).FirstOrDefault(l => l is not null);
    }

    /// <summary>nm's "[address] kind name": U for a symbol used but not defined; T, D, B, R, C for defined ones.</summary>
    [GeneratedRegex(@"^(?:[0-9a-f]+)?\s+(?<kind>[UTDBRC])\s+(?<name>\S+)$", RegexOptions.Multiline)]
    private static partial Regex Symbol();
}
