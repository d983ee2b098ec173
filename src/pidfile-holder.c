/* Who holds a pidfile, and stopping it: asked of the kernel (pidfile-proc-*.c), never read
 * from the file, whose content is only where to look first. */
#include "process.h"
#include "pidfile.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define TERM_GRACE_MS 2000
#define KILL_GRACE_MS 5000
#define MAX_HOLDERS 16

struct probe {
        const char *path;
        int fd; /* read-only, on the checked file */
        struct stat st;
        pid_t named;  /* the pid the file names (a hint), or -1 */
        bool locked;  /* we took the flock(): nobody else holds that */
        bool by_exit; /* the holders are proven otherwise: wait for their exit, not for
                         * the flock() (which they do not hold) */
        bool by_scan; /* the holders are processes the file does not name */
        struct sp_holder holders[MAX_HOLDERS];
        size_t nholders;
};

/* 0 with the file open, 1 when there is no file, -1 when it is refused. */
static int probe_open(struct probe *p, const char *path)
{
        int fd, r;

        *p = (struct probe){ .path = path, .fd = -1, .named = -1 };
        if (!path || !*path)
                return sp_error(EINVAL, "the pidfile path is %s", path ? "empty" : "NULL");
        fd = sp_pidfile_open(path, O_RDONLY, &p->st);
        if (fd == -ENOENT)
                return 1;
        if (fd < 0)
                return sp_pidfile_open_error(path, fd, &p->st);
        p->fd = fd;
        r = sp_pidfile_peek(fd, &p->named);
        /* Content that names nobody (garbage, empty, too long) is only a hint that fails; a
         * file we could not read at all is no answer: "not running" would be a guess. */
        if (r < 0 && r != -EINVAL && r != -ENODATA && r != -ERANGE && r != -E2BIG) {
                close(fd);
                p->fd = -1;
                return sp_error(-r, "read pidfile %s: %s", path, strerror(-r));
        }
        if (r < 0)
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
                return sp_error(EACCES,
                                "cannot tell who holds pidfile %s: the open files of "
                                "its holder are not ours to see (run as root or as its user)",
                                p->path);
        if (err == ENOTSUP)
                return sp_error(ENOTSUP,
                                "cannot tell who holds pidfile %s: this system shows "
                                "no other process's locks (no /proc)",
                                p->path);
        return sp_error(err, "cannot tell who holds pidfile %s: %s", p->path, strerror(err));
}

/* When the named pid is among the holders a scan found: keep only it (the others may have
 * been handed the lock: see scan_targets()) and say true. */
static bool keep_named(struct probe *p)
{
        for (size_t i = 0; i < p->nholders; i++) {
                if (p->holders[i].pid != p->named)
                        continue;
                for (size_t j = 0; j < p->nholders; j++)
                        if (j != i && p->holders[j].pidfd >= 0)
                                close(p->holders[j].pidfd);
                p->holders[0] = p->holders[i];
                p->nholders = 1;
                return true;
        }
        return false;
}

/* 1 with p->holders the processes the kernel shows holding the lock; 0 when nobody holds a
 * write lock (p->locked: we now hold it; else only read locks are held, which no pidfile
 * of ours takes); -1 when it cannot be told (message set). */
