/* The child side: the only code that runs between process creation and exec.
 *
 * Everything here runs in the child, which on Linux shares the parent's memory (clone with
 * CLONE_VM|CLONE_VFORK) while the parent thread is suspended.  So: async-signal-safe system
 * calls only, no malloc, no stdio, no locks, no errno, and no write to any memory but this
 * child's own stack and the report pipe.  The plan was prepared, read-only, by the parent.
 * Elsewhere, and on Linux with -Dspawn=fork, the child is a fork()ed copy (spawn-posix.c) and
 * the system calls are libc's (sys-posix.h); the rules stay the same. */
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>

#if SUBPROC_SPAWN_FORK
#include "sys-posix.h"
#else
#include <sched.h>

#include "sys-linux.h"
#endif

/* Handlers reset in the child: 1..64 unless the system has more (sys-posix.h). */
#ifndef SP_SYS_SIGNAL_MAX
#define SP_SYS_SIGNAL_MAX 64
#endif

#define CHILD_CODE SP_CHILD_CODE

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* <errno.h>'s values, which differ between systems (EAGAIN is 11 on Linux, 35 on the BSDs);
 * errno itself must never be read or written here. */
enum {
        ERR_PERM = EPERM,
        ERR_INTR = EINTR,
        ERR_AGAIN = EAGAIN,
        ERR_ACCES = EACCES,
        ERR_BUSY = EBUSY,
        ERR_INVAL = EINVAL,
        ERR_NOSYS = ENOSYS,
        ERR_CANCELED = ECANCELED,
        ERR_IO = EIO,
        ERR_MLINK = EMLINK,
};

/* Runs in the child: async-signal-safe only.  Never returns. */
CHILD_CODE __attribute__((noreturn)) static void
child_fail(const struct sp_plan *plan, enum sp_step stage, long neg_errno, int arg)
{
        struct sp_report rep = { .stage = stage, .error = (int)-neg_errno, .arg = arg };

        if (plan->in_place_jump) {
                /* subproc_exec(): we are the caller itself, which gets the error back. */
                *plan->in_place_report = rep;
                siglongjmp(*plan->in_place_jump, 1);
        }
        if (plan->vfork_report) {
                /* Our own stack's lowest bytes, which the parent reads once our exit has let
                 * it go on (sp_plan.vfork_report): no pipe needed. */
                volatile struct sp_report *slot = plan->vfork_report;

                slot->error = rep.error;
                slot->arg = rep.arg;
                slot->stage = rep.stage;
                sp_sys_exit(127);
        }
        /* One write well below PIPE_BUF is atomic; if the parent is gone, nobody is left to
         * tell. */
        (void)sp_sys_write(plan->report_fd, &rep, sizeof rep);
        sp_sys_exit(127);
}

#ifdef __linux__
/* Runs in the child: async-signal-safe only.  The hex number after `key` in text[0..n), into
 * *ret: true, or false when the key or its digits are missing. */
CHILD_CODE static bool find_hex_field(const char *text, long n, const char *key, uint64_t *ret)
{
        for (long i = 0; i < n; i++) {
                long j = 0, digits = 0;
                uint64_t v = 0;

                if (text[i] != key[0] || (i > 0 && text[i - 1] != '\n'))
                        continue;
                while (key[j] && i + j < n && text[i + j] == key[j])
                        j++;
                if (key[j])
                        continue;
                for (i += j; i < n && (text[i] == ' ' || text[i] == '\t'); i++)
                        ;
                for (; i < n && digits < 16; i++, digits++) {
                        char c = text[i];
                        int d = c >= '0' && c <= '9'   ? c - '0'
                                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                       : -1;

                        if (d < 0)
                                break;
                        v = v << 4 | (uint64_t)d;
                }
                if (digits == 0 || (i < n && text[i] != '\n'))
                        return false;
                *ret = v;
                return true;
        }
        return false;
}

/* Runs in the child: async-signal-safe only.  The signals that are not at SIG_DFL, bit sig-1
 * each: *ignored (SIG_IGN) and *caught (a handler).  Read from our own /proc/self/status: a
 * child made without CLONE_SIGHAND has a copy of the caller's table of its own from the moment
 * it was created, so another thread's sigaction() after that changes nothing here, and one
 * before it is in the copy and in these masks.  (The parent could not read them without that
 * race: a handler installed between its read and the clone would be missed.)  Three system
 * calls, about 9 us here, against one rt_sigaction per signal (62, about 70 us on the VM of
 * bench/README.md).  false when /proc cannot tell (not mounted, another system). */
CHILD_CODE static bool read_dispositions(uint64_t *ignored, uint64_t *caught)
{
        char buf[4096]; /* the whole file: about 1.5 KiB in Linux 6 */
        long fd = sp_sys_open("/proc/self/status", O_RDONLY | O_CLOEXEC, 0), n;

        if (fd < 0)
                return false;
        n = sp_sys_read((int)fd, buf, sizeof buf);
        (void)sp_sys_close((int)fd);
        return n > 0 && n < (long)sizeof buf && find_hex_field(buf, n, "SigIgn:", ignored) &&
               find_hex_field(buf, n, "SigCgt:", caught);
}
#else
CHILD_CODE static bool read_dispositions(uint64_t *ignored, uint64_t *caught)
{
        (void)ignored;
        (void)caught;
        return false;
}
#endif

/* Runs in the child: async-signal-safe only.  Every handler back to SIG_DFL, so a signal
 * arriving before exec runs no parent code, and ignored signals (SIGPIPE!) are not passed on
 * unless the caller asked to keep them.  The mask stays full until just before exec.  Only
 * the signals that need it, when /proc tells which; every one otherwise, and before a hook:
 * a signal at SIG_DFL may still carry flags (SIGCHLD's SA_NOCLDWAIT) that exec would clear
 * but that matter to the caller's code the hook runs. */
