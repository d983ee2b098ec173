/* Many children in one loop (issue 16): subproc_loop (wait-any, the caller's fds in the same
 * wait, ^C through the mask, timeouts as events, 600 children under ulimit -n 1024, SIGCHLD
 * wakeups), and subproc_poll_fds()/subproc_poll_service() driven by a plain poll() loop.
 * Every case with pidfds and without them (then also subproc_no_pidfd() on each command).
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/support.h"

/* A command of the helper; without pidfds also subproc_no_pidfd() (issue 16's knob). */
static subproc *helper(bool pidfd, const char *first, ...)
{
        const char *argv[16] = { HELPER_PATH, "--no-report" };
        size_t n = 2;
        va_list ap;
        subproc *c;

        va_start(ap, first);
        for (const char *a = first; a && n < 15; a = va_arg(ap, const char *))
                argv[n++] = a;
        va_end(ap);
        argv[n] = NULL;
        c = subproc_new_argv(argv);
        if (!pidfd)
                subproc_no_pidfd(c);
        return c;
}

/* Wait for the next event, failing on a hang. */
static struct subproc_event next_event(subproc_loop *l)
{
        struct subproc_event ev;
        int r = subproc_loop_wait(l, (int)T_HANG_GUARD_MS, NULL, &ev, 1);

        if (r != 1)
                fail_msg("subproc_loop_wait: %d: %s", r, subproc_errmsg());
        return ev;
}

#define NCHILDREN 200

/* 200 children exiting in random order: each end reported once, with its own status and
 * output, none lost, no zombie (teardown), no fd left (teardown). */
static void test_wait_any(void **state)
{
        bool pidfd = t_enter_mode(state);
        subproc *c[NCHILDREN];
        char *out[NCHILDREN];
        bool seen[NCHILDREN] = { false };
        struct subproc_event ev[7];
        subproc_loop *l = subproc_loop_new();
        int done = 0;

        assert_non_null(l);
        srand(1616);
        for (int i = 0; i < NCHILDREN; i++) {
                char text[32], sleep_ms[32], code[32];

                snprintf(text, sizeof text, "--stdout-text=child %d", i);
                snprintf(sleep_ms, sizeof sleep_ms, "--sleep-ms=%d", rand() % 300);
                snprintf(code, sizeof code, "--exit=%d", i % 7);
                c[i] = helper(pidfd, text, sleep_ms, code, NULL);
                subproc_set_output_buffer(c[i], &out[i]);
                /* Half started by the caller, half by the loop. */
                if (i % 2)
                        assert_ll_equal(subproc_run_async(c[i], NULL), 0);
                assert_ll_equal(subproc_loop_add(l, c[i], &c[i]), 0);
        }
        while (done < NCHILDREN) {
                /* Room for 7 at a time: events that do not fit wait for the next call. */
                int n = subproc_loop_wait(l, (int)T_HANG_GUARD_MS, NULL, ev, 7);

                assert_true(n >= 1 && n <= 7);
                for (int k = 0; k < n; k++) {
                        int i = (int)((subproc **)ev[k].tag - c);
                        char want[32];

                        assert_ll_equal(ev[k].type, SUBPROC_EVENT_EXITED);
                        assert_true(i >= 0 && i < NCHILDREN);
                        assert_ptr_equal(ev[k].command, c[i]);
                        assert_false(seen[i]);
                        seen[i] = true;
                        assert_ll_equal(ev[k].result, 0);
                        assert_ll_equal(ev[k].exitstatus, i % 7);
                        assert_true(WIFEXITED(ev[k].status));
                        assert_ll_equal(WEXITSTATUS(ev[k].status), i % 7);
                        assert_ll_equal(subproc_pid(c[i]), -1);
                        snprintf(want, sizeof want, "child %d", i);
                        assert_string_equal(out[i], want);
                        done++;
                }
        }
        /* Nothing left: a wait with no timeout says so instead of blocking. */
        assert_ll_equal(subproc_loop_wait(l, -1, NULL, ev, 1), -1);
        assert_errno_equal(errno, ECHILD);
        subproc_loop_free(l);
        for (int i = 0; i < NCHILDREN; i++) {
                subproc_free(c[i]);
                free(out[i]);
        }
}

/* The caller's fds in the same wait, with their tags and revents; a child's end and a ready
 * fd in one wait; unwatch. */
