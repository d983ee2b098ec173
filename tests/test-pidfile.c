/* Tests of pidfiles that are held, not just written: the lock lives exactly as long as the
 * command, a second start never overwrites a held file, "alive" is decided by the lock, and
 * force_cleanup stops the holder and never signals a pid it cannot trust.
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/support.h"

/* A guard for the calls that must not block on a FIFO: the default action ends the test. */
#define FIFO_GUARD_S 10

/* ---------------------------------------------------------------------------------------
 * The program holds the pidfile
 * ------------------------------------------------------------------------------------- */

static void check_holds_pidfile(const struct helper_report *r, const char *path)
{
        long long fd = t_report_get_int(r, "pidfile_fd");
        char expected[64];

        /* One extra fd, and it is the pidfile, kept open across exec. */
        assert_true(fd >= 3);
        snprintf(expected, sizeof expected, "0 1 2 %lld", fd);
        t_check_fd_set(r, expected);
        assert_string_equal(t_report_getf(r, "fdlink[%lld]", fd), path);
        assert_string_equal(t_report_getf(r, "fdcloexec[%lld]", fd), "0");
        /* Locked, and the lock is that fd's: a fresh open sees it, the fd itself does not. */
        assert_ll_equal(t_report_get_int(r, "pidfile_locked"), 1);
        assert_ll_equal(t_report_get_int(r, "pidfile_fd_conflict"), 0);
        /* An open-file-description lock: closing another fd of the file keeps it. */
        assert_ll_equal(t_report_get_int(r, "pidfile_locked_after_close"), 1);
        /* Read-only: the program cannot rewrite the file through it (issue 11 item 1). */
        assert_ll_equal(t_report_get_int(r, "pidfile_fd_readonly"), 1);
        /* It holds the program's own pid. */
        snprintf(expected, sizeof expected, "%s\n", t_report_get(r, "pid"));
        assert_string_equal(t_report_get(r, "pidfile_text"), expected);
}

static void test_program_holds_pidfile(void **state)
{
        char *path = t_make_temp_path(), *out = NULL;
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;

        subproc_add_arg_format(c, "--pidfile-check=%s", path);
        subproc_set_pidfile(c, path);
        r = t_run_report(c, &out);
        check_holds_pidfile(r, path);
        /* The lock lived exactly as long as the command. */
        assert_ll_equal(t_read_alive(path), -1);
        t_report_free(r);

        /* So the command can run again with the same pidfile. */
        r = t_run_report_again(c, &out);
        check_holds_pidfile(r, path);
        t_report_free(r);
        subproc_free(c);
        (void)unlink(path);
        free(path);
}

static void test_pidfile_while_running(void **state)
{
        char *path = t_make_temp_path();
        int release_fd;
        pid_t pid;
        subproc *c = t_holder_start(path, &release_fd, &pid);

        /* By the time run_async returns, the child holds it with its own pid. */
        assert_ll_equal(t_read_pid(path), pid);
        assert_ll_equal(t_read_alive(path), pid);
        t_holder_stop(c, release_fd);
        assert_ll_equal(t_read_alive(path), -1);
        (void)unlink(path);
        free(path);
}

/* ---------------------------------------------------------------------------------------
 * No overwrite
 * ------------------------------------------------------------------------------------- */

static void check_busy(subproc *c, const char *path, pid_t holder, const char *content,
                       size_t content_len, ino_t ino)
{
        char *holder_text = t_pid_text(holder), *now;
        size_t now_len;
        struct stat st;

        /* The holder still runs: the common assert_run_fails() would object to it. */
        assert_run_fails_with_children(c, EBUSY, path);
        assert_contains(subproc_errmsg(), holder_text);
        now = t_read_file_all(path, &now_len);
        assert_bytes_equal(now, now_len, content, content_len);
        assert_ll_equal(stat(path, &st), 0);
        assert_ll_equal(st.st_ino, ino);
        free(now);
        free(holder_text);
}

