using System.Text.Json;
using Judge.Api.Auth;
using Judge.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Judge.Api.Workers;

/// <summary>A language's speed on a worker: its CPU time per unit of reference-host CPU time, from the calibration at start.</summary>
public sealed record LanguageSpeedResponse(double Factor, double MeasuredCpuMs, double ReferenceCpuMs);

/// <summary>A worker as its last heartbeat described it; <see cref="Live"/> when that was recent. Speed is empty when not calibrated.</summary>
public sealed record WorkerResponse(
    string Id, string Host, string Isolation, string? IsolationReason, string? ImageVersion, int Slots, int InFlight,
    IReadOnlyDictionary<string, int> WarmPool, IReadOnlyDictionary<string, LanguageSpeedResponse> Speed, DateTime StartedAt, DateTime LastSeenAt, bool Live);

public static class WorkersApi
{
    /// <summary>Heartbeats come every few seconds; a worker silent for longer than this is shown as not live.</summary>
    public static readonly TimeSpan LiveWindow = TimeSpan.FromMinutes(1);

    public static RouteHandlerBuilder MapWorkersApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/workers", ListAsync).WithTags("Workers").RequireAuthorization(ApiKeyDefaults.AdminPolicy)
            .WithSummary("The fleet's workers: isolation (Kvm, Tcg or Namespace) and why, speed factors, slots, load and warm pools.");

    private static async Task<Ok<List<WorkerResponse>>> ListAsync(JudgeDbContext db, CancellationToken cancellationToken)
    {
        var now = DateTime.UtcNow;
        var rows = await db.WorkerHeartbeats.AsNoTracking().OrderByDescending(w => w.LastSeenAt).ToListAsync(cancellationToken);
        return TypedResults.Ok(rows.Select(w => new WorkerResponse(
                w.WorkerId, w.HostName, w.Isolation, w.IsolationReason, w.ImageVersion, w.Slots, w.InFlight,
                JsonSerializer.Deserialize<Dictionary<string, int>>(w.WarmPool) ?? [],
                JsonSerializer.Deserialize<Dictionary<string, LanguageSpeedResponse>>(w.Speed, JsonSerializerOptions.Web) ?? [], w.StartedAt, w.LastSeenAt,
                now - w.LastSeenAt < LiveWindow))
            .ToList());
    }
}
