/* Tests of output as it arrives (subproc_set_output_callback(): chunks, lines, the line cap,
 * SUBPROC_ALSO_CAPTURE, a callback that ends the run) and of a stdin the caller keeps writing
 * (subproc_set_input_pipe(): from its own poll loop, from a thread, from the callback), with
 * and without pidfds, and the bad inputs of both.
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
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/support.h"

/* ---------------------------------------------------------------------------------------
 * What a callback saw
 * ------------------------------------------------------------------------------------- */

struct piece {
        int stream;
        char *data;
        size_t len;
};

struct seen {
        struct piece *pieces;
        size_t n, cap;
        int refuse_at; /* refuse (return refuse_with) at this call, 1-based; 0: never */
        int refuse_with;
        bool bad_nul; /* a piece without its NUL after the data */
};

static int collect(void *opaque, int stream, const char *data, size_t len)
{
        struct seen *s = opaque;

        if (s->n == s->cap) {
                s->cap = s->cap ? s->cap * 2 : 64;
                s->pieces = realloc(s->pieces, s->cap * sizeof *s->pieces);
                assert_non_null(s->pieces);
        }
        s->pieces[s->n].stream = stream;
        s->pieces[s->n].data = malloc(len + 1);
        assert_non_null(s->pieces[s->n].data);
        memcpy(s->pieces[s->n].data, data, len + 1);
        s->pieces[s->n].len = len;
        s->bad_nul |= data[len] != '\0';
        s->n++;
        return s->refuse_at > 0 && (int)s->n == s->refuse_at ? s->refuse_with : 0;
}

/* Everything one stream got, concatenated (malloc'd, NUL-terminated). */
static char *joined(const struct seen *s, int stream, size_t *len)
{
        size_t total = 0, at = 0;
        char *all;

        for (size_t i = 0; i < s->n; i++)
                if (s->pieces[i].stream == stream)
                        total += s->pieces[i].len;
        all = malloc(total + 1);
        assert_non_null(all);
        for (size_t i = 0; i < s->n; i++)
                if (s->pieces[i].stream == stream) {
                        memcpy(all + at, s->pieces[i].data, s->pieces[i].len);
                        at += s->pieces[i].len;
                }
        all[total] = '\0';
        *len = total;
        return all;
}

static void seen_free(struct seen *s)
{
        for (size_t i = 0; i < s->n; i++)
                free(s->pieces[i].data);
        free(s->pieces);
        *s = (struct seen){ 0 };
}

static subproc *helper_cat(const char *input, size_t len)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--cat", NULL);

        subproc_set_input_bytes(c, input, len);
        return c;
}

/* ---------------------------------------------------------------------------------------
 * Chunks and lines
 * ------------------------------------------------------------------------------------- */

static void test_chunks_both_streams(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--stdout-bytes=300000",
                                      "--stderr-bytes=200001", NULL);
        char *want_out = t_make_pattern(HELPER_STDOUT_SEED, 300000);
        char *want_err = t_make_pattern(HELPER_STDERR_SEED, 200001);
        struct seen s = { 0 };
        char *out, *err;
        size_t out_len, err_len;

        t_enter_mode(state);
        subproc_set_output_callback(c, SUBPROC_STDOUT | SUBPROC_STDERR, 0, collect, &s);
        assert_ll_equal(subproc_run(c, NULL), 0);
        out = joined(&s, SUBPROC_STDOUT, &out_len);
        err = joined(&s, SUBPROC_STDERR, &err_len);
        assert_bytes_equal(out, out_len, want_out, 300000);
        assert_bytes_equal(err, err_len, want_err, 200001);
        assert_false(s.bad_nul);
        for (size_t i = 0; i < s.n; i++) {
                assert_true(s.pieces[i].len > 0 && s.pieces[i].len <= 65536);
                assert_true(s.pieces[i].stream == SUBPROC_STDOUT ||
                            s.pieces[i].stream == SUBPROC_STDERR);
        }
        /* The streams are the fd numbers. */
        assert_ll_equal(SUBPROC_STDOUT, 1);
        assert_ll_equal(SUBPROC_STDERR, 2);
        free(out);
        free(err);
        free(want_out);
        free(want_err);
        seen_free(&s);
        subproc_free(c);
}

