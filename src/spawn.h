/* Creating a child for a plan (spawn.c and its platform parts spawn-linux.c, spawn-posix.c,
 * clonestack-linux.c, dumpable-linux.c, cgroup-*.c) and reading what it reports before exec.
 * The parent's side of the child protocol of child.h; it knows nothing of commands. */
#ifndef SUBPROC_SPAWN_H
#define SUBPROC_SPAWN_H

#include "child.h"
#include "util.h"

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* What a child's report pipe told so far. */
struct sp_reports {
        pid_t daemon_pid;         /* SP_STEP_INFO_DAEMON_PID's, -1 until it comes */
        bool failed;              /* the child failed before exec: see failure */
        struct sp_report failure; /* the first failure (SP_STEP_REPORT: the pipe itself) */
};

/* Read reports from `fd` into *got (the daemon's pid; the first failure) until the info step
 * `until` arrives (returns 1; 0: none), a failure report comes (SP_REPORT_FAILED, the child
 * is about to exit), or EOF (0: exec worked, or the child is gone).  Reading on to EOF after
 * a failure matters for a daemon, whose intermediate can exit before the daemon has closed
 * its fds, pidfile lock included.  At deadline_ms (monotonic, SP_NEVER: none) or on a read
 * error: -1 with errno (ETIMEDOUT). */
#define SP_REPORT_FAILED 2
SP_HIDDEN int sp_reports_read(int fd, int until, long long deadline_ms, struct sp_reports *got);
/* Record in *got that the pipe itself failed with errnum (unless a failure came first). */
SP_HIDDEN void sp_reports_lost(struct sp_reports *got, int errnum);

struct sp_spawn_result {
        pid_t pid;                 /* the child (for a daemon: the intermediate, already reaped) */
        int pidfd;                 /* the child's pidfd, -1 if the kernel has none */
        int report_fd;             /* handshake only: the report pipe, still to be read */
        int handshake_fd;          /* handshake only: the write end the child waits on */
        struct sp_reports reports; /* daemon_pid; failed: the child failed before exec (and
                                    * was reaped) */
};

/* Start a child for plan.  Without a handshake, returns once the child has exec'd or failed
 * (a failed child is reaped and reported in ret->reports).  With a handshake, returns at once
 * with the pipes in ret.  A failure to start at all returns -errno, else 0. */
SP_HIDDEN int sp_spawn(struct sp_plan *plan, struct sp_spawn_result *ret);

/* Platform part of sp_spawn (spawn-linux.c, spawn-posix.c), called with every signal blocked:
 * create the child running sp_child_run(plan) and return its pid once it has exec'd or
 * exited, or -errno. */
SP_HIDDEN pid_t sp_start_child(struct sp_plan *plan, int *ret_pidfd);
/* Whether sp_start_child() will make this plan's child share our memory under a vfork that
 * this process has seen to be real (the child's mark, sp_plan.vfork_mark), with nothing to
 * say but a failure (no daemon, handshake or id maps, which need the pipe's EOF or its
 * messages): then the child reports through its stack (sp_plan.vfork_report), not a pipe. */
SP_HIDDEN bool sp_child_reports_in_memory(const struct sp_plan *plan);

/* The cgroup directory for plan->cgroup_fd: close-on-exec, numbered >= 3 and listed nowhere in
 * avoid[0..n), on a cgroup file system (v2, or v1 where only the write in the child can
 * enter it).  Sets the thread's error naming dir and returns -1 (cgroup-*.c). */
SP_HIDDEN int sp_cgroup_open(const char *dir, const int *avoid, size_t n);

/* ---- signals around process creation (fork.c) ------------------------------------------ */

/* Block every signal (glibc's internal ones too) in the calling thread; *old gets the mask. */
SP_HIDDEN void sp_block_all_signals(sigset_t *old);
SP_HIDDEN void sp_restore_signals(const sigset_t *old);

/* ---- children sharing our memory: their stacks, the dumpable flag (Linux) -------------- */

/* Each of the two stacks a spawn may need: the child's, and the daemon's below it. */
#define SP_CLONE_STACK_SIZE (32 * 1024)

struct sp_clone_stacks {
        void *base;       /* the mapping, NULL when none is held */
        char *child_top;  /* top of the child's stack */
        char *daemon_top; /* top of the daemon's stack */
        int *child_mark;  /* the lowest word of the child's stack (see sp_plan.vfork_mark) */
        struct sp_report *child_report; /* just above it (see sp_plan.vfork_report) */
};

/* Stacks with guard pages, from a small lock-free cache or a new mapping; -1 with errno
 * (ENOMEM) when none can be mapped.  Thread safety: any thread.  (clonestack-linux.c) */
SP_HIDDEN int sp_clone_stacks_take(struct sp_clone_stacks *ret);
/* Back to the cache (or unmapped) once no child runs on them; NULL base: nothing to do. */
SP_HIDDEN void sp_clone_stacks_give(struct sp_clone_stacks *stacks);

/* Around a child that shares our memory and changes credentials: hold saves the caller's
 * dumpable flag if no such child is in flight, release restores it when the last one is gone
 * (unless the caller's own credentials changed meanwhile).  hold returns -1 when the flag
 * cannot be restored (it is 2): then the child must get memory of its own.  Thread safety: any
 * thread.  (dumpable-linux.c) */
SP_HIDDEN int sp_dumpable_hold(void);
SP_HIDDEN void sp_dumpable_release(void);

#endif
