/* Helpers shared by the supervision tests (test-group.c, test-pidfd.c, test-sigchld.c,
 * test-timeout.c): the two modes every case runs in, timing bounds, run outcomes, waiting for
 * and reaping children.
 *
 * SPDX-License-Identifier: MIT
 *
 * Include after cmocka.h and testutil.h.  Everything is static inline: each test file uses a
 * different part.
 */
#ifndef SUBPROC_SUPERVISE_UTIL_H
#define SUBPROC_SUPERVISE_UTIL_H

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

/* A generous bound for things that should take milliseconds. */
#define HANG_GUARD_MS 10000.0
/* Dates are taken in whole ms by the library: allow for the rounding. */
#define ROUNDING_MS 10.0

/* ---------------------------------------------------------------------------------------
 * Modes: every case runs with pidfds, and as on a kernel without them
 * ------------------------------------------------------------------------------------- */

/* The library's test knobs (sp_test_no_pidfd: behave as on a kernel without pidfds): a knob
 * renamed or removed fails this build. */
#include "src/test-knobs.h"

/* The initial state of a case.  A file that varies more embeds it as its first member. */
struct pidfd_mode {
        bool no_pidfd;
};

/* Setup of a case: set the knob as the mode says, then sp_test_setup().  A file with more
 * to set up calls this from its own setup. */
static inline int mode_setup(void **state)
{
        const struct pidfd_mode *m = *state;

        sp_test_no_pidfd = m->no_pidfd;
        return sp_test_setup(state);
}

/* Teardown of a case: sp_test_teardown(), then the knob back to pidfds and the caller no
 * subreaper any more (become_subreaper()), even when the case failed. */
static inline int mode_teardown(void **state)
{
        int r = sp_test_teardown(state);

        sp_test_no_pidfd = 0;
        (void)tc_set_subreaper(false);
        return r;
}

/* Call first in a case: true when the case runs with pidfds. */
static inline bool enter_mode(void **state)
{
        const struct pidfd_mode *m = *state;

        return !m->no_pidfd;
}

/* The case `f` twice, named "f (pidfd)" and "f (no pidfd)", with the given setup and
 * teardown (mode_setup() and mode_teardown(), or functions that call them). */
#define BOTH_MODES_WITH(f, setup, teardown)                                                   \
        { #f " (pidfd)", f, setup, teardown, &(struct pidfd_mode){ .no_pidfd = false } },     \
        { #f " (no pidfd)", f, setup, teardown, &(struct pidfd_mode){ .no_pidfd = true } }
#define BOTH_MODES(f) BOTH_MODES_WITH(f, mode_setup, mode_teardown)

/* ---------------------------------------------------------------------------------------
 * Outcomes and statuses
 * ------------------------------------------------------------------------------------- */

/* What a run or a wait returned, and how long it took. */
struct outcome {
        int rc;
        int error;
        double elapsed_ms;
        char msg[1024];
};

/* Record the result `rc` of a call started at `start` (errno and the message are the
 * call's: pass the call itself as `rc`, with errno cleared before). */
static inline void finish_outcome(struct outcome *o, int rc, double start)
{
        o->error = errno;
        o->rc = rc;
        o->elapsed_ms = monotonic_ms() - start;
        snprintf(o->msg, sizeof o->msg, "%s", subproc_errmsg());
        print_message("  rc %d, errno %d (%s) after %.0f ms: %s\n", o->rc, o->error,
                      strerror(o->error), o->elapsed_ms, o->msg);
}

#define assert_killed_by(status, sig) sp_assert_killed_by((status), (sig), __FILE__, __LINE__)

static inline void sp_assert_killed_by(int status, int sig, const char *file, int line)
{
        if (status == -1 || !WIFSIGNALED(status) || WTERMSIG(status) != sig) {
                print_error("wait status 0x%x, expected death by signal %d (%s)\n",
                            (unsigned)status, sig, strsignal(sig));
                _fail(file, line);
        }
}

/* ---------------------------------------------------------------------------------------
 * Waiting for children and reaping them
 * ------------------------------------------------------------------------------------- */

/* Orphaned grandchildren become our children, so a test can reap them (mode_teardown()
 * turns it off again). */
static inline void become_subreaper(void)
{
        assert_ll_equal(tc_set_subreaper(true), 0);
}

/* Wait up to `ms` for `pid` (a child of ours) to exit, without reaping it.  True once it has
 * exited (a zombie), false when it still runs at the deadline or is no child of ours. */
static inline bool wait_exited(pid_t pid, double ms)
{
        double deadline = monotonic_ms() + ms;
        int pidfd = tc_pidfd_open(pid);
        bool exited = false;

        for (;;) {
                siginfo_t info = { .si_pid = 0 };
                double left;

                /* WNOWAIT: the status stays for whoever reaps the child. */
                if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) < 0) {
                        if (errno == EINTR)
                                continue;
                        print_error("waitid %ld: %s\n", (long)pid, strerror(errno));
                        break;
                }
                if (info.si_pid == pid) {
                        exited = true;
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
        return exited;
}

/* Reap `pid` (a child of ours by now), waiting up to `ms` for it to exit.  True when reaped
 * with *status set, false when it still runs at the deadline. */
static inline bool reap_within(pid_t pid, double ms, int *status)
{
        pid_t r;

        if (!wait_exited(pid, ms))
                return false;
        do
                r = waitpid(pid, status, 0);
        while (r < 0 && errno == EINTR);
        if (r < 0)
                print_error("waitpid %ld: %s\n", (long)pid, strerror(errno));
        return r == pid;
}

#endif /* SUBPROC_SUPERVISE_UTIL_H */
