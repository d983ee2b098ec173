/* Tests of the I/O plumbing: input, output and error buffers fed and captured without
 * deadlock, output fds and pipes for the caller, and send buffers.
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/support.h"

#define MIB (1024 * 1024)

/* ---------------------------------------------------------------------------------------
 * Input and output buffers
 * ------------------------------------------------------------------------------------- */

static void test_input_buffer_cat(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--cat", NULL);
        const char *text = "hello\nworld, with 'quotes' and ünïcødé\n";
        char *out;

        subproc_set_input_buffer(c, text);
        subproc_set_output_buffer(c, &out);
        assert_ll_equal(subproc_run(c, NULL), 0);
        assert_non_null(out);
        assert_string_equal(out, text);
        assert_ll_equal(subproc_output_len(c), strlen(text));
        free(out);
        subproc_free(c);
}

static void test_input_bytes_with_nuls(void **state)
{
        static const char data[] = "a\0b\0\0c\xff\n\0";
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--cat", NULL);
        char *out;

        subproc_set_input_bytes(c, data, sizeof data);
        subproc_set_output_buffer(c, &out);
        assert_ll_equal(subproc_run(c, NULL), 0);
        assert_bytes_equal(out, subproc_output_len(c), data, sizeof data);
        /* Still NUL-terminated after the data. */
        assert_ll_equal(out[sizeof data], '\0');
        free(out);
        subproc_free(c);
}

static void test_input_buffer_is_copied(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--cat", NULL);
        char text[] = "original";
        char *out;

        subproc_set_input_buffer(c, text);
        memcpy(text, "CHANGED!", 8);
        subproc_set_output_buffer(c, &out);
        assert_ll_equal(subproc_run(c, NULL), 0);
        assert_string_equal(out, "original");
        free(out);
        subproc_free(c);
}

static void test_output_with_nuls(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--write-nul", NULL);
        char *out;

        assert_ll_equal(subproc_output_len(c), 0);
        assert_ll_equal(subproc_error_len(c), 0);
        subproc_set_output_buffer(c, &out);
        assert_ll_equal(subproc_run(c, NULL), 0);
        assert_bytes_equal(out, subproc_output_len(c), HELPER_NUL_OUTPUT, HELPER_NUL_OUTPUT_LEN);
        assert_ll_equal(out[HELPER_NUL_OUTPUT_LEN], '\0');
        free(out);
        subproc_free(c);
}

static void test_empty_output_is_empty_string(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        char *out, *err;

        subproc_set_output_buffer(c, &out);
        subproc_set_error_buffer(c, &err);
        assert_ll_equal(subproc_run(c, NULL), 0);
        assert_non_null(out);
        assert_non_null(err);
        assert_string_equal(out, "");
        assert_string_equal(err, "");
        assert_ll_equal(subproc_output_len(c), 0);
        assert_ll_equal(subproc_error_len(c), 0);
        free(out);
        free(err);
        subproc_free(c);
}

static void test_separate_output_and_error(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--interleave=9", NULL);
        char *out, *err, *expected_out = t_expected_interleave_half(9, false);
        char *expected_err = t_expected_interleave_half(9, true);

        subproc_set_output_buffer(c, &out);
        subproc_set_error_buffer(c, &err);
        assert_ll_equal(subproc_run(c, NULL), 0);
        assert_string_equal(out, expected_out);
        assert_string_equal(err, expected_err);
        assert_ll_equal(subproc_output_len(c), strlen(expected_out));
        assert_ll_equal(subproc_error_len(c), strlen(expected_err));
        free(out);
        free(err);
        free(expected_out);
        free(expected_err);
        subproc_free(c);
}

static void test_shared_buffer_interleaves(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--interleave=200", NULL);
        char *both, *expected = t_expected_interleave(200);

        subproc_set_output_buffer(c, &both);
        subproc_set_error_buffer(c, &both);
        assert_ll_equal(subproc_run(c, NULL), 0);
        assert_non_null(both);
        assert_string_equal(both, expected);
        assert_ll_equal(subproc_output_len(c), strlen(expected));
        assert_ll_equal(subproc_error_len(c), strlen(expected));
        free(both);
        free(expected);
        subproc_free(c);
}

