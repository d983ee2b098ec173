/* Helpers shared by the supervision tests (test-group.c, test-timeout.c). */
#ifndef SUBPROC_SUPERVISE_UTIL_H
#define SUBPROC_SUPERVISE_UTIL_H

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#define assert_killed_by(status, sig) sp_assert_killed_by((status), (sig), __FILE__, __LINE__)

static inline void sp_assert_killed_by(int status, int sig, const char *file, int line)
{
        if (status == -1 || !WIFSIGNALED(status) || WTERMSIG(status) != sig) {
                print_error("wait status 0x%x, expected death by signal %d (%s)\n",
                            (unsigned)status, sig, strsignal(sig));
                _fail(file, line);
        }
}


/* Orphaned grandchildren become our children, so a test can reap them. */
static inline void become_subreaper(void)
{
        assert_ll_equal(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
}


/* Reap `pid` (a child of ours by now), waiting up to `ms` for it to exit.  True when reaped
 * with *status set, false when it still runs at the deadline. */
static inline bool reap_within(pid_t pid, double ms, int *status)
{
        double deadline = monotonic_ms() + ms;
        int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        bool reaped = false;

        for (;;) {
                pid_t r = waitpid(pid, status, WNOHANG);
                double left;

                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        print_error("waitpid %ld: %s\n", (long)pid, strerror(errno));
                if (r != 0) {
                        reaped = r == pid;
                        break;
                }
                left = deadline - monotonic_ms();
                if (left <= 0)
                        break;
                if (pidfd >= 0) {
                        struct pollfd p = { .fd = pidfd, .events = POLLIN };

                        (void)poll(&p, 1, (int)left + 1);
                } else {
                        /* No pidfd_open: look again in a little while, until the deadline. */
                        struct timespec step = { 0, 5 * 1000 * 1000 };

                        nanosleep(&step, NULL);
                }
        }
        if (pidfd >= 0)
                close(pidfd);
        return reaped;
}

#endif
