/* Reviews of issues 15 and 16: attacks on the timeout and try_wait promises with a child that
 * keeps its pipe full, on the opt-in SIGCHLD handler, on a closed stdin shared between
 * threads, and on the notify socket.  Each case reproduces a broken promise (it failed until
 * the library was fixed).
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
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/support.h"

#ifndef SO_PASSRIGHTS
#define SO_PASSRIGHTS 83
#endif

static double now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* A slow output callback: 2 ms per chunk, so that the child (yes) always has more waiting.
 * After 15 s it ends the run: the watchdog of a case whose deadline was never acted on. */
static int slow_callback(void *opaque, int stream, const char *data, size_t len)
{
        double *started = opaque;
        const struct timespec step = { 0, 2 * 1000 * 1000 };

        (void)stream;
        (void)data;
        (void)len;
        nanosleep(&step, NULL);
        return now_ms() - *started > 15000 ? 1 : 0;
}

static subproc *endless_writer(double *started)
{
        /* SIGTERM ignored, so only the kill-after's SIGKILL ends it. */
        subproc *c = subproc_new_args("/bin/sh", "-c", "trap '' TERM; exec yes", NULL);

        subproc_set_output_callback(c, SUBPROC_STDOUT, 0, slow_callback, started);
        return c;
}

/* The timeout is "SIGTERM at the deadline, SIGKILL kill_after_ms later", also while the pipe
 * never runs dry (the deadline used to be looked at only when poll() found nothing). */
static void test_timeout_while_pipe_stays_full(void **state)
{
        double started = now_ms(), took;
        subproc *c = endless_writer(&started);
        int r, e;

        (void)state;
        subproc_set_timeout(c, 300, 200);
        r = subproc_run(c, NULL);
        e = errno;
        took = now_ms() - started;
        subproc_free(c);
        if (r == 0 || e != ETIMEDOUT)
                fail_msg("the run ended with %d, errno %d (%s), after %.0f ms: not by its "
                         "timeout",
                         r, e, strerror(e), took);
        /* Generous: only a deadline never acted on takes the watchdog's 15 s. */
        assert_true(took < 10000);
        assert_no_children();
}

/* subproc_try_wait() never blocks, whatever the child writes: not even while a child keeps its
 * pipe full and the output callback is slow, so that every round finds more to read. */
static void test_try_wait_while_pipe_stays_full(void **state)
{
        double started = now_ms(), took;
        subproc *c = endless_writer(&started);
        int r;

        (void)state;
        assert_int_equal(subproc_run_async(c, NULL), 0);
        /* Let it fill the pipe first: an empty pipe would make any try_wait() return at once. */
        poll(NULL, 0, 300);
        started = now_ms();
        r = subproc_try_wait(c, NULL);
        took = now_ms() - started;
        subproc_abort(c);
        subproc_free(c);
        assert_int_equal(r, 0);
        if (took > 5000)
                fail_msg("subproc_try_wait() took %.0f ms", took);
        assert_no_children();
}

static void own_handler(int sig)
{
        (void)sig;
}

static struct sigaction saved_ours;

static void chaining_handler(int sig)
{
        /* Chains to what it replaced: the library's handler. */
        if (saved_ours.sa_flags & SA_SIGINFO)
                saved_ours.sa_sigaction(sig, NULL, NULL);
}

/* One loop through the SIGCHLD wakeup with one child: 0 when it ended. */
static int loop_once(void)
{
        subproc_loop *l = subproc_loop_new();
        subproc *c = subproc_new_args("/bin/true", NULL);
        struct subproc_event ev[2];
        int n = -1;

        subproc_no_pidfd(c);
        if (l && subproc_loop_use_sigchld(l) == 0 && subproc_loop_add(l, c, NULL) == 0)
                n = subproc_loop_wait(l, 5000, NULL, ev, 2);
        subproc_loop_free(l);
        subproc_free(c);
        return n == 1 && ev[0].type == SUBPROC_EVENT_EXITED ? 0 : 1;
}

