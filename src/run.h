/* The parent's runtime: from a configured command to a started child, served, supervised and
 * ended.  The path of one run through the files:
 *
 *   start.c      subproc_run / run_async: check (check.c), plan (plan.c), spawn (spawn.c)
 *   io.c         feed the input and send buffers, capture output (capture.c, mapping.c)
 *   supervise.c  wait with the timeout's escalation, signalling through signal.c
 *   handshake.c  the go-ahead for a child that waits before exec
 *   run.c        the one end of every run: sp_run_end(), sp_run_abort(), subproc_free()
 *
 * report.c turns a child's failure report into the message. */
#ifndef SUBPROC_RUN_H
#define SUBPROC_RUN_H

#include "command.h"
#include "spawn.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

/* ---- can it run (check.c) --------------------------------------------------------------- */

enum sp_run_kind {
        SP_RUN_BLOCKING, /* subproc_run() */
        SP_RUN_ASYNC,    /* subproc_run_async() */
        SP_RUN_IN_PLACE, /* subproc_exec() */
};

/* Whether c can be run this way here and now: the features this system has, the combinations
 * of options, the state of the last run.  0, or -1 with the thread's error set naming the
 * reason (EBUSY, EINVAL, ENOTSUP). */
SP_HIDDEN int sp_check_run(const subproc *c, enum sp_run_kind kind);

/* ---- building a plan (plan.c) ------------------------------------------------------------ */

/* fds that exist only for the spawn: the child's pipe ends, /dev/null, moved copies. */
struct sp_spawn_fds {
        int *fds; /* few_fds, or more on the heap */
        size_t n, cap;
        int few_fds[8]; /* a plain spawn allocates nothing for them (issue 17) */
        int devnull;
        int caller_read[2]; /* pipes for the caller (set_output_fd / set_error_fd with -1) */
};

struct sp_plan_storage {
        struct sp_fd_map *maps;
        int *keep;
        char **argv;  /* argv with the argv0 asked for (subproc_set_argv0), or NULL */
        char oom[16]; /* the OOM score adjustment as text, for the plan */
};

struct sp_plan_builder {
        struct sp_plan plan;
        struct sp_spawn_fds fds;
        struct sp_plan_storage storage;
};

/* Resolve the binary (into run->exec_path), make the pipes (the parent's ends go to run) and
 * fd maps, fill the plan.  Sets the thread's error and returns -1 on failure; call
 * sp_plan_done() in every case. */
SP_HIDDEN int sp_plan_build(subproc *c, struct sp_run *run, struct sp_plan_builder *b);
/* After the spawn (started: whether the child runs): hand the caller its pipe ends, close
 * what only the child needed and the CLOSE_PARENT fds, free the plan. */
SP_HIDDEN void sp_plan_done(subproc *c, struct sp_plan_builder *b, bool started);

/* ---- the run's one end (run.c) ---------------------------------------------------------- */

/* Forget the results of the last run (a rerun frees or unmaps its buffers, as documented) and
 * make the run idle; its status stays for subproc_status() until another run finishes. */
SP_HIDDEN void sp_run_reset(subproc *c);
/* End the run: the child is gone (reaped with `status`, or -1 when it was lost; a start that
 * failed finished no run and passes the last one's status, which subproc_status() keeps
 * telling).  Hands the captures to the caller's buffers and mappings ("" when nothing came),
 * discards the pidfile of a child that never got past the handshake, closes every fd of the
 * run.  With `report`, a mapping that fails sets the thread's error and returns -1; else 0
 * with errno kept. */
SP_HIDDEN int sp_run_end(subproc *c, int status, bool report);
/* Stop a running child for good (TERM, a grace, KILL; the whole group when it leads one),
 * reap it and end the run.  Keeps errno. */
SP_HIDDEN void sp_run_abort(subproc *c);
/* Close every fd the run holds and free its captures and feeds. */
SP_HIDDEN void sp_run_close(struct sp_run *run);

/* ---- signalling the run's child (signal.c) --------------------------------------------- */

/* sig to the child, and to its whole process group when it leads one (and to the child
 * itself if it has left that group).  0, or -1 with errno (ESRCH: gone). */
SP_HIDDEN int sp_run_signal(const subproc *c, int sig);
/* Whether the run's pid still names its child: always with a pidfd; without one (as after
 * subproc_no_pidfd()) while the process of that pid started when the child did, so that a
 * child reaped behind our back does not make us signal or reap whoever got its pid, another
 * child of the caller's included.  Keeps errno. */
SP_HIDDEN bool sp_run_child_is_ours(const struct sp_run *run);

/* ---- serving the pipes (io.c, capture.c, mapping.c) ------------------------------------ */

/* Feed the feeds, capture out/err.  Returns 0 once every pipe is done, -ETIME when stop_at_ms
 * (monotonic ms, SP_NEVER for none) came first, 1 when watch_fd (-1 for none) became readable
 * first, or -1 with the thread's error set.  Progress is kept in run, so it can be called
 * again. */
SP_HIDDEN int sp_io_loop(struct sp_run *run, long long stop_at_ms, int watch_fd);
/* Stop serving: close our ends of the pipes (the captures keep what came). */
SP_HIDDEN void sp_io_abandon(struct sp_run *run);
SP_HIDDEN void sp_capture_free(struct sp_capture *cap);
/* Read what is there into the capture buffer, growing it: 1 to go on (also on EINTR and
 * EAGAIN), 0 at EOF, or -errno. */
SP_HIDDEN int sp_capture_read(int fd, struct sp_capture *cap);
/* Block SIGPIPE in this thread around writes to pipes whose reader may be gone; the restore
 * swallows a SIGPIPE we caused (broken_pipe) unless one was pending before. */
SP_HIDDEN void sp_sigpipe_block(sigset_t *old, bool *was_pending);
SP_HIDDEN void sp_sigpipe_restore(const sigset_t *old, bool was_pending, bool broken_pipe);

/* A new memory file for the child's output: an fd (close-on-exec), or -1 with the thread's
 * error set. */
SP_HIDDEN int sp_mapping_open(void);
/* Freeze the memory file `fd` (-1: none, the mapping is empty) and map what it holds, at most
 * `limit` bytes (0: all) with *ret_dropped the rest, followed by a NUL, into *ret_data.  0, or
 * -errno with *ret_data NULL and *ret_len the size that could not be mapped (for the
 * message). */
SP_HIDDEN int sp_mapping_deliver(int fd, size_t limit, char **ret_data, size_t *ret_len,
                                 size_t *ret_dropped);

/* ---- waiting for the end (supervise.c) -------------------------------------------------- */

/* Feed, capture and reap with the command's timeout; give up (-1, ETIMEDOUT, child still
 * running) at give_up_at_ms.  Status rules of subproc_run. */
SP_HIDDEN int sp_finish(subproc *c, int *exitstatus, long long give_up_at_ms);

/* ---- messages (report.c) ---------------------------------------------------------------- */

/* Set the thread's error from a failure report of the child; returns -1. */
SP_HIDDEN int sp_report_describe(const subproc *c, const struct sp_report *rep);

#endif
