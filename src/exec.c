/* subproc_exec(): the calling process becomes the program, after applying the whole plan to
 * itself with the same child code a spawned child runs.  If that fails, what can be put back
 * is put back (saved_state below), so the caller finds its own process again. */
#include "run.h"
#include "pidfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

/* The signals the child code resets (child.c): 1..64 on Linux, every one elsewhere. */
#ifdef __linux__
#define SIGNAL_MAX 64
#else
#define SIGNAL_MAX (NSIG - 1)
#endif

/* An fd of the caller and its close-on-exec flag. */
struct fd_flags {
        int fd;
        int flags;
};

/* What subproc_exec() changes in the caller and can undo: handlers, fds, cwd, umask, limits
 * and the death signal.  (The mask is restored by the caller of sp_child_run.) */
struct saved_state {
#ifdef __linux__
        /* The kernel's struct sigaction, round-tripped as opaque bytes: glibc's sigaction()
         * refuses its own SIGCANCEL and SIGSETXID, which the child code resets too. */
        unsigned long actions[SIGNAL_MAX + 1][8];
#else
        struct sigaction actions[SIGNAL_MAX + 1];
#endif
        bool have_action[SIGNAL_MAX + 1];
        int stdio[3];         /* copies of 0-2 (-1: it was closed) */
        struct fd_flags *fds; /* every fd open before, with its FD_CLOEXEC */
        size_t nfds;
        int cwd_fd; /* -1: not changed, or cannot be restored */
        int umask;  /* -1: not changed */
        struct rlimit rlimits[32];
        int death_signal; /* -1: not saved */
};

static bool get_action(int sig, void *ret)
{
#ifdef __linux__
        return syscall(SYS_rt_sigaction, sig, NULL, ret, sizeof(uint64_t)) == 0;
#else
        return sigaction(sig, NULL, ret) == 0;
#endif
}

static void set_action(int sig, const void *act)
{
#ifdef __linux__
        (void)syscall(SYS_rt_sigaction, sig, act, NULL, sizeof(uint64_t));
#else
        (void)sigaction(sig, act, NULL);
#endif
}

static int add_fd(struct saved_state *s, size_t *cap, int fd)
{
        int flags = fcntl(fd, F_GETFD);

        if (flags < 0)
                return 0; /* not open (or the listing's own fd, closed since) */
        if (s->nfds == *cap) {
                size_t n = *cap ? *cap * 2 : 64;
                struct fd_flags *more = realloc(s->fds, n * sizeof *more);

                if (!more)
                        return -1;
                s->fds = more;
                *cap = n;
        }
        s->fds[s->nfds++] = (struct fd_flags){ fd, flags };
        return 0;
}

/* Every open fd with its flags: from /proc/self/fd or /dev/fd, else by trying each number
 * below the limit. */
static int save_fds(struct saved_state *s, int fd_limit)
{
        const char *dirs[] = { "/proc/self/fd", "/dev/fd" };
        size_t cap = 0;

        for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
                DIR *d = opendir(dirs[i]);
                struct dirent *e;
                int r = 0;

                if (!d)
                        continue;
                while (r == 0 && (e = readdir(d)) != NULL)
                        if (e->d_name[0] >= '0' && e->d_name[0] <= '9' &&
                            atoi(e->d_name) != dirfd(d))
                                r = add_fd(s, &cap, atoi(e->d_name));
                closedir(d);
                return r;
        }
        for (int fd = 0; fd < fd_limit && fd < 1 << 16; fd++)
                if (add_fd(s, &cap, fd) < 0)
                        return -1;
        return 0;
}

static bool was_open(const struct saved_state *s, int fd)
{
        for (size_t i = 0; i < s->nfds; i++)
                if (s->fds[i].fd == fd)
                        return true;
        return false;
}

/* The bound for trying every fd when no directory lists them. */
static int nofile_limit(void)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
            rl.rlim_cur > 1 << 30)
                return 1 << 20;
        return (int)rl.rlim_cur;
}

