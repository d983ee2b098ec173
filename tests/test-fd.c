/* Tests of the child's fds: passed fds, SUBPROC_PASS_FD_CLOSE_PARENT, and closing every other
 * fd with close_range() or its fallbacks, also under a high RLIMIT_NOFILE.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "support/support.h"

/* The library's test knobs: a knob renamed or removed fails this build. */
#include "src/test-knobs.h"

static const char *const close_method_names[] = { "close_range", "/proc/self/fd walk",
                                                  "bounded loop" };

/* ---------------------------------------------------------------------------------------
 * Passed fds
 * ------------------------------------------------------------------------------------- */

static void test_pass_fds(void **state)
{
        int cloexec_pipe[2], plain_pipe[2], leaky[16];
        size_t n_leaky = t_open_leaky_fds(leaky, -1);
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        char expected[64], *identity;

        assert_ll_equal(pipe2(cloexec_pipe, O_CLOEXEC), 0);
        assert_ll_equal(pipe(plain_pipe), 0);
        subproc_pass_fd(c, cloexec_pipe[1], 0);
        subproc_pass_fd(c, plain_pipe[0], 0);
        r = t_run_report_file(c);

        snprintf(expected, sizeof expected, "0 1 2 %d %d",
                 cloexec_pipe[1] < plain_pipe[0] ? cloexec_pipe[1] : plain_pipe[0],
                 cloexec_pipe[1] < plain_pipe[0] ? plain_pipe[0] : cloexec_pipe[1]);
        t_check_fd_set(r, expected);
        /* The very same open files, under the same numbers. */
        identity = t_fd_identity(cloexec_pipe[1]);
        assert_string_equal(t_report_getf(r, "fdstat[%d]", cloexec_pipe[1]), identity);
        free(identity);
        identity = t_fd_identity(plain_pipe[0]);
        assert_string_equal(t_report_getf(r, "fdstat[%d]", plain_pipe[0]), identity);
        free(identity);
        /* The caller keeps its fds, and its close-on-exec flag is untouched. */
        assert_true(fcntl(cloexec_pipe[1], F_GETFD) & FD_CLOEXEC);
        assert_false(fcntl(plain_pipe[0], F_GETFD) & FD_CLOEXEC);
        t_report_free(r);
        subproc_free(c);
        t_close_fds(cloexec_pipe, 2);
        t_close_fds(plain_pipe, 2);
        t_close_fds(leaky, n_leaky);
}

/* "0 1 2" and every fd of ours above 2 without close-on-exec, as the helper reports a set. */
static char *inherited_fd_set(void)
{
        size_t n, kept = 0;
        int *fds = t_list_fds(&n);
        char *set;

        for (size_t i = 0; i < n; i++)
                if (fds[i] <= 2 || !(fcntl(fds[i], F_GETFD) & FD_CLOEXEC))
                        fds[kept++] = fds[i];
        set = t_format_fd_set(fds, kept);
        free(fds);
        return set;
}

/* subproc_pass_inherited_fds() (issue 16: `ninja 3>log`, make's jobserver fds): the caller's
 * fds without close-on-exec reach the program under their numbers, close-on-exec ones do not,
 * and none of the library's own (its report pipe, this run's output pipe) leaks. */
static void test_pass_inherited_fds(void **state)
{
        int cloexec_pipe[2], plain_pipe[2];
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        char *expected, *identity;

        assert_ll_equal(pipe2(cloexec_pipe, O_CLOEXEC), 0);
        assert_ll_equal(pipe(plain_pipe), 0);
        subproc_pass_inherited_fds(c);
        expected = inherited_fd_set();
        r = t_run_report_file(c);
        t_check_fd_set(r, expected);
        free(expected);
        identity = t_fd_identity(plain_pipe[0]);
        assert_string_equal(t_report_getf(r, "fdstat[%d]", plain_pipe[0]), identity);
        free(identity);
        t_report_free(r);
        subproc_free(c);
        /* Not with a handshake or a hook: their child closes what it does not pass. */
        c = subproc_new(HELPER_PATH);
        subproc_pass_inherited_fds(c);
        subproc_require_handshake(c);
        assert_run_async_fails(c, EINVAL, "subproc_pass_inherited_fds");
        subproc_free(c);
        t_close_fds(cloexec_pipe, 2);
        t_close_fds(plain_pipe, 2);
}

