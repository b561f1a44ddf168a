/* judge-agent: PID 1 of every Judge guest VM. Shared declarations.
 * The wire protocol is specified in docs/agent-protocol.md. */
#ifndef JUDGE_AGENT_H
#define JUDGE_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define AGENT_VERSION "1.0.0"
#define PROTOCOL_VERSION 4

#define FRAME_MAGIC 0x3141474Au /* "JGA1" little-endian */
#define HEADER_SIZE 16
#define MAX_PAYLOAD (64u << 20)
#define MAX_ID 0xFFFFFFFELL /* largest valid uid/gid: (uid_t)-1 means "unchanged" to chown */

enum msg_type {
    T_READY = 0x0001,
    T_HELLO = 0x0002,
    T_PING = 0x0003,
    T_WRITE_FILE = 0x0004,
    T_READ_FILE = 0x0005,
    T_RUN = 0x0006,
    T_RESEED = 0x0007,
    T_MKDIR = 0x0008,
    T_INTERACT = 0x0009,
    T_ERROR = 0x7FFF,
    T_REPLY = 0x8000, /* reply type = request type | T_REPLY */
};

/* Field tags, per message type (docs/agent-protocol.md); RUN's are with RUN below. */
enum hello_tag { HELLO_PROTOCOL = 1, HELLO_AGENT_VERSION = 2, HELLO_IMAGE_VERSION = 3, HELLO_KERNEL = 4, HELLO_UPTIME_MS = 5, HELLO_CGROUPS = 6 };
enum ping_tag { PING_DATA = 1 };
enum file_tag { FILE_PATH = 1, FILE_DATA = 2, FILE_MODE = 3, FILE_UID = 4, FILE_GID = 5, FILE_APPEND = 6 }; /* WRITE_FILE, MKDIR */
enum read_tag { READ_PATH = 1, READ_MAX_BYTES = 2, READ_R_DATA = 1, READ_R_SIZE = 2, READ_R_TRUNCATED = 3 };
enum reseed_tag { RESEED_ENTROPY = 1, RESEED_TIME_NS = 2 };
enum error_tag { ERROR_CODE = 1, ERROR_MESSAGE = 2 };

#define READ_DEFAULT (16LL << 20)                  /* READ_FILE's max_bytes when absent */
#define READ_CAP ((int64_t)MAX_PAYLOAD - 4096)     /* so that the reply still fits in one frame */

enum err_code {
    E_BAD_MAGIC = 1,
    E_TOO_LARGE = 2,
    E_UNKNOWN_TYPE = 3,
    E_MALFORMED = 4,
    E_INVALID = 5,
    E_IO = 6,
    E_EXEC_FAILED = 7,
    E_CGROUP = 8,
    E_INTERNAL = 9,
};

/* ---- util (util.c): helpers, and the facts about this agent set once at start ---- */
extern bool is_init;           /* we are PID 1 of a VM */
extern bool ns_mode;           /* we are PID 1 of a namespace sandbox on the host (judge-agent --namespace) */
extern const char *ns_image_version;
/* CPUs a run's processes may use, whatever affinity they set themselves: the namespace sandbox's cpuset,
 * or every CPU of the VM. The watch loop sleeps no longer than the CPU limit could take on all of them. */
extern int run_cpus;
void logmsg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_err(...) logmsg(3, __VA_ARGS__)
#define log_info(...) logmsg(6, __VA_ARGS__)
int64_t mono_us(void); /* CLOCK_MONOTONIC in microseconds */
void sleep_ms(int ms);
/* Reaps every exited child. If `main_pid` is among them, stores its wait status in *status, the
 * exit time in *t_exit and sets *exited. Orphans of runs are reparented to us (PID 1 or subreaper). */
void reap_children(pid_t main_pid, int *status, bool *exited, int64_t *t_exit);
int read_small_file(const char *path, char *buf, size_t size); /* NUL-terminated; -1 + errno on error */
int write_small_file(const char *path, const char *val);        /* -1 + errno on error */
int read_small_file_at(int dirfd, const char *path, char *buf, size_t size); /* the same, relative to dirfd */
int write_small_file_at(int dirfd, const char *path, const char *val);
int write_fd_all(int fd, const uint8_t *p, size_t n); /* -1 + errno on error */

/* ---- paths the host names (path.c): resolved without following any symbolic or magic link ---- */
#define PATH_BUF 4096     /* longest path the host may name, NUL included */
#define PATH_LEAF_MAX 255 /* NAME_MAX */
/* openat() of `path` (absolute) through an O_NOFOLLOW walk from the root; "." and ".." are EINVAL, a
 * symbolic link anywhere is ELOOP. `create_parents` makes missing directories on the way (root's, 0755). */
