/* Tests of status reporting, async runs, waiting, aborting, reaping and reruns.
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
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/support.h"

static subproc *helper_killing_itself(int sig)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);

        subproc_add_arg_format(c, "--kill-self=%d", sig);
        return c;
}

static bool signal_named(const char *msg, int sig)
{
        const char *abbrev = t_sigabbrev(sig);
        char number[16];

        snprintf(number, sizeof number, "%d", sig);
        return strstr(msg, number) != NULL || (abbrev && strstr(msg, abbrev) != NULL) ||
               strstr(msg, strsignal(sig)) != NULL;
}

/* ---------------------------------------------------------------------------------------
 * Status rules
 * ------------------------------------------------------------------------------------- */

static void test_nonzero_exit_is_error_without_status(void **state)
{
        /* The code (42) appears only in the message's status part, not in the command line. */
        subproc *c = subproc_new_args("/bin/sh", "-c", "exit $((6*7))", NULL);

        assert_run_fails(c, EIO, "42");
        /* The message names the command line. */
        assert_contains(subproc_errmsg(), "/bin/sh");
        assert_contains(subproc_errmsg(), "exit");
        assert_true(WIFEXITED(subproc_status(c)));
        assert_ll_equal(WEXITSTATUS(subproc_status(c)), 42);
        subproc_free(c);

        c = t_helper_exiting(3);
        assert_run_fails(c, EIO, "--exit=3");
        assert_contains(subproc_errmsg(), HELPER_PATH);
        subproc_free(c);
}

static void test_error_message_has_stderr_tail(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--stderr-bytes=100000",
                                      "--stderr-text=THE-END-OF-STDERR", "--exit=42", NULL);
        char *out, *err;

        subproc_set_output_buffer(c, &out);
        subproc_set_error_buffer(c, &err);
        assert_run_fails(c, EIO, "THE-END-OF-STDERR");
        /* The tail only: not all 100000 bytes. */
        assert_true(strlen(subproc_errmsg()) < 100000);
        assert_ll_equal(subproc_error_len(c), 100000 + strlen("THE-END-OF-STDERR"));
        free(out);
        free(err);
        subproc_free(c);
}

static void test_exit_code_with_status(void **state)
{
        static const int codes[] = { 0, 1, 3, 127, 255 };

        for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
                subproc *c = t_helper_exiting(codes[i]);
                int status = -1;

                assert_ll_equal(subproc_run(c, &status), 0);
                assert_ll_equal(status, codes[i]);
                subproc_free(c);
        }
}

static void test_zero_exit_without_status(void **state)
{
        subproc *c = t_helper_exiting(0);

        assert_ll_equal(subproc_run(c, NULL), 0);
        subproc_free(c);
}

static void test_signal_death_is_error(void **state)
{
        /* The signal (15) appears only in the message's status part, not in the command
         * line. */
        subproc *c = subproc_new_args("/bin/sh", "-c", "kill -$((3*5)) $$", NULL);
        int status = 1234, rc, saved_errno;

        errno = 0;
        rc = subproc_run(c, &status);
        saved_errno = errno;
        assert_ll_equal(rc, -1);
        assert_errno_equal(saved_errno, EIO);
        if (!signal_named(subproc_errmsg(), SIGTERM))
                fail_msg("message does not name SIGTERM: %s", subproc_errmsg());
        assert_contains(subproc_errmsg(), "/bin/sh");
        assert_true(WIFSIGNALED(subproc_status(c)));

        assert_run_fails(c, EIO, NULL);
        if (!signal_named(subproc_errmsg(), SIGTERM))
                fail_msg("message does not name SIGTERM: %s", subproc_errmsg());
        subproc_free(c);
}

static void test_raw_status(void **state)
{
        subproc *killed = helper_killing_itself(SIGTERM);
        subproc *exited = t_helper_exiting(3);
        int status = -1;

        subproc_set_raw_status(killed);
        assert_ll_equal(subproc_run(killed, &status), 0);
        assert_true(WIFSIGNALED(status));
        assert_ll_equal(WTERMSIG(status), SIGTERM);

        subproc_set_raw_status(exited);
        status = -1;
        assert_ll_equal(subproc_run(exited, &status), 0);
        assert_true(WIFEXITED(status));
        assert_ll_equal(WEXITSTATUS(status), 3);
        /* No status is an error, even without a place to store it. */
        assert_ll_equal(subproc_run(exited, NULL), 0);
        assert_ll_equal(subproc_run(killed, NULL), 0);

        subproc_free(exited);
        subproc_free(killed);
}

