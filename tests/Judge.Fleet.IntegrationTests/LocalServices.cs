using System.Text.RegularExpressions;
using Judge.Sandbox.Processes;

namespace Judge.Fleet.IntegrationTests;

/// <summary>PostgreSQL and RabbitMQ as deploy/services.sh runs them: real servers on 127.0.0.1.</summary>
internal static partial class LocalServices
{
    public static string Script { get; } = Path.Combine(RepositoryRoot(), "deploy", "services.sh");

    /// <summary>Starts both services (a no-op when they run) and returns the settings `services.sh env` prints.</summary>
    public static async Task<Dictionary<string, string>> StartAsync()
    {
        var start = await HostProcess.RunAsync(Script, ["start"], TimeSpan.FromMinutes(5));
        if (start.ExitCode != 0)
        {
            throw new InvalidOperationException($"deploy/services.sh start failed ({start.ExitCode}): {start.Stdout}{start.Stderr}");
        }

        var env = await RunAsync("env");
        var settings = new Dictionary<string, string>();
        foreach (Match match in Assignment().Matches(env))
        {
            settings[match.Groups["key"].Value.Replace("__", ":", StringComparison.Ordinal)] = match.Groups["value"].Value.Trim('\'', '"');
        }

        return settings;
    }

    public static async Task<string> RunAsync(params string[] arguments)
    {
        var result = await HostProcess.RunAsync(Script, arguments, TimeSpan.FromMinutes(2));
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"deploy/services.sh {string.Join(' ', arguments)} failed ({result.ExitCode}): {result.Stderr}");
        }

        return result.Stdout;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Judge.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("The tests must run inside the repository (Judge.sln not found).");
    }

    [GeneratedRegex(@"(?<key>[A-Za-z_][A-Za-z0-9_]*)=(?<value>'[^']*'|""[^""]*""|\S+)")]
    private static partial Regex Assignment();
}
