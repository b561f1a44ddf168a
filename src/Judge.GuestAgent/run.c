/* RUN: one command as a fresh process tree in its own cgroup (cgroup.c), with limits, captured
 * output and timing; every process of it is killed and the cgroup removed before the reply is sent.
 * INTERACT: two such runs at once, each one's stdout piped to the other's stdin (an interactive problem's
 * program and its interactor), each under its own limits and in its own cgroup. */
#define _GNU_SOURCE
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CAP_DEFAULT 65536
#define CAP_MAX (16LL << 20)          /* per stream, so that a reply always fits in MAX_PAYLOAD */
#define MS_MAX 1000000000000LL        /* 31 years: keeps ms -> us conversions from overflowing */
#define PIDS_MAX 4194304LL            /* PID_MAX_LIMIT; pids.max rejects more, so larger means "max" */
#define EMPTY_WAIT_US 5000000         /* bound on waiting for a killed cgroup to empty */
#define TICK_MS 10                    /* while a kill is pending: kill again and look for the exit this often */
#define MAX_SLEEP_MS 100              /* limit checks at least this often */
#define READ_BUDGET (1 << 20)         /* per stream per tick, so that a flood cannot starve the checks */

extern char **environ;

struct run {
    char **argv, **envp;
    char *cwd, *stdin_path, *stdout_path;
    struct field stdin_data;
    bool has_stdin_data;
    int64_t uid, gid, cpu_ms, wall_ms, mem, pids, cap, fsize, nofile, stack, out_kill, ignore_sigpipe, address_space;
    struct view view;
    struct cg cg; /* this run's cgroup; empty name until created */
};


static const char *const default_env[] = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/tmp", "LANG=C.UTF-8", "TMPDIR=/tmp", NULL};

/* ---- request ------------------------------------------------------------------------------------ */

/* A repeated path field into `paths` (at most HIDDEN_MAX). */
static int parse_paths(struct req *r, const struct field *f, char **paths, size_t *n) {
    if (*n == HIDDEN_MAX) {
        send_error(r->id, E_INVALID, "field %u: more than %d paths", f->tag, HIDDEN_MAX);
        return -1;
    }
    if (req_str(r, f, &paths[*n]) < 0) return -1;
    if (paths[*n][0] != '/') {
        send_error(r->id, E_INVALID, "field %u: path '%s' is not absolute", f->tag, paths[*n]);
        return -1;
    }
    (*n)++;
    return 0;
}

static int parse_run(struct req *r, struct run *R) {
    size_t argc = req_count(r, RUN_ARGV), envc = req_count(r, RUN_ENV);
    if (argc == 0) {
        send_error(r->id, E_MALFORMED, "missing required field 1 (argv)");
        return -1;
    }
    R->argv = calloc(argc + 1, sizeof *R->argv);
    R->envp = calloc(envc + 1, sizeof *R->envp);
    if (!R->argv || !R->envp) {
        send_error(r->id, E_INTERNAL, "out of memory");
        return -1;
    }
    size_t off = 0, ai = 0, ei = 0;
    struct field f;
    while (req_next(r, &off, &f)) {
        if (f.tag == RUN_ARGV && req_str(r, &f, &R->argv[ai++]) < 0) return -1;
        if (f.tag == RUN_READONLY_PATH && parse_paths(r, &f, R->view.readonly, &R->view.nreadonly) < 0) return -1;
        if (f.tag == RUN_HIDDEN_PATH && parse_paths(r, &f, R->view.hidden, &R->view.nhidden) < 0) return -1;
        if (f.tag == RUN_ENV) {
            if (req_str(r, &f, &R->envp[ei]) < 0) return -1;
            if (R->envp[ei][0] == '=' || !strchr(R->envp[ei], '=')) {
                send_error(r->id, E_INVALID, "env entry '%s' is not KEY=VALUE", R->envp[ei]);
                return -1;
            }
            ei++;
        }
    }
    if (envc == 0) {
        free(R->envp);
        R->envp = (char **)default_env;
    }
    const char *a0 = R->argv[0];
    if (a0[0] == 0 || (a0[0] != '/' && strchr(a0, '/'))) {
        send_error(r->id, E_INVALID, "argv[0] '%s' must be an absolute path or a name to look up in PATH", a0);
        return -1;
    }
    R->has_stdin_data = req_find(r, RUN_STDIN_DATA, &R->stdin_data);
    if (req_path(r, RUN_CWD, "/box", false, &R->cwd) < 0 || req_path(r, RUN_STDIN_PATH, "/dev/null", false, &R->stdin_path) < 0 ||
        req_path(r, RUN_STDOUT_PATH, NULL, false, &R->stdout_path) < 0 || req_int(r, RUN_UID, 1000, 0, MAX_ID, &R->uid) < 0 ||
        req_int(r, RUN_GID, 1000, 0, MAX_ID, &R->gid) < 0 || req_int(r, RUN_CPU_MS, 0, 0, INT64_MAX, &R->cpu_ms) < 0 ||
        req_int(r, RUN_WALL_MS, 0, 0, INT64_MAX, &R->wall_ms) < 0 || req_int(r, RUN_MEMORY, 0, 0, INT64_MAX, &R->mem) < 0 ||
        req_int(r, RUN_PIDS, 0, 0, INT64_MAX, &R->pids) < 0 || req_int(r, RUN_OUTPUT_CAP, CAP_DEFAULT, 0, INT64_MAX, &R->cap) < 0 ||
        req_int(r, RUN_FSIZE, 0, 0, INT64_MAX, &R->fsize) < 0 || req_int(r, RUN_NOFILE, 256, 0, INT64_MAX, &R->nofile) < 0 ||
        req_int(r, RUN_STACK, 0, 0, INT64_MAX, &R->stack) < 0 || req_int(r, RUN_KILL_ON_OUTPUT, 1, 0, 1, &R->out_kill) < 0 ||
        req_int(r, RUN_IGNORE_SIGPIPE, 0, 0, 1, &R->ignore_sigpipe) < 0 || req_int(r, RUN_ADDRESS_SPACE, 0, 0, INT64_MAX, &R->address_space) < 0)
        return -1;
    if (R->cpu_ms > MS_MAX) R->cpu_ms = MS_MAX;
    if (R->wall_ms > MS_MAX) R->wall_ms = MS_MAX;
    if (R->cap > CAP_MAX) R->cap = CAP_MAX;
    if (R->pids > PIDS_MAX) R->pids = 0;
    if (R->stack == 0) R->stack = R->mem;
    return 0;
}