static void test_watch_fd(void **state)
{
        bool pidfd = t_enter_mode(state);
        subproc *c = helper(pidfd, "--sleep-ms=100", "--exit=5", NULL);
        subproc_loop *l = subproc_loop_new();
        struct subproc_event ev;
        int p[2], tag;

        assert_ll_equal(pipe(p), 0);
        assert_ll_equal(subproc_loop_watch_fd(l, p[0], POLLIN, &tag), 0);
        assert_ll_equal(subproc_loop_add(l, c, NULL), 0);
        /* Nothing ready yet: the timeout of the wait. */
        assert_ll_equal(subproc_loop_wait(l, 10, NULL, &ev, 1), 0);
        assert_ll_equal(write(p[1], "x", 1), 1);
        ev = next_event(l);
        assert_ll_equal(ev.type, SUBPROC_EVENT_FD_READY);
        assert_ptr_equal(ev.tag, &tag);
        assert_ll_equal(ev.fd, p[0]);
        assert_true(ev.revents & POLLIN);
        assert_null(ev.command);
        /* Level-triggered: still ready until read; unwatched, only the child is left. */
        ev = next_event(l);
        assert_ll_equal(ev.type, SUBPROC_EVENT_FD_READY);
        assert_ll_equal(subproc_loop_unwatch_fd(l, p[0]), 0);
        ev = next_event(l);
        /* The loop takes the exit code, as subproc_wait(c, &exitstatus) does. */
        assert_ll_equal(ev.type, SUBPROC_EVENT_EXITED);
        assert_ll_equal(ev.result, 0);
        assert_ll_equal(ev.exitstatus, 5);
        assert_ll_equal(ev.status, 5 << 8);
        assert_ll_equal(subproc_status(c), 5 << 8);
        subproc_loop_free(l);
        subproc_free(c);
        close(p[0]);
        close(p[1]);
}

static volatile sig_atomic_t got_sigint;

static void on_sigint(int sig)
{
        (void)sig;
        got_sigint = 1;
}

/* ^C: SIGINT, blocked outside the wait and unblocked by the mask, interrupts it (EINTR) even
 * while children run; then the caller stops them all and waits for them. */
