using System.Collections.Concurrent;
using Judge.Data.Keys;
using Npgsql;

namespace Judge.Api.Auth;

/// <summary>A key that authenticated.</summary>
public sealed record KnownKey(Guid Id, string Name, bool IsAdmin);

/// <summary>
/// Finds the key a header carries, by its hash. A facade's clients send a key with every run, dozens a second, so what was
/// looked up is kept for <see cref="Keep"/>: a revoked key may go on working for that long.
/// </summary>
public sealed class ApiKeyLookup(NpgsqlDataSource dataSource)
{
    public static readonly TimeSpan Keep = TimeSpan.FromSeconds(30);

    /// <summary>Beyond this many remembered keys (most of them unknown ones a client made up) the memory starts again.</summary>
    private const int MaxRemembered = 10_000;

    private readonly ConcurrentDictionary<string, (KnownKey? Key, long Until)> _remembered = new(StringComparer.Ordinal);

    /// <summary>The key, or null when it is unknown or revoked.</summary>
    public async ValueTask<KnownKey?> FindAsync(string presented, CancellationToken cancellationToken)
    {
        var now = Environment.TickCount64;
        if (_remembered.TryGetValue(presented, out var remembered) && remembered.Until > now)
        {
            return remembered.Key;
        }

        await using var command = dataSource.CreateCommand("SELECT id, name, is_admin FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL");
        command.Parameters.Add(new NpgsqlParameter { Value = ApiKey.Hash(presented) });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var key = await reader.ReadAsync(cancellationToken) ? new KnownKey(reader.GetGuid(0), reader.GetString(1), reader.GetBoolean(2)) : null;
        if (_remembered.Count >= MaxRemembered)
        {
            _remembered.Clear();
        }

        _remembered[presented] = (key, now + (long)Keep.TotalMilliseconds);
        return key;
    }
}
