/* Tests of a caller with hostile signal state: SIGCHLD ignored, a SIGCHLD handler that reaps
 * every child, every signal blocked, a storm of EINTR, and children of its own that the
 * library must leave alone; with and without pidfds.  Every case restores the caller's signal
 * state in its teardown, even when it fails.
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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include "support/support.h"

/* A library that hangs in a case is killed by SIGALRM after this long (not in the EINTR
 * storm, which uses the same timer). */
#define HANG_ALARM_S 60

/* ---------------------------------------------------------------------------------------
 * The caller's signal state, saved around each case (run in both modes)
 * ------------------------------------------------------------------------------------- */

static struct t_signal_state saved_signals;

static void stop_interval_timer(void)
{
        struct itimerval off = { { 0, 0 }, { 0, 0 } };

        (void)setitimer(ITIMER_REAL, &off, NULL);
}

static int signals_setup(void **state)
{
        t_save_signal_state(&saved_signals);
        alarm(HANG_ALARM_S);
        return t_mode_setup(state);
}

static int signals_teardown(void **state)
{
        sp_test_no_pidfd_group = 0;
        stop_interval_timer();
        t_restore_signal_state(&saved_signals);
        return t_teardown(state);
}

/* A case in both modes, with the caller's signal state restored after it. */
#define BOTH_SIGNAL_MODES(f) T_BOTH_MODES_WITH(f, signals_setup, signals_teardown)

/* ---------------------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------------------- */

/* Whether the library said it could not reap the child and why (the only honest answer when
 * somebody else took the status); fails on any other error. */
#define lost_status(o) lost_status_at((o), __FILE__, __LINE__)

static bool lost_status_at(const struct t_outcome *o, const char *file, int line)
{
        if (o->rc == 0)
                return false;
        if (o->rc != -1 || o->error != ECHILD) {
                print_error("rc %d errno %d (%s): %s; expected success or ECHILD\n", o->rc,
                            o->error, strerror(o->error), o->msg);
                _fail(file, line);
        }
        t_assert_contains(o->msg, "SIGCHLD", file, line);
        return true;
}

/* Fail unless `pid` is gone (reaped by somebody) within the hang guard.  A child reaped by
 * the kernel because SIGCHLD is ignored is no longer waitable (ECHILD) a moment before its pid
 * is released, so look until the deadline. */
static void assert_gone(pid_t pid)
{
        double deadline = t_monotonic_ms() + T_HANG_GUARD_MS;

        while (kill(pid, 0) == 0 && t_monotonic_ms() < deadline) {
                struct timespec step = { 0, 1000 * 1000 };

                nanosleep(&step, NULL);
        }
        errno = 0;
        assert_ll_equal(kill(pid, 0), -1);
        assert_errno_equal(errno, ESRCH);
}

/* How many times each operation ends with the status and how many with ECHILD. */
struct tally {
        int ok;
        int lost;
};

/* 1. subproc_run() of a child exiting 3, with its output captured. */
static void run_exit_three(struct tally *t)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--stdout-text=hello", "--exit=3",
                                      NULL);
        struct t_outcome o;
        char *out = NULL;
        int status = -1;
        double start = t_monotonic_ms();

        subproc_set_output_buffer(c, &out);
        errno = 0;
        t_finish_outcome(&o, subproc_run(c, &status), start);
        if (lost_status(&o)) {
                t->lost++;
        } else {
                assert_ll_equal(status, 3);
                t->ok++;
        }
        /* Either way the output is kept, and nothing is left behind. */
        assert_string_equal(out, "hello");
        assert_ll_equal(subproc_pid(c), -1);
        assert_true(o.elapsed_ms < T_HANG_GUARD_MS);
        free(out);
        subproc_free(c);
}

