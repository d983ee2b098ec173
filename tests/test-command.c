/* Tests of the command builder: arguments, cwd, deferred errors and error messages.
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
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/support.h"

/* Check that the child's argv is `binary`, then `expected` (NULL-terminated). */
static void check_argv(const struct helper_report *r, const char *binary,
                       const char *const *expected)
{
        size_t n = t_strv_length(expected);

        assert_ll_equal(t_report_get_int(r, "argc"), (long long)n + 1);
        assert_string_equal(t_report_get(r, "argv[0]"), binary);
        for (size_t i = 0; i < n; i++) {
                const char *arg = t_report_getf(r, "argv[%zu]", i + 1);

                assert_non_null(arg);
                if (strcmp(arg, expected[i]) != 0)
                        print_error("argv[%zu] differs\n", i + 1);
                assert_string_equal(arg, expected[i]);
        }
}

/* ---------------------------------------------------------------------------------------
 * Arguments
 * ------------------------------------------------------------------------------------- */

static void test_add_arg_exact(void **state)
{
        subproc *c = subproc_new(HELPER_PATH);
        const char **expected = calloc(t_strv_length(t_awkward_args) + 2, sizeof *expected);
        struct helper_report *r;
        char *out;

        /* "--" stops the helper's option parsing: everything after it is data. */
        expected[0] = "--";
        memcpy(expected + 1, t_awkward_args, t_strv_length(t_awkward_args) * sizeof *expected);
        subproc_add_arg(c, "--");
        for (size_t i = 0; t_awkward_args[i] != NULL; i++)
                subproc_add_arg(c, t_awkward_args[i]);
        r = t_run_report(c, &out);
        check_argv(r, HELPER_PATH, expected);
        t_report_free(r);
        subproc_free(c);
        free(expected);
}

static void test_new_argv_exact(void **state)
{
        size_t n = t_strv_length(t_awkward_args);
        const char **argv = calloc(n + 3, sizeof *argv);
        struct helper_report *r;
        subproc *c;
        char *out;

        argv[0] = HELPER_PATH;
        argv[1] = "--";
        memcpy(argv + 2, t_awkward_args, n * sizeof *argv);
        c = subproc_new_argv(argv);
        /* The command holds copies: clobbering the caller's array changes nothing. */
        argv[2] = "clobbered";
        argv[0] = "/clobbered";
        r = t_run_report(c, &out);
        argv[2] = t_awkward_args[0];
        check_argv(r, HELPER_PATH, argv + 1);
        t_report_free(r);
        subproc_free(c);
        free(argv);
}

static void test_new_args_and_add_args(void **state)
{
        static const char *const expected[] = { "--",    "one", "",           "two words",
                                                "three", "",    "four\nfive", NULL };
        char binary[PATH_MAX];
        struct helper_report *r;
        subproc *c;
        char *out;

        /* The binary string is copied too. */
        snprintf(binary, sizeof binary, "%s", HELPER_PATH);
        c = subproc_new_args(binary, "--", "one", "", "two words", NULL);
        binary[0] = 'X';
        subproc_add_args(c, "three", "", NULL);
        subproc_add_args(c, NULL);
        subproc_add_args(c, "four\nfive", NULL);
        r = t_run_report(c, &out);
        check_argv(r, HELPER_PATH, expected);
        t_report_free(r);
        subproc_free(c);
}

static void test_add_arg_pair_format_set(void **state)
{
        static const char *const set[] = { "set one", "", "set-3", NULL };
        static const char *const empty_set[] = { NULL };
        static const char *const expected[] = {
                "--", "name=value", "empty=", "=v",    "k=a b=c", "42-str-0x1f-%",
                "",   "set one",    "",       "set-3", "last",    NULL,
        };
        struct helper_report *r;
        char *out;
        subproc *c = subproc_new(HELPER_PATH);

        subproc_add_arg(c, "--");
        subproc_add_arg_pair(c, "name", "value");
        subproc_add_arg_pair(c, "empty", "");
        subproc_add_arg_pair(c, "", "v");
        subproc_add_arg_pair(c, "k", "a b=c");
        subproc_add_arg_format(c, "%d-%s-%#x-%%", 42, "str", 31);
        subproc_add_arg_format(c, "%s", "");
        subproc_add_arg_set(c, set);
        subproc_add_arg_set(c, empty_set);
        subproc_add_arg(c, "last");
        r = t_run_report(c, &out);
        check_argv(r, HELPER_PATH, expected);
        t_report_free(r);
        subproc_free(c);
}

