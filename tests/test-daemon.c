/* Tests of daemons: subproc_run() returns once the intermediate has exited and the daemon
 * holds its pidfile; the daemon is in its own session, not the caller's child, in "/" (or the
 * cwd set) with stdio on /dev/null (or the fds set); force_cleanup stops it.
 *
 * Every daemon reports through --report=PATH and then writes "R" to a pipe passed to it, so
 * the test waits on the pipe, never on a timer.  Every daemon started is stopped by its case
 * (and by t_teardown() if the case failed half-way).
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
#include <sys/wait.h>
#include <unistd.h>

#include "support/support.h"

/* A daemon being set up: its command, a temp dir for its files, the notify pipe. */
struct daemon_case {
        subproc *c;
        char *dir;
        char *pidfile;
        char *report;
        char *marker;
        int notify[2];
        int notify_child_fd; /* notify[1]'s number, which the daemon sees */
        pid_t pid;
};

static const char *const daemon_files[] = { "pid", "report", "ran", "out", NULL };

/* A daemonized helper that reports to dir/report, runs `actions` (NULL-terminated), tells the
 * test through the notify pipe, and sleeps a minute (a hang guard: it is always stopped). */
static void daemon_prepare(struct daemon_case *d, bool with_pidfile, const char *const *actions)
{
        memset(d, 0, sizeof *d);
        d->dir = t_open_dir();
        d->pidfile = t_path(d->dir, "pid");
        d->report = t_path(d->dir, "report");
        d->marker = t_path(d->dir, "ran");
        d->pid = -1;
        assert_ll_equal(pipe2(d->notify, O_CLOEXEC), 0);
        d->notify_child_fd = d->notify[1];

        d->c = subproc_new(HELPER_PATH);
        subproc_add_arg_format(d->c, "--report=%s", d->report);
        if (with_pidfile) {
                subproc_add_arg_format(d->c, "--pidfile-check=%s", d->pidfile);
                subproc_set_pidfile(d->c, d->pidfile);
        }
        for (size_t i = 0; actions != NULL && actions[i] != NULL; i++)
                subproc_add_arg(d->c, actions[i]);
        subproc_add_arg_format(d->c, "--notify-fd=%d", d->notify[1]);
        subproc_add_arg(d->c, "--sleep-ms=60000");
        subproc_pass_fd(d->c, d->notify[1], 0);
        subproc_daemonize(d->c);
}

/* Start it; returns the daemon's pid once subproc_run() has returned. */
static pid_t daemon_start(struct daemon_case *d)
{
        int status = -1, rc;

        assert_ll_equal(subproc_daemon_pid(d->c), -1);
        rc = subproc_run(d->c, &status);
        if (rc != 0)
                print_error("subproc_run: %s\n", subproc_errmsg());
        assert_ll_equal(rc, 0);
        assert_ll_equal(status, 0);
        d->pid = subproc_daemon_pid(d->c);
        assert_true(d->pid > 0);
        t_track(d->pid);
        return d->pid;
}

/* Wait for the daemon's "R", then read its report. */
static struct helper_report *daemon_report(struct daemon_case *d)
{
        struct helper_report *r;
        char byte = 0;

        if (d->notify[1] >= 0) {
                close(d->notify[1]);
                d->notify[1] = -1;
        }
        t_read_exact(d->notify[0], &byte, 1, T_HANG_GUARD_SHORT_MS);
        assert_int_equal(byte, 'R');
        r = t_report_read_file(d->report);
        assert_non_null(t_report_get(r, "report_end"));
        return r;
}

static void daemon_finish(struct daemon_case *d)
{
        if (d->notify[0] >= 0)
                close(d->notify[0]);
        if (d->notify[1] >= 0)
                close(d->notify[1]);
        subproc_free(d->c);
        free(d->pidfile);
        free(d->report);
        free(d->marker);
        t_remove_dir(d->dir, daemon_files);
}

/* Kill a daemon started without a pidfile and wait until it is gone. */
static void daemon_kill(pid_t pid, int sig)
{
        assert_true(t_is_helper(pid));
        assert_ll_equal(kill(pid, sig), 0);
        assert_true(t_wait_exit(pid, T_HANG_GUARD_SHORT_MS) >= 0);
}

