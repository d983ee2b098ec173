/* Supervising a running child: timeouts with TERM then KILL, signalling through the pidfd or
 * the process group, waiting with a deadline, reaping. */
#include "internal.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif

/* How often to look at a child we cannot watch with a pidfd (kernels before 5.3). */
#define NO_PIDFD_STEP_MS 20

/* pidfd_send_signal() to the process group of the pidfd's process (Linux 6.9). */
#define SP_PIDFD_SIGNAL_PROCESS_GROUP 4

int sp_test_no_pidfd_group;

/* The child itself, through its pidfd, which never hits a recycled pid (wait.c). */
static int signal_pid(const subproc *c, int sig)
{
        return sp_signal_child(c->pid, c->pidfd, sig);
}

/* The process group the child leads (subproc_new_process_group(), subproc_new_session()).
 *
 * Hazard: a process group id is the leader's pid.  It stays ours while the leader is unreaped
 * (its pid cannot be given out then) or while any member is left; once the leader is reaped
 * and the group empty, the id is free and may lead a stranger's group, which kill(-pgid)
 * would hit.  The child may be reaped behind our back (SIGCHLD ignored: at once, by the
 * kernel).  So: on Linux 6.9 and later the pidfd names the group itself (the kernel's struct
 * pid, which a recycled number does not share): exact, even after the leader is gone, as long
 * as members are left.  Elsewhere: kill(-pgid) only while the leader is proven unreaped, and
 * through its pidfd when there is one (exact); the moment between the proof and the kill is
 * the one gap left on those kernels. */
static int signal_group(const subproc *c, int sig)
{
#if defined(__linux__) && defined(SYS_pidfd_send_signal)
        if (c->pidfd >= 0 && !sp_test_no_pidfd_group) {
                long r = syscall(SYS_pidfd_send_signal, c->pidfd, sig, NULL,
                                 SP_PIDFD_SIGNAL_PROCESS_GROUP);

                /* EINVAL: a kernel before 6.9; ENOSYS, EPERM: a sandbox. */
                if (r == 0 || errno == ESRCH)
                        return (int)r;
        }
#endif
        if (!sp_child_unreaped(c->pid, c->pidfd)) {
                errno = ESRCH;
                return -1;
        }
        return kill(-c->pid, sig);
}

/* The whole group when the child leads one, and the child itself if it has left that group
 * (setpgid() to another group of the session): a timeout must end at least the child.
 * Descendants that left both are out of reach (a cgroup can hold them: subproc_set_cgroup). */
static int signal_child(const subproc *c, int sig)
{
        int r, e;

        if (!c->new_pgroup && !c->new_session)
                return signal_pid(c, sig);
        r = signal_group(c, sig);
        e = errno;
        /* Still in its group: it had the signal already (a second one could be handled
         * twice).  getpgid() only reads; signal_pid() proves the pid again. */
        if (r == 0 && getpgid(c->pid) == c->pid)
                return 0;
        if (signal_pid(c, sig) == 0)
                return 0;
        if (r == 0)
                return 0;
        errno = e == ESRCH ? errno : e;
        return -1;
}

int subproc_pidfd(const subproc *c)
{
        return c && c->pid > 0 ? c->pidfd : -1;
}

int subproc_kill(subproc *c, int sig)
{
        if (!c || c->pid <= 0)
                return sp_error(ESRCH, "cannot signal: the command is not running");
        if (sig != 0 && !sp_signal_valid(sig))
                return sp_error(EINVAL, "cannot send signal %d: no such signal", sig);
        if (signal_child(c, sig) < 0)
                return sp_error(errno, "cannot send signal %d to pid %d: %s", sig, (int)c->pid,
                                strerror(errno));
        return 0;
}

/* 1 when the child has exited and is reaped, 0 when stop_at came first, -1 on error. */
static int wait_exit(subproc *c, long long stop_at, int *status)
{
        /* No deadline: one blocking wait, with or without a pidfd. */
        int r = stop_at == SP_NEVER ? sp_reap_child(c->pid, c->pidfd, status)
                                    : sp_reap_until(c->pid, c->pidfd, stop_at, status);

        if (stop_at == SP_NEVER && r == 0)
                r = 1;

        if (r >= 0)
                return r;
        return sp_error(-r, "cannot reap pid %d: %s (is SIGCHLD ignored, or does a handler "
                        "reap every child?)", (int)c->pid, strerror(-r));
}

