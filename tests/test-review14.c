/* Review 14: attacks on the promises of subproc_no_pidfd(), subproc_try_wait(),
 * subproc_pass_inherited_fds(), subproc_inherit_stdio() and the confinement options.  Each case
 * is a reproduction of a broken promise (it fails until the library is fixed) or a check that
 * an attack found nothing.
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
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/support.h"

/* Exit codes of the isolated init of test_no_pidfd_recycled_by_own_child(). */
enum {
        RECYCLE_OK = 0,
        /* Not 1: valgrind's --error-exitcode. */
        RECYCLE_HIT_VICTIM = 10,
        RECYCLE_WRONG_RESULT = 11,
        RECYCLE_SETUP_FAILED = 12,
        RECYCLE_UNSUPPORTED = 77,
};

/* Runs as the init of a new pid namespace (no other process takes pids there).  Command A
 * (subproc_no_pidfd) exits and is reaped behind the library's back, as a SIGCHLD handler that
 * reaps every child does (or the kernel, with SIGCHLD ignored).  Its pid goes to command B,
 * another child of the same caller.  With `wait` false, subproc_kill(A) must not signal B:
 * the header promises a signal by pid "only while the child is proven unreaped".  With `wait`
 * true, subproc_try_wait(A) must not take B's exit for A's (nor leave B's owner without it).
 * Never returns. */
static void recycled_by_own_child_in_namespace(bool wait)
{
        subproc *a = subproc_new_args(HELPER_PATH, "--no-report", "--exit=0", NULL);
        subproc *b = subproc_new_args(HELPER_PATH, "--no-report", "--sleep-ms=60000", NULL);
        pid_t pid = -1, pid_b = -1;
        int status = -1, rc, saved_errno;

        subproc_no_pidfd(a);
        subproc_set_raw_status(a);
        subproc_set_raw_status(b);
        if (subproc_run_async(a, &pid) != 0 || waitpid(pid, &status, 0) != pid)
                _exit(RECYCLE_SETUP_FAILED);
        /* The pid is reused more than a clock tick (10 ms) later, as it always is outside a
         * namespace that forces it: a start time on /proc can then tell the two apart. */
        usleep(30 * 1000);
        if (!t_set_next_pid(pid))
                _exit(RECYCLE_UNSUPPORTED);
        if (subproc_run_async(b, &pid_b) != 0)
                _exit(RECYCLE_SETUP_FAILED);
        if (pid_b != pid) {
                subproc_free(b);
                _exit(RECYCLE_UNSUPPORTED);
        }
        if (wait) {
                /* B ends now (SIGKILL through its own pidfd): A's wait must not reap it. */
                if (subproc_kill(b, SIGKILL) != 0)
                        _exit(RECYCLE_SETUP_FAILED);
                for (int i = 0; i < 2000; i++) {
                        siginfo_t si = { 0 };

                        if (waitid(P_PID, (id_t)pid_b, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
                            si.si_pid == pid_b)
                                break;
                        usleep(1000);
                }
                errno = 0;
                rc = subproc_try_wait(a, &status);
                saved_errno = errno;
                if (subproc_wait(b, &status) != 0)
                        _exit(RECYCLE_HIT_VICTIM); /* B's exit went to A */
                if (rc != -1 || saved_errno != ECHILD)
                        _exit(RECYCLE_WRONG_RESULT);
                subproc_free(a);
                subproc_free(b);
                _exit(RECYCLE_OK);
        }
        errno = 0;
        rc = subproc_kill(a, SIGTERM);
        saved_errno = errno;
        /* B sleeps a minute unless A's SIGTERM reached it: end it with SIGKILL and see which
         * signal it died of (a fatal signal settles the exit at once, so SIGTERM shows). */
        if (subproc_kill(b, SIGKILL) != 0 || subproc_wait(b, &status) != 0)
                _exit(RECYCLE_SETUP_FAILED);
        if (WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM)
                _exit(RECYCLE_HIT_VICTIM);
        if (rc != -1 || saved_errno != ESRCH)
                _exit(RECYCLE_WRONG_RESULT);
        subproc_free(a);
        subproc_free(b);
        _exit(RECYCLE_OK);
}

/* The scenario above in a new pid namespace; its result (enum RECYCLE_*). */
static int run_recycled_in_namespace(bool wait)
{
        int status = -1;
        pid_t child = fork();

        assert_true(child >= 0);
        if (child == 0) {
                pid_t init;

                if (unshare(CLONE_NEWPID | CLONE_NEWNS) != 0)
                        _exit(RECYCLE_UNSUPPORTED);
                init = fork();
                /* A /proc of the namespace, as `unshare --pid --fork --mount-proc` makes. */
                if (init == 0 && (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
                                  mount("proc", "/proc", "proc", 0, NULL) != 0))
                        _exit(RECYCLE_UNSUPPORTED);
                if (init == 0)
                        recycled_by_own_child_in_namespace(wait);
                if (init < 0 || waitpid(init, &status, 0) != init)
                        _exit(RECYCLE_SETUP_FAILED);
                _exit(WIFEXITED(status) ? WEXITSTATUS(status) : RECYCLE_SETUP_FAILED);
        }
        assert_ll_equal(waitpid(child, &status, 0), child);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == RECYCLE_UNSUPPORTED) {
                print_message("cannot give a pid to another process (needs a new pid namespace "
                              "and a writable ns_last_pid): not tried\n");
                skip();
        }
        return WEXITSTATUS(status);
}

/* subproc_no_pidfd(): subproc_kill() of a command whose child was reaped behind its back,
 * its pid now another child's of the same caller. */