static void test_status_of_last_run(void **state)
{
        subproc *exited = t_helper_exiting(3);
        subproc *killed = helper_killing_itself(SIGUSR2);
        int status;

        assert_ll_equal(subproc_status(exited), -1);
        assert_ll_equal(subproc_run(exited, &status), 0);
        assert_true(WIFEXITED(subproc_status(exited)));
        assert_ll_equal(WEXITSTATUS(subproc_status(exited)), 3);

        assert_ll_equal(subproc_status(killed), -1);
        assert_ll_equal(subproc_run(killed, &status), -1);
        assert_true(WIFSIGNALED(subproc_status(killed)));
        assert_ll_equal(WTERMSIG(subproc_status(killed)), SIGUSR2);
        subproc_free(killed);
        subproc_free(exited);
}

/* subproc_status() is the last finished run's: a rerun that is under way, a start that fails
 * and a broken command do not take it away (review of issue 13: they made it -1). */
static void test_status_kept_until_a_run_finishes(void **state)
{
        subproc *c = t_helper_exiting(3);
        char *out = NULL;
        int status;

        subproc_set_output_buffer(c, &out);
        assert_ll_equal(subproc_run(c, &status), 0);
        assert_ll_equal(status, 3);
        assert_true(WIFEXITED(subproc_status(c)));
        assert_ll_equal(WEXITSTATUS(subproc_status(c)), 3);

        /* Started again: until it is reaped, the last finished run is the first. */
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        assert_ll_equal(WEXITSTATUS(subproc_status(c)), 3);
        assert_ll_equal(subproc_wait(c, &status), 0);
        assert_ll_equal(WEXITSTATUS(subproc_status(c)), 3);

        /* A start that fails finishes no run; its capture is "". */
        subproc_set_cwd(c, "/nonexistent/subproc-dir");
        assert_run_fails(c, ENOENT, "chdir");
        assert_true(WIFEXITED(subproc_status(c)));
        assert_ll_equal(WEXITSTATUS(subproc_status(c)), 3);
        assert_non_null(out);
        assert_string_equal(out, "");
        assert_ll_equal(subproc_output_len(c), 0);

        /* Nor does a broken command. */
        subproc_add_arg(c, NULL);
        assert_run_fails(c, EINVAL, "argument");
        assert_true(WIFEXITED(subproc_status(c)));
        assert_ll_equal(WEXITSTATUS(subproc_status(c)), 3);
        subproc_free(c);
        free(out);
}

/* The same for a run with nothing to serve, whose exec report is read only after the child's
 * exit (issue 17): the failed child is reaped by the wait, yet its start finishes no run; its
 * status (127) and its usage do not replace the last run's. */
static void test_plain_failed_start_keeps_status_and_usage(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--burn-cpu-ms=150", "--exit=3",
                                      NULL);
        struct rusage before, after;
        int status;

        (void)state;
        assert_ll_equal(subproc_run(c, &status), 0);
        assert_ll_equal(status, 3);
        assert_ll_equal(subproc_rusage(c, &before), 0);
        /* The burn shows: the usage is the helper's. */
        assert_true(before.ru_utime.tv_sec * 1000000 + before.ru_utime.tv_usec +
                            before.ru_stime.tv_sec * 1000000 + before.ru_stime.tv_usec >=
                    100000);

        subproc_set_cwd(c, "/nonexistent/subproc-dir");
        assert_run_fails(c, ENOENT, "chdir");
        assert_true(WIFEXITED(subproc_status(c)));
        assert_ll_equal(WEXITSTATUS(subproc_status(c)), 3);
        assert_ll_equal(subproc_rusage(c, &after), 0);
        assert_memory_equal(&after.ru_utime, &before.ru_utime, sizeof before.ru_utime);
        assert_memory_equal(&after.ru_stime, &before.ru_stime, sizeof before.ru_stime);
        assert_ll_equal(after.ru_maxrss, before.ru_maxrss);
        subproc_free(c);
}

