/* Tests of lifetimes: a child with a death signal gets it within a second of its caller's
 * death (SIGKILL included), and on Linux of the death of the *thread* that spawned it; the
 * signal survives a credential change; a child whose caller died during the spawn never runs
 * the program; subproc_exit_with_parent(); death signal with daemonize is an error.
 *
 * The test process becomes a subreaper in the cases where a middle process dies, so the
 * orphaned grandchild is adopted by the test and its status can be checked.
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
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/support.h"

/* The issue asked for the signal within a second, and it comes at once; but how soon the
 * killed process is scheduled to die is the machine's, so the assertion only catches a
 * death signal that never comes (a slower one is printed). */
#define DEATH_SIGNAL_BOUND_MS ((double)T_HANG_GUARD_SHORT_MS)
#define DEATH_SIGNAL_EXPECTED_MS 1000.0

/* ---------------------------------------------------------------------------------------
 * A middle process that spawns the helper, reports its pid, and waits to be killed
 * ------------------------------------------------------------------------------------- */

struct middle {
        pid_t pid;        /* the middle process, our child */
        pid_t grandchild; /* the helper it started */
        int stop_fd;      /* closing it ends the middle (the hang guard) */
};

/* Runs in the forked middle process: no cmocka.  Writes the grandchild's pid (or -errno) to
 * report_fd, then waits until stop_fd reaches EOF or it is killed. */
static void middle_main(subproc *c, int report_fd, int stop_fd)
{
        pid_t pid = -1;
        char byte;
        long value;

        value = subproc_run_async(c, &pid) == 0 ? (long)pid : -(long)errno;
        if (write(report_fd, &value, sizeof value) != sizeof value)
                _exit(2);
        while (read(stop_fd, &byte, 1) < 0 && errno == EINTR)
                ;
        _exit(0);
}

/* Fork a middle process that runs `c` with subproc_run_async() and reports the pid. */
static void middle_start(struct middle *m, subproc *c)
{
        int report[2], stop[2];
        long value = 0;

        assert_ll_equal(pipe2(report, O_CLOEXEC), 0);
        assert_ll_equal(pipe2(stop, O_CLOEXEC), 0);
        m->pid = fork();
        assert_true(m->pid >= 0);
        if (m->pid == 0) {
                close(report[0]);
                close(stop[1]);
                middle_main(c, report[1], stop[0]);
        }
        close(report[1]);
        close(stop[0]);
        m->stop_fd = stop[1];
        t_read_exact(report[0], &value, sizeof value, T_HANG_GUARD_SHORT_MS);
        close(report[0]);
        if (value <= 0)
                print_error("the middle process could not start the helper: %s\n",
                            strerror((int)-value));
        assert_true(value > 0);
        m->grandchild = (pid_t)value;
}

/* SIGKILL the middle process and reap it. */
static void middle_kill(struct middle *m)
{
        int status;

        assert_ll_equal(kill(m->pid, SIGKILL), 0);
        status = t_reap(m->pid, T_HANG_GUARD_SHORT_MS);
        assert_true(WIFSIGNALED(status));
        close(m->stop_fd);
}

/* A helper that would sleep a minute: only a signal ends it in time. */
static subproc *sleeper(int death_signal)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--sleep-ms=60000", NULL);

        if (death_signal != 0)
                subproc_set_death_signal(c, death_signal);
        return c;
}

/* ---------------------------------------------------------------------------------------
 * The caller dies
 * ------------------------------------------------------------------------------------- */

static void test_death_signal_when_caller_killed(void **state)
{
        static const int signals[] = { SIGKILL, SIGTERM, SIGUSR1 };

        t_become_subreaper();
        for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
                subproc *c = sleeper(signals[i]);
                struct middle m;
                double start, took;
                int status;

                middle_start(&m, c);
                subproc_free(c);
                /* The helper has exec'd: run_async returns after exec. */
                assert_true(t_is_helper(m.grandchild));

                start = t_monotonic_ms();
                middle_kill(&m);
                took = t_wait_exit(m.grandchild, T_HANG_GUARD_SHORT_MS);
                if (took < 0)
                        print_error("signal %d: the grandchild still runs\n", signals[i]);
                else
                        took = t_monotonic_ms() - start;
                if (took > DEATH_SIGNAL_EXPECTED_MS)
                        print_error("signal %d: the grandchild ended after %.0f ms\n", signals[i],
                                    took);
                assert_true(took >= 0 && took <= DEATH_SIGNAL_BOUND_MS);
                /* We adopted it: it died by exactly that signal. */
                status = t_reap(m.grandchild, T_HANG_GUARD_SHORT_MS);
                assert_true(WIFSIGNALED(status));
                assert_ll_equal(WTERMSIG(status), signals[i]);
        }
}

static void test_no_death_signal_by_default(void **state)
{
        subproc *c = sleeper(0);
        struct middle m;
        int status;

        t_become_subreaper();
        middle_start(&m, c);
        subproc_free(c);
        middle_kill(&m);
        /* Without a death signal the orphan runs on (we adopted it): stop it ourselves. */
        assert_ll_equal(waitpid(m.grandchild, &status, WNOHANG), 0);
        assert_ll_equal(kill(m.grandchild, SIGKILL), 0);
        status = t_reap(m.grandchild, T_HANG_GUARD_SHORT_MS);
        assert_ll_equal(WTERMSIG(status), SIGKILL);
}