/* 2. subproc_run_async() and subproc_wait(), after a wait_timeout that gives up. */
static void async_exit_three(struct tally *t)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--sleep-ms=100", "--exit=3",
                                      NULL);
        struct t_outcome o;
        int status = -1;
        pid_t pid;
        double start = t_monotonic_ms();

        assert_ll_equal(subproc_run_async(c, NULL), 0);
        pid = subproc_pid(c);
        errno = 0;
        assert_ll_equal(subproc_wait_timeout(c, &status, 0), -1);
        assert_errno_equal(errno, ETIMEDOUT);
        errno = 0;
        t_finish_outcome(&o, subproc_wait(c, &status), start);
        if (lost_status(&o)) {
                t->lost++;
        } else {
                assert_ll_equal(status, 3);
                t->ok++;
        }
        assert_ll_equal(subproc_pid(c), -1);
        assert_gone(pid);
        assert_true(o.elapsed_ms < T_HANG_GUARD_MS);
        subproc_free(c);
}

/* 3. A timeout: ETIMEDOUT naming SIGTERM, or ECHILD. */
static void run_timing_out(struct tally *t)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--sleep-ms=10000", NULL);
        struct t_outcome o;
        double start = t_monotonic_ms();

        subproc_set_timeout(c, 200, 5000);
        errno = 0;
        t_finish_outcome(&o, subproc_run(c, NULL), start);
        assert_ll_equal(o.rc, -1);
        if (o.error == ETIMEDOUT) {
                assert_contains(o.msg, "SIGTERM");
                assert_killed_by(subproc_status(c), SIGTERM);
                t->ok++;
        } else {
                assert_true(lost_status(&o));
                t->lost++;
        }
        assert_true(o.elapsed_ms < 3000);
        assert_ll_equal(subproc_pid(c), -1);
        subproc_free(c);
}

/* 4. subproc_abort(): returns soon and leaves no child. */
static void abort_sleeping(void)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--sleep-ms=60000", NULL);
        double start;
        pid_t pid;

        assert_ll_equal(subproc_run_async(c, NULL), 0);
        pid = subproc_pid(c);
        start = t_monotonic_ms();
        subproc_abort(c);
        assert_true(t_monotonic_ms() - start < T_HANG_GUARD_MS);
        assert_ll_equal(subproc_pid(c), -1);
        assert_gone(pid);
        subproc_free(c);
}

static void run_all_operations(struct tally *t)
{
        run_exit_three(t);
        async_exit_three(t);
        run_timing_out(t);
        abort_sleeping();
}

/* ---------------------------------------------------------------------------------------
 * SIGCHLD ignored or reaped by the caller
 * ------------------------------------------------------------------------------------- */

/* With SIGCHLD ignored the kernel reaps every child at once: no status can be had, so the
 * library must say so (ECHILD, naming SIGCHLD) rather than invent one or hang. */
static void test_sigchld_ignored(void **state)
{
        struct tally t = { 0, 0 };

        t_enter_mode(state);
        assert_true(signal(SIGCHLD, SIG_IGN) != SIG_ERR);
        run_all_operations(&t);
        print_message("  %d statuses, %d lost\n", t.ok, t.lost);
        /* run and async: the status is gone for sure (the timeout may say ETIMEDOUT). */
        assert_true(t.lost >= 2);
        assert_no_children();
}

/* A timed-out run whose grandchild holds the output pipe, while the kernel reaps every child:
 * the run ends at its deadline and grace (ECHILD, the status being gone), with the output that
 * came, and does not wait for the grandchild.  (Without a pidfd the run looked for its child
 * with wait4(), whose ECHILD never counted as "gone": it read the pipe until the grandchild let
 * go of it, here 30 s.) */
