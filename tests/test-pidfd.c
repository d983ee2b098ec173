/* Tests of subproc_pidfd(), subproc_kill() and subproc_wait_timeout(), and of the fallback for
 * kernels without pidfds: every case runs in both modes.
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
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/support.h"

/* ---------------------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------------------- */

/* poll() one fd for POLLIN; the number of ready fds. */
static int poll_in(int fd, int timeout_ms)
{
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int r;

        do
                r = poll(&p, 1, timeout_ms);
        while (r < 0 && errno == EINTR);
        assert_true(r >= 0);
        if (r > 0)
                assert_true(p.revents & POLLIN);
        return r;
}

/* The value of `key` ("Pid:") in /proc/self/fdinfo/<fd>, or -1. */
static long fdinfo_value(int fd, const char *key)
{
        char path[64], line[256];
        long value = -1;
        FILE *f;

        snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
        f = fopen(path, "re");
        assert_non_null(f);
        while (fgets(line, sizeof line, f) != NULL) {
                if (strncmp(line, key, strlen(key)) == 0)
                        value = strtol(line + strlen(key), NULL, 10);
        }
        fclose(f);
        return value;
}

/* Check that `fd` is a close-on-exec pidfd of `pid`. */
static void check_is_pidfd_of(int fd, pid_t pid)
{
        char path[64], target[128];
        ssize_t len;

        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        len = readlink(path, target, sizeof target - 1);
        assert_true(len > 0);
        target[len] = '\0';
        assert_string_equal(target, "anon_inode:[pidfd]");
        assert_ll_equal(fdinfo_value(fd, "Pid:"), pid);
        /* Not inherited by what other threads of the caller may spawn. */
        assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
}

/* ---------------------------------------------------------------------------------------
 * subproc_pidfd() and subproc_kill()
 * ------------------------------------------------------------------------------------- */

static void test_pidfd_lifecycle(void **state)
{
        bool pidfd_mode = t_enter_mode(state);
        subproc *c = t_helper_sleeping();
        int fd, status = -1;
        pid_t pid;

        assert_ll_equal(subproc_pidfd(c), -1);
        subproc_set_raw_status(c);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        pid = subproc_pid(c);
        assert_true(pid > 0);
        fd = subproc_pidfd(c);
        if (pidfd_mode) {
                assert_true(fd >= 0);
                check_is_pidfd_of(fd, pid);
                /* Not readable while the child runs. */
                assert_ll_equal(poll_in(fd, 0), 0);
        } else {
                assert_ll_equal(fd, -1);
        }

        assert_ll_equal(subproc_kill(c, SIGUSR1), 0);
        if (pidfd_mode) {
                /* Readable once it died, and the library did not reap behind our back. */
                assert_ll_equal(poll_in(fd, (int)T_HANG_GUARD_MS), 1);
                assert_ll_equal(subproc_pid(c), pid);
                assert_ll_equal(subproc_pidfd(c), fd);
        }
        assert_ll_equal(subproc_wait(c, &status), 0);
        assert_killed_by(status, SIGUSR1);
        assert_killed_by(subproc_status(c), SIGUSR1);
        assert_ll_equal(subproc_pidfd(c), -1);
        assert_ll_equal(subproc_pid(c), -1);
        if (pidfd_mode)
                assert_false(t_fd_is_open(fd));

        /* The child is reaped: nothing to signal. */
        errno = 0;
        assert_ll_equal(subproc_kill(c, SIGTERM), -1);
        assert_errno_equal(errno, ESRCH);
        assert_no_children();
        subproc_free(c);
}

/* The pidfd of a child that exits by itself becomes readable; then waiting does not block. */
static void test_pidfd_readable_at_exit(void **state)
{
        bool pidfd_mode = t_enter_mode(state);
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--stdout-text=bye", "--exit=4",
                                      NULL);
        int fd, status = -1, rc;
        char *out = NULL;
        double start;

        subproc_set_output_buffer(c, &out);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        fd = subproc_pidfd(c);
        if (!pidfd_mode) {
                assert_ll_equal(fd, -1);
        } else {
                assert_true(fd >= 0);
                assert_ll_equal(poll_in(fd, (int)T_HANG_GUARD_MS), 1);
        }
        start = t_monotonic_ms();
        rc = subproc_wait(c, &status);
        assert_ll_equal(rc, 0);
        assert_ll_equal(status, 4);
        assert_string_equal(out, "bye");
        assert_true(t_monotonic_ms() - start < T_HANG_GUARD_MS);
        assert_ll_equal(subproc_pidfd(c), -1);
        free(out);
        subproc_free(c);
}

