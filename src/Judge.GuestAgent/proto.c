/* Framing: the port, request frames in, reply frames out, TLV field access. */
#define _GNU_SOURCE
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static void put64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i)); }

/* ------------------------------------------------------------------------------------------------
 * The port. In the guest it is the virtio-serial character device, opened exactly once (a second
 * open fails with EBUSY). read() returns 0 while the host end is not connected; then we sleep and
 * retry. Dev mode (not PID 1, JUDGE_AGENT_DEVICE=<unix socket>): we connect to the socket and
 * reconnect after EOF, which mimics a host reconnecting to the virtio-serial port.
 * ------------------------------------------------------------------------------------------------ */
static int port_fd = -1;
static char *sock_path;
static uint8_t rbuf[64 * 1024];
static size_t rpos, rlen;

static void port_connect(void) {
    for (;;) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock_path);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
            port_fd = fd;
            return;
        }
        if (fd >= 0) close(fd);
        sleep_ms(10);
    }
}

void port_open(const char *dev) {
    struct stat st;
    if (dev && stat(dev, &st) == 0 && S_ISSOCK(st.st_mode)) {
        sock_path = strdup(dev);
        port_connect();
        return;
    }
    if (!dev) dev = find_ctl_port();
    for (int tries = 0;; tries++) {
        port_fd = open(dev, O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (port_fd >= 0) break;
        if (tries % 50 == 0) log_err("open %s: %s", dev, strerror(errno));
        sleep_ms(100);
    }
    log_info("control port %s open", dev);
}

void port_adopt(int fd) { port_fd = fd; }

/* The host went away (EOF) or the port failed: whatever partial frame we hold is stale. */
static void port_eof(void) {
    rpos = rlen = 0;
    if (ns_mode) { /* nobody reconnects to a namespace sandbox; PID 1 exiting ends all of it */
        log_info("control socket closed; exiting");
        _exit(0);
    }
    if (sock_path) {
        close(port_fd);
        port_connect();
    } else {
        sleep_ms(10);
    }
}

/* One read(); returns > 0, or 0 after an EOF/error (which has been handled). */
static size_t port_read(uint8_t *buf, size_t n) {
    static bool logged;
    for (;;) {
        reap_children(0, NULL, NULL, NULL); /* SIGCHLD interrupts read(): reap stray zombies */
        ssize_t k = read(port_fd, buf, n);
        if (k > 0) {
            logged = false;
            return (size_t)k;
        }
        if (k < 0 && errno == EINTR) continue;
        if (k < 0 && !logged) {
            log_err("port read: %s", strerror(errno));
            logged = true;
        }
        port_eof();
        return 0;
    }
}

/* Ensures n (<= sizeof rbuf) buffered bytes at rbuf + rpos; false after EOF. */
static bool need(size_t n) {
    while (rlen - rpos < n) {
        if (rpos > 0) {
            memmove(rbuf, rbuf + rpos, rlen - rpos);
            rlen -= rpos;
            rpos = 0;
        }
        size_t k = port_read(rbuf + rlen, sizeof rbuf - rlen);
        if (k == 0) return false;
        rlen += k;
    }
    return true;
}

/* Moves n bytes of input to dst (NULL: discards them); false after EOF. */
static bool take(uint8_t *dst, size_t n) {
    while (n > 0) {
        if (rpos == rlen) {
            rpos = rlen = 0;
            if (dst && n >= sizeof rbuf) { /* big payloads: read straight into place */
                size_t k = port_read(dst, n);
                if (k == 0) return false;
                dst += k;
                n -= k;
                continue;
            }
            size_t k = port_read(rbuf, sizeof rbuf);
            if (k == 0) return false;
            rlen = k;
        }
        size_t k = rlen - rpos < n ? rlen - rpos : n;
        if (dst) {
            memcpy(dst, rbuf + rpos, k);
            dst += k;
        }
        rpos += k;
        n -= k;
    }
    return true;
}

static void write_all(const uint8_t *p, size_t n) {
    while (n > 0) {
        ssize_t k = write(port_fd, p, n); /* virtio-serial takes at most 32 KiB per write */
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            log_err("port write: %s; frame dropped", k < 0 ? strerror(errno) : "short write");
            return;
        }
        p += k;
        n -= (size_t)k;
    }
}