static void test_lines(void **state)
{
        /* 5000 lines of 0 to 199 bytes, cut by the pipe wherever it likes. */
        size_t cap = 5000 * 201, len = 0;
        char *input = malloc(cap);
        struct seen s = { 0 };
        subproc *c;
        char *all;
        size_t all_len;

        t_enter_mode(state);
        assert_non_null(input);
        for (int i = 0; i < 5000; i++) {
                for (int k = 0; k < (i * 7) % 200; k++)
                        input[len++] = (char)('a' + (i + k) % 26);
                input[len++] = '\n';
        }
        c = helper_cat(input, len);
        subproc_set_output_callback(c, SUBPROC_STDOUT, SUBPROC_LINES, collect, &s);
        assert_ll_equal(subproc_run(c, NULL), 0);
        assert_ll_equal(s.n, 5000);
        for (size_t i = 0; i < s.n; i++) {
                assert_ll_equal(s.pieces[i].len, (i * 7) % 200 + 1);
                assert_ll_equal(s.pieces[i].data[s.pieces[i].len - 1], '\n');
                assert_ll_equal(s.pieces[i].stream, SUBPROC_STDOUT);
        }
        assert_false(s.bad_nul);
        all = joined(&s, SUBPROC_STDOUT, &all_len);
        assert_bytes_equal(all, all_len, input, len);
        free(all);
        free(input);
        seen_free(&s);
        subproc_free(c);
}

static void test_line_longer_than_cap(void **state)
{
        /* A short line, so that the long one starts off the pipe's 64 KiB reads; then a line
         * of 3 caps and 5 bytes, an empty line, and a last line without '\n'. */
        size_t long_len = 3 * (size_t)SUBPROC_LINE_MAX + 5, len = 0;
        char *input = malloc(long_len + 16), *at;
        struct seen s = { 0 };
        subproc *c;

        t_enter_mode(state);
        assert_non_null(input);
        memcpy(input, "x\n", 2);
        len = 2;
        for (size_t i = 0; i < long_len; i++)
                input[len++] = (char)('A' + i % 26);
        memcpy(input + len, "\n\ntail", 6);
        len += 6;
        c = helper_cat(input, len);
        subproc_set_output_callback(c, SUBPROC_STDOUT, SUBPROC_LINES, collect, &s);
        assert_ll_equal(subproc_run(c, NULL), 0);
        assert_ll_equal(s.n, 7);
        assert_string_equal(s.pieces[0].data, "x\n");
        at = input + 2;
        for (int i = 1; i <= 3; i++) {
                assert_ll_equal(s.pieces[i].len, SUBPROC_LINE_MAX);
                assert_bytes_equal(s.pieces[i].data, s.pieces[i].len, at, SUBPROC_LINE_MAX);
                at += SUBPROC_LINE_MAX;
        }
        assert_bytes_equal(s.pieces[4].data, s.pieces[4].len, at, 6);
        assert_string_equal(s.pieces[5].data, "\n");
        assert_string_equal(s.pieces[6].data, "tail");
        assert_false(s.bad_nul);
        free(input);
        seen_free(&s);
        subproc_free(c);
}

static void test_no_final_newline(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--stdout-text=one\ntwo",
                                      "--stderr-text=e1\ne2\ne3", NULL);
        struct seen s = { 0 };
        char *out, *err;
        size_t out_len, err_len;

        t_enter_mode(state);
        subproc_set_output_callback(c, SUBPROC_STDOUT | SUBPROC_STDERR, SUBPROC_LINES, collect, &s);
        assert_ll_equal(subproc_run(c, NULL), 0);
        out = joined(&s, SUBPROC_STDOUT, &out_len);
        err = joined(&s, SUBPROC_STDERR, &err_len);
        assert_string_equal(out, "one\ntwo");
        assert_string_equal(err, "e1\ne2\ne3");
        assert_ll_equal(s.n, 5);
        for (size_t i = 0; i < s.n; i++)
                assert_true(strcmp(s.pieces[i].data, "one\n") == 0 ||
                            strcmp(s.pieces[i].data, "two") == 0 ||
                            strcmp(s.pieces[i].data, "e1\n") == 0 ||
                            strcmp(s.pieces[i].data, "e2\n") == 0 ||
                            strcmp(s.pieces[i].data, "e3") == 0);
        free(out);
        free(err);
        seen_free(&s);
        subproc_free(c);
}

/* A partial line is delivered when the run stops reading without EOF too: a grandchild holds
 * the pipe after a timeout. */
