using Judge.Grading.Runs;

namespace Judge.Grading.Languages;

/// <summary>
/// How to compile and run one language inside the guest image. Paths are guest paths under <see cref="WorkDirectory"/>.
/// <see cref="HelloWorld"/> prints "Hello, World!"; the sandbox compiles and runs it before taking the
/// language's memory snapshot, so every VM starts with that toolchain already in its page cache.
/// </summary>
public sealed record Language(
    string Id,
    string DisplayName,
    string SourceFileName,
    IReadOnlyList<string>? CompileCommand,
    IReadOnlyList<string> RunCommand,
    string HelloWorld)
{
    /// <summary>Where a submission's files are in every sandbox, and its programs' working directory.</summary>
    public const string WorkDirectory = "/box";

    public string SourcePath => $"{WorkDirectory}/{SourceFileName}";

    public bool IsCompiled => CompileCommand is not null;

    /// <summary>
    /// A run of this language may take the problem's time limit times this (DOMjudge's per-language time factor), on top
    /// of the host's speed factor. Every language has 1: a problem package's time limit is derived from its accepted
    /// submissions in all their languages, so it already holds for each of them.
    /// </summary>
    public double TimeMultiplier { get; init; } = 1.0;

    /// <summary>
    /// What the runtime prints on stderr when it gives up for want of memory, for a runtime that reports a full heap
    /// as an error exit rather than being killed by the cgroup (the JVM); null for the others.
    /// </summary>
    public string? OutOfMemoryMessage { get; init; }

    /// <summary>
    /// The run command under <paramref name="limits"/>: "{memory}" in an argument becomes the memory limit in bytes
    /// (the argument is dropped when there is none).
    /// </summary>
    public IReadOnlyList<string> RunCommandFor(ResourceLimits limits) =>
        [.. RunCommand
            .Where(a => !a.Contains(MemoryPlaceholder, StringComparison.Ordinal) || limits.MemoryBytes is not null)
            .Select(a => a.Replace(MemoryPlaceholder, limits.MemoryBytes?.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal))];

    private const string MemoryPlaceholder = "{memory}";
}

/// <summary>Every language the guest image supports; the one place that knows their commands.</summary>
public static partial class LanguageRegistry
{
    public static readonly Language C = new(
        "c", "C (gcc, C17)", "main.c",
        ["gcc", "-O2", "-std=gnu17", "-pipe", "-static", "-o", "/box/main", "/box/main.c", "-lm"],
        ["/box/main"],
        "#include <stdio.h>\nint main(void) { puts(\"Hello, World!\"); return 0; }\n");

    public static readonly Language Cpp = new(
        "cpp", "C++ (g++, C++17)", "main.cpp",
        ["g++", "-O2", "-std=gnu++17", "-pipe", "-static", "-o", "/box/main", "/box/main.cpp"],
        ["/box/main"],
        "#include <bits/stdc++.h>\nint main() { std::cout << \"Hello, World!\" << std::endl; }\n");

    public static readonly Language Python = new(
        "python", "Python 3", "main.py",
        null,
        ["python3", "/box/main.py"],
        "print('Hello, World!')\n");

    public static readonly Language JavaScript = new(
        "javascript", "JavaScript (Node.js)", "main.js",
        null,
        ["node", "/box/main.js"],
        "console.log('Hello, World!');\n");

    /// <summary>
    /// Serial GC because a judged program gets one CPU; the heap may use 75% of the run's memory limit, since the
    /// default of 25% makes programs fail at a quarter of their limit. The limit is given (MaxRAM) rather than left to
    /// the JVM to find in the cgroup: a namespace sandbox has no cgroup file system to find it in, and a JVM that
    /// sized its heap from the host's memory would grow past the limit instead of collecting garbage.
    /// </summary>
    public static readonly Language Java = new(
        "java", "Java 17", "Main.java",
        ["javac", "-encoding", "UTF-8", "-d", "/box", "/box/Main.java"],
        ["java", "-XX:+UseSerialGC", "-XX:MaxRAM={memory}", "-XX:MaxRAMPercentage=75", "-Xss64m", "-cp", "/box", "Main"],
        "public class Main { public static void main(String[] args) { System.out.println(\"Hello, World!\"); } }\n")
    {
        OutOfMemoryMessage = "java.lang.OutOfMemoryError",
    };

    public static readonly Language Shell = new(
        "shell", "Bash", "main.sh",
        null,
        ["bash", "/box/main.sh"],
        "echo 'Hello, World!'\n");

    public static IReadOnlyList<Language> All { get; } = [C, Cpp, Python, JavaScript, Java, Shell];

    private static readonly Dictionary<string, Language> ByExtension = new(StringComparer.OrdinalIgnoreCase)
    {
        [".c"] = C,
        [".cc"] = Cpp,
        [".cpp"] = Cpp,
        [".cxx"] = Cpp,
        [".py"] = Python,
        [".js"] = JavaScript,
        [".java"] = Java,
        [".sh"] = Shell,
    };

    /// <summary>The file extensions <see cref="ForFile"/> knows.</summary>
    public static IEnumerable<string> Extensions => ByExtension.Keys;

    /// <summary>The language of a source file by its extension, as problem archives name their solutions.</summary>
    public static Language? ForFile(string path) => ByExtension.GetValueOrDefault(Path.GetExtension(path));

    /// <summary>
    /// The language's commands for this source. Java runs the public class the source declares (archives name
    /// their solutions after it: Solution.java holds class Solution), rather than requiring it to be Main.
    /// </summary>
    public static Language ForSource(Language language, string source)
    {
        if (language.Id != Java.Id || JavaPublicClass().Match(source) is not { Success: true } match || match.Groups[1].Value == "Main")
        {
            return language;
        }

        var name = match.Groups[1].Value;
        return language with
        {
            SourceFileName = name + ".java",
            CompileCommand = [.. language.CompileCommand!.Select(a => a == "/box/Main.java" ? $"/box/{name}.java" : a)],
            RunCommand = [.. language.RunCommand.Select(a => a == "Main" ? name : a)],
        };
    }

    public static Language? Find(string id) =>
        All.FirstOrDefault(l => string.Equals(l.Id, id, StringComparison.OrdinalIgnoreCase));

    public static Language Get(string id) =>
        Find(id) ?? throw new ArgumentException(
            $"Unknown language '{id}'. Known: {string.Join(", ", All.Select(l => l.Id))}.", nameof(id));

    [System.Text.RegularExpressions.GeneratedRegex(@"public\s+(?:(?:final|abstract|static)\s+)*class\s+([A-Za-z_$][A-Za-z0-9_$]*)")]
    private static partial System.Text.RegularExpressions.Regex JavaPublicClass();

    /// <summary>Compilers need room: several processes (cc1, as, ld), memory, and time under emulation.</summary>
    public static ResourceLimits CompileLimits { get; } = new()
    {
        CpuTime = TimeSpan.FromSeconds(60),
        WallTime = TimeSpan.FromSeconds(120),
        MemoryBytes = SandboxCaps.MemoryBytes,
        MaxProcesses = SandboxCaps.Processes,
        OutputBytes = 64 * 1024,
        KillOnOutputLimit = false,
        FileSizeBytes = 256L * 1024 * 1024,
    };
}
