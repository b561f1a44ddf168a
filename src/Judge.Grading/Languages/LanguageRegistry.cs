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
    /// The language whose speed calibration stands for this one's (a JVM language by Java's, a native one by C's, an
    /// interpreter by Python's); null for a language calibrated itself. A worker measures six languages at start, not
    /// every one it runs: each measurement compiles and runs a program several times, which under TCG takes minutes.
    /// </summary>
    public string? CalibratedAs { get; init; }

    /// <summary>
    /// Where the compiler's options are in <see cref="CompileCommand"/> (from this index, this many), which the compile options of
    /// a one-shot run replace (Jobe's <c>compileargs</c>, Judge0's <c>compiler_options</c>); by default none, just after the compiler.
    /// </summary>
    public (int At, int Count) CompileOptions { get; init; } = (1, 0);

    /// <summary>The compile step only checks the source (an interpreted language's syntax check): the run needs nothing it makes.</summary>
    public bool CompileOnlyChecks { get; init; }

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

/// <summary>One file of a submission, by its name in /box: its bytes as given (an object file or a word list as much as a source).</summary>
public sealed record SubmissionFile(string Name, byte[] Content)
{
    /// <summary>The content read as UTF-8, to look into (a class name, a main).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string Text => System.Text.Encoding.UTF8.GetString(Content);

    public static SubmissionFile Of(string name, string text) => new(name, System.Text.Encoding.UTF8.GetBytes(text));
}

/// <summary>
/// Every language the guest image supports; the one place that knows their commands. Native programs are linked dynamically:
/// a program is compiled and run in the same sandbox, on the same read-only root, so the libraries it was linked against are
/// the ones it runs with; static linking cost ~25 ms more per C compile (~55 against ~30 ms natively here) for nothing.
/// </summary>
public static partial class LanguageRegistry
{
    /// <summary>
    /// gold, without loading the LTO plugin (which only -flto needs): for a C hello world the link is most of a compile, and
    /// these took a compile from 36.7 to 26.0 ms of CPU here (perf stat, 30 runs each). The compile options a client gives
    /// (Jobe's compileargs) replace the language's options, not these.
    /// </summary>
    private static readonly string[] FastLink = ["-fuse-ld=gold", "-fno-use-linker-plugin"];

    public static readonly Language C = new(
        "c", "C (gcc, C17)", "main.c",
        ["gcc", "-O2", "-std=gnu17", "-pipe", .. FastLink, "-o", "/box/main", "/box/main.c", "-lm"],
        ["/box/main"],
        "#include <stdio.h>\nint main(void) { puts(\"Hello, World!\"); return 0; }\n")
    {
        CompileOptions = (1, 3),
    };

    public static readonly Language Cpp = new(
        "cpp", "C++ (g++, C++17)", "main.cpp",
        ["g++", "-O2", "-std=gnu++17", "-pipe", .. FastLink, "-o", "/box/main", "/box/main.cpp"],
        ["/box/main"],
        "#include <bits/stdc++.h>\nint main() { std::cout << \"Hello, World!\" << std::endl; }\n")
    {
        CompileOptions = (1, 3),
    };

    /// <summary>
    /// Interpreted languages are syntax-checked first (the "compile" step), as DOMjudge, Jobe and problemtools do: a syntax
    /// error is a CompilationError with the interpreter's message, not a RuntimeError.
    /// </summary>
    public static readonly Language Python = new(
        "python", "Python 3", "main.py",
        ["python3", "-m", "py_compile", "/box/main.py"],
        ["python3", "/box/main.py"],
        "print('Hello, World!')\n")
    {
        CompileOnlyChecks = true,
    };

    public static readonly Language PyPy = new(
        "pypy3", "Python 3 (PyPy)", "main.py",
        ["pypy3", "-m", "py_compile", "/box/main.py"],
        ["pypy3", "/box/main.py"],
        "print('Hello, World!')\n")
    {
        CompileOnlyChecks = true,
        CalibratedAs = "python",
    };

    public static readonly Language JavaScript = new(
        "javascript", "JavaScript (Node.js)", "main.js",
        // Every file checked, as DOMjudge checks them (node --check takes one file): a multi-file submission's sources replace main.js.
        ["sh", "-c", "for f do node --check \"$f\" || exit; done", "node-check", "/box/main.js"],
        ["node", "/box/main.js"],
        "console.log('Hello, World!');\n")
    {
        CompileOnlyChecks = true,
    };