static void test_partial_line_at_timeout(void **state)
{
        subproc *c = subproc_new_args("/bin/sh", "-c",
                                      "printf 'done\\npart'; sleep 5 & exec sleep 30", NULL);
        struct seen s = { 0 };
        double start = t_monotonic_ms();

        t_enter_mode(state);
        subproc_set_output_callback(c, SUBPROC_STDOUT, SUBPROC_LINES, collect, &s);
        subproc_set_timeout(c, 2000, 100); /* generous: the shell must print first */
        assert_run_fails(c, ETIMEDOUT, "timed out");
        assert_true(t_monotonic_ms() - start < T_HANG_GUARD_MS);
        assert_ll_equal(s.n, 2);
        assert_string_equal(s.pieces[0].data, "done\n");
        assert_string_equal(s.pieces[1].data, "part");
        seen_free(&s);
        subproc_free(c);
        /* The grandchild sleeps on, orphaned to pid 1: not ours to reap. */
}

/* ---------------------------------------------------------------------------------------
 * A callback that ends the run
 * ------------------------------------------------------------------------------------- */

static void check_refused(subproc *c, struct seen *s, bool async)
{
        double start = t_monotonic_ms();
        int r;

        if (async) {
                assert_ll_equal(subproc_run_async(c, NULL), 0);
                r = subproc_wait(c, NULL);
        } else {
                r = subproc_run(c, NULL);
        }
        assert_ll_equal(r, -1);
        assert_errno_equal(errno, ECANCELED);
        assert_contains(subproc_errmsg(), "output callback returned 7");
        assert_contains(subproc_errmsg(), "stdout");
        assert_ll_equal(s->n, 1); /* never called again */
        assert_ll_equal(subproc_pid(c), -1);
        assert_ll_equal(subproc_status(c), -1);
        assert_true(t_monotonic_ms() - start < T_HANG_GUARD_MS);
        assert_no_children();
}

static void test_refusal_ends_run(void **state)
{
        /* The child would write and sleep for a minute, ignoring SIGTERM. */
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--ignore-term",
                                      "--stdout-text=first\nsecond\n", "--sleep-ms=60000", NULL);
        struct seen s = { .refuse_at = 1, .refuse_with = 7 };
        char *err;

        t_enter_mode(state);
        subproc_set_error_buffer(c, &err);
        subproc_set_output_callback(c, SUBPROC_STDOUT, SUBPROC_LINES, collect, &s);
        check_refused(c, &s, false);
        assert_string_equal(s.pieces[0].data, "first\n");
        assert_non_null(err);
        seen_free(&s);

        /* The same after run_async, and the command can run again. */
        s = (struct seen){ .refuse_at = 1, .refuse_with = 7 };
        check_refused(c, &s, true);
        seen_free(&s);
        subproc_free(c);
        free(err);
}

static int refuse_other(void *opaque, int stream, const char *data, size_t len)
{
        (void)opaque;
        (void)stream;
        (void)data;
        (void)len;
        return -1;
}

static void test_refusal_with_capture(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--stdout-text=abc", NULL);
        char *out;

        t_enter_mode(state);
        subproc_set_output_buffer(c, &out);
        subproc_set_output_callback(c, SUBPROC_STDOUT, SUBPROC_ALSO_CAPTURE, refuse_other, NULL);
        assert_run_fails(c, ECANCELED, "output callback returned -1");
        /* The capture holds what came, the callback's refusal notwithstanding. */
        assert_string_equal(out, "abc");
        subproc_free(c);
        free(out);
}

/* ---------------------------------------------------------------------------------------
 * SUBPROC_ALSO_CAPTURE, one buffer for both streams, limits
 * ------------------------------------------------------------------------------------- */

static void test_also_capture_identical(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--stdout-bytes=1000000",
                                      "--stderr-text=a\nb\nc", NULL);
        struct seen s = { 0 };
        char *out, *err, *got_out, *got_err;
        size_t out_len, err_len;

        t_enter_mode(state);
        subproc_set_output_buffer(c, &out);
        subproc_set_error_buffer(c, &err);
        subproc_set_output_callback(c, SUBPROC_STDOUT | SUBPROC_STDERR,
                                    SUBPROC_LINES | SUBPROC_ALSO_CAPTURE, collect, &s);
        assert_ll_equal(subproc_run(c, NULL), 0);
        got_out = joined(&s, SUBPROC_STDOUT, &out_len);
        got_err = joined(&s, SUBPROC_STDERR, &err_len);
        assert_bytes_equal(out, subproc_output_len(c), got_out, out_len);
        assert_bytes_equal(err, subproc_error_len(c), got_err, err_len);
        assert_ll_equal(out_len, 1000000);
        assert_string_equal(err, "a\nb\nc");
        free(got_out);
        free(got_err);
        seen_free(&s);
        subproc_free(c);
        free(out);
        free(err);
}