static void test_buffer_registration_sets_null(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        char not_a_heap_string = 'x';
        char *out = &not_a_heap_string, *err = &not_a_heap_string;

        subproc_set_output_buffer(c, &out);
        assert_null(out);
        subproc_set_error_buffer(c, &err);
        assert_null(err);
        /* Never run: nothing is allocated, nothing to free. */
        subproc_free(c);
}

static void test_failed_run_leaves_partial_buffers(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--stdout-text=partial out",
                                      "--stderr-text=partial err", "--exit=3", NULL);
        char *out, *err;

        subproc_set_output_buffer(c, &out);
        subproc_set_error_buffer(c, &err);
        assert_run_fails(c, EIO, "partial err");
        assert_non_null(out);
        assert_non_null(err);
        assert_string_equal(out, "partial out");
        assert_string_equal(err, "partial err");
        free(out);
        free(err);
        subproc_free(c);
}

static void test_exec_failure_leaves_empty_buffers(void **state)
{
        subproc *c = subproc_new("/nonexistent/subproc-binary");
        char *out, *err;

        subproc_set_output_buffer(c, &out);
        subproc_set_error_buffer(c, &err);
        assert_run_fails(c, ENOENT, "exec");
        /* "After every run, successful or not": an allocated (empty) string. */
        assert_non_null(out);
        assert_non_null(err);
        assert_string_equal(out, "");
        assert_string_equal(err, "");
        free(out);
        free(err);
        subproc_free(c);
}

static void test_rerun_replaces_buffer(void **state)
{
        char *path = t_make_temp_file("first", 5, 0600);
        int input = open(path, O_RDWR | O_CLOEXEC);
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--cat", NULL);
        char *out, *kept;

        assert_true(input >= 0);
        subproc_set_input_fd(c, input);
        subproc_set_output_buffer(c, &out);
        assert_ll_equal(subproc_run(c, NULL), 0);
        assert_string_equal(out, "first");

        /* A rerun frees the previous string (ASan/valgrind would see a leak otherwise). */
        assert_ll_equal(pwrite(input, "second", 6, 0), 6);
        assert_ll_equal(lseek(input, 0, SEEK_SET), 0);
        assert_ll_equal(subproc_run(c, NULL), 0);
        assert_string_equal(out, "second");

        /* Taking the string out and resetting *out keeps it alive across a rerun. */
        kept = out;
        out = NULL;
        assert_ll_equal(pwrite(input, "third!", 6, 0), 6);
        assert_ll_equal(lseek(input, 0, SEEK_SET), 0);
        assert_ll_equal(subproc_run(c, NULL), 0);
        assert_string_equal(out, "third!");
        assert_string_equal(kept, "second");
        /* The caller keeps its input fd. */
        assert_true(t_fd_is_open(input));

        free(kept);
        free(out);
        subproc_free(c);
        close(input);
        unlink(path);
        free(path);
}

static void test_input_fd(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--cat", NULL);
        int fds[2];
        char *out;

        assert_ll_equal(pipe2(fds, O_CLOEXEC), 0);
        t_write_fd_all(fds[1], "through a pipe", 14);
        close(fds[1]);
        subproc_set_input_fd(c, fds[0]);
        subproc_set_output_buffer(c, &out);
        assert_ll_equal(subproc_run(c, NULL), 0);
        assert_string_equal(out, "through a pipe");
        assert_true(t_fd_is_open(fds[0]));
        free(out);
        subproc_free(c);
        close(fds[0]);
}

/* ---------------------------------------------------------------------------------------
 * No deadlock
 * ------------------------------------------------------------------------------------- */

