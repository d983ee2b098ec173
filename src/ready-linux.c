/* Issue 15, readiness: the run's notify socket (sd_notify's protocol) and
 * subproc_wait_ready().  The socket is a datagram socket in the abstract namespace under a
 * random name (NOTIFY_SOCKET=@subproc-notify/<32 hex digits>): nothing on disk to clean up,
 * reachable after the daemon's chdir("/") and under any uid.  Anybody who learns the name can
 * send to it, so a datagram counts only when the kernel's SCM_CREDENTIALS say it comes from
 * the program (the child, or the daemon), a descendant of it, or the pid it named with
 * MAINPID= (systemd's NotifyAccess=all, narrowed to the run's own process tree). */
#include "run.h"
#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76 /* Linux 6.5 */
#endif
#ifndef SCM_PIDFD
#define SCM_PIDFD 0x04
#endif
#ifndef PIDFS_MAGIC
#define PIDFS_MAGIC 0x50494446 /* Linux 6.9: pidfds on pidfs, an inode per process */
#endif
#ifndef SO_PASSRIGHTS
#define SO_PASSRIGHTS 83 /* Linux 6.16 */
#endif

#define NOTIFY_PREFIX "subproc-notify/"
/* A datagram larger than this is cut (MSG_TRUNC): sd_notify's messages are short. */
#define NOTIFY_MAX 4096
/* How often the wait looks at the child (and the command's timeout) meanwhile. */
#define READY_STEP_MS 20
/* How far up /proc's parent links a sender may be from the program. */
#define DESCENT_MAX 64

int sp_ready_open(struct sp_run *run, char *entry, size_t size)
{
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        unsigned char random[16];
        char name[2 * sizeof random + 1];
        int one = 1, zero = 0, fd;

        ssize_t got;

        do
                got = getrandom(random, sizeof random, 0);
        while (got < 0 && errno == EINTR);
        if (got != (ssize_t)sizeof random)
                return sp_error(errno ? errno : EIO, "cannot name the notify socket: getrandom: %s",
                                strerror(errno ? errno : EIO));
        for (size_t i = 0; i < sizeof random; i++)
                snprintf(name + 2 * i, 3, "%02x", random[i]);
        /* sun_path[0] == '\0': the abstract namespace; the name is the bytes after it. */
        snprintf(addr.sun_path + 1, sizeof addr.sun_path - 1, NOTIFY_PREFIX "%s", name);
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd >= 0)
                fd = sp_fd_above_stdio(fd);
        if (fd < 0)
                return sp_error(errno, "cannot make the notify socket: %s", strerror(errno));
        run->ready_fd = fd; /* the run's from here: sp_run_close() closes it */
        /* No fds through it (Linux 6.16+): closing a sender's fd can block us for as long as
         * the sender likes (a socket lingering on unsent data).  Older kernels pass them and
         * we close them (sender_of()): see subproc_require_ready(). */
        (void)setsockopt(fd, SOL_SOCKET, SO_PASSRIGHTS, &zero, sizeof zero);
        /* The sender's pidfd with each datagram (Linux 6.5+): who sent it, even once it has
         * exited and its pid is another's. */
        (void)setsockopt(fd, SOL_SOCKET, SO_PASSPIDFD, &one, sizeof one);
        if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0 ||
            bind(fd, (struct sockaddr *)&addr,
                 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
                             strlen(addr.sun_path + 1))) < 0)
                return sp_error(errno, "cannot make the notify socket @%s: %s", addr.sun_path + 1,
                                strerror(errno));
        snprintf(entry, size, "NOTIFY_SOCKET=@%s", addr.sun_path + 1);
        return 0;
}

/* The process the program is: the child, or the daemon. */
static pid_t program_pid(const struct sp_run *run)
{
        return run->pid > 0 ? run->pid : run->daemon_pid;
}

/* pid's parent from /proc/PID/stat ("PID (COMM) STATE PPID ..."; COMM may hold anything, so
 * after the last ')'), or -1; *zombie whether it has exited. */