    /// <summary>
    /// Serial GC because a judged program gets one CPU; the heap may use 75% of the run's memory limit, since the
    /// default of 25% makes programs fail at a quarter of their limit. The limit is given (MaxRAM) rather than left to
    /// the JVM to find in the cgroup: a namespace sandbox has no cgroup file system to find it in, and a JVM that
    /// sized its heap from the host's memory would grow past the limit instead of collecting garbage.
    /// </summary>
    public static readonly Language Java = new(
        "java", "Java 17", "Main.java",
        ["javac", "-encoding", "UTF-8", "-d", "/box", "/box/Main.java"],
        [.. JvmRun("/box"), "Main"],
        "public class Main { public static void main(String[] args) { System.out.println(\"Hello, World!\"); } }\n")
    {
        CompileOptions = (3, 0),
        OutOfMemoryMessage = JvmOutOfMemory,
    };

    /// <summary>kotlinc names the class of top-level functions after the file: Main.kt holds MainKt.</summary>
    public static readonly Language Kotlin = new(
        "kotlin", "Kotlin (JVM)", "Main.kt",
        ["kotlinc", "-nowarn", "-d", "/box", "/box/Main.kt"],
        [.. JvmRun("/box:/usr/share/java/kotlin-stdlib.jar"), "MainKt"],
        "fun main() {\n    println(\"Hello, World!\")\n}\n")
    {
        OutOfMemoryMessage = JvmOutOfMemory,
        CalibratedAs = "java",
    };

    public static readonly Language Scala = new(
        "scala", "Scala 2", "Main.scala",
        ["scalac", "-encoding", "UTF-8", "-d", "/box", "/box/Main.scala"],
        [.. JvmRun("/box:/usr/share/java/scala-library.jar"), "Main"],
        "object Main {\n  def main(args: Array[String]): Unit = println(\"Hello, World!\")\n}\n")
    {
        OutOfMemoryMessage = JvmOutOfMemory,
        CalibratedAs = "java",
    };

    public static readonly Language CSharp = new(
        "csharp", "C# (Mono)", "main.cs",
        ["mcs", "-optimize+", "-r:System.Numerics", "-out:/box/main.exe", "/box/main.cs"],
        ["mono", "/box/main.exe"],
        "public static class Program { public static void Main() { System.Console.WriteLine(\"Hello, World!\"); } }\n")
    {
        CompileOptions = (1, 1),
        OutOfMemoryMessage = "System.OutOfMemoryException",
        CalibratedAs = "java",
    };

    /// <summary>GOCACHE under /tmp: the build cache must be writable, and nothing of one submission's build may outlive its sandbox.</summary>
    public static readonly Language Go = new(
        "go", "Go", "main.go",
        ["env", "GOCACHE=/tmp/go-build", "GOPATH=/tmp/go", "GO111MODULE=off", "go", "build", "-o", "/box/main", "/box/main.go"],
        ["/box/main"],
        "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"Hello, World!\")\n}\n")
    {
        CompileOptions = (6, 0),
        CalibratedAs = "c",
    };

    public static readonly Language Rust = new(
        "rust", "Rust", "main.rs",
        ["rustc", "--edition", "2021", "-C", "opt-level=2", "-o", "/box/main", "/box/main.rs"],
        ["/box/main"],
        "fn main() {\n    println!(\"Hello, World!\");\n}\n")
    {
        CompileOptions = (3, 2),
        CalibratedAs = "c",
    };

    public static readonly Language Haskell = new(
        "haskell", "Haskell (GHC)", "main.hs",
        ["ghc", "-O2", "-ferror-spans", "-tmpdir", "/tmp", "-outputdir", "/tmp/ghc", "-o", "/box/main", "/box/main.hs"],
        ["/box/main"],
        "main :: IO ()\nmain = putStrLn \"Hello, World!\"\n")
    {
        CompileOptions = (1, 1),
        CalibratedAs = "c",
    };

    public static readonly Language OCaml = new(
        "ocaml", "OCaml", "main.ml",
        ["ocamlopt", "unix.cmxa", "str.cmxa", "-o", "/box/main", "/box/main.ml"],
        ["/box/main"],
        "let () = print_endline \"Hello, World!\"\n")
    {
        CalibratedAs = "c",
    };