static char *fd_list(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *fd_list(const char *fmt, ...)
{
        va_list ap;
        char *text;

        va_start(ap, fmt);
        assert_true(vasprintf(&text, fmt, ap) > 0);
        va_end(ap);
        return text;
}

/* ---------------------------------------------------------------------------------------
 * The daemon's state
 * ------------------------------------------------------------------------------------- */

/* The daemon has exactly 0, 1, 2, its pidfile (locked, and the file it holds) and the notify
 * pipe: none of the library's own pipes reached the program. */
static void check_daemon_fds(const struct daemon_case *d, const struct helper_report *r)
{
        long long pidfile_fd = t_report_get_int(r, "pidfile_fd");
        char *expected_fds;

        assert_string_equal(t_report_getf(r, "fdlink[%lld]", pidfile_fd), d->pidfile);
        expected_fds = pidfile_fd < d->notify_child_fd
                               ? fd_list("0 1 2 %lld %d", pidfile_fd, d->notify_child_fd)
                               : fd_list("0 1 2 %d %lld", d->notify_child_fd, pidfile_fd);
        t_check_fd_set(r, expected_fds);
        free(expected_fds);
        assert_ll_equal(t_report_get_int(r, "pidfile_locked"), 1);
        /* Read-only: the daemon cannot rewrite the file through it (issue 11 item 1). */
        assert_ll_equal(t_report_get_int(r, "pidfile_fd_readonly"), 1);
}

static void test_daemon_state(void **state)
{
        struct daemon_case d;
        struct helper_report *r;
        long long sid;
        pid_t pid;

        daemon_prepare(&d, true, NULL);
        pid = daemon_start(&d);
        assert_true(pid != getpid());

        /* When subproc_run() returns, the daemon has exec'd and holds the pidfile, which
         * names it. */
        assert_true(t_is_helper(pid));
        {
                pid_t from_file = -1, alive = -1;

                assert_ll_equal(subproc_pidfile_read(d.pidfile, &from_file), 0);
                assert_ll_equal(from_file, pid);
                assert_ll_equal(subproc_pidfile_read_if_alive(d.pidfile, &alive), 0);
                assert_ll_equal(alive, pid);
        }
        /* The intermediate was reaped by subproc_run() (the teardown also checks that no
         * child or zombie is left), and the daemon is not our child. */
        assert_ll_equal(waitpid(-1, NULL, WNOHANG), -1);
        assert_errno_equal(errno, ECHILD);

        r = daemon_report(&d);
        assert_ll_equal(t_report_get_int(r, "pid"), pid);
        assert_true(t_report_get_int(r, "ppid") != getpid());
        /* Its own session, which the intermediate created: the daemon is a member, not the
         * leader (the child "calls setsid(), forks the daemon and exits"), so it can never
         * get a controlling terminal back. */
        sid = t_report_get_int(r, "sid");
        assert_true(sid > 0);
        assert_true(sid != getsid(0));
        assert_true(sid != pid);
        assert_ll_equal(t_report_get_int(r, "pgid"), sid);
        /* The session leader, the intermediate, had exited before subproc_run() returned.
         * (The daemon's ppid may still name it: the daemon may run before the intermediate
         * finishes exiting.) */
        assert_true(t_exited((pid_t)sid));

        assert_string_equal(t_report_get(r, "cwd"), "/");
        for (int fd = 0; fd < 3; fd++)
                assert_string_equal(t_report_getf(r, "fdlink[%d]", fd), "/dev/null");
        check_daemon_fds(&d, r);
        assert_ll_equal(t_report_get_int(r, "pidfile_fd_conflict"), 0);
        assert_ll_equal(t_report_get_int(r, "pidfile_locked_after_close"), 1);
        {
                char text[32];

                snprintf(text, sizeof text, "%ld\n", (long)pid);
                assert_string_equal(t_report_get(r, "pidfile_text"), text);
        }
        assert_ll_equal(t_report_get_int(r, "pdeathsig"), 0);
        t_report_free(r);

        /* Stop it through its pidfile. */
        assert_ll_equal(t_stop_pidfile(d.pidfile), 0);
        assert_false(t_file_exists(d.pidfile));
        assert_true(t_wait_exit(pid, T_HANG_GUARD_SHORT_MS) >= 0);
        daemon_finish(&d);
}

static void test_daemon_cwd_and_stdout(void **state)
{
        static const char *const actions[] = { "--stdout-text=to the file", NULL };
        struct daemon_case d;
        struct helper_report *r;
        char *out_path, *out_text, *identity;
        int out_fd;
        pid_t pid;

        daemon_prepare(&d, false, actions);
        out_path = t_path(d.dir, "out");
        out_fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(out_fd >= 0);
        subproc_set_output_fd(d.c, &out_fd);
        subproc_set_cwd(d.c, d.dir);
        pid = daemon_start(&d);
        r = daemon_report(&d);

        assert_string_equal(t_report_get(r, "cwd"), d.dir);
        identity = t_fd_identity(out_fd);
        assert_string_equal(t_report_get(r, "fdstat[1]"), identity);
        free(identity);
        assert_string_equal(t_report_get(r, "fdlink[0]"), "/dev/null");
        assert_string_equal(t_report_get(r, "fdlink[2]"), "/dev/null");
        /* The "R" comes after the text, so the text is there. */
        out_text = t_read_file_all(out_path, NULL);
        assert_string_equal(out_text, "to the file");
        free(out_text);
        /* Without a pidfile the daemon has no extra fd. */
        {
                char *expected = fd_list("0 1 2 %d", d.notify_child_fd);

                t_check_fd_set(r, expected);
                free(expected);
        }
        assert_ll_equal(t_report_get_int(r, "pid"), pid);
        t_report_free(r);

        daemon_kill(pid, SIGTERM);
        close(out_fd);
        free(out_path);
        daemon_finish(&d);
}

/* ---------------------------------------------------------------------------------------
 * Pidfiles of daemons
 * ------------------------------------------------------------------------------------- */

static void test_daemon_pidfile_busy_then_restart(void **state)
{
        struct daemon_case first, second;
        char *content, *now, holder[32];
        size_t content_len, now_len;
        struct helper_report *r;
        pid_t pid, pid2 = -1;

        daemon_prepare(&first, true, NULL);
        pid = daemon_start(&first);
        r = daemon_report(&first);
        t_report_free(r);
        content = t_read_file_all(first.pidfile, &content_len);

        /* A second daemon on the same pidfile: EBUSY naming the path and the holder, the
         * file untouched, and nothing ran. */
        daemon_prepare(&second, false, NULL);
        subproc_add_arg_format(second.c, "--write-file=%s", second.marker);
        subproc_set_pidfile(second.c, first.pidfile);
        assert_run_fails(second.c, EBUSY, first.pidfile);
        snprintf(holder, sizeof holder, "%ld", (long)pid);
        assert_contains(subproc_errmsg(), holder);
        assert_ll_equal(subproc_daemon_pid(second.c), -1);
        now = t_read_file_all(first.pidfile, &now_len);
        assert_bytes_equal(now, now_len, content, content_len);
        free(now);
        assert_false(t_file_exists(second.marker));

        /* SIGKILL the holder: it cannot clean up, yet the next start succeeds. */
        daemon_kill(pid, SIGKILL);
        {
                pid_t alive = -2;

                assert_ll_equal(subproc_pidfile_read_if_alive(first.pidfile, &alive), 0);
                assert_ll_equal(alive, -1);
        }
        {
                int status = -1;

                assert_ll_equal(subproc_run(second.c, &status), 0);
                pid2 = subproc_daemon_pid(second.c);
                assert_true(pid2 > 0 && pid2 != pid);
                t_track(pid2);
        }
        {
                pid_t from_file = -1;

                assert_ll_equal(subproc_pidfile_read(first.pidfile, &from_file), 0);
                assert_ll_equal(from_file, pid2);
        }
        r = daemon_report(&second);
        assert_ll_equal(t_report_get_int(r, "pid"), pid2);
        t_report_free(r);
        assert_ll_equal(t_stop_pidfile(first.pidfile), 0);
        assert_true(t_wait_exit(pid2, T_HANG_GUARD_SHORT_MS) >= 0);
        free(content);
        daemon_finish(&second);
        daemon_finish(&first);
}

static void test_force_cleanup_of_daemon(void **state)
{
        /* A daemon that ignores SIGTERM needs the SIGKILL; one that does not, does not. */
        static const struct {
                const char *action;
                int expected_signal;
        } cases[] = {
                { "--ignore-term", SIGKILL },
                { "--sleep-ms=0", SIGTERM },
        };

        if (!t_have_pidfds()) {
                print_message("no pidfds here (valgrind?): the library stops nobody then\n");
                skip();
        }
        /* Adopt the orphaned daemons so that their death can be checked. */
        t_become_subreaper();
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                const char *const actions[] = { cases[i].action, NULL };
                struct daemon_case d;
                struct helper_report *r;
                int status;
                pid_t pid;

                daemon_prepare(&d, true, actions);
                pid = daemon_start(&d);
                /* "R" comes after --ignore-term has been applied. */
                r = daemon_report(&d);
                t_report_free(r);
                assert_ll_equal(subproc_pidfile_force_cleanup(d.pidfile), 0);
                assert_false(t_file_exists(d.pidfile));
                status = t_reap(pid, T_HANG_GUARD_SHORT_MS);
                assert_true(WIFSIGNALED(status));
                assert_ll_equal(WTERMSIG(status), cases[i].expected_signal);
                daemon_finish(&d);
        }
}