static void test_long_and_many_args(void **state)
{
        /* Below MAX_ARG_STRLEN (32 pages), the kernel's limit for one argument. */
        const size_t long_len = 100000, count = 2000;
        char *long_arg = t_make_pattern('a', long_len);
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        char *out;

        subproc_add_arg(c, "--");
        subproc_add_arg(c, long_arg);
        for (size_t i = 0; i < count; i++)
                subproc_add_arg_format(c, "arg-%zu", i);
        r = t_run_report(c, &out);
        assert_ll_equal(t_report_get_int(r, "argc"), (long long)count + 3);
        assert_string_equal(t_report_get(r, "argv[2]"), long_arg);
        assert_string_equal(t_report_getf(r, "argv[%zu]", count + 2), "arg-1999");
        assert_string_equal(t_report_get(r, "argv[3]"), "arg-0");
        t_report_free(r);
        subproc_free(c);
        free(long_arg);
}

/* ---------------------------------------------------------------------------------------
 * Working directory
 * ------------------------------------------------------------------------------------- */

static void test_cwd(void **state)
{
        char *dir = t_make_temp_dir();
        char real_dir[PATH_MAX], before[PATH_MAX], after[PATH_MAX];
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        char *out;

        assert_non_null(realpath(dir, real_dir));
        assert_non_null(getcwd(before, sizeof before));
        subproc_set_cwd(c, dir);
        r = t_run_report(c, &out);
        assert_string_equal(t_report_get(r, "cwd"), real_dir);
        /* The caller stays where it was. */
        assert_non_null(getcwd(after, sizeof after));
        assert_string_equal(after, before);
        t_report_free(r);
        subproc_free(c);
        rmdir(dir);
        free(dir);
}

/* A value set twice takes the latest call (include/subproc.h, "Construction"), so a command
 * can be adjusted between runs. */
static void test_cwd_set_twice_takes_the_latest(void **state)
{
        char *dir = t_make_temp_dir();
        char real_dir[PATH_MAX];
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        char *out;

        assert_non_null(realpath(dir, real_dir));
        subproc_set_cwd(c, "/");
        subproc_set_cwd(c, dir);
        r = t_run_report(c, &out);
        assert_string_equal(t_report_get(r, "cwd"), real_dir);
        t_report_free(r);
        subproc_set_cwd(c, "/");
        r = t_run_report_again(c, &out);
        assert_string_equal(t_report_get(r, "cwd"), "/");
        t_report_free(r);
        subproc_free(c);
        rmdir(dir);
        free(dir);
}

/* ---------------------------------------------------------------------------------------
 * Deferred errors
 * ------------------------------------------------------------------------------------- */

struct deferred_case {
        const char *name;
        subproc *(*make)(void);
};

static subproc *make_new_null(void)
{
        return subproc_new(NULL);
}

static subproc *make_new_empty(void)
{
        return subproc_new("");
}

static subproc *make_new_argv_empty(void)
{
        static const char *const argv[] = { NULL };

        return subproc_new_argv(argv);
}

static subproc *make_new_argv_null(void)
{
        return subproc_new_argv(NULL);
}

static subproc *make_new_argv_empty_binary(void)
{
        static const char *const argv[] = { "", "x", NULL };

        return subproc_new_argv(argv);
}

static subproc *make_new_args_null(void)
{
        return subproc_new_args(NULL, NULL);
}

static subproc *make_add_arg_null(void)
{
        subproc *c = subproc_new(HELPER_PATH);

        subproc_add_arg(c, NULL);
        return c;
}

static subproc *make_pair_name_null(void)
{
        subproc *c = subproc_new(HELPER_PATH);

        subproc_add_arg_pair(c, NULL, "v");
        return c;
}

static subproc *make_pair_value_null(void)
{
        subproc *c = subproc_new(HELPER_PATH);

        subproc_add_arg_pair(c, "n", NULL);
        return c;
}

static subproc *make_env_set_name_null(void)
{
        subproc *c = subproc_new(HELPER_PATH);

        subproc_env_set(c, NULL, "v");
        return c;
}

static subproc *make_env_set_value_null(void)
{
        subproc *c = subproc_new(HELPER_PATH);

        subproc_env_set(c, "NAME", NULL);
        return c;
}

static subproc *make_env_set_name_equals(void)
{
        subproc *c = subproc_new(HELPER_PATH);

        subproc_env_set(c, "A=B", "v");
        return c;
}

static subproc *make_env_set_name_empty(void)
{
        subproc *c = subproc_new(HELPER_PATH);

        subproc_env_set(c, "", "v");
        return c;
}