    public static readonly Language Pascal = new(
        "pascal", "Pascal (Free Pascal)", "main.pas",
        ["fpc", "-O2", "-XS", "-Xt", "-FU/tmp", "-o/box/main", "/box/main.pas"],
        ["/box/main"],
        "program Hello;\nbegin\n  writeln('Hello, World!');\nend.\n")
    {
        CompileOptions = (1, 1),
        CalibratedAs = "c",
    };

    public static readonly Language Php = new(
        "php", "PHP", "main.php",
        ["php", "-n", "-l", "/box/main.php"],
        ["php", "-n", "-d", "display_errors=stderr", "-d", "html_errors=0", "-d", "memory_limit=-1", "/box/main.php"],
        "<?php\necho \"Hello, World!\\n\";\n")
    {
        CompileOnlyChecks = true,
        CalibratedAs = "python",
    };

    public static readonly Language Ruby = new(
        "ruby", "Ruby", "main.rb",
        ["ruby", "-c", "/box/main.rb"],
        ["ruby", "/box/main.rb"],
        "puts 'Hello, World!'\n")
    {
        CompileOnlyChecks = true,
        CalibratedAs = "python",
    };

    public static readonly Language Perl = new(
        "perl", "Perl", "main.pl",
        ["perl", "-c", "/box/main.pl"],
        ["perl", "/box/main.pl"],
        "print \"Hello, World!\\n\";\n")
    {
        CompileOnlyChecks = true,
        CalibratedAs = "python",
    };

    public static readonly Language Lua = new(
        "lua", "Lua 5.4", "main.lua",
        ["luac5.4", "-p", "/box/main.lua"],
        ["lua5.4", "/box/main.lua"],
        "print(\"Hello, World!\")\n")
    {
        CompileOnlyChecks = true,
        CalibratedAs = "python",
    };

    /// <summary>Compiled to a fasl first: a reader error is a CompilationError, and the run loads compiled code.</summary>
    public static readonly Language Lisp = new(
        "lisp", "Common Lisp (SBCL)", "main.lisp",
        ["sbcl", "--noinform", "--non-interactive", "--eval", "(unless (compile-file \"/box/main.lisp\") (sb-ext:exit :code 1))"],
        ["sbcl", "--script", "/box/main.fasl"],
        "(write-line \"Hello, World!\")\n")
    {
        CalibratedAs = "python",
    };

    /// <summary>The program's entry is main/0, as in problemtools (run with -g main): a saved state that runs it and halts.</summary>
    public static readonly Language Prolog = new(
        "prolog", "Prolog (SWI-Prolog)", "main.pl",
        ["swipl", "--on-error=halt", "-O", "-q", "-g", "main", "-t", "halt", "-o", "/box/main", "-c", "/box/main.pl"],
        ["/box/main"],
        "main :- write('Hello, World!'), nl.\n")
    {
        CalibratedAs = "python",
    };

    public static readonly Language Fortran = new(
        "fortran", "Fortran (gfortran)", "main.f90",
        ["gfortran", "-O2", .. FastLink, "-J/tmp", "-o", "/box/main", "/box/main.f90"],
        ["/box/main"],
        "program hello\n  print '(a)', 'Hello, World!'\nend program hello\n")
    {
        CompileOptions = (1, 1),
        CalibratedAs = "c",
    };

    /// <summary>GNAT wants the file named after its unit: main.adb holds procedure Main.</summary>
    public static readonly Language Ada = new(
        "ada", "Ada (GNAT)", "main.adb",
        ["gnatmake", "-q", "-O2", "-D", "/tmp", "-o", "/box/main", "/box/main.adb"],
        ["/box/main"],
        "with Ada.Text_IO;\nprocedure Main is\nbegin\n   Ada.Text_IO.Put_Line (\"Hello, World!\");\nend Main;\n")
    {
        CompileOptions = (2, 1),
        CalibratedAs = "c",
    };

    public static readonly Language R = new(
        "r", "R", "main.R",
        ["Rscript", "--vanilla", "-e", "invisible(parse('/box/main.R'))"],
        ["Rscript", "--vanilla", "/box/main.R"],
        "cat('Hello, World!\\n')\n")
    {
        CompileOnlyChecks = true,
        CalibratedAs = "python",
    };