static void test_megabytes_everywhere(void **state)
{
        const size_t in_len = 8 * MIB, out_len = 4 * MIB, err_len = 3 * MIB;
        char *input = t_make_pattern('0', in_len);
        char *expected_out = t_make_pattern(HELPER_STDOUT_SEED, out_len);
        char *expected_err = t_make_pattern(HELPER_STDERR_SEED, err_len);
        char *sum = t_checksum_text(input, in_len);
        char *report_path = t_make_temp_path();
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        char *out, *err;

        /* The child writes megabytes to stdout and stderr before it reads any stdin. */
        subproc_add_arg_format(c, "--report=%s", report_path);
        subproc_add_arg(c, "--no-report");
        subproc_add_arg_format(c, "--stdout-bytes=%zu", out_len);
        subproc_add_arg_format(c, "--stderr-bytes=%zu", err_len);
        subproc_add_arg(c, "--read-stdin-count");
        subproc_set_input_bytes(c, input, in_len);
        subproc_set_output_buffer(c, &out);
        subproc_set_error_buffer(c, &err);
        assert_ll_equal(subproc_run(c, NULL), 0);
        assert_bytes_equal(out, subproc_output_len(c), expected_out, out_len);
        assert_bytes_equal(err, subproc_error_len(c), expected_err, err_len);
        r = t_report_read_file(report_path);
        unlink(report_path);
        assert_ll_equal(t_report_get_int(r, "stdin_bytes"), in_len);
        assert_string_equal(t_report_get(r, "stdin_sum"), sum);

        t_report_free(r);
        free(report_path);
        free(out);
        free(err);
        free(sum);
        free(input);
        free(expected_out);
        free(expected_err);
        subproc_free(c);
}

/* Past 8 MiB the capture buffer grows in other sizes, asks for huge pages and is faulted in
 * ahead of the reads: every byte must still arrive, in order, NUL-terminated. */
static void test_big_capture_is_exact(void **state)
{
        const size_t out_len = 40 * MIB + 12345;
        char *expected_out = t_make_pattern(HELPER_STDOUT_SEED, out_len);
        subproc *c = subproc_new(HELPER_PATH);
        char *out;

        subproc_add_arg(c, "--no-report");
        subproc_add_arg_format(c, "--stdout-bytes=%zu", out_len);
        subproc_set_output_buffer(c, &out);
        assert_ll_equal(subproc_run(c, NULL), 0);
        assert_bytes_equal(out, subproc_output_len(c), expected_out, out_len);
        assert_int_equal(out[out_len], '\0');

        /* A second run replaces the first buffer with a new one just as exact. */
        assert_ll_equal(subproc_run(c, NULL), 0);
        assert_bytes_equal(out, subproc_output_len(c), expected_out, out_len);
        free(out);
        free(expected_out);
        subproc_free(c);
}

static void test_megabytes_cat_with_stderr(void **state)
{
        const size_t len = 8 * MIB, err_len = 2 * MIB;
        char *input = t_make_pattern('0', len);
        char *expected_err = t_make_pattern(HELPER_STDERR_SEED, err_len);
        subproc *c = subproc_new(HELPER_PATH);
        char *out, *err;
        pid_t pid = -1;
        int status = -1;

        /* The same through run_async() + wait(), which must run the same loop. */
        subproc_add_arg(c, "--no-report");
        subproc_add_arg_format(c, "--stderr-bytes=%zu", err_len);
        subproc_add_arg(c, "--cat");
        subproc_set_input_bytes(c, input, len);
        subproc_set_output_buffer(c, &out);
        subproc_set_error_buffer(c, &err);
        assert_ll_equal(subproc_run_async(c, &pid), 0);
        assert_true(pid > 0);
        assert_ll_equal(subproc_wait(c, &status), 0);
        assert_ll_equal(status, 0);
        assert_bytes_equal(out, subproc_output_len(c), input, len);
        assert_bytes_equal(err, subproc_error_len(c), expected_err, err_len);
        free(out);
        free(err);
        free(input);
        free(expected_err);
        subproc_free(c);
}

