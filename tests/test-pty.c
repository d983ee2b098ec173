/* Tests of subproc_set_pty() and subproc_pty_resize() (issue 16): the streams that are the
 * pty, its controlling terminal and session, the window size and its change (SIGWINCH), ^C
 * reaching the foreground group, the end of the output (EIO on Linux) once the child is gone,
 * no fd of the pair left where it must not be, and the inputs refused.  With and without
 * pidfds.
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
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/support.h"

/* Generous: only a hang is caught. */
#define HANG_MS 20000

static void apply_mode(void **state, subproc *c)
{
        if (!t_enter_mode(state))
                subproc_no_pidfd(c);
}

/* Read the master until `want` has come (true), or its end (false); a hang fails.  A
 * terminal's end is EIO on Linux once no slave is open, 0 elsewhere: both are the end. */
static bool read_until(int master, const char *want, char *buf, size_t cap)
{
        size_t len = 0;

        buf[0] = '\0';
        for (;;) {
                struct pollfd p = { .fd = master, .events = POLLIN };
                ssize_t n;

                if (want && strstr(buf, want))
                        return true;
                if (poll(&p, 1, HANG_MS) != 1)
                        fail_msg("the pty's master stayed silent for %d ms (read so far: %s)",
                                 HANG_MS, buf);
                n = read(master, buf + len, cap - 1 - len);
                if (n == 0 || (n < 0 && errno == EIO))
                        return false;
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        fail_msg("read the master: %s", strerror(errno));
                len += (size_t)n;
                buf[len] = '\0';
                if (len == cap - 1)
                        fail_msg("more output than expected: %s", buf);
        }
}

static char *slave_name(int master)
{
        char *name = ptsname(master);

        assert_non_null(name);
        return strdup(name);
}

/* The child's streams are the pty as chosen, the others /dev/null; the pty is its controlling
 * terminal, its session's (it leads it) with its group in the foreground; the window size is
 * set before exec; neither end of the pair is left in the child, the master is close-on-exec
 * in the caller, and once the child is gone the master reads the end (the caller holds no
 * slave: it would never come). */
