/* The handshake: the child stops before exec until the caller lets it go. */
#include "internal.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The child failed, died, or must not run: make sure it ends, reap it, tidy up.  Closing the
 * pipes first matters: a child still waiting for the go-ahead exits on EOF, so the wait below
 * cannot block on it. */
static void end_child(subproc *c)
{
        pid_t held_by = c->daemonize ? c->daemon_pid : c->pid;
        int status = 0;
        bool reaped;

        sp_close(&c->handshake_notify_fd);
        sp_close(&c->report_fd);
        /* A daemon is not our child: it exits by itself on EOF or failure. */
        reaped = c->pid > 0 && sp_waitpid(c->pid, &status) == 0;
        /* It never ran the program: its pidfile must not outlive it. */
        if (c->pidfile && held_by > 0)
                sp_pidfile_discard(c->pidfile, held_by);
        c->pid = -1;
        sp_close(&c->pidfd);
        c->last_status = reaped ? status : -1;
        c->io_pending = false;
        c->handshake = SP_HANDSHAKE_IDLE;
        (void)sp_deliver_buffers(c, false);
        sp_run_io_close(c);
}

/* The child reported a failure before exec. */
static int handshake_failed(subproc *c, const struct sp_report *rep)
{
        end_child(c);
        return sp_report_describe(c, rep);
}

/* The child ended without a report, or we could not talk to it. */
static int handshake_broken(subproc *c, int errnum, const char *what)
{
        char how[128];

        end_child(c);
        if (c->last_status >= 0)
                sp_status_describe(c->last_status, how, sizeof how);
        else
                snprintf(how, sizeof how, "status unknown");
        return sp_error(errnum, "handshake: %s (the child ended before exec: %s)", what, how);
}

/* The run's timeout bounds the wait for a child that runs a hook before it gets ready; the
 * rest of its way there is system calls. */
static long long ready_deadline(const subproc *c)
{
        return c->timeout_ms && c->hook ? c->started_ms + c->timeout_ms : SP_NEVER;
}

int subproc_handshake_wait(subproc *c)
{
        struct sp_report rep;
        int r;

        if (!c || c->handshake == SP_HANDSHAKE_NONE)
                return sp_error(EINVAL, "the command has no handshake");
        if (c->handshake == SP_HANDSHAKE_WAITING)
                return 0; /* also a daemon's, which subproc_run() left waiting */
        if (c->handshake == SP_HANDSHAKE_IDLE || c->pid <= 0)
                return sp_error(EINVAL, "the handshake's child is not running");
        while ((r = sp_report_read_until(c->report_fd, &rep, ready_deadline(c))) == 1) {
                if (rep.stage == SP_STAGE_INFO_READY) {
                        c->handshake = SP_HANDSHAKE_WAITING;
                        return 0;
                }
                if (rep.stage < SP_STAGE_INFO_DAEMON_PID)
                        return handshake_failed(c, &rep);
        }
        if (r < 0 && errno == ETIMEDOUT) {
                /* Still before exec (in the hook): not the program yet.  Through its pidfd,
                 * or by pid only while it is proven unreaped: with SIGCHLD ignored it may
                 * have exec'd, exited and been reaped already, while a process the hook
                 * left behind keeps the report pipe open. */
                (void)sp_signal_child(c->pid, c->pidfd, SIGKILL);
                return handshake_broken(c, ETIMEDOUT, "not ready when the timeout came "
                                                      "(a pre-exec hook still running?): killed");
        }
        if (r < 0)
                return handshake_broken(c, errno, "cannot read the child's report");
        return handshake_broken(c, ECHILD, "the child exited without reporting");
}

int subproc_handshake_release(subproc *c)
{
        struct sp_report rep;
        const char go = '1';
        bool was_pending;
        sigset_t old;
        ssize_t n;
        int e, r;

        if (subproc_handshake_wait(c) < 0)
                return -1;
        sp_sigpipe_block(&old, &was_pending);
        do
                n = write(c->handshake_notify_fd, &go, 1);
        while (n < 0 && errno == EINTR);
        e = errno;
        sp_sigpipe_restore(&old, was_pending, n < 0 && e == EPIPE);
        if (n != 1)
                /* Without the go-ahead the child exits on EOF: it never runs the program. */
                return handshake_broken(c, n < 0 ? e : EIO, "cannot let the child go");
        sp_close(&c->handshake_notify_fd);
        /* EOF now means exec worked: the pipe is close-on-exec.  Bounded by the run's timeout
         * like the wait for ready: a process a hook left behind may hold the pipe open. */
        while ((r = sp_report_read_until(c->report_fd, &rep, ready_deadline(c))) == 1)
                if (rep.stage < SP_STAGE_INFO_DAEMON_PID)
                        return handshake_failed(c, &rep);
        if (r < 0 && errno == ETIMEDOUT) {
                /* Past the run's deadline: the timeout ends the child, whatever it runs. */
                (void)subproc_kill(c, SIGKILL);
                return handshake_broken(c, ETIMEDOUT, "no exec report when the timeout came "
                                                      "(a process the pre-exec hook left "
                                                      "holds it?): killed");
        }
        if (r < 0) {
                e = errno;
                (void)subproc_kill(c, SIGKILL);
                return handshake_broken(c, e, "cannot read the child's exec report");
        }
        sp_close(&c->report_fd);
        c->handshake = SP_HANDSHAKE_IDLE;
        return 0;
}
