using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Judge.Fleet.IntegrationTests;

/// <summary>
/// Integration tests of multi-file submissions through the real API and worker: `files` in the API (C++ compiled together,
/// Python run from its entry point, by the language's rules or as named), a rejudge keeping every file, bad files refused by field, and `judge verify` on a
/// package whose submissions are directories.
/// </summary>
[Collection(Fleet.Name)]
public sealed class MultiFileTests(FleetFixture fleet)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly object[] CppFiles =
    [
        new { name = "sum.h", content = "long long sum(long long a, long long b);\n" },
        new { name = "sum.cpp", content = "#include \"sum.h\"\nlong long sum(long long a, long long b) { return a + b; }\n" },
        new { name = "main.cpp", content = "#include <cstdio>\n#include \"sum.h\"\nint main() { long long a, b; std::scanf(\"%lld %lld\", &a, &b); std::printf(\"%lld\\n\", sum(a, b)); }\n" },
    ];

    private static readonly object[] PythonFiles =
    [
        new { name = "arithmetic.py", content = "def add(a, b):\n    return a + b\n" },
        new { name = "main.py", content = "from arithmetic import add\na, b = map(int, input().split())\nprint(add(a, b))\n" },
    ];

    [Fact]
    public async Task A_multi_file_cpp_submission_is_compiled_together_and_accepted()
    {
        var result = await fleet.WaitForVerdictAsync(await SubmitFilesAsync("cpp", CppFiles));

        Assert.Equal("Accepted", result.GetProperty("verdict").GetString());
    }

    [Fact]
    public async Task A_multi_file_python_submission_runs_main_py_which_imports_the_other_and_each_file_is_syntax_checked()
    {
        var result = await fleet.WaitForVerdictAsync(await SubmitFilesAsync("python", PythonFiles));
        var named = await fleet.WaitForVerdictAsync(await SubmitFilesAsync("python",
            [new { name = "solve.py", content = "import lib\nprint(lib.add(*map(int, input().split())))\n" }, new { name = "lib.py", content = "def add(a, b):\n    return a + b\n" }],
            entryPoint: "solve.py"));
        var broken = await fleet.WaitForVerdictAsync(await SubmitFilesAsync("python",
            [new { name = "main.py", content = "from arithmetic import add\nprint(add(*map(int, input().split())))\n" }, new { name = "arithmetic.py", content = "def add(a, b):\n    return a +\n" }]));

        Assert.Equal("Accepted", result.GetProperty("verdict").GetString());
        Assert.Equal("Accepted", named.GetProperty("verdict").GetString()); // by its name, though lib.py sorts first
        Assert.Equal("CompilationError", broken.GetProperty("verdict").GetString()); // every file is syntax-checked, as DOMjudge checks them
        Assert.Contains("arithmetic.py", broken.GetProperty("compileOutput").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Files_given_as_bytes_reach_the_sandbox_unchanged_nul_and_all()
    {
        // The NUL inside the string literal ends it for C, so the program prints the sum; the bytes after it must survive.
        var source = "#include <stdio.h>\nint main(void) { const char *s = \"\0ignored\"; long long a, b; scanf(\"%lld %lld\", &a, &b); printf(\"%lld\\n\", a + b); return s[0]; }\n";
        using var response = await fleet.Client(fleet.AliceKey).PostAsJsonAsync("/api/submissions", new
        {
            problem = "sum", language = "c", files = new[] { new { name = "sum.c", contentBase64 = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(source)) } },
        }, Ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        var result = await fleet.WaitForVerdictAsync((await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid());

        Assert.Equal("Accepted", result.GetProperty("verdict").GetString());
    }

    [Fact]
    public async Task A_rejudge_of_a_multi_file_submission_judges_all_its_files_again()
    {
        var original = await SubmitFilesAsync("cpp", CppFiles);
        await fleet.WaitForVerdictAsync(original);

        using var response = await fleet.Client(fleet.AliceKey).PostAsJsonAsync("/api/problems/sum/rejudge", new { submissions = new[] { original } }, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var batch = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var copy = await fleet.WithDbAsync(db => Task.FromResult(db.Submissions.Single(s => s.OriginalSubmissionId == original)));
        var result = await fleet.WaitForVerdictAsync(copy.Id);

        Assert.Equal(3, copy.Files!.Count);
        Assert.Equal("Accepted", result.GetProperty("verdict").GetString());
        Assert.NotEqual(JsonValueKind.Undefined, batch.GetProperty("id").ValueKind);
    }

    [Theory]
    [InlineData("""{"problem":"sum","language":"cpp","source":"x","files":[{"name":"a.cpp","content":"x"}]}""", "files")]
    [InlineData("""{"problem":"sum","language":"cpp","files":[]}""", "files")]
    [InlineData("""{"problem":"sum","language":"cpp","files":[{"name":"../etc/passwd","content":"x"}]}""", "files[0].name")]
    [InlineData("""{"problem":"sum","language":"cpp","files":[{"name":"a.cpp","content":"x"},{"name":"a.cpp","content":"y"}]}""", "files[1].name")]
    [InlineData("""{"problem":"sum","language":"cpp","files":[{"name":"a.cpp"}]}""", "files[0].content")]
    [InlineData("""{"problem":"sum","language":"cpp","files":[null]}""", "files[0]")]
    [InlineData("""{"problem":"sum","language":"cpp","files":[{"name":"a.cpp","content":"x"}],"entryPoint":"b.cpp"}""", "entryPoint")]
    [InlineData("""{"problem":"sum","language":"cpp","source":"x","entryPoint":"a.cpp"}""", "entryPoint")]
    [InlineData("""{"problem":"sum","language":"c","source":"int main(){}\u0000"}""", "source")]
    [InlineData("""{"problem":"sum","language":"c","files":[{"name":"a.c","contentBase64":"***"}]}""", "files[0].contentBase64")]
    [InlineData("""{"problem":"sum","language":"c","files":[{"name":"a.c","content":"x","contentBase64":"eA=="}]}""", "files[0]")]
    public async Task Bad_files_are_refused_naming_the_field(string body, string field)
    {
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");

        using var response = await fleet.Client(fleet.AliceKey).PostAsync(new Uri("/api/submissions", UriKind.Relative), content, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task Verify_judges_submissions_given_as_directories_from_their_entry_points()
    {
        var files = FleetFixture.Package("name: Sum\nlimits:\n  time_limit: 2\n",
            ("data/secret/1.in", "2 40\n"), ("data/secret/1.ans", "42\n"),
            ("submissions/accepted/together/sum.h", "int sum(int a, int b);\n"),
            ("submissions/accepted/together/sum.cpp", "#include \"sum.h\"\nint sum(int a, int b) { return a + b; }\n"),
            ("submissions/accepted/together/together.cpp", "#include <cstdio>\n#include \"sum.h\"\nint main() { int a, b; std::scanf(\"%d %d\", &a, &b); std::printf(\"%d\\n\", sum(a, b)); }\n"),
            ("submissions/accepted/modules/helper.py", "def add(a, b):\n    return a + b\n"),
            ("submissions/accepted/modules/modules.py", "import helper\nprint(helper.add(*map(int, input().split())))\n"),
            ("submissions/wrong_answer/off/helper.py", "def add(a, b):\n    return a + b + 1\n"),
            ("submissions/wrong_answer/off/main.py", "import helper\nprint(helper.add(*map(int, input().split())))\n"));

        var (ok, report) = await fleet.VerifyPackageAsync(files, "multi-" + Guid.NewGuid().ToString("N")[..6]);

        Assert.True(ok, report);
        Assert.Contains("all 3 submissions got their expected verdict", report, StringComparison.Ordinal);
        Assert.DoesNotContain("warning", report, StringComparison.Ordinal);
    }

    private async Task<Guid> SubmitFilesAsync(string language, object[] files, string? entryPoint = null)
    {
        using var response = await fleet.Client(fleet.AliceKey).PostAsJsonAsync("/api/submissions", new { problem = "sum", language, files, entryPoint }, Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync(Ct));
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
    }
}
