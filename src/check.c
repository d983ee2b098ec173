/* Whether a command can run here and now, decided before anything is created, in one place:
 * what this system can give a child (a feature it lacks is refused with the reason, never
 * silently left out; the reasons are those of the child's own system calls, sys-posix.h
 * SP_SYS_*_MISSING, and the Linux child has everything), which combinations of options can
 * work for the way it is run, and whether the last run is out of the way. */
#include "run.h"
#include "confine.h"
#include "namespaces.h"

#include <errno.h>

#if SUBPROC_SPAWN_FORK
#include "sys-posix.h"
#endif

#ifndef SP_SYS_DEATH_SIGNAL_MISSING
#define SP_SYS_DEATH_SIGNAL_MISSING NULL
#endif
#ifndef SP_SYS_NO_NEW_PRIVS_MISSING
#define SP_SYS_NO_NEW_PRIVS_MISSING NULL
#endif
#ifndef SP_SYS_CAPS_MISSING
#define SP_SYS_CAPS_MISSING NULL
#endif
#ifndef SP_SYS_NAMESPACES_MISSING
#define SP_SYS_NAMESPACES_MISSING NULL
#endif

#if !HAVE_MEMFD_CREATE
#define MAPPING_MISSING "no memfd_create() to make the memory file"
#else
#define MAPPING_MISSING NULL
#endif

#ifndef SP_SYS_SCHED_MISSING
#define SP_SYS_SCHED_MISSING NULL
#endif
#ifndef SP_SYS_AFFINITY_MISSING
#define SP_SYS_AFFINITY_MISSING NULL
#endif
#ifndef SP_SYS_IOPRIO_MISSING
#define SP_SYS_IOPRIO_MISSING NULL
#endif
#ifndef SP_SYS_OOM_SCORE_MISSING
#define SP_SYS_OOM_SCORE_MISSING NULL
#endif

static int refuse(bool asked, const char *what, const char *why)
{
        if (!asked || !why)
                return 0;
        return sp_error(ENOTSUP, "%s is not supported here: %s", what, why);
}

/* Issue 14, scheduling. */
static int check_scheduling(const struct sp_config *cfg)
{
        if (refuse(cfg->has_sched, "a scheduling policy", SP_SYS_SCHED_MISSING) < 0 ||
            refuse(cfg->cpu_set != NULL, "CPU affinity", SP_SYS_AFFINITY_MISSING) < 0 ||
            refuse(cfg->has_ioprio, "an I/O priority", SP_SYS_IOPRIO_MISSING) < 0 ||
            refuse(cfg->has_oom_score_adj, "an OOM score adjustment", SP_SYS_OOM_SCORE_MISSING) < 0)
                return -1;
        return 0;
}

/* Issue 14, confinement: asked of the system only when the command uses it. */
static int check_confinement(const struct sp_config *cfg)
{
        if (cfg->seccomp.len && refuse(true, "a seccomp filter", sp_seccomp_missing()) < 0)
                return -1;
        if (cfg->has_landlock && refuse(true, "Landlock", sp_landlock_missing()) < 0)
                return -1;
        /* Before we make any fd: a closed ruleset fd's number would be our next pipe's. */
        if (cfg->has_landlock && sp_landlock_check_fd(cfg->landlock_fd) < 0)
                return -1;
        return 0;
}

static int check_features(const struct sp_config *cfg)
{
        if (refuse(cfg->death_signal != 0, "a death signal", SP_SYS_DEATH_SIGNAL_MISSING) < 0 ||
            refuse(cfg->no_new_privs, "no_new_privs", SP_SYS_NO_NEW_PRIVS_MISSING) < 0 ||
            refuse(cfg->clear_caps, "clearing capabilities", SP_SYS_CAPS_MISSING) < 0 ||
            refuse(cfg->has_keep_caps, "keeping capabilities", SP_SYS_CAPS_MISSING) < 0 ||
            refuse(cfg->output_mapped || cfg->error_mapped, "capturing into a memory file",
                   MAPPING_MISSING) < 0 ||
            refuse(cfg->unshare_flags != 0 || cfg->uid_map || cfg->gid_map, "creating namespaces",
                   SP_SYS_NAMESPACES_MISSING) < 0)
                return -1;
        if (check_confinement(cfg) < 0)
                return -1;
        return check_scheduling(cfg);
}

/* Issue 14, namespaces: combinations that cannot work (subproc_unshare()). */
static int check_namespaces(const struct sp_config *cfg)
{
        if ((cfg->uid_map || cfg->gid_map) && !(cfg->unshare_flags & CLONE_NEWUSER))
                return sp_error(EINVAL, "id maps are for a new user namespace: "
                                        "subproc_unshare() without CLONE_NEWUSER");
        if ((cfg->unshare_flags & CLONE_NEWPID) && cfg->hook)
                return sp_error(EINVAL, "a pre-exec hook cannot run in a new pid namespace: "
                                        "the child would have to be a clone(), not a fork()");
        return 0;
}