static void test_sigchld_ignored_grandchild_holds_pipe(void **state)
{
        subproc *c = subproc_new_args("/bin/sh", "-c", "sleep 30 & echo $!; exec sleep 30", NULL);
        struct t_outcome o;
        char *out = NULL, *end;
        long grandchild;
        double start;

        t_enter_mode(state);
        assert_true(signal(SIGCHLD, SIG_IGN) != SIG_ERR);
        subproc_set_output_buffer(c, &out);
        subproc_set_timeout(c, 200, 300);
        start = t_monotonic_ms();
        errno = 0;
        t_finish_outcome(&o, subproc_run(c, NULL), start);
        assert_non_null(out);
        grandchild = strtol(out, &end, 10);
        assert_true(end != out && *end == '\n' && grandchild > 1);
        (void)kill((pid_t)grandchild, SIGKILL);
        assert_ll_equal(o.rc, -1);
        assert_true(lost_status(&o));
        assert_true(o.elapsed_ms < 200 + 300 + 2500);
        assert_ll_equal(subproc_pid(c), -1);
        assert_gone((pid_t)grandchild);
        free(out);
        subproc_free(c);
}

static volatile sig_atomic_t reaped_by_handler;

static void reap_everything(int sig)
{
        int saved_errno = errno;

        (void)sig;
        while (waitpid(-1, NULL, WNOHANG) > 0)
                reaped_by_handler++;
        errno = saved_errno;
}

/* A handler that reaps every child races with the library: each run either gets the right
 * status or fails with ECHILD naming SIGCHLD; never a wrong status, a hang or a crash. */
static void test_sigchld_reaping_handler(void **state)
{
        struct sigaction sa = { .sa_handler = reap_everything, .sa_flags = SA_NOCLDSTOP };
        struct tally t = { 0, 0 };

        t_enter_mode(state);
        sigemptyset(&sa.sa_mask);
        reaped_by_handler = 0;
        assert_ll_equal(sigaction(SIGCHLD, &sa, NULL), 0);
        for (int i = 0; i < 5; i++)
                run_all_operations(&t);
        print_message("  %d statuses, %d lost, %d reaped by the handler\n", t.ok, t.lost,
                      (int)reaped_by_handler);
        assert_ll_equal(t.ok + t.lost, 15);
        assert_no_children();
}

/* A start that fails while the kernel reaps every child (SIGCHLD ignored), or a handler does:
 * the failure is reported with its step, as with SIGCHLD at its default, and the last run's
 * status stays.  (Review of issue 17: a blocking run with nothing to serve reads its exec
 * report after the child's exit, and the wait's ECHILD hid the failure.) */
static void test_failed_start_reported_when_reaped_elsewhere(void **state)
{
        struct sigaction sa = { .sa_handler = reap_everything, .sa_flags = SA_NOCLDSTOP };
        char *out = NULL;
        subproc *c;
        int status;

        t_enter_mode(state);
        c = t_helper_exiting(3);
        assert_ll_equal(subproc_run(c, &status), 0);
        assert_ll_equal(status, 3);
        subproc_set_cwd(c, "/nonexistent/subproc-dir");
        assert_true(signal(SIGCHLD, SIG_IGN) != SIG_ERR);
        for (int i = 0; i < 10; i++)
                assert_run_fails(c, ENOENT, "chdir");
        assert_ll_equal(WEXITSTATUS(subproc_status(c)), 3);
        /* The same with a capture, whose pipe is served before the wait. */
        subproc_set_output_buffer(c, &out);
        sigemptyset(&sa.sa_mask);
        assert_ll_equal(sigaction(SIGCHLD, &sa, NULL), 0);
        for (int i = 0; i < 30; i++)
                assert_run_fails(c, ENOENT, "chdir");
        assert_ll_equal(WEXITSTATUS(subproc_status(c)), 3);
        subproc_free(c);
        free(out);
        assert_no_children();
}

/* ---------------------------------------------------------------------------------------
 * Every signal blocked
 * ------------------------------------------------------------------------------------- */

