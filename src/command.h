/* The command object: what the builder sets (struct sp_config, written only by the builder's
 * files: command.c, command-stdio.c, command-process.c, command-sched.c, env.c) and the state
 * of its current or last run (struct sp_run, owned by the run's files: run.c creates and ends
 * it, start.c, supervise.c, handshake.c and io.c move it along). */
#ifndef SUBPROC_COMMAND_H
#define SUBPROC_COMMAND_H

#include "child.h"
#include "scope.h"
#include "util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

/* ---- the configuration ------------------------------------------------------------------ */

enum sp_env_mode {
        SP_ENV_INHERIT,  /* the caller's environ as it is at run time */
        SP_ENV_EXPLICIT, /* exactly env.vars */
};

struct sp_env {
        enum sp_env_mode mode;
        struct sp_strv vars; /* "NAME=value" */
        bool *shown;         /* per var: set by the caller (shown by to_string), not inherited */
        size_t shown_cap;
        struct sp_strv unset; /* inherited names removed, for to_string */
        bool inherited;       /* started from the caller's environment (subproc_env_inherit) */
};

struct sp_passed_fd {
        int fd;
        int child_fd; /* the number the child sees (subproc_pass_fd_as), fd itself by default */
        unsigned flags;
};

struct sp_send_buffer {
        unsigned char *data;
        size_t len;
        int child_fd; /* the number the child sees */
        /* The pipe made by subproc_add_send_buffer() (so the number returned is really free),
         * for the first run to take; -1 once taken.  Later runs make their own. */
        int first_pipe[2];
};

/* Everything the builder sets.  A run reads it and never writes it, with one exception the
 * API promises: the fds passed with SUBPROC_PASS_FD_CLOSE_PARENT are closed and forgotten by
 * the first run (sp_close_passed_fds). */
struct sp_config {
        struct sp_strv argv;
        struct sp_env env;
        char *cwd;

        /* Standard streams, passed fds, buffers. */
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
        size_t capture_limit; /* 0 for none */
        bool nonblocking;
        int *input_pipe_fdp; /* subproc_set_input_pipe(): where the write end goes, or NULL */
        /* subproc_set_output_callback(); fn NULL: none.  Validated by the run (check.c). */
        int (*output_fn)(void *opaque, int stream, const char *data, size_t len);
        void *output_opaque;
        unsigned output_streams, output_flags;
        struct sp_send_buffer *sends;
        size_t nsends;

        /* The process: daemon, pidfile, lifetime, privileges, limits. */
        bool daemonize;
        char *pidfile;
        int death_signal; /* 0: none */
        int (*hook)(void *opaque);
        void *hook_opaque;
        bool handshake;            /* subproc_require_handshake() */
        bool keep_ignored_signals; /* subproc_keep_ignored_signals() */
        bool inherit_mask;         /* subproc_inherit_signals(): the caller's mask at run time */
        bool has_mask;             /* subproc_set_signal_mask() */
        bool no_pidfd;             /* subproc_no_pidfd() */
        bool keep_inherited_fds;   /* subproc_pass_inherited_fds() */
        bool inherit_stdio;        /* subproc_inherit_stdio() */
        uint64_t mask;
        bool clear_caps;
        bool has_uid, has_gid, has_umask, no_new_privs;
        uid_t uid;
        gid_t gid;
        mode_t umask;
        struct sp_rlimit rlimits[32];
        size_t nrlimits;

        /* Issue 14, identity: the user's groups, kept capabilities. */
        gid_t *groups; /* supplementary groups to set (subproc_set_user/_set_groups) */
        size_t ngroups;
        bool has_groups;
        bool has_keep_caps; /* subproc_keep_caps(): keep exactly keep_caps across the uid change */
        uint64_t keep_caps; /* bit n: capability n */

        /* Issue 14, fds and argv0. */
        char *argv0; /* what the child sees as argv[0] (subproc_set_argv0), NULL: argv's */

        /* Issue 14, scheduling: nice, CPU affinity, I/O priority, OOM score, policy. */
        bool has_nice, has_ioprio, has_oom_score_adj, has_sched;
        int nice;
        int ioprio; /* the kernel's value: class << 13 | level */
        int oom_score_adj;
        int sched_policy, sched_priority;
        void *cpu_set; /* a copy of the caller's cpu_set_t, cpu_set_size bytes; NULL: none */
        size_t cpu_set_size;

        /* Issue 14, namespaces and id maps. */
        unsigned long unshare_flags; /* subproc_unshare() */
        char *uid_map, *gid_map;     /* subproc_set_id_maps(), validated; NULL: none */

