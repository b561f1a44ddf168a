using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Hangfire;
using Judge.Api.Batches;
using Judge.Api.Callbacks;
using Judge.Api.Facades.Judge0;
using Judge.Api.Notifications;
using Judge.Api.Submissions;
using Judge.Data;
using Judge.Data.Callbacks;
using Judge.Data.Lifecycle;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Judge.Api.Deliveries;

/// <summary>What a callback POSTs: the event, and the submission as GET answers it, or the batch with its results.</summary>
public sealed record CallbackPayload(string Event, Guid DeliveryId, SubmissionResponse? Submission, BatchResponse? Batch, BatchResults? Results);

/// <summary>
/// The Hangfire jobs of callbacks: one attempt each (<see cref="DeliverAsync"/>), which schedules the next after a failure,
/// with a wait that doubles, for <see cref="CallbackOptions.RetryFor"/>; and the catch-up, which makes and sends what an
/// announcement or a dead process missed. An attempt is taken in the database first, so duplicate jobs are harmless.
/// </summary>
public sealed class CallbackDelivery(
    JudgeDbContext db, CallbackLedger ledger, RunLifecycle runs, IHttpClientFactory http, IBackgroundJobClient jobs,
    IOptions<CallbackOptions> options, ILogger<CallbackDelivery> logger)
{
    public const string HttpClientName = "callbacks";
    public const string CatchUpJobId = "catch-up-callbacks";

    /// <summary><c>t=UNIX-SECONDS,v1=HEX(HMAC-SHA256(secret, "t.body"))</c>: the time is signed too, so an old POST cannot be replayed as new.</summary>
    public const string SignatureHeader = "Judge-Signature";
    public const string DeliveryHeader = "Judge-Delivery";
    public const string AttemptHeader = "Judge-Attempt";
    public const string EventHeader = "Judge-Event";

    private readonly CallbackOptions _options = options.Value;

    public static string EventName(CallbackEvent kind) => kind switch
    {
        CallbackEvent.SubmissionEnded => "submission.ended",
        CallbackEvent.BatchEnded => "batch.ended",
        _ => "run.ended",
    };

    /// <summary>The signature header's value for <paramref name="body"/> signed at <paramref name="timestamp"/>.</summary>
    public static string Sign(string secret, long timestamp, byte[] body)
    {
        var prefix = Encoding.UTF8.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + ".");
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), prefix.Concat(body).ToArray());
        return $"t={timestamp.ToString(CultureInfo.InvariantCulture)},v1={Convert.ToHexStringLower(mac)}";
    }

    [AutomaticRetry(Attempts = 3)] // for the database failing, not the receiver: its failures are retried by schedule
    public async Task DeliverAsync(Guid callbackId, CancellationToken cancellationToken)
    {
        if (await ledger.TryTakeAsync(callbackId, cancellationToken) is not { } taken)
        {
            return;
        }

        var started = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        // The allow-list may have changed since the URL was accepted: a URL it no longer allows is given up, not called.
        var refusal = CallbackUrls.Refusal(taken.Url, _options);
        var (statusCode, error) = refusal is null ? await PostAsync(taken, cancellationToken) : (null, $"The URL {refusal}");
        var delivered = statusCode is >= 200 and < 300;
        var delay = _options.RetryDelayAfter(taken.Attempt);
        // On a whole second: Hangfire keeps a scheduled job's time in whole seconds and may start it up to a second early,
        // when a retry due at a fraction of that second would not yet be due, and the attempt would wait for the catch-up.
        var next = DateTime.UnixEpoch.AddSeconds(Math.Ceiling((DateTime.UtcNow + delay - DateTime.UnixEpoch).TotalSeconds));
        DateTime? retryAt = delivered || refusal is not null || next > taken.CreatedAt + _options.RetryFor ? null : next;
        var attempt = new CallbackAttempt
        {
            CallbackId = taken.Id, Number = taken.Attempt, StartedAt = started, DurationMs = (int)clock.ElapsedMilliseconds, StatusCode = statusCode, Error = error,
        };
        await ledger.RecordAsync(taken, attempt, delivered, retryAt, cancellationToken);
        if (delivered)
        {
            logger.LogInformation("Callback {CallbackId} for {Subject} delivered to {Url} (attempt {Attempt})", taken.Id, taken.SubjectId, taken.Url, taken.Attempt);
        }
        else if (retryAt is not null)
        {
            logger.LogWarning("Callback {CallbackId} for {Subject} to {Url} failed (attempt {Attempt}: {Status} {Error}); next in {Delay}",
                taken.Id, taken.SubjectId, taken.Url, taken.Attempt, statusCode, error, delay);
            jobs.Schedule<CallbackDelivery>(delivery => delivery.DeliverAsync(taken.Id, CancellationToken.None), new DateTimeOffset(retryAt.Value, TimeSpan.Zero));
        }
        else
        {
            logger.LogError("Callback {CallbackId} for {Subject} to {Url} given up after {Attempt} attempts: {Status} {Error}",
                taken.Id, taken.SubjectId, taken.Url, taken.Attempt, statusCode, error);
        }
    }

    /// <summary>Recurring: callbacks that were never made or never sent, and attempts whose process died, go (again).</summary>
    [DisableConcurrentExecution(timeoutInSeconds: 0)]
    [AutomaticRetry(Attempts = 0, LogEvents = false, OnAttemptsExceeded = AttemptsExceededAction.Delete)]
    public async Task CatchUpAsync(CancellationToken cancellationToken)
    {
        foreach (var id in await ledger.CatchUpAsync(_options.RetryFor, CallbackLedger.AttemptHold / 2, cancellationToken))
        {
            jobs.Enqueue<CallbackDelivery>(delivery => delivery.DeliverAsync(id, CancellationToken.None));
        }
    }

    /// <summary>
    /// POSTs a submission's or a batch's result, signed with its key's secret. A run's is Judge0's callback: a PUT of the run as
    /// Judge0 shows it, signed when its key has a secret (a Judge0 client checks no signature; an anonymous run has no key).
    /// </summary>
    private async Task<(int? StatusCode, string? Error)> PostAsync(TakenCallback taken, CancellationToken cancellationToken)
    {
        var secret = taken.ApiKeyId is { } keyId
            ? await db.ApiKeys.AsNoTracking().Where(k => k.Id == keyId).Select(k => k.SigningSecret).SingleAsync(cancellationToken)
            : null;
        var isRun = taken.Event == CallbackEvent.RunEnded;
        if (secret is null && !isRun)
        {
            return (null, "The key has no signing secret.");
        }

        var body = isRun
            ? Judge0Api.CallbackBody(await runs.FindAsync(taken.SubjectId, cancellationToken)
                ?? throw new InvalidOperationException($"Run {taken.SubjectId} of callback {taken.Id} is gone."))
            : JsonSerializer.SerializeToUtf8Bytes(await PayloadAsync(taken, cancellationToken), JsonSerializerOptions.Web);
        using var request = new HttpRequestMessage(isRun ? HttpMethod.Put : HttpMethod.Post, taken.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        if (secret is not null)
        {
            request.Headers.Add(SignatureHeader, Sign(secret, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), body));
        }

        request.Headers.Add(DeliveryHeader, taken.Id.ToString());
        request.Headers.Add(AttemptHeader, taken.Attempt.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add(EventHeader, EventName(taken.Event));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        try
        {
            using var response = await http.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            return ((int)response.StatusCode, null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, $"No answer within {_options.Timeout.TotalSeconds:0.#} s.");
        }
        catch (HttpRequestException e)
        {
            return (null, e.Message);
        }
    }

    private async Task<CallbackPayload> PayloadAsync(TakenCallback taken, CancellationToken cancellationToken)
    {
        var name = EventName(taken.Event);
        if (taken.Event == CallbackEvent.SubmissionEnded)
        {
            var submission = await SubmissionsApi.WithResults(db.Submissions.AsNoTracking()).SingleAsync(s => s.Id == taken.SubjectId, cancellationToken);
            return new CallbackPayload(name, taken.Id, await SubmissionsApi.DescribeAsync(db, submission, cancellationToken), null, null);
        }

        var batch = await db.Batches.AsNoTracking().SingleAsync(b => b.Id == taken.SubjectId, cancellationToken);
        var described = await BatchesApi.DescribeAsync(db, batch, await BatchesApi.ProblemOfAsync(db, batch, cancellationToken), cancellationToken);
        var results = await BatchesApi.ReadResultsAsync(db, batch, await BatchesApi.GroupNamesAsync(db, batch, cancellationToken), cancellationToken);
        return new CallbackPayload(name, taken.Id, null, described, results);
    }
}

/// <summary>Sends a callback as soon as the ledger announces it due, rather than at the next catch-up.</summary>
public sealed class CallbackAnnouncements(IBackgroundJobClient jobs, ILogger<CallbackAnnouncements> logger) : IChannelSubscriber
{
    public string Channel => CallbackLedger.DueChannel;

    /// <summary>Off the listener's thread: enqueueing is a write to Hangfire's storage.</summary>
    public void Announced(Guid id) => _ = Task.Run(() =>
    {
        try
        {
            jobs.Enqueue<CallbackDelivery>(delivery => delivery.DeliverAsync(id, CancellationToken.None));
        }
        catch (Exception e)
        {
            // The catch-up sends it.
            logger.LogWarning(e, "Enqueueing callback {CallbackId} failed", id);
        }
    });

    public void Reconnected()
    {
    }
}
