/* Tests of subproc_set_timeout(): SIGTERM at the deadline, SIGKILL after the grace (or at once,
 * or never), ETIMEDOUT with a message naming the signal, captured output kept, grandchildren
 * holding the pipes, run and run_async + wait; each with and without pidfds.
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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/support.h"

/* A generous bound for a run that must end soon after its deadline and grace: it only catches
 * hangs and obviously wrong behaviour. */
#define SLACK_MS 2500.0

/* ---------------------------------------------------------------------------------------
 * Every case runs in both modes, with the caller's SIGTERM action restored after it
 * ------------------------------------------------------------------------------------- */

/* The caller's SIGTERM action, which a case may set to SIG_IGN for its child to inherit. */
static struct sigaction saved_term;

static int term_setup(void **state)
{
        sigaction(SIGTERM, NULL, &saved_term);
        return t_mode_setup(state);
}

static int term_teardown(void **state)
{
        int r = t_teardown(state);

        sigaction(SIGTERM, &saved_term, NULL);
        return r;
}

#define BOTH_TERM_MODES(f) T_BOTH_MODES_WITH(f, term_setup, term_teardown)

/* ---------------------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------------------- */

static void run_timed(subproc *c, int *exitstatus, struct t_outcome *o)
{
        double start = t_monotonic_ms();

        errno = 0;
        t_finish_outcome(o, subproc_run(c, exitstatus), start);
}

#define assert_timed_out(o, sig) timed_out_at((o), (sig), __FILE__, __LINE__)

/* The run failed with ETIMEDOUT and a message naming `sig` (one naming SIGKILL cannot be
 * right for a child that SIGTERM ended). */
static void timed_out_at(const struct t_outcome *o, int sig, const char *file, int line)
{
        const char *name = sig == SIGKILL ? "SIGKILL" : "SIGTERM";

        if (o->rc != -1) {
                print_error("the run returned %d, expected -1 with ETIMEDOUT\n", o->rc);
                _fail(file, line);
        }
        t_assert_errno_equal(o->error, ETIMEDOUT, file, line);
        t_assert_contains(o->msg, name, file, line);
        if (sig == SIGTERM && strstr(o->msg, "SIGKILL") != NULL) {
                print_error("\"%s\" names SIGKILL, but SIGTERM ended the child\n", o->msg);
                _fail(file, line);
        }
}

#define assert_elapsed_between(o, low, high) \
        elapsed_between_at((o), (low), (high), __FILE__, __LINE__)

static void elapsed_between_at(const struct t_outcome *o, double low, double high, const char *file,
                               int line)
{
        if (o->elapsed_ms >= low && o->elapsed_ms < high)
                return;
        print_error("the run took %.1f ms, expected [%.0f, %.0f)\n", o->elapsed_ms, low, high);
        _fail(file, line);
}

#define assert_ended_by_deadline(c, o, sig, low, high) \
        ended_by_deadline_at((c), (o), (sig), (low), (high), __FILE__, __LINE__)

/* The run timed out naming `sig` (assert_timed_out()) after [low, high) ms, and `sig` is what
 * ended the child. */
static void ended_by_deadline_at(subproc *c, const struct t_outcome *o, int sig, double low,
                                 double high, const char *file, int line)
{
        timed_out_at(o, sig, file, line);
        elapsed_between_at(o, low, high, file, line);
        t_assert_killed_by(subproc_status(c), sig, file, line);
}

/* A helper that writes `text` to stdout, then sleeps `ms` (always stopped before the end: the
 * sleep is a hang guard). */
static subproc *helper_writing_then_sleeping(const char *text, unsigned ms)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);

        subproc_add_arg_format(c, "--stdout-text=%s", text);
        subproc_add_arg_format(c, "--sleep-ms=%u", ms);
        return c;
}

/* Make the child ignore SIGTERM from its first instruction, so that no deadline can come
 * before it does: the caller ignores SIGTERM during the run, and the child inherits that
 * (term_teardown() restores the caller's action even if the case fails). */
static void child_ignores_term_from_start(subproc *c)
{
        assert_true(signal(SIGTERM, SIG_IGN) != SIG_ERR);
        subproc_inherit_signals(c);
}