static pid_t parent_of(pid_t pid, bool *zombie)
{
        char path[64], buf[512], *p;
        ssize_t n;
        int fd, ppid;
        char state;

        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        do
                fd = open(path, O_RDONLY | O_CLOEXEC);
        while (fd < 0 && errno == EINTR);
        if (fd < 0)
                return -1;
        do
                n = read(fd, buf, sizeof buf - 1);
        while (n < 0 && errno == EINTR);
        close(fd);
        if (n <= 0)
                return -1;
        buf[n] = '\0';
        p = strrchr(buf, ')');
        if (!p || sscanf(p + 1, " %c %d", &state, &ppid) != 2)
                return -1;
        if (zombie)
                *zombie = state == 'Z' || state == 'X';
        return ppid;
}

/* Whether pid is root or a descendant of it (as /proc tells now). */
static bool in_tree(pid_t pid, pid_t root)
{
        for (int i = 0; i < DESCENT_MAX && pid > 1; i++) {
                if (pid == root)
                        return true;
                pid = parent_of(pid, NULL);
        }
        return false;
}

/* Whether the process of a pidfd has exited (its pid free for another); -1: no pidfd, false. */
static bool pidfd_exited(int pidfd)
{
        struct pollfd p = { .fd = pidfd, .events = POLLIN };

        return pidfd >= 0 && poll(&p, 1, 0) == 1;
}

/* The identity of the process behind a pidfd: the inode of its pidfs file (Linux 6.9+,
 * one inode per process, never reused while a pidfd holds it).  false where pidfds are
 * anonymous inodes, all alike. */
static bool pidfd_identity(int pidfd, dev_t *dev, ino_t *ino)
{
        struct statfs fs;
        struct stat st;

        if (pidfd < 0 || fstatfs(pidfd, &fs) < 0 || fs.f_type != PIDFS_MAGIC ||
            fstat(pidfd, &st) < 0)
                return false;
        *dev = st.st_dev;
        *ino = st.st_ino;
        return true;
}

/* Whether the sender's pidfd (SCM_PIDFD) and ours name the same process: 1 same, 0 not,
 * -1 cannot tell (no pidfd either side, or no pidfs). */
static int same_process(int sender_pidfd, int our_pidfd)
{
        dev_t d1, d2;
        ino_t i1, i2;

        if (!pidfd_identity(sender_pidfd, &d1, &i1) || !pidfd_identity(our_pidfd, &d2, &i2))
                return -1;
        return d1 == d2 && i1 == i2;
}

/* Whether `pid`, known by number, is still the process `our_pidfd` was taken for: by identity
 * where the kernel tells it (the sender's SCM_PIDFD, even of one that exited since); else by
 * our pidfd still being open on a live process (a newcomer with a recycled pid is not it). */
static bool is_that_process(int sender_pidfd, int our_pidfd)
{
        int same = same_process(sender_pidfd, our_pidfd);

        return same >= 0 ? same == 1 : !pidfd_exited(our_pidfd);
}

/* The MAINPID= and the daemon count only as the processes they were when their pidfds were
 * taken; our own child by being unreaped (its pid cannot go to another meanwhile); a
 * descendant as /proc shows its ancestry now. */
static bool sender_accepted(const struct sp_run *run, pid_t pid, int sender_pidfd)
{
        if (pid <= 0)
                return false;
        if (pid == run->ready_main_pid && is_that_process(sender_pidfd, run->main_pidfd))
                return true;
        if (run->pid <= 0 && run->daemon_pidfd >= 0) {
                if (pid == run->daemon_pid)
                        return is_that_process(sender_pidfd, run->daemon_pidfd);
                if (pidfd_exited(run->daemon_pidfd))
                        return false; /* its pid may name another tree by now */
        }
        return in_tree(pid, program_pid(run));
}

