/* Pidfiles in the tests; see pidfile.h.
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
#include <unistd.h>

#include "support.h"

char *t_pid_text(pid_t pid)
{
        char *text;

        assert_true(asprintf(&text, "%ld", (long)pid) > 0);
        return text;
}

/* The pid stored in `path`, failing the test if it cannot be read. */
pid_t t_read_pid(const char *path)
{
        pid_t pid = -1;

        if (subproc_pidfile_read(path, &pid) != 0)
                print_error("subproc_pidfile_read %s: %s\n", path, subproc_errmsg());
        assert_true(pid > 0);
        return pid;
}

pid_t t_read_alive(const char *path)
{
        pid_t pid = -2;
        int rc = subproc_pidfile_read_if_alive(path, &pid);

        if (rc != 0)
                print_error("subproc_pidfile_read_if_alive %s: %s\n", path, subproc_errmsg());
        assert_ll_equal(rc, 0);
        return pid;
}

/* A helper that holds `pidfile` and runs until its stdin (whose write end goes to
 * *release_fd) is closed. */
subproc *t_holder_start(const char *pidfile, int *release_fd, pid_t *ret_pid)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--wait-fd=0", NULL);
        int fds[2];

        assert_ll_equal(pipe2(fds, O_CLOEXEC), 0);
        subproc_set_input_fd(c, fds[0]);
        subproc_set_pidfile(c, pidfile);
        if (subproc_run_async(c, NULL) != 0)
                print_error("start the holder: %s\n", subproc_errmsg());
        assert_ll_equal(subproc_pid(c) > 0, 1);
        close(fds[0]);
        *release_fd = fds[1];
        *ret_pid = subproc_pid(c);
        return c;
}

void t_holder_stop(subproc *c, int release_fd)
{
        close(release_fd);
        assert_ll_equal(subproc_wait(c, NULL), 0);
        subproc_free(c);
}

/* Stop the holder of a pidfile as a case's cleanup: subproc_pidfile_force_cleanup(), or,
 * without pidfds, where it must refuse, a SIGKILL by pid to the holder it names.  0 or -1. */
int t_stop_pidfile(const char *path)
{
        pid_t holder = -1;

        if (subproc_pidfile_force_cleanup(path) == 0)
                return 0;
        if (errno != ENOTSUP || t_have_pidfds())
                return -1;
        if (subproc_pidfile_read_if_alive(path, &holder) != 0 || holder <= 0)
                return -1;
        (void)kill(holder, SIGKILL);
        if (t_wait_exit(holder, T_HANG_GUARD_SHORT_MS) < 0)
                return -1;
        return unlink(path);
}
