/* Pidfiles on the parent's side: what the run needs after a start (the first three), and what
 * the pidfile files share among themselves (pidfile.c: opening, checking, locking;
 * pidfile-holder.c: holder, status, stop; pidfile-proc-*.c: what the kernel shows).  The
 * child's side (create, lock, write) is child.c's. */
#ifndef SUBPROC_PIDFILE_H
#define SUBPROC_PIDFILE_H

#include "child.h" /* SP_PIDFILE_MODE, the rule both sides apply */
#include "util.h"

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

/* The error for a pidfile the child refused with EPERM: names its owner when that is why. */
SP_HIDDEN int sp_pidfile_refused(const char *path);
/* After a failed start: remove the pidfile at `path` if it names `pid` (the process that
 * failed), is the file the path names and nobody holds its lock.  Keeps errno. */
SP_HIDDEN void sp_pidfile_discard(const char *path, pid_t pid);
/* The EBUSY error for a pidfile another process holds, naming the holder when the kernel
 * shows it. */
SP_HIDDEN int sp_pidfile_busy(const char *path);

/* Refusals of sp_pidfile_open() beyond the errno values of open() itself. */
enum {
        REFUSED_TYPE = -100001,     /* not a regular file */
        REFUSED_OWNER = -100002,    /* owned by neither us nor root */
        REFUSED_WRITABLE = -100003, /* writable by group or others */
        REFUSED_LINKED = -100004,   /* more than one hard link */
};

/* Open without following a symlink and without blocking on a FIFO; refuse what the
 * REFUSED_* codes name.  The fd, or -errno / REFUSED_* with *st filled. */
SP_HIDDEN int sp_pidfile_open(const char *path, int flags, struct stat *st);
/* The error (message, errno, -1) for what sp_pidfile_open() returned. */
SP_HIDDEN int sp_pidfile_open_error(const char *path, int r, const struct stat *st);
/* flock(LOCK_EX | LOCK_NB), riding out a test lock held for a moment: 0, -EBUSY, -errno. */
SP_HIDDEN int sp_pidfile_try_lock(int fd);
/* The same for up to timeout_ms. */
SP_HIDDEN int sp_pidfile_lock_within(int fd, int timeout_ms);
/* The pid the file names: 0, or -errno (no message). */
SP_HIDDEN int sp_pidfile_peek(int fd, pid_t *ret_pid);
/* Whether `path` names the file of `st` (device and inode) right now. */
SP_HIDDEN bool sp_pidfile_names(const char *path, const struct stat *st);

/* The kernel's word on pidfile holders (pidfile-proc-*.c).  A holder is a live process with
 * an fd on the pidfile's inode (dev, ino) whose open file description carries a write lock. */
struct sp_holder {
        pid_t pid;
        int pidfd; /* taken before the check; -1 without pidfds */
};
/* 1 when pid is a holder (*ret_pidfd its pidfd, or -1 on kernels without pidfds), 0 when it
 * is not or is gone (a zombie too), -EACCES when its fds are not ours to see, -ENOTSUP
 * without /proc. */
SP_HIDDEN int sp_pidfile_prove(pid_t pid, dev_t dev, ino_t ino, int *ret_pidfd);
/* Every holder among all processes, up to max: their number, with *ret_incomplete set when
 * some process could not be looked at; -ENOTSUP without /proc. */
SP_HIDDEN int sp_pidfile_find_holders(dev_t dev, ino_t ino, struct sp_holder *ret, size_t max,
                                      bool *ret_incomplete);
/* The kernel keeps this many bytes of a process name (TASK_COMM_LEN - 1). */
#define SP_COMM_MAX 15
/* What a process must be (struct subproc_pidfile_match, the executable stat'ed): every
 * criterion given. */
struct sp_match {
        bool has_exe;
        struct stat exe;      /* dev + ino of /proc/PID/exe */
        const char *exe_path; /* as given: matches a deleted (upgraded) executable by name */
        const char *name;     /* /proc/PID/comm (its first SP_COMM_MAX bytes), or NULL */
        bool has_uid;
        uid_t uid; /* the real uid */
};
/* 1 when the live process pid matches m, with *ret_pidfd its pidfd taken before the check;
 * 0 if not or gone; -errno if it cannot be told (-ENOSYS without pidfds). */
SP_HIDDEN int sp_pid_matches(pid_t pid, const struct sp_match *m, int *ret_pidfd);
/* 1 when the kernel shows a flock() read lock on the file (dev, ino) (/proc/locks): then no
 * process holds a write lock, which would exclude it; 0 if it shows none, -errno. */
SP_HIDDEN int sp_pidfile_read_locked(dev_t dev, ino_t ino);
/* 1 when pid names a live process (a zombie counts as gone), 0 if not, -errno. */
SP_HIDDEN int sp_pid_alive(pid_t pid);
/* Whether the process of a pidfd is still running (not exited, not a zombie). */
SP_HIDDEN bool sp_pidfd_alive(int pidfd);
/* The same, told apart from a failure to look: 1 running, 0 gone, -errno. */
SP_HIDDEN int sp_pidfd_state(int pidfd);
/* pidfd_send_signal(): 0 or -errno. */
SP_HIDDEN int sp_pidfd_signal(int pidfd, int sig);
/* Wait up to timeout_ms for the process of a pidfd to exit: 0, or -ETIMEDOUT. */
SP_HIDDEN int sp_pidfd_wait_exit(int pidfd, int timeout_ms);

#endif /* SUBPROC_PIDFILE_H */
