/* Issue 17: the exec report of a child made with clone(CLONE_VM|CLONE_VFORK) is read at once
 * when clone returns, without waiting for the pipe's EOF, but only when the child's mark
 * shows that it really ran in our memory while we were suspended.  Once a process has seen
 * such a mark, its plain children report a failure into their own stack instead of a pipe;
 * the cases here that are about the pipe make it be used (sp_test_vfork_reports).
 *
 * This program defines clone() itself, in front of libc's (an executable's symbol comes first
 * for the library linked into it), to play the two situations that decide it:
 *  - an emulated vfork, as valgrind and qemu-user make it: CLONE_VM and CLONE_VFORK dropped, so
 *    clone returns at once while the child, a copy, is still on its way to exec (delayed
 *    here, so that it surely is).  A start that failed must still be reported by the start,
 *    not taken for a success;
 *  - a process forked by another thread while the pipe's write end is open (here: forked
 *    just before the real clone) that holds it for long after: with a real vfork the start
 *    must not wait for the EOF that process keeps off, whether the exec worked or failed.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h" /* SUBPROC_SPAWN_FORK: which child this build starts */
#include "support/support.h"

#if defined(__SANITIZE_THREAD__)
#define T_UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define T_UNDER_TSAN 1
#endif
#endif

enum clone_play {
        PLAY_NONE,     /* libc's clone, as it is */
        PLAY_EMULATED, /* no CLONE_VM, no CLONE_VFORK, the child 100 ms late */
        PLAY_HOLDER,   /* a process forked first keeps every fd we have for 30 s */
};

static enum clone_play play;
static pid_t holders[16];
static size_t nholders;

/* The library's choice of report for the case: through the pipe (what the cases about the
 * pipe test), or in memory.  Back to automatic in end_play(). */
static void report_through(int how)
{
        sp_test_vfork_reports = how;
}

static void end_play(void)
{
        play = PLAY_NONE;
        sp_test_vfork_reports = SP_TEST_REPORTS_AUTO;
}

typedef int clone_fn(int (*)(void *), void *, int, void *, ...);

/* The emulated child's entry: late, then what the library asked for.  It runs in a copy of
 * our memory, so the statics are its own. */
static int (*late_fn)(void *);

static int late_entry(void *arg)
{
        const struct timespec late = { 0, 100 * 1000 * 1000 };

        (void)syscall(SYS_nanosleep, &late, NULL);
        return late_fn(arg);
}

static void fork_holder(void)
{
        pid_t pid = fork();

        if (pid == 0) {
                const struct timespec hold = { 30, 0 };

                (void)syscall(SYS_nanosleep, &hold, NULL);
                _exit(0);
        }
        if (pid > 0 && nholders < sizeof holders / sizeof holders[0])
                holders[nholders++] = pid;
}

int clone(int (*fn)(void *), void *stack, int flags, void *arg, ...)
{
        static clone_fn *real;
        pid_t *parent_tid, *child_tid;
        void *tls;
        va_list ap;

        /* Only the arguments the flags ask for were passed (the library passes the pidfd's
         * place, or nothing): reading more would read the caller's frame. */
        parent_tid = child_tid = NULL;
        tls = NULL;
        va_start(ap, arg);
        if (flags & (CLONE_PARENT_SETTID | CLONE_PIDFD | CLONE_SETTLS | CLONE_CHILD_SETTID |
                     CLONE_CHILD_CLEARTID))
                parent_tid = va_arg(ap, pid_t *);
        if (flags & (CLONE_SETTLS | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID))
                tls = va_arg(ap, void *);
        if (flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID))
                child_tid = va_arg(ap, pid_t *);
        va_end(ap);
        if (!real)
                real = (clone_fn *)dlsym(RTLD_NEXT, "clone");
        if ((flags & CLONE_VM) && play == PLAY_EMULATED) {
                late_fn = fn;
                fn = late_entry;
                flags &= ~(CLONE_VM | CLONE_VFORK);
        } else if ((flags & CLONE_VM) && play == PLAY_HOLDER) {
                fork_holder();
        }
        return real(fn, stack, flags, arg, parent_tid, tls, child_tid);
}

static void end_holders(void)
{
        for (size_t i = 0; i < nholders; i++) {
                int status;

                (void)kill(holders[i], SIGKILL);
                (void)waitpid(holders[i], &status, 0);
        }
        nholders = 0;
        end_play();
}

static double now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static subproc *true_helper(void)
{
        return subproc_new_args(HELPER_PATH, "--no-report", "--exit=0", NULL);
}

/* A child that fails before exec, in a step only the child can take. */
static subproc *failing_helper(void)
{
        subproc *c = true_helper();

        subproc_set_cwd(c, "/nonexistent/subproc-dir");
        return c;
}

/* Whether this build lets the case's clone() play: not the portable build, whose child is a
 * fork(); not the TSan build, whose --wrap=clone (scripts/ci-tsan.sh) hands the library's
 * clone() straight to libc, past this program's (and the emulated child would be a fork TSan
 * never hears of, running the test's code). */
static bool clone_plays(void)
{
        if (SUBPROC_SPAWN_FORK) {
                print_message("the -Dspawn=fork build makes no child with clone()\n");
                return false;
        }
#ifdef T_UNDER_TSAN
        print_message("under TSan the library's clone() goes to libc past this program's\n");
        return false;
#else
        return true;
#endif
}

