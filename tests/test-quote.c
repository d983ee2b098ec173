/* Tests of subproc_to_string() and subproc_write_arg_log(): shell quoting checked by
 * running the result through /bin/sh.
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
#include <unistd.h>

#include "support/support.h"

/* ---------------------------------------------------------------------------------------
 * to_string
 * ------------------------------------------------------------------------------------- */

static void test_to_string_issue_example(void **state)
{
        subproc *c = subproc_new_args("/usr/bin/dnsmasq", "--conf-file=/etc/x", "a b", NULL);
        char *text;

        subproc_env_set(c, "LC_ALL", "C");
        subproc_env_set(c, "PATH", "/usr/bin");
        text = subproc_to_string(c, false);
        assert_non_null(text);
        assert_string_equal(text,
                            "LC_ALL=C PATH=/usr/bin /usr/bin/dnsmasq --conf-file=/etc/x 'a b'");
        free(text);
        subproc_free(c);
}

static void test_to_string_plain(void **state)
{
        subproc *c = subproc_new_args("/bin/echo", "hello", "world", NULL);
        char *text = subproc_to_string(c, false);

        /* Without environment changes only argv is shown, and it is not run. */
        assert_non_null(text);
        assert_string_equal(text, "/bin/echo hello world");
        free(text);
        text = subproc_to_string(c, true);
        assert_non_null(text);
        assert_string_equal(text, "/bin/echo hello world");
        free(text);
        subproc_free(c);
}

static void test_to_string_linebreaks(void **state)
{
        subproc *c = subproc_new_args("/usr/bin/dnsmasq", "--conf-file=/etc/x", "-v", "value",
                                      "positional", "--flag", NULL);
        char *text;

        subproc_env_set(c, "A", "1");
        subproc_env_set(c, "B", "x y");
        text = subproc_to_string(c, true);
        assert_non_null(text);
        assert_string_equal(text, "A=1 \\\n"
                                  "B='x y' \\\n"
                                  "/usr/bin/dnsmasq \\\n"
                                  "--conf-file=/etc/x \\\n"
                                  "-v value positional \\\n"
                                  "--flag");
        free(text);
        subproc_free(c);
}

static void test_to_string_inherit_hides_inherited(void **state)
{
        subproc *c = subproc_new_args("/usr/bin/dnsmasq", "-k", NULL);
        char *text;

        subproc_env_inherit(c);
        subproc_env_set(c, "A", "1");
        text = subproc_to_string(c, false);
        assert_non_null(text);
        assert_string_equal(text, "A=1 /usr/bin/dnsmasq -k");
        free(text);
        subproc_free(c);
}

/* Names a shell may add to the environment of what it runs. */
static bool shell_added(const char *entry)
{
        static const char *const names[] = { "PWD=", "OLDPWD=", "SHLVL=", "_=" };

        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
                if (strncmp(entry, names[i], strlen(names[i])) == 0)
                        return true;
        }
        return false;
}

/* Run `c` directly and through `/bin/sh -c "$(to_string)"` and compare the two reports: the
 * same argv, and the same environment apart from what the shell itself adds.  With
 * `inherits`, the direct run inherits the caller's environment like the shell does, so the
 * environments must match in full; otherwise (a clean environment) every variable of the
 * direct run must reach the shell's child with the same value. */
static void check_shell_roundtrip(subproc *(*make)(void), bool linebreaks, bool inherits)
{
        subproc *c = make();
        char *line = subproc_to_string(c, linebreaks);
        subproc *shell;
        struct helper_report *direct, *via_shell;
        char *direct_out, *shell_out;
        char **direct_argv, **shell_argv;

        if (line == NULL)
                print_error("subproc_to_string: %s\n", subproc_errmsg());
        assert_non_null(line);
        shell = subproc_new_args("/bin/sh", "-c", line, NULL);
        via_shell = t_run_report(shell, &shell_out);
        direct = t_run_report(c, &direct_out);

        direct_argv = t_report_argv(direct);
        shell_argv = t_report_argv(via_shell);
        for (size_t i = 0; direct_argv[i] != NULL; i++) {
                if (shell_argv[i] == NULL || strcmp(direct_argv[i], shell_argv[i]) != 0)
                        print_error("argv[%zu] differs after /bin/sh -c '%s'\n", i, line);
                assert_non_null(shell_argv[i]);
                assert_string_equal(shell_argv[i], direct_argv[i]);
        }
        assert_ll_equal(t_report_get_int(via_shell, "argc"), t_report_get_int(direct, "argc"));

        for (size_t i = 0; i < t_report_env_count(direct); i++) {
                const char *entry = t_report_nth(direct, "env", i);
                const char *equals = strchr(entry, '=');
                char *name = strndup(entry, (size_t)(equals - entry));

                /* The shell sets these itself (PWD from its real cwd, not the inherited one). */
                if (shell_added(entry)) {
                        free(name);
                        continue;
                }
                if (t_report_env(via_shell, name) == NULL)
                        print_error("%s is missing after /bin/sh -c '%s'\n", name, line);
                assert_non_null(t_report_env(via_shell, name));
                assert_string_equal(t_report_env(via_shell, name), equals + 1);
                free(name);
        }
        if (inherits) {
                for (size_t i = 0; i < t_report_env_count(via_shell); i++) {
                        const char *entry = t_report_nth(via_shell, "env", i);
                        const char *equals = strchr(entry, '=');
                        char *name = strndup(entry, (size_t)(equals - entry));

                        if (!shell_added(entry) && t_report_env(direct, name) == NULL) {
                                print_error("%s is extra after /bin/sh -c '%s'\n", name, line);
                                fail();
                        }
                        free(name);
                }
        }
        t_strv_free(direct_argv);
        t_strv_free(shell_argv);
        t_report_free(direct);
        t_report_free(via_shell);
        subproc_free(shell);
        subproc_free(c);
        free(line);
}