    public static readonly Language Shell = new(
        "shell", "Bash", "main.sh",
        ["bash", "-n", "/box/main.sh"],
        ["bash", "/box/main.sh"],
        "echo 'Hello, World!'\n")
    {
        CompileOnlyChecks = true,
    };

    public static IReadOnlyList<Language> All { get; } =
    [
        C, Cpp, Python, PyPy, Java, Kotlin, Scala, CSharp, Go, Rust, Haskell, OCaml, Pascal, JavaScript, Php, Ruby, Perl, Lua, Lisp, Prolog,
        Fortran, Ada, R, Shell,
    ];

    private const string JvmOutOfMemory = "java.lang.OutOfMemoryError";

    /// <summary>The JVM's command line for a run with <paramref name="classPath"/>; the main class follows.</summary>
    private static string[] JvmRun(string classPath) =>
        ["java", "-XX:+UseSerialGC", "-XX:MaxRAM={memory}", "-XX:MaxRAMPercentage=75", "-Xss64m", "-cp", classPath];

    /// <summary>
    /// File extensions as problemtools and DOMjudge name solutions (.pl is Prolog there; a Perl file says so in its shebang,
    /// see <see cref="ForFile(string, string?)"/>).
    /// </summary>
    private static readonly Dictionary<string, Language> ByExtension = new(StringComparer.OrdinalIgnoreCase)
    {
        [".c"] = C,
        [".cc"] = Cpp,
        [".cpp"] = Cpp,
        [".cxx"] = Cpp,
        [".c++"] = Cpp,
        [".py"] = Python,
        [".py3"] = Python,
        [".java"] = Java,
        [".kt"] = Kotlin,
        [".scala"] = Scala,
        [".sc"] = Scala,
        [".cs"] = CSharp,
        [".go"] = Go,
        [".rs"] = Rust,
        [".hs"] = Haskell,
        [".ml"] = OCaml,
        [".pas"] = Pascal,
        [".p"] = Pascal,
        [".js"] = JavaScript,
        [".mjs"] = JavaScript,
        [".php"] = Php,
        [".rb"] = Ruby,
        [".pm"] = Perl,
        [".lua"] = Lua,
        [".lisp"] = Lisp,
        [".cl"] = Lisp,
        [".pl"] = Prolog,
        [".plg"] = Prolog,
        [".f90"] = Fortran,
        [".f95"] = Fortran,
        [".f"] = Fortran,
        [".adb"] = Ada,
        [".ada"] = Ada,
        [".r"] = R,
        [".sh"] = Shell,
        [".bash"] = Shell,
    };

    /// <summary>The file extensions <see cref="ForFile"/> knows.</summary>
    public static IEnumerable<string> Extensions => ByExtension.Keys;