/* The hook runs before the death signal is armed: it tells the test its pid, kills the caller
 * and waits until it is orphaned, so the caller is dead by the time the signal is armed.
 * Async-signal-safe calls only. */
static int kill_caller_hook(void *opaque)
{
        const int *report_fd = opaque;
        pid_t parent = getppid();
        long self = (long)getpid();

        if (write(*report_fd, &self, sizeof self) != sizeof self)
                return EIO;
        kill(parent, SIGKILL);
        while (getppid() == parent)
                sched_yield();
        return 0;
}

static void test_caller_died_during_spawn(void **state)
{
        char *dir = t_open_dir(), *marker = t_path(dir, "ran");
        const char *const names[] = { "ran", NULL };
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        int report[2], status;
        long grandchild = -1;
        pid_t middle;

        assert_ll_equal(pipe2(report, O_CLOEXEC), 0);
        subproc_add_arg_format(c, "--write-file=%s", marker);
        subproc_add_arg(c, "--sleep-ms=60000");
        subproc_set_death_signal(c, SIGTERM);
        subproc_set_pre_exec_hook(c, kill_caller_hook, &report[1]);
        subproc_pass_fd(c, report[1], 0);
        t_become_subreaper();
        middle = fork();
        assert_true(middle >= 0);
        if (middle == 0) {
                close(report[0]);
                (void)subproc_run_async(c, NULL);
                _exit(3);
        }
        close(report[1]);
        t_read_exact(report[0], &grandchild, sizeof grandchild, T_HANG_GUARD_SHORT_MS);
        close(report[0]);
        assert_true(grandchild > 0);
        status = t_reap(middle, T_HANG_GUARD_SHORT_MS);
        assert_true(WIFSIGNALED(status));
        assert_ll_equal(WTERMSIG(status), SIGKILL);

        /* The orphaned grandchild came to us; it must end at once without running the
         * program (which would write the marker and sleep a minute). */
        status = t_reap((pid_t)grandchild, T_HANG_GUARD_SHORT_MS);
        assert_false(t_file_exists(marker));
        if (WIFSIGNALED(status))
                assert_ll_equal(WTERMSIG(status), SIGTERM);
        else
                assert_true(WIFEXITED(status) && WEXITSTATUS(status) != 0);
        subproc_free(c);
        free(marker);
        t_remove_dir(dir, names);
}

/* ---------------------------------------------------------------------------------------
 * The spawning thread dies
 * ------------------------------------------------------------------------------------- */

struct spawner {
        pid_t pid;
        int spawned_fd; /* the thread writes its result here */
        int go_fd;      /* the thread exits once this reaches EOF */
};

static void *spawn_then_exit(void *arg)
{
        struct spawner *s = arg;
        subproc *c = sleeper(SIGTERM);
        char byte = 'S';

        if (subproc_run_async(c, &s->pid) != 0)
                s->pid = -1;
        /* The pid was handed out: free leaves the child alone. */
        subproc_free(c);
        if (write(s->spawned_fd, &byte, 1) != 1)
                return NULL;
        while (read(s->go_fd, &byte, 1) < 0 && errno == EINTR)
                ;
        return NULL;
}

/* On Linux PR_SET_PDEATHSIG follows the thread that created the child, not the process: a
 * child spawned from a short-lived thread gets its death signal when that thread exits,
 * although the caller lives on.  This case pins down that documented behaviour. */
static void test_death_signal_follows_thread(void **state)
{
        struct spawner s = { .pid = -1 };
        pthread_t thread;
        int spawned[2], go[2], status;
        double start, took;
        char byte = 0;

        assert_ll_equal(pipe2(spawned, O_CLOEXEC), 0);
        assert_ll_equal(pipe2(go, O_CLOEXEC), 0);
        s.spawned_fd = spawned[1];
        s.go_fd = go[0];
        assert_ll_equal(pthread_create(&thread, NULL, spawn_then_exit, &s), 0);
        t_read_exact(spawned[0], &byte, 1, T_HANG_GUARD_SHORT_MS);
        assert_true(s.pid > 0);
        /* While the thread lives, so does the child. */
        assert_true(t_is_helper(s.pid));
        assert_ll_equal(waitpid(s.pid, &status, WNOHANG), 0);

        /* Let the thread exit; the process (this test) lives on. */
        start = t_monotonic_ms();
        close(go[1]);
        assert_ll_equal(pthread_join(thread, NULL), 0);
        close(go[0]);
        close(spawned[0]);
        close(spawned[1]);
        took = t_wait_exit(s.pid, T_HANG_GUARD_SHORT_MS);
        if (took >= 0)
                took = t_monotonic_ms() - start;
        else
                print_error("the child still runs after its thread exited\n");
        assert_true(took >= 0 && took <= DEATH_SIGNAL_BOUND_MS);
        status = t_reap(s.pid, T_HANG_GUARD_SHORT_MS);
        assert_true(WIFSIGNALED(status));
        assert_ll_equal(WTERMSIG(status), SIGTERM);
}