static void test_second_start_is_ebusy(void **state)
{
        char *dir = t_open_dir(), *path = t_path(dir, "pid"), *marker = t_path(dir, "ran");
        const char *const names[] = { "pid", "ran", NULL };
        char *content, *holder_text, *ran, expected[64];
        size_t content_len;
        int release_fd;
        subproc *second, *daemon;
        struct stat st;
        pid_t holder;
        subproc *first = t_holder_start(path, &release_fd, &holder);

        content = t_read_file_all(path, &content_len);
        assert_ll_equal(stat(path, &st), 0);

        second = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_add_arg_format(second, "--write-file=%s", marker);
        subproc_set_pidfile(second, path);
        check_busy(second, path, holder, content, content_len, st.st_ino);
        assert_false(t_file_exists(marker));

        daemon = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_add_arg_format(daemon, "--write-file=%s", marker);
        subproc_set_pidfile(daemon, path);
        subproc_daemonize(daemon);
        check_busy(daemon, path, holder, content, content_len, st.st_ino);
        assert_false(t_file_exists(marker));
        subproc_free(daemon);

        /* subproc_pidfile_acquire() sees the same holder. */
        errno = 0;
        assert_ll_equal(subproc_pidfile_acquire(path, 0), -1);
        assert_errno_equal(errno, EBUSY);
        holder_text = t_pid_text(holder);
        assert_contains(subproc_errmsg(), holder_text);
        free(holder_text);

        /* Once the holder is gone, a new start succeeds and holds it. */
        t_holder_stop(first, release_fd);
        assert_ll_equal(subproc_run(second, NULL), 0);
        /* It ran, and held the file with its own pid. */
        ran = t_read_file_all(marker, NULL);
        snprintf(expected, sizeof expected, "pid=%ld\n", (long)t_read_pid(path));
        assert_string_equal(ran, expected);
        free(ran);
        subproc_free(second);
        free(content);
        free(path);
        free(marker);
        t_remove_dir(dir, names);
}

static void test_restart_after_sigkill(void **state)
{
        char *path = t_make_temp_path();
        int release_fd, status = -1;
        pid_t first_pid, second_pid;
        subproc *first = t_holder_start(path, &release_fd, &first_pid), *second;

        assert_ll_equal(kill(first_pid, SIGKILL), 0);
        subproc_set_raw_status(first);
        assert_ll_equal(subproc_wait(first, &status), 0);
        assert_true(WIFSIGNALED(status));
        assert_ll_equal(WTERMSIG(status), SIGKILL);
        close(release_fd);
        subproc_free(first);

        /* The file still names the dead holder, but nobody holds the lock. */
        assert_ll_equal(t_read_pid(path), first_pid);
        assert_ll_equal(t_read_alive(path), -1);

        second = t_holder_start(path, &release_fd, &second_pid);
        assert_ll_equal(t_read_pid(path), second_pid);
        assert_ll_equal(t_read_alive(path), second_pid);
        t_holder_stop(second, release_fd);
        (void)unlink(path);
        free(path);
}

/* ---------------------------------------------------------------------------------------
 * Alive is decided by the lock
 * ------------------------------------------------------------------------------------- */

static void test_read_if_alive_decides_by_lock(void **state)
{
        char *path = t_make_temp_path(), *text;
        pid_t live[2] = { getpid(), getppid() };
        int fd;

        /* A missing file: nobody holds it. */
        assert_ll_equal(t_read_alive(path), -1);

        /* Live but unrelated pids, written by hand without a lock: nobody holds it. */
        for (size_t i = 0; i < 2; i++) {
                text = t_pid_text(live[i]);
                t_write_file(path, text, strlen(text));
                free(text);
                assert_ll_equal(t_read_pid(path), live[i]);
                assert_ll_equal(t_read_alive(path), -1);
        }

        /* Held (by another open file description of this process): alive, and the pid is
         * the holder the kernel shows, us, not the pid the file names. */
        fd = subproc_pidfile_acquire(path, 0);
        assert_true(fd >= 0);
        assert_ll_equal(t_read_alive(path), getpid());
        assert_ll_equal(subproc_pidfile_release(path, fd), 0);
        assert_ll_equal(t_read_alive(path), -1);
        free(path);
}