static void caller_term_back(void)
{
        sigaction(SIGTERM, &saved_term, NULL);
}

/* ---------------------------------------------------------------------------------------
 * Which signal ends the child
 * ------------------------------------------------------------------------------------- */

static void test_timeout_term_honoured(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report",
                                      "--stdout-text=before the deadline\n",
                                      "--stdout-bytes=100000", "--stderr-text=on stderr\n",
                                      "--sleep-ms=10000", NULL);
        static const char text[] = "before the deadline\n";
        char *out = NULL, *err = NULL, *expected;
        struct t_outcome o;
        int status = 12345;

        t_enter_mode(state);
        subproc_set_output_buffer(c, &out);
        subproc_set_error_buffer(c, &err);
        /* A deadline the output beats even on a loaded machine (at 200 ms the helper once had
         * written only a pipe's worth under CI: the case is about keeping what came before). */
        subproc_set_timeout(c, 1000, 5000);
        run_timed(c, &status, &o);
        /* Not before the deadline; long before the SIGKILL would have come. */
        assert_ended_by_deadline(c, &o, SIGTERM, 1000 - T_ROUNDING_MS, 1000 + 3000);
        assert_ll_equal(subproc_pid(c), -1);
        assert_no_children();

        /* What came before the deadline is kept, more than a pipe's worth included. */
        expected = malloc(sizeof text - 1 + 100000);
        assert_non_null(expected);
        memcpy(expected, text, sizeof text - 1);
        for (size_t i = 0; i < 100000; i++)
                expected[sizeof text - 1 + i] = helper_pattern_byte(HELPER_STDOUT_SEED, i);
        assert_bytes_equal(out, subproc_output_len(c), expected, sizeof text - 1 + 100000);
        assert_string_equal(err, "on stderr\n");
        free(expected);
        free(out);
        free(err);
        subproc_free(c);
}

/* An output callback that checks what it gets against the helper's pattern, and is slow. */
struct slow_tally {
        size_t len;
        bool wrong;
};

static int slow_tally(void *opaque, int stream, const char *data, size_t len)
{
        struct slow_tally *t = opaque;
        const struct timespec pause = { 0, 2000000 };

        (void)stream;
        for (size_t i = 0; i < len; i++)
                t->wrong |= data[i] != helper_pattern_byte(HELPER_STDOUT_SEED, t->len + i);
        t->len += len;
        nanosleep(&pause, NULL);
        return 0;
}

/* Start c (a helper that writes, then gets --notify-fd and a 30 s sleep added here)
 * with a 100 ms deadline, wait until it has written everything, and let the deadline pass
 * before anybody reads: the late subproc_wait() acts on the deadline with the pipes full. */
static void start_and_let_the_deadline_pass(subproc *c)
{
        int notify[2];
        char ready = 0;

        assert_ll_equal(pipe2(notify, O_CLOEXEC), 0);
        subproc_pass_fd(c, notify[1], SUBPROC_PASS_FD_CLOSE_PARENT);
        subproc_add_arg_format(c, "--notify-fd=%d", notify[1]);
        subproc_add_arg(c, "--sleep-ms=30000");
        subproc_set_timeout(c, 100, 5000);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        assert_ll_equal(read(notify[0], &ready, 1), 1);
        close(notify[0]);
        poll(NULL, 0, 200);
}

/* What a child wrote before its deadline reaches the caller, all of it, however much its pipe
 * holds.  Once the child was gone the pipe used to be read once more and given up, and one
 * read takes 64 KiB (a callback's chunk; a buffer's free room), not what the pipe holds: the
 * rest was lost.  Here the pipe holds 1 MiB that nobody has read when the deadline is acted
 * on (an async run whose wait comes late), the child dies of SIGTERM at once, and a slow
 * callback keeps the reads far behind its death. */
