/* The run's scope (subproc_set_cgroup_scope()) through the run's life: signalled with the
 * child at a timeout or abort, settled when the child is gone (its usage read, removed if
 * empty, killed first when the run was cut short), ended at the next run or the free; and
 * what the caller asks of it.  The cgroup itself is scope-linux.c's. */
#include "run.h"

#include <errno.h>
#include <string.h>

int sp_run_signal_tree(const subproc *c, int sig)
{
        int r = sp_run_signal(c, sig), e = errno;

        /* The child is in the scope too: a second SIGTERM is harmless, a missed one is not. */
        if (c->run.scope.fd >= 0 && sp_scope_kill(&c->run.scope, sig) == 0)
                return 0;
        errno = e;
        return r;
}

/* Read the usage while it is there: the removal takes cpu.stat with it. */
static void keep_stat(struct sp_run *run)
{
        if (sp_scope_read_stat(&run->scope, &run->scope_stat) == 0)
                run->has_scope_stat = true;
}

static void kill_and_wait(const struct sp_scope *s)
{
        (void)sp_scope_kill(s, SIGKILL);
        (void)sp_scope_wait_empty(s, sp_now_ms() + SP_SCOPE_EMPTY_WAIT_MS);
}

void sp_scope_settle(struct sp_run *run, bool kill)
{
        int saved_errno = errno;

        if (run->scope.fd < 0)
                return;
        if (kill)
                kill_and_wait(&run->scope);
        keep_stat(run);
        /* Survivors of a normal exit stay, and the scope with them, until a kill or free. */
        if (!sp_scope_populated(&run->scope))
                sp_scope_close(&run->scope, true);
        errno = saved_errno;
}

void sp_scope_end(struct sp_run *run)
{
        /* A daemon and a handed-out child are the caller's, the scope they live in too. */
        bool callers = run->daemon_pid > 0 || run->pid_handed_out;

        if (run->scope.fd < 0)
                return;
        if (!callers)
                kill_and_wait(&run->scope);
        keep_stat(run);
        sp_scope_close(&run->scope, true); /* removed only if empty */
}

int subproc_kill_scope(subproc *c, int sig)
{
        struct sp_run *run;
        int r;

        if (!c || c->is_static)
                return sp_error(EINVAL, "cannot kill the scope: %s",
                                c ? "the command is broken" : "NULL command");
        run = &c->run;
        if (sig != 0 && !sp_signal_valid(sig))
                return sp_error(EINVAL, "cannot send signal %d to the scope: no such signal", sig);
        if (run->scope.fd < 0)
                return sp_error(ESRCH, "cannot kill the scope: the command has none (%s)",
                                c->cfg.scope_parent ? "it was removed" : "none was asked for");
        if (sig == 0)
                return 0;
        r = sp_scope_kill(&run->scope, sig);
        if (r < 0)
                return sp_error(-r, "cannot send signal %d to the scope %s: %s", sig,
                                run->scope.path, strerror(-r));
        if (sig != SIGKILL)
                return 0;
        if (!sp_scope_wait_empty(&run->scope, sp_now_ms() + SP_SCOPE_EMPTY_WAIT_MS))
                return sp_error(EBUSY, "the scope %s is not empty %d ms after SIGKILL",
                                run->scope.path, SP_SCOPE_EMPTY_WAIT_MS);
        /* The child's reap ends the run, and removes the scope then. */
        if (run->pid <= 0)
                sp_scope_settle(run, false);
        return 0;
}

const char *subproc_scope_path(const subproc *c)
{
        return c && !c->is_static && c->run.scope.fd >= 0 ? c->run.scope.path : NULL;
}

int subproc_scope_stat(const subproc *c, struct subproc_scope_stat *st)
{
        int r;

        if (!c || c->is_static || !st)
                return sp_error(EINVAL, "cannot read the scope's usage: NULL %s",
                                st ? "command" : "result");
        if (c->run.scope.fd >= 0) {
                r = sp_scope_read_stat(&c->run.scope, st);
                if (r < 0)
                        return sp_error(-r, "cannot read %s/cpu.stat: %s", c->run.scope.path,
                                        strerror(-r));
                return 0;
        }
        if (!c->run.has_scope_stat)
                return sp_error(ENOENT, "cannot read the scope's usage: no run had a scope");
        *st = c->run.scope_stat;
        return 0;
}
