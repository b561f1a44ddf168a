using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Judge.Fleet.IntegrationTests;

/// <summary>
/// Integration tests of problem packages through the real API and worker: import errors, custom validators
/// of both interfaces (every exit code), scoring with groups, and time limits derived from accepted submissions.
/// </summary>
[Collection(Fleet.Name)]
public sealed class PackageTests(FleetFixture fleet)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A program that prints the word of the test's input: the validators below decide by that word.</summary>
    private const string Echo = "print(input())\n";

    [Theory]
    [InlineData(null, "problem.yaml", null, "missing")]
    [InlineData("name: X\nkey: value: other\n", "problem.yaml", 2, "not valid YAML")]
    [InlineData("name: X\nvalidation: custom\n", "problem.yaml", 2, "no output_validators/")]
    [InlineData("name: X\nvalidation: magic\n", "problem.yaml", 2, "validation must be 'default' or 'custom'")]
    public async Task A_broken_package_is_refused_naming_the_file_and_line_and_nothing_is_stored(string? yaml, string file, int? line, string reason)
    {
        var files = FleetFixture.Package(yaml, ("data/secret/1.in", "1"), ("data/secret/1.ans", "1"));
        var slug = "broken-" + Guid.NewGuid().ToString("N")[..8];

        using var response = await fleet.ImportPackageAsync(files, slug);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(file, problem.GetProperty("file").GetString());
        Assert.Equal(line, problem.GetProperty("line").ValueKind == JsonValueKind.Null ? null : problem.GetProperty("line").GetInt32());
        Assert.Contains(reason, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        using var lookup = await fleet.Client(fleet.AdminKey).GetAsync(new Uri($"/api/problems/{slug}", UriKind.Relative), Ct);
        Assert.Equal(HttpStatusCode.NotFound, lookup.StatusCode);
    }

    [Fact]
    public async Task A_missing_answer_file_is_refused_naming_the_input()
    {
        using var response = await fleet.ImportPackageAsync(FleetFixture.Package("name: X\n", ("data/secret/7.in", "1")), "missing-ans");

        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("data/secret/7.in", problem.GetProperty("file").GetString());
    }

    [Fact]
    public async Task A_kattis_output_validator_is_obeyed_for_every_exit_code()
    {
        const string validator = """
            import sys, time
            word = sys.stdin.read().split()[0]
            feedback = sys.argv[3]
            if word == "ac":
                sys.exit(42)
            if word == "wa":
                open(feedback.rstrip("/") + "/judgemessage.txt", "w").write("expected something else")
                sys.exit(43)
            if word == "crash":
                raise RuntimeError("validator bug")
            if word == "hang":
                while True:
                    pass
            sys.exit(0)
            """;
        var results = await JudgeWordsAsync("kattis-exits", "name: K\nvalidation: custom\nlimits:\n  validation_time: 2\n",
            [("output_validators/check/check.py", validator)], ["ac", "wa", "crash", "hang", "zero"]);

        Assert.Equal("Accepted", results["ac"].GetProperty("verdict").GetString());
        Assert.Equal("WrongAnswer", results["wa"].GetProperty("verdict").GetString());
        Assert.Equal("expected something else", results["wa"].GetProperty("tests")[0].GetProperty("checkerMessage").GetString());
        Assert.Equal("InternalError", results["crash"].GetProperty("verdict").GetString());
        Assert.Contains("exited with 1", results["crash"].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("InternalError", results["hang"].GetProperty("verdict").GetString());
        Assert.Contains("limit", results["hang"].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("InternalError", results["zero"].GetProperty("verdict").GetString());
        Assert.Contains("exited with 0", results["zero"].GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_testlib_checker_is_obeyed_for_every_exit_code_and_its_points_score()
    {
        // A minimal stand-in for testlib.h with its checker interface: checker input output answer [result].
        const string testlib = """
            #pragma once
            #include <cstdio>
            #include <cstdlib>
            #include <cstdarg>
            enum TResult { _ok = 0, _wa = 1, _pe = 2, _fail = 3, _points = 7 };
            static const char *resultFile = nullptr;
            static char outputWord[64];
            inline void registerTestlibCmd(int argc, char **argv) {
                if (argc > 4) resultFile = argv[4];
                FILE *f = std::fopen(argv[2], "r");
                if (!f || std::fscanf(f, "%63s", outputWord) != 1) outputWord[0] = 0;
            }
            inline void quitf(TResult result, const char *format, ...) {
                if (resultFile) { FILE *f = std::fopen(resultFile, "w"); va_list a; va_start(a, format); std::vfprintf(f, format, a); va_end(a); std::fclose(f); }
                std::exit(result);
            }
            inline void quitp(double points, const char *message) {
                if (resultFile) { FILE *f = std::fopen(resultFile, "w"); std::fprintf(f, "%.2f %s", points, message); std::fclose(f); }
                std::exit(_points);
            }
            """;
        const string checker = """
            #include "testlib.h"
            #include <cstring>
            int main(int argc, char **argv) {
                registerTestlibCmd(argc, argv);
                if (!std::strcmp(outputWord, "ok")) quitf(_ok, "fine");
                if (!std::strcmp(outputWord, "wa")) quitf(_wa, "wrong word");
                if (!std::strcmp(outputWord, "pe")) quitf(_pe, "badly formatted");
                if (!std::strcmp(outputWord, "points")) quitp(0.25, "a quarter");
                if (!std::strcmp(outputWord, "crash")) { volatile int *p = nullptr; *p = 1; }
                quitf(_fail, "the checker itself failed");
            }
            """;
        var results = await JudgeWordsAsync("testlib-exits", "name: T\ntype: scoring\nvalidation: custom score\n",
            [("output_validators/chk/testlib.h", testlib), ("output_validators/chk/check.cpp", checker)], ["ok", "wa", "pe", "points", "fail", "crash"]);

        Assert.Equal(("Accepted", 1.0), Verdict(results["ok"]));
        Assert.Equal("WrongAnswer", results["wa"].GetProperty("verdict").GetString());
        Assert.Equal("wrong word", results["wa"].GetProperty("tests")[0].GetProperty("checkerMessage").GetString());
        Assert.Equal("WrongAnswer", results["pe"].GetProperty("verdict").GetString());
        Assert.StartsWith("presentation error", results["pe"].GetProperty("tests")[0].GetProperty("checkerMessage").GetString(), StringComparison.Ordinal);
        Assert.Equal(("Accepted", 0.25), Verdict(results["points"]));
        Assert.Equal("InternalError", results["fail"].GetProperty("verdict").GetString());
        Assert.Contains("the checker itself failed", results["fail"].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("InternalError", results["crash"].GetProperty("verdict").GetString());
        Assert.Contains("SIGSEGV", results["crash"].GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_scoring_problem_runs_every_group_and_reports_each_groups_score()
    {
        var files = FleetFixture.Package("problem_format_version: 2025-09\nname: Groups\ntype: scoring\nlimits:\n  time_limit: 5\n",
            ("data/sample/1.in", "1"), ("data/sample/1.ans", "1"),
            ("data/secret/easy/test_group.yaml", "max_score: 30\nscore_aggregation: sum\n"), ("data/secret/easy/1.in", "1"), ("data/secret/easy/1.ans", "1"),
            ("data/secret/easy/2.in", "2"), ("data/secret/easy/2.ans", "2"),
            ("data/secret/hard/test_group.yaml", "max_score: 70\nscore_aggregation: min\n"), ("data/secret/hard/1.in", "1000"), ("data/secret/hard/1.ans", "1000"));
        await fleet.CreatePackageAsync(files, "groups");

        var partial = await fleet.WaitForVerdictAsync(await fleet.SubmitAsync("groups", "python", "n = int(input())\nprint(n if n < 100 else 0)\n"));
        var half = await fleet.WaitForVerdictAsync(await fleet.SubmitAsync("groups", "python", "n = int(input())\nprint(n if n != 2 else 0)\n"));

        Assert.Equal(("Accepted", 30.0), Verdict(partial));
        Assert.Equal(100, partial.GetProperty("maxScore").GetDouble());
        var groups = partial.GetProperty("groups").EnumerateArray().ToDictionary(g => g.GetProperty("name").GetString()!, g => g);
        Assert.Equal(30, groups["data/secret/easy"].GetProperty("score").GetDouble());
        Assert.Equal(0, groups["data/secret/hard"].GetProperty("score").GetDouble());
        Assert.Equal(70, groups["data/secret/hard"].GetProperty("maxScore").GetDouble());
        Assert.Equal("WrongAnswer", groups["data/secret/hard"].GetProperty("verdict").GetString());
        Assert.Equal(("Accepted", 85.0), Verdict(half));
    }

    [Fact]
    public async Task A_python_2_solution_in_accepted_is_left_out_of_the_time_limit_with_a_warning_not_a_refusal()
    {
        var files = FleetFixture.Package("name: Old python\n", ("data/secret/1.in", "5"), ("data/secret/1.ans", "5"),
            ("submissions/accepted/echo.py", Echo), ("submissions/accepted/old.py", "#!/usr/bin/env python2\nprint raw_input()\n"));

        using var response = await fleet.ImportPackageAsync(files, "oldpython");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var ready = await WaitReadyAsync("oldpython");

        Assert.Equal("ready", ready.GetProperty("status").GetString());
        Assert.True(ready.GetProperty("timeLimitDerived").GetBoolean());
        Assert.Contains("submissions/accepted/old.py: not judged: its shebang asks for Python 2", ready.GetProperty("statusMessage").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_time_limit_missing_from_the_package_is_derived_from_its_accepted_submissions()
    {
        var files = FleetFixture.Package("name: Derived\n", ("data/secret/1.in", "5"), ("data/secret/1.ans", "5"),
            ("submissions/accepted/echo.py", Echo), ("submissions/accepted/Echo.java",
                "public class Echo { public static void main(String[] a) throws Exception { System.out.println(new java.io.BufferedReader(new java.io.InputStreamReader(System.in)).readLine()); } }"));

        using var response = await fleet.ImportPackageAsync(files, "derived");
        var accepted = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("calibrating", accepted.GetProperty("status").GetString());
        using var early = await fleet.Client(fleet.AliceKey).PostAsJsonAsync("/api/submissions", new { problem = "derived", language = "python", source = Echo }, Ct);
        Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);

        var ready = await WaitReadyAsync("derived");

        Assert.Equal("ready", ready.GetProperty("status").GetString());
        Assert.True(ready.GetProperty("timeLimitDerived").GetBoolean());
        Assert.Equal(0, ready.GetProperty("timeLimitMs").GetInt32() % 1000);
        Assert.Contains("derived from the slowest accepted run", ready.GetProperty("statusMessage").GetString(), StringComparison.Ordinal);
        var judged = await fleet.WaitForVerdictAsync(await fleet.SubmitAsync("derived", "python", Echo));
        Assert.Equal("Accepted", judged.GetProperty("verdict").GetString());
    }

    [Fact]
    public async Task A_package_whose_accepted_submission_fails_is_marked_failed_naming_it()
    {
        var files = FleetFixture.Package("name: Bad\n", ("data/secret/1.in", "5"), ("data/secret/1.ans", "5"), ("submissions/accepted/wrong.py", "print(6)\n"));

        using var response = await fleet.ImportPackageAsync(files, "bad-accepted");
        var problem = await WaitReadyAsync("bad-accepted");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("failed", problem.GetProperty("status").GetString());
        Assert.Contains("submissions/accepted/wrong.py got WrongAnswer", problem.GetProperty("statusMessage").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reimporting_the_same_package_makes_no_new_version_and_a_changed_one_does()
    {
        var files = FleetFixture.Package("name: V\nlimits:\n  memory: 128\n", ("data/secret/1.in", "1"), ("data/secret/1.ans", "1"), (".timelimit", "2"));

        var first = await fleet.CreatePackageAsync(files, "versions");
        using var again = await fleet.ImportPackageAsync(files, "versions");
        var changed = await fleet.CreatePackageAsync(files.Append(("data/secret/2.in", "2")).Append(("data/secret/2.ans", "2")).ToArray(), "versions");

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(first.GetProperty("version").GetInt32(), (await again.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("version").GetInt32());
        Assert.Equal(first.GetProperty("version").GetInt32() + 1, changed.GetProperty("version").GetInt32());
        Assert.Equal(2000, changed.GetProperty("timeLimitMs").GetInt32());
        Assert.Equal(128, changed.GetProperty("memoryLimitMb").GetInt32());
    }

    [Fact]
    public async Task A_java_solution_runs_the_public_class_it_declares()
    {
        const string solution = "import java.util.*;\npublic class Solution { public static void main(String[] a) { Scanner s = new Scanner(System.in); " +
            "long x = s.nextLong(), y = s.nextLong(); System.out.println(x + y); } }";

        var result = await fleet.WaitForVerdictAsync(await fleet.SubmitAsync("sum", "java", solution));

        Assert.Equal("Accepted", result.GetProperty("verdict").GetString());
    }

    [Fact]
    public async Task Verify_passes_a_package_whose_submissions_get_their_folders_verdicts()
    {
        var (ok, report) = await VerifyAsync("verify-good",
            ("submissions/accepted/right.py", "print(int(input()) * 2)\n"),
            ("submissions/wrong_answer/plus.py", "print(int(input()) + 2)\n"),
            ("submissions/run_time_error/raise.c", "int main(void) { return 3; }\n"));

        Assert.True(ok, report);
        Assert.Contains("all 3 submissions got their expected verdict", report, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_fails_naming_the_submission_whose_verdict_differs_from_its_folder()
    {
        var (ok, report) = await VerifyAsync("verify-bad",
            ("submissions/accepted/right.py", "print(int(input()) * 2)\n"),
            ("submissions/time_limit_exceeded/actually_wrong.py", "print(0)\n"));

        Assert.False(ok);
        var row = report.Split('\n').Single(l => l.StartsWith("time_limit_exceeded/actually_wrong.py", StringComparison.Ordinal));
        Assert.Contains("TimeLimitExceeded", row, StringComparison.Ordinal);
        Assert.Contains("WrongAnswer", row, StringComparison.Ordinal);
        Assert.Contains("MISMATCH", row, StringComparison.Ordinal);
        Assert.Contains("1 of 2 submissions did not get their expected verdict", report, StringComparison.Ordinal);
    }

    /// <summary>Runs `judge verify` on a doubling problem with the given submissions.</summary>
    private Task<(bool Ok, string Report)> VerifyAsync(string slug, params (string Path, string Content)[] submissions) =>
        fleet.VerifyPackageAsync(FleetFixture.Package("name: Double\nlimits:\n  time_limit: 2\n", [("data/secret/1.in", "21\n"), ("data/secret/1.ans", "42\n"), .. submissions]), slug);

    /// <summary>Imports a one-test-per-word package and judges, for each word, a program that prints it.</summary>
    private async Task<Dictionary<string, JsonElement>> JudgeWordsAsync(string slug, string yaml, (string, string)[] validator, string[] words)
    {
        var files = FleetFixture.Package(yaml, [("data/secret/1.in", "x"), ("data/secret/1.ans", "x"), (".timelimit", "10"), .. validator]);
        await fleet.CreatePackageAsync(files, slug);
        var ids = new Dictionary<string, Guid>();
        foreach (var word in words)
        {
            ids[word] = await fleet.SubmitAsync(slug, "python", $"print('{word}')\n");
        }

        var results = new Dictionary<string, JsonElement>();
        foreach (var (word, id) in ids)
        {
            results[word] = await fleet.WaitForVerdictAsync(id);
        }

        return results;
    }

    private static (string?, double) Verdict(JsonElement result) =>
        (result.GetProperty("verdict").GetString(), result.GetProperty("score").GetDouble());

    private async Task<JsonElement> WaitReadyAsync(string slug)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromMinutes(5));
        while (true)
        {
            var problem = await fleet.Client(fleet.AdminKey).GetFromJsonAsync<JsonElement>($"/api/problems/{slug}", FleetFixture.Json, deadline.Token);
            var pending = problem.GetProperty("pending");
            var status = pending.ValueKind == JsonValueKind.Null ? problem.GetProperty("status").GetString() : pending.GetProperty("status").GetString();
            if (status != "calibrating")
            {
                // A new problem's only version is shown at the top level, current or not.
                return problem;
            }

            await Task.Delay(300, deadline.Token);
        }
    }
}
