using System.Text.Json;
using Judge.Data;
using Judge.Grading.Languages;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Judge.Api.Languages;

/// <summary>A language; a run of it may take the problem's time limit × <see cref="TimeMultiplier"/> (on the reference host).</summary>
public sealed record LanguageResponse(string Id, string Name, bool Compiled, string SourceFile, double TimeMultiplier, string? Version);

public static class LanguagesApi
{
    public static RouteHandlerBuilder MapLanguagesApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/languages", ListAsync).WithTags("Languages").RequireAuthorization()
            .WithSummary("Supported languages, with the compiler or runtime version of the workers' guest image.");

    /// <summary>Versions come from the guest image, as the most recently seen worker reported them.</summary>
    private static async Task<Ok<List<LanguageResponse>>> ListAsync(JudgeDbContext db, CancellationToken cancellationToken)
    {
        var reported = await db.WorkerHeartbeats.AsNoTracking().OrderByDescending(w => w.LastSeenAt)
            .Select(w => w.Languages).FirstOrDefaultAsync(cancellationToken);
        var versions = reported is null ? [] : JsonSerializer.Deserialize<Dictionary<string, string>>(reported) ?? [];
        return TypedResults.Ok(LanguageRegistry.All
            .Select(l => new LanguageResponse(l.Id, l.DisplayName, l.IsCompiled, l.SourceFileName, l.TimeMultiplier, versions.GetValueOrDefault(l.Id)))
            .ToList());
    }
}