static void test_also_capture_with_limit(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--stdout-bytes=100000", NULL);
        char *want = t_make_pattern(HELPER_STDOUT_SEED, 100000);
        struct seen s = { 0 };
        char *out, *got;
        size_t len;

        t_enter_mode(state);
        subproc_set_output_buffer(c, &out);
        subproc_set_capture_limit(c, 1000);
        subproc_set_output_callback(c, SUBPROC_STDOUT, SUBPROC_ALSO_CAPTURE, collect, &s);
        assert_run_fails(c, EFBIG, "capture limit of 1000 bytes");
        /* The buffer is capped, the callback saw every byte. */
        assert_bytes_equal(out, subproc_output_len(c), want, 1000);
        got = joined(&s, SUBPROC_STDOUT, &len);
        assert_bytes_equal(got, len, want, 100000);
        free(got);
        free(want);
        seen_free(&s);
        subproc_free(c);
        free(out);
}

static void test_shared_buffer(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--interleave=200", NULL);
        char *want = t_expected_interleave(200);
        struct seen s = { 0 };
        char *both, *got;
        size_t len;

        t_enter_mode(state);
        subproc_set_output_buffer(c, &both);
        subproc_set_error_buffer(c, &both);
        subproc_set_output_callback(c, SUBPROC_STDOUT | SUBPROC_STDERR,
                                    SUBPROC_LINES | SUBPROC_ALSO_CAPTURE, collect, &s);
        assert_ll_equal(subproc_run(c, NULL), 0);
        assert_string_equal(both, want);
        got = joined(&s, SUBPROC_STDOUT | SUBPROC_STDERR, &len);
        assert_bytes_equal(got, len, want, strlen(want));
        assert_ll_equal(s.n, 200);
        free(got);
        free(both);
        both = NULL;
        seen_free(&s);

        /* One pipe carries both: a callback of one stream cannot be served. */
        subproc_set_output_callback(c, SUBPROC_STDOUT, SUBPROC_ALSO_CAPTURE, collect, &s);
        assert_run_fails(c, EINVAL, "must take both streams");
        free(both);
        free(want);
        subproc_free(c);
}

/* ---------------------------------------------------------------------------------------
 * What a callback may do
 * ------------------------------------------------------------------------------------- */

struct nested {
        subproc *self;
        int runs_ok;
        int wait_errno;
        char *last_out;
};

static int run_another(void *opaque, int stream, const char *data, size_t len)
{
        struct nested *n = opaque;
        subproc *other = subproc_new_args(HELPER_PATH, "--no-report", "--cat", NULL);
        char *out;

        (void)stream;
        subproc_set_input_bytes(other, data, len);
        subproc_set_output_buffer(other, &out);
        if (subproc_run(other, NULL) == 0 && strcmp(out, data) == 0)
                n->runs_ok++;
        free(out);
        subproc_free(other);
        /* Waiting for itself from its own callback is refused, not a crash. */
        if (subproc_wait(n->self, NULL) < 0)
                n->wait_errno = errno;
        if (subproc_pid(n->self) <= 0)
                n->wait_errno = -1;
        return 0;
}

static void test_callback_runs_other_commands(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--stdout-text=x\ny\nz\n", NULL);
        struct nested n = { .self = c };

        t_enter_mode(state);
        subproc_set_output_callback(c, SUBPROC_STDOUT, SUBPROC_LINES, run_another, &n);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        assert_ll_equal(subproc_wait(c, NULL), 0);
        assert_ll_equal(n.runs_ok, 3);
        assert_errno_equal(n.wait_errno, EDEADLK);
        subproc_free(c);
}

static int abort_self(void *opaque, int stream, const char *data, size_t len)
{
        struct nested *n = opaque;

        (void)stream;
        (void)data;
        (void)len;
        n->runs_ok++;
        subproc_abort(n->self); /* marks the run: its buffers are in use right here */
        if (subproc_pid(n->self) <= 0)
                n->wait_errno = -1;
        return 0;
}

/* subproc_abort() from the command's own callback ends the run once the callback returns. */
static void test_abort_from_callback(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--stdout-text=x\ny\n",
                                      "--sleep-ms=60000", NULL);
        struct nested n = { .self = c };
        double start = t_monotonic_ms();

        t_enter_mode(state);
        subproc_set_output_callback(c, SUBPROC_STDOUT, SUBPROC_LINES, abort_self, &n);
        assert_run_fails(c, ECANCELED, "subproc_abort() was called from the output callback");
        assert_ll_equal(n.runs_ok, 1);
        assert_ll_equal(n.wait_errno, 0);
        assert_ll_equal(subproc_pid(c), -1);
        assert_true(t_monotonic_ms() - start < T_HANG_GUARD_MS);
        subproc_free(c);
}

