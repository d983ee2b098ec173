/* Tests of the handshake: the child stops just before exec, with everything applied, until the
 * caller lets it go; the caller acts on its pid meanwhile (here: prlimit).  A child that is
 * never let go, because the command was freed or the caller died, exits without running the
 * program.  Failures before the wait come from subproc_handshake_wait(), exec failures from
 * subproc_handshake_release().
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/support.h"

static void test_act_on_waiting_child(void **state)
{
        subproc *c = subproc_new(HELPER_PATH);
        struct rlimit limit = { 77, 99 };
        struct helper_report *r;
        char *out = NULL;
        int status = -1, rc;
        pid_t pid;

        subproc_set_output_buffer(c, &out);
        subproc_require_handshake(c);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        pid = subproc_pid(c);
        assert_true(pid > 0);
        rc = subproc_handshake_wait(c);
        if (rc != 0)
                print_error("handshake_wait: %s\n", subproc_errmsg());
        assert_ll_equal(rc, 0);
        /* It waits before exec: it is not the helper yet. */
        assert_false(t_is_helper(pid));
        assert_ll_equal(prlimit(pid, RLIMIT_NOFILE, &limit, NULL), 0);
        rc = subproc_handshake_release(c);
        if (rc != 0)
                print_error("handshake_release: %s\n", subproc_errmsg());
        assert_ll_equal(rc, 0);
        assert_ll_equal(subproc_wait(c, &status), 0);
        assert_ll_equal(status, 0);

        r = t_report_parse(out, subproc_output_len(c));
        assert_non_null(t_report_get(r, "report_end"));
        assert_ll_equal(t_report_get_int(r, "pid"), pid);
        assert_string_equal(t_report_get(r, "rlimit[NOFILE]"), "77:99");
        t_report_free(r);
        free(out);
        subproc_free(c);
}

static void test_release_without_wait(void **state)
{
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        char *out = NULL;
        int status = -1, rc;

        subproc_set_output_buffer(c, &out);
        subproc_require_handshake(c);
        subproc_set_umask(c, 0);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        /* release first waits. */
        rc = subproc_handshake_release(c);
        if (rc != 0)
                print_error("handshake_release: %s\n", subproc_errmsg());
        assert_ll_equal(rc, 0);
        assert_ll_equal(subproc_wait(c, &status), 0);
        assert_ll_equal(status, 0);
        r = t_report_parse(out, subproc_output_len(c));
        assert_string_equal(t_report_get(r, "umask"), "0000");
        t_report_free(r);
        free(out);
        subproc_free(c);
}

/* ---------------------------------------------------------------------------------------
 * Issue 17: the child resets only the signals /proc/self/status shows it must; a handler of
 * the caller's must still be gone before the child unblocks signals.  A signal sent to the
 * child while it waits (every signal blocked) is delivered when it unblocks just before exec:
 * with the handler still there, the caller's code would run in the child (here: exit 42);
 * reset, the signal kills it.
 * ------------------------------------------------------------------------------------- */

static void exit_42(int sig)
{
        (void)sig;
        _exit(42);
}

static void check_pending_signal_finds_default(int sig)
{
        struct sigaction handler = { .sa_handler = exit_42 }, old;
        int status = -1, r = sigaction(sig, &handler, &old);
        subproc *c;
        pid_t pid;

        if (r < 0 && errno == EINVAL && sig > SIGRTMIN) {
                /* Valgrind keeps a few real-time signals for itself. */
                print_message("  signal %d: sigaction refused here, not checked\n", sig);
                return;
        }
        assert_ll_equal(r, 0);
        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_set_raw_status(c);
        subproc_require_handshake(c);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        pid = subproc_pid(c);
        assert_ll_equal(subproc_handshake_wait(c), 0);
        assert_ll_equal(kill(pid, sig), 0);
        (void)subproc_handshake_release(c); /* it dies before exec: no report either way */
        assert_ll_equal(subproc_wait(c, &status), 0);
        assert_ll_equal(sigaction(sig, &old, NULL), 0);
        if (!WIFSIGNALED(status))
                print_error("signal %d: wait status 0x%x (exit 42: the handler ran)\n", sig,
                            (unsigned)status);
        assert_true(WIFSIGNALED(status));
        assert_ll_equal(WTERMSIG(status), sig);
        subproc_free(c);
        assert_no_children();
}

static void test_handler_reset_before_unblock(void **state)
{
        (void)state;
        check_pending_signal_finds_default(SIGUSR1);
        check_pending_signal_finds_default(SIGTERM);
        /* Above 32: the high half of SigCgt. */
        check_pending_signal_finds_default(SIGRTMIN + 10);
        check_pending_signal_finds_default(SIGRTMAX);
}

