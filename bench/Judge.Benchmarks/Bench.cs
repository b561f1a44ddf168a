namespace Judge.Benchmarks;

/// <summary>What every benchmark does the same way: progress on stderr, facts about the host, the report's output.</summary>
internal static class Bench
{
    public static void Progress(string what) => Console.Error.WriteLine($"benchmark: {what}…");

    public static string CpuModel() =>
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";

    /// <summary>Prints the report on stdout and, when asked, writes it to <paramref name="output"/>.</summary>
    public static async Task EmitAsync(string report, FileInfo? output, CancellationToken cancellationToken)
    {
        Console.WriteLine(report);
        if (output is not null)
        {
            await File.WriteAllTextAsync(output.FullName, report, cancellationToken);
            await Console.Error.WriteLineAsync($"Wrote {output.FullName}");
        }
    }

    /// <summary>The repository this benchmark was built in (the directory holding Judge.sln).</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Judge.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Run the benchmark from its build output inside the repository ({AppContext.BaseDirectory} is not).");
    }
}
