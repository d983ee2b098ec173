/* Waiting for our children and reaping them, always through the pidfd when there is one;
 * decoding their status; subproc_pid_wait(). */
#include "process.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif

/* waitid() on a pidfd (Linux 5.4); older C libraries lack the name. */
#define SP_P_PIDFD 3

int sp_waitpid(pid_t pid, int *ret_status, struct rusage *ru)
{
        int status;
        pid_t r;

        do
                r = ru ? wait4(pid, &status, 0, ru) : waitpid(pid, &status, 0);
        while (r < 0 && errno == EINTR);
        if (r < 0)
                return -errno;
        *ret_status = status;
        return 0;
}

void sp_status_describe(int status, char *buf, size_t size)
{
        if (WIFEXITED(status))
                snprintf(buf, size, "exit status %d", WEXITSTATUS(status));
        else if (WIFSIGNALED(status))
                snprintf(buf, size, "fatal signal %d (%s)%s", WTERMSIG(status),
                         strsignal(WTERMSIG(status)), WCOREDUMP(status) ? ", core dumped" : "");
        else
                snprintf(buf, size, "wait status 0x%x", (unsigned)status);
}

/* Sleep until pid may have exited or the deadline: on its pidfd when we have one, else in
 * steps growing from 1 to 20 ms (a quick exit is seen quickly, a slow one costs few wakeups). */
static void await_exit(int pidfd, long long left_ms, int *step_ms)
{
        if (pidfd >= 0) {
                struct pollfd p = { .fd = pidfd, .events = POLLIN };

                (void)poll(&p, 1, left_ms > 1 << 30 ? 1 << 30 : (int)left_ms);
        } else {
                long long step = left_ms < *step_ms ? left_ms : *step_ms;
                struct timespec ts = { 0, (long)step * 1000000L };

                nanosleep(&ts, NULL);
                if (*step_ms < 20)
                        *step_ms *= 2;
        }
}

/* A waitid() result as the status waitpid() would have given. */
static int status_of(const siginfo_t *si)
{
        switch (si->si_code) {
        case CLD_EXITED:
                return (si->si_status & 0xff) << 8;
        case CLD_DUMPED:
                return (si->si_status & 0x7f) | 0x80;
        default:
                return si->si_status & 0x7f;
        }
}

#if defined(__linux__)
/* The kernel's struct rusage, which its waitid() fills: timevals of two longs, then 14 longs.
 * The C library's may differ (64-bit times on 32-bit systems), so it is converted. */
struct kernel_rusage {
        long utime[2], stime[2];
        long maxrss, ixrss, idrss, isrss, minflt, majflt, nswap, inblock, oublock, msgsnd, msgrcv,
                nsignals, nvcsw, nivcsw;
};

static void rusage_from_kernel(const struct kernel_rusage *k, struct rusage *ru)
{
        memset(ru, 0, sizeof *ru);
        ru->ru_utime.tv_sec = k->utime[0];
        ru->ru_utime.tv_usec = k->utime[1];
        ru->ru_stime.tv_sec = k->stime[0];
        ru->ru_stime.tv_usec = k->stime[1];
        ru->ru_maxrss = k->maxrss;
        ru->ru_ixrss = k->ixrss;
        ru->ru_idrss = k->idrss;
        ru->ru_isrss = k->isrss;
        ru->ru_minflt = k->minflt;
        ru->ru_majflt = k->majflt;
        ru->ru_nswap = k->nswap;
        ru->ru_inblock = k->inblock;
        ru->ru_oublock = k->oublock;
        ru->ru_msgsnd = k->msgsnd;
        ru->ru_msgrcv = k->msgrcv;
        ru->ru_nsignals = k->nsignals;
        ru->ru_nvcsw = k->nvcsw;
        ru->ru_nivcsw = k->nivcsw;
}

/* waitid() with the kernel's fifth argument, the reaped child's resource usage (what wait4()
 * gives): the C library's waitid() has no room for it.  ru NULL: none asked. */
static int waitid_usage(idtype_t type, id_t id, siginfo_t *si, int options, struct rusage *ru)
{
        struct kernel_rusage k;
        long r = syscall(SYS_waitid, type, id, si, options, ru ? &k : NULL);

        if (r == 0 && ru && si->si_pid != 0 && !(options & WNOWAIT))
                rusage_from_kernel(&k, ru);
        return (int)r;
}
#endif

