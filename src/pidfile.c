/* Pidfiles that are held, not just written: an open-file-description lock (or flock(), see
 * below) lives exactly as long as the process (and its exec'd program) that keeps the fd
 * open. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PIDFILE_MAX_BYTES 32
#define TERM_GRACE_MS 2000
#define KILL_GRACE_MS 5000

/* Whose pidfile we trust: our own (effective uid) or root's.  A file somebody else made
 * (first, in a world-writable directory) could be rewritten by its owner at any time, with
 * another pid for force_cleanup() to signal, or locked to make a dead service look alive. */
static bool trusted_owner(uid_t owner)
{
        return owner == geteuid() || owner == 0;
}

/* Open without following a symlink and without blocking on a FIFO; refuse anything but a
 * regular file with a trusted owner.  The fd, or -errno with *st filled when the file was
 * refused for its type or owner. */
static int open_pidfile(const char *path, int flags, struct stat *st)
{
        int fd = open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
        int r = 0;

        if (fd < 0)
                return -errno;
        if (fstat(fd, st) < 0)
                r = -errno;
        else if (!S_ISREG(st->st_mode))
                r = -EINVAL;
        else if (!trusted_owner(st->st_uid))
                r = -EPERM;
        if (r < 0) {
                close(fd);
                return r;
        }
        return fd;
}

#if SUBPROC_PIDFILE_FLOCK
/* flock() (FreeBSD, macOS; -Dpidfile_lock=flock on Linux): like an open-file-description lock
 * it belongs to the open file description, survives fork and exec and dies with its last fd.
 * Unlike one it cannot be tested without being taken: is_locked() takes a shared lock for a
 * moment, and an exclusive try in that moment fails; try_lock() rides that out with a few
 * short retries, longer than any test holds it. */
#define LOCK_RETRIES 3

static int is_locked(int fd, bool *locked)
{
        if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
                (void)flock(fd, LOCK_UN);
                *locked = false;
                return 0;
        }
        if (errno != EWOULDBLOCK)
                return -errno;
        *locked = true;
        return 0;
}

static int try_lock(int fd)
{
        const struct timespec pause = { 0, 1000 * 1000 };

        for (int i = 0;; i++) {
                if (flock(fd, LOCK_EX | LOCK_NB) == 0)
                        return 0;
                if (errno != EWOULDBLOCK && errno != EINTR)
                        return -errno;
                if (i == LOCK_RETRIES)
                        return -EBUSY;
                nanosleep(&pause, NULL);
        }
}
#else
/* 0 with *locked telling whether another open file description holds a write lock. */
static int is_locked(int fd, bool *locked)
{
        struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

        if (fcntl(fd, F_OFD_GETLK, &lk) < 0)
                return -errno;
        *locked = lk.l_type != F_UNLCK;
        return 0;
}

static int try_lock(int fd)
{
        struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

        if (fcntl(fd, F_OFD_SETLK, &lk) < 0)
                return errno == EAGAIN || errno == EACCES ? -EBUSY : -errno;
        return 0;
}
#endif

static int parse_pid(const char *text, size_t len, pid_t *ret_pid)
{
        long long v = 0;
        size_t i = 0;

        if (len == 0)
                return -ENODATA;
        for (; i < len && text[i] >= '0' && text[i] <= '9'; i++) {
                v = v * 10 + (text[i] - '0');
                if (v > INT_MAX)
                        return -ERANGE;
        }
        if (i == 0)
                return -EINVAL;
        for (; i < len; i++)
                if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r' && text[i] != '\n')
                        return -EINVAL; /* a NUL too: strchr() would have matched it */
        if (v <= 0)
                return -ERANGE;
        *ret_pid = (pid_t)v;
        return 0;
}

static int read_pid_fd(int fd, const char *path, pid_t *ret_pid)
{
        char buf[PIDFILE_MAX_BYTES + 1];
        ssize_t n;
        int r;

        do
                n = pread(fd, buf, sizeof buf, 0);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return sp_error(errno, "read pidfile %s: %s", path, strerror(errno));
        if (n > PIDFILE_MAX_BYTES)
                return sp_error(EINVAL, "pidfile %s is too long to hold a pid", path);
        r = parse_pid(buf, (size_t)n, ret_pid);
        if (r == -ENODATA)
                return sp_error(EINVAL, "pidfile %s is empty", path);
        if (r == -ERANGE)
                return sp_error(EINVAL, "pidfile %s holds a pid out of range", path);
        if (r < 0)
                return sp_error(EINVAL, "pidfile %s does not hold a pid", path);
        return 0;
}

static int open_error(const char *path, int neg_errno, const struct stat *st)
{
        if (neg_errno == -ELOOP)
                return sp_error(ELOOP, "pidfile %s is a symbolic link: refused", path);
        if (neg_errno == -EINVAL)
                return sp_error(EINVAL, "pidfile %s is not a regular file", path);
        if (neg_errno == -EPERM && !trusted_owner(st->st_uid))
                return sp_error(EPERM, "pidfile %s is owned by uid %ld, neither us (uid %ld) "
                                "nor root: refused", path, (long)st->st_uid, (long)geteuid());
        return sp_error(-neg_errno, "open pidfile %s: %s", path, strerror(-neg_errno));
}

int sp_pidfile_refused(const char *path)
{
        struct stat st = { 0 };

        if (lstat(path, &st) < 0)
                st.st_uid = 0;
        return open_error(path, -EPERM, &st);
}