static void test_no_pidfd_recycled_by_own_child(void **state)
{
        int result;

        (void)state;
        result = run_recycled_in_namespace(false);
        if (result == RECYCLE_HIT_VICTIM)
                fail_msg("subproc_kill() of a subproc_no_pidfd() command reaped behind its back "
                         "signalled another child of the caller that got the pid");
        if (result == RECYCLE_WRONG_RESULT)
                fail_msg("subproc_kill() of a reaped subproc_no_pidfd() command did not fail "
                         "with ESRCH");
        assert_ll_equal(result, RECYCLE_OK);
}

/* The same for subproc_try_wait(): it must not reap the other child. */
static void test_no_pidfd_wait_recycled_by_own_child(void **state)
{
        int result;

        (void)state;
        result = run_recycled_in_namespace(true);
        if (result == RECYCLE_HIT_VICTIM)
                fail_msg("subproc_try_wait() of a subproc_no_pidfd() command reaped behind its "
                         "back reaped another child of the caller that got the pid");
        if (result == RECYCLE_WRONG_RESULT)
                fail_msg("subproc_try_wait() of a reaped subproc_no_pidfd() command did not "
                         "fail with ECHILD");
        assert_ll_equal(result, RECYCLE_OK);
}

/* A pre-exec hook that opens a file and leaves it open (no close-on-exec), as a hook that
 * reads a configuration file or calls a library that opens one may. */
static int hook_opens_a_file(void *opaque)
{
        (void)opaque;
        return open("/dev/zero", O_RDONLY) < 0 ? 1 : 0;
}

/* subproc_inherit_stdio() with the caller's stdin closed, and a pre-exec hook: the header
 * promises that stdin stays closed in the program ("nothing ... takes its number") and that
 * whatever the hook opened is closed again after it returns.  The hook's open() gets the
 * lowest free number, 0, which the program must not find open. */
static void test_inherit_stdio_closed_stdin_hook_fd(void **state)
{
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        int saved = fcntl(0, F_DUPFD_CLOEXEC, 3);
        char *fds;

        (void)state;
        assert_true(saved >= 3);
        subproc_inherit_stdio(c);
        subproc_set_pre_exec_hook(c, hook_opens_a_file, NULL);
        close(0);
        r = t_run_report_file(c);
        assert_ll_equal(dup2(saved, 0), 0);
        close(saved);
        fds = t_report_fd_set(r);
        if (strncmp(fds, "0 ", 2) == 0)
                fail_msg("the program found fd 0 open (%s): the hook's file took the number "
                         "of the caller's closed stdin",
                         t_report_getf(r, "fdlink[%d]", 0));
        assert_true(strncmp(fds, "1 2", 3) == 0);
        free(fds);
        t_report_free(r);
        subproc_free(c);
}

/* Exit codes of the forked caller of test_in_place_rejected_filter_leaves_caller_free(). */
enum {
        INPLACE_FREE = 0,
        INPLACE_RESTRICTED = 10, /* not 1: valgrind's --error-exitcode */
        INPLACE_WRONG_RESULT = 11,
        INPLACE_NO_LANDLOCK = 77,
};

/* Runs in a forked caller: subproc_exec() with a Landlock ruleset that denies making regular
 * files and a seccomp filter the kernel rejects (no return).  The run fails at "install the
 * seccomp filter", before exec; the header says only "a failed exec leaves the caller
 * restricted".  Can the caller still create a file afterwards?  Never returns. */
static void in_place_rejected_filter(const char *dir)
{
        struct landlock_ruleset_attr attr = { .handled_access_fs = LANDLOCK_ACCESS_FS_MAKE_REG };
        struct sock_filter insns[1] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        };
        struct sock_fprog prog = { 1, insns };
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
        char path[4096];
        int fd;

        if (ruleset < 0)
                _exit(INPLACE_NO_LANDLOCK);
        subproc_set_landlock(c, ruleset);
        subproc_set_seccomp(c, &prog);
        if (subproc_exec(c) != -1 || errno != EINVAL)
                _exit(INPLACE_WRONG_RESULT);
        subproc_free(c);
        close(ruleset);
        snprintf(path, sizeof path, "%s/after-failed-exec", dir);
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
                _exit(errno == EACCES ? INPLACE_RESTRICTED : INPLACE_WRONG_RESULT);
        close(fd);
        unlink(path);
        _exit(INPLACE_FREE);
}

/* subproc_exec() refused clearly (the kernel rejects the filter), but the caller it returns
 * to must not be left under the Landlock ruleset of a program that never ran. */
static void test_in_place_rejected_filter_leaves_caller_free(void **state)
{
        char *dir = t_make_temp_dir();
        int status = -1;
        pid_t pid;

        (void)state;
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                in_place_rejected_filter(dir);
        assert_ll_equal(waitpid(pid, &status, 0), pid);
        t_remove_dir(dir, NULL);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == INPLACE_NO_LANDLOCK) {
                print_message("no Landlock here: not tried\n");
                skip();
        }
        if (WEXITSTATUS(status) == INPLACE_RESTRICTED)
                fail_msg("subproc_exec() failed at the seccomp step (the kernel rejected the "
                         "filter) and left the caller under the command's Landlock ruleset");
        assert_ll_equal(WEXITSTATUS(status), INPLACE_FREE);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                T_TEST(test_no_pidfd_recycled_by_own_child),
                T_TEST(test_no_pidfd_wait_recycled_by_own_child),
                T_TEST(test_inherit_stdio_closed_stdin_hook_fd),
                T_TEST(test_in_place_rejected_filter_leaves_caller_free),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