/* The last run must be out of the way. */
static int check_state(const subproc *c)
{
        if (c->run.pid > 0)
                return sp_error(EBUSY, "the command is already running as pid %d", (int)c->run.pid);
        if (c->cfg.daemonize && c->run.handshake == SP_HANDSHAKE_WAITING)
                return sp_error(EBUSY,
                                "the daemon of the last run (pid %d) still waits for "
                                "subproc_handshake_release()",
                                (int)c->run.daemon_pid);
        return 0;
}

static bool has_buffers(const struct sp_config *cfg)
{
        return cfg->has_input_buffer || cfg->output_bufp || cfg->error_bufp || cfg->nsends;
}

/* Served by the run as it goes: nobody serves them for a daemon or in place. */
static const char *streaming(const struct sp_config *cfg)
{
        return cfg->output_fn ? "an output callback" : cfg->input_pipe_fdp ? "an input pipe" : NULL;
}

/* Whether the output callback can see `stream` (SUBPROC_STDOUT or SUBPROC_STDERR): 0, or -1
 * with the error set. */
static int check_callback_stream(const struct sp_config *cfg, unsigned stream)
{
        bool error = stream == SUBPROC_STDERR;
        const char *name = error ? "stderr" : "stdout";
        bool taken = cfg->output_streams & stream;
        int *fdp = error ? cfg->error_fdp : cfg->output_fdp;
        char **bufp = error ? cfg->error_bufp : cfg->output_bufp;

        if (!taken)
                return 0;
        if (fdp)
                return sp_error(EINVAL,
                                "the output callback cannot see %s: it goes to an fd "
                                "(subproc_set_%s_fd)",
                                name, error ? "error" : "output");
        if (bufp && (error ? cfg->error_mapped : cfg->output_mapped))
                return sp_error(EINVAL,
                                "the output callback cannot see %s: it goes to a memory file "
                                "(subproc_set_%s_mapping) that the child writes directly",
                                name, error ? "error" : "output");
        if (bufp && !(cfg->output_flags & SUBPROC_ALSO_CAPTURE))
                return sp_error(EINVAL,
                                "%s has both a buffer and the output callback: give the "
                                "callback SUBPROC_ALSO_CAPTURE to fill both",
                                name);
        return 0;
}

/* subproc_set_output_callback(): what only the whole command tells. */
static int check_callback(const struct sp_config *cfg)
{
        const unsigned both = SUBPROC_STDOUT | SUBPROC_STDERR;
        bool has_buffer = ((cfg->output_streams & SUBPROC_STDOUT) && cfg->output_bufp) ||
                          ((cfg->output_streams & SUBPROC_STDERR) && cfg->error_bufp);

        if (!cfg->output_fn)
                return 0;
        if (check_callback_stream(cfg, SUBPROC_STDOUT) < 0 ||
            check_callback_stream(cfg, SUBPROC_STDERR) < 0)
                return -1;
        if ((cfg->output_flags & SUBPROC_ALSO_CAPTURE) && !has_buffer)
                return sp_error(EINVAL, "SUBPROC_ALSO_CAPTURE, but the output callback's "
                                        "streams have no buffer to capture into");
        if (cfg->output_bufp && cfg->output_bufp == cfg->error_bufp &&
            (cfg->output_streams & both) != both)
                return sp_error(EINVAL, "stdout and stderr share one buffer, so one pipe: the "
                                        "output callback must take both streams");
        return 0;
}

/* Everything that has a pipe for the caller needs somebody to read it while we wait. */
static int check_blocking(const struct sp_config *cfg)
{
        if (cfg->input_pipe_fdp && !cfg->output_fn)
                return sp_error(EINVAL, "subproc_run cannot give the caller an input pipe "
                                        "without an output callback: nobody could write it; "
                                        "use subproc_run_async");
        if (cfg->output_fdp && cfg->output_wants_pipe)
                return sp_error(EINVAL, "subproc_run cannot give the caller an output pipe: "
                                        "nobody would read it; use subproc_run_async");
        if (cfg->error_fdp && cfg->error_wants_pipe)
                return sp_error(EINVAL, "subproc_run cannot give the caller an error pipe: "
                                        "nobody would read it; use subproc_run_async");
        return 0;
}