/* The child's name (its "Name:" line, the spawning thread's name) is the caller's to choose:
 * a name that looks like the mask is not the mask. */
static void test_handler_reset_whatever_the_name(void **state)
{
        char name[16] = "";

        (void)state;
        assert_int_equal(prctl(PR_GET_NAME, name, 0, 0, 0), 0);
        assert_int_equal(prctl(PR_SET_NAME, "SigCgt:\t0", 0, 0, 0), 0);
        check_pending_signal_finds_default(SIGUSR1);
        assert_int_equal(prctl(PR_SET_NAME, name, 0, 0, 0), 0);
}

/* Ignored signals reach the program at SIG_DFL, low and high ones, unless kept. */
static void check_ignored_signals(bool keep)
{
        const int sigs[] = { SIGPIPE, SIGUSR2, SIGRTMIN + 3, SIGRTMAX - 1 };
        struct sigaction ign = { .sa_handler = SIG_IGN }, old[4];
        subproc *c = subproc_new(HELPER_PATH);
        unsigned long long want = 0;
        struct helper_report *r;
        char *out = NULL;
        int status = -1;

        for (int i = 0; i < 4; i++) {
                assert_ll_equal(sigaction(sigs[i], &ign, &old[i]), 0);
                want |= 1ULL << (sigs[i] - 1);
        }
        subproc_set_output_buffer(c, &out);
        if (keep)
                subproc_keep_ignored_signals(c);
        assert_ll_equal(subproc_run(c, &status), 0);
        for (int i = 0; i < 4; i++)
                assert_ll_equal(sigaction(sigs[i], &old[i], NULL), 0);
        assert_ll_equal(status, 0);
        r = t_report_parse(out, subproc_output_len(c));
        assert_ll_equal(t_report_hex(r, "sigign") & want, keep ? want : 0);
        assert_ll_equal(t_report_hex(r, "sigcgt"), 0);
        t_report_free(r);
        free(out);
        subproc_free(c);
}

static void test_ignored_signals_reset_or_kept(void **state)
{
        (void)state;
        check_ignored_signals(false);
        check_ignored_signals(true);
}

/* ---------------------------------------------------------------------------------------
 * Never let go: the program never runs
 * ------------------------------------------------------------------------------------- */

static subproc *marker_writer(const char *marker)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);

        subproc_add_arg_format(c, "--write-file=%s", marker);
        subproc_require_handshake(c);
        return c;
}

static void test_free_owned_without_release(void **state)
{
        char *dir = t_open_dir(), *marker = t_path(dir, "ran");
        const char *const names[] = { "ran", NULL };
        subproc *c = marker_writer(marker);
        pid_t pid;

        /* The command owns the child: free stops it. */
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        assert_ll_equal(subproc_handshake_wait(c), 0);
        pid = subproc_pid(c);
        subproc_free(c);
        assert_true(t_exited(pid));
        assert_no_children();
        assert_false(t_file_exists(marker));
        free(marker);
        t_remove_dir(dir, names);
}

/* The pid was handed out: free leaves the child alone, and the child, never let go, must exit
 * by itself without running the program (with or without a handshake_wait() first). */
static void test_free_handed_out_without_release(void **state)
{
        char *dir = t_open_dir(), *marker = t_path(dir, "ran");
        const char *const names[] = { "ran", NULL };

        for (int waited = 1; waited >= 0; waited--) {
                subproc *c = marker_writer(marker);
                int status;
                pid_t pid;

                assert_ll_equal(subproc_run_async(c, &pid), 0);
                if (waited)
                        assert_ll_equal(subproc_handshake_wait(c), 0);
                subproc_free(c);
                status = t_reap(pid, T_HANG_GUARD_SHORT_MS);
                assert_true(WIFEXITED(status));
                assert_false(t_file_exists(marker));
        }
        free(marker);
        t_remove_dir(dir, names);
}

