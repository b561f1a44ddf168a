/* Namespace mode: for hosts where no VM boots at full speed, the agent runs as the first process of
 * a fresh set of Linux namespaces on the host instead of as PID 1 of a VM. The host starts
 *
 *   judge-agent --namespace --root IMAGE_ROOT --socket PATH --image-version V --name NAME
 *               [--uid-base N] [--cpu N] [--memory BYTES] [--pids N]
 *               (--cgroup2 BASE | --cgroup1 MEMORY_BASE PIDS_BASE CPUACCT_BASE)
 *
 * as root. This first process (the "outer" one) stays on the host: it makes the sandbox's cgroups
 * BASE/NAME (whole-sandbox memory and process limits) with BASE/NAME/agent for the agent itself,
 * delegates them to the sandbox's root user, joins BASE/NAME/agent (the host removes the groups after
 * the sandbox ends), connects to the host's control socket, pins itself to one CPU and
 * clones the sandbox's first process into new user, mount, PID, network, IPC and UTS namespaces; it
 * writes the user namespace's ID maps (sandbox IDs 0-65535 are host IDs N..N+65535, so even the
 * sandbox's root is an unprivileged host user), then waits and exits with it. If the outer process is
 * killed, the sandbox's first process gets SIGKILL (PR_SET_PDEATHSIG), and with it the whole PID
 * namespace goes.
 *
 * The first process builds the sandbox's root: a small tmpfs with the image's top-level directories
 * bound read-only (and its top-level symlinks copied), tmpfs on /tmp, /box and /dev/shm, a /dev with
 * only null, zero, full, random and urandom, a fresh /proc, no /sys and no cgroup file system (the
 * cgroups are reached through directory fds opened on the host). Then pivot_root, the host's root
 * detached, hostname "judge", and it becomes the sandbox's root user and serves the protocol.
 * Each RUN's child additionally drops every capability from its bounding set and installs a seccomp
 * filter (below) after PR_SET_NO_NEW_PRIVS. */
#define _GNU_SOURCE
#include "agent.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

bool ns_mode;
const char *ns_image_version = "unknown";

#define ID_RANGE 65536
#define RUN_UID 1000 /* owner of /box, as in the VM */

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    dprintf(2, "judge-agent: namespace setup: %s\n", buf);
    _exit(111);
}

struct options {
    const char *root, *socket, *name, *cg2, *cg1[3];
    long uid_base, cpu, memory, pids;
};

static void parse(int argc, char **argv, struct options *o) {
    memset(o, 0, sizeof *o);
    o->cpu = -1;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
#define VALUE() (i + 1 < argc ? argv[++i] : (die("%s needs a value", a), ""))
        if (!strcmp(a, "--root")) o->root = VALUE();
        else if (!strcmp(a, "--socket")) o->socket = VALUE();
        else if (!strcmp(a, "--image-version")) ns_image_version = VALUE();
        else if (!strcmp(a, "--uid-base")) o->uid_base = strtol(VALUE(), NULL, 10);
        else if (!strcmp(a, "--cpu")) o->cpu = strtol(VALUE(), NULL, 10);
        else if (!strcmp(a, "--name")) o->name = VALUE();
        else if (!strcmp(a, "--memory")) o->memory = strtol(VALUE(), NULL, 10);
        else if (!strcmp(a, "--pids")) o->pids = strtol(VALUE(), NULL, 10);
        else if (!strcmp(a, "--cgroup2")) o->cg2 = VALUE();
        else if (!strcmp(a, "--cgroup1")) {
            if (i + 3 >= argc) die("--cgroup1 needs the memory, pids and cpuacct groups");
            for (int k = 0; k < 3; k++) o->cg1[k] = argv[++i];
        } else die("unknown argument '%s'", a);
#undef VALUE
    }
    if (!o->root || !o->socket || !o->name) die("--root, --socket and --name are required");
    if (!o->name[0] || strchr(o->name, '/') || o->name[0] == '.') die("--name '%s' is not a plain name", o->name);
    if (!o->cg2 && !o->cg1[0]) die("--cgroup2 or --cgroup1 is required");
    if (o->uid_base < 0 || o->uid_base > 0xFFFFFFFFL - ID_RANGE) die("--uid-base %ld is out of range", o->uid_base);
}

/* ---- the outer process (on the host, as root) ---------------------------------------------------- */

