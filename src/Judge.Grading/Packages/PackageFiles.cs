using System.IO.Compression;

namespace Judge.Grading.Packages;

/// <summary>A malformed package: names the file (and the line, for YAML) and what is wrong.</summary>
public sealed class PackageException(string file, int? line, string problem)
    : Exception(line is null ? $"{file}: {problem}" : $"{file}:{line}: {problem}")
{
    public string File { get; } = file;

    public int? Line { get; } = line;

    public string Problem { get; } = problem;
}

/// <summary>The files of a problem package by relative path ('/'-separated), from a zip or a directory.</summary>
public sealed class PackageFiles
{
    public const long MaxTotalBytes = 1L << 30;
    public const int MaxFiles = 50_000;

    private readonly SortedDictionary<string, byte[]> _files;

    public PackageFiles(IDictionary<string, byte[]> files)
    {
        _files = new SortedDictionary<string, byte[]>(files.ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal);
    }

    public IEnumerable<string> Paths => _files.Keys;

    public bool Exists(string path) => _files.ContainsKey(path);

    public byte[] Read(string path) => _files[path];

    /// <summary>Paths under <paramref name="directory"/> (no trailing slash), recursively.</summary>
    public IEnumerable<string> Under(string directory) => _files.Keys.Where(p => p.StartsWith(directory + "/", StringComparison.Ordinal));

    public bool DirectoryExists(string directory) => Under(directory).Any();

    /// <summary>
    /// Reads a zip. When every entry sits in one top-level folder (a zipped package directory), that folder is the
    /// package root and its name is returned as the suggested slug. Bounded against zip bombs and path tricks.
    /// </summary>
    public static (PackageFiles Files, string? TopFolder) FromZip(Stream zip)
    {
        ZipArchive archive;
        try
        {
            archive = new ZipArchive(zip, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw new PackageException("(package)", null, $"not a zip archive: {e.Message}");
        }

        using (archive)
        {
            var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            long total = 0;
            foreach (var entry in archive.Entries)
            {
                var path = entry.FullName.Replace('\\', '/');
                if (path.EndsWith('/'))
                {
                    continue;
                }

                if (path.StartsWith('/') || path.Split('/').Any(part => part is ".." or "."))
                {
                    throw new PackageException(path, null, "unsafe path in the archive");
                }

                total += entry.Length;
                if (total > MaxTotalBytes || files.Count >= MaxFiles)
                {
                    throw new PackageException(path, null, $"the package is too large (over {MaxTotalBytes >> 20} MiB or {MaxFiles} files unpacked)");
                }

                using var stream = entry.Open();
                using var buffer = new MemoryStream((int)Math.Min(entry.Length, int.MaxValue));
                stream.CopyTo(buffer);
                files[path] = buffer.ToArray();
            }

            var tops = files.Keys.Select(p => p.Split('/')[0]).Distinct().ToList();
            if (tops.Count == 1 && files.Keys.All(p => p.Contains('/', StringComparison.Ordinal)) && !files.ContainsKey("problem.yaml"))
            {
                var prefix = tops[0] + "/";
                return (new PackageFiles(files.ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value)), tops[0]);
            }

            return (new PackageFiles(files), null);
        }
    }

    public static PackageFiles FromDirectory(string directory)
    {
        var root = Path.GetFullPath(directory);
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            // A symbolic link that leads nowhere (a checkout's problem.pdf into a docs tree left behind) is no file of the package.
            if (new FileInfo(file) is { LinkTarget: not null } link && link.ResolveLinkTarget(returnFinalTarget: true) is not { Exists: true })
            {
                continue;
            }

            files[Path.GetRelativePath(root, file).Replace('\\', '/')] = File.ReadAllBytes(file);
        }

        return new PackageFiles(files);
    }

    /// <summary>The package as a zip, to upload a directory through the API.</summary>
    public byte[] ToZip()
    {
        using var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (path, content) in _files)
            {
                using var entry = archive.CreateEntry(path, CompressionLevel.Fastest).Open();
                entry.Write(content);
            }
        }

        return buffer.ToArray();
    }

    /// <summary>A content hash of the whole package: an unchanged re-import is recognised and makes no new version.</summary>
    public byte[] Sha256()
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var (path, content) in _files)
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(path));
            hash.AppendData(BitConverter.GetBytes((long)content.Length));
            hash.AppendData(content);
        }

        return hash.GetHashAndReset();
    }
}
