/* Tests of subproc_set_new_session() and subproc_set_new_process_group(): the ids the child
 * gets, and
 * subproc_kill() and subproc_abort() reaching the whole tree (with and without pidfds).
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
#include <time.h>
#include <unistd.h>

#include "support/support.h"

/* ---------------------------------------------------------------------------------------
 * Modes
 * ------------------------------------------------------------------------------------- */

enum grouping { NO_GROUP, PROCESS_GROUP, SESSION, SESSION_AND_GROUP };

/* The pidfd mode first: t_mode_setup() and t_enter_mode() read it from a case's state. */
struct mode {
        struct t_pidfd_mode pidfd;
        enum grouping grouping;
};

static struct mode modes[] = {
        { { false }, NO_GROUP },          { { true }, NO_GROUP },
        { { false }, PROCESS_GROUP },     { { true }, PROCESS_GROUP },
        { { false }, SESSION },           { { true }, SESSION },
        { { false }, SESSION_AND_GROUP }, { { true }, SESSION_AND_GROUP },
};

/* The mode of the case. */
static const struct mode *group_mode(void **state)
{
        t_enter_mode(state);
        return *state;
}

#define MODE_TEST(f, name, i)                                            \
        {                                                                \
#f " (" name ")", f, t_mode_setup, t_teardown, &modes[i] \
        }
#define GROUPED_MODES(f)                                                                     \
        MODE_TEST(f, "process group, pidfd", 2), MODE_TEST(f, "process group, no pidfd", 3), \
                MODE_TEST(f, "session, pidfd", 4), MODE_TEST(f, "session, no pidfd", 5)
#define ALL_MODES(f)                                                               \
        MODE_TEST(f, "no group, pidfd", 0), MODE_TEST(f, "no group, no pidfd", 1), \
                GROUPED_MODES(f), MODE_TEST(f, "session and group, pidfd", 6),     \
                MODE_TEST(f, "session and group, no pidfd", 7)

static void apply_grouping(subproc *c, enum grouping grouping)
{
        if (grouping == PROCESS_GROUP || grouping == SESSION_AND_GROUP)
                subproc_set_new_process_group(c);
        if (grouping == SESSION || grouping == SESSION_AND_GROUP)
                subproc_set_new_session(c);
}

/* ---------------------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------------------- */

/* Fields 5 (pgrp) and 6 (session) of /proc/<pid>/stat. */
static void read_ids(pid_t pid, pid_t *pgrp, pid_t *session)
{
        char path[64], buf[1024], *paren;
        long group = -1, sid = -1;
        FILE *f;

        snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
        f = fopen(path, "re");
        assert_non_null(f);
        assert_non_null(fgets(buf, sizeof buf, f));
        fclose(f);
        /* The name (field 2) may hold spaces and parentheses: start after the last ')'. */
        paren = strrchr(buf, ')');
        assert_non_null(paren);
        assert_ll_equal(sscanf(paren + 2, "%*c %*d %ld %ld", &group, &sid), 2);
        *pgrp = (pid_t)group;
        *session = (pid_t)sid;
}

/* Read lines from `fd` until one is "ready"; store the numbers of the lines before it in
 * pids (at most max) and return how many. */
static size_t read_pids_until_ready(int fd, pid_t *pids, size_t max)
{
        char buf[512];
        size_t used = 0, n = 0;
        double deadline = t_monotonic_ms() + T_HANG_GUARD_MS;

        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                char *line = buf, *nl;
                ssize_t got;
                int left = (int)(deadline - t_monotonic_ms());

                assert_true(left > 0);
                if (poll(&p, 1, left) <= 0)
                        continue;
                got = read(fd, buf + used, sizeof buf - 1 - used);
                if (got < 0 && errno == EINTR)
                        continue;
                assert_true(got > 0);
                used += (size_t)got;
                buf[used] = '\0';
                if (strstr(buf, "ready\n") == NULL) {
                        assert_true(used < sizeof buf - 1);
                        continue;
                }
                while ((nl = strchr(line, '\n')) != NULL && strncmp(line, "ready\n", 6) != 0) {
                        assert_true(n < max);
                        pids[n] = (pid_t)strtol(line, NULL, 10);
                        assert_true(pids[n] > 1);
                        n++;
                        line = nl + 1;
                }
                return n;
        }
}

/* A shell that starts two background sleeps in its process group, prints their pids and
 * "ready", then waits.  Its stdout is a pipe for the caller, in *out_fd. */