int path_open(const char *path, int flags, mode_t mode, bool create_parents);
/* mkdir of `path` (parents created), or the directory already there; returns it opened O_RDONLY. */
int path_mkdir(const char *path, mode_t mode);
const char *path_strerror(int err); /* strerror, with ELOOP explained */

/* ---- outgoing frames (proto.c) ---- */
struct out {
    uint8_t *p;      /* header (HEADER_SIZE bytes) + payload */
    size_t len, cap;
    bool failed;     /* an allocation failed: send_frame sends ERROR INTERNAL instead */
};
void out_init(struct out *o);
void out_free(struct out *o);
bool out_reserve(struct out *o, size_t n); /* make room for n more bytes */
void out_int(struct out *o, uint16_t tag, int64_t v);
void out_bytes(struct out *o, uint16_t tag, const void *data, size_t n);
void out_str(struct out *o, uint16_t tag, const char *s);
/* For a bytes field filled in place: out_field_begin writes the field header and returns its offset;
 * the caller appends data at o->p + o->len (after out_reserve) and then calls out_field_end. */
size_t out_field_begin(struct out *o, uint16_t tag);
void out_field_end(struct out *o, size_t start);
/* Completes the header and writes the frame to the port; frees the buffer. */
void send_frame(struct out *o, uint16_t type, uint32_t id);
void send_error(uint32_t id, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- the port (proto.c) ---- */
void port_open(const char *dev_path); /* dev_path: NULL = the virtio-serial port named "ctl" */
void port_adopt(int fd);              /* namespace mode: a connected socket; EOF on it ends the agent */

/* ---- incoming requests (proto.c) ---- */
struct req {
    uint16_t type;
    uint32_t id;
    uint8_t *payload; /* malloc'd, `len` bytes */
    uint32_t len;
    char *strpool;    /* NUL-terminated copies of string fields (req_str) */
    size_t strpool_used;
};
struct field {
    uint16_t tag;
    uint32_t len;
    const uint8_t *val;
};
/* Blocks until one complete request frame has arrived. Handles bad magic, oversized frames and EOF
 * itself (those never reach the caller). */
void read_request(struct req *r);
void req_free(struct req *r);
/* Checks that the payload is a well-formed TLV sequence. */
bool req_wellformed(const struct req *r);
/* Iterates fields: start with *off = 0; returns false at the end. Payload must be well-formed. */
bool req_next(const struct req *r, size_t *off, struct field *f);
/* Last occurrence of `tag`; false if absent. */
bool req_find(const struct req *r, uint16_t tag, struct field *f);
size_t req_count(const struct req *r, uint16_t tag);

/* Field accessors. They return 0 on success; otherwise they have already sent the ERROR reply and
 * return -1 (MALFORMED: integer length != 8; INVALID: NUL in a string, negative, not absolute...). */
int req_int(struct req *r, uint16_t tag, int64_t def, int64_t min, int64_t max, int64_t *out);
/* A string field as a NUL-terminated string (NULL when absent: *out = def). */
int req_str(struct req *r, const struct field *f, char **out);
int req_path(struct req *r, uint16_t tag, const char *def, bool required, char **out);

/* ---- guest setup (init.c) ---- */
void init_system(void);        /* PID 1 duties: mounts, cgroups, /box */
bool cgroup_usable(void);      /* cgroup2 with cpu, memory and pids enabled for children */
const char *find_ctl_port(void); /* waits for /dev/vportNpM named "ctl" */

/* ---- namespace mode (ns.c) ---- */
/* Parses the --namespace command line, enters the namespaces and returns in the sandbox's first
 * process, set up, with the control socket adopted as the port; exits on failure. */
void ns_enter(int argc, char **argv);

/* ---- what confines every run (confine.c) ---- */
/* The directories a run may write to in the guest image (the world-writable ones, and /dev/shm): each run
 * gets a fresh tmpfs on each that exists. tests/Judge.Sandbox.IntegrationTests finds every directory a run
 * can write to and checks that nothing written there survives the run, so a new one in the image shows. */
#define SCRATCH_DIRS "/tmp", "/var/tmp", "/run/lock", "/dev/shm"
#define SCRATCH_INODES 65536  /* files and directories per scratch tmpfs; its size is the run's memory limit */
#define PROC_OPTIONS "hidepid=invisible" /* /proc of VMs and namespace sandboxes: other users' processes unseen */
#define HIDDEN_MAX 8          /* read-only or hidden paths per run, each */
/* A run's own view of the file system, made by its child in new mount and IPC namespaces. */
struct view {
    char *readonly[HIDDEN_MAX]; /* bound read-only */
    size_t nreadonly;
    char *hidden[HIDDEN_MAX];   /* covered by an empty read-only tmpfs */
    size_t nhidden;
};
/* Enters the run's view (as root, before the child drops privileges); -1 with errno and the path or
 * step that failed in *failed. Paths that do not exist are skipped: there is nothing to protect. */
int view_enter(const struct view *v, int64_t mem, const char **failed);
/* MS_REMOUNT | MS_BIND | MS_RDONLY of a mount, keeping the flags it has (locked in a user namespace). */
int remount_readonly(const char *path, unsigned long extra);
int drop_capability_bounding_set(void);
int install_seccomp_filter(void);

/* ---- the cgroups of runs (cgroup.c) ---- */
#define CG_MAX_FDS 3 /* hierarchies runs get groups in: v2, or v1 memory, pids and cpuacct */
#define CG1_BASES 4  /* v1 hierarchies of a namespace sandbox: those, and its cpuset */
struct cg {
    char name[32]; /* run-N; empty when there is none */
};
void cg_use_v2(int dirfd);
void cg_use_v1(int memory_fd, int pids_fd, int cpuacct_fd);
bool cg_usable(void);
/* Creates the group with its memory (bytes) and process limits (0 = none); -1 with a message in err. */
int cg_create(struct cg *c, int64_t mem, int64_t pids, char *err, size_t errlen);
/* Opens the group's cgroup.procs (one per hierarchy, unused slots -1), for the child to join it. */
int cg_open_procs(const struct cg *c, int fds[CG_MAX_FDS]);
int64_t cg_cpu_usec(const struct cg *c);
void cg_cpu_split(const struct cg *c, int64_t *user_usec, int64_t *sys_usec);
int64_t cg_peak(const struct cg *c);
int64_t cg_oom_kills(const struct cg *c);
bool cg_populated(const struct cg *c);
void cg_kill(const struct cg *c);
void cg_remove(struct cg *c);
void cg_sweep(void);

/* ---- the other requests (requests.c) ---- */
void send_hello(uint16_t type, uint32_t id); /* READY (type T_READY, id 0) or the HELLO reply */
void handle_ping(struct req *r);
void handle_write_file(struct req *r);
void handle_mkdir(struct req *r);
void handle_read_file(struct req *r);
void handle_reseed(struct req *r);

/* ---- RUN (run.c) ---- */
enum run_tag {
    RUN_ARGV = 1, RUN_ENV = 2, RUN_CWD = 3, RUN_STDIN_DATA = 4, RUN_STDIN_PATH = 5, RUN_STDOUT_PATH = 6,
    RUN_UID = 7, RUN_GID = 8, RUN_CPU_MS = 10, RUN_WALL_MS = 11, RUN_MEMORY = 12, RUN_PIDS = 13,
    RUN_OUTPUT_CAP = 14, RUN_FSIZE = 15, RUN_NOFILE = 16, RUN_STACK = 17, RUN_KILL_ON_OUTPUT = 18,
    RUN_READONLY_PATH = 19, RUN_HIDDEN_PATH = 20, RUN_IGNORE_SIGPIPE = 21, RUN_ADDRESS_SPACE = 22,
};
enum run_reply_tag {
    RUN_R_EXIT_CODE = 1, RUN_R_SIGNAL = 2, RUN_R_CPU_US = 3, RUN_R_WALL_US = 4, RUN_R_PEAK_MEMORY = 5,
    RUN_R_OOM = 6, RUN_R_LIMIT = 7, RUN_R_STDOUT = 8, RUN_R_STDERR = 9, RUN_R_STDOUT_OVER = 10,
    RUN_R_STDERR_OVER = 11, RUN_R_SPAWN_US = 12, RUN_R_PROCESS_US = 13, RUN_R_USER_US = 14, RUN_R_SYSTEM_US = 15,
};
/* The limit that stopped a run (reply tag 7). */
enum limit_reason { LIMIT_NONE = 0, LIMIT_CPU = 1, LIMIT_WALL = 2, LIMIT_OUTPUT = 3, LIMIT_MEMORY = 4 };
void handle_run(struct req *r);

/* ---- INTERACT (run.c): two RUNs at once, the program's stdout the peer's stdin and the peer's stdout the program's ---- */
enum interact_tag { INTERACT_PROGRAM = 1, INTERACT_PEER = 2 }; /* bytes: a RUN payload each, without stdin or stdout fields */
enum interact_reply_tag { INTERACT_R_PROGRAM = 1, INTERACT_R_PEER = 2, INTERACT_R_FIRST = 3 }; /* two RUN replies; who ended first */
enum interact_first { FIRST_PROGRAM = 1, FIRST_PEER = 2 };
void handle_interact(struct req *r);

#endif