/* subproc_try_wait() in the caller's own loop calls back too. */
static void test_try_wait_loop(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--stdout-bytes=500000",
                                      "--sleep-ms=50", "--stdout-text=\nend", NULL);
        struct seen s = { 0 };
        double start = t_monotonic_ms();
        size_t len;
        char *got;
        int st = -1, r;

        t_enter_mode(state);
        subproc_set_output_callback(c, SUBPROC_STDOUT, SUBPROC_LINES, collect, &s);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        while ((r = subproc_try_wait(c, &st)) == 0) {
                assert_true(t_monotonic_ms() - start < T_HANG_GUARD_MS);
                poll(NULL, 0, 5);
        }
        assert_ll_equal(r, 1);
        assert_ll_equal(st, 0);
        got = joined(&s, SUBPROC_STDOUT, &len);
        assert_ll_equal(len, 500004);
        assert_string_equal(s.pieces[s.n - 1].data, "end");
        free(got);
        seen_free(&s);
        subproc_free(c);
}

/* ---------------------------------------------------------------------------------------
 * The input pipe
 * ------------------------------------------------------------------------------------- */

#define BIG_INPUT ((size_t)4 << 20)

/* A child that reads slowly and echoes everything, fed 4 MiB from the caller's own poll loop
 * (a non-blocking write end) while the library captures its output: no deadlock. */
static void test_input_pipe_own_loop(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--cat-slowly=1", NULL);
        char *input = t_make_pattern('a', BIG_INPUT), *out;
        double start = t_monotonic_ms();
        size_t written = 0;
        int fd = 12345, st = -1, r;

        t_enter_mode(state);
        subproc_set_input_pipe(c, &fd);
        assert_ll_equal(fd, -1);
        subproc_nonblocking_fds(c);
        subproc_set_output_buffer(c, &out);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        assert_true(fd > 2);
        assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
        while ((r = subproc_try_wait(c, &st)) == 0) {
                struct pollfd p = { .fd = fd, .events = POLLOUT };

                assert_true(t_monotonic_ms() - start < 4 * T_HANG_GUARD_MS);
                if (fd >= 0 && poll(&p, 1, 5) == 1) {
                        ssize_t n = write(fd, input + written, BIG_INPUT - written);

                        assert_true(n > 0 || errno == EAGAIN);
                        written += n > 0 ? (size_t)n : 0;
                        if (written == BIG_INPUT) {
                                close(fd);
                                fd = -1;
                        }
                } else if (fd < 0) {
                        poll(NULL, 0, 5);
                }
        }
        assert_ll_equal(r, 1);
        assert_ll_equal(st, 0);
        assert_bytes_equal(out, subproc_output_len(c), input, BIG_INPUT);
        free(out);
        free(input);
        subproc_free(c);
}

struct writer {
        int fd;
        const char *data;
        size_t len;
};

static void *write_and_close(void *arg)
{
        struct writer *w = arg;

        t_write_fd_all(w->fd, w->data, w->len);
        close(w->fd);
        return NULL;
}

/* The same from a thread writing a blocking fd while subproc_wait() serves the output, here
 * into a callback. */
static void test_input_pipe_thread(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--cat-slowly=1", NULL);
        char *input = t_make_pattern('A', BIG_INPUT), *got;
        struct seen s = { 0 };
        struct writer w;
        pthread_t thread;
        size_t len;
        int fd;

        t_enter_mode(state);
        subproc_set_input_pipe(c, &fd);
        subproc_set_output_callback(c, SUBPROC_STDOUT, 0, collect, &s);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        assert_false(fcntl(fd, F_GETFL) & O_NONBLOCK);
        w = (struct writer){ fd, input, BIG_INPUT };
        assert_ll_equal(pthread_create(&thread, NULL, write_and_close, &w), 0);
        assert_ll_equal(subproc_wait(c, NULL), 0);
        assert_ll_equal(pthread_join(thread, NULL), 0);
        got = joined(&s, SUBPROC_STDOUT, &len);
        assert_bytes_equal(got, len, input, BIG_INPUT);
        free(got);
        free(input);
        seen_free(&s);
        subproc_free(c);
}

