/* The handshake: the child stops before exec until the caller lets it go. */
#include "run.h"
#include "process.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The child failed, died, or must not run: make sure it ends, reap it, end the run.  Closing
 * the go-ahead pipe first matters: a child still waiting for it exits on EOF, so the wait
 * below cannot block on it.  A daemon is not our child: it exits by itself on EOF or
 * failure. */
static void end_child(subproc *c)
{
        int status = 0;
        bool reaped;

        sp_close(&c->run.notify_fd);
        reaped = c->run.pid > 0 && sp_waitpid(c->run.pid, &status, &c->run.rusage) == 0;
        (void)sp_run_end(c, reaped ? status : -1, false);
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
        if (c->run.status >= 0)
                sp_status_describe(c->run.status, how, sizeof how);
        else
                snprintf(how, sizeof how, "status unknown");
        return sp_error(errnum, "handshake: %s (the child ended before exec: %s)", what, how);
}

/* The run's timeout bounds the wait for a child that runs a hook before it gets ready; the
 * rest of its way there is system calls. */
static long long ready_deadline(const subproc *c)
{
        return c->cfg.timeout_ms && c->cfg.hook ? c->run.started_ms + c->cfg.timeout_ms : SP_NEVER;
}

int subproc_handshake_wait(subproc *c)
{
        struct sp_reports got = { .daemon_pid = -1 };
        int r;

        if (!c || !c->cfg.handshake)
                return sp_error(EINVAL, "the command has no handshake");
        if (c->run.handshake == SP_HANDSHAKE_WAITING)
                return 0; /* also a daemon's, which subproc_run() left waiting */
        if (c->run.handshake == SP_HANDSHAKE_NONE || c->run.pid <= 0)
                return sp_error(EINVAL, "the handshake's child is not running");
        r = sp_reports_read(c->run.report_fd, SP_STEP_INFO_READY, ready_deadline(c), &got);
        if (r == 1) {
                c->run.handshake = SP_HANDSHAKE_WAITING;
                return 0;
        }
        if (r == SP_REPORT_FAILED)
                return handshake_failed(c, &got.failure);
        if (r < 0 && errno == ETIMEDOUT) {
                /* Still before exec (in the hook): not the program yet.  Through its pidfd,
                 * or by pid only while it is proven unreaped: with SIGCHLD ignored it may
                 * have exec'd, exited and been reaped already, while a process the hook
                 * left behind keeps the report pipe open. */
                (void)sp_signal_child(c->run.pid, c->run.pidfd, SIGKILL);
                return handshake_broken(c, ETIMEDOUT,
                                        "not ready when the timeout came "
                                        "(a pre-exec hook still running?): killed");
        }
        if (r < 0)
                return handshake_broken(c, errno, "cannot read the child's report");
        return handshake_broken(c, ECHILD, "the child exited without reporting");
}

/* Write the go-ahead; the child may be gone (EPIPE, without raising SIGPIPE in the caller).
 * 0, or the errno. */
static int let_go(int fd)
{
        const char go = '1';
        bool was_pending;
        sigset_t old;
        ssize_t n;
        int e;

        sp_sigpipe_block(&old, &was_pending);
        do
                n = write(fd, &go, 1);
        while (n < 0 && errno == EINTR);
        e = errno;
        sp_sigpipe_restore(&old, was_pending, n < 0 && e == EPIPE);
        return n == 1 ? 0 : n < 0 ? e : EIO;
}

int subproc_handshake_release(subproc *c)
{
        struct sp_reports got = { .daemon_pid = -1 };
        int e, r;

        if (subproc_handshake_wait(c) < 0)
                return -1;
        e = let_go(c->run.notify_fd);
        if (e)
                /* Without the go-ahead the child exits on EOF: it never runs the program. */
                return handshake_broken(c, e, "cannot let the child go");
        sp_close(&c->run.notify_fd);
        /* EOF now means exec worked: the pipe is close-on-exec.  Bounded by the run's timeout
         * like the wait for ready: a process a hook left behind may hold the pipe open. */
        r = sp_reports_read(c->run.report_fd, 0, ready_deadline(c), &got);
        if (r == SP_REPORT_FAILED)
                return handshake_failed(c, &got.failure);
        if (r < 0) {
                e = errno;
                /* Past the run's deadline: the timeout ends the child, whatever it runs. */
                (void)subproc_kill(c, SIGKILL);
                if (e == ETIMEDOUT)
                        return handshake_broken(c, e,
                                                "no exec report when the timeout came "
                                                "(a process the pre-exec hook left "
                                                "holds it?): killed");
                return handshake_broken(c, e, "cannot read the child's exec report");
        }
        sp_close(&c->run.report_fd);
        c->run.handshake = SP_HANDSHAKE_NONE;
        return 0;
}
