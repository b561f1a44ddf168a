/* judge-agent: PID 1 of every Judge guest VM.
 *
 * It sets the guest up (init.c), opens the virtio-serial port named "ctl", announces itself with
 * READY and then serves the host's requests one at a time, in order (docs/agent-protocol.md).
 * It must never exit: PID 1 exiting panics the kernel. Errors are logged to /dev/kmsg and answered
 * with ERROR frames. This file: start-up and the main loop; the simple requests are in requests.c, RUN and INTERACT in
 * run.c, framing in proto.c, guest setup in init.c, shared helpers in util.c.
 *
 * Namespace mode (`judge-agent --namespace ...`, ns.c): on hosts where no VM runs at full speed, the
 * same agent is the first process of a fresh set of Linux namespaces instead, serving a Unix socket.
 *
 * Dev/test only: when it is not PID 1, JUDGE_AGENT_DEVICE=<path> makes it use that path as the port
 * (a Unix socket it connects to, and reconnects to after EOF, or a character device), and it
 * leaves mounts and cgroups alone. As PID 1 the variable is ignored. */
#define _GNU_SOURCE
#include "agent.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

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
        case T_RUN: case T_RESEED: case T_MKDIR: case T_INTERACT:
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
            case T_INTERACT: handle_interact(&r); break;
            }
            break;
        default:
            send_error(r.id, E_UNKNOWN_TYPE, "unknown message type 0x%04x", r.type);
        }
        req_free(&r);
    }
}
