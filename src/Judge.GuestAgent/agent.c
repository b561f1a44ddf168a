/* judge-agent: PID 1 of every Judge guest VM.
 *
 * It sets the guest up (init.c), opens the virtio-serial port named "ctl", announces itself with
 * READY and then serves the host's requests one at a time, in order (docs/agent-protocol.md).
 * It must never exit: PID 1 exiting panics the kernel. Errors are logged to /dev/kmsg and answered
 * with ERROR frames. This file: main loop, utilities and the simple requests; RUN is in run.c,
 * framing in proto.c, guest setup in init.c.
 *
 * Namespace mode (`judge-agent --namespace ...`, ns.c): on hosts where no VM runs at full speed, the
 * same agent is the first process of a fresh set of Linux namespaces instead, serving a Unix socket.
 *
 * Dev/test only: when it is not PID 1, JUDGE_AGENT_DEVICE=<path> makes it use that path as the port
 * (a Unix socket it connects to, and reconnects to after EOF, or a character device), and it
 * leaves mounts and cgroups alone. As PID 1 the variable is ignored. */
#define _GNU_SOURCE
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/random.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

bool is_init;

/* ---- utilities ---------------------------------------------------------------------------------- */

void logmsg(int level, const char *fmt, ...) {
    static int fd = -1;
    if (fd < 0) fd = is_init ? open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY) : dup(2);
    if (fd < 0) return;
    char buf[1200];
    int n = snprintf(buf, sizeof buf, "<%d>judge-agent: ", level);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
    va_end(ap);
    n = (int)strlen(buf);
    buf[n++] = '\n';
    int skip = is_init ? 0 : 3; /* the <level> prefix is for the kernel log only */
    if (write(fd, buf + skip, (size_t)(n - skip)) < 0) { /* nowhere left to complain */ }
}

int64_t mono_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
}

void reap_children(pid_t main_pid, int *status, bool *exited, int64_t *t_exit) {
    int st;
    pid_t p;
    while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
        if (main_pid > 0 && p == main_pid) {
            *status = st;
            *exited = true;
            *t_exit = mono_us();
        }
    }
}

int read_small_file(const char *path, char *buf, size_t size) { return read_small_file_at(AT_FDCWD, path, buf, size); }

int read_small_file_at(int dirfd, const char *path, char *buf, size_t size) {
    int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return -1;
    size_t n = 0;
    while (n + 1 < size) {
        ssize_t k = read(fd, buf + n, size - 1 - n);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        if (k == 0) break;
        n += (size_t)k;
    }
    buf[n] = 0;
    close(fd);
    return (int)n;
}

int write_small_file(const char *path, const char *val) { return write_small_file_at(AT_FDCWD, path, val); }

int write_small_file_at(int dirfd, const char *path, const char *val) {
    int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return -1;
    ssize_t k = write(fd, val, strlen(val));
    int e = errno;
    close(fd);
    errno = e;
    return k == (ssize_t)strlen(val) ? 0 : -1;
}