/* ------------------------------------------------------------------------------------------------
 * Incoming frames.
 * ------------------------------------------------------------------------------------------------ */
void read_request(struct req *r) {
    memset(r, 0, sizeof *r);
    for (;;) {
        /* Find the magic; on garbage report once, then slide byte by byte. */
        bool resyncing = false;
        bool eof = false;
        while (!eof) {
            if (!need(4)) {
                eof = true;
                break;
            }
            if (le32(rbuf + rpos) == FRAME_MAGIC) break;
            if (!resyncing) {
                send_error(0, E_BAD_MAGIC, "bad magic 0x%08x; resynchronising", le32(rbuf + rpos));
                resyncing = true;
            }
            rpos++;
        }
        if (eof || !need(HEADER_SIZE)) continue;
        const uint8_t *h = rbuf + rpos;
        uint16_t type = le16(h + 4);
        uint32_t id = le32(h + 8), len = le32(h + 12);
        rpos += HEADER_SIZE;
        if (len > MAX_PAYLOAD) {
            send_error(id, E_TOO_LARGE, "payload of %u bytes exceeds the maximum of %u", len, MAX_PAYLOAD);
            take(NULL, len);
            continue;
        }
        uint8_t *payload = malloc(len ? len : 1);
        if (!payload) {
            send_error(id, E_INTERNAL, "out of memory for a %u-byte payload", len);
            take(NULL, len);
            continue;
        }
        if (!take(payload, len)) {
            free(payload);
            continue;
        }
        r->type = type;
        r->id = id;
        r->payload = payload;
        r->len = len;
        return;
    }
}

void req_free(struct req *r) {
    free(r->payload);
    free(r->strpool);
    memset(r, 0, sizeof *r);
}

bool req_wellformed(const struct req *r) {
    size_t off = 0;
    while (off < r->len) {
        if (r->len - off < 6) return false;
        uint32_t n = le32(r->payload + off + 2);
        if (n > r->len - off - 6) return false;
        off += 6 + (size_t)n;
    }
    return true;
}

bool req_next(const struct req *r, size_t *off, struct field *f) {
    if (*off >= r->len) return false;
    const uint8_t *p = r->payload + *off;
    f->tag = le16(p);
    f->len = le32(p + 2);
    f->val = p + 6;
    *off += 6 + (size_t)f->len;
    return true;
}

bool req_find(const struct req *r, uint16_t tag, struct field *out) {
    bool found = false;
    struct field f;
    size_t off = 0;
    while (req_next(r, &off, &f))
        if (f.tag == tag) {
            *out = f;
            found = true;
        }
    return found;
}

size_t req_count(const struct req *r, uint16_t tag) {
    size_t n = 0, off = 0;
    struct field f;
    while (req_next(r, &off, &f)) n += f.tag == tag;
    return n;
}

int req_int(struct req *r, uint16_t tag, int64_t def, int64_t min, int64_t max, int64_t *out) {
    struct field f;
    if (!req_find(r, tag, &f)) {
        *out = def;
        return 0;
    }
    if (f.len != 8) {
        send_error(r->id, E_MALFORMED, "field %u: integer of %u bytes (must be 8)", tag, f.len);
        return -1;
    }
    uint64_t u = 0;
    for (int i = 7; i >= 0; i--) u = u << 8 | f.val[i];
    int64_t v = (int64_t)u;
    if (v < min || v > max) {
        send_error(r->id, E_INVALID, "field %u: %lld is out of range [%lld, %lld]", tag, (long long)v,
                   (long long)min, (long long)max);
        return -1;
    }
    *out = v;
    return 0;
}

int req_str(struct req *r, const struct field *f, char **out) {
    if (memchr(f->val, 0, f->len)) {
        send_error(r->id, E_INVALID, "field %u: string contains a NUL byte", f->tag);
        return -1;
    }
    if (!r->strpool) {
        /* every field is >= 6 bytes, so payload + one NUL per field always fits */
        r->strpool = malloc((size_t)r->len + r->len / 6 + 1);
        if (!r->strpool) {
            send_error(r->id, E_INTERNAL, "out of memory");
            return -1;
        }
    }
    char *s = r->strpool + r->strpool_used;
    memcpy(s, f->val, f->len);
    s[f->len] = 0;
    r->strpool_used += (size_t)f->len + 1;
    *out = s;
    return 0;
}

