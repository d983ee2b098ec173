/* Tests of subproc_fork(): the child starts with default handlers and an empty mask, the
 * parent keeps its own.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/support.h"

/* ---------------------------------------------------------------------------------------
 * subproc_fork()
 * ------------------------------------------------------------------------------------- */

struct fork_child_view {
        int handled_signal; /* first signal not at SIG_DFL, or 0 */
        int blocked_signal; /* first blocked signal, or 0 */
};

/* Runs in the child of subproc_fork(): async-signal-safe only. */
static void report_fork_child(int fd)
{
        struct fork_child_view view = { 0, 0 };
        sigset_t mask;

        for (int sig = 1; sig < NSIG && view.handled_signal == 0; sig++) {
                struct sigaction sa;

                if (sig == SIGKILL || sig == SIGSTOP)
                        continue;
                if (sigaction(sig, NULL, &sa) != 0)
                        continue;
                if (sa.sa_handler != SIG_DFL)
                        view.handled_signal = sig;
        }
        sigprocmask(SIG_SETMASK, NULL, &mask);
        for (int sig = 1; sig < NSIG && view.blocked_signal == 0; sig++) {
                if (sigismember(&mask, sig) == 1)
                        view.blocked_signal = sig;
        }
        if (write(fd, &view, sizeof view) != (ssize_t)sizeof view)
                _exit(2);
        _exit(0);
}

static void test_fork_resets_child_keeps_parent(void **state)
{
        struct t_signal_state saved;
        struct fork_child_view view;
        sigset_t mask;
        int fds[2], status = -1;
        pid_t pid;
        ssize_t n;

        assert_ll_equal(pipe2(fds, O_CLOEXEC), 0);
        t_save_signal_state(&saved);
        t_make_signals_hostile(&mask);
        pid = subproc_fork();
        if (pid == 0)
                report_fork_child(fds[1]);
        t_check_caller_signals_unchanged(&mask);
        t_restore_signal_state(&saved);
        assert_true(pid > 0);
        close(fds[1]);
        n = read(fds[0], &view, sizeof view);
        close(fds[0]);
        assert_ll_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_ll_equal(WEXITSTATUS(status), 0);
        assert_ll_equal(n, sizeof view);
        assert_ll_equal(view.handled_signal, 0);
        assert_ll_equal(view.blocked_signal, 0);
        assert_ll_equal(t_hostile_usr1_count, 0);
}

/* subproc_fork(), the child execs the helper, which reports its signals into a file: they
 * must be clean.  `restore` (or NULL) runs in the parent right after the fork. */
static void fork_exec_and_check_signals(void (*restore)(void))
{
        char *path = t_make_temp_path(), *report_arg;
        struct helper_report *r;
        int status = -1;
        pid_t pid;

        assert_true(asprintf(&report_arg, "--report=%s", path) > 0);
        pid = subproc_fork();
        if (pid == 0) {
                execl(HELPER_PATH, HELPER_PATH, report_arg, (char *)NULL);
                _exit(4);
        }
        if (restore)
                restore();
        free(report_arg);
        assert_true(pid > 0);
        assert_ll_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_ll_equal(WEXITSTATUS(status), 0);
        r = t_report_read_file(path);
        unlink(path);
        t_check_child_signals_clean(r);
        t_report_free(r);
        free(path);
}

static void test_fork_child_can_exec(void **state)
{
        (void)state;
        fork_exec_and_check_signals(NULL);
}

#ifdef __linux__
#include <sys/syscall.h>

/* The kernel's struct sigaction where the handler comes first (x86, arm, riscv, ...). */
struct kernel_sigaction {
        void (*handler)(int);
        unsigned long flags;
        void *restorer;
        uint64_t mask;
};

/* glibc's sigaction() refuses 32 and 33, but a parent can leave them ignored (GNU make does,
 * so every Debian package build runs under it); subproc_fork() must not pass that on. */
static struct kernel_sigaction reserved_saved[2];

static void restore_reserved_signals(void)
{
        for (int i = 0; i < 2; i++)
                assert_ll_equal(syscall(SYS_rt_sigaction, 32 + i, &reserved_saved[i], NULL, 8), 0);
}

static void test_fork_resets_reserved_signals(void **state)
{
        struct kernel_sigaction ign = { .handler = SIG_IGN };

        (void)state;
        for (int i = 0; i < 2; i++)
                assert_ll_equal(syscall(SYS_rt_sigaction, 32 + i, &ign, &reserved_saved[i], 8), 0);
        fork_exec_and_check_signals(restore_reserved_signals);
}
#else
static void test_fork_resets_reserved_signals(void **state)
{
        skip();
}
#endif

int main(void)
{
        const struct CMUnitTest tests[] = {
                T_TEST(test_fork_resets_child_keeps_parent),
                T_TEST(test_fork_child_can_exec),
                T_TEST(test_fork_resets_reserved_signals),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
