/* Issue 15: readiness (the notify socket, subproc_wait_ready) and socket activation
 * (subproc_listen_fds).  The helper plays the program: --notify=TEXT is sd_notify(),
 * --accept=N serves one connection on a listening fd, and its report shows the environment
 * and fds it got.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h" /* SUBPROC_SPAWN_FORK: which child this build starts */
#include "support/support.h"

/* A helper that reports to a file and says "R" on a pipe once the report is written, then
 * runs `options`; with readiness required. */
struct program {
        subproc *c;
        bool daemon;
        char *report;
        int said; /* our end of the "R" pipe (the helper's fd 9) */
};

static void program_new(struct program *p, bool daemon, const char *const *options)
{
        int fds[2];

        p->c = subproc_new(HELPER_PATH);
        p->daemon = daemon;
        p->report = t_make_temp_path();
        assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
        p->said = fds[0];
        subproc_add_arg_format(p->c, "--report=%s", p->report);
        subproc_pass_fd_as(p->c, fds[1], 9, SUBPROC_PASS_FD_CLOSE_PARENT);
        subproc_add_arg(p->c, "--notify-fd=9");
        for (size_t i = 0; options && options[i]; i++)
                subproc_add_arg(p->c, options[i]);
        subproc_require_ready(p->c);
        if (daemon)
                subproc_daemonize(p->c);
}

static void program_start(struct program *p)
{
        int rc = p->daemon ? subproc_run(p->c, NULL) : subproc_run_async(p->c, NULL);

        if (rc != 0)
                print_error("start: %s\n", subproc_errmsg());
        assert_int_equal(rc, 0);
}

/* The report, once the helper said it is written. */
static struct helper_report *program_report(struct program *p)
{
        char r = 0;

        assert_true(t_wait_readable(p->said, 10000));
        assert_int_equal(read(p->said, &r, 1), 1);
        assert_int_equal(r, 'R');
        return t_report_read_file(p->report);
}

/* The program pid: the child, or the daemon. */
static pid_t program_pid(const struct program *p)
{
        return p->daemon ? subproc_daemon_pid(p->c) : subproc_pid(p->c);
}

/* Stop it (still running) and free everything. */
static void program_end(struct program *p)
{
        if (p->daemon) {
                pid_t pid = subproc_daemon_pid(p->c);

                if (pid > 0 && !t_gone_or_zombie(pid))
                        (void)kill(pid, SIGKILL);
                if (pid > 0)
                        assert_true(t_wait_exit(pid, 10000) >= 0);
        } else if (subproc_pid(p->c) > 0) {
                subproc_abort(p->c);
        }
        subproc_free(p->c);
        close(p->said);
        unlink(p->report);
        free(p->report);
}

static void expect_error(int rc, int errnum, const char *fragment)
{
        if (rc != -1 || errno != errnum || !strstr(subproc_errmsg(), fragment))
                print_error("rc %d errno %d (%s), message \"%s\"; wanted errno %d with \"%s\"\n",
                            rc, errno, strerror(errno), subproc_errmsg(), errnum, fragment);
        assert_int_equal(rc, -1);
        assert_int_equal(errno, errnum);
        assert_non_null(strstr(subproc_errmsg(), fragment));
}

