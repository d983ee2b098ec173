/* A run driven from the caller's loop: the fds it needs watched and when it needs service
 * without them (subproc_poll_fds), and the service itself (subproc_poll_service), which is
 * subproc_try_wait(): the same feeding, capture, escalation and reaping as subproc_wait(). */
#include "run.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

/* A child without a pidfd whose pipes are done is looked at in steps growing with the time
 * since then, from 1 ms (its exit usually follows the EOF at once) to this. */
#define NO_PIDFD_MAX_STEP_MS 20

/* Whether the child's end is what to watch: not while pipes are open, as subproc_wait() does
 * not (a grandchild may hold them after the child exited: a pidfd would stay readable and the
 * caller's loop spin), except after the timeout fired, when the child's end is what counts. */
static bool watch_exit(const struct sp_run *run, int pipes)
{
        return pipes == 0 || run->phase > 0;
}

static void put(struct pollfd *fds, int *n, int fd, short events)
{
        if (fds)
                fds[*n] = (struct pollfd){ .fd = fd, .events = events };
        (*n)++;
}

static long long polling_step(const struct sp_run *run)
{
        long long since = sp_now_ms() - (run->io_done_ms ? run->io_done_ms : run->started_ms);

        if (since < 1)
                since = 1;
        return sp_now_ms() + (since < NO_PIDFD_MAX_STEP_MS ? since : NO_PIDFD_MAX_STEP_MS);
}

int sp_poll_fds(const subproc *c, struct pollfd *fds, bool sigchld_wakes, long long *service_at)
{
        const struct sp_run *run = &c->run;
        long long at = sp_next_escalation(c);
        int n = 0;

        if (run->io_pending) {
                for (size_t i = 0; i < run->nfeeds; i++)
                        if (run->feeds[i].fd >= 0)
                                put(fds, &n, run->feeds[i].fd, POLLOUT);
                if (run->out_fd >= 0)
                        put(fds, &n, run->out_fd, POLLIN);
                if (run->err_fd >= 0)
                        put(fds, &n, run->err_fd, POLLIN);
        }
        if (watch_exit(run, n) && run->pidfd >= 0)
                put(fds, &n, run->pidfd, POLLIN);
        else if (watch_exit(run, n) && !sigchld_wakes) {
                long long step = polling_step(run);

                if (step < at)
                        at = step;
        }
        *service_at = at;
        return n;
}

static int check_running(const subproc *c, const char *what)
{
        if (!c || c->is_static)
                return sp_error(EINVAL, "%s: %s", what,
                                c ? "the command is broken" : "NULL command");
        if (c->run.pid <= 0)
                return sp_error(ECHILD, "%s: the command is not running", what);
        return 0;
}

static int fold_timeout(long long at, int timeout_ms)
{
        long long left;

        if (at == SP_NEVER)
                return timeout_ms;
        left = at - sp_now_ms();
        if (left < 0)
                left = 0;
        if (left > INT_MAX)
                left = INT_MAX;
        return timeout_ms < 0 || left < timeout_ms ? (int)left : timeout_ms;
}

int subproc_poll_fds(const subproc *c, struct pollfd *fds, int n, int *timeout_ms)
{
        long long at;
        int need;

        if (check_running(c, "cannot list the fds to poll") < 0)
                return -1;
        if (!timeout_ms || (!fds && n != 0) || n < 0)
                return sp_error(EINVAL, "cannot list the fds to poll: %s",
                                !timeout_ms ? "NULL timeout" : "no room for the fds");
        need = sp_poll_fds(c, NULL, false, &at);
        if (fds && n < need)
                return sp_error(ENOSPC, "cannot list the fds to poll: %d entries needed, %d given",
                                need, n);
        if (fds)
                (void)sp_poll_fds(c, fds, false, &at);
        *timeout_ms = fold_timeout(at, *timeout_ms);
        return need;
}

/* Whether revents say that something of the run is ready. */
static bool any_ready(const struct pollfd *fds, int n)
{
        for (int i = 0; i < n; i++)
                if (fds[i].fd >= 0 && fds[i].revents)
                        return true;
        return false;
}

int subproc_poll_service(subproc *c, const struct pollfd *fds, int n, int *exitstatus)
{
        long long at;

        if (check_running(c, "cannot serve the run") < 0)
                return -1;
        if ((!fds && n != 0) || n < 0)
                return sp_error(EINVAL, "cannot serve the run: fds NULL with n %d", n);
        /* Nothing ready and nothing due: no system call for this child (a loop of hundreds
         * would pay one per child per wakeup). */
        if (n > 0 && !any_ready(fds, n) && sp_poll_fds(c, NULL, false, &at) > 0 && sp_now_ms() < at)
                return 0;
        return subproc_try_wait(c, exitstatus);
}