static subproc *make_env_put_no_equals(void)
{
        subproc *c = subproc_new(HELPER_PATH);

        subproc_env_put(c, "NOEQUALS");
        return c;
}

static subproc *make_env_put_empty_name(void)
{
        subproc *c = subproc_new(HELPER_PATH);

        subproc_env_put(c, "=value");
        return c;
}

static subproc *make_env_put_null(void)
{
        subproc *c = subproc_new(HELPER_PATH);

        subproc_env_put(c, NULL);
        return c;
}

static subproc *make_env_pass_null(void)
{
        subproc *c = subproc_new(HELPER_PATH);

        subproc_env_pass(c, NULL);
        return c;
}

static subproc *make_env_pass_equals(void)
{
        subproc *c = subproc_new(HELPER_PATH);

        subproc_env_pass(c, "A=B");
        return c;
}

static subproc *make_env_unset_null(void)
{
        subproc *c = subproc_new(HELPER_PATH);

        subproc_env_unset(c, NULL);
        return c;
}

static subproc *make_env_unset_equals(void)
{
        subproc *c = subproc_new(HELPER_PATH);

        subproc_env_unset(c, "A=B");
        return c;
}

static subproc *make_cwd_null(void)
{
        subproc *c = subproc_new(HELPER_PATH);

        subproc_set_cwd(c, NULL);
        return c;
}

static subproc *make_pass_fd_negative(void)
{
        subproc *c = subproc_new(HELPER_PATH);

        subproc_pass_fd(c, -1, 0);
        return c;
}

static subproc *make_pass_fd_stdin(void)
{
        subproc *c = subproc_new(HELPER_PATH);

        subproc_pass_fd(c, 0, 0);
        return c;
}

static subproc *make_pass_fd_stderr(void)
{
        subproc *c = subproc_new(HELPER_PATH);

        subproc_pass_fd(c, 2, 0);
        return c;
}

static subproc *make_input_fd_negative(void)
{
        subproc *c = subproc_new(HELPER_PATH);

        subproc_set_input_fd(c, -1);
        return c;
}

static subproc *make_input_fd_twice(void)
{
        subproc *c = subproc_new(HELPER_PATH);

        subproc_set_input_fd(c, 0);
        subproc_set_input_fd(c, 0);
        return c;
}

static subproc *make_input_buffer_then_fd(void)
{
        subproc *c = subproc_new(HELPER_PATH);

        subproc_set_input_buffer(c, "text");
        subproc_set_input_fd(c, 0);
        return c;
}

static subproc *make_input_fd_then_bytes(void)
{
        subproc *c = subproc_new(HELPER_PATH);

        subproc_set_input_fd(c, 0);
        subproc_set_input_bytes(c, "ab", 2);
        return c;
}

static subproc *make_input_buffer_twice(void)
{
        subproc *c = subproc_new(HELPER_PATH);

        subproc_set_input_buffer(c, "one");
        subproc_set_input_buffer(c, "two");
        return c;
}

static subproc *make_input_buffer_null(void)
{
        subproc *c = subproc_new(HELPER_PATH);

        subproc_set_input_buffer(c, NULL);
        return c;
}

static subproc *make_send_buffer_null(void)
{
        subproc *c = subproc_new(HELPER_PATH);
        int fd;

        errno = 0;
        fd = subproc_add_send_buffer(c, NULL, 5);
        assert_ll_equal(fd, -1);
        assert_errno_equal(errno, EINVAL);
        return c;
}

