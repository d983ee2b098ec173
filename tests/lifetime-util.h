/* Support shared by the lifetime suite (daemons, pidfiles, lifetimes, hook, handshake,
 * privileges): waiting for processes that are not our children, running a piece of a test in
 * a forked process, skipping without root, and a teardown that stops what a failed case left.
 *
 * SPDX-License-Identifier: MIT
 *
 * Include after cmocka.h and testutil.h.  Everything is static inline: each test file uses a
 * different part.
 */
#ifndef SUBPROC_LIFETIME_UTIL_H
#define SUBPROC_LIFETIME_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A bound for things that take milliseconds: it only catches hangs. */
#define LT_HANG_GUARD_MS 5000

/* A pidfd for any process, child or not; -1 with errno ESRCH if it is gone. */
static inline int lt_pidfd_open(pid_t pid)
{
        return tc_pidfd_open(pid);
}

/* Whether `pid` (any process) has exited: it is gone, or a zombie, which kill() still finds
 * (without /proc, a zombie looks alive). */
static inline bool lt_gone_or_zombie(pid_t pid)
{
        char path[64], line[512], *paren = NULL;
        FILE *f;

        if (kill(pid, 0) < 0 && errno == ESRCH)
                return true;
        snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
        f = fopen(path, "re");
        if (f == NULL)
                /* Reaped since kill() looked, or no /proc: ask kill() again. */
                return kill(pid, 0) < 0 && errno == ESRCH;
        if (fgets(line, sizeof line, f) != NULL)
                paren = strrchr(line, ')');
        fclose(f);
        /* Field 3, the state, follows the name, which may hold spaces and parentheses. */
        return paren != NULL && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X');
}

/* Wait up to timeout_ms for `pid` (any process) to exit; a zombie has exited.  Returns the
 * milliseconds it took, or -1 if it still runs.  Without pidfd_open (ENOSYS on old kernels,
 * EPERM under some seccomp filters) it looks every millisecond until the deadline. */
static inline double lt_wait_exit(pid_t pid, int timeout_ms)
{
        double start = monotonic_ms();
        struct pollfd pfd = { .events = POLLIN };
        int r;

        pfd.fd = lt_pidfd_open(pid);
        if (pfd.fd < 0 && (errno == ENOSYS || errno == EPERM)) {
                struct timespec step = { 0, 1000 * 1000 };

                while (!lt_gone_or_zombie(pid)) {
                        if (monotonic_ms() - start >= timeout_ms)
                                return -1;
                        nanosleep(&step, NULL);
                }
                return monotonic_ms() - start;
        }
        if (pfd.fd < 0) {
                if (errno == ESRCH)
                        return 0;
                print_error("pidfd_open %ld: %s\n", (long)pid, strerror(errno));
                fail();
        }
        do {
                double left = timeout_ms - (monotonic_ms() - start);

                r = poll(&pfd, 1, left > 0 ? (int)left : 0);
        } while (r < 0 && errno == EINTR);
        close(pfd.fd);
        return r == 1 ? monotonic_ms() - start : -1;
}

/* Whether `pid` has exited (or never existed) right now. */
static inline bool lt_exited(pid_t pid)
{
        return lt_wait_exit(pid, 0) >= 0;
}

/* Wait up to timeout_ms until `fd` is readable (or at EOF). */
static inline bool lt_wait_readable(int fd, int timeout_ms)
{
        double start = monotonic_ms();
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        int r;

        do {
                double left = timeout_ms - (monotonic_ms() - start);

                r = poll(&pfd, 1, left > 0 ? (int)left : 0);
        } while (r < 0 && errno == EINTR);
        return r == 1;
}

/* Read exactly `len` bytes from `fd` within timeout_ms; fails the test otherwise. */
static inline void lt_read_exact(int fd, void *buf, size_t len, int timeout_ms)
{
        char *p = buf;

        while (len > 0) {
                ssize_t n;

                if (!lt_wait_readable(fd, timeout_ms)) {
                        print_error("nothing to read on fd %d within %d ms\n", fd, timeout_ms);
                        fail();
                }
                n = read(fd, p, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        print_error("fd %d: %s\n", fd, n == 0 ? "EOF" : strerror(errno));
                        fail();
                }
                p += n;
                len -= (size_t)n;
        }
}

/* Whether `pid` runs the test helper (so that a cleanup never kills a recycled pid). */
static inline bool lt_is_helper(pid_t pid)
{
        char link[64], target[PATH_MAX], *helper = realpath(HELPER_PATH, NULL);
        ssize_t len;
        bool same;

        snprintf(link, sizeof link, "/proc/%ld/exe", (long)pid);
        len = readlink(link, target, sizeof target - 1);
        if (len < 0 || helper == NULL) {
                free(helper);
                return false;
        }
        target[len] = '\0';
        same = strcmp(target, helper) == 0;
        free(helper);
        return same;
}