static void test_output_at_the_deadline_is_kept(void **state)
{
        enum { BYTES = 1 << 20 };
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--pipe-size=1048576",
                                      "--stdout-bytes=1048576", NULL);
        struct slow_tally got = { 0, false };
        int status = -1;

        t_enter_mode(state);
        subproc_set_output_callback(c, SUBPROC_STDOUT, 0, slow_tally, &got);
        start_and_let_the_deadline_pass(c);
        errno = 0;
        assert_ll_equal(subproc_wait(c, &status), -1);
        assert_errno_equal(errno, ETIMEDOUT);
        assert_true(WIFSIGNALED(subproc_status(c)));
        assert_ll_equal(WTERMSIG(subproc_status(c)), SIGTERM);
        if (got.len != BYTES || got.wrong)
                fail_msg("the callback got %zu bytes%s, expected %d", got.len,
                         got.wrong ? " (not the helper's)" : "", BYTES);
        assert_no_children();
        subproc_free(c);
}

/* One slow callback for both streams that refuses its eighth stdout call after the child has
 * exited, counting the calls after that.  After the death the run's loop reads each pipe once
 * with a pidfd (the poll that finds the pipes and the exit together), and for up to 20 ms
 * without (it looks for the exit in steps): four or five rounds of 2 ms reads.  The eighth
 * comes while the run takes what the pipes hold, with 16 of each to take. */
struct refusing_tally {
        pid_t child;
        int calls;
        int calls_after_refusal;
        int stdout_calls_after_exit;
        bool refused;
};

static bool exited_unreaped(pid_t pid)
{
        siginfo_t si;

        memset(&si, 0, sizeof si);
        return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid;
}

static int refuse_in_the_drain(void *opaque, int stream, const char *data, size_t len)
{
        struct refusing_tally *t = opaque;
        const struct timespec pause = { 0, 2000000 };

        (void)data;
        (void)len;
        /* Slow, so that the run's reads are still far behind when the child dies. */
        nanosleep(&pause, NULL);
        t->calls++;
        if (t->refused) {
                t->calls_after_refusal++;
                return 0;
        }
        if (stream == SUBPROC_STDOUT && exited_unreaped(t->child))
                t->refused = ++t->stdout_calls_after_exit == 8;
        return t->refused ? 7 : 0;
}

/* A callback that refuses while the pipes are taken after the deadline is not called again,
 * for the other stream either.  (Review of the change that takes what the pipes hold after a
 * timeout: a refusal while stdout was taken ended stdout only, and the callback was called
 * again with stderr.)  Both pipes hold more than the reads of the run's loop take when the
 * late wait acts on the deadline, and the child dies at once (SIGKILL). */
static void test_refusal_after_the_deadline_is_final(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--pipe-size=1048576",
                                      "--stderr-pipe-size=1048576", "--stdout-bytes=1048576",
                                      "--stderr-bytes=1048576", NULL);
        struct refusing_tally t = { -1, 0, 0, 0, false };

        t_enter_mode(state);
        subproc_set_output_callback(c, SUBPROC_STDOUT | SUBPROC_STDERR, 0, refuse_in_the_drain, &t);
        subproc_set_timeout_signal(c, SIGKILL);
        start_and_let_the_deadline_pass(c);
        t.child = subproc_pid(c);
        errno = 0;
        assert_ll_equal(subproc_wait(c, NULL), -1);
        /* The deadline came first: the run timed out, whatever the callback said after. */
        assert_errno_equal(errno, ETIMEDOUT);
        print_message("  %d calls\n", t.calls);
        assert_true(t.refused);
        assert_ll_equal(t.calls_after_refusal, 0);
        assert_no_children();
        subproc_free(c);
}

/* Takes stderr's first line as the grandchild's pid, refuses the first stdout line, and
 * counts the calls after that. */
static int refuse_stdout(void *opaque, int stream, const char *data, size_t len)
{
        struct refusing_tally *t = opaque;

        (void)len;
        t->calls++;
        if (t->refused) {
                t->calls_after_refusal++;
                return 0;
        }
        if (stream == SUBPROC_STDERR && t->child < 0)
                t->child = (pid_t)strtol(data, NULL, 10);
        t->refused = stream == SUBPROC_STDOUT;
        return t->refused ? 7 : 0;
}

/* The same with whole lines, when a grandchild holds the pipes: after the deadline each
 * stream's unended last line is handed over, stdout's first; the callback refuses it, and
 * stderr's is not handed over after that.  (The last read of this change: each stream's line
 * went out unless its own stream had refused, so the one callback was called again.) */