/* ---- cgroup ------------------------------------------------------------------------------------- */

/* Kills everything in the group and waits (bounded) until it is empty, reaping as we go (the
 * killed processes are our children or orphans reparented to us). */
static bool cg_empty(const struct cg *c, pid_t pid, int *status, bool *exited, int64_t *t_exit) {
    int64_t start = mono_us(), last_kill = start;
    cg_kill(c);
    for (;;) {
        reap_children(pid, status, exited, t_exit);
        if (!cg_populated(c)) return true;
        int64_t now = mono_us();
        if (now - start > EMPTY_WAIT_US) return false;
        if (now - last_kill > 100000) { /* cgroup.kill is reliable; this is only belt and braces */
            cg_kill(c);
            last_kill = now;
        }
        sleep_ms(1);
    }
}

/* ---- the child ---------------------------------------------------------------------------------- */

enum { S_CGROUP = 1, S_VIEW, S_RLIMIT, S_STDIO, S_FDS, S_CAPS, S_SETGROUPS, S_SETGID, S_SETUID, S_NNP, S_SECCOMP, S_CHDIR, S_EXEC };
static const char *const stage_names[] = {"", "joining the cgroup", "making the run's view", "setrlimit", "dup2", "close_range",
                                          "PR_CAPBSET_DROP", "setgroups", "setgid", "setuid", "PR_SET_NO_NEW_PRIVS", "seccomp", "chdir",
                                          "execve"};
/* Records the child sends up the report pipe: {0, 0, t} just before execve (t = CLOCK_MONOTONIC us,
 * the start of "process time"), {stage, errno, 0, what} when a step fails. Smaller than PIPE_BUF. */
struct report {
    int stage, err;
    int64_t t;
    char what[256];
};

static int limit(int res, uint64_t v) {
    struct rlimit rl = {(rlim_t)v, (rlim_t)v}; /* hard = soft: the program cannot raise it */
    return setrlimit(res, &rl);
}

static int set_limits(const struct run *R) {
    if (limit(RLIMIT_CORE, 0) < 0) return -1;
    /* Backstop for the cgroup CPU watch: SIGXCPU at ceil(limit)+1 s, SIGKILL a second later. */
    struct rlimit cpu = {RLIM_INFINITY, RLIM_INFINITY};
    if (R->cpu_ms) {
        cpu.rlim_cur = (rlim_t)((R->cpu_ms + 999) / 1000 + 1);
        cpu.rlim_max = cpu.rlim_cur + 1;
    }
    if (setrlimit(RLIMIT_CPU, &cpu) < 0) return -1;
    if (limit(RLIMIT_FSIZE, R->fsize ? (uint64_t)R->fsize : RLIM_INFINITY) < 0) return -1;
    if (R->nofile && limit(RLIMIT_NOFILE, (uint64_t)R->nofile) < 0) return -1;
    if (R->stack && limit(RLIMIT_STACK, (uint64_t)R->stack) < 0) return -1;
    /* Virtual memory, for clients that expect malloc to fail at the limit (Jobe's) rather than the cgroup to kill. */
    if (R->address_space && limit(RLIMIT_AS, (uint64_t)R->address_space) < 0) return -1;
    return 0;
}