/* A command broken (a deferred error) while its child runs: the failed run leaves that child
 * to the command, which still waits for it, with its output captured (review of issue 13:
 * the failed run forgot the child, which the free then left running, unreaped). */
static void test_broken_while_running_keeps_the_child(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--sleep-ms=100",
                                      "--stdout-bytes=5", NULL);
        char *out = NULL;
        int rc, saved_errno;
        pid_t pid;

        subproc_set_output_buffer(c, &out);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        pid = subproc_pid(c);
        assert_true(pid > 0);
        subproc_add_arg(c, NULL);
        errno = 0;
        rc = subproc_run(c, NULL);
        saved_errno = errno;
        assert_ll_equal(rc, -1);
        assert_errno_equal(saved_errno, EINVAL);
        assert_contains(subproc_errmsg(), "argument");
        assert_ll_equal(subproc_pid(c), pid);
        assert_ll_equal(subproc_wait(c, NULL), 0);
        assert_non_null(out);
        assert_ll_equal(subproc_output_len(c), 5);
        subproc_free(c);
        free(out);
        assert_no_children();
}

/* A wait that fails (here poll(), given more fds than RLIMIT_NOFILE allows) ends the child,
 * and the run has no status: subproc_status() is -1, not that of the abort's signal (review
 * of issue 13: the restructure kept the abort's). */
static void test_failed_wait_leaves_no_status(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--sleep-ms=60000", NULL);
        struct rlimit saved, low;
        char *out = NULL;
        int rc, saved_errno;

        subproc_set_output_buffer(c, &out);
        for (int i = 0; i < 4; i++)
                assert_true(subproc_add_send_buffer(c, "x", 1) >= 3);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        assert_ll_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
        low = saved;
        low.rlim_cur = 3;
        assert_ll_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
        errno = 0;
        /* A bound only against a hang where poll() would not fail. */
        rc = subproc_wait_timeout(c, NULL, 20000);
        saved_errno = errno;
        assert_ll_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
        assert_ll_equal(rc, -1);
        assert_errno_equal(saved_errno, EINVAL);
        assert_contains(subproc_errmsg(), "poll");
        assert_ll_equal(subproc_pid(c), -1);
        assert_ll_equal(subproc_status(c), -1);
        assert_no_children();
        subproc_free(c);
        free(out);
}

static void test_wait_has_the_same_rules(void **state)
{
        subproc *exited = t_helper_exiting(3);
        subproc *killed = helper_killing_itself(SIGTERM);
        int status = -1, rc, saved_errno;

        assert_ll_equal(subproc_run_async(exited, NULL), 0);
        errno = 0;
        rc = subproc_wait(exited, NULL);
        saved_errno = errno;
        assert_ll_equal(rc, -1);
        assert_errno_equal(saved_errno, EIO);
        assert_contains(subproc_errmsg(), "3");

        assert_ll_equal(subproc_run_async(exited, NULL), 0);
        assert_ll_equal(subproc_wait(exited, &status), 0);
        assert_ll_equal(status, 3);

        assert_ll_equal(subproc_run_async(killed, NULL), 0);
        errno = 0;
        rc = subproc_wait(killed, &status);
        saved_errno = errno;
        assert_ll_equal(rc, -1);
        assert_errno_equal(saved_errno, EIO);

        subproc_set_raw_status(killed);
        assert_ll_equal(subproc_run_async(killed, NULL), 0);
        status = -1;
        assert_ll_equal(subproc_wait(killed, &status), 0);
        assert_true(WIFSIGNALED(status));
        assert_ll_equal(WTERMSIG(status), SIGTERM);

        subproc_free(killed);
        subproc_free(exited);
}

/* ---------------------------------------------------------------------------------------
 * Async runs and reaping
 * ------------------------------------------------------------------------------------- */