static void test_refusal_of_a_last_line_is_final(void **state)
{
        subproc *c = subproc_new_args("/bin/sh", "-c",
                                      "sleep 30 & echo $! >&2; printf 'on stderr' >&2; "
                                      "printf 'on stdout'; exec sleep 30",
                                      NULL);
        struct refusing_tally t = { -1, 0, 0, 0, false };

        t_enter_mode(state);
        t_become_subreaper();
        subproc_set_output_callback(c, SUBPROC_STDOUT | SUBPROC_STDERR, SUBPROC_LINES,
                                    refuse_stdout, &t);
        subproc_set_timeout(c, 100, 5000);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        poll(NULL, 0, 300);
        errno = 0;
        assert_ll_equal(subproc_wait(c, NULL), -1);
        assert_errno_equal(errno, ETIMEDOUT);
        assert_true(t.child > 1);
        assert_ll_equal(kill(t.child, SIGKILL), 0);
        assert_true(t_reap_within(t.child, 10000, NULL));
        assert_true(t.refused);
        assert_ll_equal(t.calls, 2); /* the pid's line, then stdout's */
        assert_ll_equal(t.calls_after_refusal, 0);
        assert_no_children();
        subproc_free(c);
}

/* A slow callback that counts the bytes it gets. */
static int slow_count(void *opaque, int stream, const char *data, size_t len)
{
        const struct timespec pause = { 0, 10 * 1000000 };

        (void)stream;
        (void)data;
        *(size_t *)opaque += len;
        nanosleep(&pause, NULL);
        return 0;
}

/* A grandchild that holds stdout and writes to it without end (`yes`) does not make the run
 * read on past its deadline: once the child is gone the run takes what the pipe holds then (at
 * most one read more) and lets it go.  (Review of that change: its first version counted reads,
 * not bytes, and took about 16 times what the pipe held, which a 10 ms callback made 2.5 s past
 * the deadline.)  The pipe holds 64 KiB; from the late wait on, the callback may get the reads
 * made until the child's death is seen and the drain's two: far less than 16 pipes' worth. */
static void test_flooding_grandchild_gets_one_pipe(void **state)
{
        subproc *c = subproc_new_args("/bin/sh", "-c", "yes & echo $! >&2; exec sleep 30", NULL);
        enum { PIPE_BYTES = 65536 };
        size_t got = 0, at_wait;
        char *err = NULL, *end;
        long grandchild;

        t_enter_mode(state);
        t_become_subreaper();
        subproc_set_output_callback(c, SUBPROC_STDOUT, 0, slow_count, &got);
        subproc_set_error_buffer(c, &err);
        subproc_set_timeout(c, 100, 5000);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        poll(NULL, 0, 300);
        at_wait = got;
        errno = 0;
        assert_ll_equal(subproc_wait(c, NULL), -1);
        assert_errno_equal(errno, ETIMEDOUT);
        assert_killed_by(subproc_status(c), SIGTERM);
        assert_non_null(err);
        grandchild = strtol(err, &end, 10);
        assert_true(end != err && grandchild > 1);
        assert_ll_equal(kill((pid_t)grandchild, SIGKILL), 0);
        assert_true(t_reap_within((pid_t)grandchild, 10000, NULL));
        print_message("  %zu bytes from the late wait on\n", got - at_wait);
        if (got - at_wait > 8 * PIPE_BYTES)
                fail_msg("the callback got %zu bytes after the late wait began, more than 8 "
                         "pipes' worth (%d)",
                         got - at_wait, 8 * PIPE_BYTES);
        assert_no_children();
        free(err);
        subproc_free(c);
}

static void test_timeout_term_ignored(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--ignore-term",
                                      "--stdout-text=ignoring SIGTERM", "--sleep-ms=30000", NULL);
        char *out = NULL;
        struct t_outcome o;

        t_enter_mode(state);
        /* The helper's --ignore-term alone might come after the deadline on a slow machine. */
        child_ignores_term_from_start(c);
        subproc_set_output_buffer(c, &out);
        subproc_set_timeout(c, 300, 500);
        run_timed(c, NULL, &o);
        caller_term_back();
        /* SIGTERM at 300 ms, SIGKILL 500 ms later, and not the 30 s of the helper's sleep. */
        assert_ended_by_deadline(c, &o, SIGKILL, 300 + 500 - T_ROUNDING_MS, 300 + 500 + SLACK_MS);
        assert_string_equal(out, "ignoring SIGTERM");
        assert_no_children();
        free(out);
        subproc_free(c);
}