static void check_streams(void **state, unsigned streams, unsigned short rows, unsigned short cols)
{
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        int master = -1;
        char buf[256], *name, size[32];
        long long pid;

        apply_mode(state, c);
        subproc_set_pty(c, &master, streams, rows, cols);
        r = t_run_report_file(c);
        assert_true(master > 2);
        assert_int_equal(fcntl(master, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
        name = slave_name(master);
        for (int fd = 0; fd <= 2; fd++) {
                bool chosen = streams & (1u << fd);
                const char *tty = t_report_getf(r, "ttyname[%d]", fd);

                assert_string_equal(t_report_getf(r, "isatty[%d]", fd), chosen ? "1" : "0");
                if (chosen)
                        assert_string_equal(tty, name);
                else
                        assert_null(tty);
        }
        t_check_fd_set(r, "0 1 2");
        pid = t_report_get_int(r, "pid");
        assert_ll_equal(t_report_get_int(r, "ctty"), 1);
        assert_ll_equal(t_report_get_int(r, "sid"), pid);
        assert_ll_equal(t_report_get_int(r, "pgid"), pid);
        assert_ll_equal(t_report_get_int(r, "ctty_sid"), pid);
        assert_ll_equal(t_report_get_int(r, "ctty_pgrp"), pid);
        snprintf(size, sizeof size, "%ux%u", (unsigned)rows, (unsigned)cols);
        assert_string_equal(t_report_get(r, "winsize"), size);
        free(name);
        t_report_free(r);
        assert_false(read_until(master, NULL, buf, sizeof buf));
        close(master);
        subproc_free(c);
}

static void test_all_streams(void **state)
{
        check_streams(state, SUBPROC_PTY_ALL, 37, 101);
}

static void test_one_stream(void **state)
{
        check_streams(state, SUBPROC_PTY_STDIN, 24, 80);
        check_streams(state, SUBPROC_PTY_STDERR, 1, 65535);
        check_streams(state, SUBPROC_PTY_STDOUT | SUBPROC_PTY_STDERR, 24, 80);
}

/* 0 x 0: no size set, as the kernel opens a pty. */
static void test_no_size(void **state)
{
        check_streams(state, SUBPROC_PTY_ALL, 0, 0);
}

/* What the child writes comes out of the master, then the end: EIO (Linux) or 0, never a
 * hang, and the child is reaped. */
static void test_output_then_end(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--stdout-text=hello",
                                      "--stderr-text=world", NULL);
        int master = -1, status = -1;
        char buf[256];
        ssize_t n;

        apply_mode(state, c);
        subproc_set_pty(c, &master, SUBPROC_PTY_ALL, 24, 80);
        assert_int_equal(subproc_run_async(c, NULL), 0);
        assert_false(read_until(master, NULL, buf, sizeof buf));
        assert_string_equal(buf, "helloworld");
        n = read(master, buf, sizeof buf); /* and again */
        assert_true(n == 0 || (n < 0 && errno == EIO));
        assert_int_equal(subproc_wait(c, &status), 0);
        assert_int_equal(status, 0);
        close(master);
        subproc_free(c);
}

/* subproc_pty_resize(): the child gets SIGWINCH and sees the new size. */
static void test_resize(void **state)
{
        subproc *c = subproc_new(HELPER_PATH);
        char *path = t_make_temp_path(), buf[256];
        struct helper_report *r;
        int master = -1, status = -1;

        apply_mode(state, c);
        subproc_add_arg_format(c, "--report=%s", path);
        subproc_add_arg(c, "--await-winch");
        subproc_set_pty(c, &master, SUBPROC_PTY_ALL, 24, 80);
        assert_int_equal(subproc_pty_resize(c, 30, 90), -1); /* not yet run */
        assert_errno_equal(errno, EINVAL);
        assert_int_equal(subproc_run_async(c, NULL), 0);
        assert_true(read_until(master, "W", buf, sizeof buf));
        assert_int_equal(subproc_pty_resize(c, 50, 132), 0);
        assert_int_equal(subproc_wait(c, &status), 0);
        assert_int_equal(status, 0);
        r = t_report_read_file(path);
        assert_string_equal(t_report_get(r, "winsize"), "24x80");
        assert_string_equal(t_report_get(r, "winch"), "1");
        assert_string_equal(t_report_get(r, "winch_winsize"), "50x132");
        t_report_free(r);
        /* Reaped, its master still open: the pty's size can still be set. */
        assert_int_equal(subproc_pty_resize(c, 10, 20), 0);
        assert_int_equal(subproc_pty_resize(c, 10, 0), -1);
        assert_errno_equal(errno, EINVAL);
        assert_contains(subproc_errmsg(), "10 x 0");
        /* Closed by the caller, its number taken by something else: refused. */
        close(master);
        assert_int_equal(open("/dev/null", O_RDONLY | O_CLOEXEC), master);
        assert_int_equal(subproc_pty_resize(c, 10, 20), -1);
        assert_errno_equal(errno, EBADF);
        assert_contains(subproc_errmsg(), "no longer the master");
        close(master);
        unlink(path);
        free(path);
        subproc_free(c);
}

/* ^C typed into the master reaches the child's foreground group: the child dies of SIGINT. */
static void test_interrupt(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--stdout-text=R",
                                      "--sleep-ms=60000", NULL);
        int master = -1, status = -1;
        char buf[256];

        apply_mode(state, c);
        subproc_set_raw_status(c);
        subproc_set_pty(c, &master, SUBPROC_PTY_ALL, 24, 80);
        assert_int_equal(subproc_run_async(c, NULL), 0);
        assert_true(read_until(master, "R", buf, sizeof buf));
        assert_int_equal(write(master, "\x03", 1), 1);
        assert_int_equal(subproc_wait(c, &status), 0);
        assert_killed_by(status, SIGINT);
        close(master);
        subproc_free(c);
}

