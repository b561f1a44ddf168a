/* Paths the host names (files to write and read, a run's stdin and stdout, directories to mount over) are
 * resolved here, and only here, without following anything a judged program could have planted: every
 * component is opened relative to the one before it with O_NOFOLLOW, from the agent's root, so no symbolic
 * link, no /proc magic link (/proc/self/fd/N, /proc/self/root) and no ".." is ever resolved. A symbolic link
 * anywhere in the path is ELOOP. (openat2's RESOLVE_NO_SYMLINKS would do the same in one call; the walk is
 * also what creates missing parents, and it works on every kernel and under seccomp profiles that refuse
 * openat2, so it is the one mechanism.) */
#define _GNU_SOURCE
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* openat(O_NOFOLLOW | O_DIRECTORY) of a symbolic link fails with ENOTDIR: say what it really was. */
static int link_errno(int dirfd, const char *name) {
    struct stat st;
    return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode) ? ELOOP : ENOTDIR;
}

/* The directory holding the last component of `path`, as an O_PATH fd, and that component in `leaf` (at
 * most NAME_MAX bytes). Missing directories on the way are created (root's, 0755) when `create` is set. */
static int walk_parent(const char *path, bool create, char leaf[PATH_LEAF_MAX + 1]) {
    if (path[0] != '/' || strlen(path) >= PATH_BUF) {
        errno = path[0] != '/' ? EINVAL : ENAMETOOLONG;
        return -1;
    }
    char buf[PATH_BUF];
    strcpy(buf, path);
    int dirfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) return -1;
    char *next = buf, *name = NULL;
    for (;;) {
        while (*next == '/') next++;
        char *end = next + strcspn(next, "/");
        bool last = *end == 0 || end[strspn(end, "/")] == 0;
        *end = 0;
        name = next;
        if (!strcmp(name, ".") || !strcmp(name, "..") || strlen(name) > PATH_LEAF_MAX) {
            close(dirfd);
            errno = strlen(name) > PATH_LEAF_MAX ? ENAMETOOLONG : EINVAL;
            return -1;
        }
        if (last) break;
        if (create && mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST) goto fail;
        int fd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            if (errno == ENOTDIR) errno = link_errno(dirfd, name);
            goto fail;
        }
        close(dirfd);
        dirfd = fd;
        next = end + 1;
    }
    if (!*name) { /* "/" itself: it has no parent to open it in */
        close(dirfd);
        errno = EINVAL;
        return -1;
    }
    strcpy(leaf, name);
    return dirfd;
fail:;
    int e = errno;
    close(dirfd);
    errno = e;
    return -1;
}

int path_open(const char *path, int flags, mode_t mode, bool create_parents) {
    char leaf[PATH_LEAF_MAX + 1];
    int dirfd = walk_parent(path, create_parents, leaf);
    if (dirfd < 0) return -1;
    int fd = openat(dirfd, leaf, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode);
    int e = errno;
    if (fd < 0 && e == ENOTDIR && (flags & O_DIRECTORY)) e = link_errno(dirfd, leaf);
    close(dirfd);
    errno = e;
    return fd;
}

int path_mkdir(const char *path, mode_t mode) {
    char leaf[PATH_LEAF_MAX + 1];
    int dirfd = walk_parent(path, true, leaf);
    if (dirfd < 0) return -1;
    int fd = -1;
    if (mkdirat(dirfd, leaf, mode) == 0 || errno == EEXIST) {
        fd = openat(dirfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOTDIR) errno = link_errno(dirfd, leaf);
    }
    int e = errno;
    close(dirfd);
    errno = e;
    return fd;
}

const char *path_strerror(int err) {
    return err == ELOOP ? "a symbolic link on the path (the agent follows none)" : strerror(err);
}