/* Send `text` to the program's notify socket from this process (not its descendant). */
static void forge(const char *where, const char *text)
{
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        size_t len = strlen(where);
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        assert_true(fd >= 0);
        assert_true(where[0] == '@' && len < sizeof addr.sun_path);
        memcpy(addr.sun_path, where, len);
        addr.sun_path[0] = '\0';
        assert_true(sendto(fd, text, strlen(text), 0, (struct sockaddr *)&addr,
                           (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) >= 0);
        close(fd);
}

/* ---- readiness ------------------------------------------------------------------------ */

/* READY=1 after 300 ms: the wait returns about then, not before; STATUS= kept; the program
 * got only the address (no fd of ours), an abstract one. */
static void test_ready_after_delay(void **state)
{
        const char *options[] = { "--sleep-ms=300", "--notify=STATUS=warming up",
                                  "--notify=READY=1\\nSTATUS=serving", "--sleep-ms=20000", NULL };
        struct program p;
        struct helper_report *r;
        double start, took;

        program_new(&p, false, options);
        start = t_monotonic_ms();
        program_start(&p);
        assert_int_equal(subproc_wait_ready(p.c, 10000), 0);
        took = t_monotonic_ms() - start;
        assert_true(took >= 250);
        assert_true(took < 8000);
        assert_string_equal(subproc_ready_status(p.c), "serving");
        assert_int_equal(subproc_ready_errno(p.c), 0);
        assert_int_equal(subproc_ready_main_pid(p.c), -1);
        /* Once ready, it stays so. */
        assert_int_equal(subproc_wait_ready(p.c, 0), 0);
        r = program_report(&p);
        assert_int_equal(strncmp(t_report_env(r, "NOTIFY_SOCKET"), "@subproc-notify/", 16), 0);
        assert_int_equal(strlen(t_report_env(r, "NOTIFY_SOCKET")), 16 + 32);
        t_check_fd_set(r, "0 1 2 9");
        t_report_free(r);
        program_end(&p);
}

/* Never READY: ETIMEDOUT after about the timeout, the child still running and ours. */
static void test_never_ready(void **state)
{
        const char *options[] = { "--notify=STATUS=still starting", "--sleep-ms=20000", NULL };
        struct program p;
        double start;

        program_new(&p, false, options);
        program_start(&p);
        start = t_monotonic_ms();
        expect_error(subproc_wait_ready(p.c, 200), ETIMEDOUT, "not ready after 200 ms");
        assert_true(t_monotonic_ms() - start >= 180);
        assert_true(subproc_pid(p.c) > 0);
        assert_false(t_gone_or_zombie(subproc_pid(p.c)));
        assert_string_equal(subproc_ready_status(p.c), "still starting");
        program_end(&p);
}

/* It exits first: ESRCH naming its status and last STATUS=, ERRNO= kept; subproc_wait()
 * then reaps it with that status. */
static void test_died_first(void **state)
{
        const char *options[] = { "--notify=STATUS=no config\\nERRNO=2", "--exit=3", NULL };
        struct program p;
        int status = -1;

        program_new(&p, false, options);
        program_start(&p);
        expect_error(subproc_wait_ready(p.c, 10000), ESRCH, "exit status 3");
        assert_non_null(strstr(subproc_errmsg(), "no config"));
        assert_int_equal(subproc_ready_errno(p.c), 2);
        assert_int_equal(subproc_wait(p.c, &status), 0);
        assert_int_equal(status, 3);
        assert_string_equal(subproc_ready_status(p.c), "no config");
        program_end(&p);
}

/* Another process that knows the address cannot make it ready, nor name itself MAINPID; a
 * descendant of the program can, and a MAINPID of the program's own tree is taken. */
static void test_forged_datagram_ignored(void **state)
{
        char mainpid[64];
        const char *options[] = { "--wait-fd=0",
                                  "--notify-from-child=STATUS=from a child",
                                  NULL,
                                  "--notify-from-child=READY=1",
                                  "--sleep-ms=20000",
                                  NULL };
        struct program p;
        struct helper_report *r;
        char *where;
        int in[2];

        snprintf(mainpid, sizeof mainpid, "--notify=MAINPID=%d", (int)getpid());
        options[2] = mainpid;
        assert_int_equal(pipe2(in, O_CLOEXEC), 0);
        program_new(&p, false, options);
        subproc_set_input_fd(p.c, in[0]);
        program_start(&p);
        close(in[0]);
        r = program_report(&p);
        where = strdup(t_report_env(r, "NOTIFY_SOCKET"));
        t_report_free(r);
        forge(where, "READY=1\nSTATUS=forged");
        forge(where, "MAINPID=1");
        expect_error(subproc_wait_ready(p.c, 300), ETIMEDOUT, "not ready");
        assert_null(subproc_ready_status(p.c));
        /* Let the helper go on: a child of it sends STATUS= (taken), the helper names the
         * test as MAINPID (refused), then a child sends READY=1. */
        close(in[1]);
        assert_int_equal(subproc_wait_ready(p.c, 10000), 0);
        assert_string_equal(subproc_ready_status(p.c), "from a child");
        assert_int_equal(subproc_ready_main_pid(p.c), -1);
        free(where);
        program_end(&p);
}

/* A daemon keeps the address through exec and notifies after it; its LISTEN-free report is
 * the daemon's. */
static void test_daemon_notifies(void **state)
{
        const char *options[] = { "--sleep-ms=200", "--notify=STATUS=daemon up\\nREADY=1",
                                  "--sleep-ms=20000", NULL };
        struct program p;
        struct helper_report *r;

        program_new(&p, true, options);
        program_start(&p);
        assert_true(subproc_daemon_pid(p.c) > 0);
        assert_int_equal(subproc_wait_ready(p.c, 10000), 0);
        assert_string_equal(subproc_ready_status(p.c), "daemon up");
        r = program_report(&p);
        assert_int_equal(t_report_get_int(r, "pid"), subproc_daemon_pid(p.c));
        t_check_fd_set(r, "0 1 2 9");
        t_report_free(r);
        program_end(&p);
}

/* A daemon that dies before it is ready. */
static void test_daemon_died_first(void **state)
{
        const char *options[] = { "--sleep-ms=100", "--exit=4", NULL };
        struct program p;

        program_new(&p, true, options);
        program_start(&p);
        expect_error(subproc_wait_ready(p.c, 20000), ESRCH, "exited before it was ready");
        program_end(&p);
}

/* With the handshake: no readiness while it waits; after the release it works. */
static void test_ready_with_handshake(void **state)
{
        const char *options[] = { "--notify=READY=1", "--sleep-ms=20000", NULL };
        struct program p;

        program_new(&p, false, options);
        subproc_require_handshake(p.c);
        program_start(&p);
        assert_int_equal(subproc_handshake_wait(p.c), 0);
        expect_error(subproc_wait_ready(p.c, 100), EINVAL, "subproc_handshake_release");
        assert_int_equal(subproc_handshake_release(p.c), 0);
        assert_int_equal(subproc_wait_ready(p.c, 10000), 0);
        program_end(&p);
}

/* The command's own timeout ends the wait too. */
static void test_ready_run_timeout(void **state)
{
        const char *options[] = { "--sleep-ms=20000", NULL };
        struct program p;
        double start;

        program_new(&p, false, options);
        subproc_set_timeout(p.c, 300, 100);
        program_start(&p);
        start = t_monotonic_ms();
        expect_error(subproc_wait_ready(p.c, 20000), ESRCH, "before it was ready");
        assert_true(t_monotonic_ms() - start < 10000);
        program_end(&p);
}

/* Misuse is refused with the reason. */
static void test_ready_misuse(void **state)
{
        subproc *c = subproc_new(HELPER_PATH);

        expect_error(subproc_wait_ready(NULL, 0), EINVAL, "NULL command");
        expect_error(subproc_wait_ready(c, 0), EINVAL, "subproc_require_ready() was not called");
        subproc_require_ready(c);
        expect_error(subproc_wait_ready(c, 0), ECHILD, "not running");
        expect_error(subproc_run(c, NULL), EINVAL, "subproc_run_async() or a daemon");
        assert_null(subproc_ready_status(c));
        assert_null(subproc_ready_status(NULL));
        subproc_free(c);

        c = subproc_new(HELPER_PATH);
        subproc_require_ready(c);
        subproc_unshare(c, CLONE_NEWNET);
        /* The portable fork() child refuses every namespace first. */
        if (SUBPROC_SPAWN_FORK)
                expect_error(subproc_run_async(c, NULL), ENOTSUP, "namespaces");
        else
                expect_error(subproc_run_async(c, NULL), EINVAL, "network namespace");
        subproc_free(c);
}

/* MAINPID= naming the program itself is taken. */
static void test_mainpid_of_the_program(void **state)
{
        const char *options[] = { "--notify=MAINPID={pid}\\nREADY=1", "--sleep-ms=20000", NULL };
        struct program p;

        program_new(&p, false, options);
        program_start(&p);
        assert_int_equal(subproc_wait_ready(p.c, 10000), 0);
        assert_int_equal(subproc_ready_main_pid(p.c), subproc_pid(p.c));
        program_end(&p);
}

/* With SIGCHLD ignored (the kernel reaps our child behind our back): readiness still works,
 * and a program that exits first is told apart, its status lost. */
static void test_ready_sigchld_ignored(void **state)
{
        const char *ready[] = { "--notify=READY=1", "--sleep-ms=20000", NULL };
        const char *dies[] = { "--exit=3", NULL };
        void (*old)(int) = signal(SIGCHLD, SIG_IGN);
        struct program p;

        program_new(&p, false, ready);
        program_start(&p);
        assert_int_equal(subproc_wait_ready(p.c, 10000), 0);
        program_end(&p);

        program_new(&p, false, dies);
        program_start(&p);
        expect_error(subproc_wait_ready(p.c, 10000), ESRCH, "its status is lost");
        program_end(&p);
        signal(SIGCHLD, old);
}

/* The caller's stdin closed, and the program inheriting stdio: the notify socket must not
 * take fd 0 and reach the program there. */
static void test_ready_closed_stdin(void **state)
{
        const char *options[] = { "--notify=READY=1", "--sleep-ms=20000", NULL };
        int saved = fcntl(0, F_DUPFD_CLOEXEC, 3);
        struct helper_report *r;
        struct program p;
        bool zero_open;

        assert_true(saved >= 3);
        program_new(&p, false, options);
        subproc_inherit_stdio(p.c);
        close(0);
        program_start(&p);
        zero_open = fcntl(0, F_GETFD) >= 0;
        assert_int_equal(dup2(saved, 0), 0);
        close(saved);
        assert_false(zero_open);
        assert_int_equal(subproc_wait_ready(p.c, 10000), 0);
        r = program_report(&p);
        t_check_fd_set(r, "1 2 9");
        t_report_free(r);
        program_end(&p);
}

/* The caller's own NOTIFY_SOCKET is not passed on: the program gets the run's. */
static void test_callers_notify_socket_replaced(void **state)
{
        const char *options[] = { "--notify=READY=1", "--sleep-ms=20000", NULL };
        struct program p;
        struct helper_report *r;

        program_new(&p, false, options);
        subproc_env_set(p.c, "NOTIFY_SOCKET", "/run/systemd/notify");
        program_start(&p);
        assert_int_equal(subproc_wait_ready(p.c, 10000), 0);
        r = program_report(&p);
        assert_int_equal(strncmp(t_report_env(r, "NOTIFY_SOCKET"), "@subproc-notify/", 16), 0);
        t_report_free(r);
        program_end(&p);
}

/* ---- socket activation ----------------------------------------------------------------- */

/* A TCP socket listening on 127.0.0.1, its port in *port. */
static int tcp_listener(int *port)
{
        struct sockaddr_in addr = { .sin_family = AF_INET };
        socklen_t len = sizeof addr;
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        assert_true(fd >= 0);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
        assert_int_equal(listen(fd, 8), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
        *port = ntohs(addr.sin_port);
        return fd;
}

static void expect_hello(int port)
{
        struct sockaddr_in addr = { .sin_family = AF_INET };
        char buf[8] = "";
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons((uint16_t)port);
        assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof addr), 0);
        t_read_exact(fd, buf, 6, 10000);
        assert_memory_equal(buf, "hello\n", 6);
        close(fd);
}