static int find_holders(struct probe *p)
{
        bool incomplete = false;

        drop_holders(p);
        p->by_exit = false;
        p->by_scan = false;
        for (int round = 0; round < 3; round++) {
                int pidfd, r = sp_pidfile_try_lock(p->fd);

                if (r == 0) {
                        p->locked = true;
                        /* A daemon's own fcntl() lock (lockf()), or an earlier subproc's
                         * OFD lock, is no flock(): the named pid may hold one all the same.
                         * (Not us: our own fd now carries the flock() we just took.) */
                        if (p->named > 0 && p->named != getpid() &&
                            sp_pidfile_prove(p->named, p->st.st_dev, p->st.st_ino, &pidfd) == 1) {
                                p->holders[0] = (struct sp_holder){ p->named, pidfd };
                                p->nholders = 1;
                                p->by_exit = true;
                                return 1;
                        }
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
                r = sp_pidfile_find_holders(p->st.st_dev, p->st.st_ino, p->holders, MAX_HOLDERS,
                                            &incomplete);
                if (r > 0) {
                        p->nholders = (size_t)r;
                        /* Processes the file does not name, unless the scan found the named
                         * one after all (a look at it above that failed, EINTR say). */
                        p->by_scan = !keep_named(p);
                        return 1;
                }
                if (r < 0)
                        return cannot_tell(p, -r);
                /* Held, yet no process we saw holds a write lock.  A read lock the kernel
                 * shows excludes any write lock: then only readers hold it. */
                if (sp_pidfile_read_locked(p->st.st_dev, p->st.st_ino) == 1)
                        return 0;
                /* Else a holder that just exited (look again), or one we cannot see. */
        }
        if (incomplete)
                return cannot_tell(p, EACCES);
        return sp_error(EBUSY,
                        "cannot tell who holds pidfile %s: a process this system does "
                        "not show us (in another pid namespace?)",
                        p->path);
}

/* The named pid, when it lives without holding the lock: 1 (message set), else 0. */
static int unproven_alive(const struct probe *p)
{
        if (p->named <= 0 || sp_pid_alive(p->named) != 1)
                return 0;
        sp_error(ENOLCK,
                 "pidfile %s names pid %d, which is running but does not hold the "
                 "pidfile's lock: a daemon that does not lock its pidfile, or a process that "
                 "got a recycled pid; not trusted (match the daemon's executable to tell)",
                 p->path, (int)p->named);
        return 1;
}

/* The caller's match, checked and with its executable stat'ed: 1 when it asks for anything
 * (*m filled), 0 when it is NULL or empty, -1 when it is invalid (message set). */
static int build_match(const struct subproc_pidfile_match *pub, struct sp_match *m)
{
        *m = (struct sp_match){ 0 };
        if (!pub)
                return 0;
        if (pub->name && !*pub->name)
                return sp_error(EINVAL, "the process name to match is empty");
        if (pub->exe && stat(pub->exe, &m->exe) < 0)
                return sp_error(errno, "executable %s: %s", pub->exe, strerror(errno));
        m->has_exe = pub->exe != NULL;
        m->exe_path = pub->exe;
        m->name = pub->name;
        m->has_uid = pub->match_uid;
        m->uid = pub->uid;
        return m->has_exe || m->name || m->has_uid;
}

/* Whether pid matches m: 1 with *ret_pidfd, 0, or -1 (message set). */
static int pid_matches(const struct probe *p, pid_t pid, const struct sp_match *m, int *ret_pidfd)
{
        int r;

        *ret_pidfd = -1;
        if (pid <= 0)
                return 0;
        r = sp_pid_matches(pid, m, ret_pidfd);
        if (r == -ENOSYS)
                return sp_error(ENOTSUP,
                                "cannot match pid %d of pidfile %s to the process asked for "
                                "safely: this kernel has no pidfds",
                                (int)pid, p->path);
        if (r < 0)
                return cannot_tell(p, -r);
        return r;
}

/* Holders the file does not name, running as another user than the file's owner, while the
 * pid it names runs as asked (m): the daemon's own unlocked pidfile, which anybody who can
 * read it can lock (flock() needs no write access), running the same executable.  Neither is
 * trusted: -1 (message set), else 0.  (A holder of the owner's, as when the lock passed on to
 * a grandchild and the pid in the file went to another process, is proven by its lock.) */
static int named_conflict(const struct probe *p, const struct sp_match *m)
{
        struct sp_match owner = { .has_uid = true, .uid = p->st.st_uid };
        int pidfd = -1, r;

        if (!m || !p->by_scan || p->named <= 0)
                return 0;
        r = pid_matches(p, p->holders[0].pid, &owner, &pidfd);
        if (pidfd >= 0)
                close(pidfd);
        if (r != 0)
                return r < 0 ? -1 : 0;
        pidfd = -1;
        r = pid_matches(p, p->named, m, &pidfd);
        if (pidfd >= 0)
                close(pidfd);
        if (r <= 0)
                return r;
        return sp_error(EPERM,
                        "pidfile %s names pid %d, which runs as asked, but pid %d holds its "
                        "lock: anybody who can read the file can lock it; neither is trusted",
                        p->path, (int)p->named, (int)p->holders[0].pid);
}

/* Only strangers hold the lock (anybody who can read a daemon's own pidfile can lock it):
 * the pid the file names, matched by m, is the daemon's, as for an unlocked pidfile.  1 with
 * it the one holder (by_exit), 0 when it does not match, -1. */
static int take_named(struct probe *p, const struct sp_match *m)
{
        int pidfd = -1, r = pid_matches(p, p->named, m, &pidfd);

        if (r <= 0)
                return r;
        p->holders[0] = (struct sp_holder){ p->named, pidfd };
        p->nholders = 1;
        p->by_exit = true;
        return 1;
}

/* Keep only the holders that match m (none given: all).  The number kept, or -1. */
static int keep_matching(struct probe *p, const struct sp_match *m)
{
        size_t kept = 0;

        for (size_t i = 0; i < p->nholders; i++) {
                int pidfd = -1, r = m ? pid_matches(p, p->holders[i].pid, m, &pidfd) : 1;

                if (pidfd >= 0)
                        close(pidfd);
                /* Matched while the holder we proved still lives: the same process. */
                if (r == 1 && p->holders[i].pidfd >= 0) {
                        r = sp_pidfd_state(p->holders[i].pidfd);
                        if (r < 0)
                                r = sp_error(-r, "cannot tell whether pid %d still runs: %s",
                                             (int)p->holders[i].pid, strerror(-r));
                }
                if (r < 0) {
                        for (size_t j = i; j < p->nholders; j++)
                                if (p->holders[j].pidfd >= 0)
                                        close(p->holders[j].pidfd);
                        p->nholders = kept;
                        return -1;
                }
                if (r == 1)
                        p->holders[kept++] = p->holders[i];
                else if (p->holders[i].pidfd >= 0)
                        close(p->holders[i].pidfd);
        }
        p->nholders = kept;
        return (int)kept;
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

/* The state when nobody holds the lock: the named pid, matched by m or else judged by
 * unproven_alive().  Sets *pid when it runs. */
static int unlocked_state(const struct probe *p, const struct sp_match *m, pid_t *pid)
{
        int r, pidfd;

        if (!m)
                return unproven_alive(p) ? -1 : SUBPROC_PIDFILE_STALE;
        r = pid_matches(p, p->named, m, &pidfd);
        if (r <= 0)
                return r < 0 ? -1 : SUBPROC_PIDFILE_STALE;
        close(pidfd);
        *pid = p->named;
        return SUBPROC_PIDFILE_RUNNING;
}

int subproc_pidfile_status_match(const char *path, const struct subproc_pidfile_match *match,
                                 pid_t *ret_pid)
{
        struct sp_match m;
        struct probe p;
        pid_t pid = -1;
        int r, given;

        if (!ret_pid)
                return sp_error(EINVAL, "subproc_pidfile_status: NULL argument");
        given = build_match(match, &m);
        if (given < 0)
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
        /* A holder that is not the process asked for: that service does not run. */
        if (r > 0 && given) {
                if (keep_matching(&p, &m) < 0)
                        r = -1;
                else if (p.nholders)
                        r = named_conflict(&p, &m) < 0 ? -1 : 1;
                else if (p.by_scan)
                        r = take_named(&p, &m) < 0 ? -1 : p.nholders ? 1 : 2;
                else
                        r = 2;
        }
        if (r == 1) {
                pid = p.holders[0].pid;
                r = SUBPROC_PIDFILE_RUNNING;
        } else if (r == 2) {
                r = SUBPROC_PIDFILE_STALE;
        } else if (r == 0) {
                r = unlocked_state(&p, given ? &m : NULL, &pid);
        }
        probe_close(&p);
        if (r >= 0)
                *ret_pid = pid; /* outputs only on success */
        return r;
}

int subproc_pidfile_status(const char *path, const char *exe, pid_t *ret_pid)
{
        struct subproc_pidfile_match match = { .exe = exe };

        return subproc_pidfile_status_match(path, &match, ret_pid);
}

/* Signal every holder through the pidfd taken before it was proven, so the signal reaches
 * that process and no other that got its pid since.  0, or -1 (message set). */
static int signal_holders(struct probe *p, int sig)
{
        for (size_t i = 0; i < p->nholders; i++)
                if (p->holders[i].pid == getpid())
                        return sp_error(EDEADLK, "pidfile %s is held by this very process",
                                        p->path);
        for (size_t i = 0; i < p->nholders; i++) {
                if (p->holders[i].pidfd < 0)
                        return sp_error(ENOTSUP,
                                        "cannot signal pid %d, holder of pidfile %s, "
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

/* Holders the file does not name (the lock passed on: sh -c 'daemon &').  Holding is not
 * enough to be signalled then: a program can hand its locked fd to any process that takes
 * fds (SCM_RIGHTS to a service that keeps them, inheritance by a setuid program), which would
 * then hold the lock too.  Only those running the daemon's executable, which the caller
 * names, are signalled; without it, refuse.  1 with p->holders those, or -1. */
static int scan_targets(struct probe *p, const struct sp_match *m)
{
        for (size_t i = 0; i < p->nholders; i++)
                if (p->holders[i].pid == getpid())
                        return sp_error(EDEADLK, "pidfile %s is held by this very process",
                                        p->path);
        if (!m || !m->has_exe)
                return sp_error(EPERM,
                                "pidfile %s is held by pid %d, which it does not name "
                                "(it names pid %d): the lock may have been handed on to it; "
                                "not stopped without the daemon's executable to match "
                                "(--exec)",
                                p->path, (int)p->holders[0].pid, (int)p->named);
        if (keep_matching(p, m) < 0)
                return -1;
        if (p->nholders == 0) {
                int r = take_named(p, m);

                if (r != 0)
                        return r;
                return sp_error(EPERM,
                                "pidfile %s is held only by processes that do not run "
                                "the executable given: not stopped",
                                p->path);
        }
        return named_conflict(p, m) < 0 ? -1 : 1;
}

/* The holder the file names, proven by the lock, must also be what the caller asked for: a
 * service that is not the one meant is left alone (and its file with it).  1 or -1. */
static int named_targets(struct probe *p, const struct sp_match *m)
{
        pid_t pid = p->holders[0].pid;

        if (!m)
                return 1;
        if (keep_matching(p, m) < 0)
                return -1;
        if (p->nholders == 0)
                return sp_error(EPERM,
                                "pidfile %s is held by pid %d, which is not the process asked "
                                "for (its executable, name or user differ): not signalled",
                                p->path, (int)pid);
        return 1;
}

/* One round of stop: who to signal now.  `first`: no lock holder has had a signal yet.  1
 * with p->holders set (by_exe: wait for it to exit:
 * the named pid, matched by m or holding an fcntl() lock), 0 when nothing runs,
 * -1 on refusal. */
static int stop_targets(struct probe *p, const struct sp_match *m, bool first, bool *by_exe)
{
        int r = find_holders(p), pidfd;

        *by_exe = p->by_exit;
        if (r > 0 && p->by_scan) {
                r = scan_targets(p, m);
                *by_exe = p->by_exit; /* the named pid instead, when only strangers hold it */
                return r;
        }
        if (r > 0)
                return named_targets(p, m);
        if (r != 0)
                return r;
        /* Only before we stopped anyone: the pid a holder we stopped left in the file may be
         * anybody's by now, even another instance of the same executable. */
        if (m && first) {
                r = pid_matches(p, p->named, m, &pidfd);
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
        if (sp_pidfile_names(p->path, &p->st) && unlink(p->path) < 0 && errno != ENOENT)
                return sp_error(errno, "unlink pidfile %s: %s", p->path, strerror(errno));
        return 0;
}

static int check_schedule(const struct subproc_stop_step *steps, size_t n_steps)
{
        if (!steps || n_steps == 0)
                return sp_error(EINVAL, "the stop schedule is empty");
        for (size_t i = 0; i < n_steps; i++)
                if (!sp_signal_valid(steps[i].signal))
                        return sp_error(EINVAL, "step %zu of the stop schedule: %d is not a signal",
                                        i + 1, steps[i].signal);
        return 0;
}

/* A wait of the schedule as poll() takes it: a step of more than 24.8 days waits that long. */
static int step_wait_ms(const struct subproc_stop_step *step)
{
        return step->wait_ms > INT_MAX ? INT_MAX : (int)step->wait_ms;
}

/* Whether a process we signalled (proven the service then, through its pidfd) still runs:
 * one that let go of the lock but goes on is not stopped. */
static bool signalled_alive(const struct probe *p)
{
        for (size_t i = 0; i < p->nholders; i++)
                if (p->holders[i].pidfd >= 0 && sp_pidfd_wait_exit(p->holders[i].pidfd, 0) < 0)
                        return true;
        return false;
}

/* Wait, up to a step's time, for what the next round checks: every signalled process gone
 * and, for lock holders, the lock free.  Not the lock alone: a dying process lets go of it
 * (its files closed) a moment before its exit shows, and that moment was read as "still runs",
 * which made the last step fail at once instead of waiting. */
static int ms_until(long long deadline)
{
        long long left = deadline - sp_now_ms();

        return left > 0 ? (int)left : 0; /* never more than the step's int wait */
}

static void wait_step(struct probe *p, bool by_exe, int wait_ms)
{
        long long deadline = sp_now_ms() + wait_ms;

        for (size_t i = 0; i < p->nholders; i++)
                if (p->holders[i].pidfd >= 0)
                        (void)sp_pidfd_wait_exit(p->holders[i].pidfd, ms_until(deadline));
        if (!by_exe)
                (void)sp_pidfile_lock_within(p->fd, ms_until(deadline));
}

/* The first of the signalled processes that still runs (the one an ETIMEDOUT names), or the
 * first holder when none of them has a pidfd to tell. */
static pid_t still_running(const struct probe *p)
{
        for (size_t i = 0; i < p->nholders; i++)
                if (p->holders[i].pidfd >= 0 && sp_pidfd_wait_exit(p->holders[i].pidfd, 0) < 0)
                        return p->holders[i].pid;
        return p->holders[0].pid;
}

/* A refusal (EPERM) of a later round, after signals were sent: those signalled are gone, but
 * the lock is held by processes we may not signal.  Not EPERM, which says nobody was
 * signalled: EBUSY, the refusal's reason kept in the message. */
static int refused_after_signals(const struct probe *p)
{
        char why[256];

        snprintf(why, sizeof why, "%s", subproc_errmsg());
        return sp_error(EBUSY, "pidfile %s: the processes signalled are gone, but: %s", p->path,
                        why);
}

/* Run the schedule: 1 when a process was signalled and is gone, 0 when none ran, -1. */
static int run_schedule(struct probe *p, const struct sp_match *m,
                        const struct subproc_stop_step *steps, size_t n_steps)
{
        bool stopped_holder = false; /* a lock holder had a signal: see stop_targets() */
        bool signalled = false, still_targets = false, by_exe = false;

        for (size_t step = 0;; step++) {
                /* Those signalled last step and still running stay the targets, the lock or
                 * not: a daemon that drops it on SIGTERM and goes on is not stopped. */
                int r = still_targets ? 1 : stop_targets(p, m, !stopped_holder, &by_exe);

                if (r < 0 && signalled && errno == EPERM)
                        return refused_after_signals(p);
                if (r <= 0)
                        return r < 0 ? -1 : signalled;
                if (step == n_steps)
                        return sp_error(ETIMEDOUT,
                                        "pidfile %s: pid %d still runs after the last step of "
                                        "the stop schedule (signal %d, %s, then %u ms)",
                                        p->path, (int)still_running(p), steps[step - 1].signal,
                                        strsignal(steps[step - 1].signal), steps[step - 1].wait_ms);
                if (signal_holders(p, steps[step].signal) < 0)
                        return -1;
                signalled = true;
                stopped_holder = stopped_holder || !by_exe;
                wait_step(p, by_exe, step_wait_ms(&steps[step]));
                still_targets = signalled_alive(p);
                /* A pid matched rather than a lock holder: once it has exited, the service is
                 * stopped (whoever may hold the lock is not it). */
                if (by_exe && !still_targets)
                        return 1;
        }
}

int subproc_pidfile_stop_schedule(const char *path, const struct subproc_pidfile_match *match,
                                  const struct subproc_stop_step *steps, size_t n_steps)
{
        struct sp_match m;
        struct probe p;
        int r, given;

        if (check_schedule(steps, n_steps) < 0)
                return -1;
        given = build_match(match, &m);
        if (given < 0)
                return -1;
        r = probe_open(&p, path);
        if (r != 0)
                return r < 0 ? -1 : 0;
        r = run_schedule(&p, given ? &m : NULL, steps, n_steps);
        if (r >= 0 && remove_checked(&p) < 0)
                r = -1;
        probe_close(&p);
        return r;
}

int subproc_pidfile_stop(const char *path, const char *exe)
{
        static const struct subproc_stop_step steps[] = {
                { SIGTERM, TERM_GRACE_MS },
                { SIGKILL, KILL_GRACE_MS },
        };
        struct subproc_pidfile_match match = { .exe = exe };

        return subproc_pidfile_stop_schedule(path, &match, steps, 2) < 0 ? -1 : 0;
}

int subproc_pidfile_signal(const char *path, const struct subproc_pidfile_match *match, int sig)
{
        struct sp_match m;
        struct probe p;
        bool by_exe;
        int r, given;

        if (!sp_signal_valid(sig))
                return sp_error(EINVAL, "subproc_pidfile_signal: %d is not a signal", sig);
        given = build_match(match, &m);
        if (given < 0)
                return -1;
        r = probe_open(&p, path);
        if (r != 0)
                return r < 0 ? -1 : 0;
        r = stop_targets(&p, given ? &m : NULL, true, &by_exe);
        unlock_probe(&p);
        if (r > 0)
                r = signal_holders(&p, sig) < 0 ? -1 : 1;
        probe_close(&p);
        return r;
}

int subproc_pidfile_force_cleanup(const char *path)
{
        return subproc_pidfile_stop(path, NULL);
}