CHILD_CODE static void reset_signal_handlers(const struct sp_plan *plan)
{
        uint64_t ignored = 0, caught = 0, reset = ~(uint64_t)0;
        const bool known = !plan->hook && read_dispositions(&ignored, &caught);

        if (known)
                reset = caught | (plan->keep_ignored_signals ? 0 : ignored);
        for (int sig = 1; sig <= SP_SYS_SIGNAL_MAX; sig++) {
                if (sig == SIGKILL || sig == SIGSTOP)
                        continue;
                if (sig <= 64 && !(reset & (uint64_t)1 << (sig - 1)))
                        continue;
                if (plan->keep_ignored_signals && (!known || sig > 64) &&
                    sp_sys_sigaction_is_ignored(sig))
                        continue;
                (void)sp_sys_sigaction_default(sig);
        }
}

/* Runs in the child: async-signal-safe only.  Give each fd of the plan its number; dup2 clears
 * close-on-exec on the copy, and an fd kept under its own number gets it cleared here. */
CHILD_CODE static void apply_fd_maps(const struct sp_plan *plan)
{
        for (size_t i = 0; i < plan->nmaps; i++) {
                const struct sp_fd_map *m = &plan->maps[i];
                long r;

                if (m->src != m->dst) {
                        r = sp_sys_dup2(m->src, m->dst);
                        if (r < 0)
                                child_fail(plan, SP_STEP_DUP2, r, m->dst);
                        continue;
                }
                r = sp_sys_fcntl(m->src, F_SETFD, 0);
                if (r < 0)
                        child_fail(plan, SP_STEP_PASS_FD, r, m->src);
        }
}

/* Fds kept on top of the plan's around a hook: the pidfile's and a daemon's gate (-1: none). */
struct extra_fds {
        int fd[2];
};

/* Runs in the child: async-signal-safe only.  The smallest kept fd >= from, or -1.  `extra`:
 * NULL, or more fds to keep.  `marking`: the others are only marked close-on-exec, so our own
 * pipes and the Landlock ruleset, close-on-exec already, need no gap of their own: one
 * close_range() instead of two for a plain spawn (issue 17). */
CHILD_CODE static int next_kept(const struct sp_plan *plan, int from, const struct extra_fds *extra,
                                bool marking)
{
        int best = plan->report_fd >= from && !marking ? plan->report_fd : -1;

        for (int i = 0; extra && i < 2; i++)
                if (extra->fd[i] >= from && (best < 0 || extra->fd[i] < best))
                        best = extra->fd[i];

        if (!marking && plan->handshake_fd >= from && (best < 0 || plan->handshake_fd < best))
                best = plan->handshake_fd;
        if (!marking && plan->landlock_fd >= from && (best < 0 || plan->landlock_fd < best))
                best = plan->landlock_fd;

        for (size_t i = 0; i < plan->nkeep; i++) {
                if (plan->keep[i] >= from) {
                        if (best < 0 || plan->keep[i] < best)
                                best = plan->keep[i];
                        break; /* keep is sorted */
                }
        }
        return best;
}

CHILD_CODE static bool is_kept(const struct sp_plan *plan, int fd, const struct extra_fds *extra)
{
        if (fd < 3 || fd == plan->report_fd || fd == plan->handshake_fd || fd == plan->landlock_fd)
                return true;
        if (extra && (fd == extra->fd[0] || fd == extra->fd[1]))
                return true;
        for (size_t i = 0; i < plan->nkeep; i++)
                if (plan->keep[i] == fd)
                        return true;
        return false;
}

/* Runs in the child: async-signal-safe only.  close_range() over every gap between kept fds:
 * a handful of calls, whatever RLIMIT_NOFILE is.  With CLOSE_RANGE_CLOEXEC the fds are only
 * marked, which is cheaper for a large table and closes them at exec. */
CHILD_CODE static long close_gaps(const struct sp_plan *plan, unsigned flags,
                                  const struct extra_fds *extra)
{
        int lo = 3;

        for (;;) {
                int kept = next_kept(plan, lo, extra, (flags & CLOSE_RANGE_CLOEXEC) != 0);
                long r;

                if (kept < 0)
                        return sp_sys_close_range((unsigned)lo, ~0U, flags);
                if (kept > lo) {
                        r = sp_sys_close_range((unsigned)lo, (unsigned)kept - 1, flags);
                        if (r < 0)
                                return r;
                }
                lo = kept + 1;
        }
}

/* Runs in the child: async-signal-safe only.  Parse a /proc/self/fd entry name. */
CHILD_CODE static int parse_fd_name(const char *s)
{
        int fd = 0;

        if (!*s)
                return -1;
        for (; *s; s++) {
                if (*s < '0' || *s > '9' || fd > (INT32_MAX - 9) / 10)
                        return -1;
                fd = fd * 10 + (*s - '0');
        }
        return fd;
}

/* The start of struct linux_dirent64, as getdents64 lays it out. */
struct dirent64_head {
        uint64_t ino;
        int64_t off;
        unsigned short reclen;
        unsigned char type;
        char name[];
};

/* Runs in the child: async-signal-safe only.  In place (subproc_exec) a failure returns to
 * the caller, whose fds must outlive it: there they are only marked close-on-exec, as
 * CLOSE_RANGE_CLOEXEC does.  Systems without that flag (macOS, FreeBSD < 13.3, Linux < 5.11)
 * come here for every fd. */
CHILD_CODE static void drop_fd(const struct sp_plan *plan, int fd)
{
        if (plan->in_place_jump)
                (void)sp_sys_fcntl(fd, F_SETFD, FD_CLOEXEC);
        else
                (void)sp_sys_close(fd);
}

/* Runs in the child: async-signal-safe only.  Close what /proc/self/fd lists. */
CHILD_CODE static long close_listed_fds(const struct sp_plan *plan, const struct extra_fds *extra)
{
        char buf[2048] __attribute__((aligned(8)));
        long dir = sp_sys_open_dir("/proc/self/fd");
        long n;

        if (dir < 0)
                return dir;
        while ((n = sp_sys_getdents64((int)dir, buf, sizeof buf)) > 0) {
                for (long off = 0; off < n;) {
                        struct dirent64_head *d = (struct dirent64_head *)(buf + off);
                        int fd = parse_fd_name(d->name);

                        if (fd >= 0 && fd != dir && !is_kept(plan, fd, extra))
                                drop_fd(plan, fd);
                        off += d->reclen;
                }
        }
        (void)sp_sys_close((int)dir);
        return n;
}

