/* Tests of capture into a memory file (subproc_set_output_mapping, subproc_set_error_mapping,
 * subproc_unmap): exact content and length with a NUL after it, one file for both streams,
 * mixed with buffers, what the child sees, sealing against a grandchild and the copy taken
 * when sealing is impossible, reruns, run_async, timeouts and refused combinations.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "support/support.h"

#define MIB (1024 * 1024)

/* How long a grandchild may take to leave its marker file before the case fails. */
#define GRANDCHILD_WAIT_MS 10000.0

/* The argument that makes this test program, run as a child, scribble past its output's end. */
#define SCRIBBLE_ARG "--scribble-past-end-of-stdout"

/* Lines of /proc/self/maps that map one of the library's memory files. */
static int count_output_file_mappings(void)
{
        char *maps = t_read_file_all("/proc/self/maps", NULL);
        char *saved = NULL;
        int count = 0;

        for (char *line = strtok_r(maps, "\n", &saved); line; line = strtok_r(NULL, "\n", &saved))
                count += strstr(line, "memfd:subproc-output") != NULL;
        free(maps);
        return count;
}

/* Wait for a grandchild to create `path` (and, with `whole_line`, to finish a line in it);
 * returns the content.  A grandchild is not ours to wait for: poll. */
static char *wait_for_file(const char *path, bool whole_line)
{
        const double give_up_at = t_monotonic_ms() + GRANDCHILD_WAIT_MS;

        for (;;) {
                if (access(path, F_OK) == 0) {
                        size_t len = 0;
                        char *text = t_read_file_all(path, &len);

                        if (!whole_line || (len > 0 && text[len - 1] == '\n'))
                                return text;
                        free(text);
                }
                if (t_monotonic_ms() > give_up_at)
                        fail_msg("%s did not appear within %.0f ms", path, GRANDCHILD_WAIT_MS);
                usleep(10000);
        }
}

/* ---------------------------------------------------------------------------------------
 * Content, length and the NUL after it
 * ------------------------------------------------------------------------------------- */

static void check_pattern_output(size_t len)
{
        char *expected = t_make_pattern(HELPER_STDOUT_SEED, len);
        subproc *c = subproc_new(HELPER_PATH);
        char not_a_mapping = 'x';
        char *out = &not_a_mapping;

        print_message("output of %zu bytes\n", len);
        subproc_add_arg(c, "--no-report");
        subproc_add_arg_format(c, "--stdout-bytes=%zu", len);
        subproc_set_output_mapping(c, &out);
        assert_null(out);
        assert_ll_equal(subproc_run(c, NULL), 0);
        assert_non_null(out);
        assert_bytes_equal(out, subproc_output_len(c), expected, len);
        /* At a page boundary the NUL is in the frame's extra page, past the file. */
        assert_ll_equal(out[len], '\0');
        subproc_unmap(out, subproc_output_len(c));
        free(expected);
        subproc_free(c);
}

static void test_sizes_are_exact_and_nul_terminated(void **state)
{
        static const size_t sizes[] = { 0, 1, 4095, 4096, 4097, 3 * MIB + 1 };

        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
                check_pattern_output(sizes[i]);
}

static void test_empty_output_is_empty_string(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        char *out;

        subproc_set_output_mapping(c, &out);
        assert_ll_equal(subproc_run(c, NULL), 0);
        assert_non_null(out);
        assert_string_equal(out, "");
        assert_ll_equal(subproc_output_len(c), 0);
        subproc_unmap(out, 0);
        subproc_free(c);
}

static void test_nuls_inside_are_kept(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--write-nul", NULL);
        char *out;

        subproc_set_output_mapping(c, &out);
        assert_ll_equal(subproc_run(c, NULL), 0);
        assert_bytes_equal(out, subproc_output_len(c), HELPER_NUL_OUTPUT, HELPER_NUL_OUTPUT_LEN);
        assert_ll_equal(out[HELPER_NUL_OUTPUT_LEN], '\0');
        subproc_unmap(out, subproc_output_len(c));
        subproc_free(c);
}

/* As a child (see main): write "data", then a byte just past the end of the file through a
 * shared mapping.  It lands in the file's last page, not in the file, and shows through a
 * mapping of that page unless the library puts the NUL back. */
static int scribble_past_end_of_stdout(void)
{
        char *shared;

        if (write(STDOUT_FILENO, "data", 4) != 4)
                return 1;
        shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, STDOUT_FILENO, 0);
        if (shared == MAP_FAILED)
                return 1;
        shared[4] = 'X';
        munmap(shared, 4096);
        return 0;
}

