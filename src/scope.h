/* A run's own cgroup, its scope (subproc_set_cgroup_scope()): made under the caller's parent
 * directory, killed as a whole, read and removed (scope-linux.c; scope-other.c refuses).
 * The run owns one (struct sp_run's scope); run.c ends it. */
#ifndef SUBPROC_SCOPE_H
#define SUBPROC_SCOPE_H

#include "util.h"

#include <stdbool.h>

struct sp_scope {
        int fd;        /* the scope's directory, -1: none */
        int parent_fd; /* the directory it was made in, for its removal */
        char *path;    /* parent_dir/name: messages, subproc_scope_path() */
        char name[80];
};

#define SP_SCOPE_NONE                     \
        {                                 \
                .fd = -1, .parent_fd = -1 \
        }

/* Make a new scope under parent_dir (a cgroup v2 directory, not a symlink) with a name nobody
 * had: 0, or -1 with the thread's error set (stage SETUP) and *s left empty. */
SP_HIDDEN int sp_scope_create(struct sp_scope *s, const char *parent_dir);
/* sig to every member: SIGKILL through cgroup.kill (or freeze and kill each until empty),
 * another signal freezing, signalling each member and thawing.  0 or -errno. */
SP_HIDDEN int sp_scope_kill(const struct sp_scope *s, int sig);
/* Whether any process is in the scope (cgroup.events); true when that cannot be read. */
SP_HIDDEN bool sp_scope_populated(const struct sp_scope *s);
/* Wait until the scope is empty or the deadline (sp_now_ms() time): true once empty. */
SP_HIDDEN bool sp_scope_wait_empty(const struct sp_scope *s, long long deadline);
/* Its cpu.stat and memory.peak: 0 or -errno. */
SP_HIDDEN int sp_scope_read_stat(const struct sp_scope *s, struct subproc_scope_stat *st);
/* Let the scope go: removed first when `remove` and it is empty (retrying while the kernel
 * lets its last members go), then its fds closed.  Keeps errno. */
SP_HIDDEN void sp_scope_close(struct sp_scope *s, bool remove);

/* How long a kill waits for the scope to empty, and a removal for it to go. */
#define SP_SCOPE_EMPTY_WAIT_MS 5000

#endif
