/* Tests of binary lookup: bare names in the caller's PATH, never the command's PATH or the
 * current directory, relative paths.
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
#include <grp.h>
#include <pwd.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/support.h"

/* ---------------------------------------------------------------------------------------
 * PATH lookup
 * ------------------------------------------------------------------------------------- */

#define ALIAS "subproc-test-helper-alias"

/* A directory holding a symlink ALIAS -> the helper. */
static char *make_alias_dir(void)
{
        char *dir = t_make_temp_dir(), *link_path;

        assert_true(asprintf(&link_path, "%s/%s", dir, ALIAS) > 0);
        assert_ll_equal(symlink(HELPER_PATH, link_path), 0);
        free(link_path);
        return dir;
}

static void remove_alias_dir(char *dir)
{
        char *link_path;

        assert_true(asprintf(&link_path, "%s/%s", dir, ALIAS) > 0);
        unlink(link_path);
        rmdir(dir);
        free(link_path);
        free(dir);
}

static void test_bare_name_not_in_path(void **state)
{
        subproc *c = subproc_new("subproc-no-such-command");

        /* No child at all: assert_run_fails() also checks that. */
        assert_run_fails(c, ENOENT, "cannot find 'subproc-no-such-command' in PATH");
        assert_ll_equal(subproc_errstage(), SUBPROC_STAGE_EXEC);
        assert_run_async_fails(c, ENOENT, "cannot find 'subproc-no-such-command' in PATH");
        assert_ll_equal(subproc_errstage(), SUBPROC_STAGE_EXEC);
        assert_ll_equal(subproc_pid(c), -1);
        subproc_free(c);
}

static void test_bare_name_in_path(void **state)
{
        subproc *t = subproc_new("true");
        subproc *sh = subproc_new_args("sh", "-c", "exit 7", NULL);
        int status = -1;

        assert_ll_equal(subproc_run(t, NULL), 0);
        assert_ll_equal(subproc_run(sh, &status), 0);
        assert_ll_equal(status, 7);
        subproc_free(sh);
        subproc_free(t);
}

static void test_bare_name_argv0(void **state)
{
        char *dir = make_alias_dir(), *path;
        struct t_saved_env saved = { 0 };
        subproc *c = subproc_new(ALIAS);
        struct helper_report *r;
        char *out;

        assert_true(asprintf(&path, "/nonexistent/subproc:%s:/usr/bin:/bin", dir) > 0);
        t_env_save_set(&saved, "PATH", path);
        r = t_run_report(c, &out);
        t_env_restore(&saved);
        /* argv[0] is the name as given, not the resolved path. */
        assert_string_equal(t_report_get(r, "argv[0]"), ALIAS);
        t_report_free(r);
        subproc_free(c);
        free(path);
        remove_alias_dir(dir);
}

static void test_path_from_caller_not_command_env(void **state)
{
        char *dir = make_alias_dir(), *path;
        struct t_saved_env saved = { 0 };
        subproc *found = subproc_new(ALIAS);
        subproc *not_found = subproc_new(ALIAS);
        struct helper_report *r;
        char *out;

        /* The caller's PATH has the alias, the command's PATH has not: found. */
        assert_true(asprintf(&path, "/nonexistent/subproc:%s", dir) > 0);
        t_env_save_set(&saved, "PATH", path);
        subproc_env_set(found, "PATH", "/nonexistent/command-path");
        r = t_run_report(found, &out);
        assert_string_equal(t_report_env(r, "PATH"), "/nonexistent/command-path");
        t_report_free(r);

        /* The command's PATH has the alias, the caller's has not: not found. */
        setenv("PATH", "/usr/bin:/bin", 1);
        subproc_env_set(not_found, "PATH", dir);
        assert_run_fails(not_found, ENOENT, "cannot find '" ALIAS "' in PATH");
        t_env_restore(&saved);

        subproc_free(not_found);
        subproc_free(found);
        free(path);
        remove_alias_dir(dir);
}

static void test_path_unset_never_cwd(void **state)
{
        char *dir = make_alias_dir();
        char cwd[PATH_MAX];
        struct t_saved_env saved = { 0 };
        subproc *c = subproc_new(ALIAS);
        int rc, saved_errno;

        assert_non_null(getcwd(cwd, sizeof cwd));
        assert_ll_equal(chdir(dir), 0);
        t_env_save_set(&saved, "PATH", NULL);
        errno = 0;
        rc = subproc_run(c, NULL);
        saved_errno = errno;
        t_env_restore(&saved);
        assert_ll_equal(chdir(cwd), 0);
        assert_ll_equal(rc, -1);
        assert_errno_equal(saved_errno, ENOENT);
        assert_no_children();
        subproc_free(c);
        remove_alias_dir(dir);
}

static void test_path_skips_unusable_entries(void **state)
{
        char *good = make_alias_dir(), *bad = t_make_temp_dir(), *path, *entry;
        struct t_saved_env saved = { 0 };
        subproc *c = subproc_new(ALIAS);
        struct helper_report *r;
        char *out;

        /* An earlier PATH directory holds a directory of that name: it is not a program. */
        assert_true(asprintf(&entry, "%s/%s", bad, ALIAS) > 0);
        assert_ll_equal(mkdir(entry, 0755), 0);
        assert_true(asprintf(&path, "%s:%s", bad, good) > 0);
        t_env_save_set(&saved, "PATH", path);
        r = t_run_report(c, &out);
        t_env_restore(&saved);
        assert_string_equal(t_report_get(r, "argv[0]"), ALIAS);
        t_report_free(r);
        subproc_free(c);
        rmdir(entry);
        rmdir(bad);
        free(entry);
        free(bad);
        free(path);
        remove_alias_dir(good);
}