/* A deadline of 200 ms and a grace of `grace_ms` for a helper that would die of a SIGTERM:
 * `sig` ends it. */
static void check_deadline_ends_child(unsigned grace_ms, int sig)
{
        subproc *c = helper_writing_then_sleeping("x", 10000);
        struct t_outcome o;

        subproc_set_timeout(c, 200, grace_ms);
        run_timed(c, NULL, &o);
        assert_ended_by_deadline(c, &o, sig, 200 - T_ROUNDING_MS, 3000);
        assert_no_children();
        subproc_free(c);
}

/* No grace: its death by SIGKILL proves that no SIGTERM came. */
static void test_timeout_kill_at_once(void **state)
{
        t_enter_mode(state);
        check_deadline_ends_child(0, SIGKILL);
}

/* No SIGKILL ever: the SIGTERM, which the helper honours, ends it. */
static void test_timeout_no_kill_term_honoured(void **state)
{
        t_enter_mode(state);
        check_deadline_ends_child(SUBPROC_NO_KILL, SIGTERM);
}

static void test_timeout_no_kill_term_ignored(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--ignore-term", NULL);
        struct t_outcome o;
        double start;
        int status;

        t_enter_mode(state);
        /* Ignoring SIGTERM, it outlives the deadline by 1.3 s, then exits 0 on its own: never
         * killed, however long that takes. */
        child_ignores_term_from_start(c);
        subproc_add_arg(c, "--sleep-ms=1500");
        subproc_set_timeout(c, 200, SUBPROC_NO_KILL);
        start = t_monotonic_ms();
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        caller_term_back();
        errno = 0;
        t_finish_outcome(&o, subproc_wait(c, NULL), start);
        /* The run still timed out (SIGTERM was sent), but the child ended by itself. */
        assert_timed_out(&o, SIGTERM);
        assert_elapsed_between(&o, 1500 - T_ROUNDING_MS, 1500 + SLACK_MS);
        status = subproc_status(c);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                fail_msg("wait status 0x%x, expected exit 0 (no SIGKILL)", (unsigned)status);
        assert_no_children();
        subproc_free(c);
}

/* ---------------------------------------------------------------------------------------
 * Where timeouts apply
 * ------------------------------------------------------------------------------------- */

static void test_timeout_async_wait(void **state)
{
        subproc *c = helper_writing_then_sleeping("async output", 10000);
        char *out = NULL;
        struct t_outcome o;
        double start;
        int rc;

        t_enter_mode(state);
        subproc_set_output_buffer(c, &out);
        subproc_set_timeout(c, 600, 5000);
        start = t_monotonic_ms();
        assert_ll_equal(subproc_run_async(c, NULL), 0);

        /* Giving up waiting before the deadline is not the timeout: the child still runs. */
        errno = 0;
        rc = subproc_wait_timeout(c, NULL, 500);
        assert_ll_equal(rc, -1);
        assert_errno_equal(errno, ETIMEDOUT);
        assert_true(subproc_pid(c) > 0);
        assert_ll_equal(kill(subproc_pid(c), 0), 0);

        /* The deadline counts from the start, not from this wait (which would end it at about
         * 500 + 600 ms). */
        errno = 0;
        t_finish_outcome(&o, subproc_wait(c, NULL), start);
        assert_ended_by_deadline(c, &o, SIGTERM, 600 - T_ROUNDING_MS, 1000);
        assert_ll_equal(subproc_pid(c), -1);
        assert_string_equal(out, "async output");
        assert_no_children();
        free(out);
        subproc_free(c);
}

/* The timeout is enforced in subproc_wait_timeout() as well: ETIMEDOUT then, but with the
 * child gone, unlike giving up (the child still running). */