/* ---------------------------------------------------------------------------------------
 * Failures and contradictions
 * ------------------------------------------------------------------------------------- */

static void test_daemon_failures(void **state)
{
        char *dir = t_open_dir(), *pidfile = t_path(dir, "pid"), *missing = t_path(dir, "no");
        const char *const names[] = { "pid", NULL };
        subproc *c;
        pid_t alive = -2;

        /* The daemon's exec fails: reported like any child's, nothing left. */
        c = subproc_new_args("/nonexistent/subproc-daemon", NULL);
        subproc_daemonize(c);
        subproc_set_pidfile(c, pidfile);
        assert_run_fails(c, ENOENT, "exec");
        assert_ll_equal(subproc_daemon_pid(c), -1);
        /* It held the pidfile for a moment at most.  The failed daemon may still be exiting
         * when subproc_run() returns (it is nobody's child, so nobody waited for it): then
         * the holder is that daemon, and it lets go as it ends. */
        assert_ll_equal(subproc_pidfile_read_if_alive(pidfile, &alive), 0);
        if (alive > 0) {
                assert_true(t_wait_exit(alive, T_HANG_GUARD_SHORT_MS) >= 0);
                assert_ll_equal(subproc_pidfile_read_if_alive(pidfile, &alive), 0);
        }
        assert_ll_equal(alive, -1);
        subproc_free(c);

        /* Its chdir fails. */
        c = subproc_new_args(HELPER_PATH, "--no-report", "--sleep-ms=60000", NULL);
        subproc_daemonize(c);
        subproc_set_cwd(c, missing);
        assert_run_fails(c, ENOENT, "chdir");
        assert_ll_equal(subproc_daemon_pid(c), -1);
        subproc_free(c);

        free(pidfile);
        free(missing);
        t_remove_dir(dir, names);
}

