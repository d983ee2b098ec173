/* Turning a child's failure report into a message that names the failing step. */
#include "run.h"
#include "pidfile.h"
#include "namespaces.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>

static const char *rlimit_name(int resource)
{
        static const struct {
                int resource;
                const char *name;
        } names[] = {
                { RLIMIT_AS, "AS" },
                { RLIMIT_CORE, "CORE" },
                { RLIMIT_CPU, "CPU" },
                { RLIMIT_DATA, "DATA" },
                { RLIMIT_FSIZE, "FSIZE" },
                { RLIMIT_NOFILE, "NOFILE" },
                { RLIMIT_STACK, "STACK" },
#ifdef __linux__
                { RLIMIT_NPROC, "NPROC" },
                { RLIMIT_MEMLOCK, "MEMLOCK" },
                { RLIMIT_RSS, "RSS" },
                { RLIMIT_LOCKS, "LOCKS" },
                { RLIMIT_MSGQUEUE, "MSGQUEUE" },
                { RLIMIT_NICE, "NICE" },
                { RLIMIT_RTPRIO, "RTPRIO" },
                { RLIMIT_RTTIME, "RTTIME" },
                { RLIMIT_SIGPENDING, "SIGPENDING" },
#endif
        };

        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
                if (names[i].resource == resource)
                        return names[i].name;
        return "?";
}

static int describe_pidfile(const subproc *c, const struct sp_report *rep)
{
        /* The path this run started with (a later subproc_set_pidfile() does not move it). */
        const char *path = c->run.pidfile ? c->run.pidfile : c->cfg.pidfile;

        if (rep->error == EPERM || rep->error == EMLINK)
                return sp_pidfile_refused(path);
        if (rep->error != EBUSY)
                return sp_error(rep->error, "pidfile %s: %s", path, strerror(rep->error));
        return sp_pidfile_busy(path);
}

static int describe(const subproc *c, const struct sp_report *rep);

/* Issue 14, namespaces.  arg: the flags unshare() was given, -1 for our pid outside a new pid
 * namespace, -2 for the clone() that creates the child in them, -3 for making the mounts of a
 * new mount namespace private. */
static int describe_unshare(const subproc *c, const struct sp_report *rep)
{
        char names[64];

        if (rep->arg == -1)
                return sp_error(rep->error,
                                "find the child's pid outside its new pid namespace "
                                "(/proc/self): %s",
                                strerror(rep->error));
        if (rep->arg == -3)
                return sp_error(rep->error,
                                "make the new mount namespace's mounts private (mount "
                                "--make-rprivate /): %s",
                                strerror(rep->error));
        sp_ns_names(rep->arg == -2 ? c->cfg.unshare_flags : (unsigned long)(unsigned)rep->arg,
                    names, sizeof names);
        return sp_error(rep->error, "create new namespaces (%s) with %s: %s", names,
                        rep->arg == -2 ? "clone" : "unshare", strerror(rep->error));
}

static int describe_id_maps(const struct sp_report *rep)
{
        static const char *const files[] = { "uid_map", "setgroups", "gid_map" };

        if (rep->arg < 0 || rep->arg >= (int)(sizeof files / sizeof files[0]))
                return sp_error(rep->error, "write the user namespace's id maps: the child "
                                            "did not wait for them");
        return sp_error(rep->error, "write the user namespace's %s: %s", files[rep->arg],
                        strerror(rep->error));
}

int sp_report_describe(const subproc *c, const struct sp_report *rep)
{
        int r = describe(c, rep);

        sp_error_set_stage(rep->stage == SP_STEP_EXEC ? SUBPROC_STAGE_EXEC : SUBPROC_STAGE_SETUP);
        return r;
}