static subproc *awkward_command(void)
{
        subproc *c = subproc_new(HELPER_PATH);

        for (size_t i = 0; i < T_N_AWKWARD_ENV; i++)
                subproc_env_set(c, t_awkward_env[i].name, t_awkward_env[i].value);
        subproc_add_arg(c, "--");
        for (size_t i = 0; t_awkward_args[i] != NULL; i++)
                subproc_add_arg(c, t_awkward_args[i]);
        return c;
}

static void test_to_string_shell_roundtrip(void **state)
{
        check_shell_roundtrip(awkward_command, false, false);
}

static void test_to_string_linebreaks_shell_roundtrip(void **state)
{
        check_shell_roundtrip(awkward_command, true, false);
}

static subproc *env_unset_command(void)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--", "x y", "-o", "value", NULL);

        subproc_env_unset(c, "SUBPROC_TEST_GONE");
        subproc_env_set(c, "SUBPROC_TEST_ADDED", "it's added");
        return c;
}

static void test_to_string_env_unset_roundtrip(void **state)
{
        struct t_saved_env saved[2] = { 0 };
        subproc *c;
        char *text;

        t_env_save_set(&saved[0], "SUBPROC_TEST_GONE", "must disappear");
        t_env_save_set(&saved[1], "SUBPROC_TEST_KEPT", "kept");
        c = env_unset_command();
        text = subproc_to_string(c, false);
        assert_non_null(text);
        assert_contains(text, "env -u SUBPROC_TEST_GONE");
        /* Inherited variables are not shown. */
        assert_null(strstr(text, "SUBPROC_TEST_KEPT"));
        free(text);
        subproc_free(c);
        check_shell_roundtrip(env_unset_command, false, true);
        check_shell_roundtrip(env_unset_command, true, true);
        t_env_restore(&saved[1]);
        t_env_restore(&saved[0]);
}

static void test_to_string_does_not_run(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--exit=3", NULL);
        char *text = subproc_to_string(c, false);
        int status = -1;

        assert_non_null(text);
        assert_no_children();
        assert_ll_equal(subproc_status(c), -1);
        /* And the command still runs normally afterwards. */
        assert_ll_equal(subproc_run(c, &status), 0);
        assert_ll_equal(status, 3);
        free(text);
        subproc_free(c);
}

static void test_write_arg_log(void **state)
{
        subproc *c = awkward_command();
        char *text = subproc_to_string(c, false);
        char *logged, *expected;
        int fds[2];
        size_t len;

        assert_non_null(text);
        assert_ll_equal(pipe2(fds, O_CLOEXEC), 0);
        assert_ll_equal(subproc_write_arg_log(c, fds[1]), 0);
        close(fds[1]);
        logged = t_read_fd_all(fds[0], &len);
        close(fds[0]);
        assert_true(asprintf(&expected, "%s\n", text) > 0);
        assert_bytes_equal(logged, len, expected, strlen(expected));
        free(expected);
        free(logged);
        free(text);
        subproc_free(c);
}

static void test_write_arg_log_bad_fd(void **state)
{
        subproc *c = subproc_new_args("/bin/true", NULL);
        int fds[2], rc, saved_errno;

        /* A closed fd. */
        assert_ll_equal(pipe2(fds, O_CLOEXEC), 0);
        close(fds[1]);
        errno = 0;
        rc = subproc_write_arg_log(c, fds[1]);
        saved_errno = errno;
        assert_ll_equal(rc, -1);
        assert_errno_equal(saved_errno, EBADF);
        close(fds[0]);
        subproc_free(c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                T_TEST(test_to_string_issue_example),
                T_TEST(test_to_string_plain),
                T_TEST(test_to_string_linebreaks),
                T_TEST(test_to_string_inherit_hides_inherited),
                T_TEST(test_to_string_shell_roundtrip),
                T_TEST(test_to_string_linebreaks_shell_roundtrip),
                T_TEST(test_to_string_env_unset_roundtrip),
                T_TEST(test_to_string_does_not_run),
                T_TEST(test_write_arg_log),
                T_TEST(test_write_arg_log_bad_fd),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
