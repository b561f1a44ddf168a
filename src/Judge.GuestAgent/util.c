/* Helpers every part of the agent uses (logging, clocks, small files, reaping children), and the facts about this
 * agent that are set once at start. Nothing here calls into another file of the agent. */
#define _GNU_SOURCE
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

bool is_init;
bool ns_mode;
const char *ns_image_version = "unknown";
int run_cpus = 1;

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

