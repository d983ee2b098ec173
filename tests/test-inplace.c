/* Tests of subproc_exec() (the calling process becomes the program, with the whole plan
 * applied to itself) and of subproc_inherit_signals().  subproc_exec() always runs in a
 * forked process of the test, which then is the helper.
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
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/resource.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/support.h"

static void test_exec_applies_plan(void **state)
{
        char *dir = t_make_temp_dir(), *pidfile = t_path(dir, "pid"), *identity, expected[64];
        const char *const names[] = { "pid", NULL };
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        int extra, status;
        long long pidfile_fd;
        pid_t pid;

        subproc_add_arg_format(c, "--pidfile-check=%s", pidfile);
        extra = open("/dev/null", O_RDONLY | O_CLOEXEC);
        assert_true(extra >= 3);
        subproc_pass_fd(c, extra, 0);
        subproc_env_set(c, "SP_IN_PLACE", "yes");
        subproc_set_cwd(c, dir);
        subproc_set_pidfile(c, pidfile);
        subproc_set_death_signal(c, SIGTERM);
        subproc_set_umask(c, 0077);
        subproc_set_rlimit(c, RLIMIT_NOFILE, 90, 180);
        r = t_exec_report_in_fork(c, &pid, &status);
        assert_true(WIFEXITED(status));
        assert_ll_equal(WEXITSTATUS(status), 0);
        assert_non_null(t_report_get(r, "report_end"));

        /* The forked process itself became the helper. */
        assert_ll_equal(t_report_get_int(r, "pid"), pid);
        assert_ll_equal(t_report_get_int(r, "ppid"), getpid());
        assert_ll_equal(t_report_env_count(r), 1);
        assert_string_equal(t_report_env(r, "SP_IN_PLACE"), "yes");
        assert_string_equal(t_report_get(r, "cwd"), dir);
        assert_string_equal(t_report_get(r, "umask"), "0077");
        assert_string_equal(t_report_get(r, "rlimit[NOFILE]"), "90:180");
        /* Armed against its parent, this test. */
        assert_ll_equal(t_report_get_int(r, "pdeathsig"), SIGTERM);
        /* Its fds: /dev/null on 0 and 2, the pipe on 1, the passed fd and the pidfile. */
        assert_string_equal(t_report_get(r, "fdlink[0]"), "/dev/null");
        assert_string_equal(t_report_get(r, "fdlink[2]"), "/dev/null");
        identity = t_fd_identity(extra);
        assert_string_equal(t_report_getf(r, "fdstat[%d]", extra), identity);
        free(identity);
        pidfile_fd = t_report_get_int(r, "pidfile_fd");
        if (pidfile_fd < extra)
                snprintf(expected, sizeof expected, "0 1 2 %lld %d", pidfile_fd, extra);
        else
                snprintf(expected, sizeof expected, "0 1 2 %d %lld", extra, pidfile_fd);
        t_check_fd_set(r, expected);
        /* It held the pidfile with its own pid. */
        assert_ll_equal(t_report_get_int(r, "pidfile_locked"), 1);
        assert_ll_equal(t_report_get_int(r, "pidfile_fd_conflict"), 0);
        snprintf(expected, sizeof expected, "%ld\n", (long)pid);
        assert_string_equal(t_report_get(r, "pidfile_text"), expected);
        t_report_free(r);
        close(extra);
        subproc_free(c);
        free(pidfile);
        t_remove_dir(dir, names);
}

/* Runs in a forked process: no cmocka.  The result fd is passed to the program, so it stays
 * open whatever subproc_exec() closed before failing. */
static void exec_failing(void *arg, struct t_result *res)
{
        int what = *(const int *)arg;
        char *out = NULL;
        subproc *c;

        if (what == 0) {
                c = subproc_new_args("/nonexistent/subproc-binary", NULL);
        } else {
                c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
                if (what == 1)
                        subproc_daemonize(c);
                else if (what == 2)
                        subproc_require_handshake(c);
                else
                        subproc_set_output_buffer(c, &out);
        }
        subproc_pass_fd(c, t_child_result_fd, 0);
        t_result_set(res, subproc_exec(c));
        res->value = subproc_errstage();
}

