using System.Globalization;
using Judge.Sandbox.Vms;

namespace Judge.Sandbox.Tests;

/// <summary>Unit tests of the clean-up of VMs left behind by dead host processes (no QEMU involved).</summary>
public sealed class VmDirectoryTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("judge-vms-test-").FullName;

    [Fact]
    public void Directories_of_dead_owners_are_removed_and_those_of_live_owners_kept()
    {
        var mine = VmDirectory.Create(_root);
        var orphan = VmDirectory.Create(_root);
        File.WriteAllText(Path.Combine(orphan.Path, "owner"), int.MaxValue.ToString(CultureInfo.InvariantCulture));

        var removed = VmDirectory.RemoveOrphans(_root);

        Assert.Equal(1, removed);
        Assert.True(Directory.Exists(mine.Path));
        Assert.False(Directory.Exists(orphan.Path));
    }

    [Fact]
    public void A_vm_directory_is_private_to_its_owner()
    {
        var vm = VmDirectory.Create(_root);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(vm.Path));
        Assert.StartsWith("vm-", vm.Id, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
