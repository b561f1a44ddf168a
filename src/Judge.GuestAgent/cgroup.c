/* The cgroups of runs: one group per RUN, named run-N, under a base the agent was given.
 *  - In a VM: cgroup v2 at /sys/fs/cgroup (the VM's root group).
 *  - In namespace mode on a cgroup v2 host: the sandbox's delegated v2 group.
 *  - In namespace mode on a cgroup v1 host: the sandbox's groups in the memory, pids and cpuacct
 *    hierarchies (v1 has no cgroup.kill, memory.events or memory.peak: their v1 counterparts are used,
 *    and the kill is done process by process, plus kill(-1) since we are PID 1 of our PID namespace).
 * Bases are directory fds, opened before the agent entered its namespaces, so no cgroup file system
 * needs to be visible inside the sandbox. */
#define _GNU_SOURCE
#include "agent.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { NONE, V2, V1 };
enum { MEM, PIDS, CPU, NBASE }; /* v1 hierarchies; v2 uses base[0] only */

static int kind = NONE;
static int base[NBASE] = {-1, -1, -1};
static bool stale; /* an earlier run's group could not be removed */
static int live;   /* groups made and not yet removed: two while an INTERACT runs */

void cg_use_v2(int dirfd) {
    kind = V2;
    base[0] = dirfd;
}

void cg_use_v1(int memory_fd, int pids_fd, int cpuacct_fd) {
    kind = V1;
    base[MEM] = memory_fd;
    base[PIDS] = pids_fd;
    base[CPU] = cpuacct_fd;
}

bool cg_usable(void) { return kind != NONE; }

static int nbases(void) { return kind == V1 ? NBASE : 1; }

static const char *cg_path(const char *name, const char *file) {
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", name, file);
    return path;
}

static int cg_open(int b, const char *name, const char *file, int flags) {
    return openat(base[b], cg_path(name, file), flags | O_CLOEXEC | O_NOCTTY);
}

static int cg_write(int b, const char *name, const char *file, const char *val) {
    return write_small_file_at(base[b], cg_path(name, file), val);
}

static int cg_read(int b, const char *name, const char *file, char *buf, size_t size) {
    return read_small_file_at(base[b], cg_path(name, file), buf, size);
}

/* The number after "key " in a flat-keyed file (cpu.stat, memory.events, memory.oom_control,
 * cpuacct.stat); for a single-value file pass key NULL. -1 if unreadable or absent. */
static int64_t cg_value(int b, const char *name, const char *file, const char *key) {
    char buf[2048];
    if (cg_read(b, name, file, buf, sizeof buf) < 0) return -1;
    if (!key) return strtoll(buf, NULL, 10);
    size_t n = strlen(key);
    for (char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, key, n) == 0 && p[n] == ' ') return strtoll(p + n + 1, NULL, 10);
    return -1;
}

static void cg_remove_name(const char *name) {
    for (int b = 0; b < nbases(); b++) {
        int i;
        for (i = 0; i < 100; i++) {
            if (unlinkat(base[b], name, AT_REMOVEDIR) == 0 || errno == ENOENT) break;
            if (errno != EBUSY) i = 100;
            else sleep_ms(1);
        }
        if (i >= 100) {
            log_err("rmdir cgroup %s: %s", name, strerror(errno));
            stale = true;
        }
    }
}

int cg_create(struct cg *c, int64_t mem, int64_t pids, char *err, size_t errlen) {
    static unsigned seq;
    char val[32];
    if (stale && live == 0) cg_sweep(); /* never while another run's group is in use */
    c->name[0] = 0;
    for (int tries = 0; !c->name[0] && tries < 1000; tries++) {
        snprintf(c->name, sizeof c->name, "run-%u", ++seq);
        for (int b = 0; b < nbases(); b++) {
            if (mkdirat(base[b], c->name, 0755) == 0) continue;
            int e = errno;
            for (int u = 0; u < b; u++) unlinkat(base[u], c->name, AT_REMOVEDIR);
            if (e != EEXIST) {
                snprintf(err, errlen, "mkdir cgroup %s: %s", c->name, strerror(e));
                c->name[0] = 0;
                return -1;
            }
            c->name[0] = 0;
            break;
        }
    }
    if (!c->name[0]) {
        snprintf(err, errlen, "no free cgroup name");
        return -1;
    }
    live++;
    snprintf(val, sizeof val, "%lld", (long long)mem);
    const char *what;
    if (kind == V2) {
        what = "memory.max";
        if (cg_write(0, c->name, what, mem ? val : "max") < 0) goto fail;
        /* absent when the kernel does no swap accounting */
        if (cg_write(0, c->name, "memory.swap.max", "0") < 0 && errno != ENOENT) log_err("memory.swap.max: %s", strerror(errno));
    } else if (mem) {
        what = "memory.limit_in_bytes";
        if (cg_write(MEM, c->name, what, val) < 0) goto fail;
        /* memory + swap, so that the limit cannot be dodged by swapping; absent without swap accounting */
        if (cg_write(MEM, c->name, "memory.memsw.limit_in_bytes", val) < 0 && errno != ENOENT)
            log_err("memory.memsw.limit_in_bytes: %s", strerror(errno));
    }
    snprintf(val, sizeof val, "%lld", (long long)pids);
    what = "pids.max";
    if (cg_write(kind == V2 ? 0 : PIDS, c->name, what, pids ? val : "max") < 0) goto fail;
    return 0;
fail:
    snprintf(err, errlen, "cgroup %s/%s: %s", c->name, what, strerror(errno));
    cg_remove(c);
    return -1;
}

