/* What confines every run, in a VM and in a namespace sandbox alike (docs/sandbox.md, "Threat model").
 *
 * Its own view (view_enter, in the run's child while it is still root): new mount and IPC namespaces (and, in
 * namespace mode, a cgroup namespace), a fresh tmpfs on every directory a run may write to, the host's
 * read-only paths bound read-only and its hidden paths covered by an empty read-only tmpfs. All of it dies
 * with the run's last process, so nothing a run writes, creates or leaves in System V or POSIX IPC reaches
 * a later run: not the next test, not a validator; and no clearing between runs can be defeated.
 *
 * What a judged program (any run that is not root) may not do: keep a capability in its bounding set, or
 * make the syscalls the seccomp filter below refuses. */
#define _GNU_SOURCE
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *const scratch_dirs[] = {SCRATCH_DIRS};

/* ---- mounts ------------------------------------------------------------------------------------- */

int remount_readonly(const char *path, unsigned long extra) {
    struct statvfs sv;
    if (statvfs(path, &sv) < 0) return -1;
    /* Flags the mount has (nosuid, nodev, noexec) are kept: in a user namespace they are locked, and
     * dropping one fails. */
    unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY | extra;
    if (sv.f_flag & ST_NOSUID) flags |= MS_NOSUID;
    if (sv.f_flag & ST_NODEV) flags |= MS_NODEV;
    if (sv.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
    if (sv.f_flag & ST_NOATIME) flags |= MS_NOATIME;
    if (sv.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
    if (sv.f_flag & ST_RELATIME) flags |= MS_RELATIME;
    return mount(NULL, path, NULL, flags, NULL);
}

/* The directory at `path`, opened by path.c's walk (so a planted link is never mounted over), as a
 * /proc/self/fd path to mount on; *fd is -1 and the call succeeds when there is no such directory. */
static int target(const char *path, int *fd, char buf[32]) {
    *fd = path_open(path, O_PATH | O_DIRECTORY, 0, false);
    if (*fd < 0) return errno == ENOENT ? 0 : -1;
    snprintf(buf, 32, "/proc/self/fd/%d", *fd);
    return 0;
}

static int fresh_tmpfs(const char *path, unsigned long flags, const char *data) {
    int fd;
    char at[32];
    if (target(path, &fd, at) < 0) return -1;
    if (fd < 0) return 0;
    int rc = mount("tmpfs", at, "tmpfs", flags, data);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

static int bind_readonly(const char *path) {
    int fd;
    char at[32];
    if (target(path, &fd, at) < 0) return -1;
    if (fd < 0) return 0;
    int rc = mount(at, at, NULL, MS_BIND, NULL);
    int e = errno;
    close(fd);
    if (rc < 0) {
        errno = e;
        return -1;
    }
    /* Opened again: the first descriptor is on the directory under the new mount. */
    if (target(path, &fd, at) < 0 || fd < 0) return -1;
    rc = remount_readonly(at, MS_NOSUID | MS_NODEV);
    e = errno;
    close(fd);
    errno = e;
    return rc;
}

int view_enter(const struct view *v, int64_t mem, const char **failed) {
    *failed = "unshare";
    if (unshare(CLONE_NEWNS | CLONE_NEWIPC | (ns_mode ? CLONE_NEWCGROUP : 0)) < 0) return -1;
    char data[96];
    int n = snprintf(data, sizeof data, "mode=1777,nr_inodes=%d", SCRATCH_INODES);
    if (mem > 0) snprintf(data + n, sizeof data - (size_t)n, ",size=%lld", (long long)mem);
    for (size_t i = 0; i < sizeof scratch_dirs / sizeof scratch_dirs[0]; i++) {
        *failed = scratch_dirs[i];
        if (fresh_tmpfs(scratch_dirs[i], MS_NOSUID | MS_NODEV, data) < 0) return -1;
    }
    for (size_t i = 0; i < v->nreadonly; i++) {
        *failed = v->readonly[i];
        if (bind_readonly(v->readonly[i]) < 0) return -1;
    }
    for (size_t i = 0; i < v->nhidden; i++) {
        *failed = v->hidden[i];
        if (fresh_tmpfs(v->hidden[i], MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=4k,nr_inodes=4") < 0) return -1;
    }
    return 0;
}

/* ---- what every judged program loses ------------------------------------------------------------ */

int drop_capability_bounding_set(void) {
    for (int cap = 0; cap <= 63; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) return -1;
    return 0;
}

/* Denied with EPERM: what a judged program never needs and what widens the kernel's attack surface, or
 * keeps state beyond the run (keyrings are per user, not per process). clone3 gets ENOSYS (its flags are
 * behind a pointer, out of seccomp's reach), so libc falls back to clone, whose namespace flags are checked.
 * Other architectures' entry points (int 0x80, x32) are refused outright. */
static const int denied[] = {
    SYS_ptrace, SYS_process_vm_readv, SYS_process_vm_writev, SYS_mount, SYS_umount2, SYS_pivot_root, SYS_chroot,
    SYS_swapon, SYS_swapoff, SYS_reboot, SYS_kexec_load, SYS_kexec_file_load, SYS_init_module, SYS_finit_module,
    SYS_delete_module, SYS_unshare, SYS_setns, SYS_acct, SYS_settimeofday, SYS_clock_settime, SYS_clock_adjtime,
    SYS_adjtimex, SYS_iopl, SYS_ioperm, SYS_bpf, SYS_perf_event_open, SYS_keyctl, SYS_add_key, SYS_request_key,
    SYS_userfaultfd, SYS_open_by_handle_at, SYS_name_to_handle_at, SYS_syslog, SYS_quotactl, SYS_lookup_dcookie,
    SYS_fsopen, SYS_fsconfig, SYS_fsmount, SYS_fspick, SYS_move_mount, SYS_open_tree, SYS_mount_setattr,
    SYS_io_uring_setup, SYS_io_uring_enter, SYS_io_uring_register, SYS_vhangup, SYS_sethostname, SYS_setdomainname,
    SYS_uselib, SYS_kcmp, SYS_pidfd_getfd,
};

/* The socket families a program may use; any other (AF_VSOCK, which no network namespace confines, AF_ALG,
 * AF_PACKET, ...) gets EAFNOSUPPORT, as from a kernel without it. Netlink is for libc's getaddrinfo and
 * getifaddrs; with no network device there is nothing to reach through the others. */
static const int allowed_families[] = {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK};

#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

int install_seccomp_filter(void) {
    enum { N = sizeof denied / sizeof denied[0], F = sizeof allowed_families / sizeof allowed_families[0] };
    struct sock_filter f[8 + 2 * N + 6 + F + 8];
    size_t n = 0;
#define ADD(...) f[n++] = (struct sock_filter)__VA_ARGS__
    ADD(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
    ADD(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0));
    ADD(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
    ADD(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
    ADD(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1)); /* x32 */
    ADD(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
    for (size_t i = 0; i < N; i++) {
        ADD(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)denied[i], 0, 1));
        ADD(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM));
    }
    /* socket and socketpair: the family (the low 32 bits of the first argument) against the allowed ones. */
    ADD(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 1, 0));
    ADD(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socketpair, 0, F + 3));
    ADD(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])));
    for (size_t i = 0; i < F; i++) ADD(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)allowed_families[i], (unsigned char)(F - i), 0));
    ADD(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EAFNOSUPPORT));
    ADD(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    ADD(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1));
    ADD(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS));
    ADD(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 3));
    ADD(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]))); /* low 32 bits of flags */
    ADD(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, NS_FLAGS, 0, 1));
    ADD(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM));
    ADD(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
#undef ADD
    struct sock_fprog prog = {.len = (unsigned short)n, .filter = f};
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}
