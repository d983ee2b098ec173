/* Tests of the spawn path: a clean child (fds, signals), synchronous exec errors, threads and
 * the cost of spawning from a big parent.
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
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h" /* SUBPROC_SPAWN_FORK: which child this build starts */
#include "support/support.h"

/* ---------------------------------------------------------------------------------------
 * A clean child
 * ------------------------------------------------------------------------------------- */

static void test_child_gets_only_stdio(void **state)
{
        int leaky[16];
        size_t n = t_open_leaky_fds(leaky, t_high_fd_within_limit());
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r = t_run_report_file(c);

        t_check_fd_set(r, "0 1 2");
        t_report_free(r);
        subproc_free(c);
        t_close_fds(leaky, n);
}

static void test_stdio_defaults_to_dev_null(void **state)
{
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r = t_run_report_file(c);
        char *null_identity;
        int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

        assert_true(null_fd >= 0);
        null_identity = t_fd_identity(null_fd);
        close(null_fd);
        for (int fd = 0; fd <= 2; fd++) {
                assert_string_equal(t_report_getf(r, "fdlink[%d]", fd), "/dev/null");
                assert_string_equal(t_report_getf(r, "fdstat[%d]", fd), null_identity);
        }
        free(null_identity);
        t_report_free(r);
        subproc_free(c);
}

static void test_async_child_gets_only_stdio(void **state)
{
        int leaky[16];
        size_t n = t_open_leaky_fds(leaky, -1);
        char *path = t_make_temp_path();
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        int status = -1;

        subproc_add_arg_format(c, "--report=%s", path);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        assert_true(subproc_pid(c) > 0);
        assert_ll_equal(subproc_wait(c, &status), 0);
        assert_ll_equal(status, 0);
        r = t_report_read_file(path);
        unlink(path);
        t_check_fd_set(r, "0 1 2");
        t_report_free(r);
        free(path);
        subproc_free(c);
        t_close_fds(leaky, n);
}

static void test_child_signals_clean(void **state)
{
        struct t_signal_state saved;
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        sigset_t mask;
        char *out;

        t_save_signal_state(&saved);
        t_make_signals_hostile(&mask);
        r = t_run_report(c, &out);
        t_check_caller_signals_unchanged(&mask);
        t_restore_signal_state(&saved);
        t_check_child_signals_clean(r);
        t_report_free(r);
        subproc_free(c);
}

static void test_async_child_signals_clean(void **state)
{
        struct t_signal_state saved;
        subproc *c = subproc_new(HELPER_PATH);
        char *path = t_make_temp_path();
        struct helper_report *r;
        sigset_t mask;
        int status = -1, rc;

        subproc_add_arg_format(c, "--report=%s", path);
        t_save_signal_state(&saved);
        t_make_signals_hostile(&mask);
        rc = subproc_run_async(c, NULL);
        t_check_caller_signals_unchanged(&mask);
        assert_ll_equal(rc, 0);
        /* SIGCHLD is blocked in the caller: waiting must still work. */
        assert_ll_equal(subproc_wait(c, &status), 0);
        assert_ll_equal(status, 0);
        t_check_caller_signals_unchanged(&mask);
        t_restore_signal_state(&saved);
        r = t_report_read_file(path);
        unlink(path);
        t_check_child_signals_clean(r);
        t_report_free(r);
        free(path);
        subproc_free(c);
}

static void test_child_inherits_umask(void **state)
{
        subproc *c = subproc_new(HELPER_PATH);
        mode_t old = umask(027);
        struct helper_report *r;
        char *out;

        r = t_run_report(c, &out);
        umask(old);
        assert_string_equal(t_report_get(r, "umask"), "0027");
        t_report_free(r);
        subproc_free(c);
}

/* ---------------------------------------------------------------------------------------
 * Synchronous exec errors
 * ------------------------------------------------------------------------------------- */

struct spawn_failure {
        const char *what;
        subproc *c;
        int expected_errno;
        char *msg_part;
};

