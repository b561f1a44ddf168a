using System.Net;
using Judge.Api.Auth;
using Judge.Api.Runs;

namespace Judge.Api.Facades;

/// <summary>Whether a facade's caller may run: the key it came with, or none.</summary>
public sealed record FacadeCaller(Guid? KeyId, string? Refusal)
{
    public bool Admitted => Refusal is null;
}

/// <summary>
/// Who may use the Jobe and Judge0 facades. As on a Jobe server, keys are off by default, but only for callers on the API's
/// own host (loopback): a course platform on another machine needs a Judge API key in the facade's header, whatever it sends
/// there otherwise (Jobe's test program always sends a key of its own, which a key-less Jobe ignores, and so does this).
/// </summary>
public static class FacadeAccess
{
    public static async Task<FacadeCaller> AdmitAsync(HttpContext http, string header, ApiKeyLookup keys, RunsOptions options)
    {
        var presented = http.Request.Headers[header].ToString().Trim();
        if (presented.Length > 0 && await keys.FindAsync(presented, http.RequestAborted) is { } key)
        {
            return new FacadeCaller(key.Id, null);
        }

        if (!options.RequireKeyOnLoopback && http.Connection.RemoteIpAddress is { } address && IPAddress.IsLoopback(address))
        {
            return new FacadeCaller(null, null);
        }

        return new FacadeCaller(null, presented.Length == 0 ? "Missing API key" : "Unknown API key");
    }
}