static int check_spawn(const struct sp_config *cfg, bool async)
{
        if (cfg->daemonize) {
                if (async)
                        return sp_error(EINVAL, "a daemon can only be started with subproc_run");
                if (cfg->death_signal)
                        return sp_error(EINVAL, "a death signal contradicts daemonize: the "
                                                "daemon must outlive the caller");
                if (has_buffers(cfg))
                        return sp_error(EINVAL, "a daemon cannot use input, output, error or "
                                                "send buffers: nobody would serve them");
                if (streaming(cfg))
                        return sp_error(EINVAL, "a daemon cannot use %s: nobody would serve it",
                                        streaming(cfg));
        }
        if (cfg->keep_inherited_fds && (cfg->handshake || cfg->hook))
                return sp_error(EINVAL,
                                "subproc_pass_inherited_fds() cannot be combined with %s: "
                                "the child must close the fds it does not pass before it "
                                "waits or runs the hook",
                                cfg->handshake ? "a handshake" : "a pre-exec hook");
        if (cfg->ready && !async && !cfg->daemonize)
                return sp_error(EINVAL, "subproc_require_ready() is for subproc_run_async() or "
                                        "a daemon: subproc_run() waits for the exit anyway");
        if (cfg->ready && (cfg->unshare_flags & CLONE_NEWNET))
                return sp_error(EINVAL, "subproc_require_ready() cannot reach a new network "
                                        "namespace: the notify socket's abstract name is the "
                                        "caller's namespace's");
        if (cfg->scope_parent && cfg->cgroup_dir)
                return sp_error(EINVAL, "a cgroup scope and subproc_set_cgroup() contradict "
                                        "each other: the child is born in one cgroup");
        if (cfg->handshake && !async && !cfg->daemonize)
                return sp_error(EINVAL, "a command with a handshake must be started with "
                                        "subproc_run_async");
        return 0;
}

/* Issue 16: a stream is the pty or something else, never both; a pty needs a caller to hold
 * its master. */
static int check_pty(const struct sp_config *cfg)
{
        static const char *const names[] = { "stdin", "stdout", "stderr" };
        bool taken[3] = { cfg->input_fd >= 0 || cfg->has_input_buffer || cfg->input_pipe_fdp,
                          cfg->output_fdp || cfg->output_bufp, cfg->error_fdp || cfg->error_bufp };

        if (!cfg->pty_masterp)
                return 0;
        for (int i = 0; i < 3; i++)
                if ((cfg->pty_streams & (1u << i)) && taken[i])
                        return sp_error(EINVAL,
                                        "the child's %s is both the pty (subproc_set_pty) and "
                                        "an fd, buffer or mapping",
                                        names[i]);
        if (cfg->daemonize)
                return sp_error(EINVAL, "a daemon cannot have a pty: it must have no "
                                        "controlling terminal, and nobody would hold the master");
        return 0;
}

static int check_in_place(const struct sp_config *cfg)
{
        if (cfg->pty_masterp)
                return sp_error(EINVAL, "subproc_exec cannot give the program a pty: the caller "
                                        "itself becomes the program, and nobody would hold "
                                        "the master");
        if (cfg->unshare_flags)
                return sp_error(EINVAL, "subproc_exec cannot enter new namespaces: the caller "
                                        "itself would, and a new pid namespace only its "
                                        "children");
        if (cfg->scope_parent)
                return sp_error(EINVAL, "subproc_exec cannot make a cgroup scope: no run "
                                        "would be left to kill or remove it");
        if (cfg->daemonize || cfg->handshake)
                return sp_error(EINVAL, "subproc_exec cannot daemonize or hand-shake: the "
                                        "caller itself becomes the program");
        if (cfg->ready)
                return sp_error(EINVAL, "subproc_exec cannot wait for readiness: nobody is "
                                        "left to listen (subproc_require_ready)");
        if (has_buffers(cfg) || (cfg->output_fdp && cfg->output_wants_pipe) ||
            (cfg->error_fdp && cfg->error_wants_pipe))
                return sp_error(EINVAL, "subproc_exec cannot serve buffers or pipes: nobody "
                                        "is left to do it");
        if (streaming(cfg))
                return sp_error(EINVAL, "subproc_exec cannot serve %s: nobody is left to do it",
                                streaming(cfg));
        return 0;
}

int sp_check_run(const subproc *c, enum sp_run_kind kind)
{
        if (kind == SP_RUN_IN_PLACE)
                return check_namespaces(&c->cfg) < 0 || check_features(&c->cfg) < 0
                               ? -1
                               : check_in_place(&c->cfg);
        if ((kind == SP_RUN_BLOCKING && check_blocking(&c->cfg) < 0) || check_state(c) < 0 ||
            check_callback(&c->cfg) < 0 || check_namespaces(&c->cfg) < 0 ||
            check_features(&c->cfg) < 0)
                return -1;
        if (check_pty(&c->cfg) < 0)
                return -1;
        return check_spawn(&c->cfg, kind == SP_RUN_ASYNC);
}