static void check_same_file(const struct helper_report *r, int child_fd, int ours)
{
        struct stat st;
        char want[64];

        assert_int_equal(fstat(ours, &st), 0);
        snprintf(want, sizeof want, "%llu:%llu", (unsigned long long)st.st_dev,
                 (unsigned long long)st.st_ino);
        assert_string_equal(t_report_getf(r, "fdstat[%d]", child_fd), want);
}

/* fds at 3.. in order, LISTEN_FDS, LISTEN_FDNAMES ("unknown" for the unnamed), LISTEN_PID ==
 * the program's own pid; it accepts a connection on fd 3. */
static void test_listen_fds(void **state)
{
        const char *options[] = { "--accept=3", "--notify=READY=1", "--sleep-ms=20000", NULL };
        const char *names[] = { "web", NULL };
        struct program p;
        struct helper_report *r;
        int port, fds[2], other[2];

        fds[0] = tcp_listener(&port);
        assert_int_equal(pipe2(other, O_CLOEXEC), 0);
        fds[1] = other[0];
        program_new(&p, false, options);
        subproc_env_set(p.c, "LISTEN_PID", "1");
        subproc_env_set(p.c, "LISTEN_FDS", "7");
        subproc_listen_fds(p.c, fds, 2, names);
        program_start(&p);
        expect_hello(port);
        assert_int_equal(subproc_wait_ready(p.c, 10000), 0);
        r = program_report(&p);
        assert_int_equal(t_report_get_int(r, "pid"), subproc_pid(p.c));
        assert_string_equal(t_report_env(r, "LISTEN_PID"), t_report_get(r, "pid"));
        assert_string_equal(t_report_env(r, "LISTEN_FDS"), "2");
        assert_string_equal(t_report_env(r, "LISTEN_FDNAMES"), "web:unknown");
        t_check_fd_set(r, "0 1 2 3 4 9");
        check_same_file(r, 3, fds[0]);
        check_same_file(r, 4, fds[1]);
        t_report_free(r);
        program_end(&p);
        close(fds[0]);
        close(other[0]);
        close(other[1]);
}