static void test_daemon_contradictions(void **state)
{
        char *dir = t_open_dir(), *marker = t_path(dir, "ran");
        const char *const names[] = { "ran", NULL };
        char *out = NULL;

        for (int i = 0; i < 4; i++) {
                subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);

                subproc_add_arg_format(c, "--write-file=%s", marker);
                subproc_daemonize(c);
                switch (i) {
                case 0:
                        /* Only subproc_run() can start a daemon. */
                        assert_run_async_fails(c, EINVAL, NULL);
                        break;
                case 1:
                        subproc_set_output_buffer(c, &out);
                        assert_run_fails(c, EINVAL, NULL);
                        free(out);
                        out = NULL;
                        break;
                case 2:
                        subproc_set_death_signal(c, SIGTERM);
                        assert_run_fails(c, EINVAL, "death signal");
                        break;
                default:
                        subproc_set_input_buffer(c, "input");
                        assert_run_fails(c, EINVAL, NULL);
                        break;
                }
                assert_ll_equal(subproc_daemon_pid(c), -1);
                assert_false(t_file_exists(marker));
                subproc_free(c);
        }
        free(marker);
        t_remove_dir(dir, names);
}

/* ---------------------------------------------------------------------------------------
 * Daemon and handshake together: subproc_run() returns with the daemon holding its pidfile
 * and waiting before exec; subproc_handshake_release() lets it exec.
 * ------------------------------------------------------------------------------------- */