static void test_child_closes_stdin_early(void **state)
{
        const size_t len = 4 * MIB;
        char *input = t_make_pattern('0', len);
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--close-stdin",
                                      "--stdout-text=closed", NULL);
        struct sigaction old_pipe, dfl = { .sa_handler = SIG_DFL };
        sigset_t unblock, old_mask;
        char *out;
        int rc, saved_errno;

        /* With SIGPIPE at SIG_DFL and unblocked, an EPIPE the library does not guard against
         * kills this test process. */
        sigemptyset(&dfl.sa_mask);
        sigaction(SIGPIPE, &dfl, &old_pipe);
        sigemptyset(&unblock);
        sigaddset(&unblock, SIGPIPE);
        sigprocmask(SIG_UNBLOCK, &unblock, &old_mask);

        subproc_set_input_bytes(c, input, len);
        subproc_set_output_buffer(c, &out);
        errno = 0;
        rc = subproc_run(c, NULL);
        saved_errno = errno;

        sigprocmask(SIG_SETMASK, &old_mask, NULL);
        sigaction(SIGPIPE, &old_pipe, NULL);
        if (rc != 0)
                print_error("subproc_run: %s (errno %d)\n", subproc_errmsg(), saved_errno);
        assert_ll_equal(rc, 0);
        assert_string_equal(out, "closed");
        free(out);
        free(input);
        subproc_free(c);
}

static int usr1_count;

static void count_usr1(int sig)
{
        usr1_count++;
}

static void test_io_survives_eintr(void **state)
{
        const size_t len = 2 * MIB;
        char *input = t_make_pattern('0', len);
        struct sigaction old_usr1, sa = { .sa_handler = count_usr1 };
        subproc *c = subproc_new(HELPER_PATH);
        char *out;
        int rc;

        /* No SA_RESTART: the signal interrupts poll()/read()/write() in the library. */
        sigemptyset(&sa.sa_mask);
        sigaction(SIGUSR1, &sa, &old_usr1);
        usr1_count = 0;
        subproc_add_arg(c, "--no-report");
        subproc_add_arg_format(c, "--signal-parent=%d", SIGUSR1);
        subproc_add_arg(c, "--sleep-ms=50");
        subproc_add_arg_format(c, "--signal-parent=%d", SIGUSR1);
        subproc_add_arg(c, "--cat");
        subproc_set_input_bytes(c, input, len);
        subproc_set_output_buffer(c, &out);
        rc = subproc_run(c, NULL);
        sigaction(SIGUSR1, &old_usr1, NULL);
        if (rc != 0)
                print_error("subproc_run: %s\n", subproc_errmsg());
        assert_ll_equal(rc, 0);
        /* Two signals; they may merge if the library blocks SIGUSR1 for a while. */
        assert_true(usr1_count >= 1);
        assert_bytes_equal(out, subproc_output_len(c), input, len);
        free(out);
        free(input);
        subproc_free(c);
}

/* ---------------------------------------------------------------------------------------
 * Capture limits
 * ------------------------------------------------------------------------------------- */

/* A helper writing `len` pattern bytes to stdout, then exiting with `code`. */
static subproc *stdout_writer(size_t len, int code)
{
        subproc *c = subproc_new(HELPER_PATH);

        subproc_add_arg(c, "--no-report");
        subproc_add_arg_format(c, "--stdout-bytes=%zu", len);
        subproc_add_arg_format(c, "--exit=%d", code);
        return c;
}