static void test_async_then_wait(void **state)
{
        int read_fd, release_fd, status = -1;
        subproc *c = t_helper_until_released(4, &read_fd, &release_fd);
        char exe_link[64], exe[PATH_MAX], helper[PATH_MAX];
        ssize_t exe_len;
        pid_t pid = -1;

        assert_ll_equal(subproc_pid(c), -1);
        assert_ll_equal(subproc_run_async(c, &pid), 0);
        assert_true(pid > 0);
        assert_ll_equal(subproc_pid(c), pid);
        /* A real child of ours, still running, and already the helper: run_async() returns
         * after the exec. */
        assert_ll_equal(kill(pid, 0), 0);
        assert_ll_equal(waitpid(pid, NULL, WNOHANG), 0);
        snprintf(exe_link, sizeof exe_link, "/proc/%ld/exe", (long)pid);
        exe_len = readlink(exe_link, exe, sizeof exe - 1);
        assert_true(exe_len > 0);
        exe[exe_len] = '\0';
        assert_non_null(realpath(HELPER_PATH, helper));
        assert_string_equal(exe, helper);
        close(release_fd);
        assert_ll_equal(subproc_wait(c, &status), 0);
        assert_ll_equal(status, 4);
        assert_ll_equal(subproc_pid(c), -1);
        assert_true(WIFEXITED(subproc_status(c)));
        close(read_fd);
        subproc_free(c);
}

static void test_async_without_pid_pointer(void **state)
{
        int read_fd, release_fd, status = -1;
        subproc *c = t_helper_until_released(0, &read_fd, &release_fd);

        assert_ll_equal(subproc_run_async(c, NULL), 0);
        assert_true(subproc_pid(c) > 0);
        close(release_fd);
        assert_ll_equal(subproc_wait(c, &status), 0);
        assert_ll_equal(status, 0);
        close(read_fd);
        subproc_free(c);
}

static void test_free_reaps_owned_child(void **state)
{
        subproc *c = t_helper_sleeping();
        double start;
        pid_t pid;

        assert_ll_equal(subproc_run_async(c, NULL), 0);
        pid = subproc_pid(c);
        assert_true(pid > 0);
        start = t_monotonic_ms();
        subproc_free(c);
        assert_true(t_monotonic_ms() - start < T_HANG_GUARD_MS);
        /* Killed and reaped: gone, not a zombie. */
        assert_ll_equal(kill(pid, 0), -1);
        assert_errno_equal(errno, ESRCH);
        assert_no_children();
}

static void test_free_leaves_handed_out_child(void **state)
{
        int read_fd, release_fd, status = -1;
        subproc *c = t_helper_until_released(5, &read_fd, &release_fd);
        pid_t pid = -1;

        assert_ll_equal(subproc_run_async(c, &pid), 0);
        assert_true(pid > 0);
        subproc_free(c);
        close(read_fd);
        /* Still running: it waits for our release. */
        assert_ll_equal(waitpid(pid, NULL, WNOHANG), 0);
        close(release_fd);
        /* It exits normally, so nothing signalled it. */
        assert_ll_equal(subproc_pid_wait(pid, &status, false), 0);
        assert_ll_equal(status, 5);
}

static void test_pid_wait_rules(void **state)
{
        subproc *c;
        pid_t pid = -1;
        int status = -1, rc, saved_errno;

        c = t_helper_exiting(4);
        assert_ll_equal(subproc_run_async(c, &pid), 0);
        subproc_free(c);
        errno = 0;
        rc = subproc_pid_wait(pid, NULL, false);
        saved_errno = errno;
        assert_ll_equal(rc, -1);
        assert_errno_equal(saved_errno, EIO);
        assert_no_children();

        c = helper_killing_itself(SIGTERM);
        assert_ll_equal(subproc_run_async(c, &pid), 0);
        subproc_free(c);
        errno = 0;
        rc = subproc_pid_wait(pid, &status, false);
        saved_errno = errno;
        assert_ll_equal(rc, -1);
        assert_errno_equal(saved_errno, EIO);
        assert_no_children();

        c = helper_killing_itself(SIGTERM);
        assert_ll_equal(subproc_run_async(c, &pid), 0);
        subproc_free(c);
        status = -1;
        assert_ll_equal(subproc_pid_wait(pid, &status, true), 0);
        assert_true(WIFSIGNALED(status));
        assert_ll_equal(WTERMSIG(status), SIGTERM);

        c = t_helper_exiting(6);
        assert_ll_equal(subproc_run_async(c, &pid), 0);
        subproc_free(c);
        status = -1;
        assert_ll_equal(subproc_pid_wait(pid, &status, true), 0);
        assert_true(WIFEXITED(status));
        assert_ll_equal(WEXITSTATUS(status), 6);
}

