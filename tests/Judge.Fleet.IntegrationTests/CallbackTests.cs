using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;

namespace Judge.Fleet.IntegrationTests;

/// <summary>
/// Integration tests: callbacks from the real API (its Hangfire server delivering them) to a real HTTP receiver on loopback,
/// signed with the key's secret, retried after failures, every attempt visible under …/deliveries.
/// </summary>
[Collection(Fleet.Name)]
public sealed class CallbackTests(FleetFixture fleet)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_judged_submission_is_posted_to_its_callback_url_signed_with_the_keys_current_secret()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        var rotatedAway = await RotateSecretAsync(fleet.AliceKey);
        var secret = await RotateSecretAsync(fleet.AliceKey);

        var id = await SubmitAsync(new { problem = "sum", language = "python", source = Problems.SumPython, callbackUrl = receiver.Url("/judged").ToString() });
        var post = Assert.Single(await receiver.WaitForAsync("/judged", 1, Patience));

        Assert.True(SignatureHolds(post, secret), $"The signature {post.Headers["Judge-Signature"]} does not verify with the key's secret.");
        Assert.False(SignatureHolds(post, rotatedAway), "The callback verifies with a secret that was rotated away.");
        Assert.StartsWith("application/json", post.Headers["Content-Type"], StringComparison.Ordinal);
        Assert.Equal("submission.ended", post.Headers["Judge-Event"]);
        using var body = JsonDocument.Parse(post.Body);
        Assert.Equal("submission.ended", body.RootElement.GetProperty("event").GetString());
        var submission = body.RootElement.GetProperty("submission");
        Assert.Equal(id, submission.GetProperty("id").GetGuid());
        Assert.Equal("Accepted", submission.GetProperty("verdict").GetString());
        Assert.Equal(3, submission.GetProperty("tests").GetArrayLength());

        var deliveries = await WaitForDeliveryStateAsync($"/api/submissions/{id}/deliveries", fleet.AliceKey, "delivered");
        var attempt = Assert.Single(deliveries.GetProperty("attempts").EnumerateArray());
        Assert.Equal(200, attempt.GetProperty("statusCode").GetInt32());
        Assert.Equal(post.Headers["Judge-Delivery"], deliveries.GetProperty("deliveryId").GetString());
    }

    [Fact]
    public async Task A_receiver_that_fails_twice_gets_the_third_attempt_after_growing_waits()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        var secret = await RotateSecretAsync(fleet.AliceKey);
        receiver.FailNext("/flaky", 2);

        var id = await SubmitAsync(new { problem = "sum", language = "python", source = Problems.SumPython, callbackUrl = receiver.Url("/flaky").ToString() });
        var posts = await receiver.WaitForAsync("/flaky", 3, Patience);

        Assert.Equal(["1", "2", "3"], posts.Select(p => p.Headers["Judge-Attempt"]));
        Assert.Single(posts.Select(p => p.Headers["Judge-Delivery"]).Distinct());
        Assert.All(posts, p => Assert.True(SignatureHolds(p, secret)));
        var deliveries = await WaitForDeliveryStateAsync($"/api/submissions/{id}/deliveries", fleet.AliceKey, "delivered");
        var attempts = deliveries.GetProperty("attempts").EnumerateArray().ToList();
        Assert.Equal([500, 500, 200], attempts.Select(a => a.GetProperty("statusCode").GetInt32()));
        // The waits double from Callbacks:FirstRetryDelay (1 s here): at least 1 s, then at least 2 s.
        var started = attempts.Select(a => a.GetProperty("startedAt").GetDateTime()).ToList();
        Assert.True(started[1] - started[0] >= TimeSpan.FromSeconds(0.95), $"First wait: {started[1] - started[0]}");
        Assert.True(started[2] - started[1] >= TimeSpan.FromSeconds(1.95), $"Second wait: {started[2] - started[1]}");
        await Task.Delay(TimeSpan.FromSeconds(3), Ct);
        Assert.Equal(3, receiver.ReceivedOn("/flaky").Count);
    }

    [Fact]
    public async Task A_batch_posts_its_results_once_when_it_has_ended()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        var secret = await RotateSecretAsync(fleet.AliceKey);
        using var response = await fleet.Client(fleet.AliceKey).PostAsJsonAsync("/api/batches", new
        {
            problem = "sum",
            callbackUrl = receiver.Url("/batch").ToString(),
            items = new[]
            {
                new { label = "ada", language = "python", source = Problems.SumPython },
                new { label = "bob", language = "python", source = "print(0)\n" },
                new { label = "cy", language = "c", source = "#include <stdio.h>\nint main(void){long a,b;scanf(\"%ld %ld\",&a,&b);printf(\"%ld\\n\",a+b);}\n" },
            },
        }, FleetFixture.Json, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var batchId = (await response.Content.ReadFromJsonAsync<JsonElement>(FleetFixture.Json, Ct)).GetProperty("id").GetGuid();

        var post = Assert.Single(await receiver.WaitForAsync("/batch", 1, Patience));
        Assert.True(SignatureHolds(post, secret));
        using var body = JsonDocument.Parse(post.Body);
        Assert.Equal("batch.ended", body.RootElement.GetProperty("event").GetString());
        Assert.Equal("done", body.RootElement.GetProperty("batch").GetProperty("status").GetString());
        var verdicts = body.RootElement.GetProperty("results").GetProperty("items").EnumerateArray()
            .ToDictionary(r => r.GetProperty("label").GetString()!, r => r.GetProperty("verdict").GetString());
        Assert.Equal(new Dictionary<string, string?> { ["ada"] = "Accepted", ["bob"] = "WrongAnswer", ["cy"] = "Accepted" }, verdicts);
        await WaitForDeliveryStateAsync($"/api/batches/{batchId}/deliveries", fleet.AliceKey, "delivered");
        using var others = await fleet.Client(fleet.BobKey).GetAsync(new Uri($"/api/batches/{batchId}/deliveries", UriKind.Relative), Ct);
        Assert.Equal(HttpStatusCode.NotFound, others.StatusCode);
        await Task.Delay(TimeSpan.FromSeconds(2), Ct);
        Assert.Single(receiver.ReceivedOn("/batch"));
    }

    [Theory]
    [InlineData("http://10.20.30.40/hook", "not among those this server allows")]
    [InlineData("http://localhost:8080/hook", "not among those this server allows")]
    [InlineData("http://127.0.0.1.nip.io/hook", "not among those this server allows")]
    [InlineData("ftp://127.0.0.1/hook", "absolute http or https")]
    [InlineData("/relative/hook", "absolute http or https")]
    [InlineData("http://user:secret@127.0.0.1/hook", "credentials")]
    public async Task A_callback_url_outside_the_allow_list_is_refused_with_400_naming_it(string url, string reason)
    {
        using var submission = await fleet.Client(fleet.AliceKey).PostAsJsonAsync("/api/submissions",
            new { problem = "sum", language = "python", source = Problems.SumPython, callbackUrl = url }, FleetFixture.Json, Ct);
        await AssertRefusedAsync(submission, reason);

        using var batch = await fleet.Client(fleet.AliceKey).PostAsJsonAsync("/api/batches",
            new { problem = "sum", callbackUrl = url, items = new[] { new { label = "a", language = "python", source = Problems.SumPython } } }, FleetFixture.Json, Ct);
        await AssertRefusedAsync(batch, reason);

        using var rejudge = await fleet.Client(fleet.AliceKey).PostAsJsonAsync("/api/problems/sum/rejudge", new { callbackUrl = url }, FleetFixture.Json, Ct);
        await AssertRefusedAsync(rejudge, reason);
    }

    [Fact]
    public async Task A_key_without_a_signing_secret_cannot_name_a_callback_until_it_makes_one()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        var bob = await fleet.WithDbAsync(db => db.ApiKeys.SingleAsync(k => k.Name == "bob", Ct));
        await fleet.WithDbAsync(db => db.ApiKeys.Where(k => k.Id == bob.Id).ExecuteUpdateAsync(set => set.SetProperty(k => k.SigningSecret, (string?)null), Ct));
        var request = new { problem = "sum", language = "python", source = Problems.SumPython, callbackUrl = receiver.Url("/bob").ToString() };

        using var refused = await fleet.Client(fleet.BobKey).PostAsJsonAsync("/api/submissions", request, FleetFixture.Json, Ct);
        await AssertRefusedAsync(refused, "signing secret");
        var current = await fleet.Client(fleet.BobKey).GetFromJsonAsync<JsonElement>("/api/keys/current", FleetFixture.Json, Ct);
        Assert.False(current.GetProperty("hasSigningSecret").GetBoolean());

        var secret = await RotateSecretAsync(fleet.BobKey);
        using var accepted = await fleet.Client(fleet.BobKey).PostAsJsonAsync("/api/submissions", request, FleetFixture.Json, Ct);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var post = Assert.Single(await receiver.WaitForAsync("/bob", 1, Patience));
        Assert.True(SignatureHolds(post, secret));
    }

    /// <summary>The receiver's check, written from the documented scheme rather than with Judge's code: t=SECONDS,v1=HEX(HMAC-SHA256(secret, "t.body")).</summary>
    private static bool SignatureHolds(ReceivedCallback post, string secret)
    {
        var parts = post.Headers["Judge-Signature"].Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        var timestamp = long.Parse(parts["t"], CultureInfo.InvariantCulture);
        Assert.InRange(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - timestamp, -5, 120);
        var signed = Encoding.UTF8.GetBytes($"{parts["t"]}.").Concat(post.Body).ToArray();
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed);
        return CryptographicOperations.FixedTimeEquals(expected, Convert.FromHexString(parts["v1"]));
    }

    private async Task<string> RotateSecretAsync(string key)
    {
        using var response = await fleet.Client(key).PostAsync(new Uri("/api/keys/current/signing-secret", UriKind.Relative), null, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(FleetFixture.Json, Ct)).GetProperty("signingSecret").GetString()!;
    }

    private async Task<Guid> SubmitAsync(object request)
    {
        using var response = await fleet.Client(fleet.AliceKey).PostAsJsonAsync("/api/submissions", request, FleetFixture.Json, Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync(Ct));
        return (await response.Content.ReadFromJsonAsync<JsonElement>(FleetFixture.Json, Ct)).GetProperty("id").GetGuid();
    }

    private async Task<JsonElement> WaitForDeliveryStateAsync(string path, string key, string state)
    {
        using var deadline = new CancellationTokenSource(Patience);
        while (true)
        {
            var deliveries = await fleet.Client(key).GetFromJsonAsync<JsonElement>(path, FleetFixture.Json, deadline.Token);
            if (deliveries.GetProperty("state").GetString() == state)
            {
                return deliveries;
            }

            await Task.Delay(100, deadline.Token);
        }
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response, string reason)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{response.StatusCode}: {text}");
        var errors = JsonDocument.Parse(text).RootElement.GetProperty("errors");
        Assert.Contains(reason, errors.GetProperty("callbackUrl")[0].GetString(), StringComparison.Ordinal);
    }
}
