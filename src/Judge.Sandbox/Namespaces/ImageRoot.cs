using Judge.Sandbox.Images;
using Judge.Sandbox.Processes;

namespace Judge.Sandbox.Namespaces;

/// <summary>
/// The root of namespace sandboxes: the guest image's own squashfs, the very file VMs boot from, mounted read-only on
/// the image's root/ once per host. A file system of its own rather than an unpacked copy in a host directory, because
/// a bind mount shows in /proc/self/mountinfo the path of its source within its file system, and a sandboxed program
/// must read no host path: bound from this mount, /usr is "/usr". The mount outlives the worker, to be found by the
/// next; the image build unmounts it when it prunes the image.
/// </summary>
internal static class ImageRoot
{
    private static readonly TimeSpan MountTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Mounts the root unless it is mounted; true when this call mounted it. An <see cref="IOException"/> says why it cannot be.</summary>
    public static async Task<bool> MountAsync(GuestImage image, CancellationToken cancellationToken)
    {
        var root = image.RootDirectory;
        if (IsMounted(root))
        {
            return false;
        }

        // Workers starting together on one host mount it once: the first holds the lock, the others then find it mounted.
        await using var held = await CrossProcessLock.AcquireAsync(Path.Combine(image.Directory, ".root.lock"), cancellationToken);
        if (IsMounted(root))
        {
            return false;
        }

        Directory.CreateDirectory(root);
        var mount = await HostProcess.RunAsync("mount", ["-t", "squashfs", "-o", "ro,nosuid,nodev,loop", image.RootfsPath, root], MountTimeout,
            cancellationToken: cancellationToken);
        if (mount.ExitCode != 0 || !IsMounted(root))
        {
            throw new IOException($"cannot mount the guest image's {image.RootfsPath} on {root} (mount exited with {mount.ExitCode}): {mount.Stderr.Trim()}");
        }

        return true;
    }

    /// <summary>The image's root/ is empty until the squashfs is mounted on it.</summary>
    private static bool IsMounted(string root) => Directory.Exists(Path.Combine(root, "usr"));
}
