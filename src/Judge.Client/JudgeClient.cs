using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Judge.Client;

public sealed record TimingsDto(int? QueueMs, int? SetupMs, int? BootMs, int? CompileMs, int? ExecuteMs, int? TotalMs, bool? WarmPoolHit);

/// <summary>One test: CPU time as measured on the judging worker, and normalised to the reference host (what the limit is compared with).</summary>
public sealed record TestDto(int Ordinal, string Name, string Verdict, double? Score, int CpuMs, int? NormalizedCpuMs, int WallMs, long MemoryBytes, string? CheckerMessage);

public sealed record GroupDto(string Name, string Verdict, double Score, double MaxScore);

public sealed record SubmissionDto(
    Guid Id, string Status, string? Verdict, double? Score, double? MaxScore, string? Error, string? CompileOutput, TimingsDto Timings,
    string? Isolation, string? Worker, IReadOnlyList<GroupDto>? Groups, IReadOnlyList<TestDto>? Tests);

public sealed record PendingVersionDto(int Version, string Status, string? StatusMessage);

public sealed record ProblemDto(
    Guid Id, string Slug, string Title, int? Version, string Status, string? StatusMessage, string Type, string Format, int? TimeLimitMs,
    bool TimeLimitDerived, int MemoryLimitMb, string Checker, double MaxScore, int TestCount, PendingVersionDto? Pending);

public sealed record BatchDto(
    Guid Id, string Kind, string Status, int Total, IReadOnlyDictionary<string, int> ByStatus, IReadOnlyDictionary<string, int> ByVerdict,
    double? JudgedPerSecond, double? EtaSeconds, DateTime? FinishedAt);

/// <summary>The API refused a problem package; the message names the file and line.</summary>
public sealed class PackageRejectedException(string message) : Exception(message);

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

    /// <summary>Uploads a problem package (a zip). Returns the problem as the API describes it after the import.</summary>
    public async Task<ProblemDto> ImportPackageAsync(byte[] zip, string slug, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(zip);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/zip");
        using var response = await http.PostAsync(new Uri($"/api/problems?slug={Uri.EscapeDataString(slug)}", UriKind.Relative), content, cancellationToken);
        if (response.StatusCode == HttpStatusCode.BadRequest)
        {
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Json, cancellationToken);
            throw new PackageRejectedException(problem.TryGetProperty("detail", out var detail) ? detail.GetString() ?? "" : problem.ToString());
        }

        if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.Created or HttpStatusCode.Accepted))
        {
            await EnsureAsync(response, HttpStatusCode.Created, cancellationToken);
        }

        return (await response.Content.ReadFromJsonAsync<ProblemDto>(Json, cancellationToken))!;
    }

    public async Task<ProblemDto> GetProblemAsync(string slug, CancellationToken cancellationToken) =>
        (await http.GetFromJsonAsync<ProblemDto>($"/api/problems/{Uri.EscapeDataString(slug)}", Json, cancellationToken))!;

    /// <summary>Polls until the problem's newest version is no longer calibrating (its time limit derived, or failed).</summary>
    public async Task<ProblemDto> WaitForProblemAsync(string slug, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (true)
        {
            var problem = await GetProblemAsync(slug, deadline.Token);
            if ((problem.Pending?.Status ?? problem.Status) != "calibrating")
            {
                return problem;
            }

            await Task.Delay(500, deadline.Token);
        }
    }

    public Task<Guid> SubmitAsync(string problem, string language, string source, string priority, CancellationToken cancellationToken) =>
        PostSubmissionAsync(new { problem, language, source, priority }, cancellationToken);

    /// <summary>A multi-file submission: every file by its plain name, sent as its bytes (base64), whatever they are.</summary>
    public Task<Guid> SubmitFilesAsync(
        string problem, string language, IEnumerable<(string Name, byte[] Content)> files, string? entryPoint, string priority, CancellationToken cancellationToken) =>
        PostSubmissionAsync(new
        {
            problem, language, files = files.Select(f => new { name = f.Name, contentBase64 = Convert.ToBase64String(f.Content) }), entryPoint, priority,
        }, cancellationToken);

    private async Task<Guid> PostSubmissionAsync(object request, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync("/api/submissions", request, Json, cancellationToken);
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

    /// <summary>Waits for the submission without polling: the API answers as soon as it is done (at most 60 s a request).</summary>
    public async Task<SubmissionDto> WaitForVerdictAsync(Guid id, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (true)
        {
            var submission = (await http.GetFromJsonAsync<SubmissionDto>($"/api/submissions/{id}?wait=30", Json, deadline.Token))!;
            if (submission.Status == "Done")
            {
                return submission;
            }
        }
    }

    /// <summary>Creates a batch from a zip of one file per student. The API's 400 (naming the files it cannot take) becomes the exception.</summary>
    public async Task<BatchDto> CreateBatchAsync(string problem, byte[] zip, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(zip);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/zip");
        using var response = await http.PostAsync(new Uri($"/api/batches?problem={Uri.EscapeDataString(problem)}", UriKind.Relative), content, cancellationToken);
        await EnsureAsync(response, HttpStatusCode.Created, cancellationToken);
        return (await response.Content.ReadFromJsonAsync<BatchDto>(Json, cancellationToken))!;
    }

    /// <summary>Rejudges a problem's submissions (optionally those with one verdict) as a batch.</summary>
    public async Task<BatchDto> RejudgeAsync(string problem, string? verdict, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync($"/api/problems/{Uri.EscapeDataString(problem)}/rejudge", new { verdict }, Json, cancellationToken);
        await EnsureAsync(response, HttpStatusCode.Created, cancellationToken);
        return (await response.Content.ReadFromJsonAsync<BatchDto>(Json, cancellationToken))!;
    }

    /// <summary>The batch now, or (with <paramref name="wait"/>) once it has ended or the wait ran out.</summary>
    public async Task<BatchDto> GetBatchAsync(Guid id, TimeSpan? wait, CancellationToken cancellationToken) =>
        (await http.GetFromJsonAsync<BatchDto>($"/api/batches/{id}{(wait is { } w ? $"?wait={(int)w.TotalSeconds}" : "")}", Json, cancellationToken))!;

    /// <summary>The batch's results as the API renders them: CSV, or JSON.</summary>
    public async Task<string> GetBatchResultsAsync(Guid id, bool csv, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/batches/{id}/results");
        request.Headers.Accept.Add(new System.Net.Http.Headers.MediaTypeWithQualityHeaderValue(csv ? "text/csv" : "application/json"));
        using var response = await http.SendAsync(request, cancellationToken);
        await EnsureAsync(response, HttpStatusCode.OK, cancellationToken);
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    private static async Task EnsureAsync(HttpResponseMessage response, HttpStatusCode expected, CancellationToken cancellationToken)
    {
        if (response.StatusCode != expected)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new HttpRequestException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {body}",
                null, response.StatusCode);
        }
    }
}
