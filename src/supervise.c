/* Waiting for a run to end: the pipes served meanwhile, the timeout's escalation (SIGTERM at
 * the deadline, SIGKILL after the grace), the status judged. */
#include "run.h"
#include "process.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* How often to look at a child we cannot watch with a pidfd (kernels before 5.3). */
#define NO_PIDFD_STEP_MS 20

/* 1 when the child has exited and is reaped, 0 when stop_at came first, -1 on error. */
static int wait_exit(subproc *c, long long stop_at, int *status)
{
        /* No deadline: one blocking wait, with or without a pidfd. */
        struct sp_run *run = &c->run;
        int r = !sp_run_child_is_ours(run) ? -ECHILD
                : stop_at == SP_NEVER
                        ? sp_reap_child(run->pid, run->pidfd, status, &run->rusage)
                        : sp_reap_until(run->pid, run->pidfd, stop_at, status, &run->rusage);

        if (stop_at == SP_NEVER && r == 0)
                r = 1;

        if (r >= 0)
                return r;
        return sp_error(-r,
                        "cannot reap pid %d: %s (is SIGCHLD ignored, or does a handler "
                        "reap every child?)",
                        (int)c->run.pid, strerror(-r));
}

long long sp_next_escalation(const subproc *c)
{
        if (c->run.retry_at)
                return c->run.retry_at;
        if (!c->cfg.timeout_ms || c->run.phase == 2)
                return SP_NEVER;
        if (c->run.phase == 0)
                return c->run.started_ms + c->cfg.timeout_ms;
        return c->cfg.kill_after_ms == SUBPROC_NO_KILL ? SP_NEVER : c->run.kill_at;
}

/* The deadline's first signal: SIGTERM unless subproc_set_timeout_signal() chose another. */
static int first_signal(const subproc *c)
{
        return c->cfg.timeout_signal ? c->cfg.timeout_signal : SIGTERM;
}

static void escalate(subproc *c)
{
        int sig = c->run.phase == 0 && c->cfg.kill_after_ms > 0 ? first_signal(c) : SIGKILL;

        c->run.retry_at = 0;
        if (sp_run_signal_tree(c, sig) < 0 && errno != ESRCH) {
                c->run.retry_at = sp_now_ms() + SP_SIGNAL_RETRY_MS;
                return;
        }
        if (sig != SIGKILL) {
                /* A stopped child (SIGSTOP, or SIGTTIN in a background group) would keep the
                 * signal pending for good: wake it to act on it, as timeout(1) does. */
                (void)sp_run_signal_tree(c, SIGCONT);
                c->run.kill_at = sp_now_ms() + c->cfg.kill_after_ms;
        }
        c->run.last_signal = sig;
        c->run.phase = sig != SIGKILL ? 1 : 2;
}

/* Without a pidfd to watch: whether the child has exited (not reaped yet), or is not ours to
 * wait for any more (SIGCHLD ignored, a handler reaping every child).  Both count as gone:
 * waiting only for an exit we can reap would read a grandchild's pipes for as long as it
 * holds them. */
static bool child_gone(const subproc *c)
{
        return !sp_run_child_is_ours(&c->run) || sp_child_peek_exit(c->run.pid, -1, NULL) != 0;
}

/* Serve the pipes while any are open. 1: the child exited (reaped) and the pipes were let go;
 * 0: go on; -1: error. */
static int serve_pipes(subproc *c, long long stop, int *status)
{
        bool after_timeout = c->run.phase > 0;
        int watch = after_timeout ? c->run.pidfd : -1;
        int r;

        if (after_timeout && c->run.pidfd < 0 && stop - sp_now_ms() > NO_PIDFD_STEP_MS)
                stop = sp_now_ms() + NO_PIDFD_STEP_MS;
        r = sp_io_loop(&c->run, stop, watch);
        if (r == 0) {
                c->run.io_pending = false;
                c->run.io_done_ms = sp_now_ms();
                return 0;
        }
        if (r == -1)
                return -1;
        if (!after_timeout)
                return 0;
        if (r == 1) {
                /* The child is gone but a grandchild holds its pipes: take what is there and
                 * stop reading, so the run ends at the deadline plus grace. */
                sp_io_abandon(&c->run);
                return wait_exit(c, SP_NEVER, status);
        }
        if (c->run.pidfd < 0 && child_gone(c)) {
                sp_io_abandon(&c->run);
                /* Without blocking: a handler reaping every child may have taken it since the
                 * look, and its pid may be another child's by now (review). */
                r = wait_exit(c, sp_now_ms(), status);
                if (r == 0)
                        return sp_error(ECHILD,
                                        "cannot reap pid %d: it was reaped elsewhere (is SIGCHLD "
                                        "ignored, or does a handler reap every child?)",
                                        (int)c->run.pid);
                return r;
        }
        return 0;
}