static void test_emulated_vfork_failure_reported_by_the_start(void **state)
{
        subproc *c;

        (void)state;
        if (!clone_plays())
                skip();
        report_through(SP_TEST_REPORTS_THROUGH_PIPE);
        play = PLAY_EMULATED;
        c = failing_helper();
        assert_run_fails(c, ENOENT, "chdir");
        assert_run_async_fails(c, ENOENT, "chdir");
        subproc_free(c);
        end_play();
}

static void test_emulated_vfork_success(void **state)
{
        subproc *c;
        int status = -1;
        pid_t pid;

        (void)state;
        if (!clone_plays())
                skip();
        report_through(SP_TEST_REPORTS_THROUGH_PIPE);
        play = PLAY_EMULATED;
        c = true_helper();
        assert_ll_equal(subproc_run(c, &status), 0);
        assert_ll_equal(status, 0);
        assert_ll_equal(subproc_run_async(c, &pid), 0);
        assert_ll_equal(subproc_wait(c, &status), 0);
        assert_ll_equal(status, 0);
        subproc_free(c);
        end_play();
        assert_no_children();
}

/* The holder keeps the pipe's write end for 30 s; a start that waited for the EOF would take
 * that long.  The bound only catches such a wait. */
static void test_fork_meanwhile_holds_no_start_up(void **state)
{
        subproc *c;
        int status = -1, rc;
        double t0;
        pid_t pid;

        (void)state;
        if (!clone_plays())
                skip();
        nholders = 0;
        report_through(SP_TEST_REPORTS_THROUGH_PIPE);
        play = PLAY_HOLDER;
        c = true_helper();
        t0 = now_ms();
        rc = subproc_run(c, &status);
        assert_ll_equal(rc, 0);
        assert_ll_equal(status, 0);
        rc = subproc_run_async(c, &pid);
        assert_ll_equal(rc, 0);
        assert_ll_equal(subproc_wait(c, &status), 0);
        assert_ll_equal(status, 0);
        subproc_set_timeout(c, 60000, 1000);
        assert_ll_equal(subproc_run(c, &status), 0);
        assert_true(now_ms() - t0 < 15000);
        assert_true(nholders == 3);
        subproc_free(c);
        end_holders();
        assert_no_children();
}

static void test_fork_meanwhile_failure_still_reported(void **state)
{
        subproc *c;
        double t0;

        (void)state;
        if (!clone_plays())
                skip();
        nholders = 0;
        report_through(SP_TEST_REPORTS_THROUGH_PIPE);
        play = PLAY_HOLDER;
        c = failing_helper();
        t0 = now_ms();
        assert_run_fails_with_children(c, ENOENT, "chdir");
        assert_true(now_ms() - t0 < 15000);
        assert_true(nholders == 1);
        subproc_free(c);
        end_holders();
        assert_no_children();
}

/* Once a real vfork was seen, a plain child reports into its stack: no pipe, and every
 * failure still comes back with its step and errno, the exit status of the last run kept. */
static void test_reports_in_memory_after_a_real_vfork(void **state)
{
        subproc *c;
        unsigned before;
        int status = -1;

        (void)state;
        if (SUBPROC_SPAWN_FORK)
                skip(); /* a forked child writes its own copy of our memory */
        c = true_helper();
        assert_ll_equal(subproc_run(c, &status), 0); /* the first may have to show it */
        before = sp_test_memory_reports;
        assert_ll_equal(subproc_run(c, &status), 0);
        assert_ll_equal(status, 0);
        assert_ll_equal(sp_test_memory_reports, before + 1);
        subproc_set_cwd(c, "/nonexistent/subproc-dir");
        assert_run_fails(c, ENOENT, "chdir");
        assert_run_async_fails(c, ENOENT, "chdir");
        assert_ll_equal(sp_test_memory_reports, before + 3);
        assert_ll_equal(WEXITSTATUS(subproc_status(c)), 0);
        subproc_free(c);
        c = subproc_new_args("/nonexistent/subproc-program", NULL);
        assert_run_fails(c, ENOENT, "exec");
        assert_ll_equal(sp_test_memory_reports, before + 4);
        subproc_free(c);
        assert_no_children();
}

/* A child told to report into its stack that turns out not to share our memory (an emulated
 * vfork, had the process not seen one before): nothing can tell how it fares, so the start
 * fails, naming the report, and the child does not outlive it, whether its exec would have
 * worked or not. */
static void test_emulated_vfork_with_reports_in_memory_fails(void **state)
{
        subproc *c;
        double t0;

        (void)state;
        if (!clone_plays())
                skip();
        report_through(SP_TEST_REPORTS_IN_MEMORY);
        play = PLAY_EMULATED;
        c = true_helper();
        t0 = now_ms();
        assert_run_fails(c, EPROTO, "report");
        assert_run_async_fails(c, EPROTO, "report");
        subproc_free(c);
        c = failing_helper();
        assert_run_fails(c, EPROTO, "report");
        subproc_free(c);
        assert_true(now_ms() - t0 < 15000);
        end_play();
        assert_no_children();
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                T_TEST(test_emulated_vfork_failure_reported_by_the_start),
                T_TEST(test_emulated_vfork_success),
                T_TEST(test_fork_meanwhile_holds_no_start_up),
                T_TEST(test_fork_meanwhile_failure_still_reported),
                T_TEST(test_reports_in_memory_after_a_real_vfork),
                T_TEST(test_emulated_vfork_with_reports_in_memory_fails),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
