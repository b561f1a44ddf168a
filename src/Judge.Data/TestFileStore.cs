using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;

namespace Judge.Data;

/// <summary>Test files are stored once by their SHA-256, whichever problems and versions share them.</summary>
public static class TestFileStore
{
    /// <summary>Stores <paramref name="content"/> unless a file with its hash exists; returns the hash.</summary>
    public static async Task<byte[]> StoreAsync(JudgeDbContext db, byte[] content, CancellationToken cancellationToken)
    {
        var hash = SHA256.HashData(content);
        await db.Database.ExecuteSqlAsync(
            $"INSERT INTO test_files (sha256, size, content) VALUES ({hash}, {(long)content.Length}, {content}) ON CONFLICT (sha256) DO NOTHING",
            cancellationToken);
        return hash;
    }
}