/* ---------------------------------------------------------------------------------------
 * acquire, release, read
 * ------------------------------------------------------------------------------------- */

static void test_acquire_and_release(void **state)
{
        char *path = t_make_temp_path(), *content, *again;
        size_t content_len, again_len;
        int fd, fd2;

        fd = subproc_pidfile_acquire(path, 4242);
        if (fd < 0)
                print_error("acquire: %s\n", subproc_errmsg());
        assert_true(fd >= 0);
        assert_ll_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
        assert_ll_equal(t_read_pid(path), 4242);
        /* Alive is who holds it (we do), never the pid written in it. */
        assert_ll_equal(t_read_alive(path), getpid());

        /* A second acquire, even from this process, is refused and changes nothing. */
        content = t_read_file_all(path, &content_len);
        errno = 0;
        assert_ll_equal(subproc_pidfile_acquire(path, 777), -1);
        assert_errno_equal(errno, EBUSY);
        assert_contains(subproc_errmsg(), "is held by");
        /* 4242 holds nothing: the message does not name it as the holder. */
        assert_null(strstr(subproc_errmsg(), "4242"));
        again = t_read_file_all(path, &again_len);
        assert_bytes_equal(again, again_len, content, content_len);
        free(again);
        free(content);

        /* Release removes the file and closes the fd. */
        assert_ll_equal(subproc_pidfile_release(path, fd), 0);
        assert_false(t_file_exists(path));
        assert_false(t_fd_is_open(fd));
        assert_ll_equal(t_read_alive(path), -1);
        /* A missing file is fine, and the fd is still closed. */
        fd2 = subproc_pidfile_acquire(path, 0);
        assert_true(fd2 >= 0);
        assert_ll_equal(unlink(path), 0);
        assert_ll_equal(subproc_pidfile_release(path, fd2), 0);
        assert_false(t_fd_is_open(fd2));

        /* pid 0 keeps what the file holds. */
        t_write_file(path, "777\n", 4);
        fd = subproc_pidfile_acquire(path, 0);
        assert_true(fd >= 0);
        content = t_read_file_all(path, &content_len);
        assert_string_equal(content, "777\n");
        free(content);
        assert_ll_equal(subproc_pidfile_release(path, fd), 0);

        /* Bad arguments. */
        errno = 0;
        assert_ll_equal(subproc_pidfile_acquire(path, -5), -1);
        assert_errno_equal(errno, EINVAL);
        errno = 0;
        assert_ll_equal(subproc_pidfile_acquire("", 1), -1);
        assert_errno_equal(errno, EINVAL);
        assert_false(t_file_exists(path));
        free(path);
}

#define assert_pidfile_refused(path, expected_errno, acquire_also) \
        pidfile_refused_at((path), (expected_errno), (acquire_also), __FILE__, __LINE__)

/* subproc_pidfile_acquire(), subproc_pidfile_read() and subproc_pidfile_read_if_alive() all
 * fail on `path` with `expected_errno`; acquire may say `acquire_also` instead (0: it may
 * not). */
static void pidfile_refused_at(const char *path, int expected_errno, int acquire_also,
                               const char *file, int line)
{
        pid_t pid = -2;
        int e;

        errno = 0;
        t_assert_ll_equal(subproc_pidfile_acquire(path, 1234), -1, "subproc_pidfile_acquire", file,
                          line);
        e = errno;
        if (acquire_also == 0 || e != acquire_also)
                t_assert_errno_equal(e, expected_errno, file, line);
        errno = 0;
        t_assert_ll_equal(subproc_pidfile_read(path, &pid), -1, "subproc_pidfile_read", file, line);
        t_assert_errno_equal(errno, expected_errno, file, line);
        errno = 0;
        t_assert_ll_equal(subproc_pidfile_read_if_alive(path, &pid), -1,
                          "subproc_pidfile_read_if_alive", file, line);
        t_assert_errno_equal(errno, expected_errno, file, line);
}