static void test_all_signals_blocked(void **state)
{
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        struct tally t = { 0, 0 };
        sigset_t all, mask;
        char *out;

        t_enter_mode(state);
        sigfillset(&all);
        assert_ll_equal(sigprocmask(SIG_SETMASK, &all, NULL), 0);
        assert_ll_equal(sigprocmask(SIG_SETMASK, NULL, &mask), 0);

        /* The child starts with an empty mask and default dispositions. */
        r = t_run_report(c, &out);
        t_check_child_signals_clean(r);
        t_report_free(r);
        subproc_free(c);
        t_assert_mask_is(&mask);

        /* Waiting, timeouts and aborts need no signal delivered to the caller. */
        run_all_operations(&t);
        assert_ll_equal(t.ok, 3);
        t_assert_mask_is(&mask);
        assert_no_children();
}

/* ---------------------------------------------------------------------------------------
 * An EINTR storm
 * ------------------------------------------------------------------------------------- */

static volatile sig_atomic_t alarms;

static void count_alarm(int sig)
{
        (void)sig;
        alarms++;
}

/* SIGALRM every millisecond, without SA_RESTART: every blocking call of the library gets
 * EINTR over and over. */
static void start_storm(void)
{
        struct sigaction sa = { .sa_handler = count_alarm, .sa_flags = 0 };
        struct itimerval every_ms = { { 0, 1000 }, { 0, 1000 } };

        sigemptyset(&sa.sa_mask);
        alarms = 0;
        assert_ll_equal(sigaction(SIGALRM, &sa, NULL), 0);
        assert_ll_equal(setitimer(ITIMER_REAL, &every_ms, NULL), 0);
}

static void test_eintr_storm(void **state)
{
        const size_t size = 1024 * 1024, send_size = 200000, err_size = 100000;
        char *input = t_make_pattern('0', size), *send = t_make_pattern('s', send_size);
        char *err_expected = t_make_pattern(HELPER_STDERR_SEED, err_size);
        char *report_path = t_make_temp_path(), *out = NULL, *err = NULL, sum[17];
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        struct helper_report *r;
        int status = -1, send_fd, rc, slices = 0;
        struct t_outcome o;
        double start;

        t_enter_mode(state);
        alarm(0);
        /* Every kind of buffer at once, with a timeout that is never reached. */
        subproc_set_input_bytes(c, input, size);
        subproc_set_output_buffer(c, &out);
        subproc_set_error_buffer(c, &err);
        send_fd = subproc_add_send_buffer(c, send, send_size);
        assert_true(send_fd >= 3);
        /* Sleeps first (the library blocks with full pipes) and last (it waits for the end),
         * so that many alarms hit every kind of wait. */
        subproc_add_arg_format(c, "--report=%s", report_path);
        subproc_add_arg(c, "--sleep-ms=100");
        subproc_add_arg_format(c, "--read-fd=%d", send_fd);
        subproc_add_arg(c, "--cat");
        subproc_add_arg_format(c, "--stderr-bytes=%zu", err_size);
        subproc_add_arg(c, "--sleep-ms=100");
        subproc_set_timeout(c, 60000, 1000);

        start_storm();
        rc = subproc_run(c, &status);
        if (rc != 0)
                print_error("subproc_run: %s (errno %d)\n", subproc_errmsg(), errno);
        assert_ll_equal(rc, 0);
        assert_ll_equal(status, 0);
        stop_interval_timer();
        print_message("  %d alarms during the run\n", (int)alarms);
        assert_true(alarms >= 20);
        assert_bytes_equal(out, subproc_output_len(c), input, size);
        assert_bytes_equal(err, subproc_error_len(c), err_expected, err_size);
        r = t_report_read_file(report_path);
        assert_ll_equal(atoll(t_report_getf(r, "read_bytes[%d]", send_fd)), send_size);
        t_format_checksum(sum, helper_checksum(HELPER_CHECKSUM_INIT, send, send_size));
        assert_string_equal(t_report_getf(r, "read_sum[%d]", send_fd), sum);
        t_report_free(r);
        unlink(report_path);

        /* The same through run_async and wait_timeout in slices: giving up is ETIMEDOUT,
         * never EINTR. */
        start_storm();
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        for (;;) {
                errno = 0;
                rc = subproc_wait_timeout(c, &status, 20);
                if (rc == 0)
                        break;
                if (errno != ETIMEDOUT) {
                        stop_interval_timer();
                        fail_msg("wait_timeout: errno %d (%s): %s", errno, strerror(errno),
                                 subproc_errmsg());
                }
                slices++;
                assert_true(slices < 1000);
        }
        stop_interval_timer();
        print_message("  async: %d slices, %d alarms\n", slices, (int)alarms);
        assert_true(alarms >= 20);
        assert_true(slices >= 2);
        assert_ll_equal(status, 0);
        assert_bytes_equal(out, subproc_output_len(c), input, size);
        unlink(report_path);
        subproc_free(c);

        /* A timeout and an abort in the storm. */
        c = subproc_new_args(HELPER_PATH, "--no-report", "--sleep-ms=10000", NULL);
        subproc_set_timeout(c, 200, 0);
        start_storm();
        start = t_monotonic_ms();
        errno = 0;
        t_finish_outcome(&o, subproc_run(c, NULL), start);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        subproc_abort(c);
        stop_interval_timer();
        assert_ll_equal(o.rc, -1);
        assert_errno_equal(o.error, ETIMEDOUT);
        assert_contains(o.msg, "SIGKILL");
        assert_true(o.elapsed_ms < 3000);
        assert_ll_equal(subproc_pid(c), -1);
        subproc_free(c);

        assert_no_children();
        free(input);
        free(send);
        free(err_expected);
        free(report_path);
        free(out);
        free(err);
}

