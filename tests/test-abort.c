/* Tests of subproc_abort() and subproc_pid_abort(): SIGTERM, then SIGKILL after a grace
 * period, always reaped, errno kept.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/support.h"

/* ---------------------------------------------------------------------------------------
 * Abort
 * ------------------------------------------------------------------------------------- */

static void test_abort_sends_sigterm(void **state)
{
        subproc *c = t_helper_sleeping();
        double start, elapsed;

        assert_ll_equal(subproc_run_async(c, NULL), 0);
        errno = EDOM;
        start = t_monotonic_ms();
        subproc_abort(c);
        elapsed = t_monotonic_ms() - start;
        assert_errno_equal(errno, EDOM);
        assert_ll_equal(subproc_pid(c), -1);
        assert_no_children();
        /* It died of the SIGTERM at once, without waiting for the SIGKILL deadline. */
        assert_true(WIFSIGNALED(subproc_status(c)));
        assert_ll_equal(WTERMSIG(subproc_status(c)), SIGTERM);
        print_message("  abort took %.1f ms\n", elapsed);
        /* Only a hang: how soon a SIGTERMed child is scheduled to die is the machine's. */
        assert_true(elapsed < T_HANG_GUARD_MS);
        subproc_free(c);
}

static void test_abort_kills_child_ignoring_sigterm(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--ignore-term", NULL);
        int notify[2];
        double start, elapsed;
        char ready = 0;

        /* The helper tells us once it ignores SIGTERM. */
        assert_ll_equal(pipe2(notify, O_CLOEXEC), 0);
        subproc_pass_fd(c, notify[1], SUBPROC_PASS_FD_CLOSE_PARENT);
        subproc_add_arg_format(c, "--notify-fd=%d", notify[1]);
        subproc_add_arg(c, "--sleep-ms=60000");
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        assert_ll_equal(read(notify[0], &ready, 1), 1);
        assert_ll_equal(ready, 'R');
        close(notify[0]);

        errno = EDOM;
        start = t_monotonic_ms();
        subproc_abort(c);
        elapsed = t_monotonic_ms() - start;
        assert_errno_equal(errno, EDOM);
        assert_no_children();
        assert_true(WIFSIGNALED(subproc_status(c)));
        assert_ll_equal(WTERMSIG(subproc_status(c)), SIGKILL);
        print_message("  abort took %.1f ms\n", elapsed);
        /* SIGKILL only after a grace period, and not much later than its 200 ms. */
        assert_true(elapsed >= 50);
        assert_true(elapsed < T_HANG_GUARD_MS);
        subproc_free(c);
}

static void test_abort_when_nothing_runs(void **state)
{
        subproc *c = t_helper_exiting(0);

        errno = EDOM;
        subproc_abort(c);
        assert_errno_equal(errno, EDOM);
        assert_ll_equal(subproc_run(c, NULL), 0);
        errno = ENOTTY;
        subproc_abort(c);
        assert_errno_equal(errno, ENOTTY);
        assert_ll_equal(WEXITSTATUS(subproc_status(c)), 0);
        subproc_free(c);
}

static void test_pid_abort(void **state)
{
        subproc *c = t_helper_sleeping();
        pid_t pid = -1;

        assert_ll_equal(subproc_run_async(c, &pid), 0);
        subproc_free(c);
        assert_ll_equal(waitpid(pid, NULL, WNOHANG), 0);
        errno = EDOM;
        subproc_pid_abort(pid);
        assert_errno_equal(errno, EDOM);
        assert_ll_equal(kill(pid, 0), -1);
        assert_errno_equal(errno, ESRCH);
        assert_no_children();
}

static void test_pid_abort_ignoring_sigterm(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--ignore-term", NULL);
        int notify[2];
        pid_t pid = -1;
        char ready = 0;
        double start;

        assert_ll_equal(pipe2(notify, O_CLOEXEC), 0);
        subproc_pass_fd(c, notify[1], SUBPROC_PASS_FD_CLOSE_PARENT);
        subproc_add_arg_format(c, "--notify-fd=%d", notify[1]);
        subproc_add_arg(c, "--sleep-ms=60000");
        assert_ll_equal(subproc_run_async(c, &pid), 0);
        subproc_free(c);
        assert_ll_equal(read(notify[0], &ready, 1), 1);
        close(notify[0]);
        start = t_monotonic_ms();
        subproc_pid_abort(pid);
        assert_true(t_monotonic_ms() - start < T_HANG_GUARD_MS);
        assert_no_children();
}

/* Exit codes of the isolated children below. */
enum { ISOLATED_OK = 0, ISOLATED_VICTIM_GONE = 1, ISOLATED_ERRNO = 2, ISOLATED_UNSUPPORTED = 77 };

/* Runs in a forked child: check that subproc_pid_abort(pid) leaves a sibling alone. */
static void pid_abort_beside_victim(pid_t pid)
{
        pid_t victim = fork();
        int result = ISOLATED_OK;

        if (victim == 0) {
                for (;;)
                        pause();
        }
        if (victim < 0)
                _exit(3);
        errno = EDOM;
        subproc_pid_abort(pid);
        if (errno != EDOM)
                result = ISOLATED_ERRNO;
        if (waitpid(victim, NULL, WNOHANG) != 0)
                result = ISOLATED_VICTIM_GONE;
        kill(victim, SIGKILL);
        waitpid(victim, NULL, 0);
        _exit(result);
}

static int wait_isolated(pid_t pid)
{
        int status = -1;

        assert_true(pid > 0);
        assert_ll_equal(waitpid(pid, &status, 0), pid);
        if (!WIFEXITED(status))
                fail_msg("the isolated child died of signal %d", WTERMSIG(status));
        return WEXITSTATUS(status);
}

static void test_pid_abort_ignores_nonpositive(void **state)
{
        pid_t child;
        int result;

        /* pid 0: in a child that is its own process group, so that a library that signals
         * group 0 kills only that child (and fails the case) rather than the test runner. */
        child = fork();
        if (child == 0) {
                setpgid(0, 0);
                pid_abort_beside_victim(0);
        }
        result = wait_isolated(child);
        assert_ll_equal(result, ISOLATED_OK);

        /* pid -1: kill(-1) would reach every process we may signal, so only inside a new pid
         * namespace, where "every process" is the victim. */
        child = fork();
        if (child == 0) {
                pid_t inner;
                int status;

                if (t_unshare_pid() != 0)
                        _exit(ISOLATED_UNSUPPORTED);
                inner = fork();
                if (inner == 0)
                        pid_abort_beside_victim(-1);
                if (inner < 0 || waitpid(inner, &status, 0) != inner)
                        _exit(3);
                _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 4);
        }
        result = wait_isolated(child);
        if (result == ISOLATED_UNSUPPORTED) {
                print_message("no pid namespace (unshare: not permitted): pid -1 not tried\n");
                skip();
        }
        assert_ll_equal(result, ISOLATED_OK);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                T_TEST(test_abort_sends_sigterm),
                T_TEST(test_abort_kills_child_ignoring_sigterm),
                T_TEST(test_abort_when_nothing_runs),
                T_TEST(test_pid_abort),
                T_TEST(test_pid_abort_ignoring_sigterm),
                T_TEST(test_pid_abort_ignores_nonpositive),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
