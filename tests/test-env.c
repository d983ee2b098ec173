/* Tests of the child's environment: inherited, clean, passed, set, put, unset.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/support.h"

extern char **environ;

/* Check that the child's environment is exactly `expected` ("NAME=value", any order). */
static void check_env_exact(const struct helper_report *r, const char *const *expected)
{
        size_t n = t_strv_length(expected);

        for (size_t i = 0; i < n; i++) {
                const char *equals = strchr(expected[i], '=');
                char *name = strndup(expected[i], (size_t)(equals - expected[i]));
                const char *value = t_report_env(r, name);

                if (value == NULL)
                        print_error("%s missing from the child's environment\n", name);
                assert_non_null(value);
                assert_string_equal(value, equals + 1);
                free(name);
        }
        if (t_report_env_count(r) != n) {
                for (size_t i = 0; i < t_report_env_count(r); i++)
                        print_error("child env: %s\n", t_report_nth(r, "env", i));
        }
        assert_ll_equal(t_report_env_count(r), n);
}

static int compare_strings(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The caller's environment, sorted like the helper sorts its own. */
static char **sorted_caller_env(size_t *count)
{
        size_t n = 0;
        char **copy;

        while (environ[n] != NULL)
                n++;
        copy = calloc(n + 1, sizeof *copy);
        assert_non_null(copy);
        for (size_t i = 0; i < n; i++)
                copy[i] = strdup(environ[i]);
        qsort(copy, n, sizeof *copy, compare_strings);
        *count = n;
        return copy;
}

/* Check that the child's environment is the caller's, exactly and in full. */
static void check_env_is_callers(const struct helper_report *r)
{
        size_t n;
        char **env = sorted_caller_env(&n);

        assert_ll_equal(t_report_env_count(r), n);
        for (size_t i = 0; i < n; i++)
                assert_string_equal(t_report_nth(r, "env", i), env[i]);
        t_strv_free(env);
}

/* ---------------------------------------------------------------------------------------
 * Environment
 * ------------------------------------------------------------------------------------- */

static void test_env_inherited_by_default(void **state)
{
        struct t_saved_env saved[2] = { 0 };
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        char *out;

        /* Taken when the command runs, not when it is built. */
        t_env_save_set(&saved[0], "SUBPROC_TEST_LATE", "set after subproc_new");
        t_env_save_set(&saved[1], "SUBPROC_TEST_ODD", "a b\nc=d");
        r = t_run_report(c, &out);
        check_env_is_callers(r);
        assert_string_equal(t_report_env(r, "SUBPROC_TEST_LATE"), "set after subproc_new");
        assert_string_equal(t_report_env(r, "SUBPROC_TEST_ODD"), "a b\nc=d");
        t_report_free(r);
        subproc_free(c);
        t_env_restore(&saved[1]);
        t_env_restore(&saved[0]);
}

static void test_env_set_gives_clean_env(void **state)
{
        static const char *const expected[] = { "SP_ONE=1", "SP_TWO=two words", NULL };
        struct t_saved_env saved = { 0 };
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        char *out;

        t_env_save_set(&saved, "SUBPROC_TEST_CALLER_ONLY", "x");
        subproc_env_set(c, "SP_ONE", "1");
        subproc_env_set(c, "SP_TWO", "two words");
        r = t_run_report(c, &out);
        check_env_exact(r, expected);
        assert_null(t_report_env(r, "SUBPROC_TEST_CALLER_ONLY"));
        t_report_free(r);
        subproc_free(c);
        t_env_restore(&saved);
}

static void test_env_clear(void **state)
{
        static const char *const nothing[] = { NULL };
        static const char *const only_one[] = { "SP_ONE=1", NULL };
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        char *out;

        /* env -i: nothing at all, even though the caller has a full environment. */
        subproc_env_clear(c);
        r = t_run_report(c, &out);
        check_env_exact(r, nothing);
        t_report_free(r);
        subproc_free(c);

        /* Clearing drops what was set before; later sets add to the empty list. */
        c = subproc_new(HELPER_PATH);
        subproc_env_set(c, "SP_GONE", "x");
        subproc_env_clear(c);
        subproc_env_set(c, "SP_ONE", "1");
        r = t_run_report(c, &out);
        check_env_exact(r, only_one);
        t_report_free(r);
        subproc_free(c);
}

static void test_env_awkward_values(void **state)
{
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        char *out;

        for (size_t i = 0; i < T_N_AWKWARD_ENV; i++)
                subproc_env_set(c, t_awkward_env[i].name, t_awkward_env[i].value);
        r = t_run_report(c, &out);
        assert_ll_equal(t_report_env_count(r), T_N_AWKWARD_ENV);
        for (size_t i = 0; i < T_N_AWKWARD_ENV; i++)
                assert_string_equal(t_report_env(r, t_awkward_env[i].name), t_awkward_env[i].value);
        t_report_free(r);
        subproc_free(c);
}

static void test_env_set_replaces_in_place(void **state)
{
        static const char *const expected[] = { "A=3", "B=2", "C=5=6", "LC_ALL=en_US.UTF-8", NULL };
        subproc *c = subproc_new("/usr/bin/dnsmasq");
        subproc *run_c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        char *text, *out;

        subproc_env_set(c, "A", "1");
        subproc_env_set(c, "B", "2");
        subproc_env_put(c, "C=4");
        subproc_env_set(c, "A", "3");
        subproc_env_put(c, "C=5=6");
        text = subproc_to_string(c, false);
        assert_non_null(text);
        /* Replaced in place: A keeps its first position. */
        assert_string_equal(text, "A=3 B=2 C=5=6 /usr/bin/dnsmasq");
        free(text);

        subproc_env_pass_common(run_c);
        subproc_env_set(run_c, "A", "1");
        subproc_env_set(run_c, "B", "2");
        subproc_env_put(run_c, "C=4");
        subproc_env_set(run_c, "A", "3");
        subproc_env_put(run_c, "C=5=6");
        subproc_env_set(run_c, "LC_ALL", "en_US.UTF-8");
        subproc_env_unset(run_c, "PATH");
        subproc_env_unset(run_c, "HOME");
        subproc_env_unset(run_c, "USER");
        subproc_env_unset(run_c, "LOGNAME");
        subproc_env_unset(run_c, "TMPDIR");
        subproc_env_unset(run_c, "LD_PRELOAD");
        subproc_env_unset(run_c, "LD_LIBRARY_PATH");
        r = t_run_report(run_c, &out);
        check_env_exact(r, expected);
        t_report_free(r);
        subproc_free(run_c);
        subproc_free(c);
}

static void test_env_put(void **state)
{
        static const char *const expected[] = { "TERM=xterm", "EMPTY=", "EQ=x=y", NULL };
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        char put_string[] = "TERM=vt100";
        char *out;

        subproc_env_put(c, put_string);
        /* The string is copied. */
        strcpy(put_string, "TERM=gone!");
        subproc_env_put(c, "EMPTY=");
        subproc_env_put(c, "EQ=x=y");
        subproc_env_put(c, "TERM=xterm");
        r = t_run_report(c, &out);
        check_env_exact(r, expected);
        t_report_free(r);
        subproc_free(c);
}

static void test_env_pass(void **state)
{
        static const char *const expected[] = { "SUBPROC_TEST_PASS=at pass time",
                                                "SUBPROC_TEST_EMPTY=", NULL };
        struct t_saved_env saved[4] = { 0 };
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        char *out;

        t_env_save_set(&saved[0], "SUBPROC_TEST_PASS", "at pass time");
        t_env_save_set(&saved[1], "SUBPROC_TEST_UNSET", NULL);
        t_env_save_set(&saved[2], "SUBPROC_TEST_EMPTY", "");
        t_env_save_set(&saved[3], "SUBPROC_TEST_NOT_PASSED", "x");
        subproc_env_pass(c, "SUBPROC_TEST_PASS");
        subproc_env_pass(c, "SUBPROC_TEST_UNSET");
        subproc_env_pass(c, "SUBPROC_TEST_EMPTY");
        /* Copied at pass time: later changes in the caller do not matter. */
        setenv("SUBPROC_TEST_PASS", "changed later", 1);
        setenv("SUBPROC_TEST_UNSET", "set later", 1);
        r = t_run_report(c, &out);
        check_env_exact(r, expected);
        t_report_free(r);
        subproc_free(c);
        for (int i = 3; i >= 0; i--)
                t_env_restore(&saved[i]);
}

static const char *const common_names[] = { "PATH",   "LD_PRELOAD", "LD_LIBRARY_PATH",
                                            "HOME",   "USER",       "LOGNAME",
                                            "TMPDIR", "LC_ALL",     "SUBPROC_TEST_UNCOMMON" };
#define N_COMMON_NAMES (sizeof common_names / sizeof common_names[0])

static void test_env_pass_common(void **state)
{
        static const char *const expected[] = {
                "PATH=/subproc/test/bin:/usr/bin:/bin",
                "LD_LIBRARY_PATH=/subproc/test/nonexistent-lib",
                "HOME=/subproc/test/home",
                "USER=subproc-user",
                "LOGNAME=subproc-logname",
                "TMPDIR=/tmp",
                "LC_ALL=C",
                NULL,
        };
        static const char *const values[] = { "/subproc/test/bin:/usr/bin:/bin",
                                              NULL,
                                              "/subproc/test/nonexistent-lib",
                                              "/subproc/test/home",
                                              "subproc-user",
                                              "subproc-logname",
                                              "/tmp",
                                              "de_DE.UTF-8",
                                              "not passed" };
        struct t_saved_env saved[N_COMMON_NAMES] = { 0 };
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        char *out;

        for (size_t i = 0; i < N_COMMON_NAMES; i++)
                t_env_save_set(&saved[i], common_names[i], values[i]);
        subproc_env_pass_common(c);
        /* Restore now: pass_common copied the values already, and the helper is run by its
         * absolute path, so the caller's PATH does not matter. */
        for (size_t i = N_COMMON_NAMES; i-- > 0;)
                t_env_restore(&saved[i]);
        r = t_run_report(c, &out);
        check_env_exact(r, expected);
        t_report_free(r);
        subproc_free(c);
}

static void test_env_pass_common_only_set_ones(void **state)
{
        static const char *const expected[] = { "LC_ALL=C", "HOME=/only/home", NULL };
        struct t_saved_env saved[N_COMMON_NAMES] = { 0 };
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        char *out;

        for (size_t i = 0; i < N_COMMON_NAMES; i++)
                t_env_save_set(&saved[i], common_names[i],
                               strcmp(common_names[i], "HOME") == 0 ? "/only/home" : NULL);
        subproc_env_pass_common(c);
        for (size_t i = N_COMMON_NAMES; i-- > 0;)
                t_env_restore(&saved[i]);
        r = t_run_report(c, &out);
        check_env_exact(r, expected);
        t_report_free(r);
        subproc_free(c);
}

static void test_env_inherit_then_edit(void **state)
{
        struct t_saved_env saved[4] = { 0 };
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        size_t caller_count = 0;
        char *out;

        t_env_save_set(&saved[0], "SUBPROC_TEST_REMOVED", "x");
        t_env_save_set(&saved[1], "SUBPROC_TEST_KEPT", "kept");
        t_env_save_set(&saved[2], "SUBPROC_TEST_AFTER_INHERIT", NULL);
        t_env_save_set(&saved[3], "SUBPROC_TEST_REPLACED", "old");
        subproc_env_inherit(c);
        subproc_env_unset(c, "SUBPROC_TEST_REMOVED");
        subproc_env_unset(c, "SUBPROC_TEST_NEVER_SET");
        subproc_env_set(c, "SUBPROC_TEST_ADDED", "added");
        subproc_env_set(c, "SUBPROC_TEST_REPLACED", "new");
        /* The copy was taken by subproc_env_inherit(): later caller changes do not show. */
        setenv("SUBPROC_TEST_AFTER_INHERIT", "late", 1);
        unsetenv("SUBPROC_TEST_KEPT");
        r = t_run_report(c, &out);
        setenv("SUBPROC_TEST_KEPT", "kept", 1);
        unsetenv("SUBPROC_TEST_AFTER_INHERIT");
        while (environ[caller_count] != NULL)
                caller_count++;

        assert_null(t_report_env(r, "SUBPROC_TEST_REMOVED"));
        assert_null(t_report_env(r, "SUBPROC_TEST_AFTER_INHERIT"));
        assert_string_equal(t_report_env(r, "SUBPROC_TEST_KEPT"), "kept");
        assert_string_equal(t_report_env(r, "SUBPROC_TEST_ADDED"), "added");
        assert_string_equal(t_report_env(r, "SUBPROC_TEST_REPLACED"), "new");
        /* Everything else of the caller: one removed, one added. */
        assert_ll_equal(t_report_env_count(r), caller_count);
        for (size_t i = 0; i < caller_count; i++) {
                const char *equals = strchr(environ[i], '=');
                char *name = strndup(environ[i], (size_t)(equals - environ[i]));

                if (strcmp(name, "SUBPROC_TEST_REMOVED") != 0 &&
                    strcmp(name, "SUBPROC_TEST_REPLACED") != 0) {
                        if (t_report_env(r, name) == NULL)
                                print_error("%s missing in the child\n", name);
                        assert_non_null(t_report_env(r, name));
                        assert_string_equal(t_report_env(r, name), equals + 1);
                }
                free(name);
        }
        t_report_free(r);
        subproc_free(c);
        for (int i = 3; i >= 0; i--)
                t_env_restore(&saved[i]);
}

static void test_env_unset_alone_inherits(void **state)
{
        struct t_saved_env saved[2] = { 0 };
        subproc *c = subproc_new(HELPER_PATH);
        subproc *noop = subproc_new(HELPER_PATH);
        struct helper_report *r;
        size_t caller_count = 0;
        char *out, *noop_out;

        t_env_save_set(&saved[0], "SUBPROC_TEST_REMOVED", "x");
        t_env_save_set(&saved[1], "SUBPROC_TEST_KEPT", "kept");
        subproc_env_unset(c, "SUBPROC_TEST_REMOVED");
        r = t_run_report(c, &out);
        while (environ[caller_count] != NULL)
                caller_count++;
        assert_null(t_report_env(r, "SUBPROC_TEST_REMOVED"));
        assert_string_equal(t_report_env(r, "SUBPROC_TEST_KEPT"), "kept");
        assert_ll_equal(t_report_env_count(r), caller_count - 1);
        t_report_free(r);

        /* Unsetting a name the caller does not have leaves the whole environment. */
        subproc_env_unset(noop, "SUBPROC_TEST_NEVER_SET");
        r = t_run_report(noop, &noop_out);
        check_env_is_callers(r);
        t_report_free(r);

        subproc_free(noop);
        subproc_free(c);
        t_env_restore(&saved[1]);
        t_env_restore(&saved[0]);
}

static void test_env_unset_in_clean_env(void **state)
{
        static const char *const expected[] = { "KEEP=1", NULL };
        struct t_saved_env saved = { 0 };
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        char *out;

        t_env_save_set(&saved, "SUBPROC_TEST_CALLER_ONLY", "x");
        subproc_env_set(c, "DROP", "1");
        subproc_env_set(c, "KEEP", "1");
        subproc_env_unset(c, "DROP");
        subproc_env_unset(c, "SUBPROC_TEST_CALLER_ONLY");
        r = t_run_report(c, &out);
        check_env_exact(r, expected);
        t_report_free(r);
        subproc_free(c);
        t_env_restore(&saved);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                T_TEST(test_env_inherited_by_default),
                T_TEST(test_env_set_gives_clean_env),
                T_TEST(test_env_clear),
                T_TEST(test_env_awkward_values),
                T_TEST(test_env_set_replaces_in_place),
                T_TEST(test_env_put),
                T_TEST(test_env_pass),
                T_TEST(test_env_pass_common),
                T_TEST(test_env_pass_common_only_set_ones),
                T_TEST(test_env_inherit_then_edit),
                T_TEST(test_env_unset_alone_inherits),
                T_TEST(test_env_unset_in_clean_env),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
