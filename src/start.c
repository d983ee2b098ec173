/* Starting a run: check that the command can run, turn it into a child plan, start the child
 * and record it in the run.  What follows is supervise.c's (subproc_run) or the caller's
 * (subproc_run_async). */
#include "run.h"
#include "process.h"

#include <errno.h>
#include <string.h>

/* A run that cannot even start still owns the CLOSE_PARENT fds: close them as promised, and
 * leave "" in the buffers.  Not while the last run still holds a child (running, or a daemon
 * waiting for the go-ahead): that run, its fds and its buffers stay as they are, for
 * subproc_wait(), subproc_abort() or subproc_free() to end. */
static int report_broken(subproc *c)
{
        if (c && !c->is_static) {
                sp_close_passed_fds(&c->cfg);
                if ((c->cfg.output_bufp || c->cfg.error_bufp) && c->run.pid <= 0 &&
                    c->run.handshake == SP_HANDSHAKE_NONE) {
                        sp_run_reset(c);
                        (void)sp_run_end(c, c->run.status, false);
                }
        }
        return sp_command_report(c);
}

/* Record a started child; a daemon's intermediate is already reaped. */
static void record_start(subproc *c, const struct sp_spawn_result *res)
{
        struct sp_run *run = &c->run;

        /* clone(CLONE_PIDFD) takes the lowest free number: keep ours off the caller's stdio. */
        run->pidfd = sp_fd_above_stdio(res->pidfd);
        run->daemon_pid = res->reports.daemon_pid;
        if (c->cfg.handshake) {
                run->report_fd = res->report_fd;
                run->notify_fd = res->handshake_fd;
                /* A daemon's start returned once it waited for us. */
                run->handshake = c->cfg.daemonize ? SP_HANDSHAKE_WAITING : SP_HANDSHAKE_STARTED;
        }
        if (c->cfg.daemonize) {
                /* Readiness: which process the daemon is, past its exit and its pid's reuse. */
                if (c->cfg.ready && run->daemon_pid > 0)
                        run->daemon_pidfd = sp_pidfd_open(run->daemon_pid);
                run->status = 0;
                run->has_rusage = false; /* the intermediate's is nothing worth telling */
                return;
        }
        run->pid = res->pid;
        run->start_time = run->pidfd < 0 ? sp_child_start_time(run->pid) : 0;
        run->io_pending = true;
}

/* The run keeps its own copy of the pidfile's path (see struct sp_run). */
static int remember_pidfile(subproc *c)
{
        if (!c->cfg.pidfile)
                return 0;
        c->run.pidfile = strdup(c->cfg.pidfile);
        return c->run.pidfile ? 0 : sp_error(ENOMEM, "out of memory starting the child");
}

static int start(subproc *c, enum sp_run_kind kind)
{
        struct sp_plan_builder b;
        struct sp_spawn_result res;
        int r;

        if (sp_check_run(c, kind) < 0)
                return -1;
        sp_run_reset(c);
        /* The timeout counts from here: a pre-exec hook's time is the run's time. */
        c->run.started_ms = sp_now_ms();
        r = sp_plan_build(c, &c->run, &b);
        if (r == 0)
                r = remember_pidfile(c);
        if (r == 0) {
                /* Only a hook can keep a child from exec (the rest is system calls). */
                if (c->cfg.timeout_ms && c->cfg.hook)
                        b.plan.report_deadline_ms = c->run.started_ms + c->cfg.timeout_ms;
                r = sp_spawn(&b.plan, &res);
                if (r < 0)
                        r = sp_error(-r, "cannot start %s: %s", c->run.exec_path, strerror(-r));
                else if (res.reports.failed)
                        r = sp_report_describe(c, &res.reports.failure);
        }
        sp_plan_done(c, &b, r == 0);
        if (r < 0) {
                /* No run finished: subproc_status() still tells the last one's. */
                (void)sp_run_end(c, c->run.status, false);
                return -1;
        }
        record_start(c, &res);
        return 0;
}

int subproc_run(subproc *c, int *exitstatus)
{
        if (sp_command_broken(c))
                return report_broken(c);
        if (start(c, SP_RUN_BLOCKING) < 0)
                return -1;
        if (c->cfg.daemonize) {
                if (exitstatus)
                        *exitstatus = 0;
                return 0;
        }
        return sp_finish(c, exitstatus, SP_NEVER);
}

int subproc_run_async(subproc *c, pid_t *pid)
{
        if (sp_command_broken(c))
                return report_broken(c);
        if (start(c, SP_RUN_ASYNC) < 0)
                return -1;
        c->run.pid_handed_out = pid != NULL;
        if (pid)
                *pid = c->run.pid;
        return 0;
}