static void test_pid_wait_not_a_child(void **state)
{
        int status = -1, rc, saved_errno;

        errno = 0;
        rc = subproc_pid_wait(getppid(), &status, false);
        saved_errno = errno;
        assert_ll_equal(rc, -1);
        assert_errno_equal(saved_errno, ECHILD);
}

static int usr1_count;

static void count_usr1(int sig)
{
        usr1_count++;
}

static void test_pid_wait_retries_eintr(void **state)
{
        struct sigaction old_usr1, sa = { .sa_handler = count_usr1 };
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--sleep-ms=50", NULL);
        pid_t pid = -1;
        int status = -1, rc;

        /* No SA_RESTART: the signal interrupts waitpid() while subproc_pid_wait() waits. */
        sigemptyset(&sa.sa_mask);
        sigaction(SIGUSR1, &sa, &old_usr1);
        usr1_count = 0;
        subproc_add_arg_format(c, "--signal-parent=%d", SIGUSR1);
        subproc_add_args(c, "--sleep-ms=50", "--exit=6", NULL);
        assert_ll_equal(subproc_run_async(c, &pid), 0);
        subproc_free(c);
        rc = subproc_pid_wait(pid, &status, false);
        sigaction(SIGUSR1, &old_usr1, NULL);
        assert_ll_equal(rc, 0);
        assert_ll_equal(status, 6);
        assert_ll_equal(usr1_count, 1);
}

/* ---------------------------------------------------------------------------------------
 * Running states and reruns
 * ------------------------------------------------------------------------------------- */

static void test_wait_when_nothing_runs(void **state)
{
        subproc *c = t_helper_exiting(0);
        int status = -1, rc, saved_errno;

        errno = 0;
        rc = subproc_wait(c, &status);
        saved_errno = errno;
        assert_ll_equal(rc, -1);
        assert_errno_equal(saved_errno, ECHILD);

        assert_ll_equal(subproc_run(c, NULL), 0);
        errno = 0;
        rc = subproc_wait(c, NULL);
        saved_errno = errno;
        assert_ll_equal(rc, -1);
        assert_errno_equal(saved_errno, ECHILD);

        assert_ll_equal(subproc_run_async(c, NULL), 0);
        assert_ll_equal(subproc_wait(c, NULL), 0);
        errno = 0;
        rc = subproc_wait(c, NULL);
        saved_errno = errno;
        assert_ll_equal(rc, -1);
        assert_errno_equal(saved_errno, ECHILD);
        subproc_free(c);
}

static void test_run_while_running_is_ebusy(void **state)
{
        int read_fd, release_fd, status = -1, rc, saved_errno;
        subproc *c = t_helper_until_released(0, &read_fd, &release_fd);
        pid_t pid = -1, second = -1;
        char *text;

        assert_ll_equal(subproc_run_async(c, &pid), 0);
        errno = 0;
        rc = subproc_run_async(c, &second);
        saved_errno = errno;
        assert_ll_equal(rc, -1);
        assert_errno_equal(saved_errno, EBUSY);
        errno = 0;
        rc = subproc_run(c, &status);
        saved_errno = errno;
        assert_ll_equal(rc, -1);
        assert_errno_equal(saved_errno, EBUSY);
        /* The first run is intact. */
        assert_ll_equal(subproc_pid(c), pid);
        text = subproc_to_string(c, false);
        assert_non_null(text);
        free(text);
        close(release_fd);
        assert_ll_equal(subproc_wait(c, &status), 0);
        assert_ll_equal(status, 0);
        assert_no_children();
        close(read_fd);
        subproc_free(c);
}

