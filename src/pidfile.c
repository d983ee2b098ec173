/* Pidfiles that are held, not just written: a flock() lock lives exactly as long as the
 * process (and its exec'd program) that keeps the fd open.  Who holds it is asked of the
 * kernel (pidfile-proc-*.c); the pid written in the file is a hint, never authority. */
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
#define DISCARD_WAIT_MS 1000
#define MAX_HOLDERS 16
#define LOCK_RETRIES 3

/* Refusals of open_pidfile() beyond the errno values of open() itself. */
enum {
        REFUSED_TYPE = -100001,     /* not a regular file */
        REFUSED_OWNER = -100002,    /* owned by neither us nor root */
        REFUSED_WRITABLE = -100003, /* writable by group or others */
        REFUSED_LINKED = -100004,   /* more than one hard link */
};

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
static int open_pidfile(const char *path, int flags, struct stat *st)
{
        int fd = open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
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

static int open_error(const char *path, int r, const struct stat *st)
{
        switch (r) {
        case -ELOOP:
                return sp_error(ELOOP, "pidfile %s is a symbolic link: refused", path);
        case REFUSED_TYPE:
                return sp_error(EINVAL, "pidfile %s is not a regular file", path);
        case REFUSED_OWNER:
                return sp_error(EPERM, "pidfile %s is owned by uid %ld, neither us (uid %ld) "
                                "nor root: refused", path, (long)st->st_uid, (long)geteuid());
        case REFUSED_WRITABLE:
                return sp_error(EPERM, "pidfile %s is writable by group or others (mode %04o): "
                                "refused", path, (unsigned)(st->st_mode & 07777));
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
        return open_error(path, r ? r : -EPERM, &st);
}

/* flock(): like an open-file-description lock it belongs to the open file description,
 * survives fork and exec and dies with its last fd; unlike a fcntl() write lock it can be
 * taken on a read-only fd, so the fd that carries it into the program allows no writing.
 * Status and stop test it by taking it for a moment; a start rides that out. */
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
static int peek_pid(int fd, pid_t *ret_pid)
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
        int r = peek_pid(fd, ret_pid);

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
        fd = open_pidfile(path, O_RDONLY, &st);
        if (fd < 0)
                return open_error(path, fd, &st);
        r = read_pid_fd(fd, path, pid);
        close(fd);
        return r;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
        return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Whether `path` names the file of `st` right now. */
static bool path_names(const char *path, const struct stat *st)
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

        if (peek_pid(fd, &named) == 0 && sp_pidfile_prove(named, st->st_dev, st->st_ino,
                                                          &pidfd) == 1) {
                if (pidfd >= 0)
                        close(pidfd);
                return sp_error(EBUSY, "pidfile %s is held by pid %d", path, (int)named);
        }
        return sp_error(EBUSY, "pidfile %s is held by another process", path);
}

int sp_pidfile_busy(const char *path)
{
        struct stat st = { 0 };
        int fd = open_pidfile(path, O_RDONLY, &st), r;

        if (fd < 0)
                return sp_error(EBUSY, "pidfile %s is held by another process", path);
        r = busy_error(path, fd, &st);
        close(fd);
        return r;
}

/* Lock the file that `path` names right now: if it was unlinked or replaced between our
 * open and our lock, our lock would guard nothing, so start over. */
static int lock_current_file(const char *path, struct stat *ret_st)
{
        for (;;) {
                struct stat opened = { 0 };
                int fd = open_pidfile(path, O_RDONLY | O_CREAT, &opened);
                int r;

                if (fd < 0)
                        return open_error(path, fd, &opened);
                r = try_lock(fd);
                if (r < 0) {
                        r = r == -EBUSY ? busy_error(path, fd, &opened)
                                        : sp_error(-r, "lock pidfile %s: %s", path, strerror(-r));
                        close(fd);
                        return r;
                }
                if (path_names(path, &opened)) {
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
        if (path && (fd < 0 || (fstat(fd, &st) == 0 && path_names(path, &st))) &&
            unlink(path) < 0 && errno != ENOENT)
                r = sp_error(errno, "unlink pidfile %s: %s", path, strerror(errno));
        if (fd >= 0)
                close(fd);
        return r;
}

/* ---- who holds it: asked of the kernel ------------------------------------------------ */

struct probe {
        const char *path;
        int fd;         /* read-only, on the checked file */
        struct stat st;
        pid_t named;    /* the pid the file names (a hint), or -1 */
        bool locked;    /* we took the lock: nobody else holds it */
        struct sp_holder holders[MAX_HOLDERS];
        size_t nholders;
};

/* 0 with the file open, 1 when there is no file, -1 when it is refused. */
static int probe_open(struct probe *p, const char *path)
{
        int fd;

        *p = (struct probe){ .path = path, .fd = -1, .named = -1 };
        if (!path || !*path)
                return sp_error(EINVAL, "the pidfile path is %s", path ? "empty" : "NULL");
        fd = open_pidfile(path, O_RDONLY, &p->st);
        if (fd == -ENOENT)
                return 1;
        if (fd < 0)
                return open_error(path, fd, &p->st);
        p->fd = fd;
        if (peek_pid(fd, &p->named) < 0)
                p->named = -1;
        return 0;
}

static void drop_holders(struct probe *p)
{
        for (size_t i = 0; i < p->nholders; i++)
                if (p->holders[i].pidfd >= 0)
                        close(p->holders[i].pidfd);
        p->nholders = 0;
}

/* Let go at once of a lock taken only to test it: a start waits for us meanwhile. */
static void unlock_probe(struct probe *p)
{
        if (p->locked)
                (void)flock(p->fd, LOCK_UN);
        p->locked = false;
}

static void probe_close(struct probe *p)
{
        drop_holders(p);
        if (p->fd >= 0)
                close(p->fd);
        p->fd = -1;
}

static int cannot_tell(const struct probe *p, int err)
{
        if (err == EACCES)
                return sp_error(EACCES, "cannot tell who holds pidfile %s: the open files of "
                                "its holder are not ours to see (run as root or as its user)",
                                p->path);
        if (err == ENOTSUP)
                return sp_error(ENOTSUP, "cannot tell who holds pidfile %s: this system shows "
                                "no other process's locks (no /proc)", p->path);
        return sp_error(err, "cannot tell who holds pidfile %s: %s", p->path, strerror(err));
}

/* 1 with p->holders the processes the kernel shows holding the lock; 0 when nobody holds a
 * write lock (p->locked: we now hold it; else only read locks are held, which no pidfile
 * of ours takes); -1 when it cannot be told (message set). */
static int find_holders(struct probe *p)
{
        drop_holders(p);
        for (int round = 0; round < 3; round++) {
                bool incomplete = false;
                int pidfd, r = try_lock(p->fd);

                if (r == 0) {
                        p->locked = true;
                        return 0;
                }
                if (r != -EBUSY)
                        return sp_error(-r, "lock pidfile %s: %s", p->path, strerror(-r));
                /* The pid the file names first: the usual holder, and cheap to check. */
                if (p->named > 0 &&
                    sp_pidfile_prove(p->named, p->st.st_dev, p->st.st_ino, &pidfd) == 1) {
                        p->holders[0] = (struct sp_holder){ p->named, pidfd };
                        p->nholders = 1;
                        return 1;
                }
                /* Else everyone: the lock may have passed on (sh -c 'daemon &'). */
                r = sp_pidfile_find_holders(p->st.st_dev, p->st.st_ino, p->holders,
                                            MAX_HOLDERS, &incomplete);
                if (r > 0) {
                        p->nholders = (size_t)r;
                        return 1;
                }
                if (r < 0)
                        return cannot_tell(p, -r);
                /* Some processes were not ours to look at.  A read lock the kernel shows
                 * excludes any write lock: then only readers hold it.  Else we cannot tell. */
                if (incomplete && sp_pidfile_read_locked(p->st.st_dev, p->st.st_ino) != 1)
                        return cannot_tell(p, EACCES);
                /* Held, but by no writer: readers, or a holder that just exited. */
        }
        return 0;
}

/* The named pid, when it lives without holding the lock: 1 (message set), else 0. */
static int unproven_alive(const struct probe *p)
{
        if (p->named <= 0 || sp_pid_alive(p->named) != 1)
                return 0;
        sp_error(ENOLCK, "pidfile %s names pid %d, which is running but does not hold the "
                 "pidfile's lock: a daemon that does not lock its pidfile, or a process that "
                 "got a recycled pid; not trusted (match the daemon's executable to tell)",
                 p->path, (int)p->named);
        return 1;
}

static int stat_exe(const char *exe, struct stat *st)
{
        if (stat(exe, st) < 0)
                return sp_error(errno, "executable %s: %s", exe, strerror(errno));
        return 0;
}

/* Whether the named pid runs `exe`: 1 with *ret_pidfd, 0, or -1 (message set). */
static int named_runs_exe(const struct probe *p, const struct stat *exe, int *ret_pidfd)
{
        int r;

        *ret_pidfd = -1;
        if (p->named <= 0)
                return 0;
        r = sp_pid_runs_exe(p->named, exe, ret_pidfd);
        if (r == -ENOSYS)
                return sp_error(ENOTSUP, "cannot match pid %d of pidfile %s to its executable "
                                "safely: this kernel has no pidfds", (int)p->named, p->path);
        if (r < 0)
                return cannot_tell(p, -r);
        return r;
}

int subproc_pidfile_holder(const char *path, pid_t *ret_pid, int *ret_pidfd)
{
        struct probe p;
        pid_t pid = -1;
        int pidfd = -1, r;

        if (!ret_pid)
                return sp_error(EINVAL, "subproc_pidfile_holder: NULL argument");
        r = probe_open(&p, path);
        if (r == 0) {
                r = find_holders(&p);
                unlock_probe(&p);
                if (r > 0) {
                        pid = p.holders[0].pid;
                        pidfd = p.holders[0].pidfd;
                        p.holders[0].pidfd = -1;
                }
                probe_close(&p); /* closing the fd drops a lock we took to test */
        }
        if (r < 0)
                return -1;
        /* Outputs only on success; no file (r == 1) or nobody (r == 0): -1. */
        *ret_pid = pid;
        if (ret_pidfd)
                *ret_pidfd = pidfd;
        else if (pidfd >= 0)
                close(pidfd);
        return 0;
}

int subproc_pidfile_read_if_alive(const char *path, pid_t *pid)
{
        if (!path || !pid)
                return sp_error(EINVAL, "subproc_pidfile_read_if_alive: NULL argument");
        return subproc_pidfile_holder(path, pid, NULL);
}

/* The state when nobody holds the lock: the named pid, matched by exe or else judged by
 * unproven_alive().  Sets *pid when it runs. */
static int unlocked_state(const struct probe *p, const struct stat *exe, pid_t *pid)
{
        int r, pidfd;

        if (!exe)
                return unproven_alive(p) ? -1 : SUBPROC_PIDFILE_STALE;
        r = named_runs_exe(p, exe, &pidfd);
        if (r <= 0)
                return r < 0 ? -1 : SUBPROC_PIDFILE_STALE;
        close(pidfd);
        *pid = p->named;
        return SUBPROC_PIDFILE_RUNNING;
}

int subproc_pidfile_status(const char *path, const char *exe, pid_t *ret_pid)
{
        struct stat exe_st;
        struct probe p;
        pid_t pid = -1;
        int r;

        if (!ret_pid)
                return sp_error(EINVAL, "subproc_pidfile_status: NULL argument");
        if (exe && stat_exe(exe, &exe_st) < 0)
                return -1;
        r = probe_open(&p, path);
        if (r < 0)
                return -1;
        if (r == 1) {
                *ret_pid = -1;
                return SUBPROC_PIDFILE_MISSING;
        }
        r = find_holders(&p);
        unlock_probe(&p);
        if (r > 0) {
                pid = p.holders[0].pid;
                r = SUBPROC_PIDFILE_RUNNING;
        } else if (r == 0) {
                r = unlocked_state(&p, exe ? &exe_st : NULL, &pid);
        }
        probe_close(&p);
        if (r >= 0)
                *ret_pid = pid; /* outputs only on success */
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

/* Signal every holder through the pidfd taken before it was proven, so the signal reaches
 * that process and no other that got its pid since.  0, or -1 (message set). */
static int signal_holders(struct probe *p, int sig)
{
        for (size_t i = 0; i < p->nholders; i++) {
                if (p->holders[i].pid == getpid())
                        return sp_error(EDEADLK, "pidfile %s is held by this very process",
                                        p->path);
                if (p->holders[i].pidfd < 0)
                        return sp_error(ENOTSUP, "cannot signal pid %d, holder of pidfile %s, "
                                        "safely: this kernel has no pidfds (Linux 5.3)",
                                        (int)p->holders[i].pid, p->path);
        }
        for (size_t i = 0; i < p->nholders; i++) {
                int r = sp_pidfd_signal(p->holders[i].pidfd, sig);

                if (r < 0 && r != -ESRCH)
                        return sp_error(-r, "signal pid %d, holder of pidfile %s: %s",
                                        (int)p->holders[i].pid, p->path, strerror(-r));
        }
        return 0;
}

/* One round of stop: who to signal now.  1 with p->holders set (by_exe: the named pid,
 * matched by its executable), 0 when nothing runs, -1 on refusal. */
static int stop_targets(struct probe *p, const struct stat *exe, bool first, bool *by_exe)
{
        int r = find_holders(p), pidfd;

        *by_exe = false;
        if (r != 0)
                return r;
        if (exe) {
                r = named_runs_exe(p, exe, &pidfd);
                if (r > 0) {
                        p->holders[0] = (struct sp_holder){ p->named, pidfd };
                        p->nholders = 1;
                        *by_exe = true;
                }
                return r;
        }
        /* Once we have stopped a holder, the pid it left in the file is not ours to judge. */
        return first && unproven_alive(p) ? -1 : 0;
}

/* Remove the file we checked, or nothing: the name may be a fresh start's file by now. */
static int remove_checked(struct probe *p)
{
        if (path_names(p->path, &p->st) && unlink(p->path) < 0 && errno != ENOENT)
                return sp_error(errno, "unlink pidfile %s: %s", p->path, strerror(errno));
        return 0;
}

int subproc_pidfile_stop(const char *path, const char *exe)
{
        static const int signals[] = { SIGTERM, SIGKILL };
        static const int grace_ms[] = { TERM_GRACE_MS, KILL_GRACE_MS };
        struct stat exe_st;
        struct probe p;
        int r;

        if (exe && stat_exe(exe, &exe_st) < 0)
                return -1;
        r = probe_open(&p, path);
        if (r != 0)
                return r < 0 ? -1 : 0;
        for (size_t step = 0;; step++) {
                bool by_exe;

                r = stop_targets(&p, exe ? &exe_st : NULL, step == 0, &by_exe);
                if (r <= 0)
                        break;
                if (step == 2) {
                        r = sp_error(ETIMEDOUT, "pidfile %s is still held by pid %d after "
                                     "SIGKILL", path, (int)p.holders[0].pid);
                        break;
                }
                r = signal_holders(&p, signals[step]);
                if (r < 0)
                        break;
                if (by_exe)
                        (void)sp_pidfd_wait_exit(p.holders[0].pidfd, grace_ms[step]);
                else
                        (void)lock_within(p.fd, grace_ms[step]);
        }
        if (r == 0)
                r = remove_checked(&p);
        probe_close(&p);
        return r;
}

int subproc_pidfile_force_cleanup(const char *path)
{
        return subproc_pidfile_stop(path, NULL);
}

void sp_pidfile_discard(const char *path, pid_t pid)
{
        int saved_errno = errno;
        struct stat st = { 0 };
        pid_t named;
        int fd = open_pidfile(path, O_RDONLY, &st);

        if (fd < 0)
                return;
        /* The failed process wrote it under its lock; it may not have exited quite yet. */
        if (peek_pid(fd, &named) == 0 && named == pid && lock_within(fd, DISCARD_WAIT_MS) == 0 &&
            peek_pid(fd, &named) == 0 && named == pid && path_names(path, &st))
                (void)unlink(path);
        close(fd);
        errno = saved_errno;
}
