/* Tests of send buffers: in-memory data handed to the child on a pipe at a known fd.
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
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/support.h"

#define MIB (1024 * 1024)

/* ---------------------------------------------------------------------------------------
 * Send buffers
 * ------------------------------------------------------------------------------------- */

static void test_send_buffers(void **state)
{
        const size_t len = 1 * MIB;
        char *first = t_make_pattern('0', len), *second = t_make_pattern('k', len + 7);
        char *first_sum = t_checksum_text(first, len);
        char *second_sum = t_checksum_text(second, len + 7);
        subproc *c = subproc_new_args(HELPER_PATH, NULL);
        struct helper_report *r;
        int first_fd, second_fd;
        char expected_fds[64], expected_len[32];
        char *out, *fd_set_text;

        first_fd = subproc_add_send_buffer(c, first, len);
        second_fd = subproc_add_send_buffer(c, second, len + 7);
        /* Copied: the caller may reuse its memory at once. */
        memset(first, 'X', len);
        assert_true(first_fd >= 3);
        assert_true(second_fd >= 3);
        assert_true(first_fd != second_fd);
        /* The child drains the second pipe only after the first: the library must keep
         * feeding both without blocking on either. */
        subproc_add_arg_format(c, "--read-fd=%d", first_fd);
        subproc_add_arg_format(c, "--read-fd=%d", second_fd);
        r = t_run_report(c, &out);
        snprintf(expected_fds, sizeof expected_fds, "0 1 2 %d %d",
                 first_fd < second_fd ? first_fd : second_fd,
                 first_fd < second_fd ? second_fd : first_fd);
        fd_set_text = t_report_fd_set(r);
        assert_string_equal(fd_set_text, expected_fds);
        free(fd_set_text);
        snprintf(expected_len, sizeof expected_len, "%zu", len);
        assert_string_equal(t_report_getf(r, "read_bytes[%d]", first_fd), expected_len);
        assert_string_equal(t_report_getf(r, "read_sum[%d]", first_fd), first_sum);
        snprintf(expected_len, sizeof expected_len, "%zu", len + 7);
        assert_string_equal(t_report_getf(r, "read_bytes[%d]", second_fd), expected_len);
        assert_string_equal(t_report_getf(r, "read_sum[%d]", second_fd), second_sum);
        t_report_free(r);
        free(first);
        free(second);
        free(first_sum);
        free(second_sum);
        subproc_free(c);
}

static void test_send_buffer_text_and_empty(void **state)
{
        subproc *c = subproc_new(HELPER_PATH);
        int text_fd, empty_fd;
        struct helper_report *r;
        char *out;

        text_fd = subproc_add_send_buffer(c, "config\0line\n", 12);
        empty_fd = subproc_add_send_buffer(c, "", 0);
        assert_true(text_fd >= 3);
        assert_true(empty_fd >= 3);
        subproc_add_arg(c, "--no-report");
        subproc_add_arg_format(c, "--read-fd=%d", text_fd);
        subproc_add_arg_format(c, "--read-fd=%d", empty_fd);
        subproc_set_output_buffer(c, &out);
        assert_ll_equal(subproc_run(c, NULL), 0);
        r = t_report_parse(out, subproc_output_len(c));
        assert_bytes_equal(t_report_getf(r, "read_text[%d]", text_fd), 12, "config\0line\n", 12);
        assert_string_equal(t_report_getf(r, "read_bytes[%d]", text_fd), "12");
        assert_string_equal(t_report_getf(r, "read_bytes[%d]", empty_fd), "0");
        t_report_free(r);
        free(out);
        subproc_free(c);
}

/* Issue 17: the spawn-only fds live in a small array of the plan until there are more:
 * 20 buffers (a pipe end each, and /dev/null) take it past its size twice, and every one still
 * reaches the child with its own bytes. */
#define MANY_BUFFERS 20

static void test_many_send_buffers(void **state)
{
        subproc *c = subproc_new(HELPER_PATH);
        int fds[MANY_BUFFERS];
        struct helper_report *r;
        char data[MANY_BUFFERS], want[16], *out = NULL;

        (void)state;
        subproc_add_arg(c, "--no-report");
        for (int i = 0; i < MANY_BUFFERS; i++) {
                data[i] = (char)('a' + i);
                fds[i] = subproc_add_send_buffer(c, data, (size_t)i + 1);
                assert_true(fds[i] >= 3);
                subproc_add_arg_format(c, "--read-fd=%d", fds[i]);
        }
        subproc_set_output_buffer(c, &out);
        assert_ll_equal(subproc_run(c, NULL), 0);
        r = t_report_parse(out, subproc_output_len(c));
        for (int i = 0; i < MANY_BUFFERS; i++) {
                snprintf(want, sizeof want, "%d", i + 1);
                assert_string_equal(t_report_getf(r, "read_bytes[%d]", fds[i]), want);
                assert_bytes_equal(t_report_getf(r, "read_text[%d]", fds[i]), (size_t)i + 1, data,
                                   (size_t)i + 1);
        }
        t_report_free(r);
        free(out);
        subproc_free(c);
}