static void test_nul_replaces_bytes_past_the_end(void **state)
{
        char self[PATH_MAX];
        ssize_t self_len = readlink("/proc/self/exe", self, sizeof self - 1);
        subproc *c;
        char *out;
        int status = -1;

        assert_true(self_len > 0);
        self[self_len] = '\0';
        c = subproc_new_args(self, SCRIBBLE_ARG, NULL);
        subproc_set_output_mapping(c, &out);
        assert_ll_equal(subproc_run(c, &status), 0);
        assert_ll_equal(status, 0);
        assert_bytes_equal(out, subproc_output_len(c), "data", 4);
        assert_ll_equal(out[4], '\0');
        subproc_unmap(out, subproc_output_len(c));
        subproc_free(c);
}

static void test_big_output_is_exact(void **state)
{
        const size_t len = 40 * MIB + 12345;
        char *expected = t_make_pattern(HELPER_STDOUT_SEED, len);
        subproc *c = subproc_new(HELPER_PATH);
        char *out;

        subproc_add_arg(c, "--no-report");
        subproc_add_arg_format(c, "--stdout-bytes=%zu", len);
        subproc_set_output_mapping(c, &out);
        assert_ll_equal(subproc_run(c, NULL), 0);
        assert_bytes_equal(out, subproc_output_len(c), expected, len);
        assert_ll_equal(out[len], '\0');
        subproc_unmap(out, subproc_output_len(c));
        free(expected);
        subproc_free(c);
}

static void test_mapping_is_writable(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--stdout-text=hello", NULL);
        char *out;

        subproc_set_output_mapping(c, &out);
        assert_ll_equal(subproc_run(c, NULL), 0);
        out[0] = 'J';
        assert_string_equal(out, "Jello");
        subproc_unmap(out, subproc_output_len(c));
        subproc_free(c);
}

/* ---------------------------------------------------------------------------------------
 * Both streams, and mappings mixed with buffers
 * ------------------------------------------------------------------------------------- */

static void test_one_pointer_interleaves(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--interleave=200", NULL);
        char *both, *expected = t_expected_interleave(200);

        subproc_set_output_mapping(c, &both);
        subproc_set_error_mapping(c, &both);
        assert_ll_equal(subproc_run(c, NULL), 0);
        assert_non_null(both);
        assert_string_equal(both, expected);
        assert_ll_equal(subproc_output_len(c), strlen(expected));
        assert_ll_equal(subproc_error_len(c), subproc_output_len(c));
        /* One mapping: released once. */
        subproc_unmap(both, subproc_output_len(c));
        free(expected);
        subproc_free(c);
}

/* Each stream captured on its own, as a mapping or a buffer, released the matching way. */
static void check_separate_streams(bool out_mapped, bool err_mapped)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--interleave=9", NULL);
        char *out, *err, *expected_out = t_expected_interleave_half(9, false);
        char *expected_err = t_expected_interleave_half(9, true);

        if (out_mapped)
                subproc_set_output_mapping(c, &out);
        else
                subproc_set_output_buffer(c, &out);
        if (err_mapped)
                subproc_set_error_mapping(c, &err);
        else
                subproc_set_error_buffer(c, &err);
        assert_ll_equal(subproc_run(c, NULL), 0);
        assert_string_equal(out, expected_out);
        assert_string_equal(err, expected_err);
        assert_ll_equal(subproc_output_len(c), strlen(expected_out));
        assert_ll_equal(subproc_error_len(c), strlen(expected_err));
        if (out_mapped)
                subproc_unmap(out, subproc_output_len(c));
        else
                free(out);
        if (err_mapped)
                subproc_unmap(err, subproc_error_len(c));
        else
                free(err);
        free(expected_out);
        free(expected_err);
        subproc_free(c);
}

static void test_separate_mappings(void **state)
{
        check_separate_streams(true, true);
}

static void test_output_mapping_error_buffer(void **state)
{
        check_separate_streams(true, false);
}

static void test_output_buffer_error_mapping(void **state)
{
        check_separate_streams(false, true);
}

/* ---------------------------------------------------------------------------------------
 * What the child and the caller see
 * ------------------------------------------------------------------------------------- */