/* A synchronous run leaves no pidfd behind, and none is there before any run. */
static void test_pidfd_after_run(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--exit=0", NULL);

        t_enter_mode(state);
        assert_ll_equal(subproc_pidfd(c), -1);
        assert_ll_equal(subproc_run(c, NULL), 0);
        assert_ll_equal(subproc_pidfd(c), -1);
        assert_ll_equal(subproc_pid(c), -1);
        subproc_free(c);
}

static void test_kill_when_not_running(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--exit=0", NULL);

        t_enter_mode(state);
        errno = 0;
        assert_ll_equal(subproc_kill(c, SIGTERM), -1);
        assert_errno_equal(errno, ESRCH);
        assert_ll_equal(subproc_run(c, NULL), 0);
        errno = 0;
        assert_ll_equal(subproc_kill(c, SIGKILL), -1);
        assert_errno_equal(errno, ESRCH);
        assert_ll_equal(WEXITSTATUS(subproc_status(c)), 0);
        subproc_free(c);
}

/* Signal 0 checks that the child is there, and the child lives on. */
static void test_kill_signal_zero(void **state)
{
        subproc *c = t_helper_sleeping();
        int status = -1;

        t_enter_mode(state);
        subproc_set_raw_status(c);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        assert_ll_equal(subproc_kill(c, 0), 0);
        assert_ll_equal(waitpid(subproc_pid(c), NULL, WNOHANG), 0);
        assert_ll_equal(subproc_kill(c, SIGTERM), 0);
        assert_ll_equal(subproc_wait(c, &status), 0);
        assert_killed_by(status, SIGTERM);
        subproc_free(c);
}

/* A bad signal number is EINVAL, and the child is left alone. */
static void test_kill_bad_signal(void **state)
{
        static const int bad[] = { -1, NSIG, 1000, -SIGTERM };
        subproc *c = t_helper_sleeping();
        int status = -1;

        t_enter_mode(state);
        subproc_set_raw_status(c);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                errno = 0;
                assert_ll_equal(subproc_kill(c, bad[i]), -1);
                assert_errno_equal(errno, EINVAL);
        }
        assert_ll_equal(waitpid(subproc_pid(c), NULL, WNOHANG), 0);
        assert_ll_equal(subproc_kill(c, SIGTERM), 0);
        assert_ll_equal(subproc_wait(c, &status), 0);
        assert_killed_by(status, SIGTERM);
        subproc_free(c);
}

/* The caller took the pid and reaped it: the command must not signal that pid (which the
 * system may give to another process at any time) and says ESRCH. */
static void test_kill_after_caller_reaped(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--exit=6", NULL);
        int status = -1;
        pid_t pid = -1;

        t_enter_mode(state);
        assert_ll_equal(subproc_run_async(c, &pid), 0);
        assert_true(pid > 0);
        assert_ll_equal(subproc_pid_wait(pid, &status, false), 0);
        assert_ll_equal(status, 6);
        errno = 0;
        assert_ll_equal(subproc_kill(c, SIGTERM), -1);
        assert_errno_equal(errno, ESRCH);
        subproc_free(c);
        assert_no_children();
}

/* Exit codes of the isolated child of test_kill_recycled_pid(). */
enum {
        RECYCLE_OK = 0,
        RECYCLE_HIT_VICTIM = 1,
        RECYCLE_WRONG_RESULT = 2,
        RECYCLE_SETUP_FAILED = 3,
        RECYCLE_UNSUPPORTED = 77,
};

/* Runs in a forked child: fork a process that gets `pid` (free again) by setting ns_last_pid.
 * It runs until *release_fd is closed, then exits 0. */
static bool fork_with_pid(pid_t pid, pid_t *victim, int *release_fd)
{
        int release[2];
        pid_t child;

        if (!t_set_next_pid(pid) || pipe2(release, O_CLOEXEC) != 0)
                return false;
        child = fork();
        if (child == 0) {
                char byte;

                close(release[1]);
                while (read(release[0], &byte, 1) < 0 && errno == EINTR)
                        ;
                _exit(0);
        }
        close(release[0]);
        if (child != pid) {
                close(release[1]);
                if (child > 0)
                        waitpid(child, NULL, 0);
                return false;
        }
        *victim = child;
        *release_fd = release[1];
        return true;
}