static void test_exec_failure(void **state)
{
        static const struct {
                int what;
                int expected_errno;
                const char *msg;
        } cases[] = {
                { 0, ENOENT, "exec" },
                { 1, EINVAL, NULL }, /* daemonize */
                { 2, EINVAL, NULL }, /* handshake */
                { 3, EINVAL, NULL }, /* buffers */
        };

        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                struct t_result res;

                t_in_child(exec_failing, (void *)&cases[i].what, &res);
                if (res.rc != -1 || res.error != cases[i].expected_errno)
                        print_error("case %zu: rc %d, errno %d: %s\n", i, res.rc, res.error,
                                    res.msg);
                assert_ll_equal(res.rc, -1);
                assert_errno_equal(res.error, cases[i].expected_errno);
                assert_true(res.msg[0] != '\0');
                if (cases[i].msg != NULL)
                        assert_contains(res.msg, cases[i].msg);
                if (cases[i].what == 0) {
                        assert_contains(res.msg, "/nonexistent/subproc-binary");
                        assert_ll_equal(res.value, SUBPROC_STAGE_EXEC);
                }
        }
}

/* ---------------------------------------------------------------------------------------
 * subproc_inherit_signals()
 * ------------------------------------------------------------------------------------- */

static void test_inherit_signals(void **state)
{
        const unsigned long long hup = 1ULL << (SIGHUP - 1), usr2 = 1ULL << (SIGUSR2 - 1);
        struct t_signal_state saved;
        struct helper_report *plain, *inherited;
        subproc *c1 = subproc_new(HELPER_PATH), *c2 = subproc_new(HELPER_PATH);
        struct sigaction sa = { .sa_handler = t_hostile_usr1_handler };
        char *out1 = NULL, *out2 = NULL;
        sigset_t block;
        int rc1, rc2, status1 = -1, status2 = -1;

        /* SIGHUP ignored (what nohup does), SIGUSR2 blocked, a handler on SIGUSR1. */
        t_save_signal_state(&saved);
        signal(SIGHUP, SIG_IGN);
        sigemptyset(&sa.sa_mask);
        sigaction(SIGUSR1, &sa, NULL);
        sigemptyset(&block);
        sigaddset(&block, SIGUSR2);
        sigprocmask(SIG_BLOCK, &block, NULL);
        subproc_set_output_buffer(c1, &out1);
        subproc_set_output_buffer(c2, &out2);
        subproc_inherit_signals(c2);
        rc1 = subproc_run(c1, &status1);
        rc2 = subproc_run(c2, &status2);
        t_restore_signal_state(&saved);

        assert_ll_equal(rc1, 0);
        assert_ll_equal(rc2, 0);
        assert_ll_equal(status1, 0);
        assert_ll_equal(status2, 0);
        plain = t_report_parse(out1, subproc_output_len(c1));
        inherited = t_report_parse(out2, subproc_output_len(c2));

        /* The default: everything clean. */
        t_check_child_signals_clean(plain);
        /* With inherit_signals: the ignored one stays ignored, the mask is passed, the handler
         * is not (it is reset to SIG_DFL). */
        assert_ll_equal(t_report_hex(inherited, "sigign") & hup, hup);
        assert_ll_equal(t_report_hex(inherited, "sigblk") & usr2, usr2);
        assert_ll_equal(t_report_hex(inherited, "sigcgt"), 0);
        assert_ll_equal(t_report_hex(inherited, "sigign") & (1ULL << (SIGUSR1 - 1)), 0);

        t_report_free(plain);
        t_report_free(inherited);
        free(out1);
        free(out2);
        subproc_free(c1);
        subproc_free(c2);
}

/* The two halves apart (issue 16): subproc_keep_ignored_signals() keeps what the caller
 * ignores but not its mask; subproc_set_signal_mask() gives the program exactly the mask asked
 * for, over the caller's that subproc_inherit_signals() would pass on. */