int write_fd_all(int fd, const uint8_t *p, size_t n) {
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* ---- HELLO / READY ------------------------------------------------------------------------------ */

static void send_hello(uint16_t type, uint32_t id) {
    char version[256];
    int n = ns_mode ? snprintf(version, sizeof version, "%s", ns_image_version)
                    : read_small_file("/etc/judge/image-version", version, sizeof version);
    while (n > 0 && (version[n - 1] == '\n' || version[n - 1] == ' ' || version[n - 1] == '\r')) version[--n] = 0;
    struct utsname u;
    if (uname(&u) < 0) strcpy(u.release, "unknown");
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);

    struct out o;
    out_init(&o);
    out_int(&o, 1, PROTOCOL_VERSION);
    out_str(&o, 2, AGENT_VERSION);
    out_str(&o, 3, n > 0 ? version : "unknown");
    out_str(&o, 4, u.release);
    out_int(&o, 5, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    out_int(&o, 6, cg_usable());
    send_frame(&o, type, id);
}

/* ---- PING --------------------------------------------------------------------------------------- */

static void handle_ping(struct req *r) {
    struct field f;
    struct out o;
    out_init(&o);
    if (req_find(r, 1, &f)) {
        if (f.len > 4096) {
            send_error(r->id, E_INVALID, "ping data of %u bytes exceeds 4096", f.len);
            return;
        }
        out_bytes(&o, 1, f.val, f.len);
    }
    send_frame(&o, T_PING | T_REPLY, r->id);
}

/* ---- WRITE_FILE / MKDIR ------------------------------------------------------------------------- */

static void handle_write_file(struct req *r) {
    char *path;
    int64_t mode, uid, gid, append;
    if (req_path(r, 1, NULL, true, &path) < 0 || req_int(r, 3, 0644, 0, 07777, &mode) < 0 ||
        req_int(r, 4, 0, 0, MAX_ID, &uid) < 0 || req_int(r, 5, 0, 0, MAX_ID, &gid) < 0 ||
        req_int(r, 6, 0, 0, 1, &append) < 0)
        return;
    struct field data = {.len = 0, .val = NULL};
    req_find(r, 2, &data);

    /* O_NONBLOCK: a FIFO at the path must not hang the agent (it fails with ENXIO instead). */
    int fd = path_open(path, O_WRONLY | O_CREAT | O_NONBLOCK | (append ? O_APPEND : O_TRUNC), (mode_t)mode, true);
    struct stat st;
    const char *what = "open";
    if (fd < 0) goto fail;
    what = "fstat";
    if (fstat(fd, &st) < 0) goto fail;
    if (!S_ISREG(st.st_mode)) goto not_regular;
    what = "fchown";
    if (fchown(fd, (uid_t)uid, (gid_t)gid) < 0) goto fail;
    what = "fchmod"; /* an existing file keeps its mode through open(); chown may clear set-id bits */
    if (fchmod(fd, (mode_t)mode) < 0) goto fail;
    what = "write";
    if (write_fd_all(fd, data.val, data.len) < 0) goto fail;
    what = "close";
    int rc = close(fd);
    fd = -1;
    if (rc < 0) goto fail;
    struct out o;
    out_init(&o);
    send_frame(&o, T_WRITE_FILE | T_REPLY, r->id);
    return;
not_regular:
    close(fd);
    send_error(r->id, E_IO, "%s: not a regular file", path);
    return;
fail:;
    int e = errno;
    if (fd >= 0) close(fd);
    send_error(r->id, E_IO, "%s: %s: %s", path, what, path_strerror(e));
}

static void handle_mkdir(struct req *r) {
    char *path;
    int64_t mode, uid, gid;
    if (req_path(r, 1, NULL, true, &path) < 0 || req_int(r, 3, 0755, 0, 07777, &mode) < 0 ||
        req_int(r, 4, 0, 0, MAX_ID, &uid) < 0 || req_int(r, 5, 0, 0, MAX_ID, &gid) < 0)
        return;
    const char *what = "mkdir"; /* an existing directory (not a symlink to one) is re-owned and re-moded */
    int fd = path_mkdir(path, (mode_t)mode);
    if (fd < 0) goto fail;
    what = "fchown";
    if (fchown(fd, (uid_t)uid, (gid_t)gid) < 0) goto fail;
    what = "fchmod";
    if (fchmod(fd, (mode_t)mode) < 0) goto fail;
    close(fd);
    struct out o;
    out_init(&o);
    send_frame(&o, T_MKDIR | T_REPLY, r->id);
    return;
fail:;
    int e = errno;
    if (fd >= 0) close(fd);
    send_error(r->id, E_IO, "%s: %s: %s", path, what, path_strerror(e));
}

/* ---- READ_FILE ---------------------------------------------------------------------------------- */

#define READ_DEFAULT (16LL << 20)
#define READ_CAP ((int64_t)MAX_PAYLOAD - 4096) /* so that the reply still fits in one frame */

static void handle_read_file(struct req *r) {
    char *path;
    int64_t max;
    if (req_path(r, 1, NULL, true, &path) < 0 || req_int(r, 2, READ_DEFAULT, 0, INT64_MAX, &max) < 0) return;
    if (max > READ_CAP) max = READ_CAP;

    const char *what = "open";
    struct out o;
    out_init(&o);
    /* O_NONBLOCK: opening a FIFO must not block; non-regular files are refused below. */
    int fd = path_open(path, O_RDONLY | O_NONBLOCK, 0, false);
    struct stat st;
    if (fd < 0) goto fail;
    what = "fstat";
    if (fstat(fd, &st) < 0) goto fail;
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        send_error(r->id, E_IO, "%s: not a regular file", path);
        return;
    }
    size_t start = out_field_begin(&o, 1);
    uint64_t got = 0, want = (uint64_t)max;
    what = "read";
    while (got < want) {
        /* Grow to the file's size at once; procfs-like files say 0, so then grow in 64 KiB steps. */
        uint64_t hint = (uint64_t)st.st_size > got ? (uint64_t)st.st_size - got : 65536;
        if (hint > want - got) hint = want - got;
        if (!out_reserve(&o, hint)) break;
        size_t room = o.cap - o.len;
        if (room > want - got) room = want - got;
        ssize_t k = read(fd, o.p + o.len, room);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) goto fail;
        if (k == 0) break;
        o.len += (size_t)k;
        got += (uint64_t)k;
    }
    out_field_end(&o, start);
    int64_t size = st.st_size;
    bool more = false;
    if (got == want) { /* is there anything past max_bytes? (needed when st_size is 0, as in procfs) */
        char c;
        ssize_t k;
        while ((k = read(fd, &c, 1)) < 0 && errno == EINTR) {}
        more = k == 1;
    }
    close(fd);
    if (size < (int64_t)got + more) size = (int64_t)got + more;
    out_int(&o, 2, size);
    out_int(&o, 3, size > (int64_t)got);
    send_frame(&o, T_READ_FILE | T_REPLY, r->id);
    return;
