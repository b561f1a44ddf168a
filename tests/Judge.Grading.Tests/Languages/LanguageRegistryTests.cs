using Judge.Grading.Languages;
using Judge.Grading.Runs;

namespace Judge.Grading.Tests.Languages;

/// <summary>Unit tests: run commands under limits, and which language a file is in.</summary>
public sealed class LanguageRegistryTests
{
    [Fact]
    public void Java_is_told_the_memory_limit_so_its_heap_fits_inside_it()
    {
        var command = LanguageRegistry.Java.RunCommandFor(new ResourceLimits { MemoryBytes = 256L * 1024 * 1024 });

        Assert.Contains("-XX:MaxRAM=268435456", command);
        Assert.Contains("-XX:MaxRAMPercentage=75", command);
    }

    [Fact]
    public void Without_a_memory_limit_the_argument_that_would_carry_it_is_left_out()
    {
        var command = LanguageRegistry.Java.RunCommandFor(new ResourceLimits());

        Assert.DoesNotContain(command, a => a.Contains("MaxRAM=", StringComparison.Ordinal) || a.Contains('{', StringComparison.Ordinal));
        Assert.Equal("Main", command[^1]);
    }

    [Fact]
    public void Commands_without_the_placeholder_are_unchanged()
    {
        Assert.Equal(LanguageRegistry.Python.RunCommand, LanguageRegistry.Python.RunCommandFor(new ResourceLimits { MemoryBytes = 1 << 20 }));
    }

    [Theory]
    [InlineData("accepted/sol.py", "print(1)\n", "python")]
    [InlineData("accepted/sol.py", "#!/usr/bin/env python3\nprint(1)\n", "python")]
    [InlineData("accepted/sol.py", "#!/usr/bin/env python2\nprint 1\n", null)]
    [InlineData("accepted/sol.py", "#! /usr/bin/python2.7\nprint 1\n", null)]
    [InlineData("accepted/sol.pl", "main :- write(1), nl.\n", "prolog")]
    [InlineData("accepted/sol.pl", "#!/usr/bin/perl\nprint 1;\n", "perl")]
    [InlineData("accepted/Sol.KT", "fun main() {}\n", "kotlin")]
    [InlineData("accepted/sol.R", "cat(1)\n", "r")]
    [InlineData("accepted/sol.txt", "hello\n", null)]
    public void A_file_is_in_the_language_of_its_extension_and_its_shebang_as_problemtools_decides(string path, string content, string? language)
    {
        Assert.Equal(language, LanguageRegistry.ForFile(path, content)?.Id);
    }

    [Fact]
    public void Languages_not_calibrated_themselves_borrow_a_calibrated_languages_speed()
    {
        var calibrated = LanguageRegistry.All.Where(l => l.CalibratedAs is null).Select(l => l.Id).ToHashSet();

        Assert.All(LanguageRegistry.All.Where(l => l.CalibratedAs is not null), l => Assert.Contains(l.CalibratedAs!, calibrated));
        Assert.Equal(["c", "cpp", "java", "javascript", "python", "shell"], calibrated.Order());
    }

    [Fact]
    public void Language_ids_and_extensions_are_unique_and_every_language_has_a_hello_world()
    {
        Assert.Equal(LanguageRegistry.All.Count, LanguageRegistry.All.Select(l => l.Id).Distinct().Count());
        Assert.All(LanguageRegistry.All, l => Assert.Contains("Hello, World!", l.HelloWorld, StringComparison.Ordinal));
        Assert.True(LanguageRegistry.All.Count >= 20);
    }

    [Fact]
    public void Compile_limits_are_times_on_the_reference_host_and_grow_on_a_slower_one()
    {
        var slow = LanguageRegistry.CompileLimitsAt(4.0);

        Assert.Equal(LanguageRegistry.CompileLimits.CpuTime * 4, slow.CpuTime);
        Assert.Equal(LanguageRegistry.CompileLimits.WallTime * 4, slow.WallTime);
        Assert.Equal(LanguageRegistry.CompileLimits.MemoryBytes, slow.MemoryBytes);
        Assert.Equal(LanguageRegistry.CompileLimits, LanguageRegistry.CompileLimitsAt(0.5)); // a faster host keeps them
    }