static subproc *shell_tree(enum grouping grouping, int *out_fd)
{
        subproc *c = subproc_new_args("/bin/sh", "-c",
                                      "sleep 30 & echo $!; sleep 30 & echo $!; echo ready; wait",
                                      NULL);

        *out_fd = -1;
        subproc_set_output_fd(c, out_fd);
        subproc_set_raw_status(c);
        apply_grouping(c, grouping);
        return c;
}

/* ---------------------------------------------------------------------------------------
 * The ids of the child
 * ------------------------------------------------------------------------------------- */

static void test_child_ids(void **state)
{
        const struct mode *m = group_mode(state);
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--sleep-ms=60000", NULL);
        pid_t pid, pgrp, session;

        apply_grouping(c, m->grouping);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        pid = subproc_pid(c);
        /* The child set its ids before exec, and run_async returns after exec. */
        read_ids(pid, &pgrp, &session);
        print_message("  pid %ld: pgrp %ld, session %ld (ours: %ld, %ld)\n", (long)pid, (long)pgrp,
                      (long)session, (long)getpgrp(), (long)getsid(0));
        switch (m->grouping) {
        case NO_GROUP:
                assert_ll_equal(pgrp, getpgrp());
                assert_ll_equal(session, getsid(0));
                break;
        case PROCESS_GROUP:
                assert_ll_equal(pgrp, pid);
                assert_ll_equal(session, getsid(0));
                break;
        case SESSION:
        case SESSION_AND_GROUP:
                assert_ll_equal(pgrp, pid);
                assert_ll_equal(session, pid);
                break;
        }
        subproc_abort(c);
        assert_killed_by(subproc_status(c), SIGTERM);
        assert_no_children();
        subproc_free(c);
}

/* The ids seen by the program itself, from a synchronous run. */
static void test_child_ids_from_inside(void **state)
{
        const struct mode *m = group_mode(state);
        subproc *c = subproc_new_args("/bin/sh", "-c", "cat /proc/$$/stat", NULL);
        char *out = NULL, *paren;
        long pid, pgrp, session;

        apply_grouping(c, m->grouping);
        subproc_set_output_buffer(c, &out);
        assert_ll_equal(subproc_run(c, NULL), 0);
        pid = strtol(out, NULL, 10);
        paren = strrchr(out, ')');
        assert_non_null(paren);
        assert_ll_equal(sscanf(paren + 2, "%*c %*d %ld %ld", &pgrp, &session), 2);
        if (m->grouping == NO_GROUP) {
                assert_ll_equal(pgrp, getpgrp());
                assert_ll_equal(session, getsid(0));
        } else {
                assert_ll_equal(pgrp, pid);
                assert_ll_equal(session, m->grouping == PROCESS_GROUP ? getsid(0) : pid);
        }
        free(out);
        subproc_free(c);
}

/* ---------------------------------------------------------------------------------------
 * Signalling the tree
 * ------------------------------------------------------------------------------------- */

enum stop_how { STOP_KILL, STOP_ABORT, STOP_TIMEOUT };

static void check_tree_stopped(void **state, enum stop_how how)
{
        const struct mode *m = group_mode(state);
        pid_t grandchildren[2];
        int out_fd, status = -1;
        subproc *c;
        size_t n;

        t_become_subreaper();
        c = shell_tree(m->grouping, &out_fd);
        /* Long enough for the shell to start its two sleepers and say so on a slow machine:
         * a timeout that fires first fails the test on speed, not on a bug. */
        if (how == STOP_TIMEOUT)
                subproc_set_timeout(c, 2000, 5000);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        n = read_pids_until_ready(out_fd, grandchildren, 2);
        assert_ll_equal(n, 2);

        switch (how) {
        case STOP_KILL:
                assert_ll_equal(subproc_kill(c, SIGTERM), 0);
                assert_ll_equal(subproc_wait(c, &status), 0);
                assert_killed_by(status, SIGTERM);
                break;
        case STOP_ABORT:
                subproc_abort(c);
                break;
        case STOP_TIMEOUT:
                errno = 0;
                assert_ll_equal(subproc_wait(c, NULL), -1);
                assert_errno_equal(errno, ETIMEDOUT);
                break;
        }
        /* The shell died of the SIGTERM (a shell in `wait` does not ignore it). */
        assert_killed_by(subproc_status(c), SIGTERM);
        assert_ll_equal(subproc_pid(c), -1);

        /* Reaped, the shell has left its children to us, their subreaper. */
        for (size_t i = 0; i < n; i++) {
                bool reaped = t_reap_within(grandchildren[i], m->grouping == NO_GROUP ? 0 : 5000,
                                            &status);

                if (m->grouping == NO_GROUP) {
                        /* Only the shell was signalled: the sleeps live on. */
                        assert_false(reaped);
                        assert_ll_equal(kill(grandchildren[i], SIGKILL), 0);
                        assert_true(t_reap_within(grandchildren[i], T_HANG_GUARD_MS, &status));
                        assert_killed_by(status, SIGKILL);
                } else if (!reaped) {
                        for (size_t j = i; j < n; j++) {
                                kill(grandchildren[j], SIGKILL);
                                (void)t_reap_within(grandchildren[j], T_HANG_GUARD_MS, &status);
                        }
                        close(out_fd);
                        fail_msg("grandchild %ld survived: the signal missed the group",
                                 (long)grandchildren[i]);
                } else {
                        assert_killed_by(status, SIGTERM);
                }
        }
        close(out_fd);
        assert_no_children();
        subproc_free(c);
}