int subproc_pidfile_read(const char *path, pid_t *pid)
{
        struct stat st = { 0 };
        int fd, r;

        if (!path || !pid)
                return sp_error(EINVAL, "subproc_pidfile_read: NULL argument");
        fd = open_pidfile(path, O_RDONLY, &st);
        if (fd < 0)
                return open_error(path, fd, &st);
        r = read_pid_fd(fd, path, pid);
        close(fd);
        return r;
}

static int write_pid(int fd, const char *path, pid_t pid)
{
        char text[24];
        int len = snprintf(text, sizeof text, "%d\n", (int)pid);

        if (ftruncate(fd, 0) < 0 || pwrite(fd, text, (size_t)len, 0) != len)
                return sp_error(errno ? errno : EIO, "write pidfile %s: %s", path,
                                strerror(errno ? errno : EIO));
        return 0;
}

/* Lock the file that `path` names right now: if it was unlinked or replaced between our
 * open and our lock, our lock would guard nothing, so start over. */
static int lock_current_file(const char *path)
{
        for (;;) {
                struct stat opened = { 0 }, named;
                int fd = open_pidfile(path, O_RDWR | O_CREAT, &opened);
                int r;

                if (fd < 0)
                        return open_error(path, fd, &opened);
                r = try_lock(fd);
                if (r == -EBUSY) {
                        pid_t holder;

                        if (read_pid_fd(fd, path, &holder) == 0)
                                r = sp_error(EBUSY, "pidfile %s is held by pid %d", path,
                                             (int)holder);
                        else
                                r = sp_error(EBUSY, "pidfile %s is held by another process",
                                             path);
                        close(fd);
                        return r;
                }
                if (r < 0) {
                        close(fd);
                        return sp_error(-r, "lock pidfile %s: %s", path, strerror(-r));
                }
                if (fstat(fd, &opened) == 0 && lstat(path, &named) == 0 &&
                    opened.st_ino == named.st_ino && opened.st_dev == named.st_dev)
                        return fd;
                close(fd);
        }
}

int subproc_pidfile_acquire(const char *path, pid_t pid)
{
        int fd;

        if (!path || !*path)
                return sp_error(EINVAL, "the pidfile path is %s", path ? "empty" : "NULL");
        if (pid < 0)
                return sp_error(EINVAL, "cannot write pid %d into pidfile %s", (int)pid, path);
        fd = lock_current_file(path);
        if (fd < 0)
                return -1;
        if (pid > 0 && write_pid(fd, path, pid) < 0) {
                int e = errno;

                close(fd);
                errno = e;
                return -1;
        }
        return fd;
}

int subproc_pidfile_release(const char *path, int fd)
{
        int r = 0;

        /* Unlink first: once we close, someone else may lock the file, and our unlink would
         * then remove their pidfile. */
        if (path && unlink(path) < 0 && errno != ENOENT)
                r = sp_error(errno, "unlink pidfile %s: %s", path, strerror(errno));
        if (fd >= 0)
                close(fd);
        return r;
}

int subproc_pidfile_read_if_alive(const char *path, pid_t *pid)
{
        struct stat st = { 0 };
        bool locked = false;
        int fd, r;

        if (!path || !pid)
                return sp_error(EINVAL, "subproc_pidfile_read_if_alive: NULL argument");
        fd = open_pidfile(path, O_RDONLY, &st);
        if (fd == -ENOENT) {
                *pid = -1;
                return 0;
        }
        if (fd < 0)
                return open_error(path, fd, &st);
        r = is_locked(fd, &locked);
        if (r < 0)
                r = sp_error(-r, "test the lock of pidfile %s: %s", path, strerror(-r));
        else if (!locked)
                *pid = -1;
        else
                r = read_pid_fd(fd, path, pid);
        close(fd);
        return r;
}

static long long monotonic_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Try to take the lock for up to timeout_ms; 0 once we hold it. */
static int lock_within(int fd, int timeout_ms)
{
        long long deadline = monotonic_ms() + timeout_ms;
        struct timespec step = { 0, 5 * 1000 * 1000 };
        int r;

        /* No lock wait takes a timeout; the holder is dying, so short polls are cheap. */
        while ((r = try_lock(fd)) == -EBUSY && monotonic_ms() < deadline)
                nanosleep(&step, NULL);
        return r;
}

int subproc_pidfile_force_cleanup(const char *path)
{
        struct stat st = { 0 };
        pid_t holder;
        int fd, r;

        if (!path || !*path)
                return sp_error(EINVAL, "the pidfile path is %s", path ? "empty" : "NULL");
        fd = open_pidfile(path, O_RDWR, &st);
        if (fd == -ENOENT)
                return 0;
        if (fd < 0)
                return open_error(path, fd, &st);
        r = try_lock(fd);
        if (r == -EBUSY) {
                if (read_pid_fd(fd, path, &holder) < 0) {
                        close(fd);
                        return -1;
                }
                (void)kill(holder, SIGTERM);
                r = lock_within(fd, TERM_GRACE_MS);
                if (r == -EBUSY) {
                        (void)kill(holder, SIGKILL);
                        r = lock_within(fd, KILL_GRACE_MS);
                }
                if (r == -EBUSY) {
                        close(fd);
                        return sp_error(ETIMEDOUT, "pidfile %s is still held after SIGKILL to "
                                                   "pid %d", path, (int)holder);
                }
        }
        if (r < 0) {
                close(fd);
                return sp_error(-r, "lock pidfile %s: %s", path, strerror(-r));
        }
        return subproc_pidfile_release(path, fd);
}