/* The daemon is up, holds the pidfile, and is still our own image: it has not exec'd. */
static void assert_waiting_daemon(const struct daemon_case *d, pid_t pid)
{
        pid_t alive = -1;

        assert_ll_equal(subproc_pidfile_read_if_alive(d->pidfile, &alive), 0);
        assert_ll_equal(alive, pid);
        assert_false(t_is_helper(pid));
        assert_false(t_file_exists(d->report));
        /* Its intermediate is reaped, and the daemon is not our child. */
        assert_ll_equal(waitpid(-1, NULL, WNOHANG), -1);
        assert_errno_equal(errno, ECHILD);
}

static void test_daemon_handshake(void **state)
{
        struct daemon_case d;
        struct helper_report *r;
        pid_t pid;

        daemon_prepare(&d, true, NULL);
        subproc_require_handshake(d.c);
        pid = daemon_start(&d);
        assert_waiting_daemon(&d, pid);
        assert_ll_equal(subproc_handshake_wait(d.c), 0);
        assert_waiting_daemon(&d, pid);
        /* No second start while this one waits: it would lose the first one's pipes. */
        assert_ll_equal(subproc_run(d.c, NULL), -1);
        assert_errno_equal(errno, EBUSY);
        assert_contains(subproc_errmsg(), "still waits for subproc_handshake_release()");
        assert_ll_equal(subproc_daemon_pid(d.c), pid);
        assert_waiting_daemon(&d, pid);

        assert_ll_equal(subproc_handshake_release(d.c), 0);
        /* Released: it has exec'd by now, and none of the handshake's pipes (nor the gate
         * its intermediate waited on) reached the program. */
        assert_true(t_is_helper(pid));
        r = daemon_report(&d);
        assert_ll_equal(t_report_get_int(r, "pid"), pid);
        assert_true(t_report_get_int(r, "sid") != getsid(0));
        check_daemon_fds(&d, r);
        t_report_free(r);
        /* Released once is all: a second release has nothing to release. */
        assert_ll_equal(subproc_handshake_release(d.c), -1);

        assert_ll_equal(t_stop_pidfile(d.pidfile), 0);
        assert_true(t_wait_exit(pid, T_HANG_GUARD_SHORT_MS) >= 0);
        daemon_finish(&d);
}

/* Its exec fails after the release: subproc_handshake_release() says so, and the daemon is
 * gone, its pidfile no longer held. */
static void test_daemon_handshake_exec_fails(void **state)
{
        struct daemon_case d;
        pid_t pid, alive = -2;

        daemon_prepare(&d, true, NULL);
        subproc_free(d.c);
        d.c = subproc_new("/nonexistent/subproc-test-program");
        subproc_set_pidfile(d.c, d.pidfile);
        subproc_daemonize(d.c);
        subproc_require_handshake(d.c);
        pid = daemon_start(&d);
        assert_waiting_daemon(&d, pid);

        assert_ll_equal(subproc_handshake_release(d.c), -1);
        assert_errno_equal(errno, ENOENT);
        assert_contains(subproc_errmsg(), "exec /nonexistent/subproc-test-program");
        assert_true(t_wait_exit(pid, T_HANG_GUARD_SHORT_MS) >= 0);
        assert_ll_equal(subproc_pidfile_read_if_alive(d.pidfile, &alive), 0);
        assert_ll_equal(alive, -1);
        /* A failed start leaves no pidfile naming it (issue 11 item 7). */
        assert_false(t_file_exists(d.pidfile));
        daemon_finish(&d);
}

/* Freed without the release: the daemon exits without running the program. */
static void test_daemon_handshake_abandoned(void **state)
{
        struct daemon_case d;
        const char *const actions[] = { NULL };
        pid_t pid;

        daemon_prepare(&d, true, actions);
        subproc_add_arg_format(d.c, "--write-file=%s", d.marker);
        subproc_require_handshake(d.c);
        pid = daemon_start(&d);
        assert_waiting_daemon(&d, pid);
        subproc_free(d.c);
        d.c = NULL;
        assert_true(t_wait_exit(pid, T_HANG_GUARD_SHORT_MS) >= 0);
        assert_false(t_file_exists(d.marker));
        assert_false(t_file_exists(d.report));
        /* It never ran the program: no pidfile naming it (issue 11 item 7). */
        assert_false(t_file_exists(d.pidfile));
        daemon_finish(&d);
}