    /// <summary>
    /// The language of a source file by its extension, as problem archives name their solutions, and, given its
    /// <paramref name="content"/>, by its shebang as problemtools decides: a <c>#!…python2</c> file is Python 2, which no
    /// sandbox has (null), and a <c>.pl</c> file whose shebang names perl is Perl rather than Prolog. Without a shebang a
    /// <c>.pl</c> file is Prolog (problemtools) when it has a clause (<c>:-</c>) and Perl (DOMjudge) when it reads like Perl.
    /// </summary>
    public static Language? ForFile(string path, string? content = null)
    {
        var language = ByExtension.GetValueOrDefault(Path.GetExtension(path));
        if (content is null || !content.StartsWith("#!", StringComparison.Ordinal))
        {
            return language == Prolog && Path.GetExtension(path).Equals(".pl", StringComparison.OrdinalIgnoreCase) && content is not null
                && !content.Contains(":-", StringComparison.Ordinal) && PerlLike().IsMatch(content) ? Perl : language;
        }

        var shebang = content[..(content.IndexOf('\n', StringComparison.Ordinal) is >= 0 and var end ? end : content.Length)];
        return language switch
        {
            _ when language == Python && Python2Shebang().IsMatch(shebang) => null,
            _ when language == Prolog && shebang.Contains("perl", StringComparison.Ordinal) => Perl,
            _ => language,
        };
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\b(print|my|use strict|use warnings)\b|\$[A-Za-z_]")]
    private static partial System.Text.RegularExpressions.Regex PerlLike();

    [System.Text.RegularExpressions.GeneratedRegex(@"^#!.*python2\b")]
    private static partial System.Text.RegularExpressions.Regex Python2Shebang();

    /// <summary>
    /// The language's commands for this source. Java runs the public class the source declares (archives name
    /// their solutions after it: Solution.java holds class Solution), rather than requiring it to be Main, by its full name
    /// when the source declares a package (javac -d puts the class in the package's directory).
    /// </summary>
    public static Language ForSource(Language language, string source) =>
        ForFiles(language, [SubmissionFile.Of(
            language.Id == Java.Id && JavaPublicClass().Match(WithoutComments(source)) is { Success: true } match ? match.Groups[1].Value + ".java" : language.SourceFileName,
            source)]);

    /// <summary>Languages whose compiler is given every source file of a multi-file submission; the others are given the entry point and find the rest themselves (imports, modules, units).</summary>
    private static readonly HashSet<string> CompiledTogether = ["c", "cpp", "java", "kotlin", "scala", "csharp", "go", "fortran", "prolog", "python", "javascript"];

    /// <summary>
    /// The language's commands for a submission of one or several files, all put in /box by their names: the compile step
    /// gets every file of the language (C, C++, JVM languages, C#, Go, Fortran) or the entry point; the run starts the entry
    /// point. The entry point is chosen as the Kattis format says: the only file of the language; else the one named
    /// <paramref name="entryPoint"/> or named like it (a submission directory's name); else main.* or Main.*; else the file that has a main
    /// (Java's <c>static void main</c>, Kotlin's <c>fun main</c>, Python's <c>__main__</c>); else the first by name.
    /// </summary>
    public static Language ForFiles(Language language, IReadOnlyList<SubmissionFile> files, string? entryPoint = null)
    {
        var own = files.Where(f => ForFile(f.Name)?.Id == language.Id || (language.Id == "cpp" && ForFile(f.Name)?.Id == "c")).OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
        if (own.Count == 0)
        {
            own = [.. files.OrderBy(f => f.Name, StringComparer.Ordinal)];
        }

        var entry = EntryPoint(language, own, entryPoint);
        var sources = CompiledTogether.Contains(language.Id) ? own.Select(f => $"{Language.WorkDirectory}/{f.Name}").ToList() : [$"{Language.WorkDirectory}/{entry.Name}"];
        var adapted = language with
        {
            SourceFileName = entry.Name,
            CompileCommand = language.CompileCommand is { } compile ? [.. compile.SelectMany(a => a == language.SourcePath ? sources : [a])] : null,
            RunCommand = [.. language.RunCommand.Select(a => a == language.SourcePath ? $"{Language.WorkDirectory}/{entry.Name}" : a)],
        };
        return MainClass(language, entry) is { } mainClass
            ? adapted with { RunCommand = [.. adapted.RunCommand.SkipLast(1), mainClass] }
            : adapted;
    }

    /// <summary>The language of most of a multi-file submission's files (ties by id), or null when none has a language.</summary>
    public static Language? ForSources(IEnumerable<SubmissionFile> files) =>
        files.Select(f => ForFile(f.Name, f.Text)).OfType<Language>()
            .GroupBy(l => l.Id).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).FirstOrDefault()?.First();

    /// <summary>
    /// The class a JVM language's run starts, by its full name (the package the entry point declares, then the class): Java's
    /// public class, Scala's object with main, Kotlin's file class (Different.kt compiles its top-level main into DifferentKt).
    /// </summary>
    private static string? MainClass(Language language, SubmissionFile entry)
    {
        var code = WithoutComments(entry.Text); // a comment may well say "the public class names"
        var name = language.Id switch
        {
            "java" => JavaPublicClass().Match(code) is { Success: true } match ? match.Groups[1].Value
                : JavaMainClass().Match(code) is { Success: true } withMain ? withMain.Groups[1].Value : null,
            "scala" => ScalaObject().Match(code) is { Success: true } match ? match.Groups[1].Value : null,
            "kotlin" => Path.GetFileNameWithoutExtension(entry.Name) is { Length: > 0 } stem ? char.ToUpperInvariant(stem[0]) + stem[1..] + "Kt" : null,
            _ => null,
        };
        return name is null ? null
            : JvmPackage().Match(code) is { Success: true } declared ? $"{declared.Groups[1].Value}.{name}" : name;
    }

