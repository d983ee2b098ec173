/* Processes: waiting, reaping, adopting, tracking, forking a piece of a test; see proc.h.
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
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support.h"

double t_monotonic_ms(void)
{
        struct timespec now;

        clock_gettime(CLOCK_MONOTONIC, &now);
        return (double)now.tv_sec * 1000.0 + (double)now.tv_nsec / 1e6;
}

bool t_gone_or_zombie(pid_t pid)
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

double t_wait_exit(pid_t pid, double timeout_ms)
{
        double start = t_monotonic_ms();
        struct pollfd pfd = { .events = POLLIN };
        int r;

        pfd.fd = t_pidfd_open(pid);
        if (pfd.fd < 0 && (errno == ENOSYS || errno == EPERM)) {
                struct timespec step = { 0, 1000 * 1000 };

                while (!t_gone_or_zombie(pid)) {
                        if (t_monotonic_ms() - start >= timeout_ms)
                                return -1;
                        nanosleep(&step, NULL);
                }
                return t_monotonic_ms() - start;
        }
        if (pfd.fd < 0) {
                if (errno == ESRCH)
                        return 0;
                print_error("pidfd_open %ld: %s\n", (long)pid, strerror(errno));
                fail();
        }
        do {
                double left = timeout_ms - (t_monotonic_ms() - start);

                r = poll(&pfd, 1, left > 0 ? (int)left : 0);
        } while (r < 0 && errno == EINTR);
        close(pfd.fd);
        return r == 1 ? t_monotonic_ms() - start : -1;
}

bool t_exited(pid_t pid)
{
        return t_wait_exit(pid, 0) >= 0;
}

bool t_child_exited(pid_t pid, double timeout_ms)
{
        siginfo_t info = { .si_pid = 0 };
        int r;

        if (t_wait_exit(pid, timeout_ms) < 0)
                return false;
        /* WNOWAIT: the status stays for whoever reaps the child. */
        do
                r = waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT);
        while (r < 0 && errno == EINTR);
        if (r < 0)
                print_error("waitid %ld: %s\n", (long)pid, strerror(errno));
        return r == 0 && info.si_pid == pid;
}

bool t_reap_within(pid_t pid, double timeout_ms, int *status)
{
        pid_t r;

        if (t_wait_exit(pid, timeout_ms) < 0)
                return false;
        do
                r = waitpid(pid, status, 0);
        while (r < 0 && errno == EINTR);
        if (r < 0)
                print_error("waitpid %ld: %s\n", (long)pid, strerror(errno));
        return r == pid;
}

int t_reap(pid_t pid, double timeout_ms)
{
        int status = 0;
        pid_t r;

        if (t_wait_exit(pid, timeout_ms) < 0) {
                print_error("process %ld did not exit within %.0f ms\n", (long)pid, timeout_ms);
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

void t_become_subreaper(void)
{
        assert_ll_equal(t_set_subreaper(true), 0);
}

bool t_is_helper(pid_t pid)
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

#define MAX_TRACKED 16
static pid_t tracked[MAX_TRACKED];

void t_track(pid_t pid)
{
        for (size_t i = 0; i < MAX_TRACKED; i++) {
                if (tracked[i] <= 0) {
                        tracked[i] = pid;
                        return;
                }
        }
}

bool t_kill_tracked(void)
{
        bool found = false;

        for (size_t i = 0; i < MAX_TRACKED; i++) {
                if (tracked[i] > 0 && t_is_helper(tracked[i])) {
                        print_error("process %ld was left running\n", (long)tracked[i]);
                        kill(tracked[i], SIGKILL);
                        (void)t_wait_exit(tracked[i], T_HANG_GUARD_SHORT_MS);
                        found = true;
                }
                tracked[i] = 0;
        }
        return found;
}

int t_child_result_fd = -1;

void t_result_set(struct t_result *res, int rc)
{
        res->rc = rc;
        res->error = rc < 0 ? errno : 0;
        snprintf(res->msg, sizeof res->msg, "%s", rc < 0 ? subproc_errmsg() : "");
}

/* In the forked process: run fn and send its result whole; never returns. */
static void __attribute__((noreturn))
run_in_child(void (*fn)(void *arg, struct t_result *res), void *arg, int result_fd)
{
        struct t_result mine = { .rc = -12345 };
        const char *p = (const char *)&mine;
        size_t left = sizeof mine;

        t_child_result_fd = result_fd;
        fn(arg, &mine);
        while (left > 0) {
                ssize_t n = write(result_fd, p, left);

                if (n <= 0)
                        _exit(3);
                p += n;
                left -= (size_t)n;
        }
        _exit(0);
}

void t_in_child(void (*fn)(void *arg, struct t_result *res), void *arg, struct t_result *res)
{
        int fds[2], status;
        pid_t pid;

        assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                close(fds[0]);
                run_in_child(fn, arg, fds[1]);
        }
        close(fds[1]);
        memset(res, 0, sizeof *res);
        t_read_exact(fds[0], res, sizeof *res, 30000);
        close(fds[0]);
        status = t_reap(pid, T_HANG_GUARD_SHORT_MS);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                print_error("the forked part of the test ended with status 0x%x\n",
                            (unsigned)status);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

void t_finish_outcome(struct t_outcome *o, int rc, double start)
{
        o->error = errno;
        o->rc = rc;
        o->elapsed_ms = t_monotonic_ms() - start;
        snprintf(o->msg, sizeof o->msg, "%s", subproc_errmsg());
        print_message("  rc %d, errno %d (%s) after %.0f ms: %s\n", o->rc, o->error,
                      strerror(o->error), o->elapsed_ms, o->msg);
}

bool t_has_cap(int cap)
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

bool t_have_pidfds(void)
{
        int fd = t_pidfd_open(getpid());

        if (fd < 0)
                return false;
        close(fd);
        return true;
}

bool t_set_next_pid(pid_t pid)
{
        int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
        char text[32];
        int len = snprintf(text, sizeof text, "%ld", (long)pid - 1);
        bool written;

        if (fd < 0)
                return false;
        written = write(fd, text, (size_t)len) == len;
        close(fd);
        return written;
}
