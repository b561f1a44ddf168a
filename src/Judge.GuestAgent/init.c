/* Guest setup done by PID 1 before serving the host: the mounts, cgroup v2 controllers, /box, and
 * finding the control port. Everything is best effort: failures are logged, never fatal. */
#define _GNU_SOURCE
#include "agent.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

/* `path` is a mount point (its device differs from its parent's) of a file system of type `magic`. */
static bool mounted(const char *path, long magic) {
    char parent[256];
    struct stat a, b;
    struct statfs f;
    snprintf(parent, sizeof parent, "%s/..", path);
    if (stat(path, &a) < 0 || stat(parent, &b) < 0 || statfs(path, &f) < 0) return false;
    return a.st_dev != b.st_dev && (long)f.f_type == magic;
}

/* The initramfs /init may or may not have mounted these in the new root; mount what is missing. */
static void ensure_mount(const char *path, const char *fstype, unsigned long flags, const char *data, long magic) {
    if (mounted(path, magic)) return;
    if (mkdir(path, 0755) < 0 && errno != EEXIST) log_err("mkdir %s: %s", path, strerror(errno));
    if (mount(fstype, path, fstype, flags, data) < 0) log_err("mount %s on %s: %s", fstype, path, strerror(errno));
}

static bool has_word(const char *list, const char *word) {
    size_t n = strlen(word);
    for (const char *p = list; (p = strstr(p, word)); p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == 0 || p[n] == ' ' || p[n] == '\n')) return true;
    return false;
}

bool cgroup_usable(void) {
    struct statfs f;
    char buf[512];
    if (statfs("/sys/fs/cgroup", &f) < 0 || f.f_type != CGROUP2_SUPER_MAGIC) return false;
    if (read_small_file("/sys/fs/cgroup/cgroup.subtree_control", buf, sizeof buf) < 0) return false;
    return has_word(buf, "cpu") && has_word(buf, "memory") && has_word(buf, "pids");
}

/* Every RUN moves its child into a new cgroup. That takes cgroup_threadgroup_rwsem for writing, which
 * by default waits for an RCU grace period: ~10 ms per RUN under TCG. The favordynmods mount option
 * (kernel 6.0+) makes the move cheap at a negligible cost to fork/exit. Other options are kept. */
static void cgroup_favor_dynmods(void) {
    char buf[16384];
    if (read_small_file("/proc/self/mounts", buf, sizeof buf) < 0) return;
    char *line = strstr(buf, " /sys/fs/cgroup cgroup2 ");
    if (!line) return;
    line[strcspn(line, "\n")] = 0;
    if (strstr(line, "favordynmods")) return;
    char opts[128];
    snprintf(opts, sizeof opts, "favordynmods%s%s%s", strstr(line, "nsdelegate") ? ",nsdelegate" : "",
             strstr(line, "memory_localevents") ? ",memory_localevents" : "",
             strstr(line, "memory_recursiveprot") ? ",memory_recursiveprot" : "");
    if (mount(NULL, "/sys/fs/cgroup", NULL, MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) < 0)
        log_err("remounting cgroup2 with %s: %s", opts, strerror(errno));
}

void init_system(void) {
    if (!is_init) return; /* dev mode on a workstation: touch nothing */

    /* Each run makes its own mount namespace (confine.c); nothing it mounts there may propagate back. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) log_err("making / private: %s", strerror(errno));
    ensure_mount("/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, PROC_SUPER_MAGIC);
    /* A run sees its own processes only: not the agent, not what runs as another user. */
    if (mount(NULL, "/proc", NULL, MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_NOEXEC, PROC_OPTIONS) < 0)
        log_err("remounting /proc with %s: %s", PROC_OPTIONS, strerror(errno));
    ensure_mount("/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, SYSFS_MAGIC);
    ensure_mount("/dev", "devtmpfs", MS_NOSUID, "mode=0755", TMPFS_MAGIC);
    ensure_mount("/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", TMPFS_MAGIC); /* POSIX shm, semaphores */
    ensure_mount("/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, CGROUP2_SUPER_MAGIC);
    ensure_mount("/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", TMPFS_MAGIC);
    cgroup_favor_dynmods();
    /* udev would make these; programs read /dev/stdin (node's readFileSync('/dev/stdin'), bash <(...)) */
    static const char *const links[][2] = {{"/proc/self/fd", "/dev/fd"}, {"/proc/self/fd/0", "/dev/stdin"},
                                           {"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"}};
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
        if (symlink(links[i][0], links[i][1]) < 0 && errno != EEXIST) log_err("symlink %s: %s", links[i][1], strerror(errno));

    /* We must stay in the root cgroup (exempt from the no-internal-processes rule), so that the
     * controllers can be enabled for the run-N children. */
    char pid[32];
    snprintf(pid, sizeof pid, "%d", getpid());
    if (write_small_file("/sys/fs/cgroup/cgroup.procs", pid) < 0) log_err("joining the root cgroup: %s", strerror(errno));
    static const char *const ctls[] = {"+cpu", "+memory", "+pids"}; /* one by one: a missing one does not block the others */
    for (size_t i = 0; i < 3; i++)
        if (write_small_file("/sys/fs/cgroup/cgroup.subtree_control", ctls[i]) < 0)
            log_err("enabling %s in cgroup.subtree_control: %s", ctls[i], strerror(errno));

    if (mkdir("/box", 0755) < 0 && errno != EEXIST) log_err("mkdir /box: %s", strerror(errno));
    int fd = open("/box", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fchown(fd, 1000, 1000) < 0 || fchmod(fd, 0755) < 0) log_err("setting up /box: %s", strerror(errno));
    if (fd >= 0) close(fd);
}

const char *find_ctl_port(void) {
    static char dev[300];
    for (int i = 1;; i++) {
        DIR *d = opendir("/sys/class/virtio-ports");
        struct dirent *e;
        while (d && (e = readdir(d))) {
            char path[300], name[64];
            if (e->d_name[0] == '.') continue;
            snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", e->d_name);
            if (read_small_file(path, name, sizeof name) < 0) continue;
            name[strcspn(name, "\n")] = 0;
            if (strcmp(name, "ctl") != 0) continue;
            snprintf(dev, sizeof dev, "/dev/%s", e->d_name);
            if (access(dev, F_OK) == 0) { /* devtmpfs makes the node shortly after the port appears */
                closedir(d);
                return dev;
            }
        }
        if (d) closedir(d);
        if (i % 500 == 0) log_err("still waiting for the virtio-serial port named 'ctl'");
        sleep_ms(10);
    }
}
