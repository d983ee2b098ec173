/* Declarations shared by the files of the subproc tool (tools/): the parsed command line,
 * the exit statuses, and the one function that prints messages. */
#ifndef SUBPROC_TOOL_CLI_H
#define SUBPROC_TOOL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <subproc.h>
#include <sys/resource.h>
#include <sys/types.h>

/* Exit statuses of env(1) and timeout(1), which scripts already test for. */
enum {
        EXIT_NOT_HELD = 1,      /* --status: nobody holds the pidfile, which exists */
        EXIT_NOTHING_DONE = 1,  /* --stop: nothing ran (start-stop-daemon without --oknodo) */
        EXIT_STILL_RUNNING = 2, /* --stop: it still runs after the --retry schedule */
        EXIT_NOT_READY = 2,     /* --notify-await: the daemon exited before it was ready */
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

/* --fd CHILD=PARENT (issue 14). */
struct fd_map {
        int child, parent;
};

/* Every array holds at most argc entries: each occurrence uses up at least one word. */
struct options {
        enum mode mode;
        const char *pidfile_query; /* --status / --stop */
        const char *exec_match;    /* --exec: the executable an unlocked pidfile's pid runs */
        char **argv;               /* PROGRAM [ARG]... */
        bool dry_run, verbose, daemon, env_clear, append, exit_with_parent, keep_fds;
        bool clear_caps, no_new_privs, reset_signals, new_session, process_group;
        bool pty; /* --pty (issue 16) */
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
        const char *user; /* --user: uid, primary gid and groups of this user */
        gid_t *groups;    /* --groups, or what --init-groups/--keep-groups stand for */
        size_t n_groups;
        bool has_groups, init_groups, keep_groups;
        bool has_ambient_caps, has_inh_caps, has_bounding_set;
        uint64_t ambient_caps, inh_caps, bounding_set; /* bit n: capability n */

        /* Issue 14, fds and argv0. */
        struct fd_map *fd_maps; /* --fd CHILD=PARENT, in order */
        size_t n_fd_maps;
        const char *argv0;

        /* Issue 14, scheduling. */
        bool has_nice, has_ioprio, has_oom_score_adj, has_sched;
        int nice, ioprio_class, ioprio_level, oom_score_adj, sched_policy, sched_priority;
        void *cpu_set; /* --cpu-affinity, CPU_ALLOC'd; NULL: none */
        size_t cpu_set_size;
        /* The fd, argv0 and scheduling options as given (long name without "--", value, ...),
         * which --dry-run shows: sh cannot apply them. */
        const char **fdsched_words;
        size_t n_fdsched_words;
        const char *self; /* how we were run (argv[0]), for that line */

        /* Issue 14, namespaces. */
        unsigned long unshare_flags;   /* --unshare-*, as subproc_unshare() takes them */
        bool has_map_uid, has_map_gid; /* --map-user, --map-group, --map-root-user */
        uid_t map_uid;                 /* our euid is this uid inside */
        gid_t map_gid;                 /* our egid is this gid inside */

        /* Issue 14, confinement. */
        const char *seccomp_file;           /* --seccomp-filter */
        void *seccomp_insns;                /* its BPF program, NULL if none */
        unsigned short seccomp_len;         /* instructions */
        bool has_landlock, landlock_all_fs; /* --landlock-access given; "fs": all of them */
        uint64_t landlock_handled;          /* the accesses of fs:ACCESS,... */
        struct landlock_rule_opt *landlock_rules;
        size_t n_landlock_rules;

        mode_t umask;