/* Run the child to its end, or until give_up_at: 1 reaped, 0 gave up, -1 error. */
static int supervise(subproc *c, long long give_up_at, int *status)
{
        for (;;) {
                long long escalation = sp_next_escalation(c);
                long long stop = escalation < give_up_at ? escalation : give_up_at;
                int r;

                if (c->run.io_pending) {
                        r = serve_pipes(c, stop, status);
                        if (r != 0)
                                return r;
                }
                if (!c->run.io_pending) {
                        r = wait_exit(c, stop, status);
                        if (r != 0)
                                return r;
                }
                if (sp_now_ms() >= escalation)
                        escalate(c);
                else if (sp_now_ms() >= give_up_at)
                        return 0;
        }
}

/* The last part of the captured stderr, for error messages, without its final newline. */
static const char *stderr_tail(const subproc *c, int *ret_len)
{
        const char *err = c->cfg.error_bufp ? *c->cfg.error_bufp : NULL;
        size_t len = c->run.err_len;

        *ret_len = 0;
        if (!err)
                return NULL;
        while (len > 0 && (err[len - 1] == '\n' || err[len - 1] == '\r'))
                len--;
        if (len > 512) {
                err += len - 512;
                len = 512;
        }
        *ret_len = (int)len;
        return err;
}

/* "SIGTERM" for the common ones, as the messages always said; else "signal N (text)". */
static const char *signal_name(int sig, char buf[64])
{
        if (sig == SIGTERM)
                return "SIGTERM";
        if (sig == SIGKILL)
                return "SIGKILL";
        snprintf(buf, 64, "signal %d (%s)", sig, strsignal(sig));
        return buf;
}

static int timeout_error(const subproc *c, const char *line, int status)
{
        char how[128], first_name[64];
        int first = first_signal(c);

        sp_status_describe(status, how, sizeof how);
        if (c->run.last_signal == SIGKILL && c->run.phase == 2 && c->cfg.kill_after_ms > 0 &&
            first != SIGKILL)
                return sp_error(ETIMEDOUT,
                                "%s timed out after %u ms; %s was ignored for "
                                "%u ms, so it was ended by SIGKILL (%s)",
                                line, c->cfg.timeout_ms, signal_name(first, first_name),
                                c->cfg.kill_after_ms, how);
        return sp_error(ETIMEDOUT, "%s timed out after %u ms and was sent %s (%s)", line,
                        c->cfg.timeout_ms, signal_name(c->run.last_signal, first_name), how);
}

/* A capture past subproc_set_capture_limit() fails a run that went well otherwise. */
static int limit_error(const subproc *c, const char *line)
{
        const char *stream;

        if (c->run.out_dropped == 0 && c->run.err_dropped == 0)
                return 0;
        if (c->cfg.error_bufp && c->cfg.error_bufp == c->cfg.output_bufp)
                stream = "stdout and stderr";
        else if (c->run.out_dropped && c->run.err_dropped)
                stream = "stdout and to stderr";
        else
                stream = c->run.out_dropped ? "stdout" : "stderr";
        return sp_error(EFBIG,
                        "%s wrote more than the capture limit of %zu bytes to %s: the "
                        "first %zu were kept, %zu more dropped",
                        line, c->cfg.capture_limit, stream, c->cfg.capture_limit,
                        c->run.out_dropped + c->run.err_dropped);
}

/* Whether the status rules of subproc_run() accept `status` as it is, so that no message (and
 * no command line, which can be long) needs formatting. */