/* Runs in a forked child, the init of a new pid namespace, where no other process takes pids
 * (in the caller's namespace, rewinding the pid counter could hand a pid that a test running
 * beside us has just reaped to some new process).  Never returns. */
static void kill_recycled_in_namespace(void)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--exit=0", NULL);
        int release_fd = -1, status = -1, rc, saved_errno;
        pid_t pid = -1, victim = -1;

        if (subproc_run_async(c, &pid) != 0 || subproc_pid_wait(pid, &status, false) != 0)
                _exit(RECYCLE_SETUP_FAILED);
        if (!fork_with_pid(pid, &victim, &release_fd))
                _exit(RECYCLE_UNSUPPORTED);
        errno = 0;
        rc = subproc_kill(c, SIGTERM);
        saved_errno = errno;
        /* The victim exits 0 by itself, unless the SIGTERM reached it. */
        close(release_fd);
        if (waitpid(victim, &status, 0) != victim)
                _exit(RECYCLE_SETUP_FAILED);
        if (!WIFEXITED(status))
                _exit(RECYCLE_HIT_VICTIM);
        if (rc != -1 || saved_errno != ESRCH)
                _exit(RECYCLE_WRONG_RESULT);
        subproc_free(c);
        _exit(RECYCLE_OK);
}

/* The same, with the pid really given to another process: that process must not get the
 * signal.  Only a pidfd can tell; without one the library has nothing but the number. */
static void test_kill_recycled_pid(void **state)
{
        int status = -1, result;
        pid_t child;

        if (!t_enter_mode(state)) {
                print_message("without a pidfd, a pid reaped by the caller cannot be told "
                              "from a recycled one: not tried\n");
                skip();
        }
        child = fork();
        assert_true(child >= 0);
        if (child == 0) {
                pid_t init;

                if (unshare(CLONE_NEWPID) != 0)
                        _exit(RECYCLE_UNSUPPORTED);
                init = fork();
                if (init == 0)
                        kill_recycled_in_namespace();
                if (init < 0 || waitpid(init, &status, 0) != init)
                        _exit(RECYCLE_SETUP_FAILED);
                _exit(WIFEXITED(status) ? WEXITSTATUS(status) : RECYCLE_SETUP_FAILED);
        }
        assert_ll_equal(waitpid(child, &status, 0), child);
        assert_true(WIFEXITED(status));
        result = WEXITSTATUS(status);
        if (result == RECYCLE_UNSUPPORTED) {
                print_message("cannot give a pid to another process (needs a new pid namespace "
                              "and a writable ns_last_pid): not tried\n");
                skip();
        }
        if (result == RECYCLE_HIT_VICTIM)
                fail_msg("subproc_kill() signalled the process that got the recycled pid");
        if (result == RECYCLE_WRONG_RESULT)
                fail_msg("subproc_kill() of a pid reaped by the caller did not fail with ESRCH");
        assert_ll_equal(result, RECYCLE_OK);
}

/* ---------------------------------------------------------------------------------------
 * subproc_wait_timeout()
 * ------------------------------------------------------------------------------------- */