int req_path(struct req *r, uint16_t tag, const char *def, bool required, char **out) {
    struct field f;
    if (!req_find(r, tag, &f)) {
        if (required) {
            send_error(r->id, E_MALFORMED, "missing required field %u (path)", tag);
            return -1;
        }
        *out = (char *)def;
        return 0;
    }
    if (req_str(r, &f, out) < 0) return -1;
    if ((*out)[0] != '/') {
        send_error(r->id, E_INVALID, "field %u: path '%s' is not absolute", tag, *out);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------------
 * Outgoing frames.
 * ------------------------------------------------------------------------------------------------ */
void out_init(struct out *o) {
    o->p = NULL;
    o->len = HEADER_SIZE;
    o->cap = 0;
    o->failed = false;
}

void out_free(struct out *o) {
    free(o->p);
    o->p = NULL;
}

bool out_reserve(struct out *o, size_t n) {
    if (o->failed) return false;
    if (o->p && o->len + n <= o->cap) return true;
    size_t cap = o->cap * 2;
    if (cap < o->len + n) cap = o->len + n;
    if (cap < 256) cap = 256;
    uint8_t *p = realloc(o->p, cap);
    if (!p) {
        o->failed = true;
        return false;
    }
    o->p = p;
    o->cap = cap;
    return true;
}

size_t out_field_begin(struct out *o, uint16_t tag) {
    size_t start = o->len;
    if (!out_reserve(o, 6)) return start;
    put16(o->p + o->len, tag);
    put32(o->p + o->len + 2, 0);
    o->len += 6;
    return start;
}

void out_field_end(struct out *o, size_t start) {
    if (!o->failed) put32(o->p + start + 2, (uint32_t)(o->len - start - 6));
}

void out_bytes(struct out *o, uint16_t tag, const void *data, size_t n) {
    size_t start = out_field_begin(o, tag);
    if (!out_reserve(o, n)) return;
    if (n) memcpy(o->p + o->len, data, n);
    o->len += n;
    out_field_end(o, start);
}

void out_str(struct out *o, uint16_t tag, const char *s) { out_bytes(o, tag, s, strlen(s)); }

void out_int(struct out *o, uint16_t tag, int64_t v) {
    size_t start = out_field_begin(o, tag);
    if (!out_reserve(o, 8)) return;
    put64(o->p + o->len, (uint64_t)v);
    o->len += 8;
    out_field_end(o, start);
}

void send_frame(struct out *o, uint16_t type, uint32_t id) {
    out_reserve(o, 0); /* an empty payload has no buffer yet */
    if (o->failed || o->len - HEADER_SIZE > MAX_PAYLOAD) {
        size_t n = o->len - HEADER_SIZE;
        bool oom = o->failed;
        out_free(o);
        send_error(id, E_INTERNAL, oom ? "out of memory building the reply" : "reply of %zu bytes too large", n);
        return;
    }
    put32(o->p, FRAME_MAGIC);
    put16(o->p + 4, type);
    put16(o->p + 6, 0);
    put32(o->p + 8, id);
    put32(o->p + 12, (uint32_t)(o->len - HEADER_SIZE));
    write_all(o->p, o->len);
    out_free(o);
}

void send_error(uint32_t id, int code, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_info("error %d (id %u): %s", code, id, msg);
    /* Fixed-size frame on the stack: an ERROR must go out even when malloc fails. */
    uint8_t f[HEADER_SIZE + 14 + 6 + sizeof msg];
    size_t n = strlen(msg);
    put32(f, FRAME_MAGIC);
    put16(f + 4, T_ERROR);
    put16(f + 6, 0);
    put32(f + 8, id);
    put32(f + 12, (uint32_t)(14 + 6 + n));
    put16(f + 16, ERROR_CODE);
    put32(f + 18, 8);
    put64(f + 22, (uint64_t)code);
    put16(f + 30, ERROR_MESSAGE);
    put32(f + 32, (uint32_t)n);
    memcpy(f + 36, msg, n);
    write_all(f, 36 + n);
}
