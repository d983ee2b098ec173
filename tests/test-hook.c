/* Tests of the pre-exec hook: it runs in the child (the process that becomes the program),
 * after the pidfile, rlimits and umask and before chdir and the privilege drop; a non-zero
 * return stops the child and fails the run with that errno and a message naming the hook.
 *
 * Hooks here use only async-signal-safe calls: they report through a pipe passed to the child
 * with subproc_pass_fd(), with write().
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
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/support.h"

#define NOBODY 65534

/* What a hook sees of itself, written to the pipe as one record. */
struct hook_view {
        long pid;
        long ppid;
        long euid;
        long umask;
        int pidfile_locked;    /* a fresh open of the pidfile sees a lock */
        char pidfile_text[32]; /* its content */
        char cwd[PATH_MAX];
};

struct hook_arg {
        int fd;              /* the write end of the report pipe, passed to the child */
        const char *pidfile; /* NULL: none */
        int result;          /* what the hook returns */
};

/* Runs in the child: async-signal-safe only. */
static int observing_hook(void *opaque)
{
        const struct hook_arg *arg = opaque;
        struct hook_view view;
        ssize_t len;
        mode_t mask;

        memset(&view, 0, sizeof view);
        view.pid = (long)getpid();
        view.ppid = (long)getppid();
        view.euid = (long)geteuid();
        mask = umask(0);
        umask(mask);
        view.umask = (long)mask;
        len = readlink("/proc/self/cwd", view.cwd, sizeof view.cwd - 1);
        if (len < 0)
                view.cwd[0] = '\0';
        view.pidfile_locked = -1;
        if (arg->pidfile != NULL) {
                int fd = open(arg->pidfile, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

                if (fd >= 0) {
                        view.pidfile_locked = t_pidfile_lock_conflict(fd, false);
                        len = pread(fd, view.pidfile_text, sizeof view.pidfile_text - 1, 0);
                        if (len < 0)
                                view.pidfile_text[0] = '\0';
                        close(fd);
                }
        }
        if (write(arg->fd, &view, sizeof view) != (ssize_t)sizeof view)
                return EIO;
        return arg->result;
}

/* A pipe for the hook's report: the write end is passed to the child. */
static void hook_pipe(subproc *c, struct hook_arg *arg, int fds[2])
{
        assert_ll_equal(pipe2(fds, O_CLOEXEC), 0);
        arg->fd = fds[1];
        subproc_pass_fd(c, fds[1], 0);
        subproc_set_pre_exec_hook(c, observing_hook, arg);
}

/* After the run: the hook's record, which must be there. */
static void hook_view_read(const int fds[2], struct hook_view *view)
{
        t_read_exact(fds[0], view, sizeof *view, T_HANG_GUARD_SHORT_MS);
}

static void hook_pipe_close(const int fds[2])
{
        close(fds[0]);
        close(fds[1]);
}

static void test_hook_runs_in_child(void **state)
{
        subproc *c = subproc_new(HELPER_PATH);
        struct hook_arg arg = { .result = 0 };
        struct helper_report *r;
        struct hook_view view;
        char *out = NULL;
        int fds[2];

        hook_pipe(c, &arg, fds);
        r = t_run_report(c, &out);
        hook_view_read(fds, &view);
        /* The hook ran in the process that then became the program, a child of ours. */
        assert_ll_equal(view.pid, t_report_get_int(r, "pid"));
        assert_true(view.pid != (long)getpid());
        assert_ll_equal(view.ppid, getpid());
        t_report_free(r);

        /* And again on a rerun. */
        r = t_run_report_again(c, &out);
        hook_view_read(fds, &view);
        assert_ll_equal(view.pid, t_report_get_int(r, "pid"));
        t_report_free(r);
        hook_pipe_close(fds);
        subproc_free(c);
}

static void test_hook_failure_stops_child(void **state)
{
        static const struct {
                int result;
                int expected_errno;
        } cases[] = {
                { EPERM, EPERM },
                { ENOSPC, ENOSPC },
                { -1, ECANCELED },
        };
        char *dir = t_open_dir(), *marker = t_path(dir, "ran");
        const char *const names[] = { "ran", NULL };

        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                for (int async = 0; async < 2; async++) {
                        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
                        struct hook_arg arg = { .result = cases[i].result };
                        struct hook_view view;
                        int fds[2];

                        subproc_add_arg_format(c, "--write-file=%s", marker);
                        hook_pipe(c, &arg, fds);
                        if (async)
                                assert_run_async_fails(c, cases[i].expected_errno, "hook");
                        else
                                assert_run_fails(c, cases[i].expected_errno, "hook");
                        assert_ll_equal(subproc_errstage(), SUBPROC_STAGE_SETUP);
                        /* The hook did run; the program did not. */
                        hook_view_read(fds, &view);
                        hook_pipe_close(fds);
                        assert_true(view.pid > 0);
                        assert_false(t_file_exists(marker));
                        subproc_free(c);
                }
        }
        free(marker);
        t_remove_dir(dir, names);
}