static void test_relative_path(void **state)
{
        char *helper_copy = strdup(HELPER_PATH);
        char *helper_dir = dirname(helper_copy);
        char cwd[PATH_MAX];
        subproc *c = subproc_new("./subproc-test-helper");
        struct helper_report *r;
        char *out;

        assert_non_null(getcwd(cwd, sizeof cwd));
        assert_ll_equal(chdir(helper_dir), 0);
        r = t_run_report(c, &out);
        assert_ll_equal(chdir(cwd), 0);
        assert_string_equal(t_report_get(r, "argv[0]"), "./subproc-test-helper");
        t_report_free(r);
        subproc_free(c);
        free(helper_copy);
}

/* Resolve `name` as user nobody, in a child of ours (root can search every directory), with
 * PATH set to `path`; the message of the failure goes to `msg`, the errno is returned (0:
 * found; -2: not tried, no user nobody or not root). */
static int resolve_as_nobody(const char *name, const char *path, char *msg, size_t size)
{
        struct {
                int error;
                char msg[480];
        } res = { -2, "" };
        struct passwd *pw = getpwnam("nobody");
        int channel[2], status = -1;
        pid_t child;

        if (!pw || geteuid() != 0)
                return -2;
        assert_ll_equal(pipe2(channel, O_CLOEXEC), 0);
        child = fork();
        assert_true(child >= 0);
        if (child == 0) {
                subproc *c = subproc_new(name);

                if (setgroups(0, NULL) != 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) ||
                    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0 ||
                    setenv("PATH", path, 1) != 0)
                        _exit(1);
                res.error = subproc_run(c, NULL) == 0 ? 0 : errno;
                snprintf(res.msg, sizeof res.msg, "%s", subproc_errmsg());
                (void)!write(channel[1], &res, sizeof res);
                _exit(0);
        }
        close(channel[1]);
        assert_ll_equal(read(channel[0], &res, sizeof res), sizeof res);
        close(channel[0]);
        assert_ll_equal(waitpid(child, &status, 0), child);
        assert_ll_equal(status, 0);
        snprintf(msg, size, "%s", res.msg);
        return res.error;
}

/* A program found nowhere, with a directory of PATH the caller cannot search: not "cannot
 * run ... found", but not found, naming that directory; errno EACCES as execvp() gives it
 * (the program may be in there). */
static void test_unsearchable_directory_in_path(void **state)
{
        char *closed = t_make_temp_dir(), *path, *expected, msg[512];
        int e;

        assert_ll_equal(chmod(closed, 0700), 0);
        assert_true(asprintf(&path, "%s:/nonexistent/subproc", closed) > 0);
        e = resolve_as_nobody("subproc-no-such-command", path, msg, sizeof msg);
        if (e == -2) {
                print_message("not root, or no user nobody: not tried\n");
                rmdir(closed);
                free(closed);
                free(path);
                skip();
        }
        print_message("%s\n", msg);
        assert_errno_equal(e, EACCES);
        assert_true(asprintf(&expected,
                             "cannot find 'subproc-no-such-command' in PATH: "
                             "directory %s (in PATH) cannot be searched",
                             closed) > 0);
        assert_contains(msg, expected);
        assert_null(strstr(msg, "cannot run"));
        rmdir(closed);
        free(expected);
        free(closed);
        free(path);
}

/* A match that cannot be run is named, by its path. */
static void test_non_executable_match_is_named(void **state)
{
        char *dir = t_make_temp_dir(), *file, *path, *expected;
        struct t_saved_env saved = { 0 };
        subproc *c = subproc_new(ALIAS);
        FILE *f;

        assert_true(asprintf(&file, "%s/%s", dir, ALIAS) > 0);
        f = fopen(file, "w");
        assert_non_null(f);
        fclose(f);
        assert_ll_equal(chmod(file, 0644), 0);
        assert_true(asprintf(&path, "/nonexistent/subproc:%s", dir) > 0);
        assert_true(asprintf(&expected, "cannot run '%s', found in PATH as %s", ALIAS, file) > 0);
        t_env_save_set(&saved, "PATH", path);
        assert_run_fails(c, EACCES, expected);
        t_env_restore(&saved);
        subproc_free(c);
        unlink(file);
        rmdir(dir);
        free(expected);
        free(path);
        free(file);
        free(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                T_TEST(test_bare_name_not_in_path),
                T_TEST(test_bare_name_in_path),
                T_TEST(test_bare_name_argv0),
                T_TEST(test_path_from_caller_not_command_env),
                T_TEST(test_path_unset_never_cwd),
                T_TEST(test_path_skips_unusable_entries),
                T_TEST(test_relative_path),
                T_TEST(test_unsearchable_directory_in_path),
                T_TEST(test_non_executable_match_is_named),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