static void test_timeout_in_wait_timeout(void **state)
{
        subproc *c = helper_writing_then_sleeping("x", 10000);
        struct t_outcome o;
        double start;

        t_enter_mode(state);
        subproc_set_timeout(c, 300, 0);
        start = t_monotonic_ms();
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        errno = 0;
        t_finish_outcome(&o, subproc_wait_timeout(c, NULL, 5000), start);
        assert_ended_by_deadline(c, &o, SIGKILL, 300 - T_ROUNDING_MS, 3000);
        assert_ll_equal(subproc_pid(c), -1);
        assert_no_children();
        subproc_free(c);
}

static void test_timeout_async_kill_after_grace(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--ignore-term", NULL);
        struct t_outcome o;
        double start;

        t_enter_mode(state);
        child_ignores_term_from_start(c);
        subproc_add_arg(c, "--sleep-ms=30000");
        subproc_set_timeout(c, 200, 400);
        start = t_monotonic_ms();
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        caller_term_back();
        errno = 0;
        t_finish_outcome(&o, subproc_wait(c, NULL), start);
        assert_ended_by_deadline(c, &o, SIGKILL, 200 + 400 - T_ROUNDING_MS, 200 + 400 + SLACK_MS);
        assert_no_children();
        subproc_free(c);
}

/* A run that ends before its deadline, or that has none, is an ordinary run: a child that
 * writes `text`, sleeps `sleep_ms` and exits with `code` gives its status and output. */
static void check_runs_to_the_end(unsigned timeout_ms, unsigned grace_ms, const char *text,
                                  unsigned sleep_ms, int code)
{
        subproc *c = helper_writing_then_sleeping(text, sleep_ms);
        char *out = NULL;
        int status = -1;

        subproc_add_arg_format(c, "--exit=%d", code);
        subproc_set_output_buffer(c, &out);
        subproc_set_timeout(c, timeout_ms, grace_ms);
        assert_ll_equal(subproc_run(c, &status), 0);
        assert_ll_equal(status, code);
        assert_string_equal(out, text);
        free(out);
        subproc_free(c);
}

static void test_timeout_not_reached(void **state)
{
        t_enter_mode(state);
        check_runs_to_the_end(20000, 100, "done", 0, 3);
}

/* A zero timeout is none: the child sleeps 300 ms and ends by itself. */
static void test_timeout_zero_disables(void **state)
{
        t_enter_mode(state);
        check_runs_to_the_end(0, 0, "slept", 300, 0);
}

static void test_timeout_rerun(void **state)
{
        subproc *c = helper_writing_then_sleeping("x", 10000);
        struct t_outcome o;

        t_enter_mode(state);
        subproc_set_timeout(c, 200, 0);
        for (int i = 0; i < 2; i++) {
                /* Each run gets its own deadline and its own escalation. */
                run_timed(c, NULL, &o);
                assert_ended_by_deadline(c, &o, SIGKILL, 200 - T_ROUNDING_MS, 3000);
        }
        subproc_set_timeout(c, 200, 5000);
        run_timed(c, NULL, &o);
        assert_ended_by_deadline(c, &o, SIGTERM, 200 - T_ROUNDING_MS, 3000);
        assert_no_children();
        subproc_free(c);
}

/* ---------------------------------------------------------------------------------------
 * A grandchild that holds the output pipe
 * ------------------------------------------------------------------------------------- */

/* The shell prints the grandchild's pid, then becomes a `sleep` itself. */
static const char grandchild_script[] = "sleep 30 & echo $!; echo started; exec sleep 30";

enum grouping { NO_GROUP, PROCESS_GROUP, SESSION };

static pid_t first_line_pid(const char *out)
{
        char *end;
        long pid;

        assert_non_null(out);
        pid = strtol(out, &end, 10);
        if (end == out || *end != '\n' || pid <= 1)
                fail_msg("no grandchild pid in the output \"%s\"", out);
        return (pid_t)pid;
}