static void check_spawn_failure(struct spawn_failure *f)
{
        /* Finding or running the program is the exec stage; anything before it is setup. */
        enum subproc_stage stage = strncmp(f->msg_part, "exec", 4) == 0 ? SUBPROC_STAGE_EXEC
                                                                        : SUBPROC_STAGE_SETUP;

        print_message("  case %s\n", f->what);
        assert_run_fails(f->c, f->expected_errno, f->msg_part);
        assert_ll_equal(subproc_errstage(), stage);
        assert_run_async_fails(f->c, f->expected_errno, f->msg_part);
        assert_ll_equal(subproc_errstage(), stage);
        assert_ll_equal(subproc_pid(f->c), -1);
        /* The same again: a failed spawn leaves the command reusable. */
        assert_run_fails(f->c, f->expected_errno, f->msg_part);
        subproc_free(f->c);
        free(f->msg_part);
}

static struct spawn_failure failure(const char *what, subproc *c, int expected_errno,
                                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static struct spawn_failure failure(const char *what, subproc *c, int expected_errno,
                                    const char *fmt, ...)
{
        struct spawn_failure f = { .what = what, .c = c, .expected_errno = expected_errno };
        va_list ap;

        va_start(ap, fmt);
        assert_true(vasprintf(&f.msg_part, fmt, ap) >= 0);
        va_end(ap);
        return f;
}

static void test_exec_errors(void **state)
{
        char *plain_file = t_make_temp_file("#!/bin/sh\nexit 0\n", 17, 0644);
        char *garbage = t_make_temp_file("\x01\x02\x03garbage", 10, 0755);
        char *bad_interpreter = t_make_temp_file("#!/nonexistent/interpreter\n", 27, 0755);
        char *dir = t_make_temp_dir();
        char *in_file;
        struct spawn_failure cases[6];
        size_t n = 0;

        assert_true(asprintf(&in_file, "%s/x", plain_file) > 0);
        cases[n++] = failure("missing binary", subproc_new("/nonexistent/subproc-binary"), ENOENT,
                             "exec /nonexistent/subproc-binary");
        cases[n++] = failure("not executable", subproc_new(plain_file), EACCES, "exec %s",
                             plain_file);
        cases[n++] = failure("directory", subproc_new(dir), EACCES, "exec %s", dir);
        cases[n++] = failure("path through a file", subproc_new(in_file), ENOTDIR, "exec %s",
                             in_file);
        cases[n++] = failure("no valid format", subproc_new(garbage), ENOEXEC, "exec %s", garbage);
        cases[n++] = failure("missing interpreter", subproc_new(bad_interpreter), ENOENT, "exec %s",
                             bad_interpreter);
        for (size_t i = 0; i < n; i++)
                check_spawn_failure(&cases[i]);

        unlink(plain_file);
        unlink(garbage);
        unlink(bad_interpreter);
        rmdir(dir);
        free(plain_file);
        free(garbage);
        free(bad_interpreter);
        free(dir);
        free(in_file);
}

static void test_chdir_errors(void **state)
{
        char *file = t_make_temp_file("x", 1, 0644);
        struct spawn_failure f;
        subproc *c;

        c = subproc_new(HELPER_PATH);
        subproc_set_cwd(c, "/nonexistent/subproc-dir");
        f = failure("missing cwd", c, ENOENT, "chdir");
        check_spawn_failure(&f);

        c = subproc_new(HELPER_PATH);
        subproc_set_cwd(c, file);
        f = failure("cwd is a file", c, ENOTDIR, "chdir");
        check_spawn_failure(&f);

        /* The message also names the directory. */
        c = subproc_new(HELPER_PATH);
        subproc_set_cwd(c, file);
        assert_run_fails(c, ENOTDIR, file);
        subproc_free(c);

        unlink(file);
        free(file);
}

static void test_pass_closed_fd(void **state)
{
        /* High, so that no fd the library opens for itself can take the number. */
        const int closed_fd = 900;
        struct spawn_failure f;
        subproc *c;

        assert_false(t_fd_is_open(closed_fd));
        c = subproc_new(HELPER_PATH);
        subproc_pass_fd(c, closed_fd, 0);
        f = failure("closed fd", c, EBADF, "%d", closed_fd);
        check_spawn_failure(&f);
}

/* ---------------------------------------------------------------------------------------
 * Threads
 * ------------------------------------------------------------------------------------- */

#define SPAWN_THREADS 6
#define SPAWNS_PER_THREAD 120

struct spawner {
        int id;
        int failures;
        char first_failure[512];
};

static void spawner_fail(struct spawner *s, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void spawner_fail(struct spawner *s, const char *fmt, ...)
{
        va_list ap;

        if (s->failures++ > 0)
                return;
        va_start(ap, fmt);
        vsnprintf(s->first_failure, sizeof s->first_failure, fmt, ap);
        va_end(ap);
}

/* No cmocka assertions here: they longjmp, which only works in the main thread. */
static void *spawn_many(void *arg)
{
        struct spawner *s = arg;

        for (int i = 0; i < SPAWNS_PER_THREAD; i++) {
                char expected_out[64], expected_err[64];
                char *out = NULL, *err = NULL;
                int status = -1, rc;
                subproc *c = subproc_new(HELPER_PATH);

                snprintf(expected_out, sizeof expected_out, "out-%d-%d", s->id, i);
                snprintf(expected_err, sizeof expected_err, "err-%d-%d", s->id, i);
                subproc_add_args(c, "--no-report", NULL);
                subproc_add_arg_format(c, "--stdout-text=%s", expected_out);
                subproc_add_arg_format(c, "--stderr-text=%s", expected_err);
                subproc_add_arg_format(c, "--exit=%d", (s->id + i) % 5);
                subproc_set_output_buffer(c, &out);
                subproc_set_error_buffer(c, &err);
                rc = subproc_run(c, &status);
                if (rc != 0)
                        spawner_fail(s, "thread %d run %d: %s", s->id, i, subproc_errmsg());
                else if (status != (s->id + i) % 5)
                        spawner_fail(s, "thread %d run %d: status %d", s->id, i, status);
                else if (out == NULL || strcmp(out, expected_out) != 0)
                        spawner_fail(s, "thread %d run %d: stdout '%s'", s->id, i,
                                     out != NULL ? out : "(null)");
                else if (err == NULL || strcmp(err, expected_err) != 0)
                        spawner_fail(s, "thread %d run %d: stderr '%s'", s->id, i,
                                     err != NULL ? err : "(null)");
                subproc_free(c);
                free(out);
                free(err);
        }
        return NULL;
}

static void test_threads_spawn_concurrently(void **state)
{
        pthread_t threads[SPAWN_THREADS];
        struct spawner spawners[SPAWN_THREADS];
        int total_failures = 0;

        for (int i = 0; i < SPAWN_THREADS; i++) {
                spawners[i] = (struct spawner){ .id = i };
                assert_ll_equal(pthread_create(&threads[i], NULL, spawn_many, &spawners[i]), 0);
        }
        for (int i = 0; i < SPAWN_THREADS; i++) {
                assert_ll_equal(pthread_join(threads[i], NULL), 0);
                if (spawners[i].failures > 0)
                        print_error("%d failures, first: %s\n", spawners[i].failures,
                                    spawners[i].first_failure);
                total_failures += spawners[i].failures;
        }
        assert_ll_equal(total_failures, 0);
}

/* A child spawned while other threads hold fds without O_CLOEXEC for a moment still gets
 * only what it was given. */
struct fd_churner {
        atomic_bool stop;
        int cycles; /* read after pthread_join() */
};

static void *churn_fds(void *arg)
{
        struct fd_churner *churner = arg;

        while (!atomic_load(&churner->stop)) {
                int fds[2];

                if (pipe(fds) == 0) {
                        close(fds[0]);
                        close(fds[1]);
                }
                churner->cycles++;
        }
        return NULL;
}

static void test_threads_fd_churn(void **state)
{
        struct fd_churner churner = { .stop = false, .cycles = 0 };
        pthread_t thread;

        assert_ll_equal(pthread_create(&thread, NULL, churn_fds, &churner), 0);
        for (int i = 0; i < 30; i++) {
                subproc *c = subproc_new(HELPER_PATH);
                struct helper_report *r;
                char *out;

                r = t_run_report(c, &out);
                t_check_fd_set(r, "0 1 2");
                t_report_free(r);
                subproc_free(c);
        }
        atomic_store(&churner.stop, true);
        assert_ll_equal(pthread_join(thread, NULL), 0);
        print_message("  %d pipe cycles meanwhile\n", churner.cycles);
}

/* ---------------------------------------------------------------------------------------
 * Spawn cost does not grow with the parent's memory (no fork copying page tables)
 * ------------------------------------------------------------------------------------- */

static long long mem_available_mib(void)
{
        FILE *meminfo = fopen("/proc/meminfo", "re");
        char line[256];
        long long kib = -1;

        if (meminfo == NULL)
                return -1;
        while (fgets(line, sizeof line, meminfo) != NULL) {
                if (sscanf(line, "MemAvailable: %lld kB", &kib) == 1)
                        break;
        }
        fclose(meminfo);
        return kib < 0 ? -1 : kib / 1024;
}

static double min_spawn_ms(subproc *c, int rounds)
{
        double best = 1e9;

        for (int i = 0; i < rounds; i++) {
                double start = t_monotonic_ms(), elapsed;

                assert_ll_equal(subproc_run(c, NULL), 0);
                elapsed = t_monotonic_ms() - start;
                if (elapsed < best)
                        best = elapsed;
        }
        return best;
}

static double min_fork_ms(int rounds)
{
        double best = 1e9;

        for (int i = 0; i < rounds; i++) {
                double start = t_monotonic_ms(), elapsed;
                pid_t pid = fork();

                if (pid == 0)
                        _exit(0);
                assert_true(pid > 0);
                assert_ll_equal(waitpid(pid, NULL, 0), pid);
                elapsed = t_monotonic_ms() - start;
                if (elapsed < best)
                        best = elapsed;
        }
        return best;
}

static void test_spawn_cost_independent_of_rss(void **state)
{
        long long available = mem_available_mib();
        size_t size = (size_t)(available > 6144 ? 2048 : 1024) << 20;
        subproc *c = subproc_new("/bin/true");
        double small, big, fork_big;
        char *memory;

        if (SUBPROC_SPAWN_FORK) {
                print_message("built with -Dspawn=fork: the child is a fork()ed copy, whose cost "
                              "grows with the caller's memory by design\n");
                subproc_free(c);
                skip();
        }
        if (available < 3072) {
                print_message("needs 3 GiB of available memory, have %lld MiB\n", available);
                skip();
        }
        small = min_spawn_ms(c, 15);
        memory = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        assert_true(memory != MAP_FAILED);
        /* Small pages, so that a fork would have many page-table entries to copy. */
        madvise(memory, size, MADV_NOHUGEPAGE);
        memset(memory, 1, size);
        big = min_spawn_ms(c, 15);
        fork_big = min_fork_ms(5);
        munmap(memory, size);
        subproc_free(c);

        print_message("  min ms per spawn: %.3f at small RSS, %.3f at %zu MiB; fork() %.3f\n",
                      small, big, size >> 20, fork_big);
        if (fork_big < small * 4 + 3) {
                print_message("fork() is too cheap here (%.3f ms) to tell a fork from a vfork\n",
                              fork_big);
                skip();
        }
        assert_true(big < small * 4 + 3);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                T_TEST(test_child_gets_only_stdio),
                T_TEST(test_stdio_defaults_to_dev_null),
                T_TEST(test_async_child_gets_only_stdio),
                T_TEST(test_child_signals_clean),
                T_TEST(test_async_child_signals_clean),
                T_TEST(test_child_inherits_umask),
                T_TEST(test_exec_errors),
                T_TEST(test_chdir_errors),
                T_TEST(test_pass_closed_fd),
                T_TEST(test_threads_spawn_concurrently),
                T_TEST(test_threads_fd_churn),
                T_TEST(test_spawn_cost_independent_of_rss),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