static void test_kill_tree(void **state)
{
        check_tree_stopped(state, STOP_KILL);
}

static void test_abort_tree(void **state)
{
        check_tree_stopped(state, STOP_ABORT);
}

static void test_timeout_tree(void **state)
{
        check_tree_stopped(state, STOP_TIMEOUT);
}

/* A group leader that exited but is not reaped yet keeps its group alive: subproc_kill()
 * still reaches the rest of the tree. */
static void test_kill_tree_after_leader_exit(void **state)
{
        const struct mode *m = group_mode(state);
        subproc *c = subproc_new_args("/bin/sh", "-c", "sleep 30 & echo $!; echo ready", NULL);
        int out_fd = -1, status = -1;
        pid_t grandchild;

        t_become_subreaper();
        subproc_set_output_fd(c, &out_fd);
        apply_grouping(c, m->grouping);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        assert_ll_equal(read_pids_until_ready(out_fd, &grandchild, 1), 1);
        /* Wait until the shell has exited (a zombie, not reaped): the group is still there. */
        assert_true(t_child_exited(subproc_pid(c), T_HANG_GUARD_MS));
        assert_ll_equal(subproc_kill(c, SIGTERM), 0);
        assert_ll_equal(subproc_wait(c, &status), 0);
        assert_ll_equal(status, 0);
        if (!t_reap_within(grandchild, 5000, &status)) {
                kill(grandchild, SIGKILL);
                (void)t_reap_within(grandchild, T_HANG_GUARD_MS, &status);
                close(out_fd);
                fail_msg("grandchild %ld survived", (long)grandchild);
        }
        assert_killed_by(status, SIGTERM);
        close(out_fd);
        assert_no_children();
        subproc_free(c);
}

/* ---------------------------------------------------------------------------------------
 * The fork path: a hook or a handshake, and daemons (issue 11, item 12)
 * ------------------------------------------------------------------------------------- */

#define RACE_ROUNDS 50

/* Runs in the child: async-signal-safe only.  Its presence makes the child a fork(). */
static int empty_hook(void *opaque)
{
        (void)opaque;
        return 0;
}

/* pid, pgrp and session from a "cat /proc/$$/stat" line. */
static void parse_stat_ids(const char *line, long *pid, long *pgrp, long *session)
{
        const char *paren = strrchr(line, ')');

        *pid = strtol(line, NULL, 10);
        assert_non_null(paren);
        assert_ll_equal(sscanf(paren + 2, "%*c %*d %ld %ld", pgrp, session), 2);
}

/* The parent's setpgid(pid, pid) must never beat the child's setsid(): that failed the child
 * with "setsid: Operation not permitted" about two runs in three.  Many rounds, so a race
 * shows. */
static void check_session_on_fork_path(bool handshake)
{
        for (int i = 0; i < RACE_ROUNDS; i++) {
                subproc *c = subproc_new_args("/bin/sh", "-c", "cat /proc/$$/stat", NULL);
                char *out = NULL;
                long pid, pgrp, session;
                int status = -1;

                subproc_set_new_session(c);
                subproc_set_output_buffer(c, &out);
                if (handshake) {
                        subproc_require_handshake(c);
                        if (subproc_run_async(c, NULL) < 0 || subproc_handshake_wait(c) < 0 ||
                            subproc_handshake_release(c) < 0)
                                fail_msg("round %d: %s", i, subproc_errmsg());
                        assert_ll_equal(subproc_wait(c, &status), 0);
                } else {
                        subproc_set_pre_exec_hook(c, empty_hook, NULL);
                        if (subproc_run(c, &status) < 0)
                                fail_msg("round %d: %s", i, subproc_errmsg());
                }
                assert_ll_equal(status, 0);
                parse_stat_ids(out, &pid, &pgrp, &session);
                assert_ll_equal(pgrp, pid);
                assert_ll_equal(session, pid);
                free(out);
                subproc_free(c);
        }
        assert_no_children();
}

