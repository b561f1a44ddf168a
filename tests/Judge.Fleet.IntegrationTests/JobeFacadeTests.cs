using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;

namespace Judge.Fleet.IntegrationTests;

/// <summary>
/// Integration tests of the Jobe facade as a CodeRunner client uses it, against the real fleet: each outcome produced by a
/// real program in the sandbox, Jobe's parameters and defaults, files PUT once and named by later runs, Jobe's refusals with
/// its messages, and overload answered only when the queue is beyond its bound.
/// </summary>
[Collection(Fleet.Name)]
public sealed class JobeFacadeTests(FleetFixture fleet)
{
    private const string Runs = "/jobe/index.php/restapi/runs/";

    /// <summary>Long enough for the facades' overload reading to be taken again.</summary>
    private static readonly TimeSpan OverloadRefresh = Judge.Api.Runs.RunOverload.RefreshEvery + TimeSpan.FromMilliseconds(100);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_c_hello_world_succeeds_with_its_output_and_the_run_is_recorded_as_a_run_of_no_key_from_loopback()
    {
        var result = await RunAsync(new { language_id = "c", sourcecode = "#include <stdio.h>\nint main() { printf(\"Hello world\\nIsn't this fun!\\n\"); }\n", sourcefilename = "prog.c" });

        Assert.Equal(15, result.GetProperty("outcome").GetInt32());
        Assert.Equal("Hello world\nIsn't this fun!\n", result.GetProperty("stdout").GetString());
        Assert.Equal("", result.GetProperty("cmpinfo").GetString());
        var id = Guid.Parse(result.GetProperty("run_id").GetString()!);
        Assert.Null(await fleet.WithDbAsync(db => db.Runs.Where(r => r.Id == id).Select(r => r.ApiKeyId).SingleAsync(Ct)));
    }

    [Fact]
    public async Task Jobes_default_compile_options_make_a_warning_an_error_and_compileargs_replace_them()
    {
        // Unused variable: a warning, which Jobe's -Wall -Werror makes a compilation error; without them it compiles.
        const string warns = "#include <stdio.h>\nint main() { int unused; puts(\"ran\"); return 0; }\n";

        var strict = await RunAsync(new { language_id = "c", sourcecode = warns });
        var relaxed = await RunAsync(new { language_id = "c", sourcecode = warns, parameters = new { compileargs = new List<string> { "-std=c99" } } });

        Assert.Equal(11, strict.GetProperty("outcome").GetInt32());
        Assert.Contains("unused", strict.GetProperty("cmpinfo").GetString(), StringComparison.Ordinal);
        Assert.Equal(15, relaxed.GetProperty("outcome").GetInt32());
        Assert.Equal("ran\n", relaxed.GetProperty("stdout").GetString());
    }