static inline bool lt_file_exists(const char *path)
{
        struct stat st;

        return lstat(path, &st) == 0;
}

/* assert_run_fails() for a caller that has other children running: expect subproc_run() to
 * fail with `expected_errno` and a message holding `msg_part` (NULL: only non-empty). */
#define lt_assert_run_fails(c, expected_errno, msg_part)                                      \
        lt_assert_run_fails_at((c), (expected_errno), (msg_part), __FILE__, __LINE__)
static inline void lt_assert_run_fails_at(subproc *c, int expected_errno, const char *msg_part,
                                          const char *file, int line)
{
        int rc, saved_errno;

        errno = 0;
        rc = subproc_run(c, NULL);
        saved_errno = errno;
        if (rc != -1) {
                print_error("subproc_run returned %d, expected -1\n", rc);
                _fail(file, line);
        }
        if (saved_errno != expected_errno)
                print_error("message: %s\n", subproc_errmsg());
        sp_assert_errno_equal(saved_errno, expected_errno, file, line);
        if (subproc_errmsg()[0] == '\0') {
                print_error("no error message\n");
                _fail(file, line);
        }
        if (msg_part != NULL)
                sp_assert_contains(subproc_errmsg(), msg_part, file, line);
}

/* ---------------------------------------------------------------------------------------
 * Daemons are nobody's children: remember them, so that a failed case does not leave one.
 * ------------------------------------------------------------------------------------- */

#define LT_MAX_TRACKED 16
static pid_t lt_tracked[LT_MAX_TRACKED];

static inline void lt_track(pid_t pid)
{
        for (size_t i = 0; i < LT_MAX_TRACKED; i++) {
                if (lt_tracked[i] <= 0) {
                        lt_tracked[i] = pid;
                        return;
                }
        }
}

/* Kill every tracked process still running the helper; true if there was one. */
static inline bool lt_kill_tracked(void)
{
        bool found = false;

        for (size_t i = 0; i < LT_MAX_TRACKED; i++) {
                if (lt_tracked[i] > 0 && lt_is_helper(lt_tracked[i])) {
                        print_error("process %ld was left running\n", (long)lt_tracked[i]);
                        kill(lt_tracked[i], SIGKILL);
                        (void)lt_wait_exit(lt_tracked[i], LT_HANG_GUARD_MS);
                        found = true;
                }
                lt_tracked[i] = 0;
        }
        return found;
}

/* The suite's teardown: the common checks, plus no tracked process left, and the caller is
 * no subreaper any more (cases that adopt orphans turn it on). */
static inline int lt_teardown(void **state)
{
        bool leftover;
        int r;

        (void)tc_set_subreaper(false);
        leftover = lt_kill_tracked();
        r = sp_test_teardown(state);
        return leftover ? -1 : r;
}

#define LT_TEST(f) cmocka_unit_test_setup_teardown(f, sp_test_setup, lt_teardown)

/* Adopt orphaned descendants, so that a grandchild whose parent died can be reaped and its
 * status checked.  lt_teardown() turns it off again. */
static inline void lt_become_subreaper(void)
{
        assert_int_equal(tc_set_subreaper(true), 0);
}

/* Reap `pid` (a child), waiting up to timeout_ms; returns its raw status. */
static inline int lt_reap(pid_t pid, int timeout_ms)
{
        int status = 0;
        pid_t r;

        if (lt_wait_exit(pid, timeout_ms) < 0) {
                print_error("process %ld did not exit within %d ms\n", (long)pid, timeout_ms);
                kill(pid, SIGKILL);
                (void)waitpid(pid, &status, 0);
                fail();
        }
        do
                r = waitpid(pid, &status, 0);
        while (r < 0 && errno == EINTR);
        if (r != pid)
                print_error("waitpid %ld: %s\n", (long)pid, strerror(errno));
        assert_ll_equal(r, pid);
        return status;
}

/* ---------------------------------------------------------------------------------------
 * A piece of a test in a forked process (to change credentials or die without harm).  The
 * function must not use cmocka: it fills the result, which comes back through a pipe.
 * ------------------------------------------------------------------------------------- */

struct lt_result {
        int rc;
        int error;
        long value;
        char msg[512];
};

/* In the forked process: the fd the result goes to (to keep it open across a
 * subproc_exec() that fails, pass it with subproc_pass_fd()). */