static void test_input_pipe_eof_on_close(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--read-stdin-count", NULL);
        struct helper_report *r;
        char *out;
        int fd;

        t_enter_mode(state);
        subproc_set_input_pipe(c, &fd);
        subproc_set_output_buffer(c, &out);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        t_write_fd_all(fd, "hello", 5);
        close(fd);
        assert_ll_equal(subproc_wait(c, NULL), 0);
        r = t_report_parse(out, subproc_output_len(c));
        assert_ll_equal(t_report_get_int(r, "stdin_bytes"), 5);
        t_report_free(r);

        /* A rerun makes a new pipe; the caller closed the last one. */
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        assert_true(fd > 2);
        close(fd);
        assert_ll_equal(subproc_wait(c, NULL), 0);
        r = t_report_parse(out, subproc_output_len(c));
        assert_ll_equal(t_report_get_int(r, "stdin_bytes"), 0);
        t_report_free(r);
        free(out);
        subproc_free(c);
}

struct answer {
        int *fd;
        int answered;
};

/* An expect-like dialogue: answer the prompt through the input pipe, from the callback. */
static int answer_prompt(void *opaque, int stream, const char *data, size_t len)
{
        struct answer *a = opaque;

        (void)stream;
        (void)len;
        if (strcmp(data, "name?\n") == 0 && *a->fd >= 0) {
                t_write_fd_all(*a->fd, "subproc\n", 8);
                close(*a->fd);
                *a->fd = -1;
                a->answered++;
        }
        return 0;
}

static void test_input_pipe_from_callback(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--stdout-text=name?\n", "--cat",
                                      NULL);
        struct answer a;
        char *out;
        int fd;

        t_enter_mode(state);
        a = (struct answer){ .fd = &fd };
        subproc_set_input_pipe(c, &fd);
        subproc_set_output_buffer(c, &out);
        subproc_set_output_callback(c, SUBPROC_STDOUT, SUBPROC_LINES | SUBPROC_ALSO_CAPTURE,
                                    answer_prompt, &a);
        assert_ll_equal(subproc_run(c, NULL), 0);
        assert_ll_equal(a.answered, 1);
        assert_string_equal(out, "name?\nsubproc\n");
        free(out);
        subproc_free(c);
}

/* A start that fails leaves the caller's number alone and no pipe behind (the teardown checks
 * the fds); so does a command freed while running. */
static void test_input_pipe_ownership(void **state)
{
        subproc *c = subproc_new("/nonexistent/program");
        int fd = 77, keep;

        t_enter_mode(state);
        subproc_set_input_pipe(c, &fd);
        assert_ll_equal(fd, -1);
        assert_run_async_fails(c, ENOENT, "/nonexistent/program");
        assert_ll_equal(fd, -1);
        subproc_free(c);

        c = subproc_new_args(HELPER_PATH, "--no-report", "--wait-fd=0", NULL);
        subproc_set_input_pipe(c, &fd);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        keep = fd;
        subproc_free(c); /* stops the child, leaves the caller's fd be */
        assert_true(t_fd_is_open(keep));
        close(keep);
        assert_no_children();
}

/* ---------------------------------------------------------------------------------------
 * A hostile caller
 * ------------------------------------------------------------------------------------- */

/* The caller has 0, 1 and 2 closed: the input pipe and the output pipes take none of those
 * numbers (a write to "our" stdin pipe must not land in the caller's fd 1 when it reopens it),
 * and everything still flows. */
static void test_caller_stdio_closed(void **state)
{
        int saved[3], fd = -1, r_async, r_wait, fd_flags;
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--cat", "--stderr-text=err\n",
                                      NULL);
        struct seen s = { 0 };
        size_t out_len, err_len;
        char *out, *err;

        t_enter_mode(state);
        subproc_set_input_pipe(c, &fd);
        subproc_set_output_callback(c, SUBPROC_STDOUT | SUBPROC_STDERR, SUBPROC_LINES, collect, &s);
        for (int i = 0; i < 3; i++) {
                saved[i] = fcntl(i, F_DUPFD_CLOEXEC, 3);
                assert_true(saved[i] >= 3);
        }
        for (int i = 0; i < 3; i++)
                close(i);
        r_async = subproc_run_async(c, NULL);
        fd_flags = fd > 2 ? fcntl(fd, F_GETFD) : -1;
        if (fd > 2) {
                t_write_fd_all(fd, "in\n", 3);
                close(fd);
        }
        r_wait = r_async == 0 ? subproc_wait(c, NULL) : -1;
        for (int i = 0; i < 3; i++) {
                assert_ll_equal(dup2(saved[i], i), i);
                close(saved[i]);
        }
        assert_ll_equal(r_async, 0);
        assert_true(fd > 2);
        assert_true(fd_flags >= 0 && (fd_flags & FD_CLOEXEC));
        assert_ll_equal(r_wait, 0);
        out = joined(&s, SUBPROC_STDOUT, &out_len);
        err = joined(&s, SUBPROC_STDERR, &err_len);
        assert_string_equal(out, "in\n");
        assert_string_equal(err, "err\n");
        free(out);
        free(err);
        seen_free(&s);
        subproc_free(c);
}

