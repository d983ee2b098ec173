/* The child side: what the code between process creation and exec (child.c, and the
 * platform parts that start it) may see.  Nothing here may need the parent's runtime: the
 * plan is prepared, read-only, by the parent (plan.c), and the child answers only through a
 * report on a pipe.  child.c includes this header alone (with its system-call layer,
 * sys-linux.h or sys-posix.h). */
#ifndef SUBPROC_CHILD_H
#define SUBPROC_CHILD_H

#include "config.h"
#include "compat.h"

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

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
#define SP_CHILD_CODE                                                  \
        __attribute__((no_sanitize("address", "undefined", "thread"))) \
        SP_NO_INSTRUMENTATION SP_NO_STACK_PROTECTOR

/* One resource limit to set (subproc_set_rlimit). */
struct sp_rlimit {
        int resource;
        rlim_t soft;
        rlim_t hard;
};

/* exec retries on ETXTBSY, pausing 1, 2, 4 ... ms: SP_EXEC_BUSY_MS in all. */
#define SP_EXEC_BUSY_RETRIES 7
#define SP_EXEC_BUSY_MS ((1u << SP_EXEC_BUSY_RETRIES) - 1)

/* Pidfiles are made, and the ones we lock are kept, private to their owner: flock() needs no
 * write access, so any user who could open one could lock it once our holder is gone. */
#define SP_PIDFILE_MODE 0600
#define SP_PIDFILE_FOREIGN_BITS 0077

/* Issue 14, confinement: a BPF program laid out as Linux's struct sock_fprog
 * (linux/filter.h), which seccomp() reads: `len` instructions of 8 bytes at `insns`. */
struct sp_bpf_prog {
        unsigned short len;
        void *insns;
};

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

/* What a failing child writes on the report pipe (one write, well under PIPE_BUF) or into its
 * stack (sp_plan.vfork_report). */
struct sp_report {
        int stage;
        int error;
        int arg; /* fd number for the fd stages */
};

