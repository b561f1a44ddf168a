using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Judge.Fleet.IntegrationTests;

/// <summary>Integration tests: API keys decide who may do and see what.</summary>
[Collection(Fleet.Name)]
public sealed class AuthTests(FleetFixture fleet)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(null)]
    [InlineData("jdg_not-a-real-key")]
    public async Task Without_a_valid_key_the_api_answers_401_with_problem_details(string? key)
    {
        using var response = await fleet.Client(key).GetAsync(new Uri("/api/problems", UriKind.Relative), Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Contains("X-Api-Key", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_an_admin_key_creates_problems()
    {
        using var response = await fleet.Client(fleet.AliceKey).PostAsJsonAsync("/api/problems", Problems.Hello, FleetFixture.Json, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task A_key_sees_only_its_own_submissions_and_another_keys_is_not_found()
    {
        var alices = await fleet.SubmitAsync("hello", "python", "print('Hello, World!')", fleet.AliceKey);

        using var asBob = await fleet.Client(fleet.BobKey).GetAsync(new Uri($"/api/submissions/{alices}", UriKind.Relative), Ct);
        var bobsList = await fleet.Client(fleet.BobKey).GetFromJsonAsync<JsonElement>("/api/submissions", FleetFixture.Json, Ct);
        var alicesList = await fleet.Client(fleet.AliceKey).GetFromJsonAsync<JsonElement>("/api/submissions", FleetFixture.Json, Ct);
        using var asAdmin = await fleet.Client(fleet.AdminKey).GetAsync(new Uri($"/api/submissions/{alices}", UriKind.Relative), Ct);

        Assert.Equal(HttpStatusCode.NotFound, asBob.StatusCode);
        Assert.DoesNotContain(bobsList.GetProperty("items").EnumerateArray(), s => s.GetProperty("id").GetGuid() == alices);
        Assert.Contains(alicesList.GetProperty("items").EnumerateArray(), s => s.GetProperty("id").GetGuid() == alices);
        Assert.Equal(HttpStatusCode.OK, asAdmin.StatusCode);
        await fleet.WaitForVerdictAsync(alices);
    }
}
