/* Pidfiles that are held, not just written: a flock() lock lives exactly as long as the
 * process (and its exec'd program) that keeps the fd open.  Who holds it is asked of the
 * kernel (pidfile-proc-*.c); the pid written in the file is a hint, never authority. */
#include "process.h"
#include "pidfile.h"

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
#define DISCARD_WAIT_MS 1000
#define LOCK_RETRIES 3

/* Whose pidfile we trust: our own (effective uid) or root's.  A file somebody else made
 * (first, in a world-writable directory) could be rewritten by its owner at any time. */
static bool trusted_owner(uid_t owner)
{
        return owner == geteuid() || owner == 0;
}

/* Why a pidfile may not be used, or 0.  Writable by others: anyone could name a victim's
 * pid.  A second hard link: the name may be a link to a file that is not a pidfile at all
 * (with fs.protected_hardlinks=0 anyone can make one), which we would truncate. */
static int refusal(const struct stat *st)
{
        if (!S_ISREG(st->st_mode))
                return REFUSED_TYPE;
        if (!trusted_owner(st->st_uid))
                return REFUSED_OWNER;
        if (st->st_mode & (S_IWGRP | S_IWOTH))
                return REFUSED_WRITABLE;
        if (st->st_nlink > 1)
                return REFUSED_LINKED;
        return 0;
}

/* Open without following a symlink and without blocking on a FIFO; refuse what refusal()
 * refuses.  The fd, or -errno / REFUSED_* with *st filled. */
int sp_pidfile_open(const char *path, int flags, struct stat *st)
{
        /* Never on 0-2, even in a caller that closed them (acquire hands it to the caller). */
        int fd = sp_fd_above_stdio(open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
                                        SP_PIDFILE_MODE));
        int r;

        if (fd < 0)
                return -errno;
        r = fstat(fd, st) < 0 ? -errno : refusal(st);
        if (r < 0) {
                close(fd);
                return r;
        }
        return fd;
}

int sp_pidfile_open_error(const char *path, int r, const struct stat *st)
{
        switch (r) {
        case -ELOOP:
                return sp_error(ELOOP, "pidfile %s is a symbolic link: refused", path);
        case REFUSED_TYPE:
                return sp_error(EINVAL, "pidfile %s is not a regular file", path);
        case REFUSED_OWNER:
                return sp_error(EPERM,
                                "pidfile %s is owned by uid %ld, neither us (uid %ld) "
                                "nor root: refused",
                                path, (long)st->st_uid, (long)geteuid());
        case REFUSED_WRITABLE:
                return sp_error(EPERM,
                                "pidfile %s is writable by group or others (mode %04o): "
                                "refused",
                                path, (unsigned)(st->st_mode & 07777));
        case REFUSED_LINKED:
                return sp_error(EMLINK, "pidfile %s has %lu hard links: refused", path,
                                (unsigned long)st->st_nlink);
        default:
                return sp_error(-r, "open pidfile %s: %s", path, strerror(-r));
        }
}

int sp_pidfile_refused(const char *path)
{
        struct stat st = { 0 };
        int r;

        if (lstat(path, &st) < 0)
                return sp_error(EPERM, "pidfile %s: refused", path);
        r = S_ISLNK(st.st_mode) ? -ELOOP : refusal(&st);
        return sp_pidfile_open_error(path, r ? r : -EPERM, &st);
}

/* flock(): like an open-file-description lock it belongs to the open file description,
 * survives fork and exec and dies with its last fd; unlike a fcntl() write lock it can be
 * taken on a read-only fd, so the fd that carries it into the program allows no writing.
 * Status and stop test it by taking it for a moment; a start rides that out. */
int sp_pidfile_try_lock(int fd)
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