/* Closing the master hangs the child up: SIGHUP to its session, even while the library
 * waits for it (the library keeps no copy of the master). */
static void test_hangup(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--stdout-text=R",
                                      "--sleep-ms=60000", NULL);
        int master = -1, status = -1;
        char buf[256];

        apply_mode(state, c);
        subproc_set_raw_status(c);
        subproc_set_pty(c, &master, SUBPROC_PTY_ALL, 24, 80);
        assert_int_equal(subproc_run_async(c, NULL), 0);
        assert_true(read_until(master, "R", buf, sizeof buf));
        close(master);
        assert_int_equal(subproc_wait(c, &status), 0);
        assert_killed_by(status, SIGHUP);
        subproc_free(c);
}

/* A rerun makes a new pty; the old master stays the caller's, open. */
static void test_rerun(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        int master = -1, first, status = -1;
        char *first_name, *second_name;

        apply_mode(state, c);
        subproc_set_pty(c, &master, SUBPROC_PTY_STDOUT, 24, 80);
        assert_int_equal(subproc_run(c, &status), 0);
        first = master;
        first_name = slave_name(first);
        assert_int_equal(subproc_run(c, &status), 0);
        assert_int_not_equal(master, first);
        second_name = slave_name(master);
        assert_string_not_equal(first_name, second_name);
        assert_int_equal(fcntl(first, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
        /* The resize goes to the last run's. */
        assert_int_equal(subproc_pty_resize(c, 11, 12), 0);
        free(first_name);
        free(second_name);
        close(first);
        close(master);
        subproc_free(c);
}

/* With the caller's 0, 1 and 2 closed, neither end of the pair takes their numbers (the
 * child would get them instead), and the run works. */
static void test_caller_stdio_closed(void **state)
{
        int saved[3];
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        int master = -1;

        apply_mode(state, c);
        for (int fd = 0; fd <= 2; fd++) {
                saved[fd] = fcntl(fd, F_DUPFD_CLOEXEC, 10);
                assert_true(saved[fd] >= 10);
                close(fd);
        }
        subproc_set_pty(c, &master, SUBPROC_PTY_STDOUT, 24, 80);
        r = t_run_report_file(c);
        for (int fd = 0; fd <= 2; fd++) {
                assert_false(t_fd_is_open(fd));
                assert_int_equal(dup2(saved[fd], fd), fd);
                close(saved[fd]);
        }
        assert_true(master > 2);
        assert_string_equal(t_report_get(r, "isatty[1]"), "1");
        assert_string_equal(t_report_get(r, "isatty[0]"), "0");
        t_report_free(r);
        close(master);
        subproc_free(c);
}

/* A pty implies the new session: with set_new_session and set_new_process_group too,
 * nothing changes; subproc_kill() reaches the group. */
static void test_with_session_and_group(void **state)
{
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        int master = -1;

        apply_mode(state, c);
        subproc_set_new_session(c);
        subproc_set_new_process_group(c);
        subproc_set_pty(c, &master, SUBPROC_PTY_ALL, 24, 80);
        r = t_run_report_file(c);
        assert_ll_equal(t_report_get_int(r, "sid"), t_report_get_int(r, "pid"));
        assert_ll_equal(t_report_get_int(r, "ctty_pgrp"), t_report_get_int(r, "pid"));
        t_report_free(r);
        close(master);
        subproc_free(c);
}

/* subproc_kill() reaches the pty's session's group (a pty implies the new session), not only
 * the child: a grandchild that ignores the hangup of the terminal dies of the TERM too. */
static void test_kill_reaches_group(void **state)
{
        subproc *c = subproc_new_args("/bin/sh", "-c",
                                      "trap '' HUP; sleep 60 & echo \"pid=$!;\"; wait", NULL);
        int master = -1, status = -1;
        char buf[256], *p;
        long grandchild;

        apply_mode(state, c);
        subproc_set_raw_status(c);
        subproc_set_pty(c, &master, SUBPROC_PTY_ALL, 24, 80);
        assert_int_equal(subproc_run_async(c, NULL), 0);
        assert_true(read_until(master, ";", buf, sizeof buf));
        p = strstr(buf, "pid=");
        assert_non_null(p);
        grandchild = strtol(p + 4, NULL, 10);
        assert_true(grandchild > 1);
        assert_int_equal(subproc_kill(c, SIGTERM), 0);
        assert_int_equal(subproc_wait(c, &status), 0);
        assert_killed_by(status, SIGTERM);
        if (t_wait_exit((pid_t)grandchild, HANG_MS) < 0) {
                kill((pid_t)grandchild, SIGKILL);
                fail_msg("the grandchild %ld outlived subproc_kill()", grandchild);
        }
        close(master);
        subproc_free(c);
}

/* The combinations refused at the run, with a message naming them; nothing opened. */
static void test_refused(void **state)
{
        int master = -1, fd = 1;
        char *out = NULL;
        subproc *c;

        (void)state;
        c = subproc_new(HELPER_PATH);
        subproc_set_output_buffer(c, &out);
        subproc_set_pty(c, &master, SUBPROC_PTY_STDOUT, 24, 80);
        assert_run_fails(c, EINVAL, "stdout is both the pty");
        assert_int_equal(master, -1);
        subproc_free(c);

        c = subproc_new(HELPER_PATH);
        subproc_set_input_buffer(c, "x");
        subproc_set_pty(c, &master, SUBPROC_PTY_ALL, 24, 80);
        assert_run_fails(c, EINVAL, "stdin is both the pty");
        subproc_free(c);

        c = subproc_new(HELPER_PATH);
        subproc_set_error_fd(c, &fd);
        subproc_set_pty(c, &master, SUBPROC_PTY_STDERR, 24, 80);
        assert_run_async_fails(c, EINVAL, "stderr is both the pty");
        subproc_free(c);

        c = subproc_new(HELPER_PATH);
        subproc_daemonize(c);
        subproc_set_pty(c, &master, SUBPROC_PTY_ALL, 24, 80);
        assert_run_fails(c, EINVAL, "a daemon cannot have a pty");
        subproc_free(c);

        c = subproc_new(HELPER_PATH);
        subproc_set_pty(c, &master, SUBPROC_PTY_ALL, 24, 80);
        assert_int_equal(subproc_exec(c), -1);
        assert_errno_equal(errno, EINVAL);
        assert_contains(subproc_errmsg(), "subproc_exec cannot give the program a pty");
        subproc_free(c);
        assert_int_equal(master, -1);

        /* A command without a pty, and none at all. */
        c = subproc_new(HELPER_PATH);
        assert_int_equal(subproc_pty_resize(c, 24, 80), -1);
        assert_errno_equal(errno, EINVAL);
        assert_contains(subproc_errmsg(), "no subproc_set_pty()");
        subproc_free(c);
        assert_int_equal(subproc_pty_resize(NULL, 24, 80), -1);
        assert_errno_equal(errno, EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                T_BOTH_MODES(test_all_streams),
                T_BOTH_MODES(test_one_stream),
                T_BOTH_MODES(test_no_size),
                T_BOTH_MODES(test_output_then_end),
                T_BOTH_MODES(test_resize),
                T_BOTH_MODES(test_interrupt),
                T_BOTH_MODES(test_hangup),
                T_BOTH_MODES(test_rerun),
                T_BOTH_MODES(test_caller_stdio_closed),
                T_BOTH_MODES(test_with_session_and_group),
                T_BOTH_MODES(test_kill_reaches_group),
                T_TEST(test_refused),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
