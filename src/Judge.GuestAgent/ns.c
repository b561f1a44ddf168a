/* Namespace mode: for hosts where no VM boots at full speed, the agent runs as the first process of
 * a fresh set of Linux namespaces on the host instead of as PID 1 of a VM. The host starts
 *
 *   judge-agent --namespace --root IMAGE_ROOT --socket PATH --image-version V --name NAME
 *               [--uid-base N] [--cpu N] [--memory BYTES] [--pids N]
 *               (--cgroup2 BASE | --cgroup1 MEMORY_BASE PIDS_BASE CPUACCT_BASE CPUSET_BASE)
 *
 * as root. This first process (the "outer" one) stays on the host: it makes the sandbox's cgroups
 * BASE/NAME (whole-sandbox memory and process limits, and the one CPU its cpuset allows) with
 * BASE/NAME/agent for the agent itself, delegates them to the sandbox's root user, joins BASE/NAME/agent
 * (the host removes the groups after the sandbox ends), connects to the host's control socket, pins
 * itself to its CPU and clones the sandbox's first process into new user, mount, PID, network, IPC and
 * UTS namespaces; it writes the user namespace's ID maps (sandbox IDs 0-65535 are host IDs N..N+65535, so
 * even the sandbox's root is an unprivileged host user), then waits and exits with it. If the outer
 * process is killed, the sandbox's first process gets SIGKILL (PR_SET_PDEATHSIG), and with it the whole
 * PID namespace goes. The cpuset, not the affinity, is what holds a program to its CPU: affinity is
 * something a program may set for itself.
 *
 * The first process builds the sandbox's root: a small tmpfs with the image's top-level directories
 * bound read-only (and its top-level symlinks copied), tmpfs on /tmp, /box and /dev/shm, a /dev with
 * only null, zero, full, random and urandom, a fresh /proc that shows a user only its own processes,
 * no /sys and no cgroup file system: the sandbox's own cgroups are bound into /run/judge/cgroup (root's,
 * 0700), so that no descriptor the agent holds leads outside the sandbox. Then pivot_root, the host's
 * root detached, hostname "judge", and it becomes the sandbox's root user and serves the protocol. */
#define _GNU_SOURCE
#include "agent.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

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
    const char *root, *socket, *name, *cg2, *cg1[CG1_BASES];
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
            if (i + CG1_BASES >= argc) die("--cgroup1 needs the memory, pids, cpuacct and cpuset groups");
            for (int k = 0; k < CG1_BASES; k++) o->cg1[k] = argv[++i];
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

/* BASE/NAME with the sandbox-wide limits, and BASE/NAME/agent, which we join; returns BASE/NAME. A delegated
 * group is the sandbox root's to make the run groups in; the cpuset group is not (its one CPU is the limit). */
