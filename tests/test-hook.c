/* Tests of the pre-exec hook: it runs in the child (the process that becomes the program),
 * after the pidfile, rlimits and umask and before chdir and the privilege drop; a non-zero
 * return stops the child and fails the run with that errno and a message naming the hook.
 *
 * Hooks here use only async-signal-safe calls: they report through a pipe passed to the child
 * with subproc_pass_fd(), with write().
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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "lifetime-util.h"

#define NOBODY 65534

/* What a hook sees of itself, written to the pipe as one record. */
struct hook_view {
        long pid;
        long ppid;
        long euid;
        long umask;
        int pidfile_locked;     /* a fresh open of the pidfile sees a lock */
        char pidfile_text[32];  /* its content */
        char cwd[PATH_MAX];
};

struct hook_arg {
        int fd;               /* the write end of the report pipe, passed to the child */
        const char *pidfile;  /* NULL: none */
        int result;           /* what the hook returns */
};

/* Runs in the child: async-signal-safe only. */
static int observing_hook(void *opaque)
{
        const struct hook_arg *arg = opaque;
        struct hook_view view;
        ssize_t len;
        mode_t mask;

        memset(&view, 0, sizeof view);
        view.pid = (long)getpid();
        view.ppid = (long)getppid();
        view.euid = (long)geteuid();
        mask = umask(0);
        umask(mask);
        view.umask = (long)mask;
        len = readlink("/proc/self/cwd", view.cwd, sizeof view.cwd - 1);
        if (len < 0)
                view.cwd[0] = '\0';
        view.pidfile_locked = -1;
        if (arg->pidfile != NULL) {
                int fd = open(arg->pidfile, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

                if (fd >= 0) {
                        view.pidfile_locked = pidfile_lock_conflict(fd, false);
                        len = pread(fd, view.pidfile_text, sizeof view.pidfile_text - 1, 0);
                        if (len < 0)
                                view.pidfile_text[0] = '\0';
                        close(fd);
                }
        }
        if (write(arg->fd, &view, sizeof view) != (ssize_t)sizeof view)
                return EIO;
        return arg->result;
}

/* A pipe for the hook's report: the write end is passed to the child. */
static void hook_pipe(subproc *c, struct hook_arg *arg, int fds[2])
{
        assert_ll_equal(pipe2(fds, O_CLOEXEC), 0);
        arg->fd = fds[1];
        subproc_pass_fd(c, fds[1], 0);
        subproc_set_pre_exec_hook(c, observing_hook, arg);
}

/* After the run: the hook's record, which must be there. */
static void hook_view_read(const int fds[2], struct hook_view *view)
{
        lt_read_exact(fds[0], view, sizeof *view, LT_HANG_GUARD_MS);
}

static void hook_pipe_close(const int fds[2])
{
        close(fds[0]);
        close(fds[1]);
}

static void test_hook_runs_in_child(void **state)
{
        subproc *c = subproc_new(HELPER_PATH);
        struct hook_arg arg = { .result = 0 };
        struct helper_report *r;
        struct hook_view view;
        char *out = NULL;
        int fds[2];

        hook_pipe(c, &arg, fds);
        r = run_report(c, &out);
        hook_view_read(fds, &view);
        /* The hook ran in the process that then became the program, a child of ours. */
        assert_ll_equal(view.pid, report_get_int(r, "pid"));
        assert_true(view.pid != (long)getpid());
        assert_ll_equal(view.ppid, getpid());
        report_free(r);

        /* And again on a rerun. */
        r = run_report_again(c, &out);
        hook_view_read(fds, &view);
        assert_ll_equal(view.pid, report_get_int(r, "pid"));
        report_free(r);
        hook_pipe_close(fds);
        subproc_free(c);
}

static void test_hook_failure_stops_child(void **state)
{
        static const struct {
                int result;
                int expected_errno;
        } cases[] = {
                { EPERM, EPERM },
                { ENOSPC, ENOSPC },
                { -1, ECANCELED },
        };
        char *dir = lt_open_dir(), *marker = lt_path(dir, "ran");
        const char *const names[] = { "ran", NULL };

        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                for (int async = 0; async < 2; async++) {
                        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
                        struct hook_arg arg = { .result = cases[i].result };
                        struct hook_view view;
                        int fds[2];

                        subproc_add_arg_format(c, "--write-file=%s", marker);
                        hook_pipe(c, &arg, fds);
                        if (async)
                                assert_run_async_fails(c, cases[i].expected_errno, "hook");
                        else
                                assert_run_fails(c, cases[i].expected_errno, "hook");
                        assert_ll_equal(subproc_errstage(), SUBPROC_STAGE_SETUP);
                        /* The hook did run; the program did not. */
                        hook_view_read(fds, &view);
                        hook_pipe_close(fds);
                        assert_true(view.pid > 0);
                        assert_false(lt_file_exists(marker));
                        subproc_free(c);
                }
        }
        free(marker);
        lt_remove_dir(dir, names);
}