static void test_hook_sees_setup_done(void **state)
{
        char *dir = t_make_temp_dir(), *pidfile = t_path(dir, "pid"), *out = NULL;
        const char *const names[] = { "pid", NULL };
        subproc *c = subproc_new(HELPER_PATH);
        struct hook_arg arg = { .result = 0, .pidfile = pidfile };
        struct helper_report *r;
        struct hook_view view;
        char expected[32], cwd[PATH_MAX];
        int fds[2];

        assert_non_null(getcwd(cwd, sizeof cwd));
        hook_pipe(c, &arg, fds);
        subproc_set_pidfile(c, pidfile);
        subproc_set_umask(c, 027);
        subproc_set_cwd(c, dir);
        r = t_run_report(c, &out);
        hook_view_read(fds, &view);
        hook_pipe_close(fds);

        /* The pidfile is already held, with the pid of the process the hook runs in. */
        assert_ll_equal(view.pidfile_locked, 1);
        snprintf(expected, sizeof expected, "%ld\n", view.pid);
        assert_string_equal(view.pidfile_text, expected);
        /* The umask is applied... */
        assert_ll_equal(view.umask, 027);
        /* ...the cwd is not yet: the hook runs before chdir. */
        assert_string_equal(view.cwd, cwd);
        assert_string_equal(t_report_get(r, "cwd"), dir);
        t_report_free(r);
        subproc_free(c);
        free(pidfile);
        t_remove_dir(dir, names);
}

static void test_hook_runs_before_privilege_drop(void **state)
{
        subproc *c = subproc_new(HELPER_PATH);
        struct hook_arg arg = { .result = 0 };
        struct helper_report *r;
        struct hook_view view;
        char *out = NULL;
        int fds[2];

        t_require_root();
        hook_pipe(c, &arg, fds);
        subproc_set_uid(c, NOBODY);
        subproc_set_gid(c, NOBODY);
        subproc_clear_caps(c);
        r = t_run_report(c, &out);
        hook_view_read(fds, &view);
        hook_pipe_close(fds);
        assert_ll_equal(view.euid, 0);
        assert_ll_equal(t_report_get_int(r, "euid"), NOBODY);
        t_report_free(r);
        subproc_free(c);
}