/* SIGCHLD ignored: the status is lost (ECHILD, naming SIGCHLD), but the callback got all the
 * output first, and nothing is left. */
static void test_sigchld_ignored(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--stdout-text=a\nb", NULL);
        struct sigaction ignore = { .sa_handler = SIG_IGN }, old;
        struct seen s = { 0 };
        char *got;
        size_t len;
        int r, e;

        t_enter_mode(state);
        subproc_set_output_callback(c, SUBPROC_STDOUT, SUBPROC_LINES, collect, &s);
        assert_ll_equal(sigaction(SIGCHLD, &ignore, &old), 0);
        r = subproc_run(c, NULL);
        e = errno;
        assert_ll_equal(sigaction(SIGCHLD, &old, NULL), 0);
        assert_ll_equal(r, -1);
        assert_errno_equal(e, ECHILD);
        assert_contains(subproc_errmsg(), "SIGCHLD");
        got = joined(&s, SUBPROC_STDOUT, &len);
        assert_string_equal(got, "a\nb");
        free(got);
        seen_free(&s);
        subproc_free(c);
        assert_no_children();
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
        (void)sig;
        alarms++;
}

/* A signal every millisecond, its handler installed without SA_RESTART: every read, poll and
 * write of the run is interrupted again and again; not a byte may be lost or doubled. */
static void test_signals_meanwhile(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--cat-slowly=1", NULL);
        char *input = t_make_pattern('k', (size_t)2 << 20), *got, *out;
        struct sigaction sa = { .sa_handler = on_alarm }, old;
        struct itimerval every_ms = { { 0, 1000 }, { 0, 1000 } }, off = { { 0, 0 }, { 0, 0 } };
        struct seen s = { 0 };
        size_t len;
        int r;

        t_enter_mode(state);
        subproc_set_input_bytes(c, input, (size_t)2 << 20);
        subproc_set_output_buffer(c, &out);
        subproc_set_output_callback(c, SUBPROC_STDOUT, SUBPROC_LINES | SUBPROC_ALSO_CAPTURE,
                                    collect, &s);
        /* A run that stops making progress fails the case instead of hanging it. */
        subproc_set_timeout(c, 3 * (int)T_HANG_GUARD_MS, 1000);
        alarms = 0;
        assert_ll_equal(sigaction(SIGALRM, &sa, &old), 0);
        assert_ll_equal(setitimer(ITIMER_REAL, &every_ms, NULL), 0);
        r = subproc_run(c, NULL);
        setitimer(ITIMER_REAL, &off, NULL);
        sigaction(SIGALRM, &old, NULL);
        assert_ll_equal(r, 0);
        assert_true(alarms > 0);
        got = joined(&s, SUBPROC_STDOUT, &len);
        assert_bytes_equal(got, len, input, (size_t)2 << 20);
        assert_bytes_equal(out, subproc_output_len(c), input, (size_t)2 << 20);
        free(got);
        free(out);
        free(input);
        seen_free(&s);
        subproc_free(c);
}

/* ---------------------------------------------------------------------------------------
 * Bad input
 * ------------------------------------------------------------------------------------- */

static void expect_bad(void (*set)(subproc *c, void *arg), void *arg, bool async, const char *msg)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);

        set(c, arg);
        if (async)
                assert_run_async_fails(c, EINVAL, msg);
        else
                assert_run_fails(c, EINVAL, msg);
        subproc_free(c);
}

static void set_null_fn(subproc *c, void *arg)
{
        subproc_set_output_callback(c, SUBPROC_STDOUT, 0, NULL, arg);
}

static void set_no_streams(subproc *c, void *arg)
{
        subproc_set_output_callback(c, 0, 0, collect, arg);
}

static void set_unknown_stream(subproc *c, void *arg)
{
        subproc_set_output_callback(c, SUBPROC_STDOUT | 4, 0, collect, arg);
}

static void set_unknown_flags(subproc *c, void *arg)
{
        subproc_set_output_callback(c, SUBPROC_STDOUT, 0x100, collect, arg);
}