static void __attribute__((noreturn))
run_child(const struct run *R, const int procs_fd[CG_MAX_FDS], int in_fd, int out_fd, int err_fd, int report_fd) {
    struct report rep = {0, 0, 0, ""};
    const char *failed = "";
#define STEP(which, step_failed) \
    if (step_failed) {           \
        rep.stage = which;       \
        goto fail;               \
    }
    setsid();
    for (int i = 0; i < CG_MAX_FDS; i++) /* "0" = the writing process */
        STEP(S_CGROUP, procs_fd[i] >= 0 && write(procs_fd[i], "0", 1) != 1);
    STEP(S_VIEW, view_enter(&R->view, R->mem, &failed) < 0);
    STEP(S_RLIMIT, set_limits(R) < 0);
    /* Handlers are reset by execve, but ignored signals (SIGPIPE) and the mask are inherited. */
    for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);
    if (R->ignore_sigpipe) signal(SIGPIPE, SIG_IGN); /* writing to a peer that has gone is then EPIPE, not death */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    STEP(S_STDIO, dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0);
    /* Everything else goes, the control port above all (it is O_CLOEXEC too). report_fd stays
     * until execve closes it (O_CLOEXEC), which tells the parent that execve succeeded. */
    STEP(S_FDS, (report_fd > 3 && close_range(3, (unsigned)report_fd - 1, 0) < 0) ||
                    close_range((unsigned)report_fd + 1, ~0U, 0) < 0);
    /* A judged program (or validator: any run that is not root) keeps no capability, even through a set-id
     * file, and the syscalls it never needs are denied (seccomp). In namespace mode the host kernel is the
     * sandbox's kernel; in a VM this is depth. The judge's own commands as root keep their capabilities,
     * which an empty bounding set would take from them at execve. */
    const bool judged = R->uid != 0;
    STEP(S_CAPS, judged && drop_capability_bounding_set() < 0);
    STEP(S_SETGROUPS, setgroups(0, NULL) < 0);
    STEP(S_SETGID, setgid((gid_t)R->gid) < 0);
    STEP(S_SETUID, setuid((uid_t)R->uid) < 0);
    STEP(S_NNP, prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0);
    STEP(S_SECCOMP, judged && install_seccomp_filter() < 0);
    umask(022);
    STEP(S_CHDIR, chdir(R->cwd) < 0); /* after setuid: the run user must be able to enter it */
    environ = R->envp;                 /* execvp searches the PATH of the run's environment */
    /* Timestamped here rather than by the parent on EOF: on one vCPU the parent may only get to
     * run once the new program blocks or ends. */
    rep.t = mono_us();
    if (write(report_fd, &rep, sizeof rep) < 0) { /* the parent then uses its own clock */ }
    execvp(R->argv[0], R->argv);
    rep.stage = S_EXEC;
    failed = R->argv[0];
fail:
    rep.err = errno;
    if (rep.stage == S_CHDIR) failed = R->cwd;
    snprintf(rep.what, sizeof rep.what, "%s", failed);
    if (write(report_fd, &rep, sizeof rep) < 0) { /* the parent then sees a plain exit 127 */ }
    _exit(127);
#undef STEP
}

/* ---- output capture ----------------------------------------------------------------------------- */

/* One output stream of the run, read from its pipe: kept in memory (stdout captured, stderr), or copied into
 * the file the host named for stdout. The program never holds that file, only the pipe, so it cannot
 * change the file's mode or owner, or keep writing it after the run: what a validator reads afterwards is
 * the agent's file, root's, written by the agent. */
struct capture {
    int fd;          /* the pipe's read end; -1 at EOF */
    int file;        /* the file stdout goes to, or -1 */
    int file_err;    /* errno of a failed write to it */
    uint8_t *buf;
    size_t len, size, limit;
    bool over;
};

static size_t cap_keep(struct capture *c, const uint8_t *data, size_t n) {
    size_t keep = c->limit - c->len < n ? c->limit - c->len : n;
    if (keep && c->file >= 0) {
        if (!c->file_err && write_fd_all(c->file, data, keep) < 0) c->file_err = errno;
        return keep;
    }
    if (keep && c->len + keep > c->size) {
        size_t size = c->size ? c->size * 2 : 65536;
        if (size < c->len + keep) size = c->len + keep;
        if (size > c->limit) size = c->limit;
        uint8_t *p = realloc(c->buf, size);
        if (!p) return 0;
        c->buf = p;
        c->size = size;
    }
    if (keep) memcpy(c->buf + c->len, data, keep);
    return keep;
}

/* Reads what is available (up to `budget` bytes); keeps `limit` bytes, discards and flags the rest. */
static void cap_read(struct capture *c, size_t budget) {
    static uint8_t scratch[65536];
    while (c->fd >= 0 && budget > 0) {
        ssize_t k = read(c->fd, scratch, sizeof scratch);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0 && errno == EAGAIN) return;
        if (k <= 0) { /* EOF: every writer is gone */
            close(c->fd);
            c->fd = -1;
            return;
        }
        budget = budget > (size_t)k ? budget - (size_t)k : 0;
        size_t keep = cap_keep(c, scratch, (size_t)k);
        c->len += keep;
        if ((size_t)k > keep) c->over = true;
    }
}