/* Past the limit: the run fails with EFBIG once the child is done, the first bytes kept. */
static void test_capture_limit_keeps_first_bytes(void **state)
{
        const size_t len = 3 * MIB + 7, limit = 1000;
        char *expected = t_make_pattern(HELPER_STDOUT_SEED, len);
        subproc *c = stdout_writer(len, 0);
        char *out, dropped[64];

        subproc_set_capture_limit(c, limit);
        subproc_set_output_buffer(c, &out);
        assert_run_fails(c, EFBIG, "capture limit of 1000 bytes to stdout");
        snprintf(dropped, sizeof dropped, "%zu more dropped", len - limit);
        assert_contains(subproc_errmsg(), dropped);
        assert_bytes_equal(out, subproc_output_len(c), expected, limit);
        assert_ll_equal(out[limit], '\0');
        /* The child was neither blocked nor stopped: it wrote everything and exited 0. */
        assert_true(WIFEXITED(subproc_status(c)));
        assert_ll_equal(WEXITSTATUS(subproc_status(c)), 0);
        free(out);
        free(expected);
        subproc_free(c);
}

static void test_capture_limit_not_reached(void **state)
{
        const size_t limit = 1000;

        for (size_t len = limit - 1; len <= limit; len++) {
                char *expected = t_make_pattern(HELPER_STDOUT_SEED, len);
                subproc *c = stdout_writer(len, 0);
                char *out;

                subproc_set_capture_limit(c, limit);
                subproc_set_output_buffer(c, &out);
                assert_ll_equal(subproc_run(c, NULL), 0);
                assert_bytes_equal(out, subproc_output_len(c), expected, len);
                free(out);
                free(expected);
                subproc_free(c);
        }
}

/* The stream is named; one buffer for both streams is capped for both together. */
static void test_capture_limit_streams(void **state)
{
        char *expected = t_expected_interleave(50), *out, *err;
        subproc *c = subproc_new(HELPER_PATH);

        subproc_add_arg(c, "--no-report");
        subproc_add_arg(c, "--stderr-bytes=5000");
        subproc_set_capture_limit(c, 100);
        subproc_set_output_buffer(c, &out);
        subproc_set_error_buffer(c, &err);
        assert_run_fails(c, EFBIG, "100 bytes to stderr: the first 100 were kept, 4900 more");
        assert_string_equal(out, "");
        assert_ll_equal(subproc_error_len(c), 100);
        free(out);
        free(err);
        subproc_free(c);

        c = subproc_new_args(HELPER_PATH, "--no-report", "--interleave=50", NULL);
        subproc_set_capture_limit(c, 30);
        subproc_set_output_buffer(c, &out);
        subproc_set_error_buffer(c, &out);
        assert_run_fails(c, EFBIG, "30 bytes to stdout and stderr");
        assert_bytes_equal(out, subproc_output_len(c), expected, 30);
        assert_ll_equal(subproc_error_len(c), 30);
        free(out);
        free(expected);
        subproc_free(c);
}

/* The child's own failure is the error to report; the buffer is still capped. */
static void test_capture_limit_child_failure_wins(void **state)
{
        subproc *c = stdout_writer(2000, 3);
        char *out;

        subproc_set_capture_limit(c, 100);
        subproc_set_output_buffer(c, &out);
        assert_run_fails(c, EIO, "exit status 3");
        assert_ll_equal(subproc_output_len(c), 100);
        free(out);
        subproc_free(c);
}

/* A mapping is cut to the limit, with the NUL right after it. */
static void test_capture_limit_mapping(void **state)
{
        const size_t len = 3 * MIB + 1, limit = 4096 + 5;
        char *expected = t_make_pattern(HELPER_STDOUT_SEED, len);
        subproc *c = stdout_writer(len, 0);
        char *out;

        subproc_set_capture_limit(c, limit);
        subproc_set_output_mapping(c, &out);
        assert_run_fails(c, EFBIG, "capture limit of 4101 bytes to stdout");
        assert_bytes_equal(out, subproc_output_len(c), expected, limit);
        assert_ll_equal(out[limit], '\0');
        subproc_unmap(out, subproc_output_len(c));
        free(expected);
        subproc_free(c);
}

/* ---------------------------------------------------------------------------------------
 * Output fds and pipes for the caller
 * ------------------------------------------------------------------------------------- */

