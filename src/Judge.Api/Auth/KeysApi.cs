using Judge.Data;
using Judge.Data.Keys;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Judge.Api.Auth;

public sealed record CurrentKeyResponse(Guid Id, string Name, string Prefix, bool IsAdmin, bool HasSigningSecret, DateTime CreatedAt);

/// <summary>Shown once: Judge signs this key's callbacks with it from now on; the previous one stops verifying.</summary>
public sealed record SigningSecretResponse(string SigningSecret, string Algorithm, string Header);

/// <summary>The calling key: what it is, and its callback signing secret (made anew on request, never shown again).</summary>
public static class KeysApi
{
    public static RouteGroupBuilder MapKeysApi(this IEndpointRouteBuilder app, string signatureHeader)
    {
        var group = app.MapGroup("/api/keys/current").WithTags("Keys").RequireAuthorization();
        group.MapGet("/", async Task<Ok<CurrentKeyResponse>> (HttpContext http, JudgeDbContext db, CancellationToken ct) =>
        {
            var id = Caller.From(http.User).KeyId;
            return TypedResults.Ok(await db.ApiKeys.AsNoTracking().Where(k => k.Id == id)
                .Select(k => new CurrentKeyResponse(k.Id, k.Name, k.Prefix, k.IsAdmin, k.SigningSecret != null, k.CreatedAt)).SingleAsync(ct));
        }).WithSummary("The key making the call (never its secret or its signing secret).");
        group.MapPost("/signing-secret", async Task<Ok<SigningSecretResponse>> (HttpContext http, JudgeDbContext db, CancellationToken ct) =>
        {
            var id = Caller.From(http.User).KeyId;
            var secret = ApiKey.NewSigningSecret();
            await db.ApiKeys.Where(k => k.Id == id).ExecuteUpdateAsync(set => set.SetProperty(k => k.SigningSecret, secret), ct);
            return TypedResults.Ok(new SigningSecretResponse(secret, "HMAC-SHA256", signatureHeader));
        }).WithSummary("Makes a new callback signing secret for this key and shows it once; callbacks signed from now on use it.");
        return group;
    }
}