/* The pid the file names: 0, -EINVAL etc. (no message), or -errno of the read. */
int sp_pidfile_peek(int fd, pid_t *ret_pid)
{
        char buf[PIDFILE_MAX_BYTES + 1];
        ssize_t n;

        do
                n = pread(fd, buf, sizeof buf, 0);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        if (n > PIDFILE_MAX_BYTES)
                return -E2BIG;
        return parse_pid(buf, (size_t)n, ret_pid);
}

static int read_pid_fd(int fd, const char *path, pid_t *ret_pid)
{
        int r = sp_pidfile_peek(fd, ret_pid);

        if (r == -E2BIG)
                return sp_error(EINVAL, "pidfile %s is too long to hold a pid", path);
        if (r == -ENODATA)
                return sp_error(EINVAL, "pidfile %s is empty", path);
        if (r == -ERANGE)
                return sp_error(EINVAL, "pidfile %s holds a pid out of range", path);
        if (r == -EINVAL)
                return sp_error(EINVAL, "pidfile %s does not hold a pid", path);
        if (r < 0)
                return sp_error(-r, "read pidfile %s: %s", path, strerror(-r));
        return 0;
}

int subproc_pidfile_read(const char *path, pid_t *pid)
{
        struct stat st = { 0 };
        int fd, r;

        if (!path || !pid)
                return sp_error(EINVAL, "subproc_pidfile_read: NULL argument");
        fd = sp_pidfile_open(path, O_RDONLY, &st);
        if (fd < 0)
                return sp_pidfile_open_error(path, fd, &st);
        r = read_pid_fd(fd, path, pid);
        close(fd);
        return r;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
        return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Whether `path` names the file of `st` right now. */
bool sp_pidfile_names(const char *path, const struct stat *st)
{
        struct stat named = { 0 };

        return lstat(path, &named) == 0 && same_file(&named, st);
}

/* Write the pid through an fd of its own, closed at once: the locked fd stays read-only. */
static int write_pid(const char *path, const struct stat *locked, pid_t pid)
{
        char text[24];
        int len = snprintf(text, sizeof text, "%d\n", (int)pid), r = 0;
        struct stat st = { 0 };
        int fd = open(path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

        if (fd < 0)
                return sp_error(errno, "open pidfile %s for writing: %s", path, strerror(errno));
        if (fstat(fd, &st) < 0 || !same_file(&st, locked))
                r = sp_error(EAGAIN, "pidfile %s was replaced while we wrote it", path);
        else if (ftruncate(fd, 0) < 0 || pwrite(fd, text, (size_t)len, 0) != len)
                r = sp_error(errno ? errno : EIO, "write pidfile %s: %s", path,
                             strerror(errno ? errno : EIO));
        close(fd);
        return r;
}

/* The message for a pidfile whose lock another process holds: the holder's pid when the
 * kernel shows who it is, never just the pid the file names. */
static int busy_error(const char *path, int fd, const struct stat *st)
{
        pid_t named;
        int pidfd;

        if (sp_pidfile_peek(fd, &named) == 0 &&
            sp_pidfile_prove(named, st->st_dev, st->st_ino, &pidfd) == 1) {
                if (pidfd >= 0)
                        close(pidfd);
                return sp_error(EBUSY, "pidfile %s is held by pid %d", path, (int)named);
        }
        return sp_error(EBUSY, "pidfile %s is held by another process", path);
}

int sp_pidfile_busy(const char *path)
{
        struct stat st = { 0 };
        int fd = sp_pidfile_open(path, O_RDONLY, &st), r;

        if (fd < 0)
                return sp_error(EBUSY, "pidfile %s is held by another process", path);
        r = busy_error(path, fd, &st);
        close(fd);
        return r;
}

/* A write lock of the fcntl() kind held by another process or open file description: a
 * daemon's own lockf() on its pidfile, or the open-file-description lock of an earlier
 * subproc.  flock() does not see those, so a start checks for them too.  Read locks are
 * ignored: anyone who can read the file can take one. */
static bool fcntl_write_locked(int fd)
{
        struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

#ifdef F_OFD_GETLK
        return fcntl(fd, F_OFD_GETLK, &lk) == 0 && lk.l_type == F_WRLCK;
#else
        return fcntl(fd, F_GETLK, &lk) == 0 && lk.l_type == F_WRLCK;
#endif
}

/* Lock the file that `path` names right now: if it was unlinked or replaced between our
 * open and our lock, our lock would guard nothing, so start over. */
static int lock_current_file(const char *path, struct stat *ret_st)
{
        for (;;) {
                struct stat opened = { 0 };
                int fd = sp_pidfile_open(path, O_RDONLY | O_CREAT, &opened);
                int r;

                if (fd < 0)
                        return sp_pidfile_open_error(path, fd, &opened);
                r = sp_pidfile_try_lock(fd);
                if (r == 0 && fcntl_write_locked(fd))
                        r = -EBUSY;
                if (r < 0) {
                        r = r == -EBUSY ? busy_error(path, fd, &opened)
                                        : sp_error(-r, "lock pidfile %s: %s", path, strerror(-r));
                        close(fd);
                        return r;
                }
                if (sp_pidfile_names(path, &opened)) {
                        /* As the child does (hold_pidfile()): nobody but the owner may open
                         * the file from now on, so nobody else can take its lock later. */
                        if (opened.st_mode & SP_PIDFILE_FOREIGN_BITS)
                                (void)fchmod(fd, opened.st_mode & SP_PIDFILE_MODE);
                        *ret_st = opened;
                        return fd;
                }
                close(fd);
        }
}

int subproc_pidfile_acquire(const char *path, pid_t pid)
{
        struct stat st = { 0 };
        int fd;

        if (!path || !*path)
                return sp_error(EINVAL, "the pidfile path is %s", path ? "empty" : "NULL");
        if (pid < 0)
                return sp_error(EINVAL, "cannot write pid %d into pidfile %s", (int)pid, path);
        fd = lock_current_file(path, &st);
        if (fd < 0)
                return -1;
        if (pid > 0 && write_pid(path, &st, pid) < 0) {
                int e = errno;

                close(fd);
                errno = e;
                return -1;
        }
        return fd;
}

int subproc_pidfile_release(const char *path, int fd)
{
        struct stat st = { 0 };
        int r = 0;

        /* Unlink first: once we close, someone else may lock the file, and our unlink would
         * then remove their pidfile.  Only our file: the name may be somebody else's now. */
        if (path && (fd < 0 || (fstat(fd, &st) == 0 && sp_pidfile_names(path, &st))) &&
            unlink(path) < 0 && errno != ENOENT)
                r = sp_error(errno, "unlink pidfile %s: %s", path, strerror(errno));
        if (fd >= 0)
                close(fd);
        return r;
}

/* Try to take the lock for up to timeout_ms; 0 once we hold it. */
int sp_pidfile_lock_within(int fd, int timeout_ms)
{
        long long deadline = sp_now_ms() + timeout_ms;
        struct timespec step = { 0, 5 * 1000 * 1000 };
        int r;

        /* No lock wait takes a timeout; the holder is dying, so short polls are cheap. */
        while ((r = sp_pidfile_try_lock(fd)) == -EBUSY && sp_now_ms() < deadline)
                nanosleep(&step, NULL);
        return r;
}

void sp_pidfile_discard(const char *path, pid_t pid)
{
        int saved_errno = errno;
        struct stat st = { 0 };
        pid_t named;
        int fd = sp_pidfile_open(path, O_RDONLY, &st);

        if (fd < 0) {
                errno = saved_errno;
                return;
        }
        /* The failed process wrote it under its lock; it may not have exited quite yet. */
        if (sp_pidfile_peek(fd, &named) == 0 && named == pid &&
            sp_pidfile_lock_within(fd, DISCARD_WAIT_MS) == 0 && sp_pidfile_peek(fd, &named) == 0 &&
            named == pid && sp_pidfile_names(path, &st))
                (void)unlink(path);
        close(fd);
        errno = saved_errno;
}