static void test_output_pipe_with_run_async(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--stdout-text=via pipe",
                                      "--stderr-text=not here", NULL);
        int out_fd = -1, status = -1, flags;
        char *text;

        subproc_set_output_fd(c, &out_fd);
        assert_ll_equal(out_fd, -1);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        assert_true(out_fd >= 0);
        flags = fcntl(out_fd, F_GETFL);
        assert_true(flags >= 0);
        assert_false(flags & O_NONBLOCK);
        text = t_read_fd_all(out_fd, NULL);
        assert_string_equal(text, "via pipe");
        assert_ll_equal(subproc_wait(c, &status), 0);
        assert_ll_equal(status, 0);
        close(out_fd);
        free(text);
        subproc_free(c);
}

static void test_run_refuses_output_pipe(void **state)
{
        subproc *out_cmd = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc *err_cmd = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        int out_fd = -1, err_fd = -1, rc;

        subproc_set_output_fd(out_cmd, &out_fd);
        errno = 0;
        rc = subproc_run(out_cmd, NULL);
        assert_ll_equal(rc, -1);
        assert_true(subproc_errmsg()[0] != '\0');
        assert_ll_equal(out_fd, -1);
        assert_no_children();

        subproc_set_error_fd(err_cmd, &err_fd);
        rc = subproc_run(err_cmd, NULL);
        assert_ll_equal(rc, -1);
        assert_ll_equal(err_fd, -1);
        assert_no_children();
        subproc_free(err_cmd);
        subproc_free(out_cmd);
}

static void test_output_to_existing_fd(void **state)
{
        char *path = t_make_temp_file("", 0, 0600);
        int file_fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
        int err_fd, out_fd;
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--stdout-text=to the file",
                                      "--stderr-text=to the error file", NULL);
        char *err_path = t_make_temp_file("", 0, 0600);
        char *text;

        assert_true(file_fd >= 0);
        out_fd = file_fd;
        err_fd = open(err_path, O_WRONLY | O_APPEND | O_CLOEXEC);
        assert_true(err_fd >= 0);
        subproc_set_output_fd(c, &out_fd);
        subproc_set_error_fd(c, &err_fd);
        /* Only pipes made for the caller become non-blocking, not the caller's own fds. */
        subproc_nonblocking_fds(c);
        assert_ll_equal(subproc_run(c, NULL), 0);
        /* The caller keeps its fds, with the same numbers and flags. */
        assert_ll_equal(out_fd, file_fd);
        assert_true(t_fd_is_open(out_fd));
        assert_true(t_fd_is_open(err_fd));
        assert_false(fcntl(out_fd, F_GETFL) & O_NONBLOCK);
        assert_false(fcntl(err_fd, F_GETFL) & O_NONBLOCK);
        text = t_read_file_all(path, NULL);
        assert_string_equal(text, "to the file");
        free(text);
        text = t_read_file_all(err_path, NULL);
        assert_string_equal(text, "to the error file");
        free(text);

        close(out_fd);
        close(err_fd);
        unlink(path);
        unlink(err_path);
        free(path);
        free(err_path);
        subproc_free(c);
}

static void test_shared_output_fd(void **state)
{
        char *path = t_make_temp_file("", 0, 0600);
        int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--interleave=50", NULL);
        char *text, *expected = t_expected_interleave(50);

        assert_true(fd >= 0);
        subproc_set_output_fd(c, &fd);
        subproc_set_error_fd(c, &fd);
        assert_ll_equal(subproc_run(c, NULL), 0);
        text = t_read_file_all(path, NULL);
        assert_string_equal(text, expected);
        close(fd);
        unlink(path);
        free(path);
        free(text);
        free(expected);
        subproc_free(c);
}

