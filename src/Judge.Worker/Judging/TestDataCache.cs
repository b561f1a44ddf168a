using Judge.Data;
using Judge.Sandbox.Settings;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Judge.Worker.Judging;

/// <summary>Test inputs and answers on local disk by SHA-256, fetched from PostgreSQL on first use.</summary>
public sealed class TestDataCache(IServiceScopeFactory scopes, IOptions<WorkerOptions> options, IOptions<SandboxOptions> sandbox)
{
    private readonly string _directory = Path.Combine(options.Value.CacheDirectory ?? sandbox.Value.ResolveCacheDirectory(), "testdata");

    public async Task<byte[]> GetAsync(byte[] sha256, CancellationToken cancellationToken)
    {
        var path = Path.Combine(_directory, Convert.ToHexStringLower(sha256));
        if (File.Exists(path))
        {
            return await File.ReadAllBytesAsync(path, cancellationToken);
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<JudgeDbContext>();
        var content = await db.TestFiles.AsNoTracking().Where(f => f.Sha256 == sha256).Select(f => f.Content).SingleOrDefaultAsync(cancellationToken)
            ?? throw new UnjudgeableException($"Test file {Convert.ToHexStringLower(sha256)} is missing from the database.");

        // Written aside and renamed: a reader never sees half a file, and concurrent fetches are harmless.
        Directory.CreateDirectory(_directory);
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        await File.WriteAllBytesAsync(temporary, content, cancellationToken);
        File.Move(temporary, path, overwrite: true);
        return content;
    }
}