static void test_child_writes_to_memory_files(void **state)
{
        char *fds_before = t_caller_fd_set(), *fds_after;
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        char *out, *err;

        subproc_set_output_mapping(c, &out);
        subproc_set_error_mapping(c, &err);
        r = t_run_report_file(c);
        assert_contains(t_report_get(r, "fdlink[1]"), "memfd:subproc-output");
        assert_contains(t_report_get(r, "fdlink[2]"), "memfd:subproc-output");
        /* Two streams, two files. */
        assert_string_not_equal(t_report_get(r, "fdstat[1]"), t_report_get(r, "fdstat[2]"));
        /* The library's own fd of each file stays out of the child. */
        t_check_fd_set(r, "0 1 2");
        /* And is closed in the caller once the mapping is made. */
        fds_after = t_caller_fd_set();
        assert_string_equal(fds_after, fds_before);
        /* The report went to its file: nothing was written to stdout. */
        assert_string_equal(out, "");
        subproc_unmap(out, subproc_output_len(c));
        subproc_unmap(err, subproc_error_len(c));
        t_report_free(r);
        free(fds_before);
        free(fds_after);
        subproc_free(c);
}

/* A background grandchild writes after the run: appending ("late", which F_SEAL_GROW stops)
 * and in place through a new open of the file ("LATE", which only F_SEAL_WRITE stops), then
 * records both exit statuses. */
#define LATE_WRITER_SCRIPT                                                  \
        "(sleep 0.3; printf late; appended=$?; printf LATE 1<>/dev/stdout;" \
        " echo $appended $? > \"$1\") 2>/dev/null & printf early"

static void test_grandchild_cannot_change_sealed_output(void **state)
{
        char *status_path = t_make_temp_path(), *status_text;
        subproc *c = subproc_new_args("/bin/sh", "-c", LATE_WRITER_SCRIPT, "sh", status_path, NULL);
        int appended = 0, overwritten = 0;
        double started;
        char *out;

        subproc_set_output_mapping(c, &out);
        started = t_monotonic_ms();
        assert_ll_equal(subproc_run(c, NULL), 0);
        /* A memory file has no EOF to wait for: the run ends with the shell. */
        assert_true(t_monotonic_ms() - started < 3000.0);
        assert_string_equal(out, "early");

        /* The grandchild is not our child (it is reparented when the shell exits), so the
         * case must not end before it has written: its status file says it is done. */
        status_text = wait_for_file(status_path, true);
        assert_ll_equal(sscanf(status_text, "%d %d", &appended, &overwritten), 2);
        assert_true(appended != 0);
        assert_true(overwritten != 0);
        assert_string_equal(out, "early");
        assert_ll_equal(subproc_output_len(c), 5);

        subproc_unmap(out, subproc_output_len(c));
        unlink(status_path);
        free(status_path);
        free(status_text);
        subproc_free(c);
}

static void test_shared_writable_mapping_gets_a_copy(void **state)
{
        char *marker_path = t_make_temp_path(), *marker_text;
        subproc *c = subproc_new(HELPER_PATH);
        char *out;

        /* The helper's grandchild still maps the file shared and writable when the run ends,
         * so it cannot be sealed; 200 ms later it writes '!' over byte 0. */
        subproc_add_arg(c, "--no-report");
        subproc_add_arg(c, "--stdout-text=hello");
        subproc_add_arg_format(c, "--hold-stdout-map=%s", marker_path);
        subproc_set_output_mapping(c, &out);
        assert_ll_equal(subproc_run(c, NULL), 0);
        assert_string_equal(out, "hello");
        marker_text = wait_for_file(marker_path, false);
        /* A mapping of the unsealed file would now read "!ello". */
        assert_string_equal(out, "hello");
        assert_ll_equal(subproc_output_len(c), 5);

        subproc_unmap(out, subproc_output_len(c));
        unlink(marker_path);
        free(marker_path);
        free(marker_text);
        subproc_free(c);
}

/* ---------------------------------------------------------------------------------------
 * Reruns, run_async, timeouts
 * ------------------------------------------------------------------------------------- */

static void test_rerun_unmaps_previous_mapping(void **state)
{
        const size_t len = 8192;
        char *expected = t_make_pattern(HELPER_STDOUT_SEED, len);
        const int mappings_before = count_output_file_mappings();
        subproc *c = subproc_new(HELPER_PATH);
        char *out;

        /* Enough output that the file part of the frame exists and shows in the maps. */
        subproc_add_arg(c, "--no-report");
        subproc_add_arg_format(c, "--stdout-bytes=%zu", len);
        subproc_set_output_mapping(c, &out);
        assert_ll_equal(subproc_run(c, NULL), 0);
        assert_ll_equal(count_output_file_mappings(), mappings_before + 1);
        assert_ll_equal(subproc_run(c, NULL), 0);
        assert_ll_equal(count_output_file_mappings(), mappings_before + 1);
        assert_bytes_equal(out, subproc_output_len(c), expected, len);
        subproc_unmap(out, subproc_output_len(c));
        assert_ll_equal(count_output_file_mappings(), mappings_before);
        free(expected);
        subproc_free(c);
}