static const struct deferred_case deferred_cases[] = {
        { "subproc_new(NULL)", make_new_null },
        { "subproc_new(\"\")", make_new_empty },
        { "subproc_new_argv({NULL})", make_new_argv_empty },
        { "subproc_new_argv(NULL)", make_new_argv_null },
        { "subproc_new_argv({\"\", ...})", make_new_argv_empty_binary },
        { "subproc_new_args(NULL, NULL)", make_new_args_null },
        { "subproc_add_arg(NULL)", make_add_arg_null },
        { "subproc_add_arg_pair(NULL, v)", make_pair_name_null },
        { "subproc_add_arg_pair(n, NULL)", make_pair_value_null },
        { "subproc_env_set(NULL, v)", make_env_set_name_null },
        { "subproc_env_set(n, NULL)", make_env_set_value_null },
        { "subproc_env_set(\"A=B\", v)", make_env_set_name_equals },
        { "subproc_env_set(\"\", v)", make_env_set_name_empty },
        { "subproc_env_put(\"NOEQUALS\")", make_env_put_no_equals },
        { "subproc_env_put(\"=value\")", make_env_put_empty_name },
        { "subproc_env_put(NULL)", make_env_put_null },
        { "subproc_env_pass(NULL)", make_env_pass_null },
        { "subproc_env_pass(\"A=B\")", make_env_pass_equals },
        { "subproc_env_unset(NULL)", make_env_unset_null },
        { "subproc_env_unset(\"A=B\")", make_env_unset_equals },
        { "subproc_set_cwd(NULL)", make_cwd_null },
        { "subproc_pass_fd(-1)", make_pass_fd_negative },
        { "subproc_pass_fd(0)", make_pass_fd_stdin },
        { "subproc_pass_fd(2)", make_pass_fd_stderr },
        { "subproc_set_input_fd(-1)", make_input_fd_negative },
        { "subproc_set_input_fd() twice", make_input_fd_twice },
        { "input buffer then input fd", make_input_buffer_then_fd },
        { "input fd then input bytes", make_input_fd_then_bytes },
        { "input buffer twice", make_input_buffer_twice },
        { "subproc_set_input_buffer(NULL)", make_input_buffer_null },
        { "subproc_add_send_buffer(NULL, 5)", make_send_buffer_null },
};

/* Every later builder call must be a harmless no-op. */
static void build_more(subproc *c)
{
        static const char *const set[] = { "x", "y", NULL };

        subproc_add_arg(c, "later");
        subproc_add_arg(c, NULL);
        subproc_add_arg_pair(c, "k", "v");
        subproc_add_arg_format(c, "%d", 7);
        subproc_add_arg_set(c, set);
        subproc_add_args(c, "a", "b", NULL);
        subproc_env_set(c, "LATER", "1");
        subproc_env_put(c, "LATER2=2");
        subproc_env_pass(c, "PATH");
        subproc_env_pass_common(c);
        subproc_env_unset(c, "HOME");
        subproc_env_inherit(c);
        subproc_set_cwd(c, "/");
        subproc_pass_fd(c, -5, 0);
        subproc_set_raw_status(c);
        subproc_nonblocking_fds(c);
}

static void check_deferred_error(const struct deferred_case *dc)
{
        subproc *c = dc->make();
        int status = -1, fds[2], rc, saved_errno;
        char *text, *logged;
        size_t logged_len;

        print_message("  case %s\n", dc->name);
        assert_non_null(c);
        build_more(c);

        errno = 0;
        text = subproc_to_string(c, false);
        saved_errno = errno;
        if (text != NULL)
                print_error("%s: to_string gave \"%s\"\n", dc->name, text);
        assert_null(text);
        assert_errno_equal(saved_errno, EINVAL);
        assert_true(subproc_errmsg()[0] != '\0');
        errno = 0;
        text = subproc_to_string(c, true);
        saved_errno = errno;
        assert_null(text);
        assert_errno_equal(saved_errno, EINVAL);

        assert_ll_equal(pipe2(fds, O_CLOEXEC), 0);
        errno = 0;
        rc = subproc_write_arg_log(c, fds[1]);
        saved_errno = errno;
        close(fds[1]);
        logged = t_read_fd_all(fds[0], &logged_len);
        close(fds[0]);
        assert_ll_equal(rc, -1);
        assert_errno_equal(saved_errno, EINVAL);
        assert_ll_equal(logged_len, 0);
        free(logged);

        assert_run_fails(c, EINVAL, NULL);
        /* A bad command is not a failure of the child's setup or of the program. */
        assert_ll_equal(subproc_errstage(), SUBPROC_STAGE_NONE);
        assert_run_async_fails(c, EINVAL, NULL);
        /* With an exit status pointer, and again: the error stays. */
        errno = 0;
        rc = subproc_run(c, &status);
        saved_errno = errno;
        assert_ll_equal(rc, -1);
        assert_errno_equal(saved_errno, EINVAL);
        assert_run_fails(c, EINVAL, NULL);
        assert_ll_equal(subproc_pid(c), -1);
        assert_ll_equal(subproc_status(c), -1);
        subproc_free(c);
}

static void test_deferred_errors(void **state)
{
        for (size_t i = 0; i < sizeof deferred_cases / sizeof deferred_cases[0]; i++)
                check_deferred_error(&deferred_cases[i]);
}