static int open_dir(const char *path) {
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) die("%s: %s", path, strerror(errno));
    return fd;
}

static void cg_set(int dirfd, const char *base, const char *name, const char *file, const char *value) {
    if (write_small_file_at(dirfd, file, value) < 0) die("%s/%s/%s = %s: %s", base, name, file, value, strerror(errno));
}

static void cg_chown(int dirfd, const char *file, uid_t uid) {
    if (fchownat(dirfd, file, uid, uid, AT_EMPTY_PATH) < 0 && errno != ENOENT) die("chown %s: %s", *file ? file : ".", strerror(errno));
}

/* BASE/NAME with the sandbox-wide limits, and BASE/NAME/agent, which we join; returns BASE/NAME. */
static int make_group(const char *base, const struct options *o, bool v2, const char *const *limits) {
    int base_fd = open_dir(base);
    if (mkdirat(base_fd, o->name, 0755) < 0) die("mkdir %s/%s: %s", base, o->name, strerror(errno));
    int fd = openat(base_fd, o->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) die("%s/%s: %s", base, o->name, strerror(errno));
    close(base_fd);
    for (const char *const *l = limits; *l; l += 2)
        if (l[1][0]) cg_set(fd, base, o->name, l[0], l[1]);
    if (v2) cg_set(fd, base, o->name, "cgroup.subtree_control", "+memory +pids +cpu");
    if (mkdirat(fd, "agent", 0755) < 0) die("mkdir %s/%s/agent: %s", base, o->name, strerror(errno));
    /* Delegation: the sandbox's root makes the run groups and moves the runs into them. */
    uid_t uid = (uid_t)o->uid_base;
    cg_chown(fd, "", uid);
    if (v2) {
        cg_chown(fd, "cgroup.procs", uid);
        cg_chown(fd, "cgroup.subtree_control", uid);
        cg_chown(fd, "cgroup.threads", uid);
    }
    cg_set(fd, base, o->name, "agent/cgroup.procs", "0");
    return fd;
}

static int connect_socket(const char *path) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path) die("socket path too long: %s", path);
    strcpy(sa.sun_path, path);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) die("connect %s: %s", path, strerror(errno));
    return fd;
}

static void write_map(pid_t pid, const char *file, long base) {
    char path[64], map[64];
    snprintf(path, sizeof path, "/proc/%d/%s", pid, file);
    snprintf(map, sizeof map, "0 %ld %d\n", base, ID_RANGE);
    if (write_small_file(path, map) < 0) die("%s: %s", path, strerror(errno));
}

static void __attribute__((noreturn)) wait_and_exit(pid_t child) {
    int status;
    while (waitpid(child, &status, 0) < 0)
        if (errno != EINTR) die("waitpid: %s", strerror(errno));
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

/* ---- the sandbox's root ------------------------------------------------------------------------- */

/* A path built from a format, in one of two rotating buffers; too long is fatal, never truncated. */
static const char *__attribute__((format(printf, 1, 2))) path_of(const char *fmt, ...) {
    static char bufs[2][4096];
    static int next;
    char *buf = bufs[next++ % 2];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof bufs[0], fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof bufs[0]) die("path too long: %s...", buf);
    return buf;
}

static void mnt(const char *src, const char *dst, const char *type, unsigned long flags, const char *data) {
    if (mount(src, dst, type, flags, data) < 0) die("mount %s on %s: %s", src ? src : type ? type : "(remount)", dst, strerror(errno));
}

/* Read-only remount of a bind mount. Flags the source mount has (nosuid, nodev, noexec) are kept:
 * in a user namespace they are locked and dropping one fails. */