/* Runs in the child: async-signal-safe only.  The bound of the loop below: the plan's, or our
 * soft RLIMIT_NOFILE (asked only here, where it is needed: not one system call per spawn). */
CHILD_CODE static int fd_loop_bound(const struct sp_plan *plan)
{
        struct rlimit rl;

        if (plan->fd_limit > 0)
                return plan->fd_limit;
        if (sp_sys_get_rlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
            rl.rlim_cur > 1 << 30)
                return 1 << 20;
        return (int)rl.rlim_cur;
}

/* Runs in the child: async-signal-safe only.  Last resort: every fd below the limit. */
CHILD_CODE static void close_fds_by_loop(const struct sp_plan *plan, const struct extra_fds *extra)
{
        const int bound = fd_loop_bound(plan);

        for (int fd = 3; fd < bound; fd++)
                if (!is_kept(plan, fd, extra))
                        drop_fd(plan, fd);
}

/* Runs in the child: async-signal-safe only.  Leave open exactly 0, 1, 2, the kept fds,
 * `extra` (NULL: none) and the report pipe (which is close-on-exec); in place, the others
 * close at exec (drop_fd).  `method`: the enum sp_close_method to try first.  With
 * subproc_pass_inherited_fds() nothing is closed: what the caller left without close-on-exec
 * reaches the program, and every fd of ours is close-on-exec. */
CHILD_CODE static void close_other_fds(const struct sp_plan *plan, int method,
                                       const struct extra_fds *extra)
{
        long r = -ERR_NOSYS;

        /* A standard fd the caller has closed (subproc_inherit_stdio()) stays closed: a
         * hook's open() takes the lowest free number.  A daemon's gate may sit there. */
        for (int fd = 0; fd < 3; fd++)
                if ((plan->closed_stdio & (1u << fd)) &&
                    !(extra && (fd == extra->fd[0] || fd == extra->fd[1])))
                        drop_fd(plan, fd);
        if (plan->keep_inherited_fds)
                return;

        switch (method) {
        case SP_CLOSE_RANGE_CLOEXEC:
                r = close_gaps(plan, CLOSE_RANGE_CLOEXEC, extra);
                if (r != -ERR_INVAL || plan->in_place_jump)
                        break;
                /* Linux 5.9 and 5.10 have close_range without the flag. */
                /* fall through */
        case SP_CLOSE_RANGE_GAPS:
                r = close_gaps(plan, 0, extra);
                break;
        default:
                break;
        }
        if (r >= 0)
                return;
        if (method <= SP_CLOSE_PROC_FD && close_listed_fds(plan, extra) >= 0)
                return;
        close_fds_by_loop(plan, extra);
}

/* Runs in the child: async-signal-safe only. */
CHILD_CODE static void report_info(const struct sp_plan *plan, enum sp_step stage, int arg)
{
        struct sp_report rep = { .stage = stage, .error = 0, .arg = arg };

        (void)sp_sys_write(plan->report_fd, &rep, sizeof rep);
}

/* Runs in the child: async-signal-safe only.  Decimal digits of v (> 0) into buf. */
CHILD_CODE static size_t format_pid(long v, char *buf)
{
        char tmp[24];
        size_t n = 0, len = 0;

        do {
                tmp[n++] = (char)('0' + v % 10);
                v /= 10;
        } while (v > 0);
        while (n > 0)
                buf[len++] = tmp[--n];
        buf[len++] = '\n';
        return len;
}

/* Runs in the child: async-signal-safe only.  pidfile-holder.c's status and stop test the
 * lock by taking it for a moment: ride that out as sp_pidfile_try_lock() does. */
CHILD_CODE static long lock_pidfile_fd(int fd)
{
        long r = sp_sys_lock_file(fd);

        for (int i = 0; r == -ERR_AGAIN && i < 3; i++) {
                sp_sys_sleep_ms(1);
                r = sp_sys_lock_file(fd);
        }
        return r;
}

/* Runs in the child: async-signal-safe only.  A write lock of the fcntl() kind that another
 * holds (a daemon's own lockf(), an earlier subproc's OFD lock), which flock() does not see:
 * -ERR_BUSY then, else 0.  Read locks are anyone's and ignored (see pidfile.c). */
CHILD_CODE static long check_fcntl_lock(int fd)
{
        struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
#ifdef F_OFD_GETLK
        long r = sp_sys_fcntl_lock(fd, F_OFD_GETLK, &lk);
#else
        long r = sp_sys_fcntl_lock(fd, F_GETLK, &lk);
#endif

        return r == 0 && lk.l_type == F_WRLCK ? -ERR_BUSY : 0;
}

/* Runs in the child: async-signal-safe only.  What pidfile.c's refusal() refuses: not a
 * regular file (EINVAL), not our own file or root's, writable by group or others (EPERM),
 * more than one hard link (EMLINK). */
CHILD_CODE static long check_pidfile(const struct stat *st)
{
        if (!S_ISREG(st->st_mode))
                return -ERR_INVAL;
        if (st->st_uid != 0 && (long)st->st_uid != sp_sys_geteuid())
                return -ERR_PERM;
        if (st->st_mode & (S_IWGRP | S_IWOTH))
                return -ERR_PERM;
        if (st->st_nlink > 1)
                return -ERR_MLINK;
        return 0;
}

/* Runs in the child: async-signal-safe only.  Decimal digits at p up to a non-digit. */
CHILD_CODE static long parse_decimal(const char *p, size_t len)
{
        long v = 0;
        size_t i = 0;

        for (; i < len && p[i] >= '0' && p[i] <= '9' && v < 100000000; i++)
                v = v * 10 + (p[i] - '0');
        return i == 0 || v <= 0 ? -ERR_IO : v;
}