/* Everything the child needs, prepared read-only in the parent before it starts. */
struct sp_plan {
        const char *path; /* resolved binary */
        char *const *argv;
        char *const *envp;
        const char *cwd;              /* NULL: stay */
        const struct sp_fd_map *maps; /* applied in order; no src equals any dst of another */
        size_t nmaps;
        const int *keep; /* sorted fds to keep open across exec (the dsts >= 3) */
        size_t nkeep;
        int fd_limit;       /* bound for SP_CLOSE_LOOP; 0: the child asks (RLIMIT_NOFILE) */
        int first_method;   /* enum sp_close_method to try first */
        int report_fd;      /* close-on-exec pipe to the parent, set by sp_spawn; -1 when the
                             * child reports into its stack (report_in_memory) */
        int handshake_fd;   /* close-on-exec pipe the child waits on, -1 if none */
        bool use_fork;      /* the hook or the handshake need a copied address space */
        bool handshake;     /* stop before exec until the parent says go */
        char *daemon_stack; /* daemonize: top of the stack for the daemon, set by sp_spawn */
        bool daemonize;
        const char *pidfile;
        const struct sp_rlimit *rlimits;
        size_t nrlimits;
        int umask; /* -1: leave it */
        int (*hook)(void *opaque);
        void *hook_opaque;
        bool clear_caps;
        bool drop_groups;
        long uid, gid; /* -1: leave them */
        bool no_new_privs;
        int death_signal;
        pid_t parent_pid; /* for the death-signal race check */
        bool new_session;
        bool new_pgroup;
        int cgroup_fd; /* the cgroup directory (sp_cgroup_open), -1: none */
        /* Written by the parent before each attempt to start the child, read by the child:
         * true when the child is created in the cgroup (clone3), so it must not enter it. */
        bool cgroup_placed;
        bool keep_ignored_signals; /* ignored dispositions stay ignored */
        bool inherit_mask;         /* the program starts with caller_mask */
        bool has_mask;             /* the program starts with mask (over inherit_mask) */
        bool no_pidfd;             /* subproc_no_pidfd(): the parent keeps no pidfd */
        bool keep_inherited_fds;   /* subproc_pass_inherited_fds(): close nothing */
        /* subproc_inherit_stdio(): bit n set when the caller has fd n (0-2) closed, which
         * must stay closed in the program whatever takes its number meanwhile (a hook's). */
        unsigned closed_stdio;
        uint64_t mask;
        uint64_t caller_mask; /* the caller's signal mask, set by sp_spawn / subproc_exec */
        /* subproc_exec(): the calling process applies the plan itself, and a failure jumps
         * back with the report instead of exiting. */
        sigjmp_buf *in_place_jump;
        struct sp_report *in_place_report;
        /* Monotonic ms (SP_NEVER: none) by which a child running a hook must have exec'd (a
         * daemon: or be waiting for the handshake): the run's timeout bounds the hook too. */
        long long report_deadline_ms;
        /* Issue 17.  Set by sp_start_child() for a child it makes to share our memory under
         * CLONE_VFORK, NULL otherwise: a word of that child's own stack (its mapping's lowest,
         * never the caller's memory), zeroed before the clone, that the child sets first
         * thing (spawn-linux.c).  Seen set when clone returns, the child really ran in our
         * memory while this thread was suspended, not in a copy: an emulated vfork (valgrind,
         * qemu-user) is a plain fork whose child may be anywhere before exec yet. */
        int *vfork_mark;
        /* Parent side only, set by sp_start_child(): the mark above was seen, so the child
         * has exec'd past its point of no return or exited, and its report pipe already holds
         * everything it will ever say (sp_spawn reads it without waiting for an EOF). */
        bool exec_settled;
        /* Parent side, set by sp_spawn() (sp_child_reports_in_memory()): this child reports a
         * failure through vfork_report below, not a pipe. */
        bool report_in_memory;
        /* Issue 17.  With report_in_memory, set by sp_start_child() like vfork_mark (NULL
         * otherwise): the child's failure report goes there, into its own stack's lowest
         * bytes beside the mark (never the caller's memory), where the parent, suspended until
         * the child has exec'd or exited, finds it once clone returns.  Zeroed before the
         * clone: stage 0 is no report. */
        struct sp_report *vfork_report;
        /* Parent side only: what sp_start_child() found there (stage 0: none). */
        struct sp_report memory_report;
        /* In place only (NULL otherwise): where the pidfile's locked fd is noted, for the
         * caller to close and discard the file when a later step fails. */
        int *in_place_pidfile_fd;

        /* Issue 14, identity: the user's groups, kept capabilities. */
        const gid_t *groups; /* with drop_groups: set these (NULL: none) */
        size_t ngroups;
        bool keep_caps;     /* keep exactly kept_caps (permitted, inheritable, ambient) */
        uint64_t kept_caps; /* bit n: capability n */

        /* Issue 14, fds and argv0: argv above already carries the argv0 asked for. */

        /* Issue 14, scheduling: nice, CPU affinity, I/O priority, OOM score, policy. */
        bool set_nice, set_ioprio, set_sched;
        int nice;
        int ioprio; /* class << 13 | level, as ioprio_set() takes it */
        int sched_policy, sched_priority;
        const void *cpu_set; /* NULL: leave the affinity */
        size_t cpu_set_size;
        const char *oom_score_adj; /* decimal text for /proc/self/oom_score_adj, NULL: leave */
        size_t oom_score_adj_len;  /* its length (no strlen() in the child) */

