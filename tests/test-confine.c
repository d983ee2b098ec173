/* Issue 14, confinement: a seccomp filter and a Landlock ruleset applied by the child as its
 * last steps before exec, seen by the helper (a system call that fails, a directory it cannot
 * list); no_new_privs set by the child when the kernel requires it; every refusal (bad
 * filters, bad fds, a kernel without Landlock) with its errno and message.
 *
 * The Landlock cases skip with a message on a kernel without it; the cases as another user
 * need root.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "support/support.h"

#define NOBODY 65534

/* ---------------------------------------------------------------------------------------
 * Filters and rulesets
 * ------------------------------------------------------------------------------------- */

/* Allow everything but system call `nr`, which fails with `error`.  No architecture check:
 * the tests run native binaries only. */
struct deny_one {
        struct sock_filter insns[4];
        struct sock_fprog prog;
};

static void deny_one_init(struct deny_one *f, long nr, int error)
{
        const struct sock_filter insns[4] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((uint32_t)error & SECCOMP_RET_DATA)),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };

        memcpy(f->insns, insns, sizeof insns);
        f->prog = (struct sock_fprog){ 4, f->insns };
}

/* The kernel's Landlock ABI version, or -1 (with a message) where it has none. */
static long landlock_abi(void)
{
        long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

        if (abi < 0)
                print_message("skipped: no Landlock here (%s)\n", strerror(errno));
        return abi;
}

/* A ruleset that handles listing directories and allows it beneath /proc only (the helper
 * lists /proc/self/fd): every other directory is denied. */
static int ruleset_denying_read_dir(void)
{
        struct landlock_ruleset_attr attr = { .handled_access_fs = LANDLOCK_ACCESS_FS_READ_DIR };
        struct landlock_path_beneath_attr rule = { .allowed_access = LANDLOCK_ACCESS_FS_READ_DIR };
        int fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);

        assert_true(fd >= 0);
        rule.parent_fd = open("/proc", O_PATH | O_CLOEXEC);
        assert_true(rule.parent_fd >= 0);
        assert_ll_equal(syscall(SYS_landlock_add_rule, fd, LANDLOCK_RULE_PATH_BENEATH, &rule, 0),
                        0);
        close(rule.parent_fd);
        return fd;
}

/* The helper reporting the fds it got and the outcome of --uname (or --read-dir=dir). */
static subproc *helper_trying(const char *dir)
{
        subproc *c = subproc_new(HELPER_PATH);
        char *arg;

        if (!dir) {
                subproc_add_arg(c, "--uname");
                return c;
        }
        assert_true(asprintf(&arg, "--read-dir=%s", dir) > 0);
        subproc_add_args(c, "--read-dir=/proc/self", arg, NULL);
        free(arg);
        return c;
}

/* The helper got exactly 0, 1 and 2: no ruleset copy, no filter fd. */
static void check_only_stdio(const struct helper_report *r)
{
        assert_ll_equal(t_report_count(r, "fd"), 3);
}

/* ---------------------------------------------------------------------------------------
 * seccomp
 * ------------------------------------------------------------------------------------- */

/* The filter makes uname() fail with EPERM in the program, which still runs; the caller's
 * program is copied (overwritten after the call, it would no longer load); as root the child
 * keeps CAP_SYS_ADMIN, so no no_new_privs is set for it. */
static void test_seccomp_denies_one_call(void **state)
{
        struct deny_one f;
        struct helper_report *r;
        char *out = NULL;
        subproc *c = helper_trying(NULL);

        r = t_run_report(c, &out);
        assert_ll_equal(t_report_get_int(r, "uname_errno"), 0);
        t_report_free(r);

        deny_one_init(&f, SYS_uname, EPERM);
        subproc_set_seccomp(c, &f.prog);
        memset(f.insns, 0xff, sizeof f.insns);
        r = t_run_report_again(c, &out);
        assert_ll_equal(t_report_get_int(r, "uname_errno"), EPERM);
        check_only_stdio(r);
        if (t_has_cap(21 /* CAP_SYS_ADMIN */))
                assert_ll_equal(t_report_get_int(r, "nonewprivs"), 0);
        else
                assert_ll_equal(t_report_get_int(r, "nonewprivs"), 1);
        t_report_free(r);
        subproc_free(c);
}