/* ---------------------------------------------------------------------------------------
 * The caller's own children
 * ------------------------------------------------------------------------------------- */

/* The library never reaps a pid it did not start: a zombie and a running child of the
 * caller keep their statuses through every operation. */
static void test_caller_children_untouched(void **state)
{
        struct tally t = { 0, 0 };
        pid_t zombie, running;
        int release[2], status = -1;

        t_enter_mode(state);
        assert_ll_equal(pipe2(release, O_CLOEXEC), 0);
        zombie = fork();
        assert_true(zombie >= 0);
        if (zombie == 0)
                _exit(5);
        running = fork();
        assert_true(running >= 0);
        if (running == 0) {
                char byte;

                close(release[1]);
                while (read(release[0], &byte, 1) < 0 && errno == EINTR)
                        ;
                _exit(6);
        }
        close(release[0]);
        assert_true(t_child_exited(zombie, T_HANG_GUARD_MS));

        run_all_operations(&t);
        assert_ll_equal(t.ok, 3);

        assert_ll_equal(waitpid(running, &status, WNOHANG), 0);
        assert_ll_equal(waitpid(zombie, &status, WNOHANG), zombie);
        assert_true(WIFEXITED(status));
        assert_ll_equal(WEXITSTATUS(status), 5);
        close(release[1]);
        assert_ll_equal(waitpid(running, &status, 0), running);
        assert_true(WIFEXITED(status));
        assert_ll_equal(WEXITSTATUS(status), 6);
        assert_no_children();
}

/* ---------------------------------------------------------------------------------------
 * A recycled process group id
 * ------------------------------------------------------------------------------------- */

/* What the scenario in the pid namespace saw: its exit status. */
enum recycle_result {
        RECYCLE_SPARED = 0,    /* the victim was not signalled */
        RECYCLE_SETUP = 1,     /* something around the library failed */
        RECYCLE_SIGNALLED = 2, /* the victim had a SIGTERM */
        RECYCLE_DIED = 3,      /* the victim is gone */
        RECYCLE_NO_REUSE = 4,  /* the victim did not get the old pid */
        RECYCLE_SKIP = 77,     /* no pid namespace (not root, or a sandbox) */
};

