using System.Globalization;
using Judge.Sandbox.Images;
using Judge.Sandbox.Settings;
using Judge.Sandbox.Vms;

namespace Judge.Sandbox.Qemu;

/// <summary>
/// Builds QEMU's arguments. Cold boots and snapshot restores must describe the same machine (devices, memory,
/// CPU) or the restore fails, so both come from here.
/// </summary>
internal static class QemuCommandLine
{
    public static List<string> Build(
        SandboxOptions options, GuestImage image, HostFacts host, Isolation accelerator, VmDirectory vm,
        bool withQmp = false, bool incoming = false)
    {
        var kernelArgs = "console=ttyS0 quiet loglevel=3 panic=-1 tsc=reliable";
        if (host.TscKhz > 0)
        {
            kernelArgs += " tsc_early_khz=" + host.TscKhz.ToString(CultureInfo.InvariantCulture);
        }

        List<string> args =
        [
            "-name", "judge-" + vm.Id,
            "-nodefaults", "-no-user-config", "-display", "none", "-nic", "none",
            "-m", options.VmMemoryMb.ToString(CultureInfo.InvariantCulture),
            "-smp", "1", "-no-reboot",
            "-M", "microvm",
            // Defence in depth should the guest escape into QEMU: no new processes, no privilege changes.
            "-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny",
            "-kernel", image.KernelPath,
            "-initrd", image.InitramfsPath,
            "-append", kernelArgs,
            "-drive", $"file={image.RootfsPath},format=raw,if=none,id=root,readonly=on",
            "-device", "virtio-blk-device,drive=root",
            "-object", "rng-random,id=rng0,filename=/dev/urandom",
            "-device", "virtio-rng-device,rng=rng0",
            "-chardev", $"socket,id=ctl,path={vm.ControlSocket}",
            "-device", "virtio-serial-device",
            "-device", "virtserialport,chardev=ctl,name=ctl",
            "-serial", options.GuestConsoleLog ? $"file:{vm.ConsoleLog}" : "null",
            "-pidfile", vm.PidFile,
        ];
        args.AddRange(accelerator == Isolation.Kvm
            ? ["-accel", "kvm", "-cpu", "host"]
            : ["-accel", $"tcg,thread=single,tb-size={options.TcgTranslationCacheMb}", "-cpu", "max"]);
        if (withQmp)
        {
            args.AddRange(["-qmp", $"unix:{vm.QmpSocket},server=on,wait=off"]);
        }

        if (incoming)
        {
            args.AddRange(["-incoming", $"unix:{vm.IncomingSocket}"]);
        }

        return args;
    }
}