/* A stdio pipe, owned by the run user: a pipe inode belongs to its creator (root, mode 0600), and
 * reopening /dev/stdin (= /proc/self/fd/0, as node's readFileSync('/dev/stdin') does) or writing to
 * /dev/stderr checks those permissions. */
static int stdio_pipe(int p[2], const struct run *R) {
    if (pipe2(p, O_CLOEXEC) < 0) return -1;
    if (fchown(p[0], (uid_t)R->uid, (gid_t)R->gid) == 0) return 0;
    int e = errno;
    close(p[0]);
    close(p[1]);
    errno = e;
    return -1;
}

static void set_nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }
static void clear_nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK); }
static void close_fd(int *fd) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

/* ---- RUN ---------------------------------------------------------------------------------------- */

/* Both ends of the run's stdio: the child's, and the agent's (stdin data to feed, stdout and stderr). */
struct stdio {
    int child_in, child_out, child_err, in_fd;
    struct capture out, err;
};

/* Opens the run's stdio, as root, so that errors come back as IO with the path: stdin from data (a pipe)
 * or a file; stdout captured, or copied into a file (root's, 0644, made or truncated); stderr captured.
 * Host-named files go through path.c. -1 once the ERROR reply is sent. */
static int open_stdio(struct req *r, const struct run *R, struct stdio *io) {
    int p[2];
    const char *path = R->stdin_path;
    if (R->has_stdin_data) {
        if (stdio_pipe(p, R) < 0) goto pipe_failed;
        io->child_in = p[0];
        io->in_fd = p[1];
        set_nonblock(io->in_fd);
    } else {
        io->child_in = path_open(path, O_RDONLY | O_NONBLOCK, 0, false); /* a FIFO must not block us */
        if (io->child_in < 0) goto io_failed;
        clear_nonblock(io->child_in);
    }
    if (R->stdout_path) {
        path = R->stdout_path;
        io->out.file = path_open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK, 0644, false);
        struct stat st;
        if (io->out.file < 0 || fstat(io->out.file, &st) < 0) goto io_failed;
        if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)) {
            send_error(r->id, E_IO, "%s: neither a regular file nor a character device", path);
            return -1;
        }
        if (S_ISREG(st.st_mode) && (fchown(io->out.file, 0, 0) < 0 || fchmod(io->out.file, 0644) < 0)) goto io_failed;
    }
    if (stdio_pipe(p, R) < 0) goto pipe_failed;
    io->out.fd = p[0];
    io->child_out = p[1];
    set_nonblock(io->out.fd);
    if (stdio_pipe(p, R) < 0) goto pipe_failed;
    io->err.fd = p[0];
    io->child_err = p[1];
    set_nonblock(io->err.fd);
    io->out.limit = io->err.limit = (size_t)R->cap;
    return 0;
io_failed:
    send_error(r->id, E_IO, "%s: %s", path, path_strerror(errno));
    return -1;
pipe_failed:
    send_error(r->id, E_INTERNAL, "stdio pipe: %s", strerror(errno));
    return -1;
}

static void close_stdio(struct stdio *io) {
    close_fd(&io->child_in);
    close_fd(&io->child_out);
    close_fd(&io->child_err);
    close_fd(&io->in_fd);
    close_fd(&io->out.fd);
    close_fd(&io->out.file);
    close_fd(&io->err.fd);
    free(io->out.buf);
    free(io->err.buf);
}

/* Feeds stdin, drains stdout and stderr and checks the limits until the main process exits; returns the
 * limit the run was killed on, if any. */