/* Runs in the child: async-signal-safe only.  Issue 14, namespaces: our pid as the caller
 * sees it.  In a new pid namespace getpid() says 1; /proc (still the caller's mount) names
 * us in its own namespace, the caller's.  -errno if /proc cannot tell. */
CHILD_CODE static long own_pid(const struct sp_plan *plan)
{
        char link[24];
        long n;

        if (!plan->pid_ns)
                return sp_sys_getpid();
        n = sp_sys_readlink("/proc/self", link, sizeof link);
        return n < 0 ? n : parse_decimal(link, (size_t)n);
}

/* Runs in the child: async-signal-safe only.  Our parent's pid as the caller sees it: in a
 * new pid namespace getppid() says 0, the parent being outside; /proc/self/stat's fourth
 * field (after "PID (COMM) STATE") names it in the caller's namespace. */
CHILD_CODE static long own_ppid(const struct sp_plan *plan)
{
        char stat[512];
        long fd, n, i, close_paren = -1;

        if (!plan->pid_ns)
                return sp_sys_getppid();
        fd = sp_sys_open("/proc/self/stat", O_RDONLY | O_CLOEXEC, 0);
        if (fd < 0)
                return fd;
        n = sp_sys_read((int)fd, stat, sizeof stat);
        (void)sp_sys_close((int)fd);
        for (i = 0; i < n; i++)
                if (stat[i] == ')')
                        close_paren = i; /* the last one: COMM may hold ')' */
        /* ") S PPID " */
        if (close_paren < 0 || close_paren + 4 >= n)
                return -ERR_IO;
        return parse_decimal(stat + close_paren + 4, (size_t)(n - close_paren - 4));
}

/* Runs in the child: async-signal-safe only.  Issue 14, namespaces: unshare() `flags` (none:
 * nothing). */
CHILD_CODE static void unshare_namespaces(const struct sp_plan *plan, unsigned long flags)
{
        long r;

        if (flags && (r = sp_sys_unshare(flags)) < 0)
                child_fail(plan, SP_STEP_UNSHARE, r, (int)flags);
}

/* Runs in the child: async-signal-safe only.  Issue 14, namespaces: a new mount namespace is a
 * copy of ours, shared mounts included, through which a mount the program makes would appear
 * in ours too (and ours in its).  Made private, as unshare(1) does by default. */
CHILD_CODE static void make_mounts_private(const struct sp_plan *plan)
{
        long r;

        if (plan->ns_private_mounts && (r = sp_sys_mounts_private()) < 0)
                child_fail(plan, SP_STEP_UNSHARE, r, -3);
}

/* Runs in the child: async-signal-safe only.  Issue 14, namespaces: in a new user namespace
 * whose maps the parent writes, nothing may run before they are written (our ids there are
 * unmapped until then).  Tell the parent we wait, then wait for its '1'; anything else (EOF:
 * it could not write them and said why, or died) means do not run.  Our copy of its write
 * end goes first, or EOF could never come. */
CHILD_CODE static void await_id_maps(const struct sp_plan *plan)
{
        char go = 0;
        long r;

        if (plan->id_maps_fd < 0)
                return;
        (void)sp_sys_close(plan->id_maps_peer_fd);
        report_info(plan, SP_STEP_INFO_ID_MAPS, 0);
        do
                r = sp_sys_read(plan->id_maps_fd, &go, 1);
        while (r == -ERR_INTR);
        if (r != 1 || go != '1')
                sp_sys_exit(127);
        (void)sp_sys_close(plan->id_maps_fd);
}

/* Runs in the child: async-signal-safe only.  Write our pid through a second fd, closed at
 * once, after checking that it is the file we locked. */
CHILD_CODE static long write_own_pid(const struct sp_plan *plan, const struct stat *locked)
{
        struct stat st;
        char digits[24];
        long pid = own_pid(plan);
        size_t len = pid > 0 ? format_pid(pid, digits) : 0;
        long r, fd;

        if (pid < 0)
                return pid;
        fd = sp_sys_open(plan->pidfile, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0);
        if (fd < 0)
                return fd;
        r = sp_sys_fstat((int)fd, &st);
        if (r == 0 && (st.st_ino != locked->st_ino || st.st_dev != locked->st_dev))
                r = -ERR_AGAIN;
        if (r == 0)
                r = sp_sys_ftruncate((int)fd, 0);
        if (r == 0)
                r = sp_sys_write((int)fd, digits, len);
        if (r >= 0 && (size_t)r != len)
                r = -ERR_IO; /* a short write to a regular file */
        (void)sp_sys_close((int)fd);
        return r < 0 ? r : 0;
}

/* Runs in the child: async-signal-safe only.  Take the pidfile's lock for this process and
 * write our pid; the lock rides on a read-only fd kept open across exec, so the program, as
 * whatever user, cannot rewrite the file through it (reopening it through /proc/self/fd
 * checks the file's permissions again).  The lock is taken before anything is written, so a
 * held pidfile is left untouched.  Returns the locked fd (the hook's fd cleanup and the
 * ETXTBSY retry's must spare it). */