static void check_grandchild_deadline(void **state, enum grouping grouping)
{
        subproc *c = subproc_new_args("/bin/sh", "-c", grandchild_script, NULL);
        char *out = NULL;
        struct t_outcome o;
        pid_t grandchild;
        int status = -1;

        t_enter_mode(state);
        t_become_subreaper();
        subproc_set_output_buffer(c, &out);
        subproc_set_timeout(c, 200, 300);
        if (grouping == PROCESS_GROUP)
                subproc_set_new_process_group(c);
        else if (grouping == SESSION)
                subproc_set_new_session(c);
        run_timed(c, NULL, &o);
        /* The grandchild's `sleep 30` does not hold the run up: deadline + grace + 1 s. */
        assert_ended_by_deadline(c, &o, SIGTERM, 200 - T_ROUNDING_MS, 200 + 300 + 1000);
        grandchild = first_line_pid(out);
        assert_contains(out, "\nstarted\n");

        if (grouping == NO_GROUP) {
                /* Only the child was signalled: the grandchild lives on (now our child, as we
                 * are its subreaper); stop it ourselves. */
                assert_ll_equal(kill(grandchild, 0), 0);
                assert_false(t_reap_within(grandchild, 0, &status));
                assert_ll_equal(kill(grandchild, SIGKILL), 0);
                assert_true(t_reap_within(grandchild, 10000, &status));
                assert_killed_by(status, SIGKILL);
        } else {
                /* The deadline hit the whole group. */
                if (!t_reap_within(grandchild, 5000, &status)) {
                        kill(grandchild, SIGKILL);
                        (void)t_reap_within(grandchild, 10000, &status);
                        fail_msg("grandchild %ld survived the timeout of its process group",
                                 (long)grandchild);
                }
                assert_killed_by(status, SIGTERM);
        }
        assert_no_children();
        free(out);
        subproc_free(c);
}

static void test_grandchild_holds_stdout(void **state)
{
        check_grandchild_deadline(state, NO_GROUP);
}

static void test_grandchild_in_process_group(void **state)
{
        check_grandchild_deadline(state, PROCESS_GROUP);
}

static void test_grandchild_in_session(void **state)
{
        check_grandchild_deadline(state, SESSION);
}

/* The same with a child that ignores SIGTERM while its grandchild holds stdout: SIGKILL
 * after the grace, and still no wait for the grandchild. */
static void test_grandchild_child_ignores_term(void **state)
{
        subproc *c = subproc_new_args("/bin/sh", "-c", grandchild_script, NULL);
        char *out = NULL;
        struct t_outcome o;
        pid_t grandchild;
        int status = -1;

        t_enter_mode(state);
        t_become_subreaper();
        child_ignores_term_from_start(c);
        subproc_set_output_buffer(c, &out);
        subproc_set_timeout(c, 300, 300);
        run_timed(c, NULL, &o);
        caller_term_back();
        assert_ended_by_deadline(c, &o, SIGKILL, 300 + 300 - T_ROUNDING_MS, 300 + 300 + 1000);
        grandchild = first_line_pid(out);
        assert_contains(out, "\nstarted\n");
        /* The ignored SIGTERM was inherited by both sleeps; the grandchild was not in a group
         * the library could signal: stop it ourselves. */
        assert_ll_equal(kill(grandchild, SIGKILL), 0);
        assert_true(t_reap_within(grandchild, 10000, &status));
        assert_killed_by(status, SIGKILL);
        assert_no_children();
        free(out);
        subproc_free(c);
}

/* A child that leaves the process group the library made for it (setpgid() into the caller's
 * group) is still ended by the timeout: through its pidfd, or its pid while unreaped. */
static void test_timeout_child_left_its_group(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        struct t_outcome o;

        t_enter_mode(state);
        subproc_set_new_process_group(c);
        subproc_add_arg_format(c, "--setpgid=%d", (int)getpgrp());
        /* The hang guard: before the fix the child slept all of it. */
        subproc_add_arg(c, "--sleep-ms=20000");
        subproc_set_timeout(c, 1000, 1000);
        run_timed(c, NULL, &o);
        assert_ended_by_deadline(c, &o, SIGTERM, 1000 - T_ROUNDING_MS, 1000 + SLACK_MS);
        assert_no_children();
        subproc_free(c);
}

/* ---------------------------------------------------------------------------------------
 * subproc_set_timeout_signal(): the deadline's first signal (timeout(1)'s -s)
 * ------------------------------------------------------------------------------------- */

