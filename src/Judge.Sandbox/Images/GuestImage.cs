using System.Text.Json;
using System.Text.Json.Serialization;

namespace Judge.Sandbox.Images;

/// <summary>The guest image built by deploy/guest-image/build.sh: files plus the manifest naming its version.</summary>
public sealed record GuestImage(
    string Directory,
    string Version,
    int ProtocolVersion,
    string KernelRelease,
    IReadOnlyDictionary<string, string> LanguageVersions)
{
    public string KernelPath => Path.Combine(Directory, "vmlinux");

    public string InitramfsPath => Path.Combine(Directory, "initramfs.cpio.gz");

    public string RootfsPath => Path.Combine(Directory, "rootfs.sqfs");

    /// <summary>The root file system as a directory tree, for namespace sandboxes (a link into the build cache).</summary>
    public string RootDirectory => Path.Combine(Directory, "root");

    /// <summary>The static agent, also run on the host by namespace sandboxes.</summary>
    public string AgentPath => Path.Combine(Directory, "judge-agent");

    public static GuestImage Load(string directory)
    {
        var full = Path.GetFullPath(directory);
        var manifestPath = Path.Combine(full, "manifest.json");
        if (!File.Exists(manifestPath))
        {
            throw new GuestImageException(
                $"No guest image at {full} (manifest.json missing). Build it with deploy/guest-image/build.sh " +
                "or point Sandbox:ImageDirectory / JUDGE_GUEST_IMAGE at one.");
        }

        Manifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<Manifest>(File.ReadAllText(manifestPath))
                ?? throw new GuestImageException($"{manifestPath} is empty.");
        }
        catch (JsonException e)
        {
            throw new GuestImageException($"{manifestPath} is not valid JSON: {e.Message}");
        }

        if (string.IsNullOrWhiteSpace(manifest.Version))
        {
            throw new GuestImageException($"{manifestPath} has no \"version\".");
        }

        var image = new GuestImage(full, manifest.Version, manifest.ProtocolVersion, manifest.KernelRelease ?? "unknown",
            manifest.Languages ?? new Dictionary<string, string>());
        foreach (var file in new[] { image.KernelPath, image.InitramfsPath, image.RootfsPath })
        {
            if (!File.Exists(file))
            {
                throw new GuestImageException($"The guest image at {full} lacks {Path.GetFileName(file)}; rebuild it with deploy/guest-image/build.sh.");
            }
        }

        if (image.ProtocolVersion != Protocol.AgentProtocol.Version)
        {
            throw new Protocol.AgentVersionMismatchException(
                $"The guest image at {full} carries agent protocol version {image.ProtocolVersion}, but this host speaks version " +
                $"{Protocol.AgentProtocol.Version}. Rebuild it with deploy/guest-image/build.sh.");
        }

        return image;
    }

    private sealed record Manifest(
        [property: JsonPropertyName("version")] string Version,
        [property: JsonPropertyName("protocolVersion")] int ProtocolVersion,
        [property: JsonPropertyName("kernelRelease")] string? KernelRelease,
        [property: JsonPropertyName("languages")] Dictionary<string, string>? Languages);
}

public sealed class GuestImageException(string message) : Exception(message);