static void test_sigint_interrupts(void **state)
{
        bool pidfd = t_enter_mode(state);
        struct sigaction sa = { .sa_handler = on_sigint }, old_sa;
        subproc *c = helper(pidfd, "--sleep-ms=100", "--signal-parent=2" /* SIGINT */,
                            "--sleep-ms=20000", NULL);
        subproc *d = helper(pidfd, "--sleep-ms=20000", NULL);
        sigset_t block, old, wait_mask;
        subproc_loop *l = subproc_loop_new();
        struct subproc_event ev;
        double start = t_monotonic_ms();
        int ended = 0;

        sigemptyset(&block);
        sigaddset(&block, SIGINT);
        sigaction(SIGINT, &sa, &old_sa);
        pthread_sigmask(SIG_BLOCK, &block, &old);
        wait_mask = old;
        sigdelset(&wait_mask, SIGINT);
        got_sigint = 0;
        assert_ll_equal(subproc_loop_add(l, c, NULL), 0);
        assert_ll_equal(subproc_loop_add(l, d, NULL), 0);
        errno = 0;
        assert_ll_equal(subproc_loop_wait(l, (int)T_HANG_GUARD_MS, &wait_mask, &ev, 1), -1);
        assert_errno_equal(errno, EINTR);
        assert_true(got_sigint);
        assert_true(t_monotonic_ms() - start < T_HANG_GUARD_MS);
        subproc_loop_kill(l, SIGTERM);
        while (ended < 2) {
                ev = next_event(l);
                assert_ll_equal(ev.type, SUBPROC_EVENT_EXITED);
                assert_true(WIFSIGNALED(ev.status) && WTERMSIG(ev.status) == SIGTERM);
                /* A death by signal is the run's error, with its message. */
                assert_ll_equal(ev.result, -1);
                assert_errno_equal(ev.error, EIO);
                assert_contains(ev.message, "fatal signal 15");
                ended++;
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        sigaction(SIGINT, &old_sa, NULL);
        subproc_loop_free(l);
        subproc_free(c);
        subproc_free(d);
}

/* A command's timeout fires as an event, then its end (ETIMEDOUT) follows; the SIGKILL after
 * an ignored SIGTERM too.  Another child goes on meanwhile. */
static void test_timeout_events(void **state)
{
        bool pidfd = t_enter_mode(state);
        subproc *t = helper(pidfd, "--sleep-ms=20000", NULL);
        subproc *k = helper(pidfd, "--ignore-term", "--sleep-ms=20000", NULL);
        subproc *ok = helper(pidfd, "--sleep-ms=400", NULL);
        subproc_loop *l = subproc_loop_new();
        bool timeout_seen[2] = { false, false }, exit_seen[3] = { false, false, false };
        double start = t_monotonic_ms();

        subproc_set_timeout(t, 100, 5000);
        subproc_set_timeout(k, 150, 100);
        assert_ll_equal(subproc_loop_add(l, t, (void *)0), 0);
        assert_ll_equal(subproc_loop_add(l, k, (void *)1), 0);
        assert_ll_equal(subproc_loop_add(l, ok, (void *)2), 0);
        for (int n = 0; n < 5; n++) {
                struct subproc_event ev = next_event(l);
                int i = (int)(intptr_t)ev.tag;

                if (ev.type == SUBPROC_EVENT_TIMEOUT) {
                        assert_true(i == 0 || i == 1);
                        assert_false(timeout_seen[i]);
                        assert_false(exit_seen[i]); /* the timeout comes before the end */
                        timeout_seen[i] = true;
                        continue;
                }
                assert_ll_equal(ev.type, SUBPROC_EVENT_EXITED);
                assert_false(exit_seen[i]);
                exit_seen[i] = true;
                if (i == 2) {
                        assert_ll_equal(ev.result, 0);
                        continue;
                }
                assert_true(timeout_seen[i]);
                assert_ll_equal(ev.result, -1);
                assert_errno_equal(ev.error, ETIMEDOUT);
                assert_true(WIFSIGNALED(ev.status));
                assert_ll_equal(WTERMSIG(ev.status), i == 0 ? SIGTERM : SIGKILL);
                assert_contains(ev.message, "timed out");
        }
        assert_true(t_monotonic_ms() - start < T_HANG_GUARD_MS);
        subproc_loop_free(l);
        subproc_free(t);
        subproc_free(k);
        subproc_free(ok);
}

/* 600 children at once under ulimit -n 1024 (issue 16: ninja -j600 died with EMFILE): with
 * no pidfd and stdout+stderr into one buffer, each running child costs exactly one fd. */
#define MANY 600

static void run_many(void *arg, struct t_result *res)
{
        struct rlimit rl = { 1024, 1024 };
        subproc **c = calloc(MANY, sizeof *c);
        char **out = calloc(MANY, sizeof *out);
        subproc_loop *l = subproc_loop_new();
        size_t before, during;
        int done = 0, bad = 0;
        struct subproc_event ev[32];

        (void)arg;
        /* Everything is freed on every path: valgrind checks the forked part for leaks too. */
        free(t_list_fds(&before));
        res->rc = -1;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || !c || !out || !l) {
                res->error = errno;
                snprintf(res->msg, sizeof res->msg, "setrlimit(RLIMIT_NOFILE, 1024) or memory");
                goto out;
        }
        for (int i = 0; i < MANY; i++) {
                c[i] = subproc_new_args(HELPER_PATH, "--no-report", "--stdout-text=o",
                                        "--stderr-text=e", "--sleep-ms=1500", NULL);
                subproc_no_pidfd(c[i]);
                subproc_set_output_buffer(c[i], &out[i]);
                subproc_set_error_buffer(c[i], &out[i]);
                if (subproc_loop_add(l, c[i], NULL) < 0) {
                        snprintf(res->msg, sizeof res->msg, "add %d: %s", i, subproc_errmsg());
                        res->error = errno;
                        goto out;
                }
        }
        free(t_list_fds(&during));
        while (done < MANY) {
                int n = subproc_loop_wait(l, (int)T_HANG_GUARD_MS, NULL, ev, 32);

                if (n <= 0) {
                        t_result_set(res, -1);
                        goto out;
                }
                for (int k = 0; k < n; k++) {
                        subproc *x = ev[k].command;
                        int i = 0;

                        while (c[i] != x)
                                i++;
                        bad += ev[k].type != SUBPROC_EVENT_EXITED || ev[k].result != 0 ||
                               subproc_output_len(x) != 2 || !strchr(out[i], 'o') ||
                               !strchr(out[i], 'e');
                        done++;
                }
        }
        res->value = (long)(during - before);
        res->rc = bad ? -2 : waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD ? 0 : -3;
out:
        subproc_loop_free(l);
        for (int i = 0; c && out && i < MANY; i++) {
                subproc_free(c[i]);
                free(out[i]);
        }
        free(c);
        free(out);
}