/* When the timeout state machine acts next. */
static long long next_escalation(const subproc *c)
{
        if (c->sv_retry_at)
                return c->sv_retry_at;
        if (!c->timeout_ms || c->sv_phase == 2)
                return SP_NEVER;
        if (c->sv_phase == 0)
                return c->started_ms + c->timeout_ms;
        return c->kill_after_ms == SUBPROC_NO_KILL ? SP_NEVER : c->sv_kill_at;
}

static void escalate(subproc *c)
{
        int sig = c->sv_phase == 0 && c->kill_after_ms > 0 ? SIGTERM : SIGKILL;

        c->sv_retry_at = 0;
        if (signal_child(c, sig) < 0 && errno != ESRCH) {
                c->sv_retry_at = sp_now_ms() + SP_SIGNAL_RETRY_MS;
                return;
        }
        if (sig == SIGTERM) {
                /* A stopped child (SIGSTOP, or SIGTTIN in a background group) would keep the
                 * SIGTERM pending for good: wake it to act on it, as timeout(1) does. */
                (void)signal_child(c, SIGCONT);
                c->sv_kill_at = sp_now_ms() + c->kill_after_ms;
        }
        c->sv_last_signal = sig;
        c->sv_phase = sig == SIGTERM ? 1 : 2;
}

/* After a timeout the child is gone but a grandchild holds its pipes: take what is there
 * and stop reading, so the run ends at the deadline plus grace. */
static void abandon_pipes(subproc *c)
{
        (void)sp_io_loop(c, sp_now_ms(), -1);
        sp_close(&c->io.in_fd);
        sp_close(&c->io.out_fd);
        sp_close(&c->io.err_fd);
        for (size_t i = 0; i < c->nsends; i++)
                sp_close(&c->sends[i].write_fd);
        c->io_pending = false;
}

/* Serve the pipes while any are open. 1: the child exited (reaped) and the pipes were let go;
 * 0: go on; -1: error. */
static int serve_pipes(subproc *c, long long stop, int *status)
{
        bool after_timeout = c->sv_phase > 0;
        int watch = after_timeout ? c->pidfd : -1;
        int r;

        if (after_timeout && c->pidfd < 0 && stop - sp_now_ms() > NO_PIDFD_STEP_MS)
                stop = sp_now_ms() + NO_PIDFD_STEP_MS;
        r = sp_io_loop(c, stop, watch);
        if (r == 0) {
                c->io_pending = false;
                return 0;
        }
        if (r == -1)
                return -1;
        if (!after_timeout)
                return 0;
        if (r == 1) {
                abandon_pipes(c);
                return wait_exit(c, SP_NEVER, status);
        }
        if (c->pidfd < 0 && waitpid(c->pid, status, WNOHANG) == c->pid) {
                abandon_pipes(c);
                return 1;
        }
        return 0;
}