static int make_group(const char *base, const struct options *o, bool v2, bool delegate, const char *const *limits) {
    int base_fd = open_dir(base);
    if (mkdirat(base_fd, o->name, 0755) < 0) die("mkdir %s/%s: %s", base, o->name, strerror(errno));
    int fd = openat(base_fd, o->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) die("%s/%s: %s", base, o->name, strerror(errno));
    close(base_fd);
    for (const char *const *l = limits; *l; l += 2)
        if (l[1][0]) cg_set(fd, base, o->name, l[0], l[1]);
    if (v2) cg_set(fd, base, o->name, "cgroup.subtree_control", "+memory +pids +cpu");
    if (mkdirat(fd, "agent", 0755) < 0) die("mkdir %s/%s/agent: %s", base, o->name, strerror(errno));
    if (delegate) {
        uid_t uid = (uid_t)o->uid_base;
        cg_chown(fd, "", uid);
        if (v2) {
            cg_chown(fd, "cgroup.procs", uid);
            cg_chown(fd, "cgroup.subtree_control", uid);
            cg_chown(fd, "cgroup.threads", uid);
        }
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

static void remount_ro(const char *path, unsigned long extra) {
    if (remount_readonly(path, extra) < 0) die("read-only remount of %s: %s", path, strerror(errno));
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

/* The sandbox's own groups of the hierarchies the agent makes run groups in (v2: one; v1: memory, pids and
 * cpuacct), opened by path in our mount namespace, which a bind mount's source must be in. */
static int open_groups(const struct options *o, int fds[CG_MAX_FDS]) {
    int n = o->cg2 ? 1 : CG_MAX_FDS;
    for (int k = 0; k < n; k++) fds[k] = open_dir(path_of("%s/%s", o->cg2 ? o->cg2 : o->cg1[k], o->name));
    return n;
}

/* Binds the groups under NEWROOT/run/judge/cgroup (root's, 0700: no run can reach them) and, once the root
 * is pivoted, hands the bind mounts to cgroup.c in place of the host's directories: `..` from them stays in
 * the sandbox. */
static void bind_groups(const char *newroot, const int fds[CG_MAX_FDS], int n) {
    make_dir(path_of("%s/run/judge", newroot), 0700);
    make_dir(path_of("%s/run/judge/cgroup", newroot), 0700);
    for (int k = 0; k < n; k++) {
        const char *dst = path_of("%s/run/judge/cgroup/%d", newroot, k);
        make_dir(dst, 0700);
        char src[32];
        snprintf(src, sizeof src, "/proc/self/fd/%d", fds[k]);
        mnt(src, dst, NULL, MS_BIND, NULL);
    }
}

static void adopt_groups(int n) {
    int fds[CG_MAX_FDS];
    for (int k = 0; k < n; k++) fds[k] = open_dir(path_of("/run/judge/cgroup/%d", k));
    if (n == 1) cg_use_v2(fds[0]);
    else cg_use_v1(fds[0], fds[1], fds[2]);
}

/* The new root is staged on a tmpfs mounted over the host's /tmp (as bubblewrap does): a path every
 * user can walk, and the mount is private to our mount namespace. */
static void build_root(int image_fd, const int group_fds[CG_MAX_FDS], int groups) {
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
    mnt("proc", path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, PROC_OPTIONS);
    path = path_of("%s/run", newroot);
    make_dir(path, 0755);
    bind_groups(newroot, group_fds, groups);

    if (chdir(newroot) < 0) die("chdir %s: %s", newroot, strerror(errno));
    if (syscall(SYS_pivot_root, ".", ".") < 0) die("pivot_root: %s", strerror(errno));
    if (umount2(".", MNT_DETACH) < 0) die("detaching the host's root: %s", strerror(errno));
    if (chdir("/") < 0) die("chdir /: %s", strerror(errno));
    if (sethostname("judge", 5) < 0) die("sethostname: %s", strerror(errno));
}

/* ---- entry -------------------------------------------------------------------------------------- */

/* The first line of BASE/file, for a value a child group must repeat (cpuset.mems on cgroup v1). */
static const char *parent_value(const char *base, const char *file, char *buf, size_t size) {
    const char *path = path_of("%s/%s", base, file);
    if (read_small_file(path, buf, size) < 0) die("%s: %s", path, strerror(errno));
    buf[strcspn(buf, "\n")] = 0;
    return buf;
}

/* The sandbox's groups, made and joined by the outer process. */
static void make_groups(const struct options *o) {
    char memory[32] = "", pids[32] = "", cpu[32] = "";
    if (o->memory > 0) snprintf(memory, sizeof memory, "%ld", o->memory);
    if (o->pids > 0) snprintf(pids, sizeof pids, "%ld", o->pids);
    if (o->cpu >= 0) snprintf(cpu, sizeof cpu, "%ld", o->cpu);
    if (o->cg2) {
        const char *const limits[] = {"memory.max", memory, "memory.swap.max", o->memory > 0 ? "0" : "", "pids.max", pids,
                                      "cpuset.cpus", cpu, NULL};
        close(make_group(o->cg2, o, true, true, limits));
        return;
    }
    char mems[64], all[64];
    const char *const mem[] = {"memory.limit_in_bytes", memory, NULL}, *const pid[] = {"pids.max", pids, NULL},
                      *const none[] = {NULL},
                      /* v1 cpusets start empty: a group takes no process until it has CPUs and memory nodes (without
                       * --cpu, all of the parent's), and clone_children gives the agent's group the same */
                      *const cpus[] = {"cpuset.cpus", o->cpu >= 0 ? cpu : parent_value(o->cg1[3], "cpuset.cpus", all, sizeof all),
                                       "cpuset.mems", parent_value(o->cg1[3], "cpuset.mems", mems, sizeof mems),
                                       "cgroup.clone_children", "1", NULL};
    close(make_group(o->cg1[0], o, false, true, mem));
    close(make_group(o->cg1[1], o, false, true, pid));
    close(make_group(o->cg1[2], o, false, true, none));
    close(make_group(o->cg1[3], o, false, false, cpus));
}

void ns_enter(int argc, char **argv) {
    struct options o;
    parse(argc, argv, &o);
    ns_mode = true;
    if (geteuid() != 0) die("must be started as root (it maps a range of host user IDs and manages cgroups)");

    make_groups(&o);
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    run_cpus = o.cpu >= 0 ? 1 : online > 0 ? (int)online : 1;
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
    int group_fds[CG_MAX_FDS], groups = open_groups(&o, group_fds);
    /* Then: files we create must belong to a user mapped in our namespace (else EOVERFLOW). */
    if (userns && (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
        die("becoming the sandbox's root: %s", strerror(errno));
    build_root(image_fd, group_fds, groups);
    close(image_fd);
    for (int k = 0; k < groups; k++) close(group_fds[k]);
    adopt_groups(groups);
    prctl(PR_SET_DUMPABLE, 0); /* runs cannot open /proc/1/fd or attach to us */
    port_adopt(sock);
}