static void test_600_children_low_nofile(void **state)
{
        struct t_result res;

        t_in_child(run_many, NULL, &res);
        if (res.rc != 0)
                fail_msg("rc %d, errno %d: %s", res.rc, res.error, res.msg);
        /* One fd per running child: the pipe. */
        assert_ll_equal(res.value, MANY);
}

/* subproc_poll_fds()/subproc_poll_service() from a plain poll() loop: 1 MiB fed through cat
 * while its output is captured, then a timeout folded into poll()'s. */
static void test_poll_driven(void **state)
{
        bool pidfd = t_enter_mode(state);
        subproc *c = helper(pidfd, "--cat", NULL);
        size_t len = 1 << 20;
        char *data = malloc(len), *out = NULL;
        int r = 0, st = -1, rounds = 0;
        double start = t_monotonic_ms();

        for (size_t i = 0; i < len; i++)
                data[i] = (char)('a' + i % 26);
        subproc_set_input_bytes(c, data, len);
        subproc_set_output_buffer(c, &out);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        while (r == 0) {
                struct pollfd fds[4];
                int timeout = -1, n = subproc_poll_fds(c, fds, 4, &timeout);

                assert_true(n >= 0 && n <= 3);
                if (n == 0)
                        assert_true(timeout >= 0 && timeout <= 20); /* polling step */
                assert_true(poll(fds, (nfds_t)n, timeout) >= 0);
                errno = EINTR;
                r = subproc_poll_service(c, fds, n, &st);
                if (r == 0)
                        assert_errno_equal(errno, EINTR);
                rounds++;
                assert_true(t_monotonic_ms() - start < T_HANG_GUARD_MS);
        }
        assert_ll_equal(r, 1);
        assert_ll_equal(st, 0);
        assert_ll_equal(subproc_output_len(c), len);
        assert_memory_equal(out, data, len);
        assert_true(rounds > 1);
        subproc_free(c);
        free(out);
        free(data);

        /* The timeout: poll_fds lowers poll()'s infinite timeout, poll_service escalates. */
        c = helper(pidfd, "--sleep-ms=20000", NULL);
        subproc_set_timeout(c, 100, 5000);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        start = t_monotonic_ms();
        do {
                struct pollfd fds[4];
                int timeout = -1, n = subproc_poll_fds(c, fds, 4, &timeout);

                assert_true(timeout >= 0);
                assert_true(poll(fds, (nfds_t)n, timeout) >= 0);
                r = subproc_poll_service(c, fds, n, &st);
                assert_true(t_monotonic_ms() - start < T_HANG_GUARD_MS);
        } while (r == 0);
        assert_ll_equal(r, -1);
        assert_errno_equal(errno, ETIMEDOUT);
        assert_ll_equal(subproc_pid(c), -1);
        subproc_free(c);
}

/* A grandchild holding the output pipe after the child exited: poll_fds() does not hand out
 * the pidfd while the pipe is open (it would stay readable, and the caller's loop spin until
 * the grandchild lets go), so the caller wakes a few times, not thousands; the run ends when
 * the pipe does, as with subproc_wait(). */
static void test_grandchild_holds_pipe(void **state)
{
        bool pidfd = t_enter_mode(state);
        subproc *c = subproc_new_args("/bin/sh", "-c", "echo hi; sleep 0.5 & exit 0", NULL);
        double start = t_monotonic_ms();
        char *out = NULL;
        int r = 0, st = -1, rounds = 0;

        if (!pidfd)
                subproc_no_pidfd(c);
        subproc_set_output_buffer(c, &out);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        while (r == 0) {
                struct pollfd fds[4];
                int timeout = -1, n = subproc_poll_fds(c, fds, 4, &timeout);

                assert_true(poll(fds, (nfds_t)n, timeout) >= 0);
                r = subproc_poll_service(c, fds, n, &st);
                rounds++;
                assert_true(t_monotonic_ms() - start < T_HANG_GUARD_MS);
        }
        assert_ll_equal(r, 1);
        assert_string_equal(out, "hi\n");
        /* The pipe's data, its EOF, and a few polling steps without a pidfd: far from a spin. */
        assert_true(rounds < 40);
        subproc_free(c);
        free(out);
}