/* One "NAME=value" line of a datagram. */
static void take_line(struct sp_run *run, const char *line, size_t len)
{
        if (len == 7 && memcmp(line, "READY=1", 7) == 0) {
                run->ready = true;
        } else if (len >= 7 && memcmp(line, "STATUS=", 7) == 0) {
                char *text = strndup(line + 7, len - 7);

                if (text) { /* out of memory: keep the last one */
                        free(run->ready_status);
                        run->ready_status = text;
                }
        } else if (len > 6 && len < 20 && memcmp(line, "ERRNO=", 6) == 0) {
                char digits[16], *end;
                long v;

                memcpy(digits, line + 6, len - 6);
                digits[len - 6] = '\0';
                v = strtol(digits, &end, 10);
                if (*end == '\0' && v >= 0 && v < 4096)
                        run->ready_errno = (int)v;
        } else if (len > 8 && len < 20 && memcmp(line, "MAINPID=", 8) == 0) {
                char digits[16], *end;
                long v;

                memcpy(digits, line + 8, len - 8);
                digits[len - 8] = '\0';
                v = strtol(digits, &end, 10);
                /* Never trusted blindly: only the program or one of its descendants. */
                if (*end == '\0' && v > 0 && v <= 0x7fffffff &&
                    in_tree((pid_t)v, program_pid(run))) {
                        int pidfd = sp_pidfd_open((pid_t)v);

                        /* Checked again once the pidfd names it: still in the tree, so the
                         * pidfd is of the process accepted, not of one that took its pid. */
                        if (pidfd >= 0 && !in_tree((pid_t)v, program_pid(run))) {
                                close(pidfd);
                                return;
                        }
                        sp_close(&run->main_pidfd);
                        run->main_pidfd = pidfd;
                        run->ready_main_pid = (pid_t)v;
                }
        }
}

static void take_datagram(struct sp_run *run, const char *data, size_t len)
{
        while (len > 0) {
                const char *nl = memchr(data, '\n', len);
                size_t line = nl ? (size_t)(nl - data) : len;

                take_line(run, data, line);
                data += line + (nl ? 1 : 0);
                len -= line + (nl ? 1 : 0);
        }
}

/* The sender's credentials, and its pidfd (SCM_PIDFD, Linux 6.5+; -1: none) in *ret_pidfd
 * for the caller to close; fds sent along (sd_notify's FDSTORE=1, where the kernel still
 * passes them) are closed, never kept. */
static pid_t sender_of(struct msghdr *msg, int *ret_pidfd)
{
        pid_t pid = -1;

        *ret_pidfd = -1;
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
                if (cm->cmsg_level != SOL_SOCKET)
                        continue;
                if (cm->cmsg_type == SCM_CREDENTIALS &&
                    cm->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
                        struct ucred cred;

                        memcpy(&cred, CMSG_DATA(cm), sizeof cred);
                        pid = cred.pid;
                } else if (cm->cmsg_type == SCM_PIDFD && cm->cmsg_len >= CMSG_LEN(sizeof(int))) {
                        sp_close(ret_pidfd);
                        memcpy(ret_pidfd, CMSG_DATA(cm), sizeof *ret_pidfd);
                } else if (cm->cmsg_type == SCM_RIGHTS) {
                        size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

                        for (size_t i = 0; i < n; i++) {
                                int fd;

                                memcpy(&fd, CMSG_DATA(cm) + i * sizeof fd, sizeof fd);
                                close(fd);
                        }
                }
        }
        return pid;
}

/* Take the datagrams waiting on the socket, until `stop`: a flood of datagrams (each costs
 * a walk up /proc) must not hold the wait past its time. */
static void drain(struct sp_run *run, long long stop)
{
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int)) +
                         CMSG_SPACE(16 * sizeof(int))];
        } control;
        char text[NOTIFY_MAX];

        for (;;) {
                struct iovec iov = { text, sizeof text };
                struct msghdr msg = { .msg_iov = &iov,
                                      .msg_iovlen = 1,
                                      .msg_control = control.buf,
                                      .msg_controllen = sizeof control.buf };
                ssize_t n = recvmsg(run->ready_fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
                int sender_pidfd;
                pid_t pid;

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return; /* EAGAIN: all taken */
                pid = sender_of(&msg, &sender_pidfd);
                if (sender_accepted(run, pid, sender_pidfd))
                        take_datagram(run, text, (size_t)n < sizeof text ? (size_t)n : sizeof text);
                if (sender_pidfd >= 0)
                        close(sender_pidfd); /* a pidfd: its close never blocks */
                if (run->ready || sp_now_ms() >= stop)
                        return;
        }
}

/* Whether the daemon (not our child: nobody's to reap but init's) has exited. */
static bool daemon_gone(const struct sp_run *run, pid_t pid)
{
        bool zombie = false;

        if (run->daemon_pidfd >= 0)
                return pidfd_exited(run->daemon_pidfd);

        if (kill(pid, 0) < 0 && errno == ESRCH)
                return true;
        return parent_of(pid, &zombie) < 0 || zombie;
}