        /* Issue 14, confinement: seccomp, Landlock. */
        struct sp_bpf_prog seccomp; /* our copy of the caller's filter; len 0: none */
        int landlock_fd;            /* the caller's ruleset, if has_landlock */
        bool has_landlock;

        /* Supervision and results. */
        unsigned timeout_ms; /* 0: none */
        unsigned kill_after_ms;
        int timeout_signal; /* the deadline's first signal; 0: SIGTERM */
        bool new_session, new_pgroup;
        char *cgroup_dir;   /* as given to subproc_set_cgroup, or NULL */
        char *scope_parent; /* as given to subproc_set_cgroup_scope, or NULL */
        bool raw_status;

        /* Issue 15: readiness (subproc_require_ready) and socket activation
         * (subproc_listen_fds: the fds go to 3.. in order, named or "unknown"). */
        bool ready;
        int *listen_fds;
        char **listen_names; /* [nlisten], NULL entries unnamed; NULL when none is named */
        size_t nlisten;
        /* Issue 16, pty (subproc_set_pty()). */
        int *pty_masterp;     /* where each run's master goes; NULL: no pty */
        unsigned pty_streams; /* SUBPROC_PTY_* bits: the child's fds that are the pty */
        unsigned short pty_rows, pty_cols;
};

/* The child gets a new session: asked for, or implied by a pty (its controlling terminal). */
static inline bool sp_config_new_session(const struct sp_config *cfg)
{
        return cfg->new_session || cfg->pty_masterp;
}

/* ---- the run ------------------------------------------------------------------------------ */

/* Where a child that waits for the handshake stands. */
enum sp_handshake_state {
        SP_HANDSHAKE_NONE,    /* no child waits for the go-ahead */
        SP_HANDSHAKE_STARTED, /* child started, not yet known to wait */
        SP_HANDSHAKE_WAITING, /* child told us it waits */
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

/* A stream handed to the caller's output callback as it arrives (stream.c).  Lives in the
 * run; its buffers are freed by sp_run_close(). */
struct sp_sink {
        int (*fn)(void *opaque, int stream, const char *data, size_t len); /* NULL: none */
        void *opaque;
        int stream;   /* what the callback is told: SUBPROC_STDOUT, SUBPROC_STDERR or both */
        bool lines;   /* SUBPROC_LINES */
        bool keep;    /* SUBPROC_ALSO_CAPTURE: the capture buffer gets every byte too */
        bool calling; /* inside the callback: the command must not be waited for from it */
        int refused;  /* the callback's non-zero return; it is never called again */
        bool aborted; /* subproc_abort() from the callback: the same, once it returns */
        char *chunk;  /* what one read brought, NUL-terminated */
        char *line;   /* LINES: the line so far, up to SUBPROC_LINE_MAX bytes */
        size_t line_len;
        size_t bytes_read; /* all that was read from the pipe so far */
};

/* Bytes the parent writes into a pipe of the child: stdin's input buffer, a send buffer. */
struct sp_feed {
        int fd;                    /* our write end, -1 once done */
        const unsigned char *data; /* the configuration's bytes */
        size_t len;
        size_t written;
};

/* The state of the current or last run.  Every fd here is closed by sp_run_close() and
 * nowhere else: a new per-run fd is a field here, -1 in SP_RUN_IDLE, and a line there. */
struct sp_run {
        /* The child. */
        pid_t pid;           /* running child, -1 if none */
        int pidfd;           /* its pidfd, -1 if none */
        bool pid_handed_out; /* run_async(c, &pid): free() leaves the child alone */
        pid_t daemon_pid;    /* -1 unless the last run started a daemon */
        char *exec_path;     /* the binary it runs, resolved by the plan (for messages) */
        long long started_ms;
        /* Without a pidfd: when the child started (sp_child_start_time()), 0 if unknown. */
        unsigned long long start_time;

        /* The handshake. */
        enum sp_handshake_state handshake;
        /* The pidfile the child was started with, for the discard when it never gets past
         * the handshake: a later subproc_set_pidfile() must not make us miss it. */
        char *pidfile;
        int report_fd; /* read end of the child's report pipe */
        int notify_fd; /* write end the child waits on */

