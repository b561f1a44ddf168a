using System.Text.Json;
using Judge.Data;
using Judge.Grading.Languages;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Judge.Api.Languages;

/// <summary>A language; a run of it may take the problem's time limit × <see cref="TimeMultiplier"/> (on the reference host).</summary>
public sealed record LanguageResponse(string Id, string Name, bool Compiled, string SourceFile, double TimeMultiplier, string? Version);

public static partial class LanguagesApi
{
    public static RouteHandlerBuilder MapLanguagesApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/languages", ListAsync).WithTags("Languages").RequireAuthorization()
            .WithSummary("Supported languages, with the compiler or runtime version of the workers' guest image.");

    private static async Task<Ok<List<LanguageResponse>>> ListAsync(JudgeDbContext db, CancellationToken cancellationToken)
    {
        var versions = await ReportedVersionsAsync(db, cancellationToken);
        return TypedResults.Ok(LanguageRegistry.All
            .Select(l => new LanguageResponse(l.Id, l.DisplayName, l.IsCompiled, l.SourceFileName, l.TimeMultiplier, versions.GetValueOrDefault(l.Id)))
            .ToList());
    }

    /// <summary>Each language's compiler or runtime version, as the most recently seen worker's guest image reported them.</summary>
    public static async Task<Dictionary<string, string>> ReportedVersionsAsync(JudgeDbContext db, CancellationToken cancellationToken)
    {
        var reported = await db.WorkerHeartbeats.AsNoTracking().OrderByDescending(w => w.LastSeenAt)
            .Select(w => w.Languages).FirstOrDefaultAsync(cancellationToken);
        return reported is null ? [] : JsonSerializer.Deserialize<Dictionary<string, string>>(reported) ?? [];
    }

    /// <summary>The first version number in a tool's version line ("gcc (Debian 12.2.0-14) 12.2.0" is 12.2.0), as Jobe and Judge0 show them.</summary>
    public static string? VersionNumber(string? versionLine) =>
        versionLine is null ? null : VersionPattern().Match(versionLine) is { Success: true } match ? match.Value : versionLine;

    [System.Text.RegularExpressions.GeneratedRegex(@"\d+(\.\d+)+")]
    private static partial System.Text.RegularExpressions.Regex VersionPattern();
}
