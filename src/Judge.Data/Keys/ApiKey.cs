using System.Security.Cryptography;
using System.Text;

namespace Judge.Data.Keys;

public sealed class ApiKey
{
    public Guid Id { get; set; }

    public required string Name { get; set; }

    public required byte[] KeyHash { get; set; }

    public required string Prefix { get; set; }

    public bool IsAdmin { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime? RevokedAt { get; set; }

    /// <summary>The HMAC-SHA256 key of this key's callbacks; its owner is shown it once, when it is made.</summary>
    public string? SigningSecret { get; set; }

    /// <summary>A new random key (shown to its owner once) and the row that stores only its hash.</summary>
    public static (string Key, ApiKey Row) Create(string name, bool isAdmin)
    {
        var key = "jdg_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        return (key, new ApiKey
        {
            Id = Guid.CreateVersion7(),
            Name = name,
            KeyHash = Hash(key),
            Prefix = key[..12],
            IsAdmin = isAdmin,
            CreatedAt = DateTime.UtcNow,
            SigningSecret = NewSigningSecret(),
        });
    }

    public static string NewSigningSecret() => "whsec_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    /// <summary>Keys are long random strings, so a plain SHA-256 is enough (no password stretching needed).</summary>
    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