static void test_shared_output_pipe(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--interleave=50", NULL);
        char *text, *expected = t_expected_interleave(50);
        int fd = -1;

        subproc_set_output_fd(c, &fd);
        subproc_set_error_fd(c, &fd);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        assert_true(fd >= 0);
        text = t_read_fd_all(fd, NULL);
        assert_string_equal(text, expected);
        assert_ll_equal(subproc_wait(c, NULL), 0);
        close(fd);
        free(text);
        free(expected);
        subproc_free(c);
}

/* Read `fd` (non-blocking) to EOF with poll(). */
static char *read_nonblocking(int fd)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&buf, &len);

        assert_non_null(out);
        for (;;) {
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                char chunk[4096];
                ssize_t n;

                assert_true(poll(&pfd, 1, 30000) == 1);
                n = read(fd, chunk, sizeof chunk);
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        continue;
                assert_true(n >= 0);
                if (n == 0)
                        break;
                fwrite(chunk, 1, (size_t)n, out);
        }
        fclose(out);
        return buf;
}

static void test_nonblocking_pipes(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--stdout-text=o",
                                      "--stderr-text=e", NULL);
        int out_fd = -1, err_fd = -1;
        char *text;

        subproc_set_output_fd(c, &out_fd);
        subproc_set_error_fd(c, &err_fd);
        subproc_nonblocking_fds(c);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        assert_true(out_fd >= 0);
        assert_true(err_fd >= 0);
        assert_true(out_fd != err_fd);
        assert_true(fcntl(out_fd, F_GETFL) & O_NONBLOCK);
        assert_true(fcntl(err_fd, F_GETFL) & O_NONBLOCK);
        text = read_nonblocking(out_fd);
        assert_string_equal(text, "o");
        free(text);
        text = read_nonblocking(err_fd);
        assert_string_equal(text, "e");
        free(text);
        assert_ll_equal(subproc_wait(c, NULL), 0);
        close(out_fd);
        close(err_fd);
        subproc_free(c);
}

static void test_output_pipe_new_each_run(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--stdout-text=again", NULL);
        int fd = -1;

        subproc_set_output_fd(c, &fd);
        for (int run = 0; run < 3; run++) {
                char *text;

                /* -1 again: a pipe for every run. */
                fd = -1;
                assert_ll_equal(subproc_run_async(c, NULL), 0);
                assert_true(fd >= 0);
                text = t_read_fd_all(fd, NULL);
                assert_string_equal(text, "again");
                free(text);
                assert_ll_equal(subproc_wait(c, NULL), 0);
                close(fd);
        }
        subproc_free(c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                T_TEST(test_input_buffer_cat),
                T_TEST(test_input_bytes_with_nuls),
                T_TEST(test_input_buffer_is_copied),
                T_TEST(test_output_with_nuls),
                T_TEST(test_empty_output_is_empty_string),
                T_TEST(test_separate_output_and_error),
                T_TEST(test_shared_buffer_interleaves),
                T_TEST(test_buffer_registration_sets_null),
                T_TEST(test_failed_run_leaves_partial_buffers),
                T_TEST(test_exec_failure_leaves_empty_buffers),
                T_TEST(test_rerun_replaces_buffer),
                T_TEST(test_input_fd),
                T_TEST(test_megabytes_everywhere),
                T_TEST(test_big_capture_is_exact),
                T_TEST(test_megabytes_cat_with_stderr),
                T_TEST(test_child_closes_stdin_early),
                T_TEST(test_io_survives_eintr),
                T_TEST(test_capture_limit_keeps_first_bytes),
                T_TEST(test_capture_limit_not_reached),
                T_TEST(test_capture_limit_streams),
                T_TEST(test_capture_limit_child_failure_wins),
                T_TEST(test_capture_limit_mapping),
                T_TEST(test_output_pipe_with_run_async),
                T_TEST(test_run_refuses_output_pipe),
                T_TEST(test_output_to_existing_fd),
                T_TEST(test_shared_output_fd),
                T_TEST(test_shared_output_pipe),
                T_TEST(test_nonblocking_pipes),
                T_TEST(test_output_pipe_new_each_run),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