        /* I/O served while it runs (io.c). */
        bool io_pending;       /* feeds or captures still to serve */
        long long io_done_ms;  /* when the last pipe was done (sp_now_ms()), for polling */
        struct sp_feed *feeds; /* [nfeeds]: stdin's buffer first, then the send buffers */
        size_t nfeeds;
        int out_fd, err_fd;       /* read ends for the output and error buffers, -1: none */
        int out_memfd, err_memfd; /* memory files of the mappings, -1: none */
        struct sp_capture out, err;
        struct sp_sink out_sink, err_sink; /* output callbacks of out_fd and err_fd */

        /* The timeout's escalation (supervise.c). */
        int phase; /* 0 running, 1 SIGTERM sent at the deadline, 2 SIGKILL sent */
        long long kill_at;
        long long retry_at; /* a signal failed: try again then (0: no retry pending) */
        int last_signal;
        bool aborting; /* sp_run_abort() ends the run: its scope goes with it */

        /* Issue 15, readiness (ready-linux.c): the notify socket, what came through it. */
        int ready_fd;         /* our datagram socket, -1: none */
        bool ready;           /* READY=1 came */
        char *ready_status;   /* the last STATUS= text, NULL: none */
        int ready_errno;      /* the last ERRNO= value, 0: none */
        pid_t ready_main_pid; /* MAINPID= accepted, else -1 */
        int main_pidfd;       /* ... its pidfd, taken when it was accepted: -1 none */
        int daemon_pidfd;     /* the daemon's, taken at its start (readiness only): -1 none */

        /* The run's cgroup scope (scope.h).  It may outlive the child (descendants left
         * running), so sp_run_close() leaves it: the next run's sp_run_reset() and
         * subproc_free() end it (run.c), as do the kills that empty it. */
        struct sp_scope scope;

        /* Results of the last finished run (kept by sp_run_reset(), like status). */
        int status;           /* raw wait status, -1 if none */
        struct rusage rusage; /* the child's, filled by its reap */
        bool has_rusage;
        struct subproc_scope_stat scope_stat; /* read when its scope was last seen */
        bool has_scope_stat;
        size_t out_len, err_len;
        size_t out_dropped, err_dropped; /* past the capture limit */

        /* The pty of the current or last run (issue 16): its master as handed to the caller,
         * who owns it (never closed here; -1: none), and the slave's name, by which
         * subproc_pty_resize() tells that number still holds that master. */
        int pty_master;
        char pty_name[64];
};

#define SP_RUN_IDLE                                                                         \
        {                                                                                   \
                .pid = -1, .pidfd = -1, .daemon_pid = -1, .report_fd = -1, .notify_fd = -1, \
                .out_fd = -1, .err_fd = -1, .out_memfd = -1, .err_memfd = -1, .status = -1, \
                .ready_fd = -1, .ready_main_pid = -1, .main_pidfd = -1, .daemon_pidfd = -1, \
                .scope = SP_SCOPE_NONE, .pty_master = -1,                                   \
        }

/* ---- the command ------------------------------------------------------------------------ */

struct subproc {
        int error;        /* deferred errno of a builder call, 0 if none */
        char errmsg[256]; /* its message */
        bool is_static;   /* the out-of-memory sentinel: never written, never freed */
        struct sp_config cfg;
        struct sp_run run;
};

/* Record a deferred error on c (first one wins) and return. */
SP_HIDDEN void sp_command_fail(subproc *c, int errnum, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* true when builder calls must be ignored (sentinel, NULL, or a deferred error). */
static inline bool sp_command_broken(const subproc *c)
{
        return !c || c->error != 0;
}
/* Report c's deferred error as the thread's error; returns -1. */
SP_HIDDEN int sp_command_report(const subproc *c);
/* Close the CLOSE_PARENT fds (ours since subproc_pass_fd) and forget them. */
SP_HIDDEN void sp_close_passed_fds(struct sp_config *cfg);
/* Free everything the builder allocated, closing the fds it holds (command.c). */
SP_HIDDEN void sp_config_free(struct sp_config *cfg);

/* ---- issue 15, socket activation (command-activation.c) -------------------------------- */

/* systemd's limits: sd_listen_fds() names of at most 255 bytes; we pass at most 1024 fds. */
#define SP_LISTEN_NAME_MAX 255
#define SP_LISTEN_FDS_MAX 1024
SP_HIDDEN void sp_listen_free(struct sp_config *cfg);

/* ---- environment (env.c) ---------------------------------------------------------------- */

SP_HIDDEN void sp_env_free(struct sp_env *env);
/* The envp for a run: environ, or the explicit list (an empty list gives an empty envp). */
SP_HIDDEN char *const *sp_env_envp(const struct sp_env *env);

#endif
