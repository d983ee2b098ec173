/* The handshake: the child stops before exec until the caller lets it go. */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The child failed or died before exec: reap it, tidy up, and report why. */
static int handshake_failed(subproc *c, const struct sp_report *rep)
{
        char how[128];
        int status = 0, saved_errno, r;

        (void)sp_waitpid(c->pid, &status);
        c->pid = -1;
        sp_close(&c->pidfd);
        c->last_status = status;
        c->io_pending = false;
        c->handshake = SP_HANDSHAKE_IDLE;
        sp_close(&c->report_fd);
        sp_close(&c->handshake_notify_fd);
        if (rep) {
                r = sp_report_describe(c, rep);
        } else {
                sp_status_describe(status, how, sizeof how);
                r = sp_error(ECHILD, "the child ended before exec during the handshake (%s)",
                             how);
        }
        saved_errno = errno;
        sp_deliver_buffers(c);
        sp_run_io_close(c);
        errno = saved_errno;
        return r;
}

int subproc_handshake_wait(subproc *c)
{
        struct sp_report rep;

        if (!c || c->handshake == SP_HANDSHAKE_NONE)
                return sp_error(EINVAL, "the command has no handshake");
        if (c->handshake == SP_HANDSHAKE_IDLE || c->pid <= 0)
                return sp_error(EINVAL, "the handshake's child is not running");
        if (c->handshake == SP_HANDSHAKE_WAITING)
                return 0;
        while (sp_report_read(c->report_fd, &rep)) {
                if (rep.stage == SP_STAGE_INFO_READY) {
                        c->handshake = SP_HANDSHAKE_WAITING;
                        return 0;
                }
                if (rep.stage < SP_STAGE_INFO_DAEMON_PID)
                        return handshake_failed(c, &rep);
        }
        return handshake_failed(c, NULL);
}

int subproc_handshake_release(subproc *c)
{
        struct sp_report rep;
        const char go = '1';
        bool was_pending;
        sigset_t old;
        ssize_t n;

        if (subproc_handshake_wait(c) < 0)
                return -1;
        sp_sigpipe_block(&old, &was_pending);
        do
                n = write(c->handshake_notify_fd, &go, 1);
        while (n < 0 && errno == EINTR);
        sp_sigpipe_restore(&old, was_pending, n < 0 && errno == EPIPE);
        /* A write error (the child died meanwhile) shows up below as EOF without exec. */
        sp_close(&c->handshake_notify_fd);
        while (sp_report_read(c->report_fd, &rep))
                if (rep.stage < SP_STAGE_INFO_DAEMON_PID)
                        return handshake_failed(c, &rep);
        sp_close(&c->report_fd);
        c->handshake = SP_HANDSHAKE_IDLE;
        return 0;
}