static void test_rerun_same_result(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--", "arg one", "", NULL);
        struct helper_report *first, *second;
        char *out = NULL;
        int status = -1;

        subproc_env_set(c, "ONLY", "this");
        first = t_run_report(c, &out);
        second = t_run_report_again(c, &out);
        assert_string_equal(t_report_get(first, "argv[2]"), "arg one");
        assert_string_equal(t_report_get(second, "argv[2]"), "arg one");
        assert_ll_equal(t_report_get_int(second, "argc"), t_report_get_int(first, "argc"));
        assert_ll_equal(t_report_env_count(second), 1);
        assert_string_equal(t_report_env(second, "ONLY"), "this");
        assert_true(t_report_get_int(first, "pid") != t_report_get_int(second, "pid"));
        t_report_free(first);
        t_report_free(second);

        /* A failing status is the same every time too, sync or async. */
        subproc_free(c);
        c = t_helper_exiting(3);
        for (int i = 0; i < 3; i++) {
                status = -1;
                assert_ll_equal(subproc_run(c, &status), 0);
                assert_ll_equal(status, 3);
                status = -1;
                assert_ll_equal(subproc_run_async(c, NULL), 0);
                assert_ll_equal(subproc_wait(c, &status), 0);
                assert_ll_equal(status, 3);
                assert_run_fails(c, EIO, "3");
        }
        subproc_free(c);
}

static void test_rerun_does_not_repass_closed_fd(void **state)
{
        int fds[2], passed;
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        char expected[32], *out, *fd_set;

        assert_ll_equal(pipe2(fds, O_CLOEXEC), 0);
        /* High, so that nothing else reuses the number once it is closed. */
        passed = fcntl(fds[1], F_DUPFD_CLOEXEC, 500);
        assert_true(passed >= 500);
        close(fds[1]);
        subproc_pass_fd(c, passed, SUBPROC_PASS_FD_CLOSE_PARENT);

        r = t_run_report(c, &out);
        snprintf(expected, sizeof expected, "0 1 2 %d", passed);
        fd_set = t_report_fd_set(r);
        assert_string_equal(fd_set, expected);
        free(fd_set);
        t_report_free(r);
        assert_false(t_fd_is_open(passed));

        /* The second run neither fails with EBADF nor passes anything. */
        r = t_run_report_again(c, &out);
        fd_set = t_report_fd_set(r);
        assert_string_equal(fd_set, "0 1 2");
        free(fd_set);
        t_report_free(r);
        close(fds[0]);
        subproc_free(c);
}

static void test_rerun_repasses_kept_fd(void **state)
{
        int fds[2];
        subproc *c = subproc_new(HELPER_PATH);
        char expected[32], *out;

        assert_ll_equal(pipe2(fds, O_CLOEXEC), 0);
        subproc_pass_fd(c, fds[1], 0);
        snprintf(expected, sizeof expected, "0 1 2 %d", fds[1]);
        for (int i = 0; i < 2; i++) {
                struct helper_report *r = i == 0 ? t_run_report(c, &out)
                                                 : t_run_report_again(c, &out);
                char *fd_set = t_report_fd_set(r);

                assert_string_equal(fd_set, expected);
                free(fd_set);
                t_report_free(r);
                assert_true(t_fd_is_open(fds[1]));
        }
        close(fds[0]);
        close(fds[1]);
        subproc_free(c);
}

static void test_free_closes_pending_close_parent_fd(void **state)
{
        int fds[2];
        subproc *c = subproc_new(HELPER_PATH);

        assert_ll_equal(pipe2(fds, O_CLOEXEC), 0);
        subproc_pass_fd(c, fds[0], SUBPROC_PASS_FD_CLOSE_PARENT);
        assert_true(t_fd_is_open(fds[0]));
        subproc_free(c);
        assert_false(t_fd_is_open(fds[0]));
        close(fds[1]);
}

static void test_pid_is_minus_one_when_idle(void **state)
{
        subproc *c = t_helper_exiting(0);

        assert_ll_equal(subproc_pid(c), -1);
        assert_ll_equal(subproc_run(c, NULL), 0);
        assert_ll_equal(subproc_pid(c), -1);
        subproc_free(c);
        c = subproc_new("/nonexistent/subproc-binary");
        assert_run_fails(c, ENOENT, "exec");
        assert_ll_equal(subproc_pid(c), -1);
        subproc_free(c);
}

/* subproc_try_wait(): 0 while the child runs, with errno and the message untouched (issue 16:
 * a poll with subproc_wait_timeout(c, &st, 0) clobbered the caller's errno from ppoll()); 1
 * once it has exited, its buffer complete; then ECHILD. */