    [Fact]
    public async Task A_python_syntax_error_is_a_compile_error_but_a_node_one_is_a_runtime_error_as_on_jobe()
    {
        var python = await RunAsync(new { language_id = "python3", sourcecode = "print(\"Hello world!\"\n", sourcefilename = "test.py" });
        var node = await RunAsync(new { language_id = "nodejs", sourcecode = "s = 'Hello world!\nconsole.log(s)\n", parameters = new { memorylimit = 1000000 } });

        Assert.Equal(11, python.GetProperty("outcome").GetInt32());
        Assert.Equal(12, node.GetProperty("outcome").GetInt32());
        Assert.Contains("SyntaxError", node.GetProperty("stderr").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Runtime_errors_time_limits_and_memory_limits_get_jobes_codes()
    {
        var crash = await RunAsync(new { language_id = "python3", sourcecode = "data = [1, 2]\nprint(data[2])\n" });
        var segfault = await RunAsync(new { language_id = "c", sourcecode = "#include <stdio.h>\nint main() { char *s = NULL; printf(\"%c\", *s); }\n" });
        var spin = await RunAsync(new { language_id = "c", sourcecode = "int main() { while (1) {} }\n", parameters = new { cputime = 1 } });
        var flood = await RunAsync(new { language_id = "c", sourcecode = "#include <stdio.h>\nint main() { while (1) printf(\"Hello\"); }\n", parameters = new { cputime = 1 } });
        var hoard = await RunAsync(new
        {
            language_id = "java",
            sourcecode = "public class Hoard { public static void main(String[] a) { long[][] k = new long[1000][]; for (int i = 0; i < k.length; i++) k[i] = new long[10_000_000]; } }\n",
        });

        Assert.Equal(12, crash.GetProperty("outcome").GetInt32());
        Assert.Contains("IndexError", crash.GetProperty("stderr").GetString(), StringComparison.Ordinal);
        Assert.Equal(12, segfault.GetProperty("outcome").GetInt32());
        Assert.Equal(13, spin.GetProperty("outcome").GetInt32());
        // Jobe cuts a flood at its stream size and lets the program run on into its time limit.
        Assert.Equal(13, flood.GetProperty("outcome").GetInt32());
        Assert.StartsWith("HelloHello", flood.GetProperty("stdout").GetString(), StringComparison.Ordinal);
        Assert.Equal(17, hoard.GetProperty("outcome").GetInt32());
    }

    [Fact]
    public async Task The_memory_limit_makes_a_large_malloc_fail_rather_than_kill_and_a_nonzero_exit_without_stderr_is_success()
    {
        var malloc = await RunAsync(new
        {
            language_id = "c",
            sourcecode = "#include <stdio.h>\n#include <stdlib.h>\nint main() { char *p = malloc(2000000000); puts(p == NULL ? \"Memory limit worked\" : \"malloc worked\"); return 3; }\n",
        });

        Assert.Equal(15, malloc.GetProperty("outcome").GetInt32());
        Assert.Equal("Memory limit worked\n", malloc.GetProperty("stdout").GetString());
    }

    [Fact]
    public async Task Stdin_runargs_interpreterargs_and_the_working_directory_are_the_programs()
    {
        var echo = await RunAsync(new { language_id = "python3", sourcecode = "print(input())\nprint(input())\n", input = "Line1\nLine2\n" });
        var arguments = await RunAsync(new
        {
            language_id = "python3", sourcecode = "import sys\nfor arg in sys.argv[1:]:\n    print(arg)\n", parameters = new { runargs = new List<string> { "Arg1", "'two words'" } },
        });
        var interpreter = await RunAsync(new { language_id = "python3", sourcecode = "\n", parameters = new { interpreterargs = new List<string> { "-c \"print(\\\"Blah\\\")\"" } } });
        var files = await RunAsync(new
        {
            language_id = "python3",
            sourcecode = "with open('out.txt', 'w') as f:\n    f.write('One fish\\n')\nprint(open('out.txt').read(), end='')\n",
        });

        Assert.Equal("Line1\nLine2\n", echo.GetProperty("stdout").GetString());
        Assert.Equal("Arg1\ntwo words\n", arguments.GetProperty("stdout").GetString());
        Assert.Equal("Blah\n", interpreter.GetProperty("stdout").GetString());
        Assert.Equal("One fish\n", files.GetProperty("stdout").GetString());
    }

    [Fact]
    public async Task A_file_put_once_is_there_for_later_runs_and_a_missing_one_is_404()
    {
        const string id = "a1b2c3d4e5f60718";
        using var client = Client();
        using var head = new HttpRequestMessage(HttpMethod.Head, $"/jobe/index.php/restapi/files/{id}");
        Assert.Equal(HttpStatusCode.NotFound, (await client.SendAsync(head, Ct)).StatusCode);

        using var put = await client.PutAsJsonAsync($"/jobe/index.php/restapi/files/{id}",
            new { file_contents = Convert.ToBase64String(Encoding.UTF8.GetBytes("The first file\nLine 2")) }, Ct);
        Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        using var again = new HttpRequestMessage(HttpMethod.Head, $"/restapi/files/{id}");
        Assert.Equal(HttpStatusCode.NoContent, (await client.SendAsync(again, Ct)).StatusCode);

        foreach (var name in new[] { "file1", "data.txt" })
        {
            var read = await RunAsync(new { language_id = "python3", sourcecode = $"print(open('{name}').read())\n", file_list = new List<string[]> { new[] { id, name } } });
            Assert.Equal("The first file\nLine 2\n", read.GetProperty("stdout").GetString());
        }

        var (status, message) = await RefusedAsync(new { language_id = "python3", sourcecode = "print(1)\n", file_list = new List<List<string>> { new() { "nosuchfileid", "file1" } } });
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("One or more of the specified files is missing/unavailable", message);
    }

    [Fact]
    public async Task A_java_support_class_from_the_file_list_is_compiled_with_the_program_named_by_its_public_class()
    {
        const string id = "5ca1ab1e5ca1ab1e";
        using var client = Client();
        const string thing = "public class Thing {\n    private String message;\n    public Thing(String message) { this.message = message; }\n    public void printme() { System.out.println(message); }\n}\n";
        using var put = await client.PutAsJsonAsync($"/jobe/index.php/restapi/files/{id}", new { file_contents = Convert.ToBase64String(Encoding.UTF8.GetBytes(thing)) }, Ct);
        Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);

        var result = await RunAsync(new
        {
            language_id = "java",
            sourcecode = "public class Blah {\n    public static void main(String[] args) {\n        new Thing(\"Farewell cruel world\").printme();\n    }\n}\n",
            file_list = new List<string[]> { new[] { id, "Thing.java" } },
            parameters = new { cputime = 10 },
        });

        Assert.Equal(15, result.GetProperty("outcome").GetInt32());
        Assert.Equal("Farewell cruel world\n", result.GetProperty("stdout").GetString());
    }

    [Fact]
    public async Task Output_that_is_not_utf8_comes_back_escaped_as_jobe_escapes_it()
    {
        var result = await RunAsync(new { language_id = "c", sourcecode = "#include <stdio.h>\nint main() { printf(\"Hello world\\n\\01\\006\\300\\311\\n\"); }\n" });

        Assert.Equal("Hello world\n\\x01\\x06\\xc0\\xc9\n", result.GetProperty("stdout").GetString());
    }

    [Theory]
    [InlineData("""{"run_spec": {"sourcecode": "print(1)"}}""", "run_spec is missing the required attribute 'language_id'")]
    [InlineData("""{"run_spec": {"language_id": "python3"}}""", "run_spec is missing the required attribute 'sourcecode'")]
    [InlineData("""{"run_spec": {"language_id": "nosuchlanguage", "sourcecode": "x"}}""", "Language 'nosuchlanguage' is not known")]
    [InlineData("""{"run_spec": {"language_id": "c", "sourcecode": "x", "parameters": {"cputime": 151}}}""", "cputime exceeds maximum allowed on this Jobe server (120 secs)")]
    [InlineData("""{"run_spec": {"language_id": "c", "sourcecode": "x", "sourcefilename": "../etc/passwd"}}""", "The sourcefilename for the run_spec is illegal")]
    [InlineData("""{"run_spec": {"language_id": "c", "sourcecode": "x", "file_list": [["short", "f"]]}}""", "Invalid file specifier: [\"short\",\"f\"]")]
    [InlineData("""{"no_run_spec": 1}""", "No run_spec attribute found in post data")]
    [InlineData("""not json""", "Non-JSON post data received")]
    public async Task A_bad_run_spec_is_a_400_with_jobes_message(string body, string message)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await Client().PostAsync(Runs, content, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(message, JsonSerializer.Deserialize<string>(await response.Content.ReadAsStringAsync(Ct)));
    }

    [Fact]
    public async Task The_languages_are_listed_as_jobe_lists_them_with_versions()
    {
        var languages = await Client().GetFromJsonAsync<string[][]>("/jobe/index.php/restapi/languages", Ct);

        foreach (var jobe in new[] { "c", "cpp", "python3", "java", "nodejs", "php", "pascal" })
        {
            var entry = Assert.Single(languages!, l => l[0] == jobe);
            Assert.Matches(@"^\d+(\.\d+)+$", entry[1]);
        }
    }

    [Fact]
    public async Task A_run_with_a_judge_key_belongs_to_that_key()
    {
        using var client = Client();
        client.DefaultRequestHeaders.Add("X-API-KEY", fleet.AliceKey);
        using var response = await client.PostAsJsonAsync(Runs, new { run_spec = new { language_id = "python3", sourcecode = "print('hi')\n" } }, Ct);
        var result = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);

        var id = Guid.Parse(result.GetProperty("run_id").GetString()!);
        var owner = await fleet.WithDbAsync(db => db.Runs.Where(r => r.Id == id).Select(r => r.ApiKeyId).SingleAsync(Ct));
        var alice = await fleet.WithDbAsync(db => db.ApiKeys.Where(k => k.Name == "alice").Select(k => k.Id).SingleAsync(Ct));
        Assert.Equal(alice, owner);
    }