static void test_hook_in_daemon(void **state)
{
        char *dir = t_make_temp_dir(), *pidfile = t_path(dir, "pid");
        const char *const names[] = { "pid", NULL };
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--sleep-ms=60000", NULL);
        struct hook_arg arg = { .result = 0, .pidfile = pidfile };
        struct hook_view view;
        int fds[2];
        pid_t daemon;

        hook_pipe(c, &arg, fds);
        subproc_set_pidfile(c, pidfile);
        subproc_daemonize(c);
        if (subproc_run(c, NULL) != 0)
                print_error("subproc_run: %s\n", subproc_errmsg());
        daemon = subproc_daemon_pid(c);
        assert_true(daemon > 0);
        t_track(daemon);
        hook_view_read(fds, &view);
        hook_pipe_close(fds);
        /* It ran in the daemon itself, which already held the pidfile. */
        assert_ll_equal(view.pid, daemon);
        assert_ll_equal(view.pidfile_locked, 1);
        assert_ll_equal(t_stop_pidfile(pidfile), 0);
        assert_true(t_wait_exit(daemon, T_HANG_GUARD_SHORT_MS) >= 0);
        subproc_free(c);
        free(pidfile);
        t_remove_dir(dir, names);
}

static int never_called_hook(void *opaque)
{
        return EPERM;
}

static int succeeding_hook(void *opaque)
{
        return 0;
}

static void test_hook_bad_arguments(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);

        /* Set twice: the latest call wins (include/subproc.h, "Construction"). */
        subproc_set_pre_exec_hook(c, never_called_hook, NULL);
        subproc_set_pre_exec_hook(c, succeeding_hook, NULL);
        assert_ll_equal(subproc_run(c, NULL), 0);
        subproc_free(c);
        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_set_pre_exec_hook(c, NULL, NULL);
        assert_run_fails(c, EINVAL, NULL);
        subproc_free(c);
}

/* ---------------------------------------------------------------------------------------
 * What a hook can do, and what it leaves (issue 11, items 13 and 19)
 * ------------------------------------------------------------------------------------- */

/* Runs in the child: async-signal-safe only.  Opens an fd without O_CLOEXEC and keeps it. */
static int fd_opening_hook(void *opaque)
{
        (void)opaque;
        return open("/dev/null", O_RDONLY) < 0 ? errno : 0;
}

/* An fd a hook opens never reaches the program ("no other fd"), as CPython closes the fds
 * left after its preexec_fn. */
static void test_hook_fd_does_not_reach_program(void **state)
{
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        char *out = NULL, *fds;

        subproc_set_pre_exec_hook(c, fd_opening_hook, NULL);
        r = t_run_report(c, &out);
        fds = t_report_fd_set(r);
        assert_string_equal(fds, "0 1 2");
        free(fds);
        t_report_free(r);
        subproc_free(c);
}

struct dup_arg {
        int target; /* a number the program gets: the hook dup2()s /dev/zero onto it */
};

/* Runs in the child: async-signal-safe only. */
static int fd_handing_hook(void *opaque)
{
        const struct dup_arg *arg = opaque;
        int fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);

        if (fd < 0 || dup2(fd, arg->target) < 0)
                return errno;
        close(fd);
        return 0;
}

/* The documented way for a hook to hand the program an fd: dup2() onto a number it gets. */
static void test_hook_hands_fd_by_number(void **state)
{
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        struct dup_arg arg;
        char *out = NULL, *fds, want[32];
        int p[2];

        assert_ll_equal(pipe2(p, O_CLOEXEC), 0);
        arg.target = p[0];
        subproc_pass_fd(c, p[0], 0);
        subproc_set_pre_exec_hook(c, fd_handing_hook, &arg);
        r = t_run_report(c, &out);
        fds = t_report_fd_set(r);
        snprintf(want, sizeof want, "0 1 2 %d", p[0]);
        assert_string_equal(fds, want);
        assert_string_equal(t_report_getf(r, "fdlink[%d]", p[0]), "/dev/zero");
        free(fds);
        t_report_free(r);
        close(p[0]);
        close(p[1]);
        subproc_free(c);
}

struct fd_view_arg {
        int report_fd; /* passed: where the hook writes what it sees */
        int probe_fd;  /* one of the caller's fds, not passed */
};

/* What a hook sees of its fds: whether the caller's probe fd is open, and how many fds
 * without close-on-exec it has (the program's). */
struct fd_view {
        int probe_open;
        int inheritable;
};

