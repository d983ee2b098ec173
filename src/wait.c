/* Reaping, status decoding and stopping children. */
#include "internal.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif

int sp_waitpid(pid_t pid, int *ret_status)
{
        int status;
        pid_t r;

        do
                r = waitpid(pid, &status, 0);
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

int sp_test_no_pidfd;

int sp_pidfd_open(pid_t pid)
{
#if defined(__linux__) && defined(SYS_pidfd_open)
        int saved_errno = errno;
        int fd = sp_test_no_pidfd ? -1 : (int)syscall(SYS_pidfd_open, pid, 0);

        errno = saved_errno; /* ENOSYS before Linux 5.3: we poll instead */
        return fd;
#else
        return -1;
#endif
}

long long sp_now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait up to timeout_ms for pid to exit and reap it; true when reaped (or gone). */
static bool reap_within(pid_t pid, int timeout_ms, int *ret_status)
{
        long long deadline = sp_now_ms() + timeout_ms;
        int pidfd = sp_pidfd_open(pid);
        bool reaped = false;

        for (;;) {
                pid_t r = waitpid(pid, ret_status, WNOHANG);
                long long left = deadline - sp_now_ms();

                if (r == pid || (r < 0 && errno != EINTR)) {
                        reaped = true;
                        break;
                }
                if (r < 0)
                        continue;
                if (left <= 0)
                        break;
                if (pidfd >= 0) {
                        struct pollfd p = { .fd = pidfd, .events = POLLIN };

                        (void)poll(&p, 1, (int)left);
                } else {
                        /* No pidfd (old kernel): poll the status in short steps. */
                        struct timespec step = { 0, 2 * 1000 * 1000 };

                        nanosleep(&step, NULL);
                }
        }
        sp_close(&pidfd);
        return reaped;
}

void sp_kill_and_reap(pid_t pid, int grace_ms, int *ret_status)
{
        int saved_errno = errno;
        int status = 0;
        bool reaped;

        (void)kill(pid, SIGTERM); /* ESRCH: already gone; the wait below tells */
        reaped = reap_within(pid, grace_ms, &status);
        /* SIGKILL, again if it could not be sent, before waiting for good. */
        for (int tries = 0; !reaped && tries < 10; tries++) {
                (void)kill(pid, SIGKILL);
                reaped = reap_within(pid, 100, &status);
        }
        if (!reaped)
                (void)sp_waitpid(pid, &status);
        if (ret_status)
                *ret_status = status;
        errno = saved_errno;
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
        return sp_error(EIO, "%s failed: %s%s%.*s", what, how, tail_len > 0 ? ": " : "",
                        tail_len, tail ? tail : "");
}

int subproc_pid_wait(pid_t pid, int *exitstatus, bool raw)
{
        char what[64];
        int status, r;

        if (pid <= 0)
                return sp_error(EINVAL, "cannot wait for pid %d", (int)pid);
        r = sp_waitpid(pid, &status);
        if (r < 0)
                return sp_error(-r, "cannot wait for child process %d: %s", (int)pid,
                                strerror(-r));
        snprintf(what, sizeof what, "child process %d", (int)pid);
        return sp_check_status(what, status, exitstatus, raw, NULL, 0);
}

void subproc_pid_abort(pid_t pid)
{
        if (pid > 0)
                sp_kill_and_reap(pid, SP_ABORT_GRACE_MS, NULL);
}