static void test_send_buffer_rerun(void **state)
{
        const size_t len = 300000;
        char *data = t_make_pattern('m', len), *sum = t_checksum_text(data, len);
        subproc *c = subproc_new(HELPER_PATH);
        char *out = NULL;
        int fd = subproc_add_send_buffer(c, data, len);

        assert_true(fd >= 3);
        subproc_add_arg_format(c, "--read-fd=%d", fd);
        subproc_set_output_buffer(c, &out);
        for (int run = 0; run < 3; run++) {
                struct helper_report *r;
                int status = -1;

                if (run == 2) {
                        /* And through run_async() + wait(). */
                        assert_ll_equal(subproc_run_async(c, NULL), 0);
                        assert_ll_equal(subproc_wait(c, &status), 0);
                } else {
                        assert_ll_equal(subproc_run(c, &status), 0);
                }
                assert_ll_equal(status, 0);
                r = t_report_parse(out, subproc_output_len(c));
                assert_true(t_report_has_fd(r, fd));
                assert_ll_equal(t_report_count(r, "fd"), 4);
                assert_string_equal(t_report_getf(r, "read_sum[%d]", fd), sum);
                t_report_free(r);
        }
        free(out);
        free(data);
        free(sum);
        subproc_free(c);
}

static void test_send_buffer_with_stdin_and_output(void **state)
{
        const size_t len = 3 * MIB;
        char *data = t_make_pattern('s', len), *input = t_make_pattern('i', len);
        char *sum = t_checksum_text(data, len), *expected_err = t_make_pattern('A', MIB);
        subproc *c = subproc_new(HELPER_PATH);
        char *out, *err;
        struct helper_report *r;
        char *report_path = t_make_temp_path();
        int fd = subproc_add_send_buffer(c, data, len);

        /* Stdin, a send buffer, stdout and stderr all at once. */
        subproc_add_arg_format(c, "--report=%s", report_path);
        subproc_add_arg(c, "--no-report");
        subproc_add_arg_format(c, "--stderr-bytes=%d", MIB);
        subproc_add_arg(c, "--cat");
        subproc_add_arg_format(c, "--read-fd=%d", fd);
        subproc_set_input_bytes(c, input, len);
        subproc_set_output_buffer(c, &out);
        subproc_set_error_buffer(c, &err);
        assert_ll_equal(subproc_run(c, NULL), 0);
        assert_bytes_equal(out, subproc_output_len(c), input, len);
        assert_bytes_equal(err, subproc_error_len(c), expected_err, MIB);
        r = t_report_read_file(report_path);
        unlink(report_path);
        assert_string_equal(t_report_getf(r, "read_sum[%d]", fd), sum);
        t_report_free(r);
        free(report_path);
        free(out);
        free(err);
        free(data);
        free(input);
        free(sum);
        free(expected_err);
        subproc_free(c);
}

/* ---------------------------------------------------------------------------------------
 * A caller with some of its stdio closed
 * ------------------------------------------------------------------------------------- */

/* Where a scenario run with closed stdio says what went wrong: the only fd it writes. */
static int stdio_report_fd = -1;
/* Which of fds 0, 1, 2 the scenario closed (bit n: fd n). */
static unsigned stdio_closed;

/* In the forked caller: fail the scenario, saying why. */
static _Noreturn void stdio_fail(const char *what)
{
        char line[600];
        int len = snprintf(line, sizeof line, "%s (library: %s)", what, subproc_errmsg());

        (void)!write(stdio_report_fd, line, (size_t)len);
        _exit(1);
}

/* The fds the caller closed are still closed: the library put nothing of its own there. */
static void stdio_still_closed(const char *when)
{
        char what[128];

        for (int fd = 0; fd < 3; fd++) {
                if ((stdio_closed & (1u << fd)) && fcntl(fd, F_GETFD) != -1) {
                        snprintf(what, sizeof what, "%s: the closed fd %d is open", when, fd);
                        stdio_fail(what);
                }
        }
}

/* Input and send buffers, output and error captured in buffers. */
static void stdio_buffers(void)
{
        subproc *c = subproc_new("/bin/sh");
        char *out = NULL, *err = NULL;
        int fd = subproc_add_send_buffer(c, "sent", 4);

        if (fd < 3)
                stdio_fail("the send buffer's fd is below 3");
        subproc_add_arg(c, "-c");
        subproc_add_arg_format(c, "cat; cat <&%d >&2", fd);
        subproc_set_input_buffer(c, "in");
        subproc_set_output_buffer(c, &out);
        subproc_set_error_buffer(c, &err);
        if (subproc_run(c, NULL) != 0)
                stdio_fail("run with buffers failed");
        if (strcmp(out, "in") != 0 || strcmp(err, "sent") != 0)
                stdio_fail("buffers: wrong output");
        stdio_still_closed("after a run with buffers");
        free(out);
        free(err);
        subproc_free(c);
}