fail:;
    int e = errno;
    if (fd >= 0) close(fd);
    out_free(&o);
    send_error(r->id, E_IO, "%s: %s: %s", path, what, path_strerror(e));
}

/* ---- RESEED ------------------------------------------------------------------------------------- */

static void handle_reseed(struct req *r) {
    struct field e;
    int64_t t;
    if (!req_find(r, 1, &e)) {
        send_error(r->id, E_MALFORMED, "missing required field 1 (entropy)");
        return;
    }
    if (req_int(r, 2, -1, 0, INT64_MAX, &t) < 0) return;
    if (e.len < 32) {
        send_error(r->id, E_INVALID, "entropy of %u bytes; at least 32 are required", e.len);
        return;
    }
    struct rand_pool_info *rp = malloc(sizeof *rp + e.len);
    if (!rp) {
        send_error(r->id, E_INTERNAL, "out of memory");
        return;
    }
    rp->entropy_count = (int)(8 * e.len);
    rp->buf_size = (int)e.len;
    memcpy(rp->buf, e.val, e.len);
    int fd = open("/dev/urandom", O_RDWR | O_CLOEXEC);
    int rc = fd < 0 ? -1 : ioctl(fd, RNDADDENTROPY, rp);
    /* Crediting entropy does not reseed a CRNG that is already initialised; without the explicit
     * reseed, VMs restored from one snapshot would keep handing out the same random bytes until the
     * kernel's own reseed interval (up to a minute) comes round. */
    if (rc == 0)
        rc = ioctl(fd, RNDRESEEDCRNG);
    int err = errno;
    if (fd >= 0) close(fd);
    free(rp);
    if (rc < 0) {
        send_error(r->id, E_IO, "/dev/urandom: RNDADDENTROPY/RNDRESEEDCRNG: %s", strerror(err));
        return;
    }
    if (t >= 0) {
        struct timespec ts = {(time_t)(t / 1000000000), (long)(t % 1000000000)};
        if (clock_settime(CLOCK_REALTIME, &ts) < 0) {
            send_error(r->id, E_IO, "clock_settime: %s", strerror(errno));
            return;
        }
    }
    struct out o;
    out_init(&o);
    send_frame(&o, T_RESEED | T_REPLY, r->id);
}