/* Runs in the child: async-signal-safe only. */
static int fd_viewing_hook(void *opaque)
{
        const struct fd_view_arg *arg = opaque;
        struct fd_view view = { 0, 0 };

        view.probe_open = fcntl(arg->probe_fd, F_GETFD) >= 0;
        for (int fd = 0; fd < 1024; fd++) {
                int flags = fcntl(fd, F_GETFD);

                if (flags >= 0 && !(flags & FD_CLOEXEC))
                        view.inheritable++;
        }
        return write(arg->report_fd, &view, sizeof view) == (ssize_t)sizeof view ? 0 : EIO;
}

static void hook_fd_view(bool handshake, bool probe_cloexec, struct fd_view *view)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        struct fd_view_arg arg;
        int p[2], status = -1;

        assert_ll_equal(pipe2(p, O_CLOEXEC), 0);
        arg.report_fd = p[1];
        arg.probe_fd = open("/dev/null", O_RDONLY | (probe_cloexec ? O_CLOEXEC : 0));
        assert_true(arg.probe_fd >= 0);
        subproc_pass_fd(c, p[1], 0);
        subproc_set_pre_exec_hook(c, fd_viewing_hook, &arg);
        if (handshake) {
                subproc_require_handshake(c);
                assert_ll_equal(subproc_run_async(c, NULL), 0);
                assert_ll_equal(subproc_handshake_release(c), 0);
                assert_ll_equal(subproc_wait(c, &status), 0);
        } else {
                assert_ll_equal(subproc_run(c, &status), 0);
        }
        assert_ll_equal(status, 0);
        t_read_exact(p[0], view, sizeof *view, T_HANG_GUARD_SHORT_MS);
        close(arg.probe_fd);
        close(p[0]);
        close(p[1]);
        subproc_free(c);
}

/* The hook sees the same fds with and without a handshake: none of the caller's unpassed
 * ones (they were open in it without a handshake, marked close-on-exec only), and exactly
 * the program's inheritable ones (0, 1, 2 and the passed pipe). */
static void test_hook_fds_same_with_handshake(void **state)
{
        for (int i = 0; i < 4; i++) {
                struct fd_view view = { -1, -1 };

                hook_fd_view(i & 1, i & 2, &view);
                print_message("  handshake %d, probe cloexec %d: probe open %d, inheritable %d\n",
                              i & 1, !!(i & 2), view.probe_open, view.inheritable);
                assert_ll_equal(view.probe_open, 0);
                assert_ll_equal(view.inheritable, 4);
        }
}

/* Runs in the child: async-signal-safe only.  Writes its signal mask, as 64 bits. */
static int mask_reporting_hook(void *opaque)
{
        const int *fd = opaque;
        uint64_t bits = 0;
        sigset_t set;

        if (sigprocmask(SIG_SETMASK, NULL, &set) < 0)
                return errno;
        for (int sig = 1; sig <= 64; sig++)
                if (sigismember(&set, sig) == 1)
                        bits |= UINT64_C(1) << (sig - 1);
        return write(*fd, &bits, sizeof bits) == (ssize_t)sizeof bits ? 0 : EIO;
}

/* A hook runs with the program's mask: a child stuck in it still dies of SIGTERM. */
static void test_hook_mask_is_program_mask(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        uint64_t bits = ~UINT64_C(0);
        int p[2];

        assert_ll_equal(pipe2(p, O_CLOEXEC), 0);
        subproc_pass_fd(c, p[1], 0);
        subproc_set_pre_exec_hook(c, mask_reporting_hook, &p[1]);
        assert_ll_equal(subproc_run(c, NULL), 0);
        t_read_exact(p[0], &bits, sizeof bits, T_HANG_GUARD_SHORT_MS);
        assert_ll_equal(bits, 0);
        close(p[0]);
        close(p[1]);
        subproc_free(c);
}