/* A daemon's LISTEN_PID is the daemon's. */
static void test_listen_fds_daemon(void **state)
{
        const char *options[] = { "--accept=3", "--notify=READY=1", "--sleep-ms=20000", NULL };
        struct program p;
        struct helper_report *r;
        int port, fd = tcp_listener(&port);

        program_new(&p, true, options);
        subproc_listen_fds(p.c, &fd, 1, NULL);
        program_start(&p);
        expect_hello(port);
        assert_int_equal(subproc_wait_ready(p.c, 10000), 0);
        r = program_report(&p);
        assert_int_equal(t_report_get_int(r, "pid"), subproc_daemon_pid(p.c));
        assert_int_equal(t_report_get_int(r, "pid"), program_pid(&p));
        assert_string_equal(t_report_env(r, "LISTEN_PID"), t_report_get(r, "pid"));
        assert_string_equal(t_report_env(r, "LISTEN_FDS"), "1");
        assert_string_equal(t_report_env(r, "LISTEN_FDNAMES"), "unknown");
        t_report_free(r);
        program_end(&p);
        close(fd);
}

/* With a send buffer (its number above the listening fds) and a passed fd. */
static void test_listen_with_send_and_pass(void **state)
{
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        char *out = NULL, opt[32];
        int fds[3], p1[2], p2[2], extra[2], send;

        assert_int_equal(pipe2(p1, O_CLOEXEC), 0);
        assert_int_equal(pipe2(p2, O_CLOEXEC), 0);
        assert_int_equal(pipe2(extra, O_CLOEXEC), 0);
        fds[0] = p1[0];
        fds[1] = p2[0];
        fds[2] = p1[1];
        subproc_listen_fds(c, fds, 2, NULL);
        subproc_listen_fds(c, fds + 2, 1, (const char *const[]){ "third" });
        send = subproc_add_send_buffer(c, "sent", 4);
        assert_true(send > 5);
        subproc_pass_fd_as(c, extra[0], 20, 0);
        snprintf(opt, sizeof opt, "--read-fd=%d", send);
        subproc_add_arg(c, opt);
        r = t_run_report(c, &out);
        assert_string_equal(t_report_env(r, "LISTEN_FDS"), "3");
        assert_string_equal(t_report_env(r, "LISTEN_FDNAMES"), "unknown:unknown:third");
        assert_string_equal(t_report_env(r, "LISTEN_PID"), t_report_get(r, "pid"));
        check_same_file(r, 3, p1[0]);
        check_same_file(r, 4, p2[0]);
        check_same_file(r, 5, p1[1]);
        check_same_file(r, 20, extra[0]);
        assert_string_equal(t_report_getf(r, "read_text[%d]", send), "sent");
        t_report_free(r);
        free(out);
        subproc_free(c);
        for (int i = 0; i < 2; i++) {
                close(p1[i]);
                close(p2[i]);
                close(extra[i]);
        }
}

