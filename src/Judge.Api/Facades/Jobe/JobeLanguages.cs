using Judge.Grading.Languages;

namespace Judge.Api.Facades.Jobe;

/// <summary>
/// A language as a Jobe server offers it: its id there, the Judge language that runs it, and Jobe's own defaults for it
/// (its <c>LanguageTask</c> subclasses'), so that a CodeRunner question behaves here as it did on Jobe: the same compiler
/// warnings are errors, the same default file name, the same interpreter flags and memory limit.
/// </summary>
public sealed record JobeLanguage(
    string Id, Language Language, string? DefaultFileName, string? CompileArgs = null, string? InterpreterArgs = null, bool SyntaxCheck = true,
    int MemoryLimitMb = JobeLanguages.DefaultMemoryLimitMb, int MinProcesses = 0, bool IgnoresMemoryLimit = false);

public static class JobeLanguages
{
    public const int DefaultMemoryLimitMb = 400;

    /// <summary>Jobe's seven, with its defaults; then every other Judge language under its Judge id, with Jobe's general defaults.</summary>
    public static IReadOnlyList<JobeLanguage> All { get; } =
    [
        new("c", LanguageRegistry.C, "prog.c", CompileArgs: "-Wall -Werror -std=c99 -x c"),
        new("cpp", LanguageRegistry.Cpp, "prog.cpp", CompileArgs: "-Wall -Werror"),
        new("python3", LanguageRegistry.Python, "prog.py", InterpreterArgs: "-BE", MemoryLimitMb: 1000),
        // Jobe lets the JVM manage its memory, and the JVM wants many threads.
        new("java", LanguageRegistry.Java, null, InterpreterArgs: "-Xrs -Xss8m -Xmx200m", MinProcesses: 256, IgnoresMemoryLimit: true),
        // Jobe runs JavaScript without a check first: a syntax error is a runtime error there.
        new("nodejs", LanguageRegistry.JavaScript, "prog.js", InterpreterArgs: "--use_strict", SyntaxCheck: false),
        new("php", LanguageRegistry.Php, "prog.php", InterpreterArgs: "--no-php-ini"),
        new("pascal", LanguageRegistry.Pascal, "prog.pas", CompileArgs: "-vew -Se"),
        .. LanguageRegistry.All
            .Where(l => l != LanguageRegistry.C && l != LanguageRegistry.Cpp && l != LanguageRegistry.Python && l != LanguageRegistry.Java
                && l != LanguageRegistry.JavaScript && l != LanguageRegistry.Php && l != LanguageRegistry.Pascal)
            .Select(l => new JobeLanguage(l.Id, l, null, IgnoresMemoryLimit: l.OutOfMemoryMessage is not null)),
    ];

    public static JobeLanguage? Find(string id) => All.FirstOrDefault(l => l.Id == id);
}
