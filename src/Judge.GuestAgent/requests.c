/* The requests other than RUN (run.c): HELLO and READY, PING, WRITE_FILE, MKDIR, READ_FILE, RESEED. */
#define _GNU_SOURCE
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/random.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/* ---- HELLO / READY ------------------------------------------------------------------------------ */

void send_hello(uint16_t type, uint32_t id) {
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
    out_int(&o, HELLO_PROTOCOL, PROTOCOL_VERSION);
    out_str(&o, HELLO_AGENT_VERSION, AGENT_VERSION);
    out_str(&o, HELLO_IMAGE_VERSION, n > 0 ? version : "unknown");
    out_str(&o, HELLO_KERNEL, u.release);
    out_int(&o, HELLO_UPTIME_MS, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    out_int(&o, HELLO_CGROUPS, cg_usable());
    send_frame(&o, type, id);
}

/* ---- PING --------------------------------------------------------------------------------------- */

void handle_ping(struct req *r) {
    struct field f;
    struct out o;
    out_init(&o);
    if (req_find(r, PING_DATA, &f)) {
        if (f.len > 4096) {
            send_error(r->id, E_INVALID, "ping data of %u bytes exceeds 4096", f.len);
            return;
        }
        out_bytes(&o, PING_DATA, f.val, f.len);
    }
    send_frame(&o, T_PING | T_REPLY, r->id);
}

/* ---- WRITE_FILE / MKDIR ------------------------------------------------------------------------- */

void handle_write_file(struct req *r) {
    char *path;
    int64_t mode, uid, gid, append;
    if (req_path(r, FILE_PATH, NULL, true, &path) < 0 || req_int(r, FILE_MODE, 0644, 0, 07777, &mode) < 0 ||
        req_int(r, FILE_UID, 0, 0, MAX_ID, &uid) < 0 || req_int(r, FILE_GID, 0, 0, MAX_ID, &gid) < 0 ||
        req_int(r, FILE_APPEND, 0, 0, 1, &append) < 0)
        return;
    struct field data = {.len = 0, .val = NULL};
    req_find(r, FILE_DATA, &data);

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

void handle_mkdir(struct req *r) {
    char *path;
    int64_t mode, uid, gid;
    if (req_path(r, FILE_PATH, NULL, true, &path) < 0 || req_int(r, FILE_MODE, 0755, 0, 07777, &mode) < 0 ||
        req_int(r, FILE_UID, 0, 0, MAX_ID, &uid) < 0 || req_int(r, FILE_GID, 0, 0, MAX_ID, &gid) < 0)
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

void handle_read_file(struct req *r) {
    char *path;
    int64_t max;
    if (req_path(r, READ_PATH, NULL, true, &path) < 0 || req_int(r, READ_MAX_BYTES, READ_DEFAULT, 0, INT64_MAX, &max) < 0) return;
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
    size_t start = out_field_begin(&o, READ_R_DATA);
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
    out_int(&o, READ_R_SIZE, size);
    out_int(&o, READ_R_TRUNCATED, size > (int64_t)got);
    send_frame(&o, T_READ_FILE | T_REPLY, r->id);
    return;
fail:;
    int e = errno;
    if (fd >= 0) close(fd);
    out_free(&o);
    send_error(r->id, E_IO, "%s: %s: %s", path, what, path_strerror(e));
}

/* ---- RESEED ------------------------------------------------------------------------------------- */

void handle_reseed(struct req *r) {
    struct field e;
    int64_t t;
    if (!req_find(r, RESEED_ENTROPY, &e)) {
        send_error(r->id, E_MALFORMED, "missing required field 1 (entropy)");
        return;
    }
    if (req_int(r, RESEED_TIME_NS, -1, 0, INT64_MAX, &t) < 0) return;
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
