/* The child side: the only code that runs between process creation and exec.
 *
 * Everything here runs in the child, which on Linux shares the parent's memory (clone with
 * CLONE_VM|CLONE_VFORK) while the parent thread is suspended.  So: async-signal-safe system
 * calls only, no malloc, no stdio, no locks, no errno, and no write to any memory but this
 * child's own stack and the report pipe.  The plan was prepared, read-only, by the parent. */
#include "internal.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>

#ifdef __linux__
#include "sys-linux.h"
#else
#include "sys-posix.h"
#endif

/* Sanitizer instrumentation would write shadow memory, which is the parent's. */
#define CHILD_CODE __attribute__((no_sanitize("address", "undefined")))

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

enum { ERR_NOSYS = 38, ERR_INVAL = 22 };

/* Runs in the child: async-signal-safe only.  Never returns. */
CHILD_CODE __attribute__((noreturn)) static void child_fail(const struct sp_plan *plan,
                                                            enum sp_stage stage, long neg_errno,
                                                            int arg)
{
        struct sp_report rep = { .stage = stage, .error = (int)-neg_errno, .arg = arg };

        /* One write well below PIPE_BUF is atomic; if the parent is gone, nobody is left to
         * tell. */
        (void)sp_sys_write(plan->report_fd, &rep, sizeof rep);
        sp_sys_exit(127);
}

/* Runs in the child: async-signal-safe only.  Every handler back to SIG_DFL, so a signal
 * arriving before exec runs no parent code, and ignored signals (SIGPIPE!) are not passed on.
 * The mask stays full until just before exec. */
CHILD_CODE static void reset_signal_handlers(void)
{
        for (int sig = 1; sig <= 64; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void)sp_sys_sigaction_default(sig);
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
                                child_fail(plan, SP_STAGE_DUP2, r, m->dst);
                        continue;
                }
                r = sp_sys_fcntl(m->src, F_SETFD, 0);
                if (r < 0)
                        child_fail(plan, SP_STAGE_PASS_FD, r, m->src);
        }
}

/* Runs in the child: async-signal-safe only.  The smallest kept fd >= from, or -1. */
CHILD_CODE static int next_kept(const struct sp_plan *plan, int from)
{
        int best = plan->report_fd >= from ? plan->report_fd : -1;

        for (size_t i = 0; i < plan->nkeep; i++) {
                if (plan->keep[i] >= from) {
                        if (best < 0 || plan->keep[i] < best)
                                best = plan->keep[i];
                        break; /* keep is sorted */
                }
        }
        return best;
}

CHILD_CODE static bool is_kept(const struct sp_plan *plan, int fd)
{
        if (fd < 3 || fd == plan->report_fd)
                return true;
        for (size_t i = 0; i < plan->nkeep; i++)
                if (plan->keep[i] == fd)
                        return true;
        return false;
}

/* Runs in the child: async-signal-safe only.  close_range() over every gap between kept fds:
 * a handful of calls, whatever RLIMIT_NOFILE is.  With CLOSE_RANGE_CLOEXEC the fds are only
 * marked, which is cheaper for a large table and closes them at exec. */
CHILD_CODE static long close_gaps(const struct sp_plan *plan, unsigned flags)
{
        int lo = 3;

        for (;;) {
                int kept = next_kept(plan, lo);
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

/* Runs in the child: async-signal-safe only.  Close what /proc/self/fd lists. */
CHILD_CODE static long close_listed_fds(const struct sp_plan *plan)
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

                        if (fd >= 0 && fd != dir && !is_kept(plan, fd))
                                (void)sp_sys_close(fd);
                        off += d->reclen;
                }
        }
        (void)sp_sys_close((int)dir);
        return n;
}

/* Runs in the child: async-signal-safe only.  Last resort: every fd below the limit. */
CHILD_CODE static void close_fds_by_loop(const struct sp_plan *plan)
{
        for (int fd = 3; fd < plan->fd_limit; fd++)
                if (!is_kept(plan, fd))
                        (void)sp_sys_close(fd);
}

/* Runs in the child: async-signal-safe only.  Leave open exactly 0, 1, 2, the kept fds and
 * the report pipe (which is close-on-exec). */
CHILD_CODE static void close_other_fds(const struct sp_plan *plan)
{
        long r = -ERR_NOSYS;

        switch (plan->first_method) {
        case SP_CLOSE_RANGE_CLOEXEC:
                r = close_gaps(plan, CLOSE_RANGE_CLOEXEC);
                if (r != -ERR_INVAL)
                        break;
                /* Linux 5.9 and 5.10 have close_range without the flag. */
                /* fall through */
        case SP_CLOSE_RANGE_GAPS:
                r = close_gaps(plan, 0);
                break;
        default:
                break;
        }
        if (r >= 0)
                return;
        if (plan->first_method <= SP_CLOSE_PROC_FD && close_listed_fds(plan) >= 0)
                return;
        close_fds_by_loop(plan);
}

CHILD_CODE void sp_child_run(const struct sp_plan *plan)
{
        const uint64_t empty_mask = 0;
        long r;

        reset_signal_handlers();
        apply_fd_maps(plan);
        close_other_fds(plan);
        if (plan->cwd) {
                r = sp_sys_chdir(plan->cwd);
                if (r < 0)
                        child_fail(plan, SP_STAGE_CHDIR, r, -1);
        }
        r = sp_sys_sigmask_set(&empty_mask);
        if (r < 0)
                child_fail(plan, SP_STAGE_SIGNALS, r, -1);
        r = sp_sys_execve(plan->path, plan->argv, plan->envp);
        child_fail(plan, SP_STAGE_EXEC, r, -1);
}