static void test_symlink_refused(void **state)
{
        char *dir = t_make_temp_dir(), *target = t_path(dir, "target"), *link = t_path(dir, "link");
        char *marker = t_path(dir, "ran"), *now;
        const char *const names[] = { "target", "link", "ran", NULL };
        subproc *c;

        t_write_file(target, "55\n", 3);
        assert_ll_equal(symlink(target, link), 0);
        assert_pidfile_refused(link, ELOOP, 0);

        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_add_arg_format(c, "--write-file=%s", marker);
        subproc_set_pidfile(c, link);
        assert_run_fails(c, ELOOP, link);
        assert_false(t_file_exists(marker));
        subproc_free(c);

        /* force_cleanup does not follow it either: the target is left alone. */
        (void)subproc_pidfile_force_cleanup(link);
        now = t_read_file_all(target, NULL);
        assert_string_equal(now, "55\n");
        free(now);

        free(target);
        free(link);
        free(marker);
        t_remove_dir(dir, names);
}

static void test_fifo_refused_without_blocking(void **state)
{
        char *dir = t_make_temp_dir(), *fifo = t_path(dir, "fifo"), *marker = t_path(dir, "ran");
        const char *const names[] = { "fifo", "ran", NULL };
        subproc *c;
        int rc, saved_errno;

        assert_ll_equal(mkfifo(fifo, 0644), 0);
        /* Nobody ever opens the other end: a blocking open would hang until the alarm. */
        alarm(FIFO_GUARD_S);
        assert_pidfile_refused(fifo, EINVAL, 0);

        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_add_arg_format(c, "--write-file=%s", marker);
        subproc_set_pidfile(c, fifo);
        errno = 0;
        rc = subproc_run(c, NULL);
        saved_errno = errno;
        alarm(0);
        assert_ll_equal(rc, -1);
        /* The header leaves this errno open: the child's open of a FIFO without a reader
         * (O_NONBLOCK) fails with ENXIO before a file type check could say EINVAL. */
        if (saved_errno != EINVAL && saved_errno != ENXIO)
                assert_errno_equal(saved_errno, EINVAL);
        assert_contains(subproc_errmsg(), fifo);
        assert_false(t_file_exists(marker));
        subproc_free(c);

        free(fifo);
        free(marker);
        t_remove_dir(dir, names);
}

static void test_directory_refused(void **state)
{
        char *dir = t_make_temp_dir();

        /* "EINVAL for a file that is not a regular file, or the errno of open": opening a
         * directory for writing fails first, with EISDIR. */
        assert_pidfile_refused(dir, EINVAL, EISDIR);
        assert_ll_equal(rmdir(dir), 0);
        free(dir);
}

/* subproc_pidfile_read() of a file holding `len` bytes of `content`: `expected` (0: EINVAL,
 * with a message naming the file and no pid written). */
static void check_read(const char *path, const char *content, size_t len, pid_t expected)
{
        pid_t pid = -2;
        int rc;

        t_write_file(path, content, len);
        errno = 0;
        rc = subproc_pidfile_read(path, &pid);
        if (expected > 0) {
                if (rc != 0)
                        print_error("\"%s\": %s\n", content, subproc_errmsg());
                assert_ll_equal(rc, 0);
                assert_ll_equal(pid, expected);
        } else {
                if (rc != -1)
                        print_error("\"%s\" (%zu bytes) was read as pid %ld\n", content, len,
                                    (long)pid);
                assert_ll_equal(rc, -1);
                assert_errno_equal(errno, EINVAL);
                assert_contains(subproc_errmsg(), path);
                /* Outputs are written only on success. */
                assert_ll_equal(pid, -2);
        }
}