static int save_state(const struct sp_plan *plan, struct saved_state *s)
{
        memset(s, 0, sizeof *s);
        s->cwd_fd = s->umask = s->death_signal = -1;
        for (int i = 0; i < 3; i++)
                s->stdio[i] = -1;
        for (int sig = 1; sig <= SIGNAL_MAX; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        s->have_action[sig] = get_action(sig, &s->actions[sig]);
        if (save_fds(s, plan->fd_limit) < 0)
                return sp_error(ENOMEM, "out of memory saving the caller's fds");
        /* Copies above 2, close-on-exec; made after the list, so they are not in it. */
        for (int i = 0; i < 3; i++)
                if (was_open(s, i) && (s->stdio[i] = fcntl(i, F_DUPFD_CLOEXEC, 3)) < 0)
                        return sp_error(errno, "cannot save fd %d: %s", i, strerror(errno));
        if (plan->cwd)
                /* Above 2: on 0-2 the plan's redirections would replace it. */
                s->cwd_fd = sp_fd_above_stdio(open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (plan->umask >= 0) {
                s->umask = (int)umask(0);
                (void)umask((mode_t)s->umask);
        }
        for (size_t i = 0; i < plan->nrlimits && i < 32; i++)
                (void)getrlimit(plan->rlimits[i].resource, &s->rlimits[i]);
#ifdef __linux__
        if (plan->death_signal && prctl(PR_GET_PDEATHSIG, &s->death_signal) < 0)
                s->death_signal = -1;
#endif
        return 0;
}

/* Close what the failed attempt opened (the pidfile's fd, a hook's), put 0-2 back, and the
 * close-on-exec flags the child code set on every other fd. */
static void restore_fds(struct saved_state *s, int fd_limit)
{
        struct saved_state now = { 0 };
        int self[3];

        memcpy(self, s->stdio, sizeof self);
        if (save_fds(&now, fd_limit) == 0)
                for (size_t i = 0; i < now.nfds; i++) {
                        int fd = now.fds[i].fd;

                        if (!was_open(s, fd) && fd != self[0] && fd != self[1] && fd != self[2])
                                close(fd);
                }
        free(now.fds);
        for (int i = 0; i < 3; i++) {
                if (s->stdio[i] >= 0) {
                        (void)dup2(s->stdio[i], i);
                        sp_close(&s->stdio[i]);
                } else {
                        (void)close(i);
                }
        }
        for (size_t i = 0; i < s->nfds; i++)
                (void)fcntl(s->fds[i].fd, F_SETFD, s->fds[i].flags);
}

static void restore_state(const struct sp_plan *plan, struct saved_state *s)
{
        int e = errno;

        for (int sig = 1; sig <= SIGNAL_MAX; sig++)
                if (s->have_action[sig])
                        set_action(sig, &s->actions[sig]);
        /* Before the fds: ours would be closed with what the attempt opened. */
        if (s->cwd_fd >= 0) {
                (void)fchdir(s->cwd_fd);
                sp_close(&s->cwd_fd);
        }
        restore_fds(s, plan->fd_limit);
        if (s->umask >= 0)
                (void)umask((mode_t)s->umask);
        /* A lowered hard limit stays lowered without the privilege to raise it. */
        for (size_t i = 0; i < plan->nrlimits && i < 32; i++)
                (void)setrlimit(plan->rlimits[i].resource, &s->rlimits[i]);
#ifdef __linux__
        if (s->death_signal >= 0)
                (void)prctl(PR_SET_PDEATHSIG, s->death_signal);
#endif
        errno = e;
}

static void free_state(struct saved_state *s)
{
        for (int i = 0; i < 3; i++)
                sp_close(&s->stdio[i]);
        sp_close(&s->cwd_fd);
        free(s->fds);
        s->fds = NULL;
}

/* In place, Landlock cannot be undone, and the seccomp filter comes after it: a filter the
 * kernel refuses would fail the run with the caller already restricted.  So, with both, the
 * filter is tried first in a throwaway child (no_new_privs set there, as the child code would
 * on EACCES): 0, or -1 with the message the child code's refusal would give.  A child that
 * cannot be made or waited for tells nothing: the run goes on. */
static int try_filter_first(const struct sp_plan *plan)
{
#if defined(__linux__) && defined(SYS_seccomp)
        int status = 0;
        pid_t pid, r;

        if (!plan->seccomp || plan->landlock_fd < 0)
                return 0;
        pid = fork();
        if (pid == 0) {
                (void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                if (syscall(SYS_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, 0, plan->seccomp) == 0)
                        _exit(0);
                _exit(errno > 0 && errno < 256 ? errno : EINVAL);
        }
        if (pid < 0)
                return 0;
        do
                r = waitpid(pid, &status, 0);
        while (r < 0 && errno == EINTR);
        if (r != pid || !WIFEXITED(status) || WEXITSTATUS(status) == 0)
                return 0;
        r = sp_error(WEXITSTATUS(status), "install the seccomp filter (%u instructions): %s",
                     (unsigned)plan->seccomp->len, strerror(WEXITSTATUS(status)));
        sp_error_set_stage(SUBPROC_STAGE_SETUP); /* as the child code's refusal */
        return r;
#else
        (void)plan;
        return 0;
#endif
}

int subproc_exec(subproc *c)
{
        struct sp_plan_builder b;
        struct sp_report report;
        struct saved_state saved;
        sigjmp_buf back;
        sigset_t old_mask;
        volatile int pidfile_fd = -1;
        int r;

        if (sp_command_broken(c)) {
                if (c && !c->is_static)
                        sp_close_passed_fds(&c->cfg);
                return sp_command_report(c);
        }
        if (sp_check_run(c, SP_RUN_IN_PLACE) < 0)
                return -1;
        r = sp_plan_build(c, &c->run, &b);
        if (r == 0)
                r = try_filter_first(&b.plan);
        if (r < 0)
                goto out;
        /* The death signal is about our own parent: we become the program. */
        b.plan.parent_pid = getppid();
        /* Taken before the plan's limits apply: what restoring the fds may need. */
        b.plan.fd_limit = nofile_limit();
        /* No handler may run while the process is half changed. */
        sp_block_all_signals(&old_mask);
        r = save_state(&b.plan, &saved);
        if (r == 0) {
                b.plan.caller_mask = sp_sigset_low64(&old_mask);
                b.plan.in_place_jump = &back;
                b.plan.in_place_report = &report;
                b.plan.in_place_pidfile_fd = (int *)&pidfile_fd;
                if (sigsetjmp(back, 0) == 0)
                        sp_child_run(&b.plan);
                restore_state(&b.plan, &saved);
                r = sp_report_describe(c, &report);
                /* We held the pidfile for a program that never ran: restore_state() closed
                 * its fd with everything else the attempt opened, which let the lock go;
                 * now remove the file that names us (sp_pidfile_discard keeps errno). */
                if (pidfile_fd >= 0)
                        sp_pidfile_discard(c->cfg.pidfile, getpid());
        }
        free_state(&saved);
        sp_restore_signals(&old_mask);
out:
        sp_plan_done(c, &b, false);
        return r;
}