/* Clashes name both sides; bad input is a clear EINVAL, never a crash or a leak. */
static void test_listen_clashes(void **state)
{
        subproc *c;
        int fds[2], p[2], send;

        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        fds[0] = p[0];
        fds[1] = p[1];

        c = subproc_new(HELPER_PATH);
        subproc_listen_fds(c, fds, 2, NULL);
        subproc_pass_fd_as(c, p[0], 4, 0);
        expect_error(subproc_run(c, NULL), EINVAL, "listening fd 1's place");
        subproc_free(c);

        /* A send buffer that took 3 before the listening fds came. */
        c = subproc_new(HELPER_PATH);
        send = subproc_add_send_buffer(c, "x", 1);
        if (send >= 3 && send < 5) {
                subproc_listen_fds(c, fds, 2, NULL);
                expect_error(subproc_run(c, NULL), EINVAL, "send buffer 0");
        }
        subproc_free(c);

        /* A closed fd. */
        c = subproc_new(HELPER_PATH);
        fds[1] = 1000;
        subproc_listen_fds(c, fds, 2, NULL);
        expect_error(subproc_run(c, NULL), EBADF, "listening fd 1000");
        subproc_free(c);
        close(p[0]);
        close(p[1]);
}

static void expect_refused(const int *fds, size_t n, const char *const *names, const char *fragment)
{
        subproc *c = subproc_new(HELPER_PATH);

        subproc_listen_fds(c, fds, n, names);
        expect_error(subproc_run(c, NULL), EINVAL, fragment);
        subproc_free(c);
}