static void test_signal_mask_apart_from_ignored(void **state)
{
        const unsigned long long hup = 1ULL << (SIGHUP - 1), usr1 = 1ULL << (SIGUSR1 - 1),
                                 usr2 = 1ULL << (SIGUSR2 - 1);
        struct t_signal_state saved;
        subproc *keep = subproc_new(HELPER_PATH), *masked = subproc_new(HELPER_PATH);
        struct helper_report *rk, *rm;
        char *out_keep = NULL, *out_masked = NULL;
        sigset_t block, want;
        int rc1, rc2;

        t_save_signal_state(&saved);
        signal(SIGHUP, SIG_IGN);
        sigemptyset(&block);
        sigaddset(&block, SIGUSR2);
        sigprocmask(SIG_BLOCK, &block, NULL);
        sigemptyset(&want);
        sigaddset(&want, SIGUSR1);
        subproc_set_output_buffer(keep, &out_keep);
        subproc_set_output_buffer(masked, &out_masked);
        subproc_keep_ignored_signals(keep);
        subproc_inherit_signals(masked);
        subproc_set_signal_mask(masked, &want);
        rc1 = subproc_run(keep, NULL);
        rc2 = subproc_run(masked, NULL);
        t_restore_signal_state(&saved);

        assert_ll_equal(rc1, 0);
        assert_ll_equal(rc2, 0);
        rk = t_report_parse(out_keep, subproc_output_len(keep));
        rm = t_report_parse(out_masked, subproc_output_len(masked));
        assert_ll_equal(t_report_hex(rk, "sigign") & hup, hup);
        assert_ll_equal(t_report_hex(rk, "sigblk"), 0);
        assert_ll_equal(t_report_hex(rm, "sigign") & hup, hup);
        assert_ll_equal(t_report_hex(rm, "sigblk") & (usr1 | usr2), usr1);
        t_report_free(rk);
        t_report_free(rm);
        free(out_keep);
        free(out_masked);
        subproc_free(keep);
        subproc_free(masked);
        /* A NULL mask is refused. */
        keep = subproc_new(HELPER_PATH);
        subproc_set_signal_mask(keep, NULL);
        assert_run_fails(keep, EINVAL, "signal mask");
        subproc_free(keep);
}

/* ---------------------------------------------------------------------------------------
 * A failed subproc_exec() gives the caller its process back (issue 11, item 10)
 * ------------------------------------------------------------------------------------- */

static volatile sig_atomic_t usr1_seen;

static void count_usr1(int sig)
{
        (void)sig;
        usr1_seen++;
}

/* Runs in the child: async-signal-safe only.  Opens an fd and leaves it to the program. */
static int leaky_hook(void *opaque)
{
        (void)opaque;
        return open("/dev/null", O_RDONLY) < 0 ? errno : 0;
}

/* What the forked caller can see of itself. */
struct self_view {
        struct sigaction usr1, pipe, term;
        sigset_t mask;
        char cwd[512];
        mode_t umask;
        struct rlimit nofile;
        int pdeathsig;
        struct stat out; /* fd 1 */
        char fds[512];   /* "fd:cloexec " for each open fd */
};

static void view_self(struct self_view *v)
{
        char path[64];

        memset(v, 0, sizeof *v);
        sigaction(SIGUSR1, NULL, &v->usr1);
        sigaction(SIGPIPE, NULL, &v->pipe);
        sigaction(SIGTERM, NULL, &v->term);
        sigprocmask(SIG_SETMASK, NULL, &v->mask);
        if (!getcwd(v->cwd, sizeof v->cwd))
                v->cwd[0] = '\0';
        v->umask = umask(0);
        umask(v->umask);
        getrlimit(RLIMIT_NOFILE, &v->nofile);
#ifdef __linux__
        prctl(PR_GET_PDEATHSIG, &v->pdeathsig);
#endif
        fstat(1, &v->out);
        for (int fd = 0; fd < 256; fd++) {
                int flags = fcntl(fd, F_GETFD);
                size_t used = strlen(v->fds);

                snprintf(path, sizeof path, "%d:%d ", fd, flags & FD_CLOEXEC);
                if (flags >= 0 && used + strlen(path) < sizeof v->fds)
                        strcat(v->fds, path);
        }
}