/* Runs in the child: async-signal-safe only.  Says its pid, then never returns. */
static int hanging_hook(void *opaque)
{
        const int *fd = opaque;
        long pid = (long)getpid();

        if (fd && write(*fd, &pid, sizeof pid) != (ssize_t)sizeof pid)
                return EIO;
        for (;;)
                pause();
}

#define HANG_ALARM_S 60 /* only a hang (the old code) gets this far: it ends the test binary */

/* A hook that never returns: the run's timeout still ends the run, and the child. */
static void test_hook_hang_times_out(void **state)
{
        for (int handshake = 0; handshake < 2; handshake++) {
                subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
                double start = t_monotonic_ms();
                int r;

                subproc_set_pre_exec_hook(c, hanging_hook, NULL);
                subproc_set_timeout(c, 300, 0);
                alarm(HANG_ALARM_S);
                errno = 0;
                if (handshake) {
                        subproc_require_handshake(c);
                        assert_ll_equal(subproc_run_async(c, NULL), 0);
                        r = subproc_handshake_wait(c);
                } else {
                        r = subproc_run(c, NULL);
                }
                alarm(0);
                assert_ll_equal(r, -1);
                assert_errno_equal(errno, ETIMEDOUT);
                print_message("  handshake %d: %s (%.0f ms)\n", handshake, subproc_errmsg(),
                              t_monotonic_ms() - start);
                assert_ll_equal(subproc_pid(c), -1);
                subproc_free(c);
        }
}

/* The fd a leaving hook tells its holder's pid on. */
static int holder_pid_fd = -1;

/* Leaves a process behind that holds the child's fds (the report pipe too) until killed (or
 * HANG_ALARM_S later at most). */
static int leaving_hook(void *opaque)
{
        pid_t holder = fork();

        (void)opaque;
        if (holder == 0) {
                alarm(HANG_ALARM_S); /* gone by then even if the case fails before its kill */
                pause();
                _exit(0);
        }
        return write(holder_pid_fd, &holder, sizeof holder) == sizeof holder ? 0 : EIO;
}

/* After a handshake's release, the wait for the exec report is bounded by the run's timeout
 * too: a process the hook left behind keeps the pipe open, and the program has exec'd. */
static void test_handshake_release_bounded_by_timeout(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--sleep-ms=60000", NULL);
        int fds[2], r;
        pid_t holder = -1;

        (void)state;
        assert_ll_equal(pipe2(fds, O_CLOEXEC), 0);
        holder_pid_fd = fds[1];
        subproc_pass_fd(c, fds[1], 0);
        subproc_set_pre_exec_hook(c, leaving_hook, NULL);
        subproc_require_handshake(c);
        subproc_set_timeout(c, 1000, 0);
        alarm(HANG_ALARM_S);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        assert_ll_equal(subproc_handshake_wait(c), 0);
        t_read_exact(fds[0], &holder, sizeof holder, T_HANG_GUARD_SHORT_MS);
        errno = 0;
        r = subproc_handshake_release(c);
        alarm(0);
        kill(holder, SIGKILL);
        assert_ll_equal(r, -1);
        assert_errno_equal(errno, ETIMEDOUT);
        assert_ll_equal(subproc_pid(c), -1);
        subproc_free(c);
        close(fds[0]);
        close(fds[1]);
}

/* A daemon whose hook never returns: the run's timeout ends the run and the daemon, in its
 * intermediate's group or in one of its own, with or without a handshake. */