/* One waitid() for our child, through its pidfd when there is one: once our child has been
 * reaped elsewhere (SIGCHLD ignored, a handler reaping every child), its pid may belong to
 * another process, even another child of the caller's, which a wait by pid would take (or
 * block on for good).  1: it has exited (reaped unless WNOWAIT, with *ru its resource usage
 * when ru is not NULL), 0: not yet (WNOHANG), -errno (ECHILD: it is not ours to wait for any
 * more).  The usage comes with the reap (the kernel has it at hand): no extra system call. */
static int wait_child(pid_t pid, int pidfd, int options, int *ret_status, struct rusage *ru)
{
        siginfo_t si;
        int r;

        for (;;) {
                memset(&si, 0, sizeof si);
#if defined(__linux__)
                if (pidfd >= 0) {
                        /* P_PIDFD is Linux 5.4; before, EINVAL: fall back to the pid. */
                        r = waitid_usage((idtype_t)SP_P_PIDFD, (id_t)pidfd, &si, WEXITED | options,
                                         ru);
                        if (r < 0 && errno == EINVAL)
                                pidfd = -1;
                        else if (r < 0 && errno == EINTR)
                                continue;
                        else
                                break;
                }
                r = waitid_usage(P_PID, (id_t)pid, &si, WEXITED | options, ru);
#else
                if (ru && !(options & WNOWAIT)) {
                        /* wait4() is the portable way to the usage: the pid is still ours
                         * (no pidfds here), as for waitid() below. */
                        int status;
                        pid_t got = wait4(pid, &status, options & WNOHANG, ru);

                        if (got < 0 && errno == EINTR)
                                continue;
                        if (got < 0)
                                return -errno;
                        if (got == 0)
                                return 0;
                        if (ret_status)
                                *ret_status = status;
                        return 1;
                }
                r = waitid(P_PID, (id_t)pid, &si, WEXITED | options);
#endif
                if (r == 0 || errno != EINTR)
                        break;
        }
        if (r < 0)
                return -errno;
        if (si.si_pid == 0)
                return 0;
        if (ret_status)
                *ret_status = status_of(&si);
        return 1;
}

bool sp_child_unreaped(pid_t pid, int pidfd)
{
        int saved_errno = errno;
        int r = wait_child(pid, pidfd, WNOHANG | WNOWAIT, NULL, NULL);

        errno = saved_errno;
        return r >= 0;
}

int sp_child_peek_exit(pid_t pid, int pidfd, int *ret_status)
{
        return wait_child(pid, pidfd, WNOHANG | WNOWAIT, ret_status, NULL);
}

int sp_reap_child(pid_t pid, int pidfd, int *ret_status, struct rusage *ru)
{
        int r = wait_child(pid, pidfd, 0, ret_status, ru);

        return r < 0 ? r : 0;
}

int sp_reap_until(pid_t pid, int pidfd, long long deadline, int *ret_status, struct rusage *ru)
{
        int step_ms = 1;

        for (;;) {
                int r = wait_child(pid, pidfd, WNOHANG, ret_status, ru);
                long long left;

                if (r != 0)
                        return r;
                left = deadline - sp_now_ms();
                if (left <= 0)
                        return 0;
                await_exit(pidfd, left, &step_ms);
        }
}

int sp_check_status(const char *what, int status, int *exitstatus, bool raw, const char *tail,
                    int tail_len)
{
        char how[128];

        if (raw) {
                if (exitstatus)
                        *exitstatus = status;
                return 0;
        }
        if (WIFEXITED(status) && (WEXITSTATUS(status) == 0 || exitstatus)) {
                if (exitstatus)
                        *exitstatus = WEXITSTATUS(status);
                return 0;
        }
        sp_status_describe(status, how, sizeof how);
        return sp_error(EIO, "%s failed: %s%s%.*s", what, how, tail_len > 0 ? ": " : "", tail_len,
                        tail ? tail : "");
}

int subproc_pid_wait(pid_t pid, int *exitstatus, bool raw)
{
        char what[64];
        int status, r;

        if (pid <= 0)
                return sp_error(EINVAL, "cannot wait for pid %d", (int)pid);
        r = sp_waitpid(pid, &status, NULL);
        if (r < 0)
                return sp_error(-r, "cannot wait for child process %d: %s", (int)pid, strerror(-r));
        snprintf(what, sizeof what, "child process %d", (int)pid);
        return sp_check_status(what, status, exitstatus, raw, NULL, 0);
}