static void test_run_async_then_wait(void **state)
{
        const size_t len = MIB + 3;
        char *expected = t_make_pattern(HELPER_STDOUT_SEED, len);
        subproc *c = subproc_new(HELPER_PATH);
        pid_t pid = -1;
        int status = -1;
        char *out;

        subproc_add_arg(c, "--no-report");
        subproc_add_arg_format(c, "--stdout-bytes=%zu", len);
        subproc_set_output_mapping(c, &out);
        assert_ll_equal(subproc_run_async(c, &pid), 0);
        assert_true(pid > 0);
        /* Mapped once the child is gone, by the wait. */
        assert_null(out);
        assert_ll_equal(subproc_wait(c, &status), 0);
        assert_ll_equal(status, 0);
        assert_bytes_equal(out, subproc_output_len(c), expected, len);
        assert_ll_equal(out[len], '\0');
        subproc_unmap(out, subproc_output_len(c));
        free(expected);
        subproc_free(c);
}

static void test_timeout_keeps_partial_output(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--stdout-text=partial",
                                      "--sleep-ms=20000", NULL);
        char *out;

        subproc_set_output_mapping(c, &out);
        subproc_set_timeout(c, 200, 1000);
        assert_run_fails(c, ETIMEDOUT, "timed out");
        assert_non_null(out);
        assert_string_equal(out, "partial");
        assert_ll_equal(subproc_output_len(c), 7);
        subproc_unmap(out, subproc_output_len(c));
        subproc_free(c);
}

/* A child that writes "hello", then sizes its memory file 1 TiB (a hole: free for it). */
#define TIB (UINT64_C(1) << 40)
static subproc *sparse_tebibyte_writer(void)
{
        return subproc_new_args("/bin/sh", "-c", "printf hello && exec truncate -s 1T /dev/stdout",
                                NULL);
}

/* With a capture limit, a huge sparse output gives the first LIMIT bytes and EFBIG, as
 * documented: nothing past the cap is mapped, so its size cannot fail the run. */
static void test_sparse_huge_output_is_capped(void **state)
{
        subproc *c = sparse_tebibyte_writer();
        char *out = NULL;

        subproc_set_output_mapping(c, &out);
        subproc_set_capture_limit(c, 3);
        assert_run_fails(c, EFBIG, "capture limit of 3 bytes");
        assert_contains(subproc_errmsg(), "1099511627773 more dropped");
        assert_non_null(out);
        assert_string_equal(out, "hel");
        assert_ll_equal(subproc_output_len(c), 3);
        subproc_unmap(out, subproc_output_len(c));
        /* A cap on a page boundary, and one past the bytes written: holes read as zeros. */
        subproc_set_capture_limit(c, 8192);
        assert_run_fails(c, EFBIG, "capture limit of 8192 bytes");
        assert_ll_equal(subproc_output_len(c), 8192);
        assert_memory_equal(out, "hello\0\0", 8);
        assert_ll_equal(out[8192], '\0');
        subproc_unmap(out, subproc_output_len(c));
        subproc_free(c);
}

/* Without a limit the header promises all the child wrote, holes included, "no limit but
 * memory": where the kernel will not give 1 TiB of address space (overcommit), the run fails
 * cleanly naming the size, with nothing mapped; where it does, the length is the file's and
 * the bytes are right (the hole is not touched). */
static void test_sparse_huge_output_without_limit(void **state)
{
        subproc *c = sparse_tebibyte_writer();
        char *out = NULL;
        int rc;

        subproc_set_output_mapping(c, &out);
        errno = 0;
        rc = subproc_run(c, NULL);
        if (rc == 0) {
                assert_ll_equal(subproc_output_len(c), TIB);
                assert_memory_equal(out, "hello\0", 6);
                subproc_unmap(out, subproc_output_len(c));
        } else {
                /* ENOMEM from the kernel; valgrind's own address space manager says EINVAL. */
                print_message("%s\n", subproc_errmsg());
                assert_ll_equal(rc, -1);
                assert_true(errno == ENOMEM || errno == EFBIG || errno == EINVAL);
                assert_contains(subproc_errmsg(), "cannot map the captured output "
                                                  "(1099511627776 bytes)");
                assert_null(out);
                assert_ll_equal(subproc_output_len(c), 0);
        }
        subproc_free(c);
}

