/* Declarations shared by the files of the subproc tool (tools/): the parsed command line,
 * the exit statuses, and the one function that prints messages. */
#ifndef SUBPROC_TOOL_CLI_H
#define SUBPROC_TOOL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <subproc.h>
#include <sys/resource.h>
#include <sys/types.h>

/* Exit statuses of env(1) and timeout(1), which scripts already test for. */
enum {
        EXIT_NOT_HELD = 1,      /* --status: nobody holds the pidfile, which exists */
        EXIT_NO_PIDFILE = 3,    /* --status: no pidfile (LSB "not running") */
        EXIT_UNKNOWN = 4,       /* --status: cannot tell (LSB "status unknown") */
        EXIT_TIMED_OUT = 124,   /* the timeout's first signal ended the program */
        EXIT_OURS = 125,        /* subproc itself failed */
        EXIT_CANNOT_RUN = 126,  /* the program was found but could not run */
        EXIT_NOT_FOUND = 127,   /* the program was not found */
        EXIT_SIGNAL_BASE = 128, /* + N: the program died by signal N */
};

enum mode { MODE_RUN, MODE_STATUS, MODE_STOP };

enum env_op_kind { ENV_PUT, ENV_UNSET, ENV_PASS, ENV_PASS_COMMON };

struct env_op {
        enum env_op_kind kind;
        const char *arg; /* NAME=VALUE or NAME; NULL for ENV_PASS_COMMON */
};

struct limit {
        int resource;
        rlim_t soft, hard;
};

/* Every array holds at most argc entries: each occurrence uses up at least one word. */
struct options {
        enum mode mode;
        const char *pidfile_query; /* --status / --stop */
        const char *exec_match;    /* --exec: the executable an unlocked pidfile's pid runs */
        char **argv;               /* PROGRAM [ARG]... */
        bool dry_run, verbose, daemon, env_clear, append, exit_with_parent;
        bool clear_caps, no_new_privs, reset_signals, new_session, process_group;
        const char *cwd, *pidfile, *cgroup, *std_path[3];
        struct env_op *env_ops;
        size_t n_env_ops;
        int *pass_fds;
        size_t n_pass_fds;
        struct limit *limits;
        size_t n_limits;
        int death_signal;
        unsigned timeout_ms, kill_after_ms;
        bool has_timeout, has_uid, has_gid, has_umask;
        /* --uid's passwd entry, if it has one: its primary group is the default --gid. */
        bool uid_has_passwd;
        gid_t uid_primary_gid;
        uid_t uid;
        gid_t gid;

        /* Issue 14, identity. */

        /* Issue 14, fds and argv0. */

        /* Issue 14, scheduling. */

        /* Issue 14, namespaces. */
        unsigned long unshare_flags;   /* --unshare-*, as subproc_unshare() takes them */
        bool has_map_uid, has_map_gid; /* --map-user, --map-group, --map-root-user */
        uid_t map_uid;                 /* our euid is this uid inside */
        gid_t map_gid;                 /* our egid is this gid inside */

        /* Issue 14, confinement. */

        mode_t umask;
};

/* Write "subproc: MESSAGE" and a newline on stderr (subproc.c). */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Write all `len` bytes to fd, never dying of SIGPIPE (write.c): 0, or -1 with errno (EPIPE
 * for a pipe nobody reads). */
int write_quietly(int fd, const char *buf, size_t len);

enum parse_result { PARSE_RUN, PARSE_DONE, PARSE_ERROR };

/* Parse the command line into *o (zeroed by the caller).  PARSE_DONE after --help or
 * --version (printed on stdout); PARSE_ERROR after saying what is wrong (options.c). */
enum parse_result parse_options(int argc, char **argv, struct options *o);

/* Free what parse_options() allocated; NULL-safe members. */
void free_options(struct options *o);

/* While the program runs under supervision, pass the signals that would end us on to it
 * (forward.c).  own_group: the program has its own process group, so the terminal's signals
 * do not reach it by themselves.  parent: with --exit-with-parent, our parent, whose death
 * (announced by SIGTERM) we die of instead of passing it on; else 0. */
void forward_signals(subproc *c, bool own_group, pid_t parent);

/* Pass on a signal that came before the program was started. */
void forward_pending(void);

#endif /* SUBPROC_TOOL_CLI_H */