/* Run the child to its end, or until give_up_at: 1 reaped, 0 gave up, -1 error. */
static int supervise(subproc *c, long long give_up_at, int *status)
{
        for (;;) {
                long long escalation = next_escalation(c);
                long long stop = escalation < give_up_at ? escalation : give_up_at;
                int r;

                if (c->io_pending) {
                        r = serve_pipes(c, stop, status);
                        if (r != 0)
                                return r;
                }
                if (!c->io_pending) {
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
        const char *err = c->error_bufp ? *c->error_bufp : NULL;
        size_t len = c->err_len;

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

static int timeout_error(const subproc *c, const char *line, int status)
{
        char how[128];

        sp_status_describe(status, how, sizeof how);
        if (c->sv_last_signal == SIGKILL && c->sv_phase == 2 && c->kill_after_ms > 0)
                return sp_error(ETIMEDOUT, "%s timed out after %u ms; SIGTERM was ignored for "
                                "%u ms, so it was ended by SIGKILL (%s)", line, c->timeout_ms,
                                c->kill_after_ms, how);
        return sp_error(ETIMEDOUT, "%s timed out after %u ms and was sent %s (%s)", line,
                        c->timeout_ms, c->sv_last_signal == SIGKILL ? "SIGKILL" : "SIGTERM",
                        how);
}

/* The child is gone: forget it, hand over the buffers.  With `report`, a mapping that failed
 * sets the thread's error and returns -1; errno is kept otherwise. */
static int forget_child(subproc *c, int status, bool reaped, bool report)
{
        int saved_errno = errno, r;

        c->pid = -1;
        sp_close(&c->pidfd);
        c->last_status = reaped ? status : -1;
        c->io_pending = false;
        r = sp_deliver_buffers(c, report);
        sp_run_io_close(c);
        if (r == 0)
                errno = saved_errno;
        return r;
}

/* A capture past subproc_set_capture_limit() fails a run that went well otherwise. */
static int limit_error(const subproc *c, const char *line)
{
        const char *stream;

        if (c->out_dropped == 0 && c->err_dropped == 0)
                return 0;
        if (c->error_bufp && c->error_bufp == c->output_bufp)
                stream = "stdout and stderr";
        else if (c->out_dropped && c->err_dropped)
                stream = "stdout and to stderr";
        else
                stream = c->out_dropped ? "stdout" : "stderr";
        return sp_error(EFBIG, "%s wrote more than the capture limit of %zu bytes to %s: the "
                        "first %zu were kept, %zu more dropped", line, c->capture_limit, stream,
                        c->capture_limit, c->out_dropped + c->err_dropped);
}

static int send_to_command(const void *ctx, int sig);

int sp_finish(subproc *c, int *exitstatus, long long give_up_at)
{
        int status = 0, tail_len, r, e;
        const char *tail;
        char *line;

        r = supervise(c, give_up_at, &status);
        if (r == 0)
                return sp_error(ETIMEDOUT, "pid %d is still running", (int)c->pid);
        if (r < 0) {
                /* The child may block on a pipe nobody reads any more: do not wait for it. */
                e = errno;
                if (c->pid > 0 && errno != ECHILD)
                        (void)sp_stop_child(c->pid, c->pidfd, SP_ABORT_GRACE_MS,
                                            send_to_command, c, &status);
                forget_child(c, status, false, false);
                errno = e;
                return -1;
        }
        if (forget_child(c, status, true, true) < 0)
                return -1;
        line = subproc_to_string(c, false);
        if (c->sv_phase > 0)
                r = timeout_error(c, line ? line : c->argv.items[0], status);
        else {
                tail = stderr_tail(c, &tail_len);
                r = sp_check_status(line ? line : c->argv.items[0], status, exitstatus,
                                    c->raw_status, tail, tail_len);
                if (r == 0)
                        r = limit_error(c, line ? line : c->argv.items[0]);
        }
        e = errno;
        free(line);
        errno = e;
        return r;
}

int subproc_wait(subproc *c, int *exitstatus)
{
        return subproc_wait_timeout(c, exitstatus, -1);
}

int subproc_wait_timeout(subproc *c, int *exitstatus, int timeout_ms)
{
        if (!c || c->is_static)
                return sp_error(EINVAL, "cannot wait: %s",
                                c ? "the command is broken" : "NULL command");
        if (c->pid <= 0)
                return sp_error(ECHILD, "cannot wait: the command is not running");
        return sp_finish(c, exitstatus, timeout_ms < 0 ? SP_NEVER : sp_now_ms() + timeout_ms);
}

static int send_to_command(const void *ctx, int sig)
{
        return signal_child(ctx, sig);
}

void subproc_abort(subproc *c)
{
        int saved_errno = errno;
        int status = 0, r;

        if (!c || c->pid <= 0)
                return;
        r = sp_stop_child(c->pid, c->pidfd, SP_ABORT_GRACE_MS, send_to_command, c, &status);
        /* < 0: someone else reaped it (SIGCHLD ignored...): its status is lost. */
        forget_child(c, status, r == 1, false);
        errno = saved_errno;
}

void subproc_set_timeout(subproc *c, unsigned timeout_ms, unsigned kill_after_ms)
{
        if (sp_command_broken(c))
                return;
        c->timeout_ms = timeout_ms;
        c->kill_after_ms = kill_after_ms;
}

void subproc_new_session(subproc *c)
{
        if (!sp_command_broken(c))
                c->new_session = true;
}

void subproc_new_process_group(subproc *c)
{
        if (!sp_command_broken(c))
                c->new_pgroup = true;
}

void subproc_set_cgroup(subproc *c, const char *cgroup_dir)
{
        if (sp_command_broken(c))
                return;
        if (!cgroup_dir || !*cgroup_dir) {
                sp_command_fail(c, EINVAL, "the cgroup directory is %s",
                                cgroup_dir ? "empty" : "NULL");
                return;
        }
        free(c->cgroup_dir);
        c->cgroup_dir = strdup(cgroup_dir);
        if (!c->cgroup_dir)
                sp_command_fail(c, ENOMEM, "out of memory setting the cgroup");
}