static void test_read_table(void **state)
{
        static const struct {
                const char *content;
                size_t len;
                pid_t pid; /* 0: EINVAL expected */
        } cases[] = {
                { "", 0, 0 },
                { "\n", 1, 0 },
                { "abc", 3, 0 },
                { "123abc", 6, 0 },
                { "123 x", 5, 0 },
                { "0", 1, 0 },
                { "0\n", 2, 0 },
                { "-5", 2, 0 },
                { "-5\n", 3, 0 },
                { "99999999999999999999", 20, 0 },
                { "2147483648\n", 11, 0 },
                { "123", 3, 123 },
                { "123\n", 4, 123 },
                { "123 \t\n", 6, 123 },
                { "123\n\n", 5, 123 },
                { "1", 1, 1 },
                { "2147483647\n", 11, 2147483647 },
        };
        char *path = t_make_temp_path();
        pid_t pid;

        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
                check_read(path, cases[i].content, cases[i].len, cases[i].pid);
        assert_ll_equal(unlink(path), 0);
        errno = 0;
        assert_ll_equal(subproc_pidfile_read(path, &pid), -1);
        assert_errno_equal(errno, ENOENT);
        free(path);
}

/* A NUL byte is not whitespace: "12\0" is trailing garbage, not pid 12. */
static void test_read_trailing_nul_is_garbage(void **state)
{
        char *path = t_make_temp_path();

        check_read(path, "12\0", 3, 0);
        assert_ll_equal(unlink(path), 0);
        free(path);
}

/* ---------------------------------------------------------------------------------------
 * force_cleanup
 * ------------------------------------------------------------------------------------- */

static void test_force_cleanup_missing_or_unheld(void **state)
{
        char *path = t_make_temp_path(), *text;
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--sleep-ms=60000", NULL);
        pid_t pid;
        int status;

        assert_ll_equal(subproc_pidfile_force_cleanup(path), 0);
        errno = 0;
        assert_ll_equal(subproc_pidfile_force_cleanup(""), -1);
        assert_errno_equal(errno, EINVAL);

        /* A live pid in a file nobody holds: a daemon that does not lock its pidfile, or a
         * recycled pid.  Nothing proves which: refused, nobody signalled, the file stays. */
        assert_ll_equal(subproc_run_async(c, &pid), 0);
        text = t_pid_text(pid);
        t_write_file(path, text, strlen(text));
        free(text);
        errno = 0;
        assert_ll_equal(subproc_pidfile_force_cleanup(path), -1);
        assert_errno_equal(errno, ENOLCK);
        assert_contains(subproc_errmsg(), "does not hold the pidfile's lock");
        assert_true(t_file_exists(path));
        assert_ll_equal(waitpid(pid, &status, WNOHANG), 0);
        assert_ll_equal(unlink(path), 0);
        subproc_abort(c);
        subproc_free(c);
        free(path);
}

struct cleanup_job {
        const char *path;
};

static volatile sig_atomic_t term_count;

static void count_term(int sig)
{
        term_count++;
}

/* Runs in a forked process in a process group of its own, which catches SIGTERM: a kill of
 * pid 0 would reach it and be counted. */
static void cleanup_in_own_group(void *arg, struct t_result *res)
{
        const struct cleanup_job *job = arg;
        struct sigaction sa = { .sa_handler = count_term };

        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
        if (setpgid(0, 0) != 0) {
                res->rc = -2;
                return;
        }
        t_result_set(res, subproc_pidfile_force_cleanup(job->path));
        res->value = term_count;
}