static int watch(const struct run *R, pid_t pid, int64_t t_fork, struct stdio *io, int *status, int64_t *t_exit) {
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0); /* readable when it exits: no lag on exit */
    const int64_t cpu_us = R->cpu_ms * 1000, wall_us = R->wall_ms * 1000;
    size_t in_off = 0;
    int reason = LIMIT_NONE;
    bool exited = false;
    int64_t last_kill = 0;
    if (io->in_fd >= 0 && R->stdin_data.len == 0) close_fd(&io->in_fd);
    for (;;) {
        reap_children(pid, status, &exited, t_exit);
        if (exited) break;
        int64_t now = mono_us(), used = 0;
        if (!reason) {
            if (wall_us && now - t_fork >= wall_us) reason = LIMIT_WALL;
            else if (cpu_us && (used = cg_cpu_usec(&R->cg)) >= cpu_us) reason = LIMIT_CPU;
            else if (R->out_kill && io->out.over) reason = LIMIT_OUTPUT;
        }
        if (reason && now - last_kill >= 100000) {
            cg_kill(&R->cg);
            last_kill = now;
        }
        struct pollfd pf[4];
        int n = 0, i_in = -1, i_out = -1, i_err = -1;
        if (io->in_fd >= 0) pf[i_in = n++] = (struct pollfd){.fd = io->in_fd, .events = POLLOUT};
        if (io->out.fd >= 0) pf[i_out = n++] = (struct pollfd){.fd = io->out.fd, .events = POLLIN};
        if (io->err.fd >= 0) pf[i_err = n++] = (struct pollfd){.fd = io->err.fd, .events = POLLIN};
        if (pidfd >= 0) pf[n++] = (struct pollfd){.fd = pidfd, .events = POLLIN};
        /* Sleep until a limit could first be reached, not on a fixed tick: the run's CPU time grows at most
         * run_cpus times as fast as the clock (the CPUs its processes may use, whatever affinity they set), and
         * every wake-up of this loop on the program's CPU costs it cache and adds noise to its CPU time.
         * Output and exit wake the loop anyway. Whatever the loop sees, the usage at the end decides. */
        int timeout = TICK_MS;
        if (!reason) {
            int64_t until_us = MAX_SLEEP_MS * 1000;
            if (cpu_us && (cpu_us - used) / run_cpus < until_us) until_us = (cpu_us - used) / run_cpus;
            if (wall_us && t_fork + wall_us - now < until_us) until_us = t_fork + wall_us - now;
            timeout = (int)(until_us / 1000 + 1);
        }
        if (poll(pf, (nfds_t)n, timeout) <= 0) continue; /* timeout or EINTR (SIGCHLD) */
        if (i_in >= 0 && pf[i_in].revents) {
            size_t left = R->stdin_data.len - in_off;
            ssize_t w = write(io->in_fd, R->stdin_data.val + in_off, left < 65536 ? left : 65536);
            if (w > 0) in_off += (size_t)w;
            /* done, or EPIPE: the program closed stdin without reading it all, which is its right */
            if (in_off == R->stdin_data.len || (w < 0 && errno != EAGAIN && errno != EINTR)) close_fd(&io->in_fd);
        }
        if (i_out >= 0 && pf[i_out].revents) cap_read(&io->out, READ_BUDGET);
        if (i_err >= 0 && pf[i_err].revents) cap_read(&io->err, READ_BUDGET);
    }
    close_fd(&pidfd);
    return reason;
}

/* One RUN while it lasts: what `release` frees whatever stage the run stopped at. */
struct running {
    struct run R;
    struct stdio io;
    int procs_fd[CG_MAX_FDS], report[2];
    pid_t pid;
    int status;
    bool exited;
    int64_t t_req, t_fork, t_exec, t_exit;
};

/* What a finished run used, and the limit it ended on. */
struct usage {
    int64_t cpu, peak, oom, user, sys;
    int reason;
};