/* In a child of the test (signal state is per process): 0, 1 wrong, or killed (a crash). */
static int sigchld_case(bool chain_back)
{
        pid_t pid = fork();
        int status;

        assert_true(pid >= 0);
        if (pid == 0) {
                struct sigaction sa = { 0 }, saved;
                subproc_loop *l = subproc_loop_new();

                if (!l || subproc_loop_use_sigchld(l) < 0)
                        _exit(2);
                sa.sa_handler = chain_back ? chaining_handler : own_handler;
                sigaction(SIGCHLD, &sa, &saved);
                saved_ours = saved;
                subproc_loop_free(l); /* ours is not current: left in place */
                if (!chain_back)
                        sigaction(SIGCHLD, &saved, NULL); /* the saved one back: ours */
                _exit(loop_once());
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (WIFSIGNALED(status))
                fail_msg("the SIGCHLD handler crashed the caller (signal %d): it called itself",
                         WTERMSIG(status));
        return WEXITSTATUS(status);
}

/* A caller that restores the action it saved while ours was in puts ours back: the next
 * subproc_loop_use_sigchld() must not take ours for "the handler before" and call itself. */
static void test_sigchld_ours_restored(void **state)
{
        (void)state;
        assert_int_equal(sigchld_case(false), 0);
}

/* A handler installed over ours that chains back to ours, found as "the handler before" by a
 * later loop: ours -> theirs -> ours must stop there. */
static void test_sigchld_chain_back(void **state)
{
        (void)state;
        assert_int_equal(sigchld_case(true), 0);
}

/* ---- a closed stdin and other threads' runs ------------------------------------------- */

static atomic_bool stop_spawning;

static void *spawn_loop(void *arg)
{
        (void)arg;
        while (!atomic_load(&stop_spawning)) {
                subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--exit=0", NULL);

                (void)subproc_run(c, NULL);
                subproc_free(c);
        }
        return NULL;
}

/* Runs in a child of the test: fd 0 closed; one thread spawns all the time (each run with a
 * pidfd), the other keeps the caller's stdio for `readlink /proc/self/fd/0`.  Exits 0 when no
 * child ever saw another run's pidfd as its stdin, 1 when one did, 2 on a setup error. */
static int closed_stdin_race(void)
{
        double until = now_ms() + 2000;
        pthread_t thread;
        int bad = 0;

        close(0);
        if (pthread_create(&thread, NULL, spawn_loop, NULL) != 0)
                return 2;
        while (now_ms() < until && !bad) {
                subproc *c = subproc_new_args("/bin/readlink", "/proc/self/fd/0", NULL);
                char *out = NULL;

                subproc_inherit_stdio(c);
                subproc_set_output_buffer(c, &out);
                subproc_set_raw_status(c);
                (void)subproc_run(c, NULL);
                if (out && strstr(out, "pidfd")) {
                        fprintf(stderr, "the child's closed stdin was %s", out);
                        bad = 1;
                }
                free(out);
                subproc_free(c);
        }
        atomic_store(&stop_spawning, true);
        pthread_join(thread, NULL);
        return bad;
}

/* "The library's own fds never take the numbers 0, 1 or 2, even in a caller that has closed
 * them": the pidfd of a vfork-class child sat on the free 0 until that child exec'd. */
static void test_pidfd_not_on_closed_stdin(void **state)
{
        pid_t pid;
        int status;

        (void)state;
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                _exit(closed_stdin_race());
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == 1)
                fail_msg("a child kept as its closed stdin another run's pidfd");
        assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- the notify socket ------------------------------------------------------------------- */

static bool kernel_refuses_rights(void)
{
        int sv[2], zero = 0;
        bool ok;

        if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
                return false;
        ok = setsockopt(sv[0], SOL_SOCKET, SO_PASSRIGHTS, &zero, sizeof zero) == 0;
        close(sv[0]);
        close(sv[1]);
        return ok;
}

/* Send one datagram carrying an fd (/dev/null) to the abstract address `name` (no '@'). */
static int send_fd_to(const char *name)
{
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = { 0 }; /* the padding after the fd is sent too */
        struct iovec iov = { "STATUS=x", 8 };
        struct msghdr msg = { .msg_name = &addr,
                              .msg_iov = &iov,
                              .msg_iovlen = 1,
                              .msg_control = control.buf,
                              .msg_controllen = sizeof control.buf };
        struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
        int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC), r, e;

        size_t len = strnlen(name, sizeof addr.sun_path - 2);

        memcpy(addr.sun_path + 1, name, len);
        msg.msg_namelen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &devnull, sizeof devnull);
        r = (int)sendmsg(s, &msg, 0);
        e = errno;
        close(s);
        close(devnull);
        errno = e;
        return r;
}

/* Anybody can find the abstract name (/proc/net/unix): fds sent to it were closed by the
 * waiting caller, whom a socket lingering on unsent data then blocked as long as its sender
 * liked.  The socket now takes no fds at all. */
static void test_notify_socket_takes_no_fds(void **state)
{
        subproc *c = subproc_new_args("/bin/sh", "-c", "echo \"$NOTIFY_SOCKET\"; exec sleep 30",
                                      NULL);
        char line[256] = "";
        ssize_t n = 0, got;
        int fd = -1, r, e;

        (void)state;
        if (!kernel_refuses_rights()) {
                subproc_free(c);
                print_message("no SO_PASSRIGHTS (Linux < 6.16): not tried\n");
                skip();
        }
        subproc_require_ready(c);
        subproc_set_output_fd(c, &fd);
        assert_int_equal(subproc_run_async(c, NULL), 0);
        while (n < (ssize_t)sizeof line - 1 && !memchr(line, '\n', (size_t)n) &&
               (got = read(fd, line + n, sizeof line - 1 - (size_t)n)) > 0)
                n += got;
        close(fd);
        line[n] = '\0';
        if (n > 0 && line[n - 1] == '\n')
                line[n - 1] = '\0';
        assert_true(line[0] == '@');
        r = send_fd_to(line + 1);
        e = errno;
        subproc_abort(c);
        subproc_free(c);
        if (r >= 0)
                fail_msg("a datagram carrying an fd reached the notify socket");
        assert_int_equal(e, EPERM);
        assert_no_children();
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                T_TEST(test_timeout_while_pipe_stays_full),
                T_TEST(test_try_wait_while_pipe_stays_full),
                T_TEST(test_sigchld_ours_restored),
                T_TEST(test_sigchld_chain_back),
                T_TEST(test_pidfd_not_on_closed_stdin),
                T_TEST(test_notify_socket_takes_no_fds),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