static int describe(const subproc *c, const struct sp_report *rep)
{
        const char *why = strerror(rep->error);
        int e = rep->error;

        switch (rep->stage) {
        case SP_STEP_EXEC:
                if (e == ETXTBSY)
                        return sp_error(e,
                                        "exec %s: %s (still open for writing after %u ms of "
                                        "retries)",
                                        c->run.exec_path, why, SP_EXEC_BUSY_MS);
                return sp_error(e, "exec %s: %s", c->run.exec_path, why);
        case SP_STEP_CHDIR:
                return sp_error(e, "chdir %s: %s", c->cfg.cwd ? c->cfg.cwd : "/", why);
        case SP_STEP_DUP2:
                return sp_error(e, "set up fd %d in the child (dup2): %s", rep->arg, why);
        case SP_STEP_PASS_FD:
                return sp_error(e, "pass fd %d: %s", rep->arg, why);
        case SP_STEP_SIGNALS:
                return sp_error(e, "reset the signal mask: %s", why);
        case SP_STEP_SETSID:
                return sp_error(e, "setsid: %s", why);
        case SP_STEP_DAEMON_FORK:
                return sp_error(e, "fork the daemon: %s", why);
        case SP_STEP_PIDFILE:
                return describe_pidfile(c, rep);
        case SP_STEP_RLIMIT:
                return sp_error(e, "set resource limit %s: %s", rlimit_name(rep->arg), why);
        case SP_STEP_HOOK:
                return sp_error(e, "the pre-exec hook failed (returned %d)", rep->arg);
        case SP_STEP_CAPS_BOUNDING:
                return sp_error(e, "drop capability %d from the bounding set: %s", rep->arg, why);
        case SP_STEP_SETGROUPS:
                if (c->cfg.has_groups && c->cfg.ngroups > 0)
                        return sp_error(e, "set %zu supplementary group%s (setgroups): %s",
                                        c->cfg.ngroups, c->cfg.ngroups == 1 ? "" : "s", why);
                return sp_error(e, "drop supplementary groups (setgroups): %s", why);
        case SP_STEP_SETGID:
                return sp_error(e, "setgid %d: %s", rep->arg, why);
        case SP_STEP_SETUID:
                return sp_error(e, "setuid %d: %s", rep->arg, why);
        case SP_STEP_CAPS:
                return sp_error(e, "clear capabilities: %s", why);
        case SP_STEP_NO_NEW_PRIVS:
                return sp_error(e, "set no_new_privs: %s", why);
        case SP_STEP_REPORT:
                if (e == ETIMEDOUT)
                        return sp_error(e,
                                        "the child had not exec'd %s when the %u ms "
                                        "timeout came (a pre-exec hook still running?): "
                                        "killed",
                                        c->run.exec_path, c->cfg.timeout_ms);
                return sp_error(e, "cannot read the child's report: %s", why);
        case SP_STEP_SETPGID:
                return sp_error(e, "setpgid: %s", why);
        case SP_STEP_CGROUP:
                /* The run's scope (whose name may be gone by now), or the cgroup asked for. */
                return sp_error(e, "enter cgroup %s: %s",
                                c->cfg.cgroup_dir   ? c->cfg.cgroup_dir
                                : c->run.scope.path ? c->run.scope.path
                                                    : "(the run's scope)",
                                why);
        case SP_STEP_DEATH_SIGNAL:
                return sp_error(e, "set death signal %d: %s", rep->arg, why);
        /* Issue 14, identity. */
        case SP_STEP_KEEP_CAPS:
                if (rep->arg == -1)
                        return sp_error(e,
                                        "keep capabilities across the uid change "
                                        "(PR_SET_KEEPCAPS): %s",
                                        why);
                if (rep->arg < 0)
                        return sp_error(e, "keep capabilities (capset): %s", why);
                return sp_error(e, "keep capability %d (raise it into the ambient set): %s",
                                rep->arg, why);
        /* Issue 14, scheduling. */
        case SP_STEP_SCHED:
                return sp_error(e, "set scheduling policy %d (priority %d): %s", rep->arg,
                                c->cfg.sched_priority, why);
        case SP_STEP_NICE:
                return sp_error(e, "set nice %d: %s", rep->arg, why);
        case SP_STEP_AFFINITY:
                return sp_error(e, "set CPU affinity: %s%s", why,
                                e == EINVAL ? " (no CPU of the set is online and allowed)" : "");
        case SP_STEP_IOPRIO:
                return sp_error(e, "set I/O priority class %d level %d: %s", rep->arg >> 13,
                                rep->arg & 7, why);
        case SP_STEP_OOM_SCORE:
                return sp_error(e, "set OOM score adjustment %d (/proc/self/oom_score_adj): %s",
                                c->cfg.oom_score_adj, why);
        /* Issue 14, namespaces. */
        case SP_STEP_UNSHARE:
                return describe_unshare(c, rep);
        case SP_STEP_ID_MAPS:
                return describe_id_maps(rep);
        /* Issue 14, confinement. */
        case SP_STEP_LANDLOCK:
                return sp_error(e, "restrict with Landlock ruleset fd %d: %s", c->cfg.landlock_fd,
                                why);
        case SP_STEP_SECCOMP:
                return sp_error(e, "install the seccomp filter (%u instructions): %s",
                                (unsigned)c->cfg.seccomp.len, why);
        /* Issue 16. */
        case SP_STEP_CTTY:
                return sp_error(e, "make the pty (%s) the controlling terminal: %s",
                                c->run.pty_name, why);
        default:
                return sp_error(e, "prepare the child (stage %d): %s", rep->stage, why);
        }
}