static int out_fd_value = 1;

static void set_to_fd(subproc *c, void *arg)
{
        subproc_set_output_fd(c, &out_fd_value);
        subproc_set_output_callback(c, SUBPROC_STDOUT, 0, collect, arg);
}

static char *bufp_sink;

static void set_to_mapping(subproc *c, void *arg)
{
        subproc_set_error_mapping(c, &bufp_sink);
        subproc_set_output_callback(c, SUBPROC_STDERR, SUBPROC_ALSO_CAPTURE, collect, arg);
}

static void set_buffer_without_also(subproc *c, void *arg)
{
        subproc_set_output_buffer(c, &bufp_sink);
        subproc_set_output_callback(c, SUBPROC_STDOUT, SUBPROC_LINES, collect, arg);
}

static void set_also_without_buffer(subproc *c, void *arg)
{
        subproc_set_output_callback(c, SUBPROC_STDERR, SUBPROC_ALSO_CAPTURE, collect, arg);
}

static void set_daemon_callback(subproc *c, void *arg)
{
        subproc_daemonize(c);
        subproc_set_output_callback(c, SUBPROC_STDOUT, 0, collect, arg);
}

static int pipe_fd_sink;

static void set_null_pipe(subproc *c, void *arg)
{
        (void)arg;
        subproc_set_input_pipe(c, NULL);
}

static void set_pipe_and_buffer(subproc *c, void *arg)
{
        (void)arg;
        subproc_set_input_buffer(c, "x");
        subproc_set_input_pipe(c, &pipe_fd_sink);
}

static void set_pipe_in_run(subproc *c, void *arg)
{
        (void)arg;
        subproc_set_input_pipe(c, &pipe_fd_sink);
}

static void test_bad_input(void **state)
{
        struct seen s = { 0 };

        (void)state;
        expect_bad(set_null_fn, &s, false, "output callback is NULL");
        expect_bad(set_no_streams, &s, true, "streams 0x0");
        expect_bad(set_unknown_stream, &s, false, "streams 0x5");
        expect_bad(set_unknown_flags, &s, false, "unknown output callback flags 0x100");
        expect_bad(set_to_fd, &s, true, "cannot see stdout: it goes to an fd");
        assert_true(t_fd_is_open(1));
#if HAVE_MEMFD_CREATE
        expect_bad(set_to_mapping, &s, false, "cannot see stderr: it goes to a memory file");
        assert_null(bufp_sink);
#else
        (void)set_to_mapping;
#endif
        expect_bad(set_buffer_without_also, &s, false, "SUBPROC_ALSO_CAPTURE to fill both");
        free(bufp_sink);
        bufp_sink = NULL;
        expect_bad(set_also_without_buffer, &s, true, "no buffer to capture into");
        expect_bad(set_daemon_callback, &s, false, "a daemon cannot use an output callback");
        expect_bad(set_null_pipe, NULL, true, "input pipe's fd pointer is NULL");
        expect_bad(set_pipe_and_buffer, NULL, true, "the input is set twice");
        assert_ll_equal(pipe_fd_sink, -1);
        expect_bad(set_pipe_in_run, NULL, false, "cannot give the caller an input pipe");
        assert_ll_equal(s.n, 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                T_BOTH_MODES(test_chunks_both_streams),
                T_BOTH_MODES(test_lines),
                T_BOTH_MODES(test_line_longer_than_cap),
                T_BOTH_MODES(test_no_final_newline),
                T_BOTH_MODES(test_partial_line_at_timeout),
                T_BOTH_MODES(test_refusal_ends_run),
                T_BOTH_MODES(test_refusal_with_capture),
                T_BOTH_MODES(test_also_capture_identical),
                T_BOTH_MODES(test_also_capture_with_limit),
                T_BOTH_MODES(test_shared_buffer),
                T_BOTH_MODES(test_callback_runs_other_commands),
                T_BOTH_MODES(test_abort_from_callback),
                T_BOTH_MODES(test_try_wait_loop),
                T_BOTH_MODES(test_input_pipe_own_loop),
                T_BOTH_MODES(test_input_pipe_thread),
                T_BOTH_MODES(test_input_pipe_eof_on_close),
                T_BOTH_MODES(test_input_pipe_from_callback),
                T_BOTH_MODES(test_input_pipe_ownership),
                T_BOTH_MODES(test_caller_stdio_closed),
                T_BOTH_MODES(test_sigchld_ignored),
                T_BOTH_MODES(test_signals_meanwhile),
                T_TEST(test_bad_input),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