/* Without CAP_SYS_ADMIN (as nobody) the kernel requires no_new_privs: the child sets it. */
static void test_seccomp_as_user_sets_no_new_privs(void **state)
{
        struct deny_one f;
        struct helper_report *r;
        char *out = NULL;
        subproc *c;

        t_require_root();
        c = helper_trying(NULL);
        deny_one_init(&f, SYS_uname, EACCES);
        subproc_set_uid(c, NOBODY);
        subproc_set_gid(c, NOBODY);
        subproc_set_seccomp(c, &f.prog);
        r = t_run_report(c, &out);
        assert_ll_equal(t_report_get_int(r, "uid"), NOBODY);
        assert_ll_equal(t_report_get_int(r, "uname_errno"), EACCES);
        assert_ll_equal(t_report_get_int(r, "nonewprivs"), 1);
        t_report_free(r);
        subproc_free(c);
}

/* The filter is the last step but one: it governs the signal mask's reset, whose failure
 * fails the run naming that step. */
static void test_seccomp_governs_the_last_steps(void **state)
{
        struct deny_one f;
        subproc *c = t_helper_exiting(0);

        deny_one_init(&f, SYS_rt_sigprocmask, EPERM);
        subproc_set_seccomp(c, &f.prog);
        assert_run_fails(c, EPERM, "reset the signal mask");
        subproc_free(c);

        c = t_helper_exiting(0);
        deny_one_init(&f, SYS_execve, EPERM);
        subproc_set_seccomp(c, &f.prog);
        assert_run_fails(c, EPERM, "exec");
        subproc_free(c);
}

/* A program the kernel rejects fails the run at that step, the program never running. */
static void test_seccomp_rejected_by_kernel(void **state)
{
        /* No return at the end: the kernel's checker refuses it. */
        struct sock_filter insns[1] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        };
        struct sock_fprog prog = { 1, insns };
        subproc *c = t_helper_exiting(0);

        subproc_set_seccomp(c, &prog);
        assert_run_fails(c, EINVAL, "install the seccomp filter (1 instructions)");
        subproc_free(c);
}

static void expect_refusal(const struct sock_fprog *prog, const char *msg)
{
        subproc *c = t_helper_exiting(0);

        subproc_set_seccomp(c, prog);
        assert_run_fails(c, EINVAL, msg);
        subproc_free(c);
}

static void test_seccomp_bad_filters(void **state)
{
        static struct sock_filter big[BPF_MAXINSNS + 1];
        struct sock_filter one[1] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
        struct sock_fprog empty = { 0, one }, null_prog = { 1, NULL };
        struct sock_fprog too_long = { BPF_MAXINSNS + 1, big };

        expect_refusal(NULL, "the seccomp filter is NULL");
        expect_refusal(&empty, "the seccomp filter is empty");
        expect_refusal(&null_prog, "the seccomp filter is a program at NULL");
        expect_refusal(&too_long, "the seccomp filter has 4097 instructions, more than the "
                                  "kernel's 4096");
}

/* ---------------------------------------------------------------------------------------
 * Landlock
 * ------------------------------------------------------------------------------------- */

/* How the child closes fds before the ruleset is used: each way must spare our copy. */
enum close_way { CLOSE_DEFAULT, CLOSE_PROC_FD, CLOSE_LOOP, CLOSE_HANDSHAKE_GAPS };

static int no_op_hook(void *opaque)
{
        (void)opaque;
        return 0;
}

/* The ruleset denies listing a temporary directory, the rules allow /proc; the program gets
 * no copy of the ruleset, the caller keeps its fd and can run again. */