    private static string WithoutComments(string code) => Comments().Replace(code, " ");

    [System.Text.RegularExpressions.GeneratedRegex(@"/\*.*?\*/|//[^\n]*", System.Text.RegularExpressions.RegexOptions.Singleline)]
    private static partial System.Text.RegularExpressions.Regex Comments();

    /// <summary>A class declaring a main method: the first class before one.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"\bclass\s+([A-Za-z_$][A-Za-z0-9_$]*)[^{]*\{(?:(?!\bclass\s).)*?static\s+(?:public\s+)?void\s+main\s*\(", System.Text.RegularExpressions.RegexOptions.Singleline)]
    private static partial System.Text.RegularExpressions.Regex JavaMainClass();

    private static SubmissionFile EntryPoint(Language language, List<SubmissionFile> files, string? named)
    {
        if (files.Count == 1)
        {
            return files[0];
        }

        var stem = (SubmissionFile f) => Path.GetFileNameWithoutExtension(f.Name);
        return files.FirstOrDefault(f => f.Name == named)
            ?? files.FirstOrDefault(f => named is not null && string.Equals(stem(f), named, StringComparison.OrdinalIgnoreCase))
            ?? files.FirstOrDefault(f => stem(f) is "main" or "Main")
            ?? files.FirstOrDefault(f => language.Id switch
            {
                "java" => JavaMain().IsMatch(WithoutComments(f.Text)),
                "kotlin" => f.Text.Contains("fun main", StringComparison.Ordinal),
                "scala" => f.Text.Contains("def main", StringComparison.Ordinal),
                "python" or "pypy3" => f.Text.Contains("__main__", StringComparison.Ordinal),
                _ => false,
            })
            ?? files[0];
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^\s*package\s+([A-Za-z_$][A-Za-z0-9_$.]*)\s*;?\s*$", System.Text.RegularExpressions.RegexOptions.Multiline)]
    private static partial System.Text.RegularExpressions.Regex JvmPackage();

    [System.Text.RegularExpressions.GeneratedRegex(@"\bobject\s+([A-Za-z_$][A-Za-z0-9_$]*)")]
    private static partial System.Text.RegularExpressions.Regex ScalaObject();

    [System.Text.RegularExpressions.GeneratedRegex(@"static\s+(?:public\s+)?void\s+main\s*\(")]
    private static partial System.Text.RegularExpressions.Regex JavaMain();

    public static Language? Find(string id) =>
        All.FirstOrDefault(l => string.Equals(l.Id, id, StringComparison.OrdinalIgnoreCase));

    public static Language Get(string id) =>
        Find(id) ?? throw new ArgumentException(
            $"Unknown language '{id}'. Known: {string.Join(", ", All.Select(l => l.Id))}.", nameof(id));

    [System.Text.RegularExpressions.GeneratedRegex(@"public\s+(?:(?:final|abstract|static)\s+)*class\s+([A-Za-z_$][A-Za-z0-9_$]*)")]
    private static partial System.Text.RegularExpressions.Regex JavaPublicClass();

    /// <summary>The compile limits on a host that runs the language <paramref name="speedFactor"/> times slower than the reference.</summary>
    public static ResourceLimits CompileLimitsAt(double speedFactor) => speedFactor <= 1.0 ? CompileLimits : CompileLimits with
    {
        CpuTime = CompileLimits.CpuTime * speedFactor,
        WallTime = CompileLimits.WallTime * speedFactor,
    };

    /// <summary>
    /// Compilers need room: several processes (cc1, as, ld), memory, and time under emulation, where the JVM-based
    /// compilers (kotlinc, scalac) need over 60 s of CPU for a hello world (measured under TCG: 62 s, stopped there).
    /// </summary>
    public static ResourceLimits CompileLimits { get; } = new()
    {
        CpuTime = TimeSpan.FromSeconds(180),
        WallTime = TimeSpan.FromSeconds(300),
        MemoryBytes = SandboxCaps.MemoryBytes,
        MaxProcesses = SandboxCaps.Processes,
        OutputBytes = 64 * 1024,
        KillOnOutputLimit = false,
        FileSizeBytes = 256L * 1024 * 1024,
    };
}
