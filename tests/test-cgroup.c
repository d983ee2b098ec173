/* Tests of subproc_set_cgroup(): the program starts inside the cgroup v2 directory it was
 * given, and a cgroup that cannot be entered fails the run with the step named.  The placement
 * cases need a writable cgroup v2 hierarchy (and skip without one).
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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* A generous bound for things that should take milliseconds. */
#define HANG_GUARD_MS 10000.0

/* ---------------------------------------------------------------------------------------
 * A cgroup of our own
 * ------------------------------------------------------------------------------------- */

static bool is_cgroup2(const char *path)
{
        struct statfs fs;

        return statfs(path, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

/* The mount point of the cgroup v2 hierarchy: /sys/fs/cgroup (unified), else the first
 * cgroup2 mount (a hybrid system's /sys/fs/cgroup/unified); malloc'd, or NULL. */
static char *cgroup2_root(void)
{
        char line[4096];
        char *root = NULL;
        FILE *f;

        if (is_cgroup2("/sys/fs/cgroup"))
                return strdup("/sys/fs/cgroup");
        f = fopen("/proc/self/mountinfo", "re");
        if (f == NULL)
                return NULL;
        while (root == NULL && fgets(line, sizeof line, f) != NULL) {
                char mount_point[4096], fstype[64], *sep = strstr(line, " - ");

                /* "ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS... - FSTYPE SOURCE OPTIONS" */
                if (sep == NULL || sscanf(sep, " - %63s", fstype) != 1 ||
                    strcmp(fstype, "cgroup2") != 0 ||
                    sscanf(line, "%*s %*s %*s %*s %4095s", mount_point) != 1)
                        continue;
                /* Octal escapes (a space is \040) are not expected here: skip such a mount. */
                if (strchr(mount_point, '\\') == NULL && is_cgroup2(mount_point))
                        root = strdup(mount_point);
        }
        fclose(f);
        return root;
}

/* The cgroup a case made, removed by its teardown even when the case fails. */
static char *test_cgroup;

/* Create <cgroup2 root>/subproc-test-<pid>, or skip with a message saying why not. */
static const char *make_test_cgroup(void)
{
        char *root = cgroup2_root(), *dir;

        if (root == NULL) {
                print_message("no cgroup v2 hierarchy is mounted: cgroup placement not tried\n");
                skip();
        }
        assert_true(asprintf(&dir, "%s/subproc-test-%ld", root, (long)getpid()) > 0);
        free(root);
        if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
                print_message("cannot create %s (%s): cgroup placement not tried\n", dir,
                              strerror(errno));
                free(dir);
                skip();
        }
        test_cgroup = dir;
        return dir;
}

/* rmdir the cgroup.  It is empty once its last process was reaped, though the kernel may
 * take a moment to notice: retry EBUSY until a deadline.  Returns 0 or an errno. */
static int remove_test_cgroup(void)
{
        double deadline = monotonic_ms() + HANG_GUARD_MS;
        int rc;

        if (test_cgroup == NULL)
                return 0;
        while ((rc = rmdir(test_cgroup)) != 0 && errno == EBUSY && monotonic_ms() < deadline) {
                struct timespec step = { 0, 1000 * 1000 };

                nanosleep(&step, NULL);
        }
        rc = rc == 0 ? 0 : errno;
        if (rc != 0)
                print_error("rmdir %s: %s\n", test_cgroup, strerror(rc));
        free(test_cgroup);
        test_cgroup = NULL;
        return rc;
}

/* After the usual checks (which also kill a child left by a failed case), remove the cgroup. */
static int cgroup_teardown(void **state)
{
        int r = sp_test_teardown(state);

        return remove_test_cgroup() == 0 ? r : -1;
}

#define CGROUP_TEST(f) cmocka_unit_test_setup_teardown(f, sp_test_setup, cgroup_teardown)

/* ---------------------------------------------------------------------------------------
 * Placement
 * ------------------------------------------------------------------------------------- */

/* What the program itself sees first: its cgroup v2 line names our cgroup. */
static void test_program_starts_in_cgroup(void **state)
{
        const char *dir = make_test_cgroup();
        subproc *c = subproc_new_args("/bin/cat", "/proc/self/cgroup", NULL);
        char *out = NULL, *line, *expected;
        int rc;

        (void)state;
        subproc_set_cgroup(c, dir);
        subproc_set_output_buffer(c, &out);
        rc = subproc_run(c, NULL);
        if (rc != 0)
                print_error("subproc_run: %s (errno %d)\n", subproc_errmsg(), errno);
        subproc_free(c);
        assert_ll_equal(rc, 0);
        print_message("  %s", out);

        /* "0::/<path from the namespace root>/subproc-test-<pid>" */
        assert_true(asprintf(&expected, "/subproc-test-%ld\n", (long)getpid()) > 0);
        line = strstr(out, "0::/");
        if (line == NULL || strstr(line, expected) == NULL ||
            strchr(line, '\n') != strstr(line, expected) + strlen(expected) - 1)
                fail_msg("the cgroup v2 line does not end in %s in \"%s\"", expected, out);
        free(expected);
        free(out);
        assert_ll_equal(remove_test_cgroup(), 0);
}

/* While it runs, the child is the only process listed in the cgroup's cgroup.procs, and it
 * inherited no fd of the placement. */
static void test_running_child_listed(void **state)
{
        const char *dir = make_test_cgroup();
        subproc *c = subproc_new_args(HELPER_PATH, NULL);
        char *procs_path, *procs, pid_line[32], *report_path = make_temp_path(), ready = 0;
        struct helper_report *r;
        char expected_fds[32];
        int notify[2];

        (void)state;
        /* The helper reports, then says so on the notify pipe, then sleeps. */
        assert_ll_equal(pipe2(notify, O_CLOEXEC), 0);
        subproc_pass_fd(c, notify[1], SUBPROC_PASS_FD_CLOSE_PARENT);
        subproc_add_arg_format(c, "--report=%s", report_path);
        subproc_add_arg_format(c, "--notify-fd=%d", notify[1]);
        subproc_add_arg(c, "--sleep-ms=60000");
        subproc_set_cgroup(c, dir);
        subproc_raw_status(c);
        snprintf(expected_fds, sizeof expected_fds, "0 1 2 %d", notify[1]);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        assert_ll_equal(read(notify[0], &ready, 1), 1);
        close(notify[0]);
        assert_true(asprintf(&procs_path, "%s/cgroup.procs", dir) > 0);
        procs = read_file_all(procs_path, NULL);
        snprintf(pid_line, sizeof pid_line, "%ld\n", (long)subproc_pid(c));
        print_message("  cgroup.procs: %s", procs);
        assert_ll_equal(subproc_kill(c, SIGTERM), 0);
        assert_ll_equal(subproc_wait(c, NULL), 0);
        assert_string_equal(procs, pid_line);
        free(procs);

        /* Reaped: the cgroup is empty again. */
        procs = read_file_all(procs_path, NULL);
        assert_string_equal(procs, "");
        free(procs);
        free(procs_path);

        r = report_read_file(report_path);
        check_fd_set(r, expected_fds);
        report_free(r);
        unlink(report_path);
        free(report_path);
        subproc_free(c);
        assert_ll_equal(remove_test_cgroup(), 0);
}

/* ---------------------------------------------------------------------------------------
 * Failures (no cgroup v2 needed)
 * ------------------------------------------------------------------------------------- */

static void test_missing_cgroup(void **state)
{
        char *dir = make_temp_path();
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);

        (void)state;
        /* The directory does not exist: entering it fails before exec. */
        subproc_set_cgroup(c, dir);
        assert_run_fails(c, ENOENT, "cgroup");
        assert_contains(subproc_errmsg(), dir);
        assert_run_async_fails(c, ENOENT, "cgroup");
        assert_ll_equal(subproc_pid(c), -1);
        subproc_free(c);
        free(dir);
}

static void test_cgroup_bad_argument(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);

        (void)state;
        subproc_set_cgroup(c, NULL);
        assert_run_fails(c, EINVAL, NULL);
        subproc_free(c);

        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_set_cgroup(c, "");
        assert_run_fails(c, EINVAL, NULL);
        subproc_free(c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                CGROUP_TEST(test_program_starts_in_cgroup),
                CGROUP_TEST(test_running_child_listed),
                SP_TEST(test_missing_cgroup),
                SP_TEST(test_cgroup_bad_argument),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