static void test_try_wait(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--sleep-ms=150",
                                      "--stdout-bytes=5", "--exit=3", NULL);
        double start = t_monotonic_ms();
        char *out = NULL;
        int r, st = -1, running = 0;

        subproc_set_output_buffer(c, &out);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        for (;;) {
                errno = EINTR;
                r = subproc_try_wait(c, &st);
                if (r != 0)
                        break;
                assert_errno_equal(errno, EINTR);
                running++;
                assert_true(t_monotonic_ms() - start < T_HANG_GUARD_MS);
                usleep(10 * 1000);
        }
        assert_ll_equal(r, 1);
        assert_true(running > 0);
        assert_ll_equal(st, 3);
        assert_ll_equal(subproc_output_len(c), 5);
        assert_ll_equal(subproc_pid(c), -1);
        errno = 0;
        assert_ll_equal(subproc_try_wait(c, &st), -1);
        assert_errno_equal(errno, ECHILD);
        /* Without a place for the status, a non-zero exit is an error, as for subproc_wait(). */
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        while ((r = subproc_try_wait(c, NULL)) == 0)
                usleep(10 * 1000);
        assert_ll_equal(r, -1);
        assert_errno_equal(errno, EIO);
        assert_contains(subproc_errmsg(), "exit status 3");
        subproc_free(c);
        free(out);
}

/* subproc_free_wait(): waits (never signals), then frees. */
static void test_free_wait(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--sleep-ms=100", "--exit=4",
                                      NULL);
        int st = -1;

        assert_ll_equal(subproc_run_async(c, NULL), 0);
        assert_ll_equal(subproc_free_wait(c, &st), 0);
        assert_ll_equal(st, 4);
        assert_no_children();
        /* Nothing ran: 0, and still freed (the leak check of the teardown sees it). */
        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        assert_ll_equal(subproc_free_wait(c, NULL), 0);
        assert_ll_equal(subproc_free_wait(NULL, NULL), 0);
}

/* subproc_no_pidfd(): a running command holds no fd (issue 16: two fds per child made
 * `ninja -j600` fail under ulimit -n 1024), and still waits, times out and is killed. */
static void test_no_pidfd_holds_no_fd(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--sleep-ms=100", NULL);
        size_t before, during;
        int *fds;
        int st = -1;

        subproc_no_pidfd(c);
        free(t_list_fds(&before));
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        fds = t_list_fds(&during);
        free(fds);
        assert_ll_equal(during, before);
        assert_ll_equal(subproc_pidfd(c), -1);
        assert_ll_equal(subproc_wait(c, &st), 0);
        assert_ll_equal(st, 0);
        /* A timeout still ends it. */
        subproc_free(c);
        c = subproc_new_args(HELPER_PATH, "--no-report", "--sleep-ms=60000", NULL);
        subproc_no_pidfd(c);
        subproc_set_timeout(c, 50, 0);
        assert_run_fails(c, ETIMEDOUT, "timed out");
        subproc_free(c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                T_TEST(test_nonzero_exit_is_error_without_status),
                T_TEST(test_error_message_has_stderr_tail),
                T_TEST(test_exit_code_with_status),
                T_TEST(test_zero_exit_without_status),
                T_TEST(test_signal_death_is_error),
                T_TEST(test_raw_status),
                T_TEST(test_status_of_last_run),
                T_TEST(test_status_kept_until_a_run_finishes),
                T_TEST(test_plain_failed_start_keeps_status_and_usage),
                T_TEST(test_broken_while_running_keeps_the_child),
                T_TEST(test_failed_wait_leaves_no_status),
                T_TEST(test_wait_has_the_same_rules),
                T_TEST(test_async_then_wait),
                T_TEST(test_async_without_pid_pointer),
                T_TEST(test_free_reaps_owned_child),
                T_TEST(test_free_leaves_handed_out_child),
                T_TEST(test_pid_wait_rules),
                T_TEST(test_pid_wait_not_a_child),
                T_TEST(test_pid_wait_retries_eintr),
                T_TEST(test_wait_when_nothing_runs),
                T_TEST(test_run_while_running_is_ebusy),
                T_TEST(test_rerun_same_result),
                T_TEST(test_rerun_does_not_repass_closed_fd),
                T_TEST(test_rerun_repasses_kept_fd),
                T_TEST(test_free_closes_pending_close_parent_fd),
                T_TEST(test_pid_is_minus_one_when_idle),
                T_TEST(test_try_wait),
                T_TEST(test_free_wait),
                T_TEST(test_no_pidfd_holds_no_fd),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