CHILD_CODE static int hold_pidfile(const struct sp_plan *plan)
{
        struct stat opened, named;
        long fd, r;

        for (;;) {
                fd = sp_sys_open(plan->pidfile,
                                 O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK,
                                 SP_PIDFILE_MODE);
                if (fd < 0)
                        child_fail(plan, SP_STEP_PIDFILE, fd, -1);
                r = sp_sys_fstat((int)fd, &opened);
                if (r == 0)
                        r = check_pidfile(&opened);
                if (r == 0)
                        r = lock_pidfile_fd((int)fd);
                if (r == 0)
                        r = check_fcntl_lock((int)fd);
                if (r == -ERR_AGAIN || r == -ERR_ACCES)
                        r = -ERR_BUSY;
                if (r < 0)
                        child_fail(plan, SP_STEP_PIDFILE, r, -1);
                /* Someone may have unlinked or replaced the file between our open and our
                 * lock (a release or a stop): then our lock guards nothing. */
                r = sp_sys_stat_nofollow(plan->pidfile, &named);
                if (r == 0 && named.st_ino == opened.st_ino && named.st_dev == opened.st_dev)
                        break;
                (void)sp_sys_close((int)fd);
        }
        /* A standard fd the caller has closed stays closed in the program
         * (subproc_inherit_stdio()): the lock must not take its number. */
        if (fd <= 2) {
                r = sp_sys_fcntl((int)fd, F_DUPFD_CLOEXEC, 3);
                (void)sp_sys_close((int)fd);
                if (r < 0)
                        child_fail(plan, SP_STEP_PIDFILE, r, -1);
                fd = r;
        }
        if (plan->in_place_pidfile_fd) /* the caller itself: its memory is ours */
                *plan->in_place_pidfile_fd = (int)fd;
        /* flock() needs no write access: whoever can open the file can lock it once our
         * holder is gone (a shared lock blocks a restart, an exclusive one makes them the
         * holder).  Keep it to its owner from now on (a reader that opened it before keeps
         * its fd: see pidfile.c). */
        if (opened.st_mode & SP_PIDFILE_FOREIGN_BITS)
                (void)sp_sys_fchmod((int)fd, opened.st_mode & SP_PIDFILE_MODE);
        r = write_own_pid(plan, &opened);
        if (r >= 0)
                r = sp_sys_fcntl((int)fd, F_SETFD, 0);
        if (r < 0)
                child_fail(plan, SP_STEP_PIDFILE, r, -1);
        return (int)fd;
}

/* Runs in the child: async-signal-safe only. */
CHILD_CODE static void apply_limits(const struct sp_plan *plan)
{
        for (size_t i = 0; i < plan->nrlimits; i++) {
                struct rlimit rl = { plan->rlimits[i].soft, plan->rlimits[i].hard };
                long r = sp_sys_prlimit(plan->rlimits[i].resource, &rl);

                if (r < 0)
                        child_fail(plan, SP_STEP_RLIMIT, r, plan->rlimits[i].resource);
        }
        if (plan->umask >= 0)
                (void)sp_sys_umask(plan->umask);
}

/* Runs in the child: async-signal-safe only.  The bounding set can only shrink while we still
 * hold CAP_SETPCAP, so this comes before the uid change. */
CHILD_CODE static void drop_bounding_set(const struct sp_plan *plan)
{
        for (int cap = 0; cap < 64; cap++) {
                long r;

                /* A kept capability must stay in the bounding set: without it, it can enter
                 * neither the inheritable nor the ambient set. */
                if (plan->keep_caps && (plan->kept_caps >> cap) & 1)
                        continue;
                r = sp_sys_cap_bound_drop(cap);

                if (r == -ERR_INVAL)
                        break; /* past the kernel's last capability */
                if (r < 0)
                        child_fail(plan, SP_STEP_CAPS_BOUNDING, r, cap);
        }
}

/* Runs in the child: async-signal-safe only.  Groups first, then gid, then uid: after the uid
 * change we would no longer be allowed to change the others. */
CHILD_CODE static void change_credentials(const struct sp_plan *plan)
{
        long r;

        if (plan->drop_groups) {
                r = plan->groups ? sp_sys_setgroups(plan->ngroups, plan->groups)
                                 : sp_sys_setgroups_none();
                if (r < 0)
                        child_fail(plan, SP_STEP_SETGROUPS, r, -1);
        }
        if (plan->gid >= 0 && (r = sp_sys_setresgid(plan->gid)) < 0)
                child_fail(plan, SP_STEP_SETGID, r, (int)plan->gid);
        if (plan->uid >= 0 && (r = sp_sys_setresuid(plan->uid)) < 0)
                child_fail(plan, SP_STEP_SETUID, r, (int)plan->uid);
}

/* Runs in the child: async-signal-safe only.  Issue 14, identity: after the uid change (for
 * which the permitted set was kept), exactly the kept capabilities in the effective, permitted
 * and inheritable sets, then each raised into the ambient set, which is what carries them
 * across exec into a program without file capabilities.  arg: -1 keepcaps, -2 capset, else
 * the capability whose raise failed. */
CHILD_CODE static void keep_chosen_caps(const struct sp_plan *plan)
{
        long r = sp_sys_cap_ambient_clear();

        if (r < 0 && r != -ERR_INVAL) /* EINVAL: a kernel without ambient caps */
                child_fail(plan, SP_STEP_KEEP_CAPS, r, -2);
        r = sp_sys_capset_to(plan->kept_caps);
        if (r < 0)
                child_fail(plan, SP_STEP_KEEP_CAPS, r, -2);
        for (int cap = 0; cap < 64; cap++) {
                if (!((plan->kept_caps >> cap) & 1))
                        continue;
                r = sp_sys_cap_ambient_raise(cap);
                if (r < 0)
                        child_fail(plan, SP_STEP_KEEP_CAPS, r, cap);
        }
}

/* Runs in the child: async-signal-safe only. */
CHILD_CODE static void drop_privileges(const struct sp_plan *plan)
{
        long r;

        if (plan->clear_caps)
                drop_bounding_set(plan);
        /* Without it a uid change away from root empties the permitted set for good. */
        if (plan->keep_caps && (r = sp_sys_keep_caps_on_setuid()) < 0)
                child_fail(plan, SP_STEP_KEEP_CAPS, r, -1);
        change_credentials(plan);
        if (plan->keep_caps)
                keep_chosen_caps(plan);
        else if (plan->clear_caps) {
                r = sp_sys_cap_ambient_clear();
                if (r < 0 && r != -ERR_INVAL) /* EINVAL: a kernel without ambient caps */
                        child_fail(plan, SP_STEP_CAPS, r, -1);
                r = sp_sys_capset_none();
                if (r < 0)
                        child_fail(plan, SP_STEP_CAPS, r, -1);
        }
        if (plan->no_new_privs && (r = sp_sys_no_new_privs()) < 0)
                child_fail(plan, SP_STEP_NO_NEW_PRIVS, r, -1);
}

