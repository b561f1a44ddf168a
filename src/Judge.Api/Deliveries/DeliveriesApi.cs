using Judge.Api.Auth;
using Judge.Data;
using Judge.Data.Callbacks;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Judge.Api.Deliveries;

/// <summary>Where a callback stands.</summary>
public enum DeliveryState
{
    /// <summary>No callback URL was named.</summary>
    None,

    /// <summary>What named it has not ended yet.</summary>
    Waiting,

    /// <summary>Being attempted, or waiting for its next attempt.</summary>
    Pending,
    Delivered,

    /// <summary>Every attempt within the retry period failed, or the URL is no longer allowed.</summary>
    GaveUp,
}

public sealed record DeliveryAttempt(int Number, DateTime StartedAt, int DurationMs, int? StatusCode, string? Error);

public sealed record CallbackDeliveries(
    string? CallbackUrl, string State, Guid? DeliveryId, DateTime? NextAttemptAt, DateTime? DeliveredAt, DateTime? GaveUpAt, IReadOnlyList<DeliveryAttempt> Attempts);

/// <summary>Every attempt of a submission's or a batch's callback, for the key that made it (an admin key: any).</summary>
public static class DeliveriesApi
{
    public static IEndpointRouteBuilder MapDeliveriesApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/submissions/{id:guid}/deliveries", SubmissionAsync).WithTags("Submissions").RequireAuthorization()
            .WithSummary("The submission's callback: its state and every attempt (time, duration, the receiver's status code or the error).");
        app.MapGet("/api/batches/{id:guid}/deliveries", BatchAsync).WithTags("Batches").RequireAuthorization()
            .WithSummary("The batch's callback: its state and every attempt.");
        return app;
    }

    private static async Task<Results<Ok<CallbackDeliveries>, ProblemHttpResult>> SubmissionAsync(
        Guid id, HttpContext http, JudgeDbContext db, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        var url = await db.Submissions.AsNoTracking().Where(s => s.Id == id && (caller.IsAdmin || s.ApiKeyId == caller.KeyId))
            .Select(s => new { s.CallbackUrl }).SingleOrDefaultAsync(cancellationToken);
        return url is null
            ? NotFound("submission", id)
            : TypedResults.Ok(await DescribeAsync(db, url.CallbackUrl, db.Callbacks.Where(c => c.SubmissionId == id), cancellationToken));
    }

    private static async Task<Results<Ok<CallbackDeliveries>, ProblemHttpResult>> BatchAsync(
        Guid id, HttpContext http, JudgeDbContext db, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        var url = await db.Batches.AsNoTracking().Where(b => b.Id == id && (caller.IsAdmin || b.ApiKeyId == caller.KeyId))
            .Select(b => new { b.CallbackUrl }).SingleOrDefaultAsync(cancellationToken);
        return url is null
            ? NotFound("batch", id)
            : TypedResults.Ok(await DescribeAsync(db, url.CallbackUrl, db.Callbacks.Where(c => c.BatchId == id), cancellationToken));
    }

    private static async Task<CallbackDeliveries> DescribeAsync(
        JudgeDbContext db, string? url, IQueryable<Callback> callbacks, CancellationToken cancellationToken)
    {
        var callback = await callbacks.AsNoTracking().Include(c => c.AttemptLog).SingleOrDefaultAsync(cancellationToken);
        var state = url is null ? DeliveryState.None
            : callback is null ? DeliveryState.Waiting
            : callback.DeliveredAt is not null ? DeliveryState.Delivered
            : callback.GaveUpAt is not null ? DeliveryState.GaveUp
            : DeliveryState.Pending;
        var attempts = callback?.AttemptLog.OrderBy(a => a.Number)
            .Select(a => new DeliveryAttempt(a.Number, a.StartedAt, a.DurationMs, a.StatusCode, a.Error)).ToList() ?? [];
        return new CallbackDeliveries(url, Data.Storage.StoredName.Of(state), callback?.Id, callback?.NextAttemptAt, callback?.DeliveredAt, callback?.GaveUpAt, attempts);
    }

    private static ProblemHttpResult NotFound(string what, Guid id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: $"Unknown {what}", detail: $"There is no {what} {id} for this API key.");
}
