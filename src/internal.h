/* Declarations shared inside the library.  Nothing here is installed or exported. */
#ifndef SUBPROC_INTERNAL_H
#define SUBPROC_INTERNAL_H

#include "config.h"
#include "subproc.h"

#include <stdarg.h>
#include <stdbool.h>
#include <setjmp.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SP_HIDDEN __attribute__((visibility("hidden")))

#include "test-knobs.h"
#include "compat.h"
/* Code that runs in a child sharing the parent's memory: sanitizer instrumentation would write
 * shadow memory, which is the parent's.  no_sanitize drops the memory-access hooks; clang
 * still emits ThreadSanitizer's function entry/exit hooks (which push frames onto the
 * spawning thread's shadow stack) unless instrumentation is disabled altogether. */
#if defined(__has_attribute)
#if __has_attribute(disable_sanitizer_instrumentation)
#define SP_NO_INSTRUMENTATION __attribute__((disable_sanitizer_instrumentation))
#endif
#endif
#ifndef SP_NO_INSTRUMENTATION
#define SP_NO_INSTRUMENTATION
#endif
/* Nor a stack protector (-fstack-protector-strong, as distributions build): on a smashed
 * canary it calls __stack_chk_fail through the PLT, and glibc's abort() then signals the
 * thread whose TLS the child shares, the caller's. */
#if defined(__has_attribute)
#if __has_attribute(no_stack_protector)
#define SP_NO_STACK_PROTECTOR __attribute__((no_stack_protector))
#endif
#endif
#ifndef SP_NO_STACK_PROTECTOR
#define SP_NO_STACK_PROTECTOR
#endif
#define SP_CHILD_CODE \
        __attribute__((no_sanitize("address", "undefined", "thread"))) SP_NO_INSTRUMENTATION \
        SP_NO_STACK_PROTECTOR

/* ---- errors (error.c) ------------------------------------------------------------------ */