static void test_deferred_error_first_wins(void **state)
{
        subproc *c = subproc_new(HELPER_PATH);
        char *first;

        subproc_add_arg(c, NULL);
        assert_run_fails(c, EINVAL, NULL);
        first = strdup(subproc_errmsg());
        /* A later, different mistake does not replace the first error. */
        subproc_set_cwd(c, "/");
        subproc_set_cwd(c, "/");
        assert_run_fails(c, EINVAL, NULL);
        assert_string_equal(subproc_errmsg(), first);
        free(first);
        subproc_free(c);
}

static void test_deferred_error_still_closes_passed_fd(void **state)
{
        int before[2], after[2];
        bool before_open, after_open;
        subproc *c = subproc_new(HELPER_PATH);

        assert_ll_equal(pipe2(before, O_CLOEXEC), 0);
        assert_ll_equal(pipe2(after, O_CLOEXEC), 0);
        /* An fd handed over before the error and one handed over after it: the library owns
         * both from the pass_fd() call on, and closes them at the next (failed) spawn. */
        subproc_pass_fd(c, before[0], SUBPROC_PASS_FD_CLOSE_PARENT);
        subproc_add_arg(c, NULL);
        subproc_pass_fd(c, after[0], SUBPROC_PASS_FD_CLOSE_PARENT);
        assert_run_fails(c, EINVAL, NULL);
        before_open = t_fd_is_open(before[0]);
        after_open = t_fd_is_open(after[0]);
        subproc_free(c);
        /* Clean up first, so that a failure below is reported alone. */
        if (before_open)
                close(before[0]);
        if (after_open)
                close(after[0]);
        close(before[1]);
        close(after[1]);
        if (before_open)
                print_error("the fd passed before the error is still open\n");
        if (after_open)
                print_error("the fd passed after the error is still open\n");
        assert_false(before_open);
        assert_false(after_open);
}

static void test_deferred_error_free_closes_passed_fd(void **state)
{
        int fds[2];
        subproc *c = subproc_new(NULL);

        assert_ll_equal(pipe2(fds, O_CLOEXEC), 0);
        subproc_pass_fd(c, fds[0], SUBPROC_PASS_FD_CLOSE_PARENT);
        subproc_free(c);
        assert_false(t_fd_is_open(fds[0]));
        close(fds[1]);
}

static void test_free_null(void **state)
{
        subproc_free(NULL);
}

/* ---------------------------------------------------------------------------------------
 * Error messages
 * ------------------------------------------------------------------------------------- */

struct thread_errors {
        char initial[256];
        char after[256];
        int rc;
        int saved_errno;
};

static void *fail_in_thread(void *arg)
{
        struct thread_errors *result = arg;
        subproc *c = subproc_new("/nonexistent/subproc-thread-binary");

        snprintf(result->initial, sizeof result->initial, "%s", subproc_errmsg());
        result->rc = subproc_run(c, NULL);
        result->saved_errno = errno;
        snprintf(result->after, sizeof result->after, "%s", subproc_errmsg());
        subproc_free(c);
        return NULL;
}

static void test_errmsg_per_thread(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, NULL);
        struct thread_errors result = { .rc = 0 };
        pthread_t thread;
        char *mine;

        subproc_set_cwd(c, "/nonexistent/subproc-main-dir");
        assert_run_fails(c, ENOENT, "chdir");
        mine = strdup(subproc_errmsg());
        assert_contains(mine, "/nonexistent/subproc-main-dir");

        assert_ll_equal(pthread_create(&thread, NULL, fail_in_thread, &result), 0);
        assert_ll_equal(pthread_join(thread, NULL), 0);
        assert_string_equal(result.initial, "");
        assert_ll_equal(result.rc, -1);
        assert_errno_equal(result.saved_errno, ENOENT);
        assert_contains(result.after, "/nonexistent/subproc-thread-binary");
        /* The other thread's failure left this thread's message alone. */
        assert_string_equal(subproc_errmsg(), mine);
        free(mine);
        subproc_free(c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                T_TEST(test_add_arg_exact),
                T_TEST(test_new_argv_exact),
                T_TEST(test_new_args_and_add_args),
                T_TEST(test_add_arg_pair_format_set),
                T_TEST(test_long_and_many_args),
                T_TEST(test_cwd),
                T_TEST(test_cwd_set_twice_takes_the_latest),
                T_TEST(test_deferred_errors),
                T_TEST(test_deferred_error_first_wins),
                T_TEST(test_deferred_error_still_closes_passed_fd),
                T_TEST(test_deferred_error_free_closes_passed_fd),
                T_TEST(test_free_null),
                T_TEST(test_errmsg_per_thread),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