        /* Issue 15, timeout(1) and start-stop-daemon parity (parity.c). */
        int signal; /* -s: the --timeout's first signal, or the one --stop sends; 0: none */
        bool preserve_status, foreground, oknodo;
        const char *retry;               /* --retry SCHEDULE as given */
        struct subproc_stop_step *steps; /* ... parsed; NULL: none */
        size_t n_steps;
        const char *name_match; /* --name with --status/--stop */
        const char *user_word;  /* --user as given: whom to run as, or to match */
        bool has_uid_match;     /* --user with --status/--stop */
        uid_t uid_match;
        /* Issue 15: readiness and socket activation (activation.c). */
        bool notify_await, has_notify_timeout;
        unsigned notify_timeout_ms;
        struct listen_opt *listens; /* --listen and --listen-fd, in order */
        size_t n_listens;
        /* Issue 15: a scope (--scope PARENT_CGROUP), and the usage report (--rusage[=FILE]). */
        const char *scope;
        bool rusage;
        const char *rusage_file; /* NULL: stderr */
};

/* Issue 15: one --listen ADDR (address; fd once bound, ours) or --listen-fd N[:NAME]. */
struct listen_opt {
        const char *arg;     /* as given */
        const char *address; /* --listen's, NULL for --listen-fd */
        int fd;              /* --listen-fd's N, or the socket bound for --listen (-1: none yet) */
        const char *name;    /* NULL: "unknown" */
};

/* The values of the readiness and socket activation options. */
enum {
        ACTIVATION_OPT_NOTIFY_AWAIT = 1200, /* 1100..: PARITY_OPT_* */
        ACTIVATION_OPT_NOTIFY_TIMEOUT,
        ACTIVATION_OPT_LISTEN,
        ACTIVATION_OPT_LISTEN_FD,
};

/* Take one of them; -1 having said what is wrong. */
int activation_option(struct options *o, int opt, const char *arg);
/* After all options: combinations that cannot work; -1 having said why. */
int activation_check(const struct options *o);
/* Ask c for readiness and, unless dry_run, bind the --listen addresses and hand every
 * listening fd to c; -1 having said why. */
int activation_apply(subproc *c, struct options *o, bool dry_run);
/* --dry-run: one "# --option value" line each. */
int activation_print(const struct options *o, FILE *out);
/* After a daemon's start with --notify-await: 0 once ready; else, having said why, 124 when
 * the time ran out (the daemon left running), EXIT_NOT_READY when it exited first. */
int activation_await(subproc *c, const struct options *o);
/* Close the sockets bound for --listen, free the list. */
void activation_close(struct options *o);

/* Issue 14, confinement (confine.c): one --landlock-rule path-beneath:ACCESS:PATH. */
struct landlock_rule_opt {
        uint64_t access; /* LANDLOCK_ACCESS_FS_* bits */
        const char *path;
};

/* The values of the confinement options. */
enum {
        CONFINE_OPT_SECCOMP_FILTER = 1000,
        CONFINE_OPT_LANDLOCK_ACCESS,
        CONFINE_OPT_LANDLOCK_RULE,
};

/* Take one of them (reading the filter file); -1 having said what is wrong. */
int confine_option(struct options *o, int opt, const char *arg);
/* After all options: every rule allows only what the ruleset handles; -1 having said why. */
int confine_check(const struct options *o);
/* --dry-run: one "# --option value" line each, which sh ignores. */
int confine_print(const struct options *o, FILE *out);
/* Set the filter on c and, unless dry_run, make the Landlock ruleset (*ret_ruleset, ours to
 * close after the run; -1 if none) and set it; -1 having said why. */
int confine_apply(subproc *c, const struct options *o, bool dry_run, int *ret_ruleset);
void confine_free(struct options *o);

/* Issue 15: the values of the timeout(1) and start-stop-daemon options ('s' is -s). */
enum {
        PARITY_OPT_PRESERVE_STATUS = 1100,
        PARITY_OPT_FOREGROUND,
        PARITY_OPT_RETRY,
        PARITY_OPT_OKNODO,
        PARITY_OPT_NAME,
        PARITY_OPT_USER, /* --user, which identity.c takes when a program is run */
};

/* Take one of them: 0, -1 having said what is wrong, 1 when opt is none of them. */
int parity_option(struct options *o, int opt, const char *arg);
/* After all options (before the identity checks): --user's meaning, --retry parsed, and
 * the combinations refused; -1 having said why. */
int parity_finish(struct options *o);
void parity_free(struct options *o);
/* --status and --stop: the exit status, having said what went wrong. */
int parity_status(const struct options *o);
int parity_stop(const struct options *o);
/* --rusage (usage.c): the fd the report goes to (stderr, or FILE created now, so that a bad
 * FILE fails before the program runs; -1 having said why), and the report itself, once the
 * program has ended (`elapsed_ms` since its start). */
int usage_open(const struct options *o);
void usage_report(const subproc *c, const struct options *o, int fd, double elapsed_ms);

/* Write "subproc: MESSAGE" and a newline on stderr (subproc.c). */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A mistake on the command line: say it, and where to look (--help); returns -1 (options.c). */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

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

/* Have `fn` (async-signal-safe) called before we die of a signal (forward.c). */
void forward_before_dying(void (*fn)(void));

/* --pty (pty.c, issue 16): give the program a new pty on `streams` (SUBPROC_PTY_* bits), our
 * terminal's window size, its master in *master once it runs. */
void pty_set_up(subproc *c, unsigned streams, int *master);
/* Relay our stdin to the master and the master to our stdout, our terminal in raw mode and
 * its window size passed on, until the program's output ends or `timeout_ms` (0: none) has
 * passed; our terminal is as it was when this returns. */
void pty_relay(subproc *c, int master, unsigned timeout_ms);

#endif /* SUBPROC_TOOL_CLI_H */