/* ---- main loop ---------------------------------------------------------------------------------- */

static void on_sigchld(int sig) { (void)sig; /* only interrupts blocking calls; reaping is done in the loop */ }

/* The agent keeps nothing it was started with but its log: stdin and stdout (in namespace mode the worker's
 * own log) become /dev/null, and so does stderr in a VM, which logs to the kernel. Keeping 0-2 taken also means
 * no pipe or file the agent opens later lands there and gets clobbered by a child's dup2(). */
static void quiet_stdio(void) {
    for (int fd = 0; fd < 3; fd++) {
        if (fd == 2 && !is_init && fcntl(fd, F_GETFD) >= 0) continue;
        int n = open("/dev/null", O_RDWR);
        if (n >= 0 && n != fd) {
            dup2(n, fd);
            close(n);
        }
    }
}

int main(int argc, char **argv) {
    /* Whatever started us may have left descriptors open; none may reach a run, or be reached through
     * /proc/self/fd by a path lookup. */
    close_range(3, ~0U, 0);
    if (argc > 1 && strcmp(argv[1], "--namespace") == 0) ns_enter(argc, argv); /* sets ns_mode and run_cpus */
    else is_init = getpid() == 1;

    struct sigaction sa = {.sa_handler = on_sigchld}; /* no SA_RESTART: read()/poll() return EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
    signal(SIGPIPE, SIG_IGN); /* a host or a run that closes its end must give us EPIPE, not kill us */
    umask(0);                 /* every file and directory the agent creates gets an explicit mode */

    if (!ns_mode) {
        init_system();
        if (cgroup_usable()) {
            int fd = open("/sys/fs/cgroup", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (fd >= 0) cg_use_v2(fd);
        }
        /* Dev-only switch, honoured only when not PID 1: the production agent cannot be redirected. */
        const char *dev = is_init ? NULL : getenv("JUDGE_AGENT_DEVICE");
        if (!is_init) prctl(PR_SET_CHILD_SUBREAPER, 1); /* orphans of runs come to us, as they would to PID 1 */
        port_open(dev);
        long online = sysconf(_SC_NPROCESSORS_ONLN); /* a VM's programs may spread over all its vCPUs */
        run_cpus = online > 0 ? (int)online : 1;
    }
    quiet_stdio();
    send_hello(T_READY, 0);
    log_info("ready");

    for (;;) {
        struct req r;
        read_request(&r);
        switch (r.type) {
        case T_HELLO: case T_PING: case T_WRITE_FILE: case T_READ_FILE:
        case T_RUN: case T_RESEED: case T_MKDIR:
            if (!req_wellformed(&r)) {
                send_error(r.id, E_MALFORMED, "malformed payload (a field overruns it)");
                break;
            }
            switch (r.type) {
            case T_HELLO: send_hello(T_HELLO | T_REPLY, r.id); break;
            case T_PING: handle_ping(&r); break;
            case T_WRITE_FILE: handle_write_file(&r); break;
            case T_READ_FILE: handle_read_file(&r); break;
            case T_RUN: handle_run(&r); break;
            case T_RESEED: handle_reseed(&r); break;
            case T_MKDIR: handle_mkdir(&r); break;
            }
            break;
        default:
            send_error(r.id, E_UNKNOWN_TYPE, "unknown message type 0x%04x", r.type);
        }
        req_free(&r);
    }
}