static void test_hook_hang_in_daemon_times_out(void **state)
{
        int self = t_pidfd_open(getpid());

        if (self >= 0)
                close(self);
        for (int variant = 0; variant < 3; variant++) {
                subproc *c;
                long daemon = -1;
                int p[2], r;

                if (variant == 1 && self < 0) {
                        /* valgrind 3.19, Linux < 5.3: no proof it is ours, so not killed. */
                        print_message("  variant 1 skipped: no pidfd_open here\n");
                        continue;
                }
                c = subproc_new_args(HELPER_PATH, "--no-report", NULL);

                assert_ll_equal(pipe2(p, O_CLOEXEC), 0);
                subproc_pass_fd(c, p[1], 0);
                subproc_set_pre_exec_hook(c, hanging_hook, &p[1]);
                subproc_daemonize(c);
                subproc_set_timeout(c, 300, 0);
                if (variant == 1)
                        subproc_set_new_process_group(c);
                if (variant == 2)
                        subproc_require_handshake(c);
                alarm(HANG_ALARM_S);
                errno = 0;
                r = subproc_run(c, NULL);
                alarm(0);
                close(p[1]);
                print_message("  variant %d: %s\n", variant, subproc_errmsg());
                assert_ll_equal(r, -1);
                assert_errno_equal(errno, ETIMEDOUT);
                t_read_exact(p[0], &daemon, sizeof daemon, T_HANG_GUARD_SHORT_MS);
                close(p[0]);
                assert_true(daemon > 1);
                if (t_wait_exit((pid_t)daemon, T_HANG_GUARD_SHORT_MS) < 0) {
                        kill((pid_t)daemon, SIGKILL);
                        fail_msg("variant %d: the daemon %ld stuck in its hook survived", variant,
                                 daemon);
                }
                subproc_free(c);
        }
}

/* Runs in the child. */
static void caller_stuck_in_hook(int pid_fd)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);

        subproc_pass_fd(c, pid_fd, 0);
        subproc_set_pre_exec_hook(c, hanging_hook, &pid_fd);
        (void)subproc_run(c, NULL);
        _exit(1);
}

/* The caller dies while its child hangs in the hook: the orphan still ends on SIGTERM, as any
 * process does, instead of blocking everything but SIGKILL. */
static void test_hook_orphan_ends_on_sigterm(void **state)
{
        long hook_pid = -1;
        pid_t caller;
        int p[2], status;

        t_become_subreaper();
        assert_ll_equal(pipe2(p, O_CLOEXEC), 0);
        caller = fork();
        assert_true(caller >= 0);
        if (caller == 0) {
                close(p[0]);
                caller_stuck_in_hook(p[1]);
        }
        close(p[1]);
        t_read_exact(p[0], &hook_pid, sizeof hook_pid, T_HANG_GUARD_SHORT_MS);
        close(p[0]);
        assert_ll_equal(kill(caller, SIGKILL), 0);
        status = t_reap(caller, T_HANG_GUARD_SHORT_MS);
        assert_true(WIFSIGNALED(status));
        /* Now our child (we are its subreaper), unreaped: its pid is safe to signal. */
        assert_ll_equal(kill((pid_t)hook_pid, SIGTERM), 0);
        if (t_wait_exit((pid_t)hook_pid, T_HANG_GUARD_SHORT_MS) < 0) {
                kill((pid_t)hook_pid, SIGKILL);
                (void)t_reap((pid_t)hook_pid, T_HANG_GUARD_SHORT_MS);
                fail_msg("the orphan stuck in the hook survived SIGTERM");
        }
        status = t_reap((pid_t)hook_pid, T_HANG_GUARD_SHORT_MS);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
}

/* Runs in the child: async-signal-safe only (setgid() is). */
static int setgid_hook(void *opaque)
{
        (void)opaque;
        return setgid(getgid()) == 0 ? 0 : errno;
}

static int churn_stop;

static void *idle_thread(void *arg)
{
        return arg;
}

/* Other threads of the caller being created and joined all the time. */
static void *thread_churn(void *arg)
{
        while (!__atomic_load_n(&churn_stop, __ATOMIC_RELAXED)) {
                pthread_t t;

                if (pthread_create(&t, NULL, idle_thread, NULL) == 0)
                        pthread_join(t, NULL);
        }
        return arg;
}

#define SETGID_ROUNDS 300

