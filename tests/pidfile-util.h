/* Helpers shared by the pidfile suites (test-pidfile.c, test-pidfile-trust.c).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef SUBPROC_PIDFILE_UTIL_H
#define SUBPROC_PIDFILE_UTIL_H

static inline char *pid_text(pid_t pid)
{
        char *text;

        assert_true(asprintf(&text, "%ld", (long)pid) > 0);
        return text;
}

static inline void write_file(const char *path, const void *content, size_t len)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        assert_true(fd >= 0);
        write_fd_all(fd, content, len);
        close(fd);
}

/* The pid stored in `path`, failing the test if it cannot be read. */
static inline pid_t read_pid(const char *path)
{
        pid_t pid = -1;

        if (subproc_pidfile_read(path, &pid) != 0)
                print_error("subproc_pidfile_read %s: %s\n", path, subproc_errmsg());
        assert_true(pid > 0);
        return pid;
}

static inline pid_t read_alive(const char *path)
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
static inline subproc *holder_start(const char *pidfile, int *release_fd, pid_t *ret_pid)
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

static inline void holder_stop(subproc *c, int release_fd)
{
        close(release_fd);
        assert_ll_equal(subproc_wait(c, NULL), 0);
        subproc_free(c);
}

#endif /* SUBPROC_PIDFILE_UTIL_H */