static void test_listen_bad_input(void **state)
{
        char long_name[300];
        int fds[2] = { 0, 1 }, dup_fds[2] = { 1, 1 }, bad[1] = { -1 };
        static int many[2000];

        memset(long_name, 'a', sizeof long_name - 1);
        long_name[sizeof long_name - 1] = '\0';
        expect_refused(fds, 0, NULL, "no fds given");
        expect_refused(NULL, 2, NULL, "NULL");
        expect_refused(bad, 1, NULL, "fd -1");
        expect_refused(dup_fds, 2, NULL, "given twice");
        expect_refused(fds, 1, (const char *const[]){ "a:b" }, "contains ':'");
        expect_refused(fds, 1, (const char *const[]){ "a\nb" }, "control");
        expect_refused(fds, 1, (const char *const[]){ "" }, "is empty");
        expect_refused(fds, 1, (const char *const[]){ long_name }, "longer than 255");
        expect_refused(many, 2000, NULL, "at most 1024");
        /* A refused call leaves the command broken, never half-set. */
        {
                subproc *c = subproc_new(HELPER_PATH);

                subproc_listen_fds(c, fds, 1, (const char *const[]){ "ok" });
                subproc_listen_fds(c, fds, 1, NULL); /* the same fd again */
                expect_error(subproc_run(c, NULL), EINVAL, "given twice");
                subproc_free(c);
        }
}

/* Too many environment variables for the child's copy: E2BIG, named. */
static void test_listen_env_too_big(void **state)
{
        subproc *c = subproc_new(HELPER_PATH);
        int fd = 0;

        subproc_env_clear(c);
        for (int i = 0; i < 300; i++) {
                char name[16];

                snprintf(name, sizeof name, "V%d", i);
                subproc_env_set(c, name, "1");
        }
        subproc_listen_fds(c, &fd, 1, NULL);
        expect_error(subproc_run(c, NULL), E2BIG, "at most 255 environment variables");
        subproc_free(c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                T_TEST(test_ready_after_delay),
                T_TEST(test_never_ready),
                T_TEST(test_died_first),
                T_TEST(test_forged_datagram_ignored),
                T_TEST(test_daemon_notifies),
                T_TEST(test_daemon_died_first),
                T_TEST(test_ready_with_handshake),
                T_TEST(test_ready_run_timeout),
                T_TEST(test_ready_misuse),
                T_TEST(test_callers_notify_socket_replaced),
                T_TEST(test_mainpid_of_the_program),
                T_TEST(test_ready_sigchld_ignored),
                T_TEST(test_ready_closed_stdin),
                T_TEST(test_listen_fds),
                T_TEST(test_listen_fds_daemon),
                T_TEST(test_listen_with_send_and_pass),
                T_TEST(test_listen_clashes),
                T_TEST(test_listen_bad_input),
                T_TEST(test_listen_env_too_big),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