/* The program exited before it was ready: -1 with ESRCH, its status (status_known) in the
 * message. */
static int died_first(const subproc *c, pid_t pid, bool daemon, bool status_known, int status)
{
        char how[128] = "its status is lost";

        if (daemon)
                snprintf(how, sizeof how, "a daemon's status is not ours to know");
        else if (status_known)
                sp_status_describe(status, how, sizeof how);
        return sp_error(ESRCH, "pid %d exited before it was ready: %s%s%s", (int)pid, how,
                        c->run.ready_status ? "; its last STATUS=" : "",
                        c->run.ready_status ? c->run.ready_status : "");
}

/* Whether the program has exited: our child without reaping it (subproc_wait() will), the
 * daemon as /proc and kill() tell. */
static bool program_gone(const subproc *c, pid_t pid, bool daemon, bool *status_known, int *status)
{
        int r;

        *status_known = false;
        if (daemon)
                return daemon_gone(&c->run, pid);
        if (c->run.pid <= 0) { /* reaped by the timeout's escalation */
                *status_known = c->run.status != -1;
                *status = c->run.status;
                return true;
        }
        r = sp_child_peek_exit(c->run.pid, c->run.pidfd, status);
        *status_known = r == 1;
        return r != 0; /* < 0: reaped behind our back (SIGCHLD ignored) */
}

/* Sleep until the socket (or a pipe to serve) wants us, or `stop`. */
static int await(subproc *c, long long stop)
{
        struct sp_run *run = &c->run;
        int r;

        if (run->pid > 0 && run->io_pending) {
                r = sp_io_loop(run, stop, run->ready_fd);
                if (r == 0)
                        run->io_pending = false;
                return r == -1 ? -1 : 0;
        }
        {
                struct pollfd p[2] = { { .fd = run->ready_fd, .events = POLLIN },
                                       { .fd = run->pid > 0 ? run->pidfd : -1, .events = POLLIN } };
                long long left = stop - sp_now_ms();

                (void)poll(p, 2, left < 0 ? 0 : (int)left);
        }
        return 0;
}

int subproc_wait_ready(subproc *c, int timeout_ms)
{
        long long deadline = timeout_ms < 0 ? SP_NEVER : sp_now_ms() + timeout_ms;
        bool daemon;
        pid_t pid;

        if (!c || c->is_static)
                return sp_error(EINVAL, "cannot wait for readiness: %s",
                                c ? "the command is broken" : "NULL command");
        if (!c->cfg.ready && c->run.ready_fd < 0)
                return sp_error(EINVAL, "cannot wait for readiness: subproc_require_ready() "
                                        "was not called");
        if (c->run.handshake != SP_HANDSHAKE_NONE)
                return sp_error(EINVAL,
                                "cannot wait for readiness: pid %d still waits for "
                                "subproc_handshake_release()",
                                (int)program_pid(&c->run));
        if (c->run.ready) /* told before, even by a program gone since */
                return 0;
        daemon = c->run.pid <= 0;
        pid = program_pid(&c->run);
        if (c->run.ready_fd < 0 || pid <= 0)
                return sp_error(ECHILD, "cannot wait for readiness: the command is not running");
        for (;;) {
                bool gone, status_known;
                long long now, stop;
                int status = -1;

                /* Look before the socket: what the program sent before it exited counts. */
                gone = program_gone(c, pid, daemon, &status_known, &status);
                if (c->run.ready_fd >= 0)
                        drain(&c->run, deadline);
                if (c->run.ready)
                        return 0;
                if (gone)
                        return died_first(c, pid, daemon, status_known, status);
                /* The command's own timeout goes on meanwhile (it may end the run). */
                if (!daemon && c->cfg.timeout_ms && subproc_try_wait(c, &status) != 0)
                        continue;
                now = sp_now_ms();
                if (now >= deadline)
                        return sp_error(ETIMEDOUT, "pid %d is not ready after %d ms", (int)pid,
                                        timeout_ms);
                stop = now + READY_STEP_MS < deadline ? now + READY_STEP_MS : deadline;
                if (await(c, stop) < 0)
                        return -1;
        }
}