    /// <summary>
    /// The queue's bound is per live worker (the fixture's: <see cref="Fleet.MaxQueuedRunsPerWorker"/> each). With the worker
    /// stopped its heartbeat still counts it live, so runs queue up to the bound: the last one below it is taken, the one at it is
    /// refused as Jobe refuses (outcome 21, and Judge0's 503), and once a worker takes them the facade takes runs again.
    /// </summary>
    [Fact]
    public async Task Overload_is_answered_only_once_the_queue_is_beyond_its_bound_and_ends_when_workers_catch_up()
    {
        await fleet.StopWorkerAsync();
        try
        {
            var live = await fleet.WithDbAsync(db => db.WorkerHeartbeats.CountAsync(w => w.LastSeenAt > DateTime.UtcNow - Judge.Api.Workers.WorkersApi.LiveWindow, Ct));
            var judge0 = Client();
            for (var i = 0; i < Fleet.MaxQueuedRunsPerWorker * live; i++)
            {
                await Task.Delay(OverloadRefresh, Ct);
                using var created = await judge0.PostAsJsonAsync("/judge0/submissions", new { language_id = 71, source_code = "print(1)" }, Ct);
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            }

            await Task.Delay(OverloadRefresh, Ct);
            var refused = await RunAsync(new { language_id = "python3", sourcecode = "print(1)\n" });
            using var full = await judge0.PostAsJsonAsync("/judge0/submissions", new { language_id = 71, source_code = "print(1)" }, Ct);

            Assert.Equal(21, refused.GetProperty("outcome").GetInt32());
            Assert.Equal(HttpStatusCode.ServiceUnavailable, full.StatusCode);
            Assert.Equal("queue is full", (await full.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error").GetString());
        }
        finally
        {
            await fleet.StartWorkerAsync();
        }

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (await fleet.WithDbAsync(db => db.Runs.CountAsync(r => r.Status == Judge.Data.Runs.RunStatus.Queued, Ct)) > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200, Ct);
        }

        await Task.Delay(OverloadRefresh, Ct);
        Assert.Equal(15, (await RunAsync(new { language_id = "python3", sourcecode = "print(1)\n" })).GetProperty("outcome").GetInt32());
    }

    [Fact]
    public async Task Jobes_own_overload_test_source_gets_outcome_21()
    {
        var result = await RunAsync(new { language_id = "python3", sourcecode = "!** TESTING OVERLOAD EXCEPTION **!" });

        Assert.Equal(21, result.GetProperty("outcome").GetInt32());
        Assert.Equal("", result.GetProperty("stdout").GetString());
    }

    private HttpClient Client() => fleet.Client(null);

    private async Task<JsonElement> RunAsync(object runSpec)
    {
        using var client = new HttpClient { BaseAddress = fleet.ApiAddress, Timeout = TimeSpan.FromMinutes(3) };
        using var response = await client.PostAsJsonAsync(Runs, new { run_spec = runSpec }, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    private async Task<(HttpStatusCode Status, string? Message)> RefusedAsync(object runSpec)
    {
        using var response = await Client().PostAsJsonAsync(Runs, new { run_spec = runSpec }, Ct);
        return (response.StatusCode, JsonSerializer.Deserialize<string>(await response.Content.ReadAsStringAsync(Ct)));
    }

}