/* Bad input: clear errors, nothing leaked, nothing left running. */
static void test_bad_input(void **state)
{
        bool pidfd = t_enter_mode(state);
        subproc *c = helper(pidfd, "--sleep-ms=100", "--stdout-text=x", NULL);
        subproc *broken = subproc_new(NULL);
        subproc *missing = subproc_new("/nonexistent/subproc-loop-test");
        subproc_loop *l = subproc_loop_new();
        struct subproc_event ev;
        struct pollfd fds[1];
        char *out = NULL;
        int t = -1, st;

        subproc_set_output_buffer(c, &out);
        /* poll_fds: not running, NULL, n too small (the message says how many). */
        assert_ll_equal(subproc_poll_fds(c, fds, 1, &t), -1);
        assert_errno_equal(errno, ECHILD);
        assert_ll_equal(subproc_poll_fds(NULL, fds, 1, &t), -1);
        assert_errno_equal(errno, EINVAL);
        assert_ll_equal(subproc_poll_service(NULL, NULL, 0, &st), -1);
        assert_errno_equal(errno, EINVAL);
        assert_ll_equal(subproc_poll_service(c, NULL, 0, &st), -1);
        assert_errno_equal(errno, ECHILD);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        assert_ll_equal(subproc_poll_fds(c, NULL, 0, &t), pidfd ? 1 : 1); /* the pipe */
        assert_ll_equal(subproc_poll_fds(c, fds, 0, &t), -1);
        assert_errno_equal(errno, ENOSPC);
        assert_contains(subproc_errmsg(), "1 entries needed, 0 given");
        assert_ll_equal(subproc_poll_fds(c, NULL, 1, &t), -1);
        assert_errno_equal(errno, EINVAL);
        assert_ll_equal(subproc_poll_fds(c, fds, 1, NULL), -1);
        assert_errno_equal(errno, EINVAL);
        assert_ll_equal(subproc_poll_service(c, NULL, 3, &st), -1);
        assert_errno_equal(errno, EINVAL);

        /* The loop: NULLs, a command twice, a broken command, one that cannot start. */
        assert_ll_equal(subproc_loop_add(NULL, c, NULL), -1);
        assert_errno_equal(errno, EINVAL);
        assert_ll_equal(subproc_loop_add(l, NULL, NULL), -1);
        assert_errno_equal(errno, EINVAL);
        assert_ll_equal(subproc_loop_add(l, c, NULL), 0);
        assert_ll_equal(subproc_loop_add(l, c, NULL), -1);
        assert_errno_equal(errno, EEXIST);
        assert_ll_equal(subproc_loop_add(l, broken, NULL), -1);
        assert_errno_equal(errno, EINVAL);
        assert_ll_equal(subproc_loop_add(l, missing, NULL), -1);
        assert_errno_equal(errno, ENOENT);
        assert_ll_equal(subproc_loop_watch_fd(l, -1, POLLIN, NULL), -1);
        assert_errno_equal(errno, EINVAL);
        assert_ll_equal(subproc_loop_watch_fd(l, 0, 0, NULL), -1);
        assert_errno_equal(errno, EINVAL);
        assert_ll_equal(subproc_loop_unwatch_fd(l, 0), -1);
        assert_errno_equal(errno, ENOENT);
        assert_ll_equal(subproc_loop_remove(l, missing), -1);
        assert_errno_equal(errno, ENOENT);
        assert_ll_equal(subproc_loop_wait(NULL, 0, NULL, &ev, 1), -1);
        assert_errno_equal(errno, EINVAL);
        assert_ll_equal(subproc_loop_wait(l, 0, NULL, NULL, 1), -1);
        assert_errno_equal(errno, EINVAL);
        assert_ll_equal(subproc_loop_wait(l, 0, NULL, &ev, 0), -1);
        assert_errno_equal(errno, EINVAL);
        assert_ll_equal(subproc_loop_use_sigchld(NULL), -1);
        assert_errno_equal(errno, EINVAL);
        subproc_loop_kill(NULL, SIGTERM);
        subproc_loop_free(NULL);
        ev = next_event(l);
        assert_ll_equal(ev.type, SUBPROC_EVENT_EXITED);
        assert_ll_equal(ev.result, 0);
        assert_string_equal(out, "x");
        subproc_loop_free(l);
        subproc_free(c);
        subproc_free(broken);
        subproc_free(missing);
        free(out);
}

