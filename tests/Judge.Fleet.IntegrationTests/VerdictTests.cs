using System.Text.Json;

namespace Judge.Fleet.IntegrationTests;

/// <summary>Integration tests: each verdict, end to end, as a polling client sees it.</summary>
[Collection(Fleet.Name)]
public sealed class VerdictTests(FleetFixture fleet)
{
    [Fact]
    public async Task A_correct_solution_is_accepted_with_every_test_and_the_timing_breakdown()
    {
        var id = await fleet.SubmitAsync("sum", "python", Problems.SumPython);

        var result = await fleet.WaitForVerdictAsync(id);

        Assert.Equal("Accepted", result.GetProperty("verdict").GetString());
        Assert.Equal(1.0, result.GetProperty("score").GetDouble());
        var tests = result.GetProperty("tests").EnumerateArray().ToList();
        Assert.Equal(3, tests.Count);
        Assert.All(tests, t => Assert.Equal("Accepted", t.GetProperty("verdict").GetString()));
        Assert.Equal(["sample/sample", "secret/negative", "secret/large"], tests.Select(t => t.GetProperty("name").GetString()));
        Assert.Equal(["data/sample", "data/secret", "data/secret"], tests.Select(t => t.GetProperty("group").GetString()));
        var timings = result.GetProperty("timings");
        foreach (var field in new[] { "queueMs", "setupMs", "bootMs", "compileMs", "executeMs", "totalMs" })
        {
            Assert.True(timings.GetProperty(field).GetInt32() >= 0, field);
        }

        Assert.True(timings.GetProperty("executeMs").GetInt32() > 0);
        Assert.True(timings.GetProperty("totalMs").GetInt32() >= timings.GetProperty("executeMs").GetInt32());
        Assert.Contains(timings.GetProperty("warmPoolHit").ValueKind, new[] { JsonValueKind.True, JsonValueKind.False });
        Assert.StartsWith("vm-", result.GetProperty("vmId").GetString(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(result.GetProperty("worker").GetString()));
        Assert.Contains(result.GetProperty("isolation").GetString(), Enum.GetNames<Judge.Sandbox.Vms.Isolation>());
        Assert.Equal(1, result.GetProperty("attempt").GetInt32());
    }

    [Fact]
    public async Task Each_test_starts_from_clean_scratch_space_and_the_program_cannot_rewrite_itself()
    {
        // Right only if no earlier test left its mark, and only while it is the program that was submitted.
        const string source = """
            import os
            a, b = map(int, input().split())
            seen = os.path.exists("/tmp/seen") or os.path.exists("/dev/shm/seen")
            open("/tmp/seen", "w").close()
            open("/dev/shm/seen", "w").close()
            print(0 if seen else a + b)
            try:
                open(__file__, "a").write("print('rewritten')\n")
            except OSError:
                pass
            """;

        var result = await fleet.WaitForVerdictAsync(await fleet.SubmitAsync("sum", "python", source));

        Assert.Equal("Accepted", result.GetProperty("verdict").GetString());
        Assert.Equal(3, result.GetProperty("tests").GetArrayLength());
    }

    [Fact]
    public async Task A_wrong_output_is_a_wrong_answer_at_the_first_failing_test_and_judging_stops_there()
    {
        var id = await fleet.SubmitAsync("sum", "python", "a, b = map(int, input().split())\nprint(a + b if a > 0 else 0)\n");

        var result = await fleet.WaitForVerdictAsync(id);

        Assert.Equal("WrongAnswer", result.GetProperty("verdict").GetString());
        Assert.Equal(2, result.GetProperty("failingTest").GetInt32());
        var tests = result.GetProperty("tests").EnumerateArray().ToList();
        Assert.Equal(2, tests.Count);
        Assert.Equal("Wrong answer on line 1 of output (corresponding to line 1 in answer file)\nString tokens mismatch\nJudge: \"-2\"\nUser: \"0\"",
            tests[1].GetProperty("checkerMessage").GetString());
        Assert.Equal("0\n", tests[1].GetProperty("outputExcerpt").GetString());
        Assert.Equal(0.0, result.GetProperty("score").GetDouble());
    }

    [Fact]
    public async Task A_busy_loop_exceeds_the_time_limit()
    {
        var id = await fleet.SubmitAsync("sum", "c", "int main(void) { for (volatile unsigned long i = 0;; i++); }");

        var result = await fleet.WaitForVerdictAsync(id);

        Assert.Equal("TimeLimitExceeded", result.GetProperty("verdict").GetString());
        var test = result.GetProperty("tests")[0];
        Assert.True(test.GetProperty("cpuMs").GetInt32() >= 1000);
        Assert.Contains("time limit", test.GetProperty("checkerMessage").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_crash_is_a_runtime_error_with_its_signal()
    {
        var id = await fleet.SubmitAsync("sum", "c", "int main(void) { volatile int *p = 0; *p = 1; return 0; }");

        var result = await fleet.WaitForVerdictAsync(id);

        Assert.Equal("RuntimeError", result.GetProperty("verdict").GetString());
        var test = result.GetProperty("tests")[0];
        Assert.Equal(11, test.GetProperty("signal").GetInt32());
        Assert.Equal("killed by signal 11 (SIGSEGV)", test.GetProperty("checkerMessage").GetString());
    }

    [Fact]
    public async Task An_uncaught_exception_is_a_runtime_error_with_its_exit_code()
    {
        var id = await fleet.SubmitAsync("sum", "python", "raise SystemExit(3)");

        var result = await fleet.WaitForVerdictAsync(id);

        Assert.Equal("RuntimeError", result.GetProperty("verdict").GetString());
        Assert.Equal(3, result.GetProperty("tests")[0].GetProperty("exitCode").GetInt32());
    }

    [Fact]
    public async Task Code_that_does_not_compile_is_a_compilation_error_with_the_compiler_output()
    {
        var id = await fleet.SubmitAsync("sum", "c", "int main(void) { return undefined_name; }");

        var result = await fleet.WaitForVerdictAsync(id);

        Assert.Equal("CompilationError", result.GetProperty("verdict").GetString());
        Assert.Contains("undefined_name", result.GetProperty("compileOutput").GetString(), StringComparison.Ordinal);
        Assert.Empty(result.GetProperty("tests").EnumerateArray());
    }

    [Fact]
    public async Task A_memory_hog_exceeds_the_memory_limit_as_seen_by_the_cgroup()
    {
        var id = await fleet.SubmitAsync("sum", "python", "block = b'x' * (512 << 20)\nprint(len(block))");

        var result = await fleet.WaitForVerdictAsync(id);

        Assert.Equal("MemoryLimitExceeded", result.GetProperty("verdict").GetString());
        Assert.True(result.GetProperty("tests")[0].GetProperty("memoryBytes").GetInt64() > 32L << 20);
    }

    [Fact]
    public async Task An_output_flood_exceeds_the_output_limit()
    {
        var id = await fleet.SubmitAsync("sum", "python", "import sys\nwhile True:\n    sys.stdout.write('3' * 1000 + '\\n')");

        var result = await fleet.WaitForVerdictAsync(id);

        Assert.Equal("OutputLimitExceeded", result.GetProperty("verdict").GetString());
    }
}