static void run_landlock_read_dir(enum close_way way)
{
        struct helper_report *r;
        char *dir = t_make_temp_dir(), *out = NULL;
        subproc *c = helper_trying(dir);
        int fd;

        if (landlock_abi() < 0) {
                subproc_free(c);
                t_remove_dir(dir, NULL);
                skip();
        }
        r = t_run_report(c, &out);
        assert_ll_equal(t_report_get_int(r, "read_dir_errno"), 0);
        t_report_free(r);

        fd = ruleset_denying_read_dir();
        subproc_set_landlock(c, fd);
        if (way == CLOSE_PROC_FD || way == CLOSE_LOOP)
                sp_test_force_close_fallback = way == CLOSE_PROC_FD ? 1 : 2;
        if (way == CLOSE_HANDSHAKE_GAPS) /* the fork() child, which closes for real */
                subproc_set_pre_exec_hook(c, no_op_hook, NULL);
        for (int run = 0; run < 2; run++) {
                r = t_run_report_again(c, &out);
                /* Both lines come from --read-dir: /proc/self first. */
                assert_ll_equal(t_report_count(r, "read_dir_errno"), 2);
                assert_string_equal(t_report_nth(r, "read_dir_errno", 0), "0");
                assert_string_equal(t_report_nth(r, "read_dir_errno", 1), "13"); /* EACCES */
                check_only_stdio(r);
                t_report_free(r);
        }
        sp_test_force_close_fallback = 0;
        assert_true(t_fd_is_open(fd));
        close(fd);
        subproc_free(c);
        t_remove_dir(dir, NULL);
}

static void test_landlock_denies_read_dir(void **state)
{
        run_landlock_read_dir(CLOSE_DEFAULT);
}

static void test_landlock_close_fallbacks(void **state)
{
        run_landlock_read_dir(CLOSE_PROC_FD);
        run_landlock_read_dir(CLOSE_LOOP);
        run_landlock_read_dir(CLOSE_HANDSHAKE_GAPS);
}

/* As nobody the kernel requires no_new_privs for Landlock too: the child sets it. */
static void test_landlock_as_user_sets_no_new_privs(void **state)
{
        struct helper_report *r;
        char *out = NULL;
        subproc *c;
        int fd;

        t_require_root();
        if (landlock_abi() < 0)
                skip();
        /* Root's 0700 temp dir would be denied to nobody anyway: use one nobody may list. */
        c = helper_trying("/");
        fd = ruleset_denying_read_dir();
        subproc_set_uid(c, NOBODY);
        subproc_set_gid(c, NOBODY);
        subproc_set_landlock(c, fd);
        r = t_run_report(c, &out);
        assert_ll_equal(t_report_get_int(r, "uid"), NOBODY);
        assert_string_equal(t_report_nth(r, "read_dir_errno", 1), "13");
        assert_ll_equal(t_report_get_int(r, "nonewprivs"), 1);
        t_report_free(r);
        close(fd);
        subproc_free(c);
}

/* ---------------------------------------------------------------------------------------
 * In place and as a daemon
 * ------------------------------------------------------------------------------------- */

/* Both, applied by a caller that becomes the program (subproc_exec in a forked process). */
static void test_in_place(void **state)
{
        char *dir = t_make_temp_dir();
        subproc *c = helper_trying(dir);
        struct helper_report *r;
        struct deny_one f;
        int fd = -1, status;

        subproc_add_arg(c, "--uname");
        deny_one_init(&f, SYS_uname, EPERM);
        subproc_set_seccomp(c, &f.prog);
        if (landlock_abi() >= 0) {
                fd = ruleset_denying_read_dir();
                subproc_set_landlock(c, fd);
        }
        r = t_exec_report_in_fork(c, NULL, &status);
        assert_ll_equal(status, 0);
        assert_ll_equal(t_report_get_int(r, "uname_errno"), EPERM);
        if (fd >= 0)
                assert_string_equal(t_report_nth(r, "read_dir_errno", 1), "13");
        t_report_free(r);
        if (fd >= 0)
                close(fd);
        subproc_free(c);
        t_remove_dir(dir, NULL);
}