static int victim_reply_fd = -1;

static void victim_on_term(int sig)
{
        (void)sig;
        (void)!write(victim_reply_fd, "T", 1);
}

/* Runs in the victim: leads a process group (whose id is its pid), tells its pid on `reply`,
 * then answers each byte on `cmd` with "P", and any SIGTERM with "T" before that. */
static _Noreturn void victim_main(int cmd, int reply)
{
        struct sigaction sa = { .sa_handler = victim_on_term, .sa_flags = SA_RESTART };
        pid_t me = getpid();
        char byte;
        ssize_t n;

        victim_reply_fd = reply;
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGTERM, &sa, NULL) != 0 || setpgid(0, 0) != 0 ||
            write(reply, &me, sizeof me) != sizeof me)
                _exit(1);
        for (;;) {
                n = read(cmd, &byte, 1);
                if (n == 0)
                        _exit(0);
                if (n > 0)
                        (void)!write(reply, "P", 1);
        }
}

/* Runs in a child of the victim's would-be parent: make the next pid of this namespace
 * `pid` (root may), then fork the victim; exits at once, leaving the victim to the
 * namespace's init, so that it is no child of the process using the library. */
static _Noreturn void spawn_victim_at(pid_t pid, int cmd, int reply)
{
        pid_t victim;

        if (!t_set_next_pid(pid))
                _exit(1);
        victim = fork();
        if (victim == 0)
                victim_main(cmd, reply);
        _exit(victim > 0 ? 0 : 1);
}

/* In a pid namespace, with SIGCHLD ignored: a child leading its process group is killed
 * behind the library's back and reaped by the kernel; a victim takes its pid, so its group
 * has the old group's id; then subproc_free(), which stops a child it still thinks it has. */
/* What the scenario does with the child it loses. */
enum recycle_how {
        RECYCLE_FREE_GROUP,   /* SIGCHLD ignored, a process group, subproc_free() */
        RECYCLE_PID_ABORT,    /* a pid handed out, reaped by the caller, subproc_pid_abort() */
        RECYCLE_HOOK_TIMEOUT, /* SIGCHLD ignored, a hook leaving a process that keeps the
                               * report pipe open, the run's timeout */
};

/* The hook's side of RECYCLE_HOOK_TIMEOUT: the fd it tells the child's pid on. */
static int hook_pid_fd = -1;

/* Leaves a process behind that holds every fd of the child (the library's report pipe too)
 * for a while, so the run cannot see the exec; tells the child's pid. */
static int leave_a_holder_hook(void *opaque)
{
        pid_t me = getpid();

        (void)opaque;
        if (fork() == 0) {
                struct timespec t = { 30, 0 };

                nanosleep(&t, NULL); /* ends with the namespace at the latest */
                _exit(0);
        }
        return write(hook_pid_fd, &me, sizeof me) == sizeof me ? 0 : EIO;
}

static void *run_in_thread(void *c)
{
        (void)subproc_run(c, NULL);
        return NULL;
}

