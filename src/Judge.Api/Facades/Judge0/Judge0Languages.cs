using Judge.Grading.Languages;

namespace Judge.Api.Facades.Judge0;

/// <summary>
/// A language under its Judge0 CE id: the Judge language that runs it, the name Judge0 gives it (with this fleet's version in
/// place of Judge0's), its source file's name there, and whether Judge0 checks it before running (only the compiled ones and
/// Lua: there, a Python syntax error is a runtime error). Aliases are older Judge0 ids of the same language, accepted, not listed.
/// </summary>
public sealed record Judge0Language(int Id, string Name, Language Language, string SourceFile, bool SyntaxCheck = false, int[]? Aliases = null)
{
    public bool Compiled => Language.CompileCommand is not null && (!Language.CompileOnlyChecks || SyntaxCheck);

    /// <summary>The name with this fleet's version of the compiler or runtime, as Judge0 names its languages ("C (GCC 12.2.0)").</summary>
    public string DisplayName(string? version) =>
        version is null ? Name : Name.EndsWith(')') ? $"{Name[..^1]} {version})" : $"{Name} ({version})";
}

public static class Judge0Languages
{
    /// <summary>Judge0 CE 1.13's active languages that this fleet has, by their ids there (db/languages/active.rb).</summary>
    public static IReadOnlyList<Judge0Language> All { get; } =
    [
        new(46, "Bash", LanguageRegistry.Shell, "script.sh"),
        new(50, "C (GCC)", LanguageRegistry.C, "main.c", Aliases: [48, 49]),
        new(51, "C# (Mono)", LanguageRegistry.CSharp, "Main.cs"),
        new(54, "C++ (GCC)", LanguageRegistry.Cpp, "main.cpp", Aliases: [52, 53]),
        new(55, "Common Lisp (SBCL)", LanguageRegistry.Lisp, "script.lisp"),
        new(59, "Fortran (GFortran)", LanguageRegistry.Fortran, "main.f90"),
        new(60, "Go", LanguageRegistry.Go, "main.go"),
        new(61, "Haskell (GHC)", LanguageRegistry.Haskell, "main.hs"),
        new(62, "Java (OpenJDK)", LanguageRegistry.Java, "Main.java"),
        new(63, "JavaScript (Node.js)", LanguageRegistry.JavaScript, "script.js"),
        new(64, "Lua", LanguageRegistry.Lua, "script.lua", SyntaxCheck: true),
        new(65, "OCaml", LanguageRegistry.OCaml, "main.ml"),
        new(67, "Pascal (FPC)", LanguageRegistry.Pascal, "main.pas"),
        new(68, "PHP", LanguageRegistry.Php, "script.php"),
        new(69, "Prolog (SWI-Prolog)", LanguageRegistry.Prolog, "main.pl"),
        new(71, "Python", LanguageRegistry.Python, "script.py"),
        new(72, "Ruby", LanguageRegistry.Ruby, "script.rb"),
        new(73, "Rust", LanguageRegistry.Rust, "main.rs"),
        new(78, "Kotlin", LanguageRegistry.Kotlin, "Main.kt"),
        new(80, "R", LanguageRegistry.R, "script.r"),
        new(81, "Scala", LanguageRegistry.Scala, "Main.scala"),
        new(85, "Perl", LanguageRegistry.Perl, "script.pl"),
    ];

    public static Judge0Language? Find(int id) => All.FirstOrDefault(l => l.Id == id || l.Aliases?.Contains(id) == true);
}

/// <summary>Judge0's statuses, by their ids (app/enumerations/status.rb).</summary>
public enum Judge0Status
{
    InQueue = 1,
    Processing = 2,
    Accepted = 3,
    WrongAnswer = 4,
    TimeLimitExceeded = 5,
    CompilationError = 6,
    RuntimeErrorSigsegv = 7,
    RuntimeErrorSigxfsz = 8,
    RuntimeErrorSigfpe = 9,
    RuntimeErrorSigabrt = 10,
    RuntimeErrorNzec = 11,
    RuntimeErrorOther = 12,
    InternalError = 13,
    ExecFormatError = 14,
}

public static class Judge0Statuses
{
    public static string Description(Judge0Status status) => status switch
    {
        Judge0Status.InQueue => "In Queue",
        Judge0Status.Processing => "Processing",
        Judge0Status.Accepted => "Accepted",
        Judge0Status.WrongAnswer => "Wrong Answer",
        Judge0Status.TimeLimitExceeded => "Time Limit Exceeded",
        Judge0Status.CompilationError => "Compilation Error",
        Judge0Status.RuntimeErrorSigsegv => "Runtime Error (SIGSEGV)",
        Judge0Status.RuntimeErrorSigxfsz => "Runtime Error (SIGXFSZ)",
        Judge0Status.RuntimeErrorSigfpe => "Runtime Error (SIGFPE)",
        Judge0Status.RuntimeErrorSigabrt => "Runtime Error (SIGABRT)",
        Judge0Status.RuntimeErrorNzec => "Runtime Error (NZEC)",
        Judge0Status.RuntimeErrorOther => "Runtime Error (Other)",
        Judge0Status.InternalError => "Internal Error",
        _ => "Exec Format Error",
    };
}