/* Both, applied by a daemon (which writes its report to a file, then exits). */
static void test_daemon(void **state)
{
        char *dir = t_make_temp_dir(), *report = t_path(dir, "report"), *arg;
        const char *const names[] = { "report", NULL };
        subproc *c = helper_trying("/root");
        struct helper_report *r = NULL;
        struct deny_one f;
        double deadline;
        int fd = -1;

        assert_true(asprintf(&arg, "--report=%s", report) > 0);
        subproc_add_args(c, arg, "--uname", NULL);
        free(arg);
        deny_one_init(&f, SYS_uname, EPERM);
        subproc_set_seccomp(c, &f.prog);
        if (landlock_abi() >= 0) {
                fd = ruleset_denying_read_dir();
                subproc_set_landlock(c, fd);
        }
        subproc_daemonize(c);
        assert_ll_equal(subproc_run(c, NULL), 0);
        t_track(subproc_daemon_pid(c));
        /* The daemon ends by itself: wait for its last line. */
        deadline = t_monotonic_ms() + T_HANG_GUARD_MS;
        while (t_monotonic_ms() < deadline) {
                r = t_file_exists(report) ? t_report_read_file(report) : NULL;
                if (r && t_report_get(r, "uname_errno"))
                        break;
                t_report_free(r);
                r = NULL;
                usleep(10000);
        }
        assert_non_null(r);
        assert_ll_equal(t_report_get_int(r, "uname_errno"), EPERM);
        check_only_stdio(r);
        if (fd >= 0)
                assert_string_equal(t_report_nth(r, "read_dir_errno", 1), "13");
        t_report_free(r);
        assert_true(t_wait_exit(subproc_daemon_pid(c), T_HANG_GUARD_MS) >= 0);
        if (fd >= 0)
                close(fd);
        subproc_free(c);
        free(report);
        t_remove_dir(dir, names);
}

static void test_landlock_bad_fds(void **state)
{
        subproc *c = t_helper_exiting(0);
        int fd;

        subproc_set_landlock(c, -1);
        assert_run_fails(c, EBADF, "Landlock ruleset fd -1 is not an fd");
        subproc_free(c);

        fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        c = t_helper_exiting(0);
        subproc_set_landlock(c, fd);
        if (landlock_abi() < 0) { /* then that comes first, whatever the fd */
                assert_run_fails(c, ENOTSUP, "Landlock is not supported here");
                close(fd);
                subproc_free(c);
                return;
        }
        assert_run_fails(c, EINVAL, "is not a Landlock ruleset but /dev/null");
        close(fd);
        /* Closed by now: refused at run, before anything is made. */
        assert_run_fails(c, EBADF, "Landlock ruleset fd");
        subproc_free(c);
}

/* In a forked test process whose own filter makes landlock_create_ruleset() fail with
 * `error`, as a kernel without Landlock (ENOSYS) or with it disabled (EOPNOTSUPP) does. */
static void run_without_landlock(void *arg, struct t_result *res)
{
        int error = *(const int *)arg;
        struct deny_one f;
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        subproc *c = subproc_new(HELPER_PATH);

        deny_one_init(&f, SYS_landlock_create_ruleset, error);
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
            syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &f.prog) != 0) {
                res->rc = -2;
                res->error = errno;
                snprintf(res->msg, sizeof res->msg, "cannot install the test's filter");
                return;
        }
        subproc_add_arg(c, "--no-report");
        subproc_set_landlock(c, fd);
        t_result_set(res, subproc_run(c, NULL));
        subproc_free(c);
}

static void test_landlock_missing(void **state)
{
        static const struct {
                int error;
                const char *msg;
        } cases[] = {
                { ENOSYS, "Landlock is not supported here: the kernel has no Landlock" },
                { EOPNOTSUPP, "Landlock is not supported here: Landlock is disabled" },
        };

        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                struct t_result res;
                int error = cases[i].error;

                t_in_child(run_without_landlock, &error, &res);
                if (res.rc != -1)
                        print_error("rc %d: %s (%s)\n", res.rc, res.msg, strerror(res.error));
                assert_ll_equal(res.rc, -1);
                assert_errno_equal(res.error, ENOTSUP);
                assert_contains(res.msg, cases[i].msg);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                T_TEST(test_seccomp_denies_one_call),
                T_TEST(test_seccomp_as_user_sets_no_new_privs),
                T_TEST(test_seccomp_governs_the_last_steps),
                T_TEST(test_seccomp_rejected_by_kernel),
                T_TEST(test_seccomp_bad_filters),
                T_TEST(test_landlock_denies_read_dir),
                T_TEST(test_landlock_close_fallbacks),
                T_TEST(test_landlock_as_user_sets_no_new_privs),
                T_TEST(test_in_place),
                T_TEST(test_daemon),
                T_TEST(test_landlock_bad_fds),
                T_TEST(test_landlock_missing),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