/* ---------------------------------------------------------------------------------------
 * The child sees its death signal
 * ------------------------------------------------------------------------------------- */

static void test_death_signal_reported(void **state)
{
        static const int signals[] = { 0, SIGTERM, SIGKILL, SIGHUP };

        for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
                subproc *c = subproc_new(HELPER_PATH);
                struct helper_report *r;
                char *out = NULL;

                if (signals[i] != 0)
                        subproc_set_death_signal(c, signals[i]);
                r = t_run_report(c, &out);
                assert_ll_equal(t_report_get_int(r, "pdeathsig"), signals[i]);
                t_report_free(r);
                subproc_free(c);
        }
}

static void test_death_signal_survives_set_uid(void **state)
{
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        char *out = NULL;

        t_require_root();
        /* A credential change clears PR_SET_PDEATHSIG: the library must arm it after. */
        subproc_set_death_signal(c, SIGTERM);
        subproc_set_gid(c, 65534);
        subproc_set_uid(c, 65534);
        r = t_run_report(c, &out);
        assert_ll_equal(t_report_get_int(r, "uid"), 65534);
        assert_ll_equal(t_report_get_int(r, "euid"), 65534);
        assert_ll_equal(t_report_get_int(r, "gid"), 65534);
        assert_ll_equal(t_report_get_int(r, "pdeathsig"), SIGTERM);
        t_report_free(r);
        subproc_free(c);
}

static void test_death_signal_with_daemonize(void **state)
{
        char *dir = t_open_dir(), *marker = t_path(dir, "ran");
        const char *const names[] = { "ran", NULL };
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);

        subproc_add_arg_format(c, "--write-file=%s", marker);
        subproc_set_death_signal(c, SIGTERM);
        subproc_daemonize(c);
        assert_run_fails(c, EINVAL, NULL);
        assert_ll_equal(subproc_daemon_pid(c), -1);
        assert_false(t_file_exists(marker));
        subproc_free(c);
        free(marker);
        t_remove_dir(dir, names);
}

static void test_death_signal_invalid(void **state)
{
        static const int bad[] = { 0, -1, NSIG, 1000 };

        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);

                subproc_set_death_signal(c, bad[i]);
                assert_run_fails(c, EINVAL, NULL);
                subproc_free(c);
        }
}

/* ---------------------------------------------------------------------------------------
 * subproc_exit_with_parent()
 * ------------------------------------------------------------------------------------- */

static void test_exit_with_parent(void **state)
{
        int report[2], status;
        pid_t middle, grandchild = -1;
        long rc = -1;
        double start, took;

        assert_true(subproc_can_exit_with_parent());
        t_become_subreaper();
        assert_ll_equal(pipe2(report, O_CLOEXEC), 0);
        middle = fork();
        assert_true(middle >= 0);
        if (middle == 0) {
                pid_t pid = fork();

                if (pid == 0) {
                        /* 0 or -errno: never mistaken for the pid. */
                        long result = subproc_exit_with_parent() == 0 ? 0 : -errno;

                        if (write(report[1], &result, sizeof result) != sizeof result)
                                _exit(2);
                        for (;;)
                                pause();
                }
                if (write(report[1], &(long){ pid }, sizeof(long)) != sizeof(long))
                        _exit(2);
                for (;;)
                        pause();
        }
        close(report[1]);
        /* The middle's report (the pid) and the grandchild's (the result) may come in either
         * order; the pid is the one > 0 unless the fork failed. */
        {
                long values[2];

                t_read_exact(report[0], values, sizeof values, T_HANG_GUARD_SHORT_MS);
                grandchild = (pid_t)(values[0] > 0 ? values[0] : values[1]);
                rc = values[0] > 0 ? values[1] : values[0];
        }
        close(report[0]);
        assert_true(grandchild > 0);
        assert_ll_equal(rc, 0);

        start = t_monotonic_ms();
        assert_ll_equal(kill(middle, SIGKILL), 0);
        status = t_reap(middle, T_HANG_GUARD_SHORT_MS);
        assert_true(WIFSIGNALED(status));
        took = t_wait_exit(grandchild, T_HANG_GUARD_SHORT_MS);
        if (took >= 0)
                took = t_monotonic_ms() - start;
        assert_true(took >= 0 && took <= DEATH_SIGNAL_BOUND_MS);
        status = t_reap(grandchild, T_HANG_GUARD_SHORT_MS);
        assert_true(WIFSIGNALED(status));
        assert_ll_equal(WTERMSIG(status), SIGTERM);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                T_TEST(test_death_signal_when_caller_killed),
                T_TEST(test_no_death_signal_by_default),
                T_TEST(test_caller_died_during_spawn),
                T_TEST(test_death_signal_follows_thread),
                T_TEST(test_death_signal_reported),
                T_TEST(test_death_signal_survives_set_uid),
                T_TEST(test_death_signal_with_daemonize),
                T_TEST(test_death_signal_invalid),
                T_TEST(test_exit_with_parent),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