/* Set errno to `errnum` and the calling thread's message; always returns -1. */
SP_HIDDEN int sp_error(int errnum, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
SP_HIDDEN int sp_verror(int errnum, const char *fmt, va_list ap)
        __attribute__((format(printf, 2, 0)));
/* Clear the calling thread's message. */
SP_HIDDEN void sp_error_clear(void);
/* Tag the error just set with the stage that failed (sp_error resets it to NONE). */
SP_HIDDEN void sp_error_set_stage(enum subproc_stage stage);

/* ---- a growable list of owned strings (command.c) ------------------------------------- */

struct sp_strv {
        char **items; /* NULL-terminated when n > 0 */
        size_t n;
        size_t cap;
};

SP_HIDDEN int sp_strv_push_take(struct sp_strv *v, char *s); /* -ENOMEM; frees s on failure */
SP_HIDDEN void sp_strv_free(struct sp_strv *v);

/* ---- the command ----------------------------------------------------------------------- */

enum sp_env_mode {
        SP_ENV_INHERIT,  /* the caller's environ as it is at run time */
        SP_ENV_EXPLICIT, /* exactly env.vars */
};

struct sp_env {
        enum sp_env_mode mode;
        struct sp_strv vars;  /* "NAME=value" */
        bool *shown;          /* per var: set by the caller (shown by to_string), not inherited */
        size_t shown_cap;
        struct sp_strv unset; /* inherited names removed, for to_string */
        bool inherited;       /* started from the caller's environment (subproc_env_inherit) */
};

struct sp_rlimit {
        int resource;
        rlim_t soft;
        rlim_t hard;
};

enum sp_handshake_state {
        SP_HANDSHAKE_NONE,     /* not required */
        SP_HANDSHAKE_IDLE,     /* required, no child yet */
        SP_HANDSHAKE_STARTED,  /* child started, not yet known to wait */
        SP_HANDSHAKE_WAITING,  /* child told us it waits */
};

struct sp_passed_fd {
        int fd;
        unsigned flags;
};

struct sp_send_buffer {
        unsigned char *data;
        size_t len;
        int child_fd; /* the number the child sees */
        int read_fd;  /* this run's read end, -1 once handed to the child */
        int write_fd; /* this run's write end, fed by the I/O loop */
        size_t written;
};

/* A captured stream of the child (stdout, or stderr when it has a buffer of its own). */
struct sp_capture {
        char *data;
        size_t len;
        size_t cap;
        size_t prefaulted; /* bytes of data known faulted in (big buffers only) */
        unsigned reads;    /* reads so far */
        size_t limit;      /* subproc_set_capture_limit(), 0 for none */
        size_t dropped;    /* bytes read past the limit and dropped */
        bool big_pipe;     /* the pipe was enlarged (F_SETPIPE_SZ) */
        bool no_prefault;  /* MADV_POPULATE_WRITE is not supported here */
};

/* exec retries on ETXTBSY, pausing 1, 2, 4 ... ms: SP_EXEC_BUSY_MS in all. */
#define SP_EXEC_BUSY_RETRIES 7
#define SP_EXEC_BUSY_MS ((1u << SP_EXEC_BUSY_RETRIES) - 1)

/* Parent-side ends of the pipes of one run. */
struct sp_run_io {
        int in_fd;  /* write end feeding stdin, -1 if none */
        int out_fd; /* read end for the output buffer, -1 if none */
        int err_fd; /* read end for the error buffer, -1 if none or shared */
        int out_memfd; /* memory file of the output mapping, -1 if none */
        int err_memfd; /* memory file of the error mapping, -1 if none or shared */
        size_t in_written;
        struct sp_capture out, err;
};

struct subproc {
        int error;         /* deferred errno, 0 if none */
        char errmsg[256];  /* its message */
        bool is_static;    /* the out-of-memory sentinel: never written, never freed */

        struct sp_strv argv;
        struct sp_env env;
        char *cwd;

        struct sp_passed_fd *passed;
        size_t npassed, passed_cap;

        int input_fd;              /* caller's fd for stdin, -1 if none */
        unsigned char *input_data; /* input buffer, if has_input_buffer */
        size_t input_len;
        bool has_input_buffer;
        int *output_fdp;
        int *error_fdp;
        bool output_wants_pipe; /* *output_fdp was -1 when set: a new pipe for every run */
        bool error_wants_pipe;
        char **output_bufp;
        char **error_bufp;
        bool output_mapped; /* output_bufp gets a mapping (subproc_set_output_mapping) */
        bool error_mapped;
        size_t capture_limit; /* subproc_set_capture_limit(), 0 for none */
        bool nonblocking;
        bool raw_status;

        struct sp_send_buffer *sends;
        size_t nsends;

        /* Daemons, lifetimes, privileges (issue: daemons and lifetimes). */
        bool daemonize;
        char *pidfile;
        int death_signal; /* 0: none */
        int (*hook)(void *opaque);
        void *hook_opaque;
        bool keep_signals;
        bool clear_caps;
        bool has_uid, has_gid, has_umask, no_new_privs;
        uid_t uid;
        gid_t gid;
        mode_t umask;
        struct sp_rlimit rlimits[32];
        size_t nrlimits;
        enum sp_handshake_state handshake;
        int report_fd;           /* handshake: read end of the child's report pipe */
        int handshake_notify_fd; /* handshake: write end the child waits on */
        pid_t daemon_pid;

        /* Supervision. */
        int pidfd;                 /* of the running child, -1 if none */
        unsigned timeout_ms;       /* 0: none */
        unsigned kill_after_ms;
        bool new_session, new_pgroup;
        char *cgroup_dir;          /* as given to subproc_set_cgroup, or NULL */
        long long started_ms;
        int sv_phase;              /* 0 running, 1 SIGTERM sent at the deadline, 2 SIGKILL sent */
        long long sv_kill_at;
        long long sv_retry_at;     /* a signal failed: try again then (0: no retry pending) */
        int sv_last_signal;

        char *exec_path;         /* the resolved binary of the last run */

        /* State of the current or last run. */
        pid_t pid;           /* running child, -1 if none */
        bool pid_handed_out; /* run_async(c, &pid): free() leaves the child alone */
        bool io_pending;     /* buffers still to feed/capture in wait() */
        int last_status;     /* raw wait status of the last finished run, -1 if none */
        struct sp_run_io io;
        size_t out_len, err_len;
        size_t out_dropped, err_dropped; /* past the capture limit, in the last run */
};

/* Record a deferred error on c (first one wins) and return. */
SP_HIDDEN void sp_command_fail(subproc *c, int errnum, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* true when builder calls must be ignored (sentinel, NULL, or a deferred error). */
SP_HIDDEN bool sp_command_broken(const subproc *c);
/* Close the CLOSE_PARENT fds (ours since subproc_pass_fd) and forget them. */
SP_HIDDEN void sp_close_passed_fds(subproc *c);
/* Report c's deferred error as the thread's error; returns -1. */
SP_HIDDEN int sp_command_report(const subproc *c);

/* ---- environment (env.c) ---------------------------------------------------------------- */

SP_HIDDEN void sp_env_free(struct sp_env *env);
/* The envp for a run: environ, or the explicit list (an empty list gives an empty envp). */
SP_HIDDEN char *const *sp_env_envp(const struct sp_env *env);

/* ---- PATH lookup (path.c) --------------------------------------------------------------- */

/* Resolve argv[0] for exec: a name with '/' is used as it is; a bare name is searched in the
 * caller's PATH (confstr(_CS_PATH) when unset; empty and relative entries skipped).
 * On success *ret_path is a malloc'd string.  Sets the thread's error and returns -1. */
SP_HIDDEN int sp_path_resolve(const char *name, char **ret_path);

/* ---- quoting (quote.c) ------------------------------------------------------------------ */

/* Append the shell-quoted form of s to the malloc'd string buffer. */
struct sp_buf {
        char *data;
        size_t len;
        size_t cap;
        bool oom;
};
SP_HIDDEN void sp_buf_append(struct sp_buf *b, const char *s, size_t n);
SP_HIDDEN void sp_buf_puts(struct sp_buf *b, const char *s);
SP_HIDDEN void sp_buf_quote(struct sp_buf *b, const char *s);
SP_HIDDEN char *sp_buf_steal(struct sp_buf *b); /* NULL (errno ENOMEM) if an append failed */

/* ---- fds (fd.c) ------------------------------------------------------------------------ */

SP_HIDDEN int sp_set_cloexec(int fd, bool on);
SP_HIDDEN int sp_set_nonblock(int fd, bool on);
/* pipe2(O_CLOEXEC) with both ends at 3 or above (sp_fd_above_stdio()): 0 or -1 with errno. */
SP_HIDDEN int sp_pipe_cloexec(int fds[2]);
/* Every fd the library opens for itself in the parent goes through this: fd itself when it
 * is not 0, 1 or 2 (or < 0), else a close-on-exec copy at 3 or above, fd closed (-1 with errno
 * if that fails).  A caller may run with its stdio closed. */
SP_HIDDEN int sp_fd_above_stdio(int fd);
/* A close-on-exec copy of fd numbered >= 3 and listed nowhere in avoid[0..n), or -errno. */
SP_HIDDEN int sp_fd_dup_avoiding(int fd, const int *avoid, size_t n);
/* fd itself when it already is such a number, else such a copy with fd closed (in every
 * case); -errno on failure. */
SP_HIDDEN int sp_fd_move_avoiding(int fd, const int *avoid, size_t n);
/* close() that keeps errno and ignores -1. */
SP_HIDDEN void sp_close(int *fd);

/* ---- what the child can be given here (features.c) -------------------------------------- */

/* -1 with errno ENOTSUP and a message naming the reason when c asks the child for something
 * this system cannot do (a death signal on macOS, say); else 0. */
SP_HIDDEN int sp_check_features(const subproc *c);

/* ---- the child plan (child.c, spawn-*.c) ------------------------------------------------ */

/* One fd the child must have: dst gets src (dup'd, or src's CLOEXEC cleared when equal). */
struct sp_fd_map {
        int src;
        int dst;
};

enum sp_close_method {
        SP_CLOSE_RANGE_CLOEXEC, /* close_range(CLOSE_RANGE_CLOEXEC) then clear the kept ones */
        SP_CLOSE_RANGE_GAPS,    /* close_range over the gaps between kept fds */
        SP_CLOSE_PROC_FD,       /* walk /proc/self/fd */
        SP_CLOSE_LOOP,          /* close() every fd up to fd_limit */
};

/* Everything the child needs, prepared read-only in the parent before it starts. */
struct sp_plan {
        const char *path;   /* resolved binary */
        char *const *argv;
        char *const *envp;
        const char *cwd;    /* NULL: stay */
        const struct sp_fd_map *maps; /* applied in order; no src equals any dst of another */
        size_t nmaps;
        const int *keep;    /* sorted fds to keep open across exec (the dsts >= 3) */
        size_t nkeep;
        int fd_limit;       /* bound for SP_CLOSE_LOOP */
        int first_method;   /* enum sp_close_method to try first */
        int report_fd;      /* close-on-exec pipe to the parent, set by sp_spawn */
        int handshake_fd;   /* close-on-exec pipe the child waits on, -1 if none */
        bool use_fork;      /* the hook or the handshake need a copied address space */
        bool handshake;     /* stop before exec until the parent says go */
        char *daemon_stack; /* daemonize: top of the stack for the daemon, set by sp_spawn */
        bool daemonize;
        const char *pidfile;
        const struct sp_rlimit *rlimits;
        size_t nrlimits;
        int umask;          /* -1: leave it */
        int (*hook)(void *opaque);
        void *hook_opaque;
        bool clear_caps;
        bool drop_groups;
        long uid, gid;      /* -1: leave them */
        bool no_new_privs;
        int death_signal;
        pid_t parent_pid;   /* for the death-signal race check */
        bool new_session;
        bool new_pgroup;
        int cgroup_fd;      /* the cgroup directory (sp_cgroup_open), -1: none */
        /* Written by the parent before each attempt to start the child, read by the child:
         * true when the child is created in the cgroup (clone3), so it must not enter it. */
        bool cgroup_placed;
        bool keep_signals;  /* keep ignored dispositions and the caller's mask */
        uint64_t caller_mask; /* the caller's signal mask, set by sp_spawn / subproc_exec */
        /* subproc_exec(): the calling process applies the plan itself, and a failure jumps
         * back with the report instead of exiting. */
        sigjmp_buf *in_place_jump;
        struct sp_report *in_place_report;
        /* Monotonic ms (SP_NEVER: none) by which a child running a hook must have exec'd (a
         * daemon: or be waiting for the handshake): the run's timeout bounds the hook too. */
        long long report_deadline_ms;
        /* In place only (NULL otherwise): where the pidfile's locked fd is noted, for the
         * caller to close and discard the file when a later step fails. */
        int *in_place_pidfile_fd;
};

/* Stages reported by a child that fails before exec. */
enum sp_stage {
        SP_STAGE_SIGNALS = 1,
        SP_STAGE_DUP2,
        SP_STAGE_PASS_FD,
        SP_STAGE_CLOSE_FDS,
        SP_STAGE_CHDIR,
        SP_STAGE_EXEC,
        SP_STAGE_SETSID,
        SP_STAGE_DAEMON_FORK,
        SP_STAGE_PIDFILE,
        SP_STAGE_RLIMIT,
        SP_STAGE_HOOK,
        SP_STAGE_CAPS_BOUNDING,
        SP_STAGE_SETGROUPS,
        SP_STAGE_SETGID,
        SP_STAGE_SETUID,
        SP_STAGE_CAPS,
        SP_STAGE_NO_NEW_PRIVS,
        SP_STAGE_DEATH_SIGNAL,
        SP_STAGE_HANDSHAKE,
        SP_STAGE_SETPGID,
        SP_STAGE_CGROUP,
        SP_STAGE_REPORT, /* the parent could not read the report pipe */
        /* Not failures: information the parent collects. */
        SP_STAGE_INFO_DAEMON_PID = 100, /* arg: the daemon's pid */
        SP_STAGE_INFO_READY,            /* the child waits for the handshake */
        SP_STAGE_INFO_SESSION,          /* a handshake's child has made its session */
};

/* What a failing child writes on the report pipe: one write, well under PIPE_BUF. */
struct sp_report {
        int stage;
        int error;
        int arg; /* fd number for the fd stages */
};

/* Runs in the child: async-signal-safe only, never writes the parent's memory.  Applies the
 * plan and execs; on failure writes a report and _exits (or, in place, jumps back).  Never
 * returns. */
SP_HIDDEN void sp_child_run(const struct sp_plan *plan) __attribute__((noreturn));

struct sp_spawn_result {
        pid_t pid;             /* the child (for a daemon: the intermediate, already reaped) */
        int pidfd;             /* the child's pidfd, -1 if the kernel has none */
        pid_t daemon_pid;      /* -1 unless daemonized */
        int report_fd;         /* handshake only: the report pipe, still to be read */
        int handshake_fd;      /* handshake only: the write end the child waits on */
        bool failed;           /* the child failed before exec (and was reaped): see report */
        struct sp_report report;
};

/* Start a child for plan.  Without a handshake, returns once the child has exec'd or failed
 * (a failed child is reaped and reported in ret->report).  With a handshake, returns at once
 * with the pipes in ret.  A failure to start at all returns -errno, else 0. */
SP_HIDDEN int sp_spawn(struct sp_plan *plan, struct sp_spawn_result *ret);

/* Read the next record from a report pipe.  1 with *rep filled, 0 at EOF, -1 on a read
 * error (errno set). */
SP_HIDDEN int sp_report_read(int fd, struct sp_report *rep);
/* The same, giving up at deadline_ms (monotonic, SP_NEVER: never) with -1 and ETIMEDOUT. */
SP_HIDDEN int sp_report_read_until(int fd, struct sp_report *rep, long long deadline_ms);

/* Platform part of sp_spawn (spawn-linux.c, spawn-posix.c), called with every signal blocked:
 * create the child running sp_child_run(plan) and return its pid once it has exec'd or
 * exited, or -errno. */
SP_HIDDEN pid_t sp_start_child(struct sp_plan *plan, int *ret_pidfd);

/* The cgroup directory for plan->cgroup_fd: close-on-exec, numbered >= 3 and listed nowhere in
 * avoid[0..n), on a cgroup file system (v2, or v1 where only the write in the child can
 * enter it).  Sets the thread's error naming dir and returns -1 (cgroup-*.c). */
SP_HIDDEN int sp_cgroup_open(const char *dir, const int *avoid, size_t n);

/* A pidfd for our own unreaped child (race-free: its pid cannot be reused), or -1. */
SP_HIDDEN int sp_pidfd_open(pid_t pid);
/* Pidfiles are made, and the ones we lock are kept, private to their owner: flock() needs no
 * write access, so any user who could open one could lock it once our holder is gone. */
#define SP_PIDFILE_MODE 0600
#define SP_PIDFILE_FOREIGN_BITS 0077
/* The error for a pidfile the child refused with EPERM: names its owner when that is why. */
SP_HIDDEN int sp_pidfile_refused(const char *path);
/* After a failed start: remove the pidfile at `path` if it names `pid` (the process that
 * failed), is the file the path names and nobody holds its lock (pidfile.c). */
SP_HIDDEN void sp_pidfile_discard(const char *path, pid_t pid);
/* The EBUSY error for a pidfile another process holds, naming the holder when the kernel
 * shows it (pidfile.c). */
SP_HIDDEN int sp_pidfile_busy(const char *path);


/* ---- building a plan (plan.c) ------------------------------------------------------------ */

/* fds that exist only for the spawn: the child's pipe ends, /dev/null, moved copies. */
struct sp_spawn_fds {
        int *fds;
        size_t n, cap;
        int devnull;
        int caller_read[2]; /* pipes for the caller (set_output_fd / set_error_fd with -1) */
};

struct sp_plan_storage {
        struct sp_fd_map *maps;
        int *keep;
};

struct sp_plan_builder {
        struct sp_plan plan;
        struct sp_spawn_fds fds;
        struct sp_plan_storage storage;
};

/* Resolve the binary (into c->exec_path), make the pipes and fd maps, fill the plan.  Sets
 * the thread's error and returns -1 on failure; call sp_plan_done() in every case. */
SP_HIDDEN int sp_plan_build(subproc *c, struct sp_plan_builder *b);
/* After the spawn (started: whether the child runs): hand the caller its pipe ends, close
 * what only the child needed and the CLOSE_PARENT fds, free the plan. */
SP_HIDDEN void sp_plan_done(subproc *c, struct sp_plan_builder *b, bool started);

/* Feed, capture and reap with the command's timeout; give up (-1, ETIMEDOUT, child still
 * running) at give_up_at_ms.  Status rules of subproc_run (supervise.c). */
SP_HIDDEN int sp_finish(subproc *c, int *exitstatus, long long give_up_at_ms);

/* Set the thread's error from a failure report of the child; returns -1 (report.c). */
SP_HIDDEN int sp_report_describe(const subproc *c, const struct sp_report *rep);
/* Move the captures into the caller's buffers and mappings ("" when nothing came); call only
 * once the child is gone.  A mapping that fails leaves NULL; then, with `report`, the
 * thread's error is set and -1 returned, else 0 (run.c). */
SP_HIDDEN int sp_deliver_buffers(subproc *c, bool report);

/* ---- captures into a memory file (mapping.c) -------------------------------------------- */

/* A new memory file for the child's output: an fd (close-on-exec), or -1 with the thread's
 * error set. */
SP_HIDDEN int sp_mapping_open(void);
/* Freeze the memory file `fd` (-1: none, the mapping is empty) and map what it holds, at most
 * `limit` bytes (0: all) with *ret_dropped the rest, followed by a NUL, into *ret_data.  0, or
 * -errno with *ret_data NULL and *ret_len the size that could not be mapped (for the
 * message). */
SP_HIDDEN int sp_mapping_deliver(int fd, size_t limit, char **ret_data, size_t *ret_len,
                                 size_t *ret_dropped);

/* ---- I/O loop (io.c) -------------------------------------------------------------------- */

#define SP_NEVER LLONG_MAX
/* CLOCK_MONOTONIC in milliseconds. */
SP_HIDDEN long long sp_now_ms(void);

/* Feed stdin and the send buffers, capture out/err.  Returns 0 once every pipe is done,
 * -ETIME when stop_at_ms (monotonic ms, SP_NEVER for none) came first, 1 when watch_fd (-1 for
 * none) became readable first, or -1 with the thread's error set.  Progress is kept in c, so
 * it can be called again. */
SP_HIDDEN int sp_io_loop(subproc *c, long long stop_at_ms, int watch_fd);
SP_HIDDEN void sp_capture_free(struct sp_capture *cap);
/* Read what is there into the capture buffer, growing it: 1 to go on (also on EINTR and
 * EAGAIN), 0 at EOF, or -errno. */
SP_HIDDEN int sp_capture_read(int fd, struct sp_capture *cap);
/* Block SIGPIPE in this thread around writes to pipes whose reader may be gone; the restore
 * swallows a SIGPIPE we caused (broken_pipe) unless one was pending before. */
SP_HIDDEN void sp_sigpipe_block(sigset_t *old, bool *was_pending);
SP_HIDDEN void sp_sigpipe_restore(const sigset_t *old, bool was_pending, bool broken_pipe);
SP_HIDDEN void sp_run_io_close(subproc *c);

/* ---- waiting (wait.c) ------------------------------------------------------------------- */

/* waitpid(pid) retrying EINTR; -errno on failure. */
SP_HIDDEN int sp_waitpid(pid_t pid, int *ret_status);
/* Describe a raw wait status: "exit status 3", "signal 9 (Killed)". */
SP_HIDDEN void sp_status_describe(int status, char *buf, size_t size);
/* Apply the status rules of subproc_run(): 0 (with *exitstatus filled), or -1 with errno EIO
 * and a message starting with `what` and ending with the stderr tail if any. */
SP_HIDDEN int sp_check_status(const char *what, int status, int *exitstatus, bool raw,
                              const char *tail, int tail_len);
/* Wait until `deadline` (sp_now_ms() time) for pid to exit, sleeping on pidfd if >= 0, and
 * reap it: 1 reaped with *ret_status set, 0 still running at the deadline, -errno when it
 * cannot be reaped (ECHILD: someone else did). */
SP_HIDDEN int sp_reap_until(pid_t pid, int pidfd, long long deadline, int *ret_status);
/* Reap our child, blocking: 0 with *ret_status, or -errno (ECHILD: reaped elsewhere).  Waits
 * through pidfd when >= 0, so a pid recycled after someone else reaped ours is never waited
 * for; sp_reap_until() does the same. */
SP_HIDDEN int sp_reap_child(pid_t pid, int pidfd, int *ret_status);
/* Whether our child is still unreaped (running, stopped or a zombie): the one state in which
 * its pid, and the id of a process group it leads, cannot belong to anyone else.  Through
 * pidfd when >= 0 (exact), else by pid.  Keeps errno. */
SP_HIDDEN bool sp_child_unreaped(pid_t pid, int pidfd);
/* How sp_stop_child() signals the child: 0, or -1 with errno. */
typedef int sp_send_signal_fn(const void *ctx, int sig);
/* Stop a child for good: SIGTERM, up to grace_ms for it to go, then SIGKILL, sent again
 * every SP_SIGNAL_RETRY_MS should sending fail (ten times), then a blocking reap.  Returns
 * sp_reap_until()'s 1 or -errno. */
SP_HIDDEN int sp_stop_child(pid_t pid, int pidfd, int grace_ms, sp_send_signal_fn *send,
                            const void *ctx, int *ret_status);
#define SP_ABORT_GRACE_MS 200
/* A signal that could not be sent is sent again this often, rather than forgotten. */
#define SP_SIGNAL_RETRY_MS 100
/* sp_stop_child() signalling by pid (our child, not yet reaped, so the pid is safe), with a
 * pidfd of its own when the kernel has them.  Keeps errno. */
SP_HIDDEN void sp_kill_and_reap(pid_t pid, int grace_ms, int *ret_status);
/* Send sig to our child: through its pidfd when there is one, else by pid only while it is
 * proven unreaped (a recycled pid is someone else's).  0, or -1 with errno (ESRCH: gone). */
SP_HIDDEN int sp_signal_child(pid_t pid, int pidfd, int sig);

/* ---- signals (fork.c) ------------------------------------------------------------------- */

/* Block every signal (glibc's internal ones too) in the calling thread; *old gets the mask. */
SP_HIDDEN void sp_block_all_signals(sigset_t *old);
SP_HIDDEN void sp_restore_signals(const sigset_t *old);
/* Signals 1..64 of a sigset_t as the kernel's 64-bit mask. */
SP_HIDDEN uint64_t sp_sigset_low64(const sigset_t *set);

/* ---- children sharing our memory: their stacks, the dumpable flag (Linux) -------------- */

/* Each of the two stacks a spawn may need: the child's, and the daemon's below it. */
#define SP_CLONE_STACK_SIZE (32 * 1024)

struct sp_clone_stacks {
        void *base;       /* the mapping, NULL when none is held */
        char *child_top;  /* top of the child's stack */
        char *daemon_top; /* top of the daemon's stack */
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