static bool status_accepted(const subproc *c, int status, const int *exitstatus)
{
        if (c->run.phase > 0 || c->run.out_dropped || c->run.err_dropped)
                return false;
        return c->cfg.raw_status ||
               (WIFEXITED(status) && (WEXITSTATUS(status) == 0 || exitstatus != NULL));
}

/* The child is reaped with `status` and the run ended: judge it.  The command line is
 * formatted only when a message needs it. */
static int judge(const subproc *c, int status, int *exitstatus)
{
        int tail_len, r, e;
        const char *tail;
        char *line;

        if (status_accepted(c, status, exitstatus)) {
                if (exitstatus)
                        *exitstatus = c->cfg.raw_status ? status : WEXITSTATUS(status);
                return 0;
        }
        line = subproc_to_string(c, false);
        if (c->run.phase > 0)
                r = timeout_error(c, line ? line : c->cfg.argv.items[0], status);
        else {
                tail = stderr_tail(c, &tail_len);
                r = sp_check_status(line ? line : c->cfg.argv.items[0], status, exitstatus,
                                    c->cfg.raw_status, tail, tail_len);
                if (r == 0)
                        r = limit_error(c, line ? line : c->cfg.argv.items[0]);
        }
        e = errno;
        free(line);
        errno = e;
        return r;
}

/* Supervise until give_up_at: 1 when the run has ended (*ret its result: 0, or -1 with the
 * error set), 0 when the child still runs at give_up_at (nothing set, errno kept). */
static int finish(subproc *c, int *exitstatus, long long give_up_at, int *ret)
{
        int saved_errno = errno, status = 0, r;

        r = supervise(c, give_up_at, &status);
        if (r == 0) {
                errno = saved_errno;
                return 0;
        }
        if (r < 0) {
                /* The child may block on a pipe nobody reads any more: do not wait for it. */
                if (errno != ECHILD)
                        sp_run_abort(c); /* keeps errno */
                else
                        (void)sp_run_end(c, -1, false);
                /* A run whose wait failed has no status, even when the abort reaped one. */
                c->run.status = -1;
                *ret = -1;
                return 1;
        }
        *ret = sp_run_end(c, status, true) < 0 ? -1 : judge(c, status, exitstatus);
        return 1;
}

int sp_finish(subproc *c, int *exitstatus, long long give_up_at)
{
        int r;

        if (finish(c, exitstatus, give_up_at, &r) == 0)
                return sp_error(ETIMEDOUT, "pid %d is still running", (int)c->run.pid);
        return r;
}

int subproc_wait(subproc *c, int *exitstatus)
{
        return subproc_wait_timeout(c, exitstatus, -1);
}

/* Whether c can be waited for now: 0, or -1 with the error set. */
static int check_wait(const subproc *c)
{
        if (!c || c->is_static)
                return sp_error(EINVAL, "cannot wait: %s",
                                c ? "the command is broken" : "NULL command");
        if (c->run.pid <= 0)
                return sp_error(ECHILD, "cannot wait: the command is not running");
        /* The wait that calls the callback is still reading the pipe and its buffers. */
        if (sp_sink_calling(&c->run))
                return sp_error(EDEADLK, "cannot wait for the command from its own output "
                                         "callback: return non-zero to end the run");
        return 0;
}

int subproc_wait_timeout(subproc *c, int *exitstatus, int timeout_ms)
{
        if (check_wait(c) < 0)
                return -1;
        return sp_finish(c, exitstatus, timeout_ms < 0 ? SP_NEVER : sp_now_ms() + timeout_ms);
}

int subproc_try_wait(subproc *c, int *exitstatus)
{
        int r;

        if (check_wait(c) < 0)
                return -1;
        if (finish(c, exitstatus, sp_now_ms(), &r) == 0)
                return 0;
        return r < 0 ? -1 : 1;
}

int subproc_free_wait(subproc *c, int *exitstatus)
{
        int r = 0, e;

        if (c && !c->is_static && c->run.pid > 0)
                r = subproc_wait(c, exitstatus);
        e = errno;
        subproc_free(c);
        errno = e;
        return r;
}