static int recycle_scenario(enum recycle_how how)
{
        struct sigaction ignore = { .sa_handler = SIG_IGN };
        pthread_t runner;
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--sleep-ms=60000", NULL);
        double deadline = t_monotonic_ms() + T_HANG_GUARD_MS;
        int cmd[2], reply[2], status;
        pid_t old = -1, victim;
        char byte = 0;
        ssize_t n;

        sigemptyset(&ignore.sa_mask);
        if ((how == RECYCLE_FREE_GROUP && sigaction(SIGCHLD, &ignore, NULL) != 0) ||
            pipe(cmd) != 0 || pipe(reply) != 0)
                return RECYCLE_SETUP;
        if (how == RECYCLE_FREE_GROUP)
                subproc_set_new_process_group(c);
        if (how == RECYCLE_HOOK_TIMEOUT) {
                /* The child runs the program (which exits at once) and is reaped by the
                 * kernel while the run still waits for the exec's EOF; at the timeout the
                 * run must not kill whoever has the pid by then. */
                int hook_pipe[2];

                subproc_free(c);
                c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
                if (sigaction(SIGCHLD, &ignore, NULL) != 0 || pipe(hook_pipe) != 0)
                        return RECYCLE_SETUP;
                hook_pid_fd = hook_pipe[1];
                /* A hook sees only the fds the program gets: hand it this one. */
                subproc_pass_fd(c, hook_pipe[1], 0);
                subproc_set_pre_exec_hook(c, leave_a_holder_hook, NULL);
                /* A hang ends this scenario, not the suite. */
                alarm((unsigned)(T_HANG_GUARD_MS / 1000 * 3));
                subproc_set_timeout(c, 3000, 0);
                if (pthread_create(&runner, NULL, run_in_thread, c) != 0 ||
                    read(hook_pipe[0], &old, sizeof old) != sizeof old)
                        return RECYCLE_SETUP;
        } else {
                if (subproc_run_async(c, how == RECYCLE_PID_ABORT ? &old : NULL) != 0)
                        return RECYCLE_SETUP;
                old = subproc_pid(c) > 0 ? subproc_pid(c) : old;
                if (kill(old, SIGKILL) != 0)
                        return RECYCLE_SETUP;
        }
        if (how == RECYCLE_PID_ABORT && waitpid(old, &status, 0) != old)
                return RECYCLE_SETUP;
        while (kill(old, 0) == 0 && t_monotonic_ms() < deadline) {
                struct timespec step = { 0, 1000 * 1000 };

                nanosleep(&step, NULL);
        }
        /* The kernel may free the number a moment after kill() stops finding the process
         * (Linux 6.14+ frees pids after dropping its lock): try again until it is free. */
        for (int tries = 0;; tries++) {
                if (fork() == 0)
                        spawn_victim_at(old, cmd[0], reply[1]);
                if (read(reply[0], &victim, sizeof victim) != sizeof victim)
                        return RECYCLE_SETUP;
                if (victim == old)
                        break;
                kill(victim, SIGKILL);
                if (tries == 1000)
                        return RECYCLE_NO_REUSE;
                nanosleep(&(struct timespec){ 0, 1000 * 1000 }, NULL);
        }
        close(cmd[0]);
        close(reply[1]);
        if (how == RECYCLE_PID_ABORT)
                subproc_pid_abort(old);
        if (how == RECYCLE_HOOK_TIMEOUT && pthread_join(runner, NULL) != 0)
                return RECYCLE_SETUP;
        subproc_free(c);
        /* The victim handles a SIGTERM sent before this byte before it answers it. */
        if (write(cmd[1], "x", 1) != 1)
                return RECYCLE_SETUP;
        n = read(reply[0], &byte, 1);
        kill(victim, SIGKILL);
        if (n <= 0)
                return RECYCLE_DIED;
        return byte == 'T' ? RECYCLE_SIGNALLED : byte == 'P' ? RECYCLE_SPARED : RECYCLE_SETUP;
}

/* Runs as pid 1 of the namespace: the scenario runs in a child of its own, so that the
 * victim (adopted by this init) is not the scenario's child; its status is ours. */
static int namespace_init(enum recycle_how how)
{
        pid_t scenario = fork();
        int status;
        pid_t r;

        if (scenario < 0)
                return RECYCLE_SETUP;
        if (scenario == 0)
                _exit(recycle_scenario(how));
        for (;;) {
                r = waitpid(-1, &status, 0);
                if (r == scenario)
                        return WIFEXITED(status) ? WEXITSTATUS(status) : RECYCLE_SETUP;
                if (r < 0 && errno != EINTR)
                        return RECYCLE_SETUP;
        }
}