    [Fact]
    public void A_multi_file_cpp_submission_compiles_every_source_and_runs_the_one_binary()
    {
        var cpp = LanguageRegistry.ForFiles(LanguageRegistry.Cpp,
            [SubmissionFile.Of("solve.cpp", "int solve();"), SubmissionFile.Of("main.cpp", "int main() {}"), SubmissionFile.Of("solve.h", "int solve();")]);

        Assert.Equal(["/box/main.cpp", "/box/solve.cpp"], cpp.CompileCommand!.Where(a => a.StartsWith("/box/", StringComparison.Ordinal) && a != "/box/main"));
        Assert.Equal(["/box/main"], cpp.RunCommand);
    }

    [Theory]
    [InlineData("guess", "guess.py")]
    [InlineData(null, "main.py")]
    public void A_multi_file_python_submission_runs_the_file_named_like_its_directory_else_main(string? directory, string entry)
    {
        var python = LanguageRegistry.ForFiles(LanguageRegistry.Python,
            [SubmissionFile.Of("util.py", "X = 1"), SubmissionFile.Of("main.py", "import util"), SubmissionFile.Of("guess.py", "import util")], directory);

        Assert.Equal($"/box/{entry}", python.RunCommand[^1]);
        Assert.Equal(entry, python.SourceFileName);
    }

    [Fact]
    public void A_java_submission_runs_the_class_with_main_by_its_package_name()
    {
        var java = LanguageRegistry.ForFiles(LanguageRegistry.Java,
            [SubmissionFile.Of("Helper.java", "package se.kth; class Helper {}"),
                SubmissionFile.Of("Solver.java", "package se.kth;\npublic class Solver { public static void main(String[] a) {} }")]);
        var single = LanguageRegistry.ForSource(LanguageRegistry.Java, "package foo;\npublic class Hello { public static void main(String[] a) {} }");

        Assert.Equal("se.kth.Solver", java.RunCommand[^1]);
        Assert.Contains("/box/Helper.java", java.CompileCommand!);
        Assert.Equal("foo.Hello", single.RunCommand[^1]);
        Assert.Equal("Hello.java", single.SourceFileName);
    }

    [Fact]
    public void Scala_runs_its_object_with_main_and_kotlin_its_file_class_and_prolog_consults_every_file()
    {
        var scala = LanguageRegistry.ForSource(LanguageRegistry.Scala, "object Different {\n  def main(args: Array[String]) {}\n}\n");
        var kotlin = LanguageRegistry.ForFiles(LanguageRegistry.Kotlin, [SubmissionFile.Of("different.kt", "package x\nfun main() {}"), SubmissionFile.Of("util.kt", "fun f() = 1")]);
        var prolog = LanguageRegistry.ForFiles(LanguageRegistry.Prolog, [SubmissionFile.Of("different.pl", "[kattio]."), SubmissionFile.Of("kattio.pl", "read_int(X).")]);

        Assert.Equal("Different", scala.RunCommand[^1]);
        Assert.Equal("x.DifferentKt", kotlin.RunCommand[^1]);
        Assert.Equal(["/box/different.pl", "/box/kattio.pl"], prolog.CompileCommand!.TakeLast(2));
    }

    [Theory]
    [InlineData("main :- write('Hello'), nl.\n", "prolog")]
    [InlineData("print \"Hello world!\\n\";\n", "perl")]
    [InlineData("my $x = <STDIN>;\n", "perl")]
    [InlineData("#!/usr/bin/perl\nprint 1;\n", "perl")]
    public void A_pl_file_is_prolog_with_a_clause_and_perl_when_it_reads_like_perl(string content, string language)
    {
        Assert.Equal(language, LanguageRegistry.ForFile("test-hello.pl", content)!.Id);
    }

    [Fact]
    public void Java_main_class_ignores_comments_and_takes_a_non_public_class_with_main_in_its_package()
    {
        var commented = LanguageRegistry.ForSource(LanguageRegistry.Java, "/* the public class names */\npublic class hello { public static void main(String[] a) {} }");
        var packaged = LanguageRegistry.ForSource(LanguageRegistry.Java, "package bin;\nclass Helper {}\nclass Main {\n  public static void main(String[] a) {}\n}");

        Assert.Equal("hello", commented.RunCommand[^1]);
        Assert.Equal("hello.java", commented.SourceFileName);
        Assert.Equal("bin.Main", packaged.RunCommand[^1]);
    }
}