/* subproc_loop_remove(): the caller takes a running command back and waits for it itself;
 * freeing the loop leaves the commands alone (still running, still the caller's). */
static void test_remove_and_free(void **state)
{
        bool pidfd = t_enter_mode(state);
        subproc *a = helper(pidfd, "--sleep-ms=100", "--exit=3", NULL);
        subproc *b = helper(pidfd, "--sleep-ms=100", "--exit=4", NULL);
        subproc_loop *l = subproc_loop_new();
        int st = -1;

        assert_ll_equal(subproc_loop_add(l, a, NULL), 0);
        assert_ll_equal(subproc_loop_add(l, b, NULL), 0);
        assert_ll_equal(subproc_loop_remove(l, a), 0);
        assert_ll_equal(subproc_loop_remove(l, a), -1);
        assert_errno_equal(errno, ENOENT);
        assert_ll_equal(subproc_wait(a, &st), 0);
        assert_ll_equal(st, 3);
        subproc_loop_free(l);
        assert_true(subproc_pid(b) > 0);
        assert_ll_equal(subproc_wait(b, &st), 0);
        assert_ll_equal(st, 4);
        subproc_free(a);
        subproc_free(b);
}

/* SIGCHLD wakeups for children without pidfds or pipes: ends are seen long before the
 * polling step would grow (the loop sleeps with no timeout of its own), the handler that
 * was there is still called, and comes back when the loop is freed.  In a forked process:
 * the SIGCHLD pipe stays open for the life of the process, by design. */
static volatile sig_atomic_t previous_calls;

static void previous_handler(int sig)
{
        (void)sig;
        previous_calls++;
}

static void run_sigchld(void *arg, struct t_result *res)
{
        struct sigaction sa = { .sa_handler = previous_handler }, now;
        subproc_loop *l = subproc_loop_new();
        subproc *c[20];
        struct subproc_event ev;
        int ended = 0;

        (void)arg;
        sa.sa_flags = SA_RESTART;
        sigaction(SIGCHLD, &sa, NULL);
        if (subproc_loop_use_sigchld(l) < 0) {
                t_result_set(res, -1);
                return;
        }
        for (int i = 0; i < 20; i++) {
                c[i] = subproc_new_args(HELPER_PATH, "--no-report", "--sleep-ms=50", NULL);
                subproc_no_pidfd(c[i]);
                if (subproc_loop_add(l, c[i], NULL) < 0) {
                        t_result_set(res, -1);
                        return;
                }
        }
        while (ended < 20) {
                int r = subproc_loop_wait(l, 10000, NULL, &ev, 1);

                if (r < 0 && errno == EINTR)
                        continue;
                if (r != 1 || ev.type != SUBPROC_EVENT_EXITED || ev.result != 0) {
                        snprintf(res->msg, sizeof res->msg, "wait %d: %s", r, subproc_errmsg());
                        res->rc = -1;
                        return;
                }
                ended++;
        }
        subproc_loop_free(l);
        for (int i = 0; i < 20; i++)
                subproc_free(c[i]);
        sigaction(SIGCHLD, NULL, &now);
        res->value = previous_calls;
        res->rc = now.sa_handler == previous_handler ? 0 : -4;
}

static void test_sigchld_wakeup(void **state)
{
        struct t_result res;

        t_in_child(run_sigchld, NULL, &res);
        if (res.rc != 0)
                fail_msg("rc %d, errno %d: %s", res.rc, res.error, res.msg);
        print_message("previous handler called %ld times\n", res.value);
        assert_true(res.value >= 1); /* the previous handler was chained */
}

int main(void)
{
        /* clang-format off */
        const struct CMUnitTest tests[] = {
                T_BOTH_MODES(test_wait_any),
                T_BOTH_MODES(test_watch_fd),
                T_BOTH_MODES(test_sigint_interrupts),
                T_BOTH_MODES(test_timeout_events),
                T_TEST(test_600_children_low_nofile),
                T_BOTH_MODES(test_poll_driven),
                T_BOTH_MODES(test_grandchild_holds_pipe),
                T_BOTH_MODES(test_bad_input),
                T_BOTH_MODES(test_remove_and_free),
                T_TEST(test_sigchld_wakeup),
        };
        /* clang-format on */

        return cmocka_run_group_tests(tests, NULL, NULL);
}
