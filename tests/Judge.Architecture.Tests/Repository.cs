namespace Judge.Architecture.Tests;

internal static class Repository
{
    /// <summary>The directory holding Judge.sln, above the test's binaries.</summary>
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Judge.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("No Judge.sln above " + AppContext.BaseDirectory);
    }
}