/* Runs in the child: async-signal-safe only.  The text was formatted by the parent.  A
 * vfork-style child (CLONE_VFORK) that shares the caller's memory sets its own score alone:
 * the kernel spreads a write to every process sharing the memory except from such a child. */
CHILD_CODE static long write_oom_score_adj(const char *text, size_t len)
{
        long fd, r;

        fd = sp_sys_open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC, 0);
        if (fd < 0)
                return fd;
        r = sp_sys_write((int)fd, text, len);
        (void)sp_sys_close((int)fd);
        if (r >= 0 && (size_t)r != len)
                r = -ERR_IO;
        return r < 0 ? r : 0;
}

/* Runs in the child: async-signal-safe only.  Issue 14, scheduling: nice, CPU affinity, I/O
 * priority, OOM score, policy; before the privileges are dropped (raising them needs them). */
CHILD_CODE static void apply_scheduling(const struct sp_plan *plan)
{
        long r;

        if (plan->set_sched && (r = sp_sys_set_sched(plan->sched_policy, plan->sched_priority)) < 0)
                child_fail(plan, SP_STEP_SCHED, r, plan->sched_policy);
        if (plan->set_nice && (r = sp_sys_set_nice(plan->nice)) < 0)
                child_fail(plan, SP_STEP_NICE, r, plan->nice);
        if (plan->cpu_set && (r = sp_sys_set_affinity(plan->cpu_set, plan->cpu_set_size)) < 0)
                child_fail(plan, SP_STEP_AFFINITY, r, -1);
        if (plan->set_ioprio && (r = sp_sys_set_ioprio(plan->ioprio)) < 0)
                child_fail(plan, SP_STEP_IOPRIO, r, plan->ioprio);
        if (plan->oom_score_adj &&
            (r = write_oom_score_adj(plan->oom_score_adj, plan->oom_score_adj_len)) < 0)
                child_fail(plan, SP_STEP_OOM_SCORE, r, -1);
}

/* Runs in the child: async-signal-safe only.  Issue 14, confinement: Landlock, then the
 * seccomp filter (which so need not allow landlock_restrict_self), the last steps before exec:
 * nothing of ours but the signal mask, exec and a failure's report runs under them.  Both need
 * no_new_privs unless we hold CAP_SYS_ADMIN (EACCES from seccomp, EPERM from Landlock): set it
 * then, as systemd does, and try once more.  In place they cannot be undone: a failed exec
 * leaves the caller confined. */
CHILD_CODE static void apply_confinement(const struct sp_plan *plan)
{
        long r;

        if (plan->landlock_fd >= 0) {
                r = sp_sys_landlock_restrict(plan->landlock_fd);
                if (r == -ERR_PERM && !plan->no_new_privs && sp_sys_no_new_privs() == 0)
                        r = sp_sys_landlock_restrict(plan->landlock_fd);
                if (r < 0)
                        child_fail(plan, SP_STEP_LANDLOCK, r, -1);
        }
        if (plan->seccomp) {
                r = sp_sys_seccomp_filter(plan->seccomp);
                if (r == -ERR_ACCES && !plan->no_new_privs && sp_sys_no_new_privs() == 0)
                        r = sp_sys_seccomp_filter(plan->seccomp);
                if (r < 0)
                        child_fail(plan, SP_STEP_SECCOMP, r, -1);
        }
}

/* Runs in the child: async-signal-safe only.  A credential change clears the death signal, so
 * this comes after it.  If the parent died before we armed it, the signal will never come:
 * check, and do not run the program for a caller that is gone. */
CHILD_CODE static void arm_death_signal(const struct sp_plan *plan)
{
        long r, ppid;

        if (!plan->death_signal)
                return;
        r = sp_sys_death_signal(plan->death_signal);
        if (r < 0)
                child_fail(plan, SP_STEP_DEATH_SIGNAL, r, plan->death_signal);
        ppid = own_ppid(plan);
        if (ppid < 0) /* no /proc to tell in a new pid namespace: do not guess */
                child_fail(plan, SP_STEP_DEATH_SIGNAL, ppid, plan->death_signal);
        if (ppid != plan->parent_pid) {
                /* What the kernel would have done had we armed it in time. */
                const uint64_t only_sig = 1ULL << (plan->death_signal - 1);

                (void)sp_sys_kill(sp_sys_getpid(), plan->death_signal);
                (void)sp_sys_sigmask_unblock(&only_sig);
                sp_sys_exit(127);
        }
}

/* Runs in the child: async-signal-safe only.  Tell the parent we wait, then wait for its
 * go-ahead; anything but '1' (EOF: the caller died or gave up) means do not run.  A daemon
 * closes `gate_fd` first: that lets its intermediate exit, and the caller's subproc_run()
 * return, while the daemon waits. */
CHILD_CODE static void wait_for_handshake(const struct sp_plan *plan, int gate_fd)
{
        char go = 0;
        long r;

        if (plan->handshake_fd < 0)
                return;
        report_info(plan, SP_STEP_INFO_READY, 0);
        if (gate_fd >= 0)
                (void)sp_sys_close(gate_fd);
        do
                r = sp_sys_read(plan->handshake_fd, &go, 1);
        while (r == -ERR_INTR);
        if (r != 1 || go != '1')
                sp_sys_exit(127);
        (void)sp_sys_close(plan->handshake_fd);
}

CHILD_CODE static void exec_program(const struct sp_plan *plan, int gate_fd);

/* Runs in the child: async-signal-safe only.  Start the daemon, which becomes the program, in
 * a copy of our memory of its own, and return once it has exec'd, failed, or (with a
 * handshake) waits for the caller: the gate's write end closes then.  Waiting matters: the
 * parent may kill this intermediate if the report pipe fails, and by then the daemon must
 * hold its pidfile, for the caller to find and stop it. */