static void test_wait_timeout_then_exit(void **state)
{
        int read_fd, release_fd, status = -1, rc;
        subproc *c;
        double start, elapsed;
        pid_t pid;

        t_enter_mode(state);
        c = t_helper_until_released(7, &read_fd, &release_fd);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        close(read_fd);
        pid = subproc_pid(c);

        /* Twice: the command is unchanged after giving up. */
        for (int i = 0; i < 2; i++) {
                start = t_monotonic_ms();
                errno = 0;
                rc = subproc_wait_timeout(c, &status, 100);
                elapsed = t_monotonic_ms() - start;
                assert_ll_equal(rc, -1);
                assert_errno_equal(errno, ETIMEDOUT);
                assert_ll_equal(status, -1);
                print_message("  gave up after %.1f ms\n", elapsed);
                assert_true(elapsed >= 100 - T_ROUNDING_MS);
                assert_true(elapsed < T_HANG_GUARD_MS);
                assert_ll_equal(subproc_pid(c), pid);
                assert_ll_equal(kill(pid, 0), 0);
                assert_ll_equal(waitpid(pid, NULL, WNOHANG), 0);
        }
        /* A zero timeout only looks. */
        start = t_monotonic_ms();
        errno = 0;
        assert_ll_equal(subproc_wait_timeout(c, &status, 0), -1);
        assert_errno_equal(errno, ETIMEDOUT);
        assert_true(t_monotonic_ms() - start < T_HANG_GUARD_MS);
        assert_ll_equal(subproc_pid(c), pid);

        close(release_fd);
        assert_ll_equal(subproc_wait_timeout(c, &status, (int)T_HANG_GUARD_MS), 0);
        assert_ll_equal(status, 7);
        assert_ll_equal(WEXITSTATUS(subproc_status(c)), 7);
        assert_ll_equal(subproc_pid(c), -1);
        errno = 0;
        assert_ll_equal(subproc_wait_timeout(c, &status, 10), -1);
        assert_errno_equal(errno, ECHILD);
        assert_no_children();
        subproc_free(c);
}

/* The status rules of subproc_wait() apply to a child that ends in time. */
static void test_wait_timeout_status_rules(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--exit=9", NULL);

        t_enter_mode(state);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        errno = 0;
        assert_ll_equal(subproc_wait_timeout(c, NULL, (int)T_HANG_GUARD_MS), -1);
        assert_errno_equal(errno, EIO);
        assert_ll_equal(WEXITSTATUS(subproc_status(c)), 9);
        assert_ll_equal(subproc_pid(c), -1);
        assert_no_children();
        subproc_free(c);
}

static void test_wait_timeout_negative_waits(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--sleep-ms=600", "--exit=5",
                                      NULL);
        int status = -1;
        double start, elapsed;

        t_enter_mode(state);
        start = t_monotonic_ms();
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        assert_ll_equal(subproc_wait_timeout(c, &status, -1), 0);
        elapsed = t_monotonic_ms() - start;
        print_message("  waited %.1f ms\n", elapsed);
        assert_ll_equal(status, 5);
        assert_true(elapsed >= 600 - T_ROUNDING_MS);
        assert_true(elapsed < T_HANG_GUARD_MS);
        assert_no_children();
        subproc_free(c);
}

/* While the caller waits in slices, the buffers are served: a child writing 1 MiB (far more
 * than a pipe holds) gets it all out and tells us so, while it is still running. */
static void test_wait_timeout_serves_buffers(void **state)
{
        const size_t size = 1024 * 1024;
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        char *out = NULL, *expected = t_make_pattern(HELPER_STDOUT_SEED, size);
        int notify[2], status = -1, slices = 0, rc;
        double deadline;

        t_enter_mode(state);
        assert_ll_equal(pipe2(notify, O_CLOEXEC), 0);
        subproc_pass_fd(c, notify[1], SUBPROC_PASS_FD_CLOSE_PARENT);
        subproc_add_arg_format(c, "--stdout-bytes=%zu", size);
        subproc_add_arg_format(c, "--notify-fd=%d", notify[1]);
        subproc_add_arg(c, "--sleep-ms=60000");
        subproc_set_output_buffer(c, &out);
        subproc_set_raw_status(c);
        assert_ll_equal(subproc_run_async(c, NULL), 0);

        deadline = t_monotonic_ms() + T_HANG_GUARD_MS;
        while (poll_in(notify[0], 0) == 0) {
                if (t_monotonic_ms() > deadline) {
                        subproc_abort(c);
                        close(notify[0]);
                        fail_msg("the helper could not write 1 MiB while we waited");
                }
                errno = 0;
                rc = subproc_wait_timeout(c, &status, 50);
                assert_ll_equal(rc, -1);
                assert_errno_equal(errno, ETIMEDOUT);
                slices++;
        }
        close(notify[0]);
        print_message("  1 MiB written after %d wait slices\n", slices);
        assert_true(subproc_pid(c) > 0);
        assert_ll_equal(subproc_kill(c, SIGTERM), 0);
        assert_ll_equal(subproc_wait_timeout(c, &status, (int)T_HANG_GUARD_MS), 0);
        assert_killed_by(status, SIGTERM);
        assert_bytes_equal(out, subproc_output_len(c), expected, size);
        free(expected);
        free(out);
        subproc_free(c);
}