/* Which parts differ, one bit each (0: none), and a word on the first. */
static long compare_views(const struct self_view *a, const struct self_view *b, char *msg,
                          size_t size)
{
        const char *names[] = { "SIGUSR1 handler",
                                "SIGPIPE disposition",
                                "SIGTERM handler",
                                "signal mask",
                                "cwd",
                                "umask",
                                "RLIMIT_NOFILE",
                                "death signal",
                                "fd 1",
                                "open fds or their flags" };
        bool differs[10] = {
                a->usr1.sa_handler != b->usr1.sa_handler,
                a->pipe.sa_handler != b->pipe.sa_handler,
                a->term.sa_handler != b->term.sa_handler,
                memcmp(&a->mask, &b->mask, sizeof a->mask) != 0,
                strcmp(a->cwd, b->cwd) != 0,
                a->umask != b->umask,
                a->nofile.rlim_cur != b->nofile.rlim_cur,
                a->pdeathsig != b->pdeathsig,
                a->out.st_dev != b->out.st_dev || a->out.st_ino != b->out.st_ino,
                strcmp(a->fds, b->fds) != 0,
        };
        long bits = 0;

        msg[0] = '\0';
        for (int i = 0; i < 10; i++) {
                if (!differs[i])
                        continue;
                if (!bits)
                        snprintf(msg, size, "%s changed (fds before: %.200s after: %.200s)",
                                 names[i], a->fds, b->fds);
                bits |= 1L << i;
        }
        return bits;
}

/* Runs in a forked process: no cmocka. */
static void exec_fails_and_restores(void *arg, struct t_result *res)
{
        const char *pidfile = arg;
        struct sigaction sa = { .sa_handler = count_usr1 };
        struct self_view before, after;
        struct rlimit nofile;
        sigset_t block;
        int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
        subproc *c = subproc_new_args("/nonexistent/subproc-binary", NULL);
        int r;

        sigemptyset(&sa.sa_mask);
        sigaction(SIGUSR1, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);
        sigemptyset(&block);
        sigaddset(&block, SIGUSR2);
        sigprocmask(SIG_BLOCK, &block, NULL);
        getrlimit(RLIMIT_NOFILE, &nofile);
        subproc_set_output_fd(c, &devnull);
        subproc_set_cwd(c, "/");
        subproc_set_umask(c, 077);
        subproc_set_rlimit(c, RLIMIT_NOFILE, nofile.rlim_cur - 1, nofile.rlim_max);
        subproc_set_death_signal(c, SIGTERM);
        subproc_set_pre_exec_hook(c, leaky_hook, NULL);
        subproc_set_pidfile(c, pidfile);
        subproc_pass_fd(c, t_child_result_fd, 0);
        view_self(&before);
        r = subproc_exec(c);
        t_result_set(res, r);
        view_self(&after);
        if (r == 0 || res->error != ENOENT)
                res->value |= 1L << 20; /* res->msg says why */
        else
                res->value = compare_views(&before, &after, res->msg, sizeof res->msg);
        /* The pidfile's lock went with the fd that held it, and the file that named us with
         * it (a failed start leaves no pidfile). */
        {
                int fd = open(pidfile, O_RDONLY | O_CLOEXEC);

                if (fd >= 0 || errno != ENOENT)
                        res->value |= 1L << 21;
                if (fd >= 0)
                        close(fd);
        }
        subproc_free(c);
        close(devnull);
}

static void test_exec_failure_restores_caller(void **state)
{
        char *dir = t_make_temp_dir(), *pidfile = t_path(dir, "pid");
        const char *const names[] = { "pid", NULL };
        struct t_result res;

        assert_ll_equal(chdir(dir), 0);
        t_in_child(exec_fails_and_restores, pidfile, &res);
        assert_ll_equal(chdir("/"), 0);
        if (res.value != 0)
                print_error("differences 0x%lx: %s\n", res.value, res.msg);
        assert_ll_equal(res.value, 0);
        free(pidfile);
        t_remove_dir(dir, names);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                T_TEST(test_exec_applies_plan),
                T_TEST(test_exec_failure),
                T_TEST(test_inherit_signals),
                T_TEST(test_signal_mask_apart_from_ignored),
                T_TEST(test_exec_failure_restores_caller),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
