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
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#define MIB (1024 * 1024)

static char *checksum_text(const void *data, size_t len)
{
        char *text = malloc(17);

        assert_non_null(text);
        format_checksum(text, helper_checksum(HELPER_CHECKSUM_INIT, data, len));
        return text;
}

/* ---------------------------------------------------------------------------------------
 * Send buffers
 * ------------------------------------------------------------------------------------- */

static void test_send_buffers(void **state)
{
        const size_t len = 1 * MIB;
        char *first = make_pattern('0', len), *second = make_pattern('k', len + 7);
        char *first_sum = checksum_text(first, len), *second_sum = checksum_text(second, len + 7);
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
        r = run_report(c, &out);
        snprintf(expected_fds, sizeof expected_fds, "0 1 2 %d %d",
                 first_fd < second_fd ? first_fd : second_fd,
                 first_fd < second_fd ? second_fd : first_fd);
        fd_set_text = report_fd_set(r);
        assert_string_equal(fd_set_text, expected_fds);
        free(fd_set_text);
        snprintf(expected_len, sizeof expected_len, "%zu", len);
        assert_string_equal(report_getf(r, "read_bytes[%d]", first_fd), expected_len);
        assert_string_equal(report_getf(r, "read_sum[%d]", first_fd), first_sum);
        snprintf(expected_len, sizeof expected_len, "%zu", len + 7);
        assert_string_equal(report_getf(r, "read_bytes[%d]", second_fd), expected_len);
        assert_string_equal(report_getf(r, "read_sum[%d]", second_fd), second_sum);
        report_free(r);
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
        r = report_parse(out, subproc_output_len(c));
        assert_bytes_equal(report_getf(r, "read_text[%d]", text_fd), 12, "config\0line\n", 12);
        assert_string_equal(report_getf(r, "read_bytes[%d]", text_fd), "12");
        assert_string_equal(report_getf(r, "read_bytes[%d]", empty_fd), "0");
        report_free(r);
        free(out);
        subproc_free(c);
}

static void test_send_buffer_rerun(void **state)
{
        const size_t len = 300000;
        char *data = make_pattern('m', len), *sum = checksum_text(data, len);
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
                r = report_parse(out, subproc_output_len(c));
                assert_true(report_has_fd(r, fd));
                assert_ll_equal(report_count(r, "fd"), 4);
                assert_string_equal(report_getf(r, "read_sum[%d]", fd), sum);
                report_free(r);
        }
        free(out);
        free(data);
        free(sum);
        subproc_free(c);
}

static void test_send_buffer_with_stdin_and_output(void **state)
{
        const size_t len = 3 * MIB;
        char *data = make_pattern('s', len), *input = make_pattern('i', len);
        char *sum = checksum_text(data, len), *expected_err = make_pattern('A', MIB);
        subproc *c = subproc_new(HELPER_PATH);
        char *out, *err;
        struct helper_report *r;
        char *report_path = make_temp_path();
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
        r = report_read_file(report_path);
        unlink(report_path);
        assert_string_equal(report_getf(r, "read_sum[%d]", fd), sum);
        report_free(r);
        free(report_path);
        free(out);
        free(err);
        free(data);
        free(input);
        free(sum);
        free(expected_err);
        subproc_free(c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                SP_TEST(test_send_buffers),
                SP_TEST(test_send_buffer_text_and_empty),
                SP_TEST(test_send_buffer_rerun),
                SP_TEST(test_send_buffer_with_stdin_and_output),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