/* The pidfile set again while the daemon waits (a value takes the latest call): the daemon
 * holds the one it was started with, and that one is what the free discards (review of
 * issue 13: the free looked at the new path and left the daemon's file behind). */
static void test_daemon_handshake_abandoned_after_pidfile_change(void **state)
{
        struct daemon_case d;
        char *other;
        pid_t pid;

        daemon_prepare(&d, true, NULL);
        other = t_path(d.dir, "out");
        subproc_require_handshake(d.c);
        pid = daemon_start(&d);
        assert_waiting_daemon(&d, pid);
        subproc_set_pidfile(d.c, other);
        subproc_free(d.c);
        d.c = NULL;
        assert_true(t_wait_exit(pid, T_HANG_GUARD_SHORT_MS) >= 0);
        assert_false(t_file_exists(d.pidfile));
        assert_false(t_file_exists(other));
        free(other);
        daemon_finish(&d);
}

/* A command broken (a deferred error) while its daemon waits for the go-ahead: the failed run
 * leaves the waiting daemon to the command, whose free still discards its pidfile (review of
 * issue 13: the failed run forgot the daemon, which exited on EOF and left its pidfile). */
static void test_daemon_handshake_broken_while_waiting(void **state)
{
        struct daemon_case d;
        char *out = NULL;
        pid_t pid;

        daemon_prepare(&d, true, NULL);
        subproc_require_handshake(d.c);
        pid = daemon_start(&d);
        assert_waiting_daemon(&d, pid);
        subproc_set_output_buffer(d.c, &out);
        subproc_add_arg(d.c, NULL);
        assert_run_fails(d.c, EINVAL, "argument");
        /* Still waiting: not let go, not ended. */
        assert_ll_equal(subproc_daemon_pid(d.c), pid);
        assert_false(t_exited(pid));
        subproc_free(d.c);
        d.c = NULL;
        free(out);
        assert_true(t_wait_exit(pid, T_HANG_GUARD_SHORT_MS) >= 0);
        assert_false(t_file_exists(d.pidfile));
        daemon_finish(&d);
}

/* A daemon that fails before it waits (its pidfile is held): subproc_run() fails, naming the
 * holder, and no daemon is left waiting. */
static void test_daemon_handshake_pidfile_busy(void **state)
{
        struct daemon_case first, second;
        struct helper_report *r;
        pid_t pid;

        daemon_prepare(&first, true, NULL);
        pid = daemon_start(&first);
        r = daemon_report(&first);
        t_report_free(r);

        daemon_prepare(&second, false, NULL);
        subproc_add_arg_format(second.c, "--write-file=%s", second.marker);
        subproc_set_pidfile(second.c, first.pidfile);
        subproc_require_handshake(second.c);
        assert_run_fails(second.c, EBUSY, first.pidfile);
        assert_ll_equal(subproc_daemon_pid(second.c), -1);
        assert_ll_equal(subproc_handshake_release(second.c), -1);
        assert_false(t_file_exists(second.marker));

        assert_ll_equal(t_stop_pidfile(first.pidfile), 0);
        assert_true(t_wait_exit(pid, T_HANG_GUARD_SHORT_MS) >= 0);
        daemon_finish(&second);
        daemon_finish(&first);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                T_TEST(test_daemon_state),
                T_TEST(test_daemon_cwd_and_stdout),
                T_TEST(test_daemon_pidfile_busy_then_restart),
                T_TEST(test_force_cleanup_of_daemon),
                T_TEST(test_daemon_failures),
                T_TEST(test_daemon_contradictions),
                T_TEST(test_daemon_handshake),
                T_TEST(test_daemon_handshake_exec_fails),
                T_TEST(test_daemon_handshake_abandoned),
                T_TEST(test_daemon_handshake_pidfile_busy),
                T_TEST(test_daemon_handshake_abandoned_after_pidfile_change),
                T_TEST(test_daemon_handshake_broken_while_waiting),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