/* Run the scenario in a pid namespace of its own: its result. */
static int run_recycle_scenario(enum recycle_how how)
{
        pid_t outer = fork();
        int status = -1;

        assert_true(outer >= 0);
        if (outer == 0) {
                pid_t init;

#ifdef __linux__
                if (unshare(CLONE_NEWPID) != 0)
                        _exit(RECYCLE_SKIP);
#else
                _exit(RECYCLE_SKIP); /* pid namespaces, ns_last_pid: Linux only */
#endif
                init = fork();
                if (init == 0)
                        _exit(namespace_init(how));
                if (init < 0 || waitpid(init, &status, 0) != init || !WIFEXITED(status))
                        _exit(RECYCLE_SETUP);
                _exit(WEXITSTATUS(status));
        }
        assert_ll_equal(waitpid(outer, &status, 0), outer);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == RECYCLE_SKIP) {
                print_message("cannot make a pid namespace: %s\n", "not tried");
                skip();
        }
        if (WEXITSTATUS(status) == RECYCLE_SIGNALLED)
                print_error("the victim with the recycled pid had a SIGTERM\n");
        else if (WEXITSTATUS(status) == RECYCLE_DIED)
                print_error("the victim with the recycled pid died\n");
        return WEXITSTATUS(status);
}

/* subproc_free() of a child leading a process group, with SIGCHLD ignored, never signals the
 * group once the kernel has reaped the child: its id may lead a stranger's group by then.
 * Forced here with a victim given that id in a pid namespace. */
static void test_free_spares_recycled_group(void **state)
{
        t_enter_mode(state);
        assert_ll_equal(run_recycle_scenario(RECYCLE_FREE_GROUP), RECYCLE_SPARED);
}

/* The same as on a kernel before 6.9, whose pidfds cannot signal a group: the kill() fallback,
 * after proving the child unreaped through its pidfd or pid. */
static void test_free_spares_recycled_group_old_kernel(void **state)
{
        t_enter_mode(state);
        sp_test_no_pidfd_group = 1; /* back to 0 in signals_teardown() */
        assert_ll_equal(run_recycle_scenario(RECYCLE_FREE_GROUP), RECYCLE_SPARED);
}

/* subproc_pid_abort() of a pid the caller has reaped itself leaves alone the process that has
 * that pid now. */
static void test_pid_abort_spares_recycled_pid(void **state)
{
        t_enter_mode(state);
        assert_ll_equal(run_recycle_scenario(RECYCLE_PID_ABORT), RECYCLE_SPARED);
}

/* A hook left a process holding the report pipe, so the run cannot tell that the program has
 * started (and, SIGCHLD ignored, ended and been reaped); at its timeout it kills the child it
 * thinks is still in its hook, through the pidfd or only while proven unreaped: never the
 * stranger that has the pid by then. */
static void test_hook_timeout_spares_recycled_pid(void **state)
{
        t_enter_mode(state);
        assert_ll_equal(run_recycle_scenario(RECYCLE_HOOK_TIMEOUT), RECYCLE_SPARED);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                BOTH_SIGNAL_MODES(test_sigchld_ignored),
                BOTH_SIGNAL_MODES(test_sigchld_ignored_grandchild_holds_pipe),
                BOTH_SIGNAL_MODES(test_sigchld_reaping_handler),
                BOTH_SIGNAL_MODES(test_failed_start_reported_when_reaped_elsewhere),
                BOTH_SIGNAL_MODES(test_all_signals_blocked),
                BOTH_SIGNAL_MODES(test_eintr_storm),
                BOTH_SIGNAL_MODES(test_caller_children_untouched),
                BOTH_SIGNAL_MODES(test_free_spares_recycled_group),
                BOTH_SIGNAL_MODES(test_pid_abort_spares_recycled_pid),
                BOTH_SIGNAL_MODES(test_free_spares_recycled_group_old_kernel),
                BOTH_SIGNAL_MODES(test_hook_timeout_spares_recycled_pid),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
