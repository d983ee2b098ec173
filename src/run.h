/* The parent's runtime: from a configured command to a started child, served, supervised and
 * ended.  The path of one run through the files:
 *
 *   start.c      subproc_run / run_async: check (check.c), plan (plan.c), spawn (spawn.c)
 *   io.c         feed the input and send buffers, capture output (capture.c, mapping.c), hand
 *                it to the output callback (stream.c)
 *   supervise.c  wait with the timeout's escalation, signalling through signal.c
 *   handshake.c  the go-ahead for a child that waits before exec
 *   run.c        the one end of every run: sp_run_end(), sp_run_abort(), subproc_free()
 *
 * report.c turns a child's failure report into the message. */
#ifndef SUBPROC_RUN_H
#define SUBPROC_RUN_H

#include "command.h"
#include "spawn.h"

#include <poll.h>
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
        int caller_write;   /* the input pipe's write end, for the caller (set_input_pipe) */
        int pty_master;     /* the pty's master (issue 16), the caller's once the child runs */
        int pty_slave;      /* its slave, also in fds: closed after the spawn; -1: no pty */
};

struct sp_plan_storage {
        struct sp_fd_map *maps;
        int *keep;
        char **argv;  /* argv with the argv0 asked for (subproc_set_argv0), or NULL */
        char oom[16]; /* the OOM score adjustment as text, for the plan */
        /* Issue 15 (activation.c): the envp with the run's additions, and those. */
        char **envp;
        char *activation[3];
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

/* ---- issue 15: the environment of readiness and socket activation (activation.c) ------- */

/* Add NOTIFY_SOCKET (opening the run's notify socket), LISTEN_FDS and LISTEN_FDNAMES to
 * plan->envp (the caller's values of these dropped), and leave LISTEN_PID's slot for the
 * child (plan->listen_pid_slot, -1 without listen fds).  0, or -1 with the error set. */
SP_HIDDEN int sp_activation_env(subproc *c, struct sp_run *run, struct sp_plan *plan,
                                struct sp_plan_storage *st);
SP_HIDDEN void sp_activation_free(struct sp_plan_storage *st);

/* ---- issue 15: readiness (ready-linux.c, ready-other.c) --------------------------------- */

/* "NOTIFY_SOCKET=@subproc-notify/" and 32 hex digits, with its NUL. */
#define SP_NOTIFY_ENTRY_SIZE 80
/* Open the run's notify socket (run->ready_fd: a datagram socket in the abstract namespace,
 * under a name nobody can guess, close-on-exec) and write the child's "NOTIFY_SOCKET=..."
 * into entry.  0, or -1 with the error set (ENOTSUP where there are no SCM_CREDENTIALS). */
SP_HIDDEN int sp_ready_open(struct sp_run *run, char *entry, size_t size);
/* ---- pseudo-terminals (pty.c, issue 16) ------------------------------------------------- */

/* Open the run's pty pair for subproc_set_pty(): the master and the slave, close-on-exec, at 3
 * or above, the slave not our controlling terminal; the window size set on the master, the
 * slave's name in run->pty_name.  0, or -1 with the thread's error set and nothing open. */
SP_HIDDEN int sp_pty_open(const struct sp_config *cfg, struct sp_run *run, int *ret_master,
                          int *ret_slave);

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

/* ---- the run's scope (scope.c) ---------------------------------------------------------- */

/* sp_run_signal(), and sig to every member of the run's scope when it has one (a timeout's
 * and an abort's signals): 0 if either was sent, else -1 with sp_run_signal()'s errno. */
SP_HIDDEN int sp_run_signal_tree(const subproc *c, int sig);
/* The child is gone: with `kill` (a timeout, an abort), SIGKILL the scope and wait for it to
 * empty; read its usage; remove it if empty (survivors of a normal exit keep it).  Keeps
 * errno. */
SP_HIDDEN void sp_scope_settle(struct sp_run *run, bool kill);
/* The next run or the free: kill what is left (unless it is a daemon's or a handed-out
 * child's: the caller's), read the usage, remove the scope if empty and let it go. */
SP_HIDDEN void sp_scope_end(struct sp_run *run);

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
/* Add len bytes to the capture buffer, past its limit only counted as dropped: 0 or -ENOMEM. */
SP_HIDDEN int sp_capture_append(struct sp_capture *cap, const char *data, size_t len);

/* Output callbacks (stream.c).  Read what is there and hand it to the sink's callback (and to
 * the capture, with SUBPROC_ALSO_CAPTURE): 1 to go on (also on EINTR and EAGAIN), 0 at EOF
 * (the last partial line delivered), -ECANCELED when the callback refused (see
 * sp_sink_refused()), or another -errno. */
SP_HIDDEN int sp_sink_read(int fd, struct sp_sink *sink, struct sp_capture *cap);
/* The stream ends without EOF (the run stops reading): deliver a partial line. */
SP_HIDDEN void sp_sink_flush(struct sp_sink *sink);
/* Set the thread's error for a callback that returned non-zero (or called subproc_abort());
 * returns -1. */
SP_HIDDEN int sp_sink_refused(const struct sp_sink *sink);
/* Whether the run's callback is running (the command is not to be waited for from it). */
SP_HIDDEN bool sp_sink_calling(const struct sp_run *run);
/* Whether the run's callback refused (or called subproc_abort()) for either stream: it is
 * one callback, not to be called again for the other stream either. */
SP_HIDDEN bool sp_sink_cancelled(const struct sp_run *run);
/* subproc_abort() from the callback: true when one is running, which then ends the run once
 * it returns, as a refusal does (the run's state is in use until then). */
SP_HIDDEN bool sp_sink_abort_from_callback(struct sp_run *run);
SP_HIDDEN void sp_sink_free(struct sp_sink *sink);

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

/* When the timeout's state machine acts next (SIGTERM, SIGKILL, a signal retried), in
 * sp_now_ms() time, or SP_NEVER. */
SP_HIDDEN long long sp_next_escalation(const subproc *c);
/* The fds of the run to watch, as subproc_poll_fds() fills them (fds NULL: only count them),
 * and when the run needs service without any of them ready (SP_NEVER: never).  With
 * `sigchld_wakes` a child without a pidfd is left to a SIGCHLD wakeup instead of polling. */
SP_HIDDEN int sp_poll_fds(const subproc *c, struct pollfd *fds, bool sigchld_wakes,
                          long long *service_at);

/* ---- the loops' SIGCHLD wakeup (loop-sigchld.c) ------------------------------------------ */

/* Install the SIGCHLD handler if no loop uses it yet: the read end of its (non-blocking)
 * pipe, or -1 with the thread's error set. */
SP_HIDDEN int sp_sigchld_acquire(void);
/* One loop less; the last one puts the previous handler back (the pipe stays). */
SP_HIDDEN void sp_sigchld_release(int fd);
/* Empty the pipe: whether it held anything. */
SP_HIDDEN bool sp_sigchld_drain(int fd);
/* SIGCHLDs seen by the handler so far (wraps). */
SP_HIDDEN unsigned sp_sigchld_count(void);

/* Feed, capture and reap with the command's timeout; give up (-1, ETIMEDOUT, child still
 * running) at give_up_at_ms.  Status rules of subproc_run. */
SP_HIDDEN int sp_finish(subproc *c, int *exitstatus, long long give_up_at_ms);

/* ---- messages (report.c) ---------------------------------------------------------------- */

/* Set the thread's error from a failure report of the child; returns -1. */
SP_HIDDEN int sp_report_describe(const subproc *c, const struct sp_report *rep);

#endif
