/* Signalling our children, and stopping them (a signal, a grace, SIGKILL), the one place that
 * does: never a recycled pid, never a stranger's
 * process group.  A pidfd names the process itself (and, on Linux 6.9 and later, its group);
 * without one, a pid or group id is used only while the child is proven unreaped, the one
 * state in which its number cannot be anybody else's. */
#include "run.h"
#include "process.h"
#include "test-knobs.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif

/* pidfd_send_signal() to the process group of the pidfd's process (Linux 6.9). */
#define SP_PIDFD_SIGNAL_PROCESS_GROUP 4

int sp_test_no_pidfd;
int sp_test_no_pidfd_group;

int sp_pidfd_open(pid_t pid)
{
#if defined(__linux__) && defined(SYS_pidfd_open)
        int saved_errno = errno;
        int fd = sp_test_no_pidfd ? -1 : sp_fd_above_stdio((int)syscall(SYS_pidfd_open, pid, 0));

        errno = saved_errno; /* ENOSYS before Linux 5.3: we poll instead */
        return fd;
#else
        (void)pid;
        return -1;
#endif
}

/* pidfd_send_signal(pidfd, sig, flags): true when that settled it (sent, or ESRCH: the
 * process has exited), with *ret the result; false when the caller must fall back to kill():
 * no pidfd, or a kernel or sandbox without the call or the flag (ENOSYS where seccomp or
 * valgrind hides it, EPERM from a policy that does not know pidfds, EINVAL for a flag older
 * kernels lack). */
static bool send_through_pidfd(int pidfd, int sig, unsigned flags, int *ret)
{
#if defined(__linux__) && defined(SYS_pidfd_send_signal)
        if (pidfd >= 0) {
                long r = syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, flags);

                if (r == 0 || errno == ESRCH) {
                        *ret = (int)r;
                        return true;
                }
        }
#else
        (void)pidfd, (void)sig, (void)flags, (void)ret;
#endif
        return false;
}

/* kill(target, sig), target being pid or -pid.  Hazard: with SIGCHLD ignored (or a handler
 * reaping every child) the kernel or the caller may have reaped the child already, and its
 * pid may be someone else's.  The pid, and the group it leads, are ours only while the child
 * is unreaped: look first.  What is left is the moment between this look and kill(), where it
 * would have to exit, be reaped and its pid be taken again: only without a working pidfd. */
static int kill_while_unreaped(pid_t pid, int pidfd, pid_t target, int sig)
{
        if (!sp_child_unreaped(pid, pidfd)) {
                errno = ESRCH;
                return -1;
        }
        return kill(target, sig);
}

int sp_signal_child(pid_t pid, int pidfd, int sig)
{
        int r;

        if (send_through_pidfd(pidfd, sig, 0, &r))
                return r;
        return kill_while_unreaped(pid, pidfd, pid, sig);
}

/* Hazard: a process group id is the leader's pid.  It stays ours while the leader is unreaped
 * (its pid cannot be given out then) or while any member is left; once the leader is reaped
 * and the group empty, the id is free and may lead a stranger's group, which kill(-pgid)
 * would hit.  The child may be reaped behind our back (SIGCHLD ignored: at once, by the
 * kernel).  So: on Linux 6.9 and later the pidfd names the group itself (the kernel's struct
 * pid, which a recycled number does not share): exact, even after the leader is gone, as long
 * as members are left.  Elsewhere: kill(-pgid) only while the leader is proven unreaped, and
 * through its pidfd when there is one (exact); the moment between the proof and the kill is
 * the one gap left on those kernels. */
int sp_signal_group(pid_t pid, int pidfd, int sig)
{
        int r;

        if (!sp_test_no_pidfd_group &&
            send_through_pidfd(pidfd, sig, SP_PIDFD_SIGNAL_PROCESS_GROUP, &r))
                return r;
        return kill_while_unreaped(pid, pidfd, -pid, sig);
}

/* The whole group when the child leads one, and the child itself if it has left that group
 * (setpgid() to another group of the session): a timeout must end at least the child.
 * Descendants that left both are out of reach (a cgroup can hold them: subproc_set_cgroup). */
