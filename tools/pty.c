/* --pty (issue 16): the program runs on a new pseudo-terminal, and we relay between our own
 * stdin and stdout and its master, as script(1) does.  Our terminal, when stdin is one, is in
 * raw mode meanwhile (the program's pty does the line editing and the signals of ^C, ^Z),
 * and put back on every way out: the end of the program's output, an error, a signal that
 * ends us (forward.c calls back before dying).  Its window size is the program's, changes
 * too (SIGWINCH). */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* Our terminal as it was, put back by restore_terminal(); valid while raw_fd >= 0. */
static struct termios saved_termios;
static volatile sig_atomic_t raw_fd = -1;
/* The SIGWINCH self-pipe: the handler writes, the relay loop reads. */
static int winch_pipe[2] = { -1, -1 };

/* Async-signal-safe (tcsetattr() is on POSIX's list): also called before dying of a
 * signal. */
static void restore_terminal(void)
{
        int fd = raw_fd;

        if (fd < 0)
                return;
        raw_fd = -1;
        (void)tcsetattr(fd, TCSANOW, &saved_termios);
}

static void make_raw(int fd)
{
        struct termios raw;

        if (!isatty(fd) || tcgetattr(fd, &saved_termios) < 0)
                return;
        raw = saved_termios;
        cfmakeraw(&raw);
        forward_before_dying(restore_terminal);
        raw_fd = fd;
        if (tcsetattr(fd, TCSANOW, &raw) < 0)
                raw_fd = -1;
}

/* Our terminal's size: stdin's, else stdout's or stderr's; 0 x 0 when none is one. */
static struct winsize our_size(void)
{
        struct winsize ws;

        for (int fd = 0; fd <= 2; fd++)
                if (isatty(fd) && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
                        return ws;
        return (struct winsize){ 0 };
}

static void on_winch(int sig)
{
        int saved_errno = errno;

        (void)sig;
        (void)write(winch_pipe[1], "", 1); /* full: a wake-up is already pending */
        errno = saved_errno;
}

static int set_nonblocking_cloexec(int fd)
{
        int fl = fcntl(fd, F_GETFL);

        if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
                return -1;
        return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* SIGWINCH wakes the relay loop, only when we have a terminal whose size can change. */
static void watch_window_size(void)
{
        struct sigaction sa = { .sa_handler = on_winch, .sa_flags = SA_RESTART };
        struct winsize ws = our_size();

        if (!ws.ws_row || pipe(winch_pipe) < 0)
                return;
        if (set_nonblocking_cloexec(winch_pipe[0]) < 0 ||
            set_nonblocking_cloexec(winch_pipe[1]) < 0) {
                close(winch_pipe[0]);
                close(winch_pipe[1]);
                winch_pipe[0] = winch_pipe[1] = -1;
                return;
        }
        sigemptyset(&sa.sa_mask);
        (void)sigaction(SIGWINCH, &sa, NULL);
}

static void stop_watching_window_size(void)
{
        if (winch_pipe[0] < 0)
                return;
        (void)signal(SIGWINCH, SIG_DFL);
        close(winch_pipe[0]);
        close(winch_pipe[1]);
        winch_pipe[0] = winch_pipe[1] = -1;
}

static void copy_window_size(subproc *c)
{
        char drain[64];
        struct winsize ws = our_size();

        while (read(winch_pipe[0], drain, sizeof drain) > 0)
                ;
        if (ws.ws_row)
                (void)subproc_pty_resize(c, ws.ws_row, ws.ws_col);
}

void pty_set_up(subproc *c, unsigned streams, int *master)
{
        struct winsize ws = our_size();

        subproc_set_pty(c, master, streams, ws.ws_row, ws.ws_col);
        /* Non-blocking: the loop below never waits on one side while the other has data. */
        subproc_nonblocking_fds(c);
}

/* Bytes from our stdin on their way to the master. */
struct pending {
        char buf[4096];
        size_t len, off;
        bool stdin_done; /* EOF or an error on our stdin: nothing more comes */
        bool eof_sent;   /* the terminal's EOF character has been written for it */
};

/* Our stdin ended: the program's terminal reads the end as its EOF character (^D) at the
 * start of a line, as if typed. */
static void queue_eof(struct pending *p, int master)
{
        struct termios t;

        p->stdin_done = true;
        if (p->eof_sent || (raw_fd >= 0))
                return; /* a terminal of ours: its ^D came through as a byte already */
        p->buf[0] = tcgetattr(master, &t) == 0 && t.c_cc[VEOF] ? (char)t.c_cc[VEOF] : 4;
        p->len = 1;
        p->off = 0;
        p->eof_sent = true;
}

static void read_stdin(struct pending *p, int master)
{
        ssize_t n = read(STDIN_FILENO, p->buf, sizeof p->buf);

        if (n > 0) {
                p->len = (size_t)n;
                p->off = 0;
        } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                queue_eof(p, master);
        }
}

/* -1 when the master refuses (the program is gone): what is left is dropped. */
static void write_master(struct pending *p, int master)
{
        ssize_t n = write(master, p->buf + p->off, p->len - p->off);

        if (n > 0)
                p->off += (size_t)n;
        else if (n < 0 && errno != EINTR && errno != EAGAIN)
                p->off = p->len;
        if (p->off == p->len)
                p->off = p->len = 0;
}

/* false at the end of the program's output: EIO on Linux once the last holder of the pty
 * has closed it, 0 elsewhere.  Output our stdout cannot take is dropped (said once), so
 * that the program is never blocked on a full terminal. */
static bool copy_output(int master, bool *stdout_broken)
{
        char buf[16384];
        ssize_t n = read(master, buf, sizeof buf);

        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return true;
        if (n <= 0)
                return false;
        if (!*stdout_broken && write_quietly(STDOUT_FILENO, buf, (size_t)n) < 0) {
                *stdout_broken = true;
                say("cannot write the program's output: %s", strerror(errno));
        }
        return true;
}

static long long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ms until the deadline for poll(): -1 for none, 0 once passed. */
static int remaining_ms(long long deadline)
{
        long long left;

        if (deadline < 0)
                return -1;
        left = deadline - now_ms();
        return left <= 0 ? 0 : left > 1 << 30 ? 1 << 30 : (int)left;
}

void pty_relay(subproc *c, int master, unsigned timeout_ms)
{
        long long deadline = timeout_ms ? now_ms() + timeout_ms : -1;
        struct pending in = { .stdin_done = fcntl(STDIN_FILENO, F_GETFD) < 0 };
        bool stdout_broken = false;

        make_raw(STDIN_FILENO);
        watch_window_size();
        if (winch_pipe[0] >= 0)
                copy_window_size(c); /* a change before the handler was there */
        for (;;) {
                struct pollfd p[3] = {
                        { .fd = master, .events = POLLIN | (in.len ? POLLOUT : 0) },
                        { .fd = in.stdin_done || in.len ? -1 : STDIN_FILENO, .events = POLLIN },
                        { .fd = winch_pipe[0], .events = POLLIN },
                };
                int r = poll(p, 3, remaining_ms(deadline));

                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        break; /* the deadline: subproc_wait() ends the program */
                if (p[2].revents)
                        copy_window_size(c);
                if (p[1].revents)
                        read_stdin(&in, master);
                if ((p[0].revents & POLLOUT) && in.len)
                        write_master(&in, master);
                if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) &&
                    !copy_output(master, &stdout_broken))
                        break;
        }
        stop_watching_window_size();
        restore_terminal();
}
