using System.Net.Http.Json;
using System.Text.Json;
using Judge.Grading.Languages;
using Judge.Sandbox.Vms;

namespace Judge.Fleet.IntegrationTests;

/// <summary>
/// Integration tests: every language of the registry, through the fleet (API, broker, a worker of each isolation this
/// host has), says hello and adds two 64-bit numbers (the sum problem's tests include 2·10⁹ + 2·10⁹ and a negative).
/// </summary>
[Collection(Fleet.Name)]
public sealed class LanguageTests(FleetFixture fleet)
{
    /// <summary>The A+B program of each language, in Languages/ (Perl's as .pm: .pl is Prolog's, as in problemtools).</summary>
    private static readonly Dictionary<string, string> SumFiles = new()
    {
        ["c"] = "sum.c", ["cpp"] = "sum.cpp", ["python"] = "sum.py", ["pypy3"] = "sum.py", ["java"] = "sum.java", ["kotlin"] = "sum.kt",
        ["scala"] = "sum.scala", ["csharp"] = "sum.cs", ["go"] = "sum.go", ["rust"] = "sum.rs", ["haskell"] = "sum.hs", ["ocaml"] = "sum.ml",
        ["pascal"] = "sum.pas", ["javascript"] = "sum.js", ["php"] = "sum.php", ["ruby"] = "sum.rb", ["perl"] = "sum.pm", ["lua"] = "sum.lua",
        ["lisp"] = "sum.lisp", ["prolog"] = "sum.pl", ["fortran"] = "sum.f90", ["ada"] = "sum.adb", ["r"] = "sum.R", ["shell"] = "sum.sh",
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Every_language_of_the_registry_has_an_a_plus_b_program_here()
    {
        Assert.Equal(LanguageRegistry.All.Select(l => l.Id).Order(), SumFiles.Keys.Order());
        Assert.True(LanguageRegistry.All.Count >= 20, $"{LanguageRegistry.All.Count} languages");
    }

    [Fact]
    public async Task The_languages_endpoint_lists_every_language_with_the_version_the_image_has()
    {
        var languages = await fleet.Client(fleet.AliceKey).GetFromJsonAsync<JsonElement>("/api/languages", FleetFixture.Json, Ct);
        var versions = languages.EnumerateArray().ToDictionary(l => l.GetProperty("id").GetString()!, l => l.GetProperty("version").GetString());

        Assert.Equal(LanguageRegistry.All.Select(l => l.Id).Order(), versions.Keys.Order());
        Assert.All(versions, v => Assert.False(string.IsNullOrWhiteSpace(v.Value) || v.Value == "unknown", $"{v.Key} has no version"));
    }

    [Theory]
    [InlineData(Isolation.Namespace)]
    [InlineData(Isolation.Kvm)]
    [InlineData(Isolation.Tcg)]
    public async Task Every_language_says_hello_and_adds_two_numbers_under_each_isolation(Isolation isolation)
    {
        await fleet.WithWorkerIsolatingAsync(isolation, async () =>
        {
            var submitted = new List<(string Language, string Problem, Guid Id)>();
            foreach (var language in LanguageRegistry.All)
            {
                submitted.Add((language.Id, "hello", await fleet.SubmitAsync("hello", language.Id, language.HelloWorld)));
                var sum = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Languages", SumFiles[language.Id]), Ct);
                submitted.Add((language.Id, "sum", await fleet.SubmitAsync("sum", language.Id, sum)));
            }

            var results = await Task.WhenAll(submitted.Select(s => WaitLongAsync(s.Id)));
            var wrong = submitted.Zip(results)
                .Where(r => r.Second.GetProperty("verdict").GetString() != "Accepted" || r.Second.GetProperty("isolation").GetString() != isolation.ToString())
                .Select(r => $"{r.First.Language} {r.First.Problem}: {r.Second.GetProperty("verdict").GetString()} under {r.Second.GetProperty("isolation").GetString()} " +
                    $"{r.Second.GetProperty("compileOutput")} {r.Second.GetProperty("error")} {Failing(r.Second)}")
                .ToList();
            Assert.True(wrong.Count == 0, string.Join("\n", wrong));
        });
    }

    /// <summary>An interpreted language's syntax error is a CompilationError with the interpreter's message, as DOMjudge and Jobe report it.</summary>
    [Theory]
    [InlineData("python", "print('unclosed'\n", "SyntaxError")]
    [InlineData("pypy3", "def f(:\n    pass\n", "SyntaxError")]
    [InlineData("javascript", "console.log('unclosed';\n", "SyntaxError")]
    [InlineData("php", "<?php\necho 'a' 'b';\n", "syntax error")]
    [InlineData("ruby", "def f(\n", "syntax error")]
    [InlineData("perl", "print 'a' 'b';\n", "syntax error")]
    [InlineData("lua", "print('a' 'b')\n", "near")]
    [InlineData("shell", "if then fi\n", "syntax error")]
    [InlineData("r", "cat('a' 'b')\n", "unexpected")]
    public async Task A_syntax_error_in_an_interpreted_language_is_a_compilation_error_with_its_message(string language, string source, string message)
    {
        var result = await fleet.WaitForVerdictAsync(await fleet.SubmitAsync("hello", language, source));

        Assert.Equal("CompilationError", result.GetProperty("verdict").GetString());
        Assert.Contains(message, result.GetProperty("compileOutput").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, result.GetProperty("tests").GetArrayLength());
    }

    private static string Failing(JsonElement result) =>
        string.Join("; ", result.GetProperty("tests").EnumerateArray().Where(t => t.GetProperty("verdict").GetString() != "Accepted")
            .Select(t => $"{t.GetProperty("name").GetString()}: {t.GetProperty("verdict").GetString()} {t.GetProperty("checkerMessage")} {t.GetProperty("outputExcerpt")}"));

    /// <summary>Compilers under TCG are slow, and 48 submissions share a worker's slots: more patience than one verdict needs.</summary>
    private async Task<JsonElement> WaitLongAsync(Guid id)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromMinutes(30));
        var client = fleet.Client(fleet.AliceKey);
        while (true)
        {
            var submission = await client.GetFromJsonAsync<JsonElement>($"/api/submissions/{id}?wait=25", FleetFixture.Json, deadline.Token);
            if (submission.GetProperty("status").GetString() == "Done")
            {
                return submission;
            }
        }
    }
}