static void test_session_with_hook(void **state)
{
        (void)state;
        check_session_on_fork_path(false);
}

static void test_session_with_handshake(void **state)
{
        (void)state;
        check_session_on_fork_path(true);
}

/* A process group with a hook: the parent's setpgid() and the child's may both run. */
static void test_group_with_hook(void **state)
{
        (void)state;
        for (int i = 0; i < RACE_ROUNDS; i++) {
                subproc *c = subproc_new_args("/bin/sh", "-c", "cat /proc/$$/stat", NULL);
                char *out = NULL;
                long pid, pgrp, session;

                subproc_set_new_process_group(c);
                subproc_set_pre_exec_hook(c, empty_hook, NULL);
                subproc_set_output_buffer(c, &out);
                if (subproc_run(c, NULL) < 0)
                        fail_msg("round %d: %s", i, subproc_errmsg());
                parse_stat_ids(out, &pid, &pgrp, &session);
                assert_ll_equal(pgrp, pid);
                assert_ll_equal(session, getsid(0));
                free(out);
                subproc_free(c);
        }
}

/* A handshake's child in a new session can be signalled as soon as subproc_run_async()
 * returns: its group exists by then (the parent no longer makes it, see above). */
static void test_session_handshake_kill_at_once(void **state)
{
        (void)state;
        for (int i = 0; i < RACE_ROUNDS; i++) {
                subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
                int status = -1;

                subproc_set_new_session(c);
                subproc_require_handshake(c);
                subproc_set_raw_status(c);
                assert_ll_equal(subproc_run_async(c, NULL), 0);
                if (subproc_kill(c, SIGKILL) < 0)
                        fail_msg("round %d: %s", i, subproc_errmsg());
                assert_ll_equal(subproc_wait(c, &status), 0);
                assert_killed_by(status, SIGKILL);
                subproc_free(c);
        }
}

/* A daemon with its own process group (`subproc -d --process-group`): the intermediate's
 * setsid() used to fail every time, as the child had made itself a group leader first.  The
 * daemon leads its own group, in the new session. */
static void check_daemon_group(bool hook)
{
        subproc *c = subproc_new_args("/bin/sh", "-c", "cat /proc/$$/stat", NULL);
        char line[1024] = "";
        long pid, pgrp, session;
        int p[2], wfd;
        ssize_t n;
        size_t used = 0;

        assert_ll_equal(pipe2(p, O_CLOEXEC), 0);
        wfd = p[1];
        subproc_daemonize(c);
        subproc_set_new_process_group(c);
        if (hook)
                subproc_set_pre_exec_hook(c, empty_hook, NULL);
        subproc_set_output_fd(c, &wfd);
        if (subproc_run(c, NULL) < 0)
                fail_msg("%s", subproc_errmsg());
        close(p[1]);
        while ((n = read(p[0], line + used, sizeof line - 1 - used)) > 0)
                used += (size_t)n;
        close(p[0]);
        line[used] = '\0';
        parse_stat_ids(line, &pid, &pgrp, &session);
        assert_ll_equal(pid, subproc_daemon_pid(c));
        assert_ll_equal(pgrp, pid);
        assert_int_not_equal(session, getsid(0));
        assert_int_not_equal(session, pid); /* the intermediate led the session */
        subproc_free(c);
}

static void test_daemon_process_group(void **state)
{
        (void)state;
        check_daemon_group(false);
        check_daemon_group(true);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                ALL_MODES(test_child_ids),
                ALL_MODES(test_child_ids_from_inside),
                ALL_MODES(test_kill_tree),
                ALL_MODES(test_abort_tree),
                ALL_MODES(test_timeout_tree),
                GROUPED_MODES(test_kill_tree_after_leader_exit),
                T_TEST(test_session_with_hook),
                T_TEST(test_session_with_handshake),
                T_TEST(test_session_handshake_kill_at_once),
                T_TEST(test_group_with_hook),
                T_TEST(test_daemon_process_group),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