CHILD_CODE static long start_daemon_forked(const struct sp_plan *plan)
{
        int gate[2];
        long pid, r = sp_sys_pipe_cloexec(gate);
        char byte;

        if (r < 0)
                return r;
        pid = sp_sys_fork();
        if (pid == 0) {
                (void)sp_sys_close(gate[0]);
                exec_program(plan, gate[1]);
        }
        (void)sp_sys_close(gate[1]);
        /* EOF: the daemon has exec'd or exited.  Every signal is blocked, but a stop and
         * continue may still interrupt a read on some systems. */
        while (pid > 0 && sp_sys_read(gate[0], &byte, 1) == -ERR_INTR)
                ;
        (void)sp_sys_close(gate[0]);
        return pid;
}

#if SUBPROC_SPAWN_FORK
CHILD_CODE static long start_daemon(const struct sp_plan *plan)
{
        return start_daemon_forked(plan);
}
#else
/* Runs in the child: async-signal-safe only.  The intermediate of a daemon: it is suspended
 * (CLONE_VFORK) until the daemon has exec'd or failed, then exits, so the daemon is nobody's
 * child but init's (or a subreaper's). */
CHILD_CODE static int daemon_entry(void *plan)
{
        exec_program(plan, -1);
        return 127;
}

CHILD_CODE static long start_daemon(const struct sp_plan *plan)
{
        long r;

        /* A daemon waiting for the handshake outlives its intermediate, whose memory and
         * stack it would otherwise share (the intermediate is a fork() already then).  A
         * hook is the caller's code: it gets a process of its own and a full-size stack, not
         * our small clone stack (the intermediate is a fork() then too). */
        if (plan->handshake_fd >= 0 || plan->hook)
                return start_daemon_forked(plan);
        /* Not libc's clone(): in this child, which shares the caller's memory, its PLT
         * entry may still be unbound (the parent made us with clone3), and the lazy resolver
         * would write the caller's GOT; on failure it would set the caller's errno. */
        r = sp_sys_clone_run(CLONE_VM | CLONE_VFORK | SIGCHLD, plan->daemon_stack, daemon_entry,
                             (void *)plan);
        if (r == -ERR_NOSYS) /* no version for this architecture in sys-linux.h */
                return start_daemon_forked(plan);
        return r;
}
#endif

/* Runs in the child: async-signal-safe only.  The daemon is nobody's child but init's (or a
 * subreaper's) once this intermediate exits. */
CHILD_CODE static void become_daemon(const struct sp_plan *plan)
{
        long r = plan->new_session ? 0 : sp_sys_setsid();

        if (r < 0)
                child_fail(plan, SP_STEP_SETSID, r, -1);
        unshare_namespaces(plan, plan->ns_daemon); /* the daemon is pid 1 there */
        r = start_daemon(plan);
        if (r < 0)
                child_fail(plan, SP_STEP_DAEMON_FORK, r, -1);
        sp_sys_exit(0);
}

/* A binary that some process still holds open for writing cannot be run (ETXTBSY).  That
 * is often momentary: a build step that has just written it, or a fork elsewhere that
 * briefly inherited the writer's fd.  Retry, doubling the pause, for SP_EXEC_BUSY_MS in
 * all; the parent thread stays suspended (CLONE_VFORK) for that long at most. */
CHILD_CODE static long exec_retrying_busy(const struct sp_plan *plan, char *const *envp,
                                          const struct extra_fds *extra)
{
        long r = sp_sys_execve(plan->path, plan->argv, envp);

        /* Not as another user: that user may signal us now (SIGSTOP included), and the
         * longer we wait here, the longer a caller suspended until our exec (CLONE_VFORK)
         * stays at that user's mercy.  The run fails with ETXTBSY instead. */
        if (plan->uid >= 0)
                return r;

        /* Our own copy of the fd table may be the holder: a writer's fd that another thread
         * had open when we were cloned is so far only marked close-on-exec.  Close for real
         * now (exec would close them anyway), or no retry could ever succeed.  But not the
         * pidfile's: without it the program would run with nobody holding its pidfile. */
        if (r == -ETXTBSY && plan->first_method == SP_CLOSE_RANGE_CLOEXEC &&
            !plan->in_place_jump && /* in place a failure must leave the caller its fds */
            !plan->keep_inherited_fds)
                (void)close_gaps(plan, 0, extra);
        for (unsigned i = 0; r == -ETXTBSY && i < SP_EXEC_BUSY_RETRIES; i++) {
                sp_sys_sleep_ms(1u << i);
                r = sp_sys_execve(plan->path, plan->argv, envp);
        }
        return r;
}

/* Runs in the child: async-signal-safe only (the hook is the caller's code, bound by the same
 * rule).  The hook sees the fds the program will get (0-2, the passed ones, the pidfile's) and
 * our close-on-exec pipes (reports, handshake, a daemon's gate), all others really closed;
 * after it returns, whatever it opened is closed again: a hook hands the program an fd only by
 * dup2()ing it onto one of the numbers the program gets.  It runs with the program's signal
 * mask, every handler at SIG_DFL (or ignored, as kept): a child stuck in it dies of SIGTERM or
 * a hangup like any process, and a caller's timeout ends it whoever is left to wait.  In place
 * the caller itself runs it: its fds stay open (they close at exec) and its mask full, as a
 * failure returns to it. */
CHILD_CODE static void run_hook(const struct sp_plan *plan, const uint64_t *exec_mask,
                                const struct extra_fds *extra)
{
        const int method = plan->first_method == SP_CLOSE_RANGE_CLOEXEC && !plan->in_place_jump
                                   ? SP_CLOSE_RANGE_GAPS
                                   : plan->first_method;
        int result;
        long r;

        if (!plan->in_place_jump) {
                close_other_fds(plan, method, extra);
                r = sp_sys_sigmask_set(exec_mask);
                if (r < 0)
                        child_fail(plan, SP_STEP_SIGNALS, r, -1);
        }
        result = plan->hook(plan->hook_opaque);
        if (result != 0)
                child_fail(plan, SP_STEP_HOOK,
                           result > 0 && result < 4096 ? -result : -ERR_CANCELED, result);
        close_other_fds(plan, method, extra);
}

