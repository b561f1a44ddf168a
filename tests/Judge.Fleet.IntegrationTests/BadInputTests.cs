using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Judge.Fleet.IntegrationTests;

/// <summary>Integration tests: bad requests get a 400 ProblemDetails naming the field (404 for an unknown problem).</summary>
[Collection(Fleet.Name)]
public sealed class BadInputTests(FleetFixture fleet)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string, string, string> BadSubmissions => new()
    {
        { "sum", "cobol", "DISPLAY 'HI'.", "language" },
        { "sum", "", "print(1)", "language" },
        { "sum", "python", "", "source" },
        { "sum", "python", new string('#', 256 * 1024 + 1), "source" },
        { "", "python", "print(1)", "problem" },
        // Text columns cannot hold NUL: refused by name, never a 500 from the database.
        { "sum", "python", "print(1)\0", "source" },
        { "sum\0", "python", "print(1)", "problem" },
        { "sum", "python\0", "print(1)", "language" },
    };

    [Theory]
    [MemberData(nameof(BadSubmissions))]
    public async Task A_bad_submission_is_refused_naming_the_field(string problem, string language, string source, string field)
    {
        using var response = await fleet.Client(fleet.AliceKey).PostAsJsonAsync("/api/submissions", new { problem, language, source }, FleetFixture.Json, Ct);

        var errors = await ValidationErrorsAsync(response);
        Assert.True(errors.TryGetProperty(field, out var messages), $"no error for '{field}' in {errors}");
        Assert.NotEmpty(messages.EnumerateArray());
    }

    [Fact]
    public async Task A_nul_in_a_lookup_is_a_bad_request_or_not_found_never_a_server_error()
    {
        using var list = await fleet.Client(fleet.AliceKey).GetAsync(new Uri("/api/submissions?problem=sum%00", UriKind.Relative), Ct);
        using var problem = await fleet.Client(fleet.AliceKey).GetAsync(new Uri("/api/problems/sum%00", UriKind.Relative), Ct);

        Assert.True((await ValidationErrorsAsync(list)).TryGetProperty("problem", out _));
        Assert.True(problem.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest, $"{problem.StatusCode}"); // Kestrel refuses a NUL in a path
    }

    [Fact]
    public async Task An_unknown_language_error_lists_the_known_languages()
    {
        using var response = await fleet.Client(fleet.AliceKey).PostAsJsonAsync("/api/submissions",
            new { problem = "sum", language = "cobol", source = "x" }, FleetFixture.Json, Ct);

        var message = (await ValidationErrorsAsync(response)).GetProperty("language")[0].GetString();
        Assert.Contains("python", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_problem_is_not_found()
    {
        using var response = await fleet.Client(fleet.AliceKey).PostAsJsonAsync("/api/submissions",
            new { problem = "no-such-problem", language = "python", source = "print(1)" }, FleetFixture.Json, Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Contains("no-such-problem", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_refused_as_a_problem()
    {
        using var content = new StringContent("{\"problem\": \"sum\", \"language\": ", Encoding.UTF8, "application/json");
        using var response = await fleet.Client(fleet.AliceKey).PostAsync(new Uri("/api/submissions", UriKind.Relative), content, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_value_of_the_wrong_type_is_refused_naming_the_field()
    {
        using var content = new StringContent("""{"slug": "x", "title": "X", "timeLimitMs": "fast", "memoryLimitMb": 64, "tests": []}""", Encoding.UTF8, "application/json");
        using var response = await fleet.Client(fleet.AdminKey).PostAsync(new Uri("/api/problems", UriKind.Relative), content, Ct);

        Assert.True((await ValidationErrorsAsync(response)).TryGetProperty("timeLimitMs", out _));
    }

    [Theory]
    [InlineData("?page=0", "page")]
    [InlineData("?pageSize=1000", "pageSize")]
    [InlineData("?verdict=Great", "verdict")]
    [InlineData("?status=Sleeping", "status")]
    public async Task A_bad_query_is_refused_naming_the_parameter(string query, string field)
    {
        using var response = await fleet.Client(fleet.AliceKey).GetAsync(new Uri("/api/submissions" + query, UriKind.Relative), Ct);

        Assert.True((await ValidationErrorsAsync(response)).TryGetProperty(field, out _));
    }

    [Fact]
    public async Task A_bad_problem_is_refused_naming_every_bad_field()
    {
        using var response = await fleet.Client(fleet.AdminKey).PostAsJsonAsync("/api/problems", new
        {
            slug = "Bad Slug!",
            title = "",
            timeLimitMs = 0,
            memoryLimitMb = 100_000,
            validatorFlags = "float_tolerance lenient",
            tests = new[] { new { name = "t", input = "1", answer = (string?)null } },
        }, FleetFixture.Json, Ct);

        var errors = await ValidationErrorsAsync(response);
        foreach (var field in new[] { "slug", "title", "timeLimitMs", "memoryLimitMb", "validatorFlags", "tests[0].answer" })
        {
            Assert.True(errors.TryGetProperty(field, out _), $"no error for '{field}' in {errors}");
        }
    }

    private static async Task<JsonElement> ValidationErrorsAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        return problem.GetProperty("errors");
    }
}