/* subproc_inherit_stdio() (issue 16): 0-2 as the caller has them, a closed one closed in the
 * program too, where a pidfile's lock must not land either. */
static void test_inherit_stdio(void **state)
{
        char *path = t_make_temp_path(), *fds, *identity;
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        int saved = fcntl(0, F_DUPFD_CLOEXEC, 3);

        assert_true(saved >= 3);
        subproc_inherit_stdio(c);
        subproc_set_pidfile(c, path);
        close(0);
        r = t_run_report_file(c);
        assert_ll_equal(dup2(saved, 0), 0);
        close(saved);
        fds = t_report_fd_set(r);
        assert_true(strncmp(fds, "1 2 ", 4) == 0); /* no 0; the pidfile's lock above 2 */
        free(fds);
        identity = t_fd_identity(2);
        assert_string_equal(t_report_getf(r, "fdstat[%d]", 2), identity);
        free(identity);
        t_report_free(r);
        subproc_free(c);
        unlink(path);
        free(path);
}

static void test_pass_fd_close_parent(void **state)
{
        int fds[2];
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        char expected[32], *identity;

        assert_ll_equal(pipe2(fds, O_CLOEXEC), 0);
        identity = t_fd_identity(fds[1]);
        subproc_pass_fd(c, fds[1], SUBPROC_PASS_FD_CLOSE_PARENT);
        r = t_run_report_file(c);
        snprintf(expected, sizeof expected, "0 1 2 %d", fds[1]);
        t_check_fd_set(r, expected);
        assert_string_equal(t_report_getf(r, "fdstat[%d]", fds[1]), identity);
        assert_false(t_fd_is_open(fds[1]));
        free(identity);
        t_report_free(r);
        subproc_free(c);
        close(fds[0]);
}

static void test_failed_spawn_closes_close_parent_fd(void **state)
{
        int fds[2];
        subproc *c = subproc_new("/nonexistent/subproc-binary");

        assert_ll_equal(pipe2(fds, O_CLOEXEC), 0);
        subproc_pass_fd(c, fds[0], SUBPROC_PASS_FD_CLOSE_PARENT);
        assert_run_fails(c, ENOENT, "exec");
        assert_false(t_fd_is_open(fds[0]));
        close(fds[1]);
        subproc_free(c);
}

/* ---------------------------------------------------------------------------------------
 * Closing the caller's fds: close_range() and its fallbacks
 * ------------------------------------------------------------------------------------- */

/* With leaky fds around a passed one, every close method gives exactly 0, 1, 2 and the passed
 * fd (and a passed fd at `high_passed`, if >= 0). */
