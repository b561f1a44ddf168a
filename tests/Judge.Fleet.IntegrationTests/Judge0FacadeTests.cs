using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Judge.Fleet.IntegrationTests;

/// <summary>
/// Integration tests of the Judge0 CE facade against the real fleet: every status a program can earn, produced by a real
/// program; wait=true, base64 both ways, field selection, batches, a callback PUT as Judge0 sends it, and Judge0's refusals.
/// </summary>
[Collection(Fleet.Name)]
public sealed class Judge0FacadeTests(FleetFixture fleet)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, int, string> Programs => new()
    {
        { "#include <stdio.h>\nint main() { puts(\"42\"); }\n", 3, "Accepted" },
        { "#include <stdio.h>\nint main() { puts(\"41\"); }\n", 4, "Wrong Answer" },
        { "int main() { while (1) {} }\n", 5, "Time Limit Exceeded" },
        { "int main() { return x; }\n", 6, "Compilation Error" },
        { "#include <stdio.h>\nint main() { int *p = 0; printf(\"%d\", *p); }\n", 7, "Runtime Error (SIGSEGV)" },
        { "#include <stdio.h>\nint main() { for (;;) printf(\"flood\"); }\n", 8, "Runtime Error (SIGXFSZ)" },
        { "#include <stdio.h>\nint main(int argc, char **argv) { int zero = argc - 1; printf(\"%d\", 42 / zero); }\n", 9, "Runtime Error (SIGFPE)" },
        { "#include <stdlib.h>\nint main() { abort(); }\n", 10, "Runtime Error (SIGABRT)" },
        { "int main() { return 3; }\n", 11, "Runtime Error (NZEC)" },
        { "#include <signal.h>\nint main() { raise(SIGKILL); }\n", 12, "Runtime Error (Other)" },
    };

    [Theory]
    [MemberData(nameof(Programs))]
    public async Task Each_status_a_program_can_earn_is_the_one_judge0_gives_it(string source, int status, string description)
    {
        var result = await CreateAsync(new { language_id = 50, source_code = source, expected_output = "42\n", cpu_time_limit = 1 }, "?wait=true");

        Assert.Equal(status, result.GetProperty("status").GetProperty("id").GetInt32());
        Assert.Equal(description, result.GetProperty("status").GetProperty("description").GetString());
        Assert.Equal(DefaultFields, result.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    private static readonly string[] DefaultFields = [.. new[] { "token", "time", "memory", "stdout", "stderr", "compile_output", "message", "status" }.Order(StringComparer.Ordinal)];

    [Fact]
    public async Task A_result_has_judge0s_shapes_its_comparison_ignores_trailing_whitespace_and_a_compile_error_carries_its_output()
    {
        var accepted = await CreateAsync(new { language_id = 71, source_code = "print('hello  ')\nprint()\n", expected_output = "hello" }, "?wait=true&fields=*");
        var broken = await CreateAsync(new { language_id = 54, source_code = "int main() { return x; }" }, "?wait=true");

        Assert.Equal(3, accepted.GetProperty("status_id").GetInt32());
        Assert.Equal("hello  \n\n", accepted.GetProperty("stdout").GetString());
        Assert.Matches(@"^\d+\.\d{1,3}$", accepted.GetProperty("time").GetString());
        Assert.True(accepted.GetProperty("memory").GetInt32() > 0);
        Assert.Equal("5.0", accepted.GetProperty("cpu_time_limit").GetString());
        Assert.Equal(128000, accepted.GetProperty("memory_limit").GetInt32());
        Assert.Equal(71, accepted.GetProperty("language").GetProperty("id").GetInt32());
        Assert.StartsWith("Python (3.", accepted.GetProperty("language").GetProperty("name").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, accepted.GetProperty("exit_code").GetInt32());
        Assert.Equal(JsonValueKind.Null, accepted.GetProperty("stderr").ValueKind);
        Assert.Equal(35, accepted.EnumerateObject().Count());
        Assert.Equal(6, broken.GetProperty("status").GetProperty("id").GetInt32());
        Assert.Contains("was not declared", broken.GetProperty("compile_output").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, broken.GetProperty("time").ValueKind);
    }

    [Fact]
    public async Task A_submission_is_in_queue_or_processing_until_it_ends_and_then_is_got_by_its_token()
    {
        var token = (await CreateAsync(new { language_id = 71, source_code = "import time\ntime.sleep(2)\nprint(input())\n", stdin = "echo" }, "")).GetProperty("token").GetString();
        var early = await GetAsync($"/judge0/submissions/{token}");

        Assert.InRange(early.GetProperty("status").GetProperty("id").GetInt32(), 1, 2);
        Assert.Equal(JsonValueKind.Null, early.GetProperty("stdout").ValueKind);
        var done = await WaitAsync(token!);
        Assert.Equal("echo\n", done.GetProperty("stdout").GetString());
        Assert.Equal(3, done.GetProperty("status").GetProperty("id").GetInt32());
    }

    [Fact]
    public async Task Base64_goes_both_ways_and_output_that_is_not_utf8_needs_it()
    {
        var source = Convert.ToBase64String(Encoding.UTF8.GetBytes("#include <stdio.h>\nint main() { char s[8]; scanf(\"%7s\", s); printf(\"%s\\n\\xff\", s); }\n"));
        var result = await CreateAsync(new { language_id = 50, source_code = source, stdin = Convert.ToBase64String("bytes\n"u8.ToArray()) }, "?wait=true&base64_encoded=true");

        var stdout = result.GetProperty("stdout").GetString()!;
        Assert.EndsWith("\n", stdout, StringComparison.Ordinal); // Ruby's encode64, as Judge0 writes it
        Assert.Equal([.. Encoding.ASCII.GetBytes("bytes\n"), 0xFF], Convert.FromBase64String(stdout));
        using var plain = await fleet.Client(null).GetAsync($"/judge0/submissions/{result.GetProperty("token").GetString()}", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, plain.StatusCode);
        Assert.Contains("use base64_encoded=true", (await plain.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_batch_is_created_with_a_token_or_errors_per_item_and_got_back_with_null_for_an_unknown_token()
    {
        using var created = await fleet.Client(null).PostAsJsonAsync("/judge0/submissions/batch", new
        {
            submissions = new object[]
            {
                new { language_id = 71, source_code = "print(1)" },
                new { language_id = 999, source_code = "print(2)" },
                new { language_id = 63, source_code = "console.log(3)" },
            },
        }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var answers = await created.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("language with id 999 doesn't exist", answers[1].GetProperty("language_id")[0].GetString());
        var tokens = new[] { answers[0].GetProperty("token").GetString()!, answers[2].GetProperty("token").GetString()! };
        await WaitAsync(tokens[0]);
        await WaitAsync(tokens[1]);

        var batch = await GetAsync($"/judge0/submissions/batch?tokens={tokens[0]},{Guid.NewGuid()},{tokens[1]}&fields=token,stdout,status_id");
        var submissions = batch.GetProperty("submissions");
        Assert.Equal("1\n", submissions[0].GetProperty("stdout").GetString());
        Assert.Equal(JsonValueKind.Null, submissions[1].ValueKind);
        Assert.Equal("3\n", submissions[2].GetProperty("stdout").GetString());
        Assert.Equal(["stdout", "status_id", "token"], submissions[0].EnumerateObject().Select(p => p.Name)); // Judge0's order, not the request's
    }

    [Fact]
    public async Task A_callback_is_a_put_of_the_default_fields_in_base64()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        var token = (await CreateAsync(new { language_id = 71, source_code = "print('called back')", callback_url = receiver.Url("/judge0").ToString() }, ""))
            .GetProperty("token").GetString();

        var put = Assert.Single(await receiver.WaitForAsync("/judge0", 1, Patience));
        Assert.Equal("PUT", put.Method);
        using var body = JsonDocument.Parse(put.Body);
        Assert.Equal(token, body.RootElement.GetProperty("token").GetString());
        Assert.Equal("called back\n", Encoding.UTF8.GetString(Convert.FromBase64String(body.RootElement.GetProperty("stdout").GetString()!)));
        Assert.Equal(3, body.RootElement.GetProperty("status").GetProperty("id").GetInt32());
    }

    [Fact]
    public async Task Bad_attributes_are_a_422_by_attribute_and_bad_fields_a_400_with_judge0s_messages()
    {
        using var invalid = await fleet.Client(null).PostAsJsonAsync("/judge0/submissions", new
        {
            language_id = 71, source_code = " ", cpu_time_limit = 16, memory_limit = 100, enable_network = true, compiler_options = "-O2",
        }, Ct);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.StatusCode);
        var errors = await invalid.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("can't be blank", errors.GetProperty("source_code")[0].GetString());
        Assert.Equal("must be less than or equal to 15.0", errors.GetProperty("cpu_time_limit")[0].GetString());
        Assert.Equal("must be greater than or equal to 2048", errors.GetProperty("memory_limit")[0].GetString());
        Assert.Equal("enabling network is not allowed", errors.GetProperty("enable_network")[0].GetString());
        Assert.Equal("setting compiler options is only allowed for compiled languages", errors.GetProperty("compiler_options")[0].GetString());

        using var fields = await fleet.Client(null).GetAsync($"/judge0/submissions/{Guid.NewGuid()}?fields=stdout,%20stderr", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, fields.StatusCode);
        Assert.Equal("invalid fields: [ stderr]", (await fields.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error").GetString());
        using var unknown = await fleet.Client(null).GetAsync($"/judge0/submissions/{Guid.NewGuid()}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Compiler_options_and_arguments_reach_the_compiler_and_the_program()
    {
        var result = await CreateAsync(new
        {
            language_id = 50,
            source_code = "#include <stdio.h>\nint main(int argc, char **argv) { printf(\"%d %s %s\\n\", VALUE, argv[1], argv[2]); }\n",
            compiler_options = "-DVALUE=7",
            command_line_arguments = "first second",
        }, "?wait=true");

        Assert.Equal("7 first second\n", result.GetProperty("stdout").GetString());
    }

    [Fact]
    public async Task Statuses_and_languages_are_listed_with_judge0s_ids()
    {
        var statuses = await GetAsync("/judge0/statuses");
        var languages = await GetAsync("/judge0/languages");
        var java = await GetAsync("/judge0/languages/62");

        Assert.Equal(Enumerable.Range(1, 14), statuses.EnumerateArray().Select(s => s.GetProperty("id").GetInt32()));
        Assert.Equal("Runtime Error (NZEC)", statuses[10].GetProperty("description").GetString());
        Assert.Contains(languages.EnumerateArray(), l => l.GetProperty("id").GetInt32() == 71);
        Assert.Equal("Main.java", java.GetProperty("source_file").GetString());
    }

    private async Task<JsonElement> CreateAsync(object submission, string query)
    {
        using var client = new HttpClient { BaseAddress = fleet.ApiAddress, Timeout = TimeSpan.FromMinutes(3) };
        using var response = await client.PostAsJsonAsync($"/judge0/submissions{query}", submission, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    private async Task<JsonElement> GetAsync(string path)
    {
        using var response = await fleet.Client(null).GetAsync(path, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    private async Task<JsonElement> WaitAsync(string token)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var result = await GetAsync($"/judge0/submissions/{token}");
            if (result.GetProperty("status").GetProperty("id").GetInt32() > 2 || DateTime.UtcNow > deadline)
            {
                return result;
            }

            await Task.Delay(100, Ct);
        }
    }
}
