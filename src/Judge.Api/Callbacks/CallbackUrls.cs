using Judge.Api.Validation;
using Judge.Data;
using Microsoft.EntityFrameworkCore;

namespace Judge.Api.Callbacks;

/// <summary>Whether a callback URL may be called: http or https, no credentials, and a host the operator allowed.</summary>
public static class CallbackUrls
{
    public const int MaxLength = 2000;

    /// <summary>Why <paramref name="url"/> may not be called, or null when it may.</summary>
    public static string? Refusal(string url, CallbackOptions options)
    {
        if (url.Length > MaxLength)
        {
            return $"is {url.Length} characters; the limit is {MaxLength}.";
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            return "must be an absolute http or https URL.";
        }

        if (uri.UserInfo.Length > 0)
        {
            return "must not carry credentials; a receiver checks the signature header instead.";
        }

        if (!options.AllowedHosts.Any(allowed => Matches(uri, allowed)))
        {
            return options.AllowedHosts.Count == 0
                ? "is not allowed: this server allows callbacks to no host (setting Callbacks:AllowedHosts)."
                : $"names host '{uri.Authority}', which is not among those this server allows callbacks to (setting Callbacks:AllowedHosts).";
        }

        return null;
    }

    /// <summary>
    /// Checks an optional callback URL of a request by <paramref name="keyId"/>: allowed, and the key has a secret to sign with.
    /// </summary>
    public static async Task CheckAsync(
        ValidationErrors errors, string field, string? url, Guid keyId, JudgeDbContext db, CallbackOptions options, CancellationToken cancellationToken)
    {
        if (url is null)
        {
            return;
        }

        if (Refusal(url, options) is { } refusal)
        {
            errors.Add(field, $"'{field}' {refusal}");
        }
        else if (!await db.ApiKeys.AnyAsync(k => k.Id == keyId && k.SigningSecret != null, cancellationToken))
        {
            errors.Add(field, $"'{field}' needs a signing secret, which this key (made before callbacks) lacks: make one with POST /api/keys/current/signing-secret.");
        }
    }

    private static bool Matches(Uri uri, string allowed)
    {
        var (host, port) = SplitPort(allowed.Trim());
        if (port is { } wanted && uri.Port != wanted)
        {
            return false;
        }

        var actual = uri.IdnHost.Trim('[', ']');
        return host.StartsWith("*.", StringComparison.Ordinal)
            ? actual.EndsWith(host[1..], StringComparison.OrdinalIgnoreCase)
            : actual.Equals(host, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary><c>host</c>, <c>host:port</c>, <c>[v6]</c> or <c>[v6]:port</c>; a bare IPv6 address has no port.</summary>
    private static (string Host, int? Port) SplitPort(string allowed)
    {
        var close = allowed.LastIndexOf(']');
        var colon = allowed.LastIndexOf(':');
        var hasPort = colon > close && (close >= 0 || allowed.IndexOf(':') == colon);
        return hasPort && int.TryParse(allowed[(colon + 1)..], out var port)
            ? (allowed[..colon].Trim('[', ']'), port)
            : (allowed.Trim('[', ']'), null);
    }
}