static void check_close_methods(int high_leaky, int high_passed)
{
        int leaky[16], passed[2], after_passed;
        size_t n_leaky = t_open_leaky_fds(leaky, high_leaky);
        char expected[64];

        assert_ll_equal(pipe2(passed, O_CLOEXEC), 0);
        /* Another leaky fd right after the passed one. */
        after_passed = dup(leaky[0]);
        assert_true(after_passed >= 0);
        if (high_passed >= 0) {
                assert_ll_equal(dup2(passed[1], high_passed), high_passed);
                snprintf(expected, sizeof expected, "0 1 2 %d %d", passed[1], high_passed);
        } else {
                snprintf(expected, sizeof expected, "0 1 2 %d", passed[1]);
        }

        for (int method = 0; method <= 2; method++) {
                subproc *c = subproc_new(HELPER_PATH);
                struct helper_report *r;
                char *fds;

                print_message("  close method %s\n", close_method_names[method]);
                sp_test_force_close_fallback = method;
                subproc_pass_fd(c, passed[1], 0);
                if (high_passed >= 0)
                        subproc_pass_fd(c, high_passed, 0);
                r = t_run_report_file(c);
                sp_test_force_close_fallback = 0;
                fds = t_report_fd_set(r);
                if (strcmp(fds, expected) != 0)
                        print_error("close method %s leaves fds %s\n", close_method_names[method],
                                    fds);
                assert_string_equal(fds, expected);
                free(fds);
                t_report_free(r);
                subproc_free(c);
        }
        if (high_passed >= 0)
                close(high_passed);
        close(after_passed);
        t_close_fds(passed, 2);
        t_close_fds(leaky, n_leaky);
}

static void test_close_fallbacks(void **state)
{
        (void)state;
        check_close_methods(t_high_fd_within_limit(), -1);
}

static void test_high_rlimit_nofile(void **state)
{
        struct rlimit old, raised;
        double start, elapsed[3] = { 0 };

        assert_ll_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
        raised.rlim_max = old.rlim_max < 1048576 ? 1048576 : old.rlim_max;
        raised.rlim_cur = raised.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &raised) != 0) {
                /* No CAP_SYS_RESOURCE: take what the hard limit allows. */
                raised.rlim_max = old.rlim_max;
                raised.rlim_cur = old.rlim_max;
                assert_ll_equal(setrlimit(RLIMIT_NOFILE, &raised), 0);
        }
        if (raised.rlim_cur < 4096) {
                setrlimit(RLIMIT_NOFILE, &old);
                print_message("RLIMIT_NOFILE cannot be raised to 4096 (hard limit %llu)\n",
                              (unsigned long long)old.rlim_max);
                skip();
        }
        print_message("  RLIMIT_NOFILE %llu\n", (unsigned long long)raised.rlim_cur);

        /* A leaky fd at the very top of the range, a passed one high up too. */
        check_close_methods((int)raised.rlim_cur - 1, (int)raised.rlim_cur / 2);

        /* Nothing passed: exactly 0, 1 and 2, whatever the method. */
        for (int method = 0; method <= 2; method++) {
                subproc *c = subproc_new(HELPER_PATH);
                int top = dup2(0, (int)raised.rlim_cur - 1);
                struct helper_report *r;

                assert_ll_equal(top, (int)raised.rlim_cur - 1);
                sp_test_force_close_fallback = method;
                r = t_run_report_file(c);
                sp_test_force_close_fallback = 0;
                close(top);
                t_check_fd_set(r, "0 1 2");
                t_report_free(r);
                subproc_free(c);
        }

        /* The methods are only timed, as their cost depends on the kernel. */
        for (int method = 0; method <= 2; method++) {
                subproc *c = subproc_new(HELPER_PATH);

                subproc_add_arg(c, "--no-report");
                sp_test_force_close_fallback = method;
                start = t_monotonic_ms();
                for (int i = 0; i < 5; i++)
                        assert_ll_equal(subproc_run(c, NULL), 0);
                elapsed[method] = (t_monotonic_ms() - start) / 5;
                sp_test_force_close_fallback = 0;
                subproc_free(c);
        }
        print_message("  ms per spawn: close_range %.2f, /proc walk %.2f, loop %.2f\n", elapsed[0],
                      elapsed[1], elapsed[2]);
        assert_ll_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                T_TEST(test_pass_fds),
                T_TEST(test_pass_inherited_fds),
                T_TEST(test_inherit_stdio),
                T_TEST(test_pass_fd_close_parent),
                T_TEST(test_failed_spawn_closes_close_parent_fd),
                T_TEST(test_close_fallbacks),
                T_TEST(test_high_rlimit_nofile),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