bool sp_run_child_is_ours(const struct sp_run *run)
{
        unsigned long long start;

        if (run->pidfd >= 0 || run->start_time == 0)
                return true;
        start = sp_child_start_time(run->pid);
        if (start != 0)
                return start == run->start_time;
        /* No start time: no child of ours has the pid any more (reaped behind our back), or
         * its /proc entry could not be read (EMFILE under a low RLIMIT_NOFILE, ENOMEM): an
         * unreaped child of ours always has one.  Giving up our own child for a failed read
         * would leave it running, unreaped, for good (the fault sweep's "loop" scenario); a
         * read failing just when its pid went to another child of ours is not worth that. */
        return sp_child_unreaped(run->pid, -1);
}

int sp_run_signal(const subproc *c, int sig)
{
        const struct sp_run *run = &c->run;
        int r, e;

        if (!sp_run_child_is_ours(run)) {
                errno = ESRCH;
                return -1;
        }

        if (!c->cfg.new_pgroup && !sp_config_new_session(&c->cfg))
                return sp_signal_child(run->pid, run->pidfd, sig);
        r = sp_signal_group(run->pid, run->pidfd, sig);
        e = errno;
        /* Still in its group: it had the signal already (a second one could be handled
         * twice).  getpgid() only reads; sp_signal_child() proves the pid again. */
        if (r == 0 && getpgid(run->pid) == run->pid)
                return 0;
        if (sp_signal_child(run->pid, run->pidfd, sig) == 0)
                return 0;
        if (r == 0)
                return 0;
        errno = e == ESRCH ? errno : e;
        return -1;
}

int subproc_kill(subproc *c, int sig)
{
        if (!c || c->run.pid <= 0)
                return sp_error(ESRCH, "cannot signal: the command is not running");
        if (sig != 0 && !sp_signal_valid(sig))
                return sp_error(EINVAL, "cannot send signal %d: no such signal", sig);
        if (sp_run_signal(c, sig) < 0)
                return sp_error(errno, "cannot send signal %d to pid %d: %s", sig, (int)c->run.pid,
                                strerror(errno));
        return 0;
}

int sp_stop_child(pid_t pid, int pidfd, int grace_ms, sp_send_signal_fn *send, const void *ctx,
                  int *ret_status, struct rusage *ru)
{
        int r;

        (void)send(ctx, SIGTERM); /* ESRCH: already gone; the reap tells */
        r = sp_reap_until(pid, pidfd, sp_now_ms() + grace_ms, ret_status, ru);
        for (int tries = 0; r == 0 && tries < 10; tries++) {
                (void)send(ctx, SIGKILL);
                r = sp_reap_until(pid, pidfd, sp_now_ms() + SP_SIGNAL_RETRY_MS, ret_status, ru);
        }
        if (r == 0) {
                r = sp_reap_child(pid, pidfd, ret_status, ru);
                r = r == 0 ? 1 : r;
        }
        return r;
}

struct pid_and_fd {
        pid_t pid;
        int pidfd;
};

static int send_by_pid(const void *ctx, int sig)
{
        const struct pid_and_fd *p = ctx;

        return sp_signal_child(p->pid, p->pidfd, sig);
}

void sp_kill_and_reap(pid_t pid, int grace_ms, int *ret_status)
{
        int saved_errno = errno;
        struct pid_and_fd p = { pid, -1 };
        int status = 0;

        /* Only while the child is unreaped does its pid open a pidfd of our child; and it
         * could be reaped (SIGCHLD ignored) and its pid reused between that look and the
         * open, so the pidfd must prove itself ours too: waitid() through it. */
        if (sp_child_unreaped(pid, -1)) {
                p.pidfd = sp_pidfd_open(pid);
                if (p.pidfd >= 0 && !sp_child_unreaped(pid, p.pidfd)) {
                        sp_close(&p.pidfd);
                        p.pid = -1; /* not ours: signal nothing, reap nothing */
                }
        }
        if (p.pid < 0) {
                if (ret_status)
                        *ret_status = 0;
                errno = saved_errno;
                return;
        }
        (void)sp_stop_child(pid, p.pidfd, grace_ms, send_by_pid, &p, &status, NULL);
        sp_close(&p.pidfd);
        if (ret_status)
                *ret_status = status;
        errno = saved_errno;
}

void subproc_pid_abort(pid_t pid)
{
        if (pid > 0)
                sp_kill_and_reap(pid, SP_ABORT_GRACE_MS, NULL);
}