/* ---------------------------------------------------------------------------------------
 * Refused combinations
 * ------------------------------------------------------------------------------------- */

/* After a refused run a registered mapping is an empty one, to be released as usual. */
static void check_empty_mapping(char *data, size_t len)
{
        assert_non_null(data);
        assert_string_equal(data, "");
        assert_ll_equal(len, 0);
        subproc_unmap(data, len);
}

static void test_set_twice_is_refused(void **state)
{
        subproc *twice = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc *mixed = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        char *out, *again, *buffer;

        subproc_set_output_mapping(twice, &out);
        subproc_set_output_mapping(twice, &again);
        assert_run_fails(twice, EINVAL, "set twice");
        check_empty_mapping(out, subproc_output_len(twice));
        assert_null(again);

        subproc_set_output_buffer(mixed, &buffer);
        subproc_set_output_mapping(mixed, &out);
        assert_run_fails(mixed, EINVAL, "set twice");
        /* The buffer was registered first: it gets the (malloc'd) "". */
        assert_non_null(buffer);
        assert_string_equal(buffer, "");
        assert_null(out);
        free(buffer);
        subproc_free(mixed);
        subproc_free(twice);
}

static void test_null_pointer_is_refused(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        char *err;

        subproc_set_error_mapping(c, &err);
        subproc_set_output_mapping(c, NULL);
        assert_run_fails(c, EINVAL, "mapping pointer is NULL");
        check_empty_mapping(err, subproc_error_len(c));
        subproc_free(c);
}

static void test_buffer_and_mapping_cannot_share_a_pointer(void **state)
{
        subproc *mapped_first = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc *buffer_first = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        char *shared;

        subproc_set_output_mapping(mapped_first, &shared);
        subproc_set_error_buffer(mapped_first, &shared);
        assert_run_fails(mapped_first, EINVAL, "one pointer cannot be");
        check_empty_mapping(shared, subproc_output_len(mapped_first));

        subproc_set_output_buffer(buffer_first, &shared);
        subproc_set_error_mapping(buffer_first, &shared);
        assert_run_fails(buffer_first, EINVAL, "one pointer cannot be");
        assert_non_null(shared);
        assert_string_equal(shared, "");
        free(shared);
        subproc_free(buffer_first);
        subproc_free(mapped_first);
}

static void test_daemon_refuses_mapping(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        char *out;

        subproc_daemonize(c);
        subproc_set_output_mapping(c, &out);
        assert_run_fails(c, EINVAL, "daemon");
        /* Whatever it left (nothing was started), releasing it must be safe. */
        subproc_unmap(out, subproc_output_len(c));
        subproc_free(c);
}

static void test_unmap_null_does_nothing(void **state)
{
        subproc_unmap(NULL, 0);
        subproc_unmap(NULL, 4096);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                T_TEST(test_sizes_are_exact_and_nul_terminated),
                T_TEST(test_empty_output_is_empty_string),
                T_TEST(test_nuls_inside_are_kept),
                T_TEST(test_nul_replaces_bytes_past_the_end),
                T_TEST(test_big_output_is_exact),
                T_TEST(test_mapping_is_writable),
                T_TEST(test_one_pointer_interleaves),
                T_TEST(test_separate_mappings),
                T_TEST(test_output_mapping_error_buffer),
                T_TEST(test_output_buffer_error_mapping),
                T_TEST(test_child_writes_to_memory_files),
                T_TEST(test_grandchild_cannot_change_sealed_output),
                T_TEST(test_shared_writable_mapping_gets_a_copy),
                T_TEST(test_rerun_unmaps_previous_mapping),
                T_TEST(test_run_async_then_wait),
                T_TEST(test_timeout_keeps_partial_output),
                T_TEST(test_sparse_huge_output_is_capped),
                T_TEST(test_sparse_huge_output_without_limit),
                T_TEST(test_set_twice_is_refused),
                T_TEST(test_null_pointer_is_refused),
                T_TEST(test_buffer_and_mapping_cannot_share_a_pointer),
                T_TEST(test_daemon_refuses_mapping),
                T_TEST(test_unmap_null_does_nothing),
        };

        /* Run by test_nul_replaces_bytes_past_the_end as its child. */
        if (argc == 2 && strcmp(argv[1], SCRIBBLE_ARG) == 0)
                return scribble_past_end_of_stdout();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