/* Runs in the child: async-signal-safe only.  Issue 15, socket activation: exec with
 * "LISTEN_PID=<our pid>" in the slot the parent left (getpid(): the pid the program sees,
 * 1 in a new pid namespace, the daemon's for a daemon).  The array and the entry are on our
 * own stack (the parent's memory, which a CLONE_VM child shares, stays untouched); the plan
 * bounds the slot by SP_LISTEN_ENV_MAX.  Not inlined: its frame only when it is used. */
CHILD_CODE __attribute__((noinline)) static long exec_with_listen_pid(const struct sp_plan *plan,
                                                                      const struct extra_fds *extra)
{
        static const char name[] = "LISTEN_PID=";
        char *envp[SP_LISTEN_ENV_MAX + 1];
        char entry[sizeof name + 24];
        size_t slot = (size_t)plan->listen_pid_slot, len;

        for (size_t i = 0; i < slot; i++)
                envp[i] = plan->envp[i];
        for (len = 0; name[len]; len++)
                entry[len] = name[len];
        len += format_pid(sp_sys_getpid(), entry + len);
        entry[len - 1] = '\0'; /* format_pid's newline */
        envp[slot] = entry;
        envp[slot + 1] = NULL;
        return exec_retrying_busy(plan, envp, extra);
}

/* Runs in the child: async-signal-safe only.  A daemon asked for a process group of its own
 * leads one, in the session its intermediate made (it is no session leader: allowed). */
CHILD_CODE static void daemon_group(const struct sp_plan *plan)
{
        long r;

        if (plan->daemonize && plan->new_pgroup && !plan->new_session && (r = sp_sys_setpgid()) < 0)
                child_fail(plan, SP_STEP_SETPGID, r, -1);
}

/* Runs in the child: async-signal-safe only.  Everything after the session is set up, in the
 * process that becomes the program. */
CHILD_CODE static void exec_program(const struct sp_plan *plan, int gate_fd)
{
        const uint64_t exec_mask = plan->has_mask       ? plan->mask
                                   : plan->inherit_mask ? plan->caller_mask
                                                        : 0;
        const char *cwd = plan->cwd ? plan->cwd : plan->daemonize ? "/" : NULL;
        struct extra_fds extra = { { -1, gate_fd } };
        long r;

        unshare_namespaces(plan, plan->ns_late);
        if (plan->daemonize) {
                long pid = own_pid(plan);

                if (pid < 0)
                        child_fail(plan, SP_STEP_UNSHARE, pid, -1);
                report_info(plan, SP_STEP_INFO_DAEMON_PID, (int)pid);
        }
        daemon_group(plan);
        if (plan->pidfile)
                extra.fd[0] = hold_pidfile(plan);
        apply_limits(plan);
        apply_scheduling(plan);
        if (plan->hook)
                run_hook(plan, &exec_mask, &extra);
        if (cwd && (r = sp_sys_chdir(cwd)) < 0)
                child_fail(plan, SP_STEP_CHDIR, r, -1);
        drop_privileges(plan);
        arm_death_signal(plan);
        wait_for_handshake(plan, gate_fd);
        apply_confinement(plan);
        r = sp_sys_sigmask_set(&exec_mask);
        if (r < 0)
                child_fail(plan, SP_STEP_SIGNALS, r, -1);
        r = plan->listen_pid_slot >= 0 ? exec_with_listen_pid(plan, &extra)
                                       : exec_retrying_busy(plan, plan->envp, &extra);
        child_fail(plan, SP_STEP_EXEC, r, -1);
}

/* Runs in the child: async-signal-safe only.  Needed when the parent could not create us in
 * the cgroup (clone3 missing or refused, a v1 hierarchy, the fork path): writing "0" moves the
 * writer itself.  The first step, as if we had been created there, and one the fd maps cannot
 * upset: they may yet reuse the cgroup fd's number. */
CHILD_CODE static void enter_cgroup(const struct sp_plan *plan)
{
        long fd, r;

        if (plan->cgroup_fd < 0 || plan->cgroup_placed)
                return;
        fd = sp_sys_openat(plan->cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
        r = fd;
        if (fd >= 0) {
                r = sp_sys_write((int)fd, "0\n", 2);
                (void)sp_sys_close((int)fd);
        }
        if (r < 0)
                child_fail(plan, SP_STEP_CGROUP, r, -1);
}

/* Runs in the child: async-signal-safe only. */
CHILD_CODE static void set_up_session(const struct sp_plan *plan)
{
        long r;

        if (plan->new_session && (r = sp_sys_setsid()) < 0)
                child_fail(plan, SP_STEP_SETSID, r, -1);
        /* sp_spawn() waits for this before it lets the caller signal the group. */
        if (plan->new_session && plan->handshake_fd >= 0 && !plan->daemonize)
                report_info(plan, SP_STEP_INFO_SESSION, 0);
        /* Not in a daemon's intermediate: the setsid() it is about to make fails in a group
         * leader.  The daemon makes its own group (daemon_group()). */
        else if (plan->new_pgroup && !plan->new_session && !plan->daemonize &&
                 (r = sp_sys_setpgid()) < 0)
                child_fail(plan, SP_STEP_SETPGID, r, -1);
        /* Issue 16: a pty's session has it as its terminal; the slave was opened O_NOCTTY. */
        if (plan->ctty_fd >= 0 && (r = sp_sys_set_ctty(plan->ctty_fd)) < 0)
                child_fail(plan, SP_STEP_CTTY, r, plan->ctty_fd);
}

CHILD_CODE void sp_child_run(const struct sp_plan *plan)
{
        unshare_namespaces(plan, plan->ns_first);
        await_id_maps(plan);
        make_mounts_private(plan);
        enter_cgroup(plan);
        reset_signal_handlers(plan);
        apply_fd_maps(plan);
        close_other_fds(plan, plan->first_method, NULL);
        set_up_session(plan);
        if (plan->daemonize)
                become_daemon(plan);
        exec_program(plan, -1);
        sp_sys_exit(127);
}
