using Judge.Sandbox.Images;
using Judge.Sandbox.Protocol;

namespace Judge.Sandbox.Tests;

/// <summary>Unit tests of loading the guest image manifest.</summary>
public sealed class GuestImageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("judge-image-test-").FullName;

    [Fact]
    public void A_missing_image_says_how_to_build_one()
    {
        var error = Assert.Throws<GuestImageException>(() => GuestImage.Load(_dir));

        Assert.Contains("deploy/guest-image/build.sh", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_image_built_for_another_protocol_version_is_refused()
    {
        WriteImage(protocolVersion: 99);

        var error = Assert.Throws<AgentVersionMismatchException>(() => GuestImage.Load(_dir));

        Assert.Contains("99", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_image_missing_a_file_names_the_file()
    {
        WriteImage(AgentProtocol.Version);
        File.Delete(Path.Combine(_dir, "rootfs.sqfs"));

        var error = Assert.Throws<GuestImageException>(() => GuestImage.Load(_dir));

        Assert.Contains("rootfs.sqfs", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_complete_image_loads_its_version_and_language_versions()
    {
        WriteImage(AgentProtocol.Version);

        var image = GuestImage.Load(_dir);

        Assert.Equal("abc123", image.Version);
        Assert.Equal("Python 3.11.2", image.LanguageVersions["python"]);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private void WriteImage(int protocolVersion)
    {
        foreach (var file in new[] { "vmlinux", "initramfs.cpio.gz", "rootfs.sqfs" })
        {
            File.WriteAllText(Path.Combine(_dir, file), "x");
        }

        File.WriteAllText(Path.Combine(_dir, "manifest.json"),
            $$$"""{"version":"abc123","protocolVersion":{{{protocolVersion}}},"kernelRelease":"6.1.0","languages":{"python":"Python 3.11.2"}}""");
    }
}