static void test_force_cleanup_garbage_held(void **state)
{
        static const struct {
                const char *content;
                size_t len;
        } cases[] = {
                { "", 0 },
                { "garbage\n", 8 },
                { "0\n", 2 },
                { "00", 2 },
        };
        char *path = t_make_temp_path();

        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                struct cleanup_job job = { path };
                struct t_result res;
                char *now;
                size_t now_len;
                int fd;

                t_write_file(path, cases[i].content, cases[i].len);
                fd = subproc_pidfile_acquire(path, 0);
                assert_true(fd >= 0);
                t_in_child(cleanup_in_own_group, &job, &res);
                if (res.rc != -1)
                        print_error("case %zu: force_cleanup returned %d\n", i, res.rc);
                assert_ll_equal(res.rc, -1);
                /* The holders the kernel shows, whatever the file says: the caller itself
                 * (both processes share the open file description), never signalled. */
                if (res.error != EDEADLK)
                        print_error("case %zu: %s\n", i, res.msg);
                assert_errno_equal(res.error, EDEADLK);
                assert_contains(res.msg, path);
                /* Nobody was signalled, and the held file is left as it was. */
                assert_ll_equal(res.value, 0);
                now = t_read_file_all(path, &now_len);
                assert_bytes_equal(now, now_len, cases[i].content, cases[i].len);
                free(now);
                errno = 0;
                assert_ll_equal(subproc_pidfile_acquire(path, 0), -1);
                assert_errno_equal(errno, EBUSY);
                assert_ll_equal(subproc_pidfile_release(path, fd), 0);
        }
        free(path);
}

static void test_force_cleanup_stops_holder(void **state)
{
        char *path;
        int release_fd, status = -1;
        pid_t pid;
        subproc *c;

        if (!t_have_pidfds()) {
                print_message("no pidfds here (valgrind?): the library stops nobody then\n");
                skip();
        }
        path = t_make_temp_path();
        c = t_holder_start(path, &release_fd, &pid);

        assert_ll_equal(subproc_pidfile_force_cleanup(path), 0);
        assert_false(t_file_exists(path));
        subproc_set_raw_status(c);
        /* Bounded: if the holder was not stopped, it waits for its stdin forever. */
        if (subproc_wait_timeout(c, &status, T_HANG_GUARD_SHORT_MS) != 0) {
                print_error("the holder was not stopped: %s\n", subproc_errmsg());
                subproc_abort(c);
                close(release_fd);
                subproc_free(c);
                fail();
        }
        assert_true(WIFSIGNALED(status));
        assert_ll_equal(WTERMSIG(status), SIGTERM);
        close(release_fd);
        subproc_free(c);
        free(path);
}

static void test_set_pidfile_bad_arguments(void **state)
{
        char *path = t_make_temp_path(), *second = t_make_temp_path();
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);

        /* Set twice: the latest call wins (include/subproc.h, "Construction"). */
        subproc_set_pidfile(c, path);
        subproc_set_pidfile(c, second);
        assert_ll_equal(subproc_run(c, NULL), 0);
        assert_false(t_file_exists(path));
        assert_true(t_file_exists(second));
        assert_ll_equal(unlink(second), 0);
        free(second);
        subproc_free(c);
        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_set_pidfile(c, "");
        assert_run_fails(c, EINVAL, NULL);
        subproc_free(c);
        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_set_pidfile(c, NULL);
        assert_run_fails(c, EINVAL, NULL);
        subproc_free(c);
        assert_false(t_file_exists(path));
        free(path);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                T_TEST(test_program_holds_pidfile),
                T_TEST(test_pidfile_while_running),
                T_TEST(test_second_start_is_ebusy),
                T_TEST(test_restart_after_sigkill),
                T_TEST(test_read_if_alive_decides_by_lock),
                T_TEST(test_acquire_and_release),
                T_TEST(test_symlink_refused),
                T_TEST(test_fifo_refused_without_blocking),
                T_TEST(test_directory_refused),
                T_TEST(test_read_table),
                T_TEST(test_read_trailing_nul_is_garbage),
                T_TEST(test_force_cleanup_missing_or_unheld),
                T_TEST(test_force_cleanup_garbage_held),
                T_TEST(test_force_cleanup_stops_holder),
                T_TEST(test_set_pidfile_bad_arguments),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