/* ---------------------------------------------------------------------------------------
 * The rest of the lifecycle, in both modes
 * ------------------------------------------------------------------------------------- */

static void test_run_and_wait(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--stdout-bytes=300000",
                                      "--stderr-text=err", "--exit=3", NULL);
        char *out = NULL, *err = NULL, *expected = t_make_pattern(HELPER_STDOUT_SEED, 300000);
        int status = -1;

        t_enter_mode(state);
        subproc_set_output_buffer(c, &out);
        subproc_set_error_buffer(c, &err);
        assert_ll_equal(subproc_run(c, &status), 0);
        assert_ll_equal(status, 3);
        assert_bytes_equal(out, subproc_output_len(c), expected, 300000);
        assert_string_equal(err, "err");

        status = -1;
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        assert_ll_equal(subproc_wait(c, &status), 0);
        assert_ll_equal(status, 3);
        assert_bytes_equal(out, subproc_output_len(c), expected, 300000);
        assert_no_children();
        free(expected);
        free(out);
        free(err);
        subproc_free(c);
}

static void test_abort_term(void **state)
{
        subproc *c = t_helper_sleeping();
        double start;

        t_enter_mode(state);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        start = t_monotonic_ms();
        subproc_abort(c);
        assert_true(t_monotonic_ms() - start < T_HANG_GUARD_MS);
        assert_killed_by(subproc_status(c), SIGTERM);
        assert_ll_equal(subproc_pid(c), -1);
        assert_ll_equal(subproc_pidfd(c), -1);
        assert_no_children();
        subproc_free(c);
}

static void test_abort_kill(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--ignore-term", NULL);
        int notify[2];
        char ready = 0;
        double start, elapsed;

        t_enter_mode(state);
        assert_ll_equal(pipe2(notify, O_CLOEXEC), 0);
        subproc_pass_fd(c, notify[1], SUBPROC_PASS_FD_CLOSE_PARENT);
        subproc_add_arg_format(c, "--notify-fd=%d", notify[1]);
        subproc_add_arg(c, "--sleep-ms=60000");
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        assert_ll_equal(read(notify[0], &ready, 1), 1);
        close(notify[0]);
        start = t_monotonic_ms();
        subproc_abort(c);
        elapsed = t_monotonic_ms() - start;
        print_message("  abort took %.1f ms\n", elapsed);
        assert_killed_by(subproc_status(c), SIGKILL);
        /* SIGKILL after the documented 200 ms. */
        assert_true(elapsed >= 200 - T_ROUNDING_MS);
        assert_true(elapsed < T_HANG_GUARD_MS);
        assert_no_children();
        subproc_free(c);
}

/* subproc_free() of a running child that the command owns stops and reaps it. */
static void test_free_running(void **state)
{
        subproc *c = t_helper_sleeping();
        pid_t pid;
        int pidfd;

        t_enter_mode(state);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        pid = subproc_pid(c);
        pidfd = subproc_pidfd(c);
        subproc_free(c);
        assert_ll_equal(kill(pid, 0), -1);
        assert_errno_equal(errno, ESRCH);
        if (pidfd >= 0)
                assert_false(t_fd_is_open(pidfd));
        assert_no_children();
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                T_BOTH_MODES(test_pidfd_lifecycle),
                T_BOTH_MODES(test_pidfd_readable_at_exit),
                T_BOTH_MODES(test_pidfd_after_run),
                T_BOTH_MODES(test_kill_when_not_running),
                T_BOTH_MODES(test_kill_signal_zero),
                T_BOTH_MODES(test_kill_bad_signal),
                T_BOTH_MODES(test_kill_after_caller_reaped),
                T_BOTH_MODES(test_kill_recycled_pid),
                T_BOTH_MODES(test_wait_timeout_then_exit),
                T_BOTH_MODES(test_wait_timeout_status_rules),
                T_BOTH_MODES(test_wait_timeout_negative_waits),
                T_BOTH_MODES(test_wait_timeout_serves_buffers),
                T_BOTH_MODES(test_run_and_wait),
                T_BOTH_MODES(test_abort_term),
                T_BOTH_MODES(test_abort_kill),
                T_BOTH_MODES(test_free_running),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