/* A hook's setgid() while other threads are being created: after _Fork() glibc's set*id
 * broadcast waited forever for threads that do not exist in the child. */
static void test_hook_setgid_with_threads(void **state)
{
        pthread_t churners[2];
        double start = t_monotonic_ms();

        __atomic_store_n(&churn_stop, 0, __ATOMIC_RELAXED);
        for (int i = 0; i < 2; i++)
                assert_ll_equal(pthread_create(&churners[i], NULL, thread_churn, NULL), 0);
        for (int i = 0; i < SETGID_ROUNDS; i++) {
                subproc *c = subproc_new_args("/bin/true", NULL);
                int r;

                alarm(HANG_ALARM_S); /* per round */
                subproc_set_pre_exec_hook(c, setgid_hook, NULL);
                subproc_set_timeout(c, 20000, 0); /* a hang bound, never a speed */
                r = subproc_run(c, NULL);
                if (r < 0) {
                        alarm(0);
                        __atomic_store_n(&churn_stop, 1, __ATOMIC_RELAXED);
                        for (int j = 0; j < 2; j++)
                                pthread_join(churners[j], NULL);
                        fail_msg("round %d: %s", i, subproc_errmsg());
                }
                subproc_free(c);
        }
        alarm(0);
        __atomic_store_n(&churn_stop, 1, __ATOMIC_RELAXED);
        for (int i = 0; i < 2; i++)
                assert_ll_equal(pthread_join(churners[i], NULL), 0);
        print_message("  %d rounds in %.0f ms\n", SETGID_ROUNDS, t_monotonic_ms() - start);
}

/* A hook that uses a lot of stack (a 256 KiB buffer), as caller code may, in a daemon: it
 * runs in a process of its own with a full-size stack, not on the library's small clone
 * stack, and the daemon runs the program. */
static int deep_stack_hook(void *opaque)
{
        volatile char buf[256 * 1024];

        (void)opaque;
        for (size_t i = 0; i < sizeof buf; i += 256)
                buf[i] = (char)i;
        return buf[256] == (char)256 ? 0 : EIO;
}

static void test_hook_deep_stack_in_daemon(void **state)
{
        char *dir = t_make_temp_dir(), *marker = t_path(dir, "ran");
        const char *const names[] = { "ran", NULL };
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        pid_t daemon;

        (void)state;
        subproc_add_arg_format(c, "--write-file=%s", marker);
        subproc_daemonize(c);
        subproc_set_pre_exec_hook(c, deep_stack_hook, NULL);
        if (subproc_run(c, NULL) != 0)
                print_error("subproc_run: %s\n", subproc_errmsg());
        daemon = subproc_daemon_pid(c);
        assert_true(daemon > 0);
        assert_true(t_wait_exit(daemon, T_HANG_GUARD_SHORT_MS) >= 0);
        if (!t_file_exists(marker))
                print_error("the daemon never ran the program (its hook crashed?)\n");
        assert_true(t_file_exists(marker));
        subproc_free(c);
        free(marker);
        t_remove_dir(dir, names);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                T_TEST(test_hook_runs_in_child),
                T_TEST(test_hook_failure_stops_child),
                T_TEST(test_hook_sees_setup_done),
                T_TEST(test_hook_runs_before_privilege_drop),
                T_TEST(test_hook_in_daemon),
                T_TEST(test_hook_deep_stack_in_daemon),
                T_TEST(test_hook_bad_arguments),
                T_TEST(test_hook_fd_does_not_reach_program),
                T_TEST(test_hook_hands_fd_by_number),
                T_TEST(test_hook_fds_same_with_handshake),
                T_TEST(test_hook_mask_is_program_mask),
                T_TEST(test_hook_hang_times_out),
                T_TEST(test_handshake_release_bounded_by_timeout),
                T_TEST(test_hook_hang_in_daemon_times_out),
                T_TEST(test_hook_orphan_ends_on_sigterm),
                T_TEST(test_hook_setgid_with_threads),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