int cg_open_procs(const struct cg *c, int fds[CG_MAX_FDS]) {
    for (int b = 0; b < CG_MAX_FDS; b++) fds[b] = -1;
    for (int b = 0; b < nbases(); b++) {
        /* v1: "tasks", not "cgroup.procs". A write to cgroup.procs takes the threadgroup lock, which waits for
         * a whole RCU grace period (7-15 ms) unless another move just happened; "tasks" moves only the writing
         * thread, without that wait, and the just-forked child that writes has only the one thread. */
        fds[b] = cg_open(b, c->name, kind == V1 ? "tasks" : "cgroup.procs", O_WRONLY);
        if (fds[b] < 0) {
            int e = errno;
            for (int u = 0; u < b; u++) close(fds[u]);
            errno = e;
            return -1;
        }
    }
    return 0;
}

int64_t cg_cpu_usec(const struct cg *c) {
    if (kind == V2) return cg_value(0, c->name, "cpu.stat", "usage_usec");
    int64_t ns = cg_value(CPU, c->name, "cpuacct.usage", NULL);
    return ns < 0 ? -1 : ns / 1000;
}

void cg_cpu_split(const struct cg *c, int64_t *user, int64_t *sys) {
    if (kind == V2) {
        *user = cg_value(0, c->name, "cpu.stat", "user_usec");
        *sys = cg_value(0, c->name, "cpu.stat", "system_usec");
        return;
    }
    /* USER_HZ ticks, which is 100 per second on every Linux architecture that matters here */
    int64_t u = cg_value(CPU, c->name, "cpuacct.stat", "user"), s = cg_value(CPU, c->name, "cpuacct.stat", "system");
    *user = u < 0 ? -1 : u * 10000;
    *sys = s < 0 ? -1 : s * 10000;
}

int64_t cg_peak(const struct cg *c) {
    return kind == V2 ? cg_value(0, c->name, "memory.peak", NULL) : cg_value(MEM, c->name, "memory.max_usage_in_bytes", NULL);
}

int64_t cg_oom_kills(const struct cg *c) {
    return kind == V2 ? cg_value(0, c->name, "memory.events", "oom_kill") : cg_value(MEM, c->name, "memory.oom_control", "oom_kill");
}

bool cg_populated(const struct cg *c) {
    if (kind == V2) return cg_value(0, c->name, "cgroup.events", "populated") > 0;
    char buf[64];
    for (int b = 0; b < NBASE; b++) /* a process that failed to join every hierarchy is still ours */
        if (cg_read(b, c->name, "cgroup.procs", buf, sizeof buf) > 0) return true;
    return false;
}

static void kill_listed(int b, const char *name) {
    char buf[16384];
    if (cg_read(b, name, "cgroup.procs", buf, sizeof buf) <= 0) return;
    for (char *p = buf; *p;) {
        char *end;
        long pid = strtol(p, &end, 10);
        if (end == p) break;
        if (pid > 0) kill((pid_t)pid, SIGKILL);
        p = end + (*end == '\n');
    }
}

void cg_kill(const struct cg *c) {
    if (kind == V2) {
        if (cg_write(0, c->name, "cgroup.kill", "1") < 0 && errno != ENOENT) log_err("%s/cgroup.kill: %s", c->name, strerror(errno));
        return;
    }
    /* PID 1 of a PID namespace: every other process in it goes at once, forks included; but only while this group is the
     * only one, since an INTERACT's other run shares the namespace. Otherwise listing and killing again until the group
     * is empty (cg_empty) catches up with forks, which pids.max bounds. */
    if (ns_mode && live <= 1) kill(-1, SIGKILL);
    for (int b = 0; b < NBASE; b++) kill_listed(b, c->name);
}

void cg_remove(struct cg *c) {
    if (!c->name[0]) return;
    live--;
    cg_remove_name(c->name);
    c->name[0] = 0;
}

/* Second chance for groups an earlier run failed to remove. */
void cg_sweep(void) {
    stale = false;
    for (int b = 0; b < nbases(); b++) {
        int fd = dup(base[b]);
        DIR *d = fd < 0 ? NULL : fdopendir(fd);
        if (!d) {
            if (fd >= 0) close(fd);
            continue;
        }
        rewinddir(d);
        struct dirent *e;
        while ((e = readdir(d))) {
            struct cg c;
            if (strncmp(e->d_name, "run-", 4) != 0 || strlen(e->d_name) >= sizeof c.name) continue;
            memcpy(c.name, e->d_name, strlen(e->d_name) + 1);
            cg_kill(&c);
            if (unlinkat(base[b], c.name, AT_REMOVEDIR) < 0) stale = true;
        }
        closedir(d);
    }
}
