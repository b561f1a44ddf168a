using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Judge.Client;

public sealed record TimingsDto(int? QueueMs, int? SetupMs, int? BootMs, int? CompileMs, int? ExecuteMs, int? TotalMs, bool? WarmPoolHit);

public sealed record TestDto(int Ordinal, string Verdict, int CpuMs, int WallMs, long MemoryBytes, string? CheckerMessage);

public sealed record SubmissionDto(
    Guid Id, string Status, string? Verdict, string? Error, string? CompileOutput, TimingsDto Timings, string? Accelerator, string? Worker,
    IReadOnlyList<TestDto>? Tests);

/// <summary>A small HTTP client of the Judge API, as any client would use it: X-Api-Key, JSON, polling.</summary>
public sealed class JudgeClient(HttpClient http)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static JudgeClient Create(Uri api, string key)
    {
        var http = new HttpClient { BaseAddress = api, Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Add("X-Api-Key", key);
        return new JudgeClient(http);
    }

    public Uri BaseAddress => http.BaseAddress!;

    public async Task CreateProblemAsync(string problemJson, CancellationToken cancellationToken)
    {
        using var content = new StringContent(problemJson, System.Text.Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("/api/problems", content, cancellationToken);
        await EnsureAsync(response, HttpStatusCode.Created, cancellationToken);
    }

    public async Task<Guid> SubmitAsync(string problem, string language, string source, string priority, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync("/api/submissions", new { problem, language, source, priority }, Json, cancellationToken);
        await EnsureAsync(response, HttpStatusCode.Accepted, cancellationToken);
        var accepted = await response.Content.ReadFromJsonAsync<JsonElement>(Json, cancellationToken);
        return accepted.GetProperty("id").GetGuid();
    }

    public async Task<SubmissionDto> GetAsync(Guid id, CancellationToken cancellationToken) =>
        (await http.GetFromJsonAsync<SubmissionDto>($"/api/submissions/{id}", Json, cancellationToken))!;

    /// <summary>Polls until the submission is judged (status Done), every <paramref name="poll"/> at first, backing off to 1 s.</summary>
    public async Task<SubmissionDto> WaitAsync(Guid id, TimeSpan timeout, CancellationToken cancellationToken, TimeSpan? poll = null)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var delay = poll ?? TimeSpan.FromMilliseconds(100);
        while (true)
        {
            var submission = await GetAsync(id, deadline.Token);
            if (submission.Status == "Done")
            {
                return submission;
            }

            await Task.Delay(delay, deadline.Token);
            if (poll is null)
            {
                delay = TimeSpan.FromMilliseconds(Math.Min(1000, delay.TotalMilliseconds * 1.5));
            }
        }
    }

    private static async Task EnsureAsync(HttpResponseMessage response, HttpStatusCode expected, CancellationToken cancellationToken)
    {
        if (response.StatusCode != expected)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new HttpRequestException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {body}");
        }
    }
}