        /* Issue 14, namespaces and id maps. */
        unsigned long ns_clone;  /* namespaces the child is created in (clone flags) */
        unsigned long ns_first;  /* entered by unshare() first thing (a forked hook child) */
        unsigned long ns_late;   /* unshare()d by the program's process (CGROUP, TIME) */
        unsigned long ns_daemon; /* unshare()d by a daemon's intermediate (CLONE_NEWPID) */
        bool ns_private_mounts;  /* a new mount namespace: make its mounts private first */
        bool pid_ns;             /* the program is pid 1 of a new pid namespace */
        const char *uid_map;     /* written by the parent (sp_spawn), NULL: none */
        const char *gid_map;
        int id_maps_fd;      /* pipe the child waits on for its maps, -1: none */
        int id_maps_peer_fd; /* the parent's end, which a forked child closes */

        /* Issue 14, confinement: seccomp, Landlock. */
        const struct sp_bpf_prog *seccomp; /* the filter to install last, NULL: none */
        int landlock_fd; /* our close-on-exec copy of the caller's ruleset, -1: none */

        /* Issue 15, socket activation: LISTEN_PID is the program's own pid, which only the
         * process that execs knows.  envp[listen_pid_slot] is the NULL where it goes (-1:
         * none); the child copies envp into an array of its own to fill it. */
        int listen_pid_slot; /* < SP_LISTEN_ENV_MAX */
        /* Issue 16, pty: in the new session, the child's fd (0-2, mapped from the slave) that
         * becomes its controlling terminal; -1: none. */
        int ctty_fd;
};

/* Issue 15: the most entries an envp may have when the child adds LISTEN_PID (its copy lives
 * on the child's small stack). */
#define SP_LISTEN_ENV_MAX 256

/* The steps a child takes before exec, as its failure reports name them. */
enum sp_step {
        SP_STEP_SIGNALS = 1,
        SP_STEP_DUP2,
        SP_STEP_PASS_FD,
        SP_STEP_CLOSE_FDS,
        SP_STEP_CHDIR,
        SP_STEP_EXEC,
        SP_STEP_SETSID,
        SP_STEP_DAEMON_FORK,
        SP_STEP_PIDFILE,
        SP_STEP_RLIMIT,
        SP_STEP_HOOK,
        SP_STEP_CAPS_BOUNDING,
        SP_STEP_SETGROUPS,
        SP_STEP_SETGID,
        SP_STEP_SETUID,
        SP_STEP_CAPS,
        SP_STEP_NO_NEW_PRIVS,
        SP_STEP_DEATH_SIGNAL,
        SP_STEP_HANDSHAKE,
        SP_STEP_SETPGID,
        SP_STEP_CGROUP,
        SP_STEP_REPORT, /* the parent could not read the report pipe */
        /* Issue 14. */
        SP_STEP_KEEP_CAPS, /* keep chosen capabilities across the uid change */
        SP_STEP_NICE,
        SP_STEP_AFFINITY,
        SP_STEP_IOPRIO,
        SP_STEP_OOM_SCORE,
        SP_STEP_SCHED,
        SP_STEP_UNSHARE,
        SP_STEP_ID_MAPS, /* waiting for the parent to write the user namespace's maps */
        SP_STEP_LANDLOCK,
        SP_STEP_SECCOMP,
        /* Issue 16. */
        SP_STEP_CTTY, /* TIOCSCTTY on the pty */
        /* Not failures: information the parent collects. */
        SP_STEP_INFO_DAEMON_PID = 100, /* arg: the daemon's pid */
        SP_STEP_INFO_READY,            /* the child waits for the handshake */
        SP_STEP_INFO_SESSION,          /* a handshake's child has made its session */
        SP_STEP_INFO_ID_MAPS,          /* the child waits for its id maps (issue 14) */
};

/* Runs in the child: async-signal-safe only, never writes the parent's memory.  Applies the
 * plan and execs; on failure writes a report and _exits (or, in place, jumps back).  Never
 * returns. */
/* Runs in the child: async-signal-safe only, never writes the parent's memory.  Applies the
 * plan and execs; on failure writes a report and _exits (or, in place, jumps back).  Never
 * returns. */
SP_HIDDEN void sp_child_run(const struct sp_plan *plan) __attribute__((noreturn));

#endif