static void remount_ro(const char *path, unsigned long extra) {
    struct statvfs sv;
    if (statvfs(path, &sv) < 0) die("statvfs %s: %s", path, strerror(errno));
    unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY | extra;
    if (sv.f_flag & ST_NOSUID) flags |= MS_NOSUID;
    if (sv.f_flag & ST_NODEV) flags |= MS_NODEV;
    if (sv.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
    if (sv.f_flag & ST_NOATIME) flags |= MS_NOATIME;
    if (sv.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
    if (sv.f_flag & ST_RELATIME) flags |= MS_RELATIME;
    mnt(NULL, path, NULL, flags, NULL);
}

static void make_dir(const char *path, mode_t mode) {
    if (mkdir(path, mode) < 0 && errno != EEXIST) die("mkdir %s: %s", path, strerror(errno));
}

/* Top-level directories of the image that are not bound: the sandbox gets its own of these. */
static bool own_dir(const char *name) {
    static const char *const own[] = {"dev", "proc", "sys", "tmp", "box", "run", "boot", "home", "mnt", "media", "srv", "lost+found"};
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        if (!strcmp(name, own[i])) return true;
    return false;
}

/* `image` is /proc/self/fd/N: the sandbox's root user, an unprivileged host user, may not be able to
 * walk the host path to it. */
static void bind_image(const char *image, const char *newroot) {
    DIR *d = opendir(image);
    if (!d) die("image root: %s", strerror(errno));
    struct dirent *e;
    char link[4096];
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || own_dir(e->d_name)) continue;
        const char *src = path_of("%s/%s", image, e->d_name), *dst = path_of("%s/%s", newroot, e->d_name);
        struct stat st;
        if (lstat(src, &st) < 0) die("%s: %s", src, strerror(errno));
        if (S_ISLNK(st.st_mode)) { /* merged /usr: bin -> usr/bin, lib -> usr/lib, ... */
            ssize_t n = readlink(src, link, sizeof link - 1);
            if (n < 0) die("readlink %s: %s", src, strerror(errno));
            link[n] = 0;
            if (symlink(link, dst) < 0) die("symlink %s: %s", dst, strerror(errno));
        } else if (S_ISDIR(st.st_mode)) {
            make_dir(dst, 0755);
            mnt(src, dst, NULL, MS_BIND | MS_REC, NULL);
            remount_ro(dst, MS_NOSUID | MS_NODEV);
        }
    }
    closedir(d);
}