static void test_hook_sees_setup_done(void **state)
{
        char *dir = make_temp_dir(), *pidfile = lt_path(dir, "pid"), *out = NULL;
        const char *const names[] = { "pid", NULL };
        subproc *c = subproc_new(HELPER_PATH);
        struct hook_arg arg = { .result = 0, .pidfile = pidfile };
        struct helper_report *r;
        struct hook_view view;
        char expected[32], cwd[PATH_MAX];
        int fds[2];

        assert_non_null(getcwd(cwd, sizeof cwd));
        hook_pipe(c, &arg, fds);
        subproc_set_pidfile(c, pidfile);
        subproc_set_umask(c, 027);
        subproc_set_cwd(c, dir);
        r = run_report(c, &out);
        hook_view_read(fds, &view);
        hook_pipe_close(fds);

        /* The pidfile is already held, with the pid of the process the hook runs in. */
        assert_ll_equal(view.pidfile_locked, 1);
        snprintf(expected, sizeof expected, "%ld\n", view.pid);
        assert_string_equal(view.pidfile_text, expected);
        /* The umask is applied... */
        assert_ll_equal(view.umask, 027);
        /* ...the cwd is not yet: the hook runs before chdir. */
        assert_string_equal(view.cwd, cwd);
        assert_string_equal(report_get(r, "cwd"), dir);
        report_free(r);
        subproc_free(c);
        free(pidfile);
        lt_remove_dir(dir, names);
}

static void test_hook_runs_before_privilege_drop(void **state)
{
        subproc *c = subproc_new(HELPER_PATH);
        struct hook_arg arg = { .result = 0 };
        struct helper_report *r;
        struct hook_view view;
        char *out = NULL;
        int fds[2];

        lt_require_root();
        hook_pipe(c, &arg, fds);
        subproc_set_uid(c, NOBODY);
        subproc_set_gid(c, NOBODY);
        subproc_clear_caps(c);
        r = run_report(c, &out);
        hook_view_read(fds, &view);
        hook_pipe_close(fds);
        assert_ll_equal(view.euid, 0);
        assert_ll_equal(report_get_int(r, "euid"), NOBODY);
        report_free(r);
        subproc_free(c);
}

static void test_hook_in_daemon(void **state)
{
        char *dir = make_temp_dir(), *pidfile = lt_path(dir, "pid");
        const char *const names[] = { "pid", NULL };
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--sleep-ms=60000", NULL);
        struct hook_arg arg = { .result = 0, .pidfile = pidfile };
        struct hook_view view;
        int fds[2];
        pid_t daemon;

        hook_pipe(c, &arg, fds);
        subproc_set_pidfile(c, pidfile);
        subproc_daemonize(c);
        if (subproc_run(c, NULL) != 0)
                print_error("subproc_run: %s\n", subproc_errmsg());
        daemon = subproc_daemon_pid(c);
        assert_true(daemon > 0);
        lt_track(daemon);
        hook_view_read(fds, &view);
        hook_pipe_close(fds);
        /* It ran in the daemon itself, which already held the pidfile. */
        assert_ll_equal(view.pid, daemon);
        assert_ll_equal(view.pidfile_locked, 1);
        assert_ll_equal(lt_stop_pidfile(pidfile), 0);
        assert_true(lt_wait_exit(daemon, LT_HANG_GUARD_MS) >= 0);
        subproc_free(c);
        free(pidfile);
        lt_remove_dir(dir, names);
}

static int never_called_hook(void *opaque)
{
        return EPERM;
}

static void test_hook_bad_arguments(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);

        subproc_set_pre_exec_hook(c, never_called_hook, NULL);
        subproc_set_pre_exec_hook(c, never_called_hook, NULL);
        assert_run_fails(c, EINVAL, NULL);
        subproc_free(c);
        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_set_pre_exec_hook(c, NULL, NULL);
        assert_run_fails(c, EINVAL, NULL);
        subproc_free(c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                LT_TEST(test_hook_runs_in_child),
                LT_TEST(test_hook_failure_stops_child),
                LT_TEST(test_hook_sees_setup_done),
                LT_TEST(test_hook_runs_before_privilege_drop),
                LT_TEST(test_hook_in_daemon),
                LT_TEST(test_hook_bad_arguments),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