static void test_caller_dies_without_release(void **state)
{
        char *dir = t_open_dir(), *marker = t_path(dir, "ran");
        const char *const names[] = { "ran", NULL };
        subproc *c = marker_writer(marker);
        int report[2], status;
        pid_t middle;
        long pid = -1;

        t_become_subreaper();
        assert_ll_equal(pipe2(report, O_CLOEXEC), 0);
        middle = fork();
        assert_true(middle >= 0);
        if (middle == 0) {
                pid_t child = -1;

                close(report[0]);
                if (subproc_run_async(c, &child) == 0 && subproc_handshake_wait(c) == 0)
                        pid = child;
                if (write(report[1], &pid, sizeof pid) != sizeof pid)
                        _exit(2);
                for (;;)
                        pause();
        }
        close(report[1]);
        t_read_exact(report[0], &pid, sizeof pid, T_HANG_GUARD_SHORT_MS);
        close(report[0]);
        assert_true(pid > 0);

        assert_ll_equal(kill(middle, SIGKILL), 0);
        status = t_reap(middle, T_HANG_GUARD_SHORT_MS);
        assert_true(WIFSIGNALED(status));
        /* We adopted the waiting child: it ends without running the program. */
        status = t_reap((pid_t)pid, T_HANG_GUARD_SHORT_MS);
        assert_true(WIFEXITED(status));
        assert_false(t_file_exists(marker));
        subproc_free(c);
        free(marker);
        t_remove_dir(dir, names);
}

/* ---------------------------------------------------------------------------------------
 * Failures
 * ------------------------------------------------------------------------------------- */

static void test_exec_failure_reported_by_release(void **state)
{
        subproc *c = subproc_new_args("/nonexistent/subproc-binary", NULL);
        int rc;

        subproc_require_handshake(c);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        assert_ll_equal(subproc_handshake_wait(c), 0);
        errno = 0;
        rc = subproc_handshake_release(c);
        assert_ll_equal(rc, -1);
        assert_errno_equal(errno, ENOENT);
        assert_contains(subproc_errmsg(), "exec");
        assert_contains(subproc_errmsg(), "/nonexistent/subproc-binary");
        assert_ll_equal(subproc_errstage(), SUBPROC_STAGE_EXEC);
        /* The child was reaped. */
        assert_ll_equal(subproc_pid(c), -1);
        assert_no_children();
        subproc_free(c);
}

static void test_setup_failure_reported_by_wait(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        int rc;

        subproc_set_cwd(c, "/nonexistent/subproc-dir");
        subproc_require_handshake(c);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        errno = 0;
        rc = subproc_handshake_wait(c);
        assert_ll_equal(rc, -1);
        assert_errno_equal(errno, ENOENT);
        assert_contains(subproc_errmsg(), "chdir");
        assert_ll_equal(subproc_pid(c), -1);
        assert_no_children();
        subproc_free(c);
}

static void test_handshake_misuse(void **state)
{
        char *dir = t_open_dir(), *marker = t_path(dir, "ran");
        const char *const names[] = { "ran", NULL };
        subproc *c;

        /* Only with subproc_run_async(). */
        c = marker_writer(marker);
        assert_run_fails(c, EINVAL, NULL);
        assert_false(t_file_exists(marker));
        subproc_free(c);

        /* A daemon with a handshake starts with subproc_run() only (test-daemon.c). */
        c = marker_writer(marker);
        subproc_daemonize(c);
        assert_run_async_fails(c, EINVAL, "subproc_run");
        assert_false(t_file_exists(marker));
        subproc_free(c);

        /* Twice is once: a switch may be repeated (include/subproc.h, "Construction"). */
        c = marker_writer(marker);
        subproc_require_handshake(c);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        assert_false(t_file_exists(marker));
        assert_ll_equal(subproc_handshake_release(c), 0);
        assert_ll_equal(subproc_wait(c, NULL), 0);
        assert_true(t_file_exists(marker));
        assert_ll_equal(unlink(marker), 0);
        subproc_free(c);

        /* Wait and release without a handshake, or before the run. */
        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        errno = 0;
        assert_ll_equal(subproc_handshake_wait(c), -1);
        assert_errno_equal(errno, EINVAL);
        errno = 0;
        assert_ll_equal(subproc_handshake_release(c), -1);
        assert_errno_equal(errno, EINVAL);
        subproc_free(c);
        c = marker_writer(marker);
        errno = 0;
        assert_ll_equal(subproc_handshake_wait(c), -1);
        assert_errno_equal(errno, EINVAL);
        subproc_free(c);
        free(marker);
        t_remove_dir(dir, names);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                T_TEST(test_act_on_waiting_child),
                T_TEST(test_release_without_wait),
                T_TEST(test_handler_reset_before_unblock),
                T_TEST(test_handler_reset_whatever_the_name),
                T_TEST(test_ignored_signals_reset_or_kept),
                T_TEST(test_free_owned_without_release),
                T_TEST(test_free_handed_out_without_release),
                T_TEST(test_caller_dies_without_release),
                T_TEST(test_exec_failure_reported_by_release),
                T_TEST(test_setup_failure_reported_by_wait),
                T_TEST(test_handshake_misuse),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