static int lt_child_result_fd = -1;

static inline void lt_result_set(struct lt_result *res, int rc)
{
        res->rc = rc;
        res->error = rc < 0 ? errno : 0;
        snprintf(res->msg, sizeof res->msg, "%s", rc < 0 ? subproc_errmsg() : "");
}

static inline void lt_in_child(void (*fn)(void *arg, struct lt_result *res), void *arg,
                               struct lt_result *res)
{
        int fds[2], status;
        pid_t pid;

        assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                struct lt_result mine = { .rc = -12345 };
                const char *p = (const char *)&mine;
                size_t left = sizeof mine;

                close(fds[0]);
                lt_child_result_fd = fds[1];
                fn(arg, &mine);
                while (left > 0) {
                        ssize_t n = write(fds[1], p, left);

                        if (n <= 0)
                                _exit(3);
                        p += n;
                        left -= (size_t)n;
                }
                _exit(0);
        }
        close(fds[1]);
        memset(res, 0, sizeof *res);
        lt_read_exact(fds[0], res, sizeof *res, 30000);
        close(fds[0]);
        status = lt_reap(pid, LT_HANG_GUARD_MS);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                print_error("the forked part of the test ended with status 0x%x\n",
                            (unsigned)status);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ---------------------------------------------------------------------------------------
 * Privileges
 * ------------------------------------------------------------------------------------- */

/* Whether the caller's effective set holds capability `cap`. */
static inline bool lt_has_cap(int cap)
{
        FILE *status = fopen("/proc/self/status", "re");
        unsigned long long eff = 0;
        char line[256];

        if (status == NULL)
                return false;
        while (fgets(line, sizeof line, status) != NULL)
                if (strncmp(line, "CapEff:", 7) == 0)
                        eff = strtoull(line + 7, NULL, 16);
        fclose(status);
        return (eff >> cap) & 1;
}

/* Skip (with a message) unless the caller is root with the capabilities that changing
 * credentials and the bounding set need: CAP_SETGID (6), CAP_SETUID (7), CAP_SETPCAP (8). */
#define lt_require_root()                                                                     \
        do {                                                                                  \
                if (geteuid() != 0 || !lt_has_cap(6) || !lt_has_cap(7) || !lt_has_cap(8)) {  \
                        print_message("skipped: needs root with CAP_SETUID, CAP_SETGID and "  \
                                      "CAP_SETPCAP\n");                                       \
                        skip();                                                               \
                }                                                                             \
        } while (0)

/* A directory anyone may write into, for marker files of children that drop privileges. */
static inline char *lt_open_dir(void)
{
        char *dir = make_temp_dir();

        assert_int_equal(chmod(dir, 0777), 0);
        return dir;
}

/* dir/name, malloc'd. */
static inline char *lt_path(const char *dir, const char *name)
{
        char *path = NULL;

        /* abort(), not an assertion: the compiler must see that path is never NULL. */
        if (asprintf(&path, "%s/%s", dir, name) < 0 || path == NULL)
                abort();
        return path;
}

/* Remove dir with the files of the NULL-terminated list of names (absent ones are fine). */
static inline void lt_remove_dir(char *dir, const char *const *names)
{
        for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
                char *path = lt_path(dir, names[i]);

                (void)unlink(path);
                free(path);
        }
        if (rmdir(dir) != 0)
                print_error("rmdir %s: %s\n", dir, strerror(errno));
        free(dir);
}

/* Whether this kernel (or valgrind) gives pidfds: without them the library's pidfile stop
 * refuses to signal anybody (ENOTSUP), and the cases about stopping skip. */
static inline bool lt_have_pidfds(void)
{
        int fd = lt_pidfd_open(getpid());

        if (fd < 0)
                return false;
        close(fd);
        return true;
}

/* Stop the holder of a pidfile as a case's cleanup: subproc_pidfile_force_cleanup(), or,
 * without pidfds, where it must refuse, a SIGKILL by pid to the holder it names.  0 or -1. */
static inline int lt_stop_pidfile(const char *path)
{
        pid_t holder = -1;

        if (subproc_pidfile_force_cleanup(path) == 0)
                return 0;
        if (errno != ENOTSUP || lt_have_pidfds())
                return -1;
        if (subproc_pidfile_read_if_alive(path, &holder) != 0 || holder <= 0)
                return -1;
        (void)kill(holder, SIGKILL);
        if (lt_wait_exit(holder, LT_HANG_GUARD_MS) < 0)
                return -1;
        return unlink(path);
}

#endif /* SUBPROC_LIFETIME_UTIL_H */