/* SIGUSR1, which the helper dies of, ends it at the deadline: not SIGTERM, and long before
 * the SIGKILL; the message names the signal sent. */
static void test_timeout_signal_chosen(void **state)
{
        subproc *c = helper_writing_then_sleeping("x", 10000);
        char want[32];
        struct t_outcome o;

        t_enter_mode(state);
        subproc_set_timeout(c, 200, 5000);
        subproc_set_timeout_signal(c, SIGUSR1);
        run_timed(c, NULL, &o);
        assert_ll_equal(o.rc, -1);
        assert_errno_equal(o.error, ETIMEDOUT);
        snprintf(want, sizeof want, "was sent signal %d", SIGUSR1);
        assert_non_null(strstr(o.msg, want));
        assert_null(strstr(o.msg, "SIGKILL"));
        assert_elapsed_between(&o, 200 - T_ROUNDING_MS, 3000);
        assert_killed_by(subproc_status(c), SIGUSR1);
        assert_no_children();
        subproc_free(c);
}

/* SIGKILL as the first signal ends a child that ignores SIGTERM at the deadline, not after
 * the grace. */
static void test_timeout_signal_kill(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--ignore-term",
                                      "--sleep-ms=30000", NULL);
        struct t_outcome o;

        t_enter_mode(state);
        child_ignores_term_from_start(c);
        subproc_set_timeout(c, 200, 10000);
        subproc_set_timeout_signal(c, SIGKILL);
        run_timed(c, NULL, &o);
        caller_term_back();
        assert_ended_by_deadline(c, &o, SIGKILL, 200 - T_ROUNDING_MS, 200 + SLACK_MS);
        assert_no_children();
        subproc_free(c);
}

/* A value that is no signal fails the run before any child is made, naming it; the latest
 * valid call wins over an earlier one. */
static void test_timeout_signal_invalid(void **state)
{
        static const int bad[] = { 0, -1, 65, 100000 };

        (void)state;
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                subproc *c = helper_writing_then_sleeping("x", 10000);

                subproc_set_timeout(c, 200, 5000);
                subproc_set_timeout_signal(c, bad[i]);
                assert_ll_equal(subproc_run(c, NULL), -1);
                assert_errno_equal(errno, EINVAL);
                assert_non_null(strstr(subproc_errmsg(), "timeout signal"));
                assert_ll_equal(subproc_pid(c), -1);
                assert_no_children();
                subproc_free(c);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                BOTH_TERM_MODES(test_timeout_term_honoured),
                BOTH_TERM_MODES(test_output_at_the_deadline_is_kept),
                BOTH_TERM_MODES(test_refusal_after_the_deadline_is_final),
                BOTH_TERM_MODES(test_refusal_of_a_last_line_is_final),
                BOTH_TERM_MODES(test_flooding_grandchild_gets_one_pipe),
                BOTH_TERM_MODES(test_timeout_term_ignored),
                BOTH_TERM_MODES(test_timeout_kill_at_once),
                BOTH_TERM_MODES(test_timeout_no_kill_term_honoured),
                BOTH_TERM_MODES(test_timeout_no_kill_term_ignored),
                BOTH_TERM_MODES(test_timeout_async_wait),
                BOTH_TERM_MODES(test_timeout_in_wait_timeout),
                BOTH_TERM_MODES(test_timeout_async_kill_after_grace),
                BOTH_TERM_MODES(test_timeout_not_reached),
                BOTH_TERM_MODES(test_timeout_zero_disables),
                BOTH_TERM_MODES(test_timeout_rerun),
                BOTH_TERM_MODES(test_grandchild_holds_stdout),
                BOTH_TERM_MODES(test_grandchild_in_process_group),
                BOTH_TERM_MODES(test_grandchild_in_session),
                BOTH_TERM_MODES(test_grandchild_child_ignores_term),
                BOTH_TERM_MODES(test_timeout_child_left_its_group),
                BOTH_TERM_MODES(test_timeout_signal_chosen),
                BOTH_TERM_MODES(test_timeout_signal_kill),
                cmocka_unit_test(test_timeout_signal_invalid),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