/* The run's cgroup, report pipe and, with `own_stdio`, its stdio (an INTERACT's are made apart). -1 once the ERROR reply is sent. */
static int prepare(struct req *r, struct running *x, bool own_stdio) {
    if (!cg_usable()) {
        send_error(r->id, E_CGROUP, "no usable cgroups (memory, pids and cpu accounting)");
        return -1;
    }
    char why[256];
    if (cg_create(&x->R.cg, x->R.mem, x->R.pids, why, sizeof why) < 0) {
        send_error(r->id, E_CGROUP, "%s", why);
        return -1;
    }
    if (cg_open_procs(&x->R.cg, x->procs_fd) < 0) {
        send_error(r->id, E_CGROUP, "%s: cannot open the file to join it: %s", x->R.cg.name, strerror(errno));
        return -1;
    }
    if (own_stdio && open_stdio(r, &x->R, &x->io) < 0) return -1;
    if (pipe2(x->report, O_CLOEXEC) < 0) {
        send_error(r->id, E_INTERNAL, "report pipe: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* Forks the child and reads its reports until it has exec'd the program. -1 once the ERROR reply is sent:
 * the child failed on the way (a cgroup, the run's view, the exec), or could not be forked. */
static int spawn(struct req *r, struct running *x) {
    x->t_fork = mono_us();
    x->pid = fork();
    if (x->pid < 0) {
        send_error(r->id, E_INTERNAL, "fork: %s", strerror(errno));
        return -1;
    }
    if (x->pid == 0) run_child(&x->R, x->procs_fd, x->io.child_in, x->io.child_out, x->io.child_err, x->report[1]);
    for (int i = 0; i < CG_MAX_FDS; i++) close_fd(&x->procs_fd[i]);
    close_fd(&x->io.child_in);
    close_fd(&x->io.child_out);
    close_fd(&x->io.child_err);
    close_fd(&x->report[1]);

    /* Read reports until EOF, which comes when execve succeeds (O_CLOEXEC) or the child exits.
     * Records are smaller than PIPE_BUF, so each arrives whole. */
    struct report ce = {0, 0, 0, ""}, rec;
    ssize_t k;
    while ((k = read(x->report[0], &rec, sizeof rec)) != 0) {
        if (k < 0 && errno == EINTR) continue;
        if (k != (ssize_t)sizeof rec) break;
        if (rec.stage == 0) x->t_exec = rec.t;
        else ce = rec;
    }
    if (x->t_exec == 0) x->t_exec = mono_us();
    close_fd(&x->report[0]);
    if (ce.stage == 0) return 0;
    /* the child has _exit()ed or is about to; `release` cleans the cgroup up */
    while (waitpid(x->pid, &x->status, 0) < 0 && errno == EINTR) {}
    if (ce.stage > S_EXEC) ce.stage = S_EXEC;
    ce.what[sizeof ce.what - 1] = 0;
    send_error(r->id, ce.stage == S_CGROUP ? E_CGROUP : ce.stage == S_VIEW ? E_IO : E_EXEC_FAILED, "%s%s%s: %s",
               stage_names[ce.stage], ce.what[0] ? " " : "", ce.what, path_strerror(ce.err));
    return -1;
}

/* The main process is gone: takes what it wrote, kills what is left, waits until the cgroup is empty, reads
 * its accounting and removes it, and closes the stdout file. -1 once the ERROR reply is sent. */
static int collect(struct req *r, struct running *x, int reason, struct usage *u) {
    close_fd(&x->io.in_fd);
    cap_read(&x->io.out, READ_BUDGET);
    cap_read(&x->io.err, READ_BUDGET);
    if (!cg_empty(&x->R.cg, x->pid, &x->status, &x->exited, &x->t_exit)) log_err("%s: still populated after kill", x->R.cg.name);
    cap_read(&x->io.out, SIZE_MAX); /* all writers are dead: reads end at EOF */
    cap_read(&x->io.err, SIZE_MAX);
    u->cpu = cg_cpu_usec(&x->R.cg);
    u->peak = cg_peak(&x->R.cg);
    u->oom = cg_oom_kills(&x->R.cg);
    cg_cpu_split(&x->R.cg, &u->user, &u->sys);
    cg_remove(&x->R.cg);
    if (x->io.out.file >= 0) { /* closed whatever happened; an error writing or closing it is the reply */
        int e = x->io.out.file_err;
        if (close(x->io.out.file) < 0 && !e) e = errno;
        x->io.out.file = -1;
        if (e) {
            send_error(r->id, E_IO, "%s: writing the run's stdout: %s", x->R.stdout_path, strerror(e));
            return -1;
        }
    }

    /* Limits hold on what was used, not on what the watch loop happened to see: a run whose CPU time
     * reached its limit by the end exceeded it, however it ended. */
    if (!reason && u->oom > 0) reason = LIMIT_MEMORY;
    if (!reason && x->R.cpu_ms && u->cpu >= x->R.cpu_ms * 1000) reason = LIMIT_CPU;
    if (!reason && x->R.out_kill && x->io.out.over) reason = LIMIT_OUTPUT;
    u->reason = reason;
    return 0;
}

static void reply_fields(struct out *o, const struct running *x, const struct usage *u) {
    const int status = x->status;
    out_int(o, RUN_R_EXIT_CODE, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    out_int(o, RUN_R_SIGNAL, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    out_int(o, RUN_R_CPU_US, u->cpu > 0 ? u->cpu : 0);
    out_int(o, RUN_R_WALL_US, x->t_exit - x->t_fork);
    out_int(o, RUN_R_PEAK_MEMORY, u->peak > 0 ? u->peak : 0);
    out_int(o, RUN_R_OOM, u->oom > 0);
    out_int(o, RUN_R_LIMIT, u->reason);
    out_bytes(o, RUN_R_STDOUT, x->io.out.buf, x->R.stdout_path ? 0 : x->io.out.len);
    out_bytes(o, RUN_R_STDERR, x->io.err.buf, x->io.err.len);
    out_int(o, RUN_R_STDOUT_OVER, x->io.out.over);
    out_int(o, RUN_R_STDERR_OVER, x->io.err.over);
    out_int(o, RUN_R_SPAWN_US, x->t_exec - x->t_req);
    out_int(o, RUN_R_PROCESS_US, x->t_exit - x->t_exec);
    out_int(o, RUN_R_USER_US, u->user > 0 ? u->user : 0);
    out_int(o, RUN_R_SYSTEM_US, u->sys > 0 ? u->sys : 0);
}

static void reply(const struct req *r, const struct running *x, const struct usage *u) {
    struct out o;
    out_init(&o);
    reply_fields(&o, x, u);
    send_frame(&o, T_RUN | T_REPLY, r->id);
}

static void release(struct running *x) {
    for (int i = 0; i < CG_MAX_FDS; i++) close_fd(&x->procs_fd[i]);
    close_stdio(&x->io);
    close_fd(&x->report[0]);
    close_fd(&x->report[1]);
    if (x->R.cg.name[0]) { /* failed before or during the spawn */
        cg_empty(&x->R.cg, x->pid, &x->status, &x->exited, &x->t_exit);
        cg_remove(&x->R.cg);
    }
    free(x->R.argv);
    if (x->R.envp != (char **)default_env) free(x->R.envp);
}

static void running_init(struct running *x) {
    memset(x, 0, sizeof *x);
    x->io = (struct stdio){-1, -1, -1, -1, {.fd = -1, .file = -1}, {.fd = -1, .file = -1}};
    for (int i = 0; i < CG_MAX_FDS; i++) x->procs_fd[i] = -1;
    x->report[0] = x->report[1] = -1;
    x->pid = -1;
}

void handle_run(struct req *r) {
    struct running x;
    running_init(&x);
    struct usage u;
    if (parse_run(r, &x.R) == 0) {
        x.t_req = mono_us();
        if (prepare(r, &x, true) == 0 && spawn(r, &x) == 0
            && collect(r, &x, watch(&x.R, x.pid, x.t_fork, &x.io, &x.status, &x.t_exit), &u) == 0)
            reply(r, &x, &u);
    }
    release(&x);
}

/* ---- INTERACT ----------------------------------------------------------------------------------- */

/* One of INTERACT's RUN payloads, parsed as a RUN request is; its stdin and stdout are the other run's, so it may not
 * name any. Its strings live in sub->strpool, which the caller frees. -1 once the ERROR reply is sent. */
static int parse_nested(struct req *r, uint16_t tag, struct req *sub, struct run *R) {
    struct field f;
    if (!req_find(r, tag, &f)) {
        send_error(r->id, E_MALFORMED, "missing required field %u (a RUN payload)", tag);
        return -1;
    }
    *sub = (struct req){.type = T_RUN, .id = r->id, .payload = (uint8_t *)f.val, .len = f.len};
    if (!req_wellformed(sub)) {
        send_error(r->id, E_MALFORMED, "field %u: malformed RUN payload (a field overruns it)", tag);
        return -1;
    }
    if (parse_run(sub, R) < 0) return -1;
    static const uint16_t piped[] = {RUN_STDIN_DATA, RUN_STDIN_PATH, RUN_STDOUT_PATH};
    for (size_t i = 0; i < sizeof piped / sizeof *piped; i++) {
        if (req_count(sub, piped[i])) {
            send_error(r->id, E_INVALID, "field %u: an interacting run's stdin and stdout are the other's; RUN tag %u is not allowed",
                       tag, piped[i]);
            return -1;
        }
    }
    return 0;
}

/* The two runs' stdio: the program's stdout is the peer's stdin and the peer's stdout the program's stdin, each one's
 * stderr captured. Both pipes belong to the program's user, as a RUN's stdio pipes do, so that the program may reopen
 * /dev/stdin and /dev/stdout; the peer uses the descriptors it is given. -1 once the ERROR reply is sent. */
static int open_pair_stdio(struct req *r, struct running *prog, struct running *peer) {
    int p[2];
    if (stdio_pipe(p, &prog->R) < 0) goto pipe_failed;
    peer->io.child_in = p[0];
    prog->io.child_out = p[1];
    if (stdio_pipe(p, &prog->R) < 0) goto pipe_failed;
    prog->io.child_in = p[0];
    peer->io.child_out = p[1];
    struct running *both[2] = {prog, peer};
    for (int i = 0; i < 2; i++) {
        if (stdio_pipe(p, &both[i]->R) < 0) goto pipe_failed;
        both[i]->io.err.fd = p[0];
        both[i]->io.child_err = p[1];
        set_nonblock(p[0]);
        both[i]->io.err.limit = (size_t)both[i]->R.cap;
    }
    return 0;
pipe_failed:
    send_error(r->id, E_INTERNAL, "stdio pipe: %s", strerror(errno));
    return -1;
}

/* Watches both runs, as watch() does one, until both main processes have exited: each run's CPU and wall limits, and
 * its stderr. When a run's main process exits, whatever it left behind is killed at once (and again until its group is
 * empty): a process holding its end of a pipe would keep the other run from ever seeing EOF. Returns which ended first:
 * a run stopped on a limit ended when the agent stopped it, since the other, seeing EOF, may well exit before the killed
 * one is reaped. */
static int watch_pair(struct running *x[2], int reason[2]) {
    int pidfd[2];
    int64_t last_kill[2] = {0, 0}, stopped[2] = {INT64_MAX, INT64_MAX};
    for (int i = 0; i < 2; i++) pidfd[i] = (int)syscall(SYS_pidfd_open, x[i]->pid, 0);
    for (;;) {
        int st;
        for (int i = 0; i < 2; i++) /* each main process by its pid, so that neither's status is reaped away */
            if (!x[i]->exited && waitpid(x[i]->pid, &st, WNOHANG) == x[i]->pid) {
                x[i]->status = st;
                x[i]->exited = true;
                x[i]->t_exit = mono_us();
            }
        /* Not reap_children(): a main process exiting meanwhile would be reaped with its status lost. Orphans are zombies
         * (holding no pipe) until collect() reaps them. */
        int64_t now = mono_us(), until_us = MAX_SLEEP_MS * 1000;
        bool killing = false;
        for (int i = 0; i < 2; i++) {
            struct running *y = x[i];
            if (y->exited) { /* again until it is empty: listing and killing (cgroup v1) may miss a process forked meanwhile */
                close_fd(&pidfd[i]);
                if (!cg_populated(&y->R.cg)) continue;
                killing = true;
                if (now - last_kill[i] >= 100000) {
                    cg_kill(&y->R.cg);
                    last_kill[i] = now;
                }
                continue;
            }
            const int64_t cpu_us = y->R.cpu_ms * 1000, wall_us = y->R.wall_ms * 1000;
            int64_t used = 0;
            if (!reason[i]) {
                if (wall_us && now - y->t_fork >= wall_us) reason[i] = LIMIT_WALL;
                else if (cpu_us && (used = cg_cpu_usec(&y->R.cg)) >= cpu_us) reason[i] = LIMIT_CPU;
            }
            if (reason[i]) {
                killing = true;
                if (stopped[i] == INT64_MAX) stopped[i] = now;
                if (now - last_kill[i] >= 100000) {
                    cg_kill(&y->R.cg);
                    last_kill[i] = now;
                }
                continue;
            }
            if (cpu_us && (cpu_us - used) / run_cpus < until_us) until_us = (cpu_us - used) / run_cpus;
            if (wall_us && y->t_fork + wall_us - now < until_us) until_us = y->t_fork + wall_us - now;
        }
        if (x[0]->exited && x[1]->exited) break;
        struct pollfd pf[4];
        int n = 0, i_err[2] = {-1, -1};
        for (int i = 0; i < 2; i++) {
            if (x[i]->io.err.fd >= 0) pf[i_err[i] = n++] = (struct pollfd){.fd = x[i]->io.err.fd, .events = POLLIN};
            if (pidfd[i] >= 0) pf[n++] = (struct pollfd){.fd = pidfd[i], .events = POLLIN};
        }
        if (poll(pf, (nfds_t)n, killing ? TICK_MS : (int)(until_us / 1000 + 1)) <= 0) continue;
        for (int i = 0; i < 2; i++)
            if (i_err[i] >= 0 && pf[i_err[i]].revents) cap_read(&x[i]->io.err, READ_BUDGET);
    }
    int64_t end[2];
    for (int i = 0; i < 2; i++) end[i] = stopped[i] < x[i]->t_exit ? stopped[i] : x[i]->t_exit;
    return end[0] <= end[1] ? FIRST_PROGRAM : FIRST_PEER;
}

/* A run's reply as a bytes field of the INTERACT reply. */
static void out_nested(struct out *o, uint16_t tag, const struct running *x, const struct usage *u) {
    struct out sub;
    out_init(&sub);
    reply_fields(&sub, x, u);
    if (sub.failed) o->failed = true;
    else out_bytes(o, tag, sub.p + HEADER_SIZE, sub.len - HEADER_SIZE);
    out_free(&sub);
}

void handle_interact(struct req *r) {
    struct running x[2];
    struct req sub[2] = {{0}, {0}};
    struct usage u[2];
    int reason[2] = {LIMIT_NONE, LIMIT_NONE};
    running_init(&x[0]);
    running_init(&x[1]);
    if (parse_nested(r, INTERACT_PROGRAM, &sub[0], &x[0].R) == 0 && parse_nested(r, INTERACT_PEER, &sub[1], &x[1].R) == 0) {
        x[0].t_req = x[1].t_req = mono_us();
        if (prepare(r, &x[0], false) == 0 && prepare(r, &x[1], false) == 0 && open_pair_stdio(r, &x[0], &x[1]) == 0 &&
            spawn(r, &x[0]) == 0 && spawn(r, &x[1]) == 0) {
            struct running *both[2] = {&x[0], &x[1]};
            int first = watch_pair(both, reason);
            if (collect(r, &x[0], reason[0], &u[0]) == 0 && collect(r, &x[1], reason[1], &u[1]) == 0) {
                struct out o;
                out_init(&o);
                out_nested(&o, INTERACT_R_PROGRAM, &x[0], &u[0]);
                out_nested(&o, INTERACT_R_PEER, &x[1], &u[1]);
                out_int(&o, INTERACT_R_FIRST, first);
                send_frame(&o, T_INTERACT | T_REPLY, r->id);
            }
        }
    }
    release(&x[0]);
    release(&x[1]);
    free(sub[0].strpool);
    free(sub[1].strpool);
}
