/* Review 14b: attacks on the promises of issue 14's identity, namespace, fd-number and
 * scheduling options.  Each case is a reproduction of a broken promise (it fails until the
 * library is fixed).
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
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/support.h"

static void fd_identity(int fd, char *buf, size_t size)
{
        struct stat st;

        assert_ll_equal(fstat(fd, &st), 0);
        snprintf(buf, size, "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
}

/* The lowest fd number free in the caller now: the one the next pipe() would get. */
static int lowest_free_fd(void)
{
        int fd = fcntl(0, F_DUPFD_CLOEXEC, 0);

        assert_true(fd >= 0);
        close(fd);
        return fd;
}

/* subproc_pass_fd_as() to a number that is free in the caller, then a send buffer: the
 * library chose the send buffer's number (its pipe's, the lowest free one) without looking
 * at the numbers already promised to passed fds, returned that very number, and every run
 * then failed with EINVAL "fd N is both passed and a send buffer", a conflict the caller
 * never asked for and could not avoid.  The send buffer must get a number of its own. */
static void test_send_buffer_after_pass_fd_as(void **state)
{
        char id[64], *out = NULL;
        struct helper_report *r;
        int p[2], target, send_fd;
        subproc *c;

        (void)state;
        assert_ll_equal(pipe2(p, O_CLOEXEC), 0);
        fd_identity(p[0], id, sizeof id);
        target = lowest_free_fd();
        c = subproc_new(HELPER_PATH);
        subproc_pass_fd_as(c, p[0], target, 0);
        send_fd = subproc_add_send_buffer(c, "hello", 5);
        assert_true(send_fd >= 3);
        if (send_fd == target)
                fail_msg("subproc_add_send_buffer() returned fd %d, which subproc_pass_fd_as() "
                         "had already given to another fd",
                         target);
        subproc_add_arg_format(c, "--read-fd=%d", send_fd);
        r = t_run_report(c, &out);
        assert_string_equal(t_report_getf(r, "fdstat[%d]", target), id);
        assert_string_equal(t_report_getf(r, "read_text[%d]", send_fd), "hello");
        t_report_free(r);
        /* Again: later runs make a new pipe but keep the number. */
        r = t_run_report_again(c, &out);
        assert_string_equal(t_report_getf(r, "fdstat[%d]", target), id);
        assert_string_equal(t_report_getf(r, "read_text[%d]", send_fd), "hello");
        t_report_free(r);
        subproc_free(c);
        close(p[0]);
        close(p[1]);
}

/* Exit codes of the pid-namespace init of test_id_maps_foreign_proc(). */
enum {
        FOREIGN_RUN_FAILED = 10, /* subproc_run() refused: what a fixed library does */
        FOREIGN_RUN_OK = 11,     /* it ran, having written maps somewhere */
        FOREIGN_NO_PID = 12,     /* the child did not get the victim's number */
        FOREIGN_SETUP = 13,
        FOREIGN_UNSUPPORTED = 77,
};

/* The init of a new pid namespace that still sees the host's /proc (no mount of its own, as
 * after `unshare --pid --fork` without --mount-proc): it runs a command in a new user
 * namespace whose maps the library writes, the child's pid forced to `victim`'s number. */
static void run_in_pid_namespace(pid_t victim)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        pid_t pid = -1;
        int status, rc;

        subproc_unshare(c, CLONE_NEWUSER);
        subproc_set_id_maps(c, "0 0 1", NULL);
        subproc_set_raw_status(c);
        if (!t_set_next_pid(victim))
                _exit(FOREIGN_UNSUPPORTED);
        rc = subproc_run_async(c, &pid);
        if (rc != 0)
                _exit(FOREIGN_RUN_FAILED);
        rc = subproc_wait(c, &status);
        subproc_free(c);
        _exit(pid != victim ? FOREIGN_NO_PID : rc == 0 ? FOREIGN_RUN_OK : FOREIGN_SETUP);
}

/* The uid_map of process `pid`, "" when empty or unreadable. */
static void read_uid_map(pid_t pid, char *buf, size_t size)
{
        char path[64];
        ssize_t n;
        int fd;

        snprintf(path, sizeof path, "/proc/%ld/uid_map", (long)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        n = fd < 0 ? -1 : read(fd, buf, size - 1);
        buf[n > 0 ? n : 0] = '\0';
        if (fd >= 0)
                close(fd);
}

/* subproc_set_id_maps() writes /proc/PID/uid_map with PID the child's pid in the caller's pid
 * namespace.  A caller whose /proc belongs to another pid namespace (an ancestor's: a
 * container started without its own /proc mount) wrote the maps of whatever process has that
 * number there.  Here that process is nobody's, in a user namespace of its own that waits for
 * maps: a root supervisor's "0 0 1" made nobody's namespace root the host's uid 0 (setuid(0)
 * inside then gives it kuid 0: root's files).  The maps must reach our child or nobody. */
static void test_id_maps_foreign_proc(void **state)
{
        t_require_root();

        struct passwd *pw = getpwnam("nobody");
        int ready[2], release[2], status = -1;
        char map[256], byte;
        pid_t victim, outer;

        (void)state;
        assert_non_null(pw);
        assert_ll_equal(pipe2(ready, O_CLOEXEC), 0);
        assert_ll_equal(pipe2(release, O_CLOEXEC), 0);
        victim = fork();
        assert_true(victim >= 0);
        if (victim == 0) {
                /* The attacker: nobody, in a user namespace of its own with no maps yet. */
                close(ready[0]);
                close(release[1]);
                if (setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
                    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0 || unshare(CLONE_NEWUSER) < 0)
                        _exit(1);
                if (write(ready[1], "r", 1) != 1 || read(release[0], &byte, 1) < 0)
                        _exit(1);
                _exit(0);
        }
        close(ready[1]);
        close(release[0]);
        if (read(ready[0], &byte, 1) != 1) {
                close(release[1]);
                waitpid(victim, NULL, 0);
                close(ready[0]);
                skip(); /* no user namespace for nobody here */
        }
        outer = fork();
        assert_true(outer >= 0);
        if (outer == 0) {
                pid_t init;

                if (unshare(CLONE_NEWPID) < 0)
                        _exit(FOREIGN_UNSUPPORTED);
                init = fork();
                if (init == 0)
                        run_in_pid_namespace(victim);
                if (init < 0 || waitpid(init, &status, 0) != init || !WIFEXITED(status))
                        _exit(FOREIGN_SETUP);
                _exit(WEXITSTATUS(status));
        }
        assert_ll_equal(waitpid(outer, &status, 0), outer);
        read_uid_map(victim, map, sizeof map);
        close(release[1]);
        assert_ll_equal(waitpid(victim, NULL, 0), victim);
        close(ready[0]);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == FOREIGN_UNSUPPORTED || WEXITSTATUS(status) == FOREIGN_NO_PID) {
                print_message("skipped: cannot give the child pid %ld in a new pid namespace "
                              "(%d)\n",
                              (long)victim, WEXITSTATUS(status));
                skip();
        }
        if (map[0])
                fail_msg("the library wrote the uid_map of process %ld, not its child's: %s",
                         (long)victim, map);
        /* Our child could not get its maps: the run fails (it must not run unmapped). */
        assert_ll_equal(WEXITSTATUS(status), FOREIGN_RUN_FAILED);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                T_TEST(test_send_buffer_after_pass_fd_as),
                T_TEST(test_id_maps_foreign_proc),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