/* Output and error captured in memory files, while the child runs (pidfd, memfds). */
static void stdio_mappings(void)
{
        subproc *c = subproc_new_args("/bin/sh", "-c", "printf out; printf err >&2", NULL);
        char *out = NULL, *err = NULL;

        /* The memfds and the pidfd are open until the wait, whether or not it has exited. */
        subproc_set_output_mapping(c, &out);
        subproc_set_error_mapping(c, &err);
        if (subproc_run_async(c, NULL) != 0)
                stdio_fail("run_async with mappings failed");
        stdio_still_closed("while a child with mappings runs");
        if (subproc_wait(c, NULL) != 0)
                stdio_fail("wait with mappings failed");
        if (strcmp(out, "out") != 0 || strcmp(err, "err") != 0)
                stdio_fail("mappings: wrong output");
        subproc_unmap(out, subproc_output_len(c));
        subproc_unmap(err, subproc_error_len(c));
        subproc_free(c);
}

/* A handshake: its pipes live while the child waits. */
static void stdio_handshake(void)
{
        subproc *c = subproc_new_args("/bin/true", NULL);

        subproc_require_handshake(c);
        if (subproc_run_async(c, NULL) != 0 || subproc_handshake_wait(c) != 0)
                stdio_fail("handshake start failed");
        stdio_still_closed("while a child waits for its handshake");
        if (subproc_handshake_release(c) != 0 || subproc_wait(c, NULL) != 0)
                stdio_fail("handshake release failed");
        subproc_free(c);
}

/* A daemon with a pidfile. */
static void stdio_daemon(const char *pidfile)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--sleep-ms=60000", NULL);
        pid_t daemon;

        subproc_daemonize(c);
        subproc_set_pidfile(c, pidfile);
        if (subproc_run(c, NULL) != 0)
                stdio_fail("daemon start failed");
        daemon = subproc_daemon_pid(c);
        stdio_still_closed("after a daemon start");
        if (daemon > 0)
                kill(daemon, SIGKILL);
        subproc_free(c);
}

enum stdio_scenario { STDIO_BUFFERS, STDIO_MAPPINGS, STDIO_HANDSHAKE, STDIO_DAEMON, STDIO_N };

/* Run one scenario in a forked caller with the `closed` fds closed: true if it went well. */
static bool scenario_with_stdio_closed(unsigned closed, enum stdio_scenario which)
{
        char *dir = t_make_temp_dir(), pidfile[PATH_MAX], message[700] = "";
        int channel[2], status = -1;
        ssize_t n;
        pid_t caller;

        /* On the stack: the forked caller leaks nothing (valgrind checks it too). */
        snprintf(pidfile, sizeof pidfile, "%s/pid", dir);
        assert_ll_equal(pipe2(channel, O_CLOEXEC), 0);
        assert_true(channel[0] > 2 && channel[1] > 2);
        caller = fork();
        assert_true(caller >= 0);
        if (caller == 0) {
                free(dir);
                stdio_report_fd = channel[1];
                stdio_closed = closed;
                for (int fd = 0; fd < 3; fd++)
                        if (closed & (1u << fd))
                                close(fd);
                if (which == STDIO_BUFFERS)
                        stdio_buffers();
                else if (which == STDIO_MAPPINGS)
                        stdio_mappings();
                else if (which == STDIO_HANDSHAKE)
                        stdio_handshake();
                else
                        stdio_daemon(pidfile);
                stdio_still_closed("at the end");
                _exit(0);
        }
        close(channel[1]);
        n = read(channel[0], message, sizeof message - 1);
        close(channel[0]);
        assert_ll_equal(waitpid(caller, &status, 0), caller);
        if (n > 0) {
                message[n] = '\0';
                print_error("with fds%s%s%s closed: %s\n", closed & 1 ? " 0" : "",
                            closed & 2 ? " 1" : "", closed & 4 ? " 2" : "", message);
        }
        /* The daemon, killed, may still hold its pidfile a moment: its removal can wait. */
        unlink(pidfile);
        rmdir(dir);
        free(dir);
        return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void run_with_stdio_closed(unsigned closed)
{
        int failed = 0;

        for (int which = 0; which < STDIO_N; which++)
                failed += !scenario_with_stdio_closed(closed, (enum stdio_scenario)which);
        assert_ll_equal(failed, 0);
}

/* The library's own fds never land on 0, 1 or 2, which the kernel gives out first when the
 * caller has closed them: each of them closed, then all three. */
static void test_stdin_closed(void **state)
{
        run_with_stdio_closed(1);
}

static void test_stdout_closed(void **state)
{
        run_with_stdio_closed(2);
}

static void test_stderr_closed(void **state)
{
        run_with_stdio_closed(4);
}

static void test_all_stdio_closed(void **state)
{
        run_with_stdio_closed(7);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                T_TEST(test_send_buffers),      T_TEST(test_send_buffer_text_and_empty),
                T_TEST(test_send_buffer_rerun), T_TEST(test_send_buffer_with_stdin_and_output),
                T_TEST(test_many_send_buffers), T_TEST(test_stdin_closed),
                T_TEST(test_stdout_closed),     T_TEST(test_stderr_closed),
                T_TEST(test_all_stdio_closed),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