static void make_dev(const char *newroot) {
    const char *path = path_of("%s/dev", newroot);
    make_dir(path, 0755);
    mnt("tmpfs", path, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,uid=0,gid=0,size=64k");
    static const char *const nodes[] = {"null", "zero", "full", "random", "urandom"};
    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
        path = path_of("%s/dev/%s", newroot, nodes[i]);
        const char *src = path_of("/dev/%s", nodes[i]);
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
        if (fd < 0) die("%s: %s", path, strerror(errno));
        close(fd);
        mnt(src, path, NULL, MS_BIND, NULL);
    }
    static const char *const links[][2] = {{"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"},
                                           {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"}};
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        path = path_of("%s/dev/%s", newroot, links[i][1]);
        if (symlink(links[i][0], path) < 0) die("symlink %s: %s", path, strerror(errno));
    }
    path = path_of("%s/dev/shm", newroot);
    make_dir(path, 01777);
    mnt("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,uid=0,gid=0");
}

/* The new root is staged on a tmpfs mounted over the host's /tmp (as bubblewrap does): a path every
 * user can walk, and the mount is private to our mount namespace. */
static void build_root(int image_fd) {
    const char *newroot = "/tmp", *path;
    char data[64], image[64];
    /* Nothing we mount may propagate back to the host. */
    mnt(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
    /* uid=0 is the sandbox's root (tmpfs reads it in our user namespace), which must own / to make
     * /judge, where the judge keeps tests and validators: no size of its own, the memory cgroup of the
     * sandbox bounds it, as a VM's memory bounds its tmpfs. */
    mnt("tmpfs", newroot, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,uid=0,gid=0");
    snprintf(image, sizeof image, "/proc/self/fd/%d", image_fd);
    bind_image(image, newroot);
    make_dev(newroot);
    path = path_of("%s/tmp", newroot);
    make_dir(path, 01777);
    mnt("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,uid=0,gid=0");
    path = path_of("%s/box", newroot);
    make_dir(path, 0755);
    snprintf(data, sizeof data, "mode=0755,uid=%d,gid=%d", RUN_UID, RUN_UID);
    mnt("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, data);
    path = path_of("%s/proc", newroot);
    make_dir(path, 0555);
    mnt("proc", path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    path = path_of("%s/run", newroot);
    make_dir(path, 0755);

    if (chdir(newroot) < 0) die("chdir %s: %s", newroot, strerror(errno));
    if (syscall(SYS_pivot_root, ".", ".") < 0) die("pivot_root: %s", strerror(errno));
    if (umount2(".", MNT_DETACH) < 0) die("detaching the host's root: %s", strerror(errno));
    if (chdir("/") < 0) die("chdir /: %s", strerror(errno));
    if (sethostname("judge", 5) < 0) die("sethostname: %s", strerror(errno));
}

/* ---- entry -------------------------------------------------------------------------------------- */

void ns_enter(int argc, char **argv) {
    struct options o;
    parse(argc, argv, &o);
    ns_mode = true;
    if (geteuid() != 0) die("must be started as root (it maps a range of host user IDs and manages cgroups)");

    char memory[32] = "", pids[32] = "";
    if (o.memory > 0) snprintf(memory, sizeof memory, "%ld", o.memory);
    if (o.pids > 0) snprintf(pids, sizeof pids, "%ld", o.pids);
    if (o.cg2) {
        const char *const limits[] = {"memory.max", memory, "memory.swap.max", o.memory > 0 ? "0" : "", "pids.max", pids, NULL};
        cg_use_v2(make_group(o.cg2, &o, true, limits));
    } else {
        const char *const mem[] = {"memory.limit_in_bytes", memory, NULL}, *const pid[] = {"pids.max", pids, NULL},
                          *const none[] = {NULL};
        int m = make_group(o.cg1[0], &o, false, mem), p = make_group(o.cg1[1], &o, false, pid),
            c = make_group(o.cg1[2], &o, false, none);
        cg_use_v1(m, p, c);
    }
    if (o.cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET((int)o.cpu, &set);
        if (sched_setaffinity(0, sizeof set, &set) < 0) die("pinning to CPU %ld: %s", o.cpu, strerror(errno));
    }
    int sock = connect_socket(o.socket);
    int go[2];
    if (pipe2(go, O_CLOEXEC) < 0) die("pipe: %s", strerror(errno));

    unsigned long flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | SIGCHLD;
    bool userns = true;
    long pid = syscall(SYS_clone, flags | CLONE_NEWUSER, NULL, NULL, NULL, NULL);
    if (pid < 0 && (errno == EPERM || errno == EINVAL || errno == ENOSPC || errno == EUSERS)) {
        /* user namespaces disabled here: the sandbox's root is then the host's root, confined by the rest */
        log_err("no user namespace (%s): continuing without one", strerror(errno));
        userns = false;
        pid = syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
    }
    if (pid < 0) die("clone: %s", strerror(errno));

    if (pid > 0) {
        close(go[0]);
        close(sock);
        if (userns) {
            write_map((pid_t)pid, "uid_map", o.uid_base);
            write_map((pid_t)pid, "gid_map", o.uid_base);
        }
        if (write(go[1], "g", 1) != 1) die("releasing the sandbox: %s", strerror(errno));
        close(go[1]);
        wait_and_exit((pid_t)pid);
    }

    /* The sandbox's first process. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) die("PR_SET_PDEATHSIG: %s", strerror(errno));
    close(go[1]);
    char c;
    if (read(go[0], &c, 1) != 1) _exit(111); /* the outer process died before the maps were written */
    close(go[0]);
    /* Opened while we are still the host's root, which may walk a path (under /root, say) that the
     * sandbox's root may not; and opened in our own mount namespace, which a bind mount requires. */
    int image_fd = open(o.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (image_fd < 0) die("image root %s: %s", o.root, strerror(errno));
    /* Then: files we create must belong to a user mapped in our namespace (else EOVERFLOW). */
    if (userns && (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
        die("becoming the sandbox's root: %s", strerror(errno));
    build_root(image_fd);
    close(image_fd);
    prctl(PR_SET_DUMPABLE, 0); /* runs cannot open /proc/1/fd or attach to us */
    port_adopt(sock);
}

/* ---- what every RUN child gets ------------------------------------------------------------------ */

int drop_capability_bounding_set(void) {
    for (int cap = 0; cap <= 63; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) return -1;
    return 0;
}

/* Denied with EPERM: what a judged program never needs and what widens the kernel's attack surface.
 * clone3 gets ENOSYS (its flags are behind a pointer, out of seccomp's reach), so libc falls back to
 * clone, whose namespace flags are checked. Other architectures' entry points (int 0x80, x32) are
 * refused outright. */
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

#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

int install_seccomp_filter(void) {
    enum { N = sizeof denied / sizeof denied[0] };
    struct sock_filter f[8 + 2 * N + 8];
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
