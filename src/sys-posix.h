/* System calls for the child side where the child is a fork()ed copy of the caller: every
 * system but Linux, and Linux itself when built with -Dspawn=fork (meson_options.txt), which
 * is how this file is compiled and tested on Linux.
 *
 * Each wrapper returns -errno like those of sys-linux.h.  The child has its own memory here,
 * so setting errno is harmless; what matters is that a fork()ed child of a multithreaded
 * caller may only call async-signal-safe functions (POSIX's list, signal-safety(7)): another
 * thread may have held a libc lock at the fork, and nobody is left to release it.  Every call
 * below is on that list unless its comment says why it is safe all the same.
 *
 * A feature the system lacks returns -ENOTSUP, and its SP_SYS_*_MISSING says why: check.c
 * refuses such a command before any child is made, with that reason. */
#ifndef SUBPROC_SYS_POSIX_H
#define SUBPROC_SYS_POSIX_H

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__) || defined(__FreeBSD__)
#include <sched.h>
#endif

#include "config.h"

#if HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif
#if HAVE_SYS_PROCCTL_H
#include <sys/procctl.h>
#endif

#define SP_RET(expr) ((expr) < 0 ? -(long)errno : 0L)

/* The highest signal number whose handler the child resets: FreeBSD's real-time signals go
 * up to 126, past the 64 bits of the masks the plan carries. */
#ifdef SIGRTMAX
#define SP_SYS_SIGNAL_MAX SIGRTMAX
#else
#define SP_SYS_SIGNAL_MAX (NSIG - 1)
#endif

static inline long sp_sys_write(int fd, const void *buf, size_t len)
{
        ssize_t n = write(fd, buf, len);

        return n < 0 ? -(long)errno : (long)n;
}

static inline long sp_sys_read(int fd, void *buf, size_t len)
{
        ssize_t n = read(fd, buf, len);

        return n < 0 ? -(long)errno : (long)n;
}

static inline long sp_sys_close(int fd)
{
        return SP_RET(close(fd));
}

static inline long sp_sys_dup2(int src, int dst)
{
        return SP_RET(dup2(src, dst));
}

/* Commands with an int argument only (F_SETFD): fcntl() reads it as an int. */
static inline long sp_sys_fcntl(int fd, int cmd, long arg)
{
        int r = fcntl(fd, cmd, (int)arg);

        return r < 0 ? -(long)errno : r;
}

/* The lock commands (F_GETLK, F_OFD_GETLK), whose argument is a pointer. */
static inline long sp_sys_fcntl_lock(int fd, int cmd, struct flock *lk)
{
        return SP_RET(fcntl(fd, cmd, lk));
}

/* close_range() is no POSIX call, but a bare system call where libc has it (FreeBSD 12.2+,
 * glibc 2.34+); CLOSE_RANGE_CLOEXEC needs FreeBSD 13.3 or Linux 5.11, and EINVAL without it
 * makes the caller close instead.  -ENOSYS sends the caller to its bounded loop. */
static inline long sp_sys_close_range(unsigned first, unsigned last, unsigned flags)
{
#if HAVE_CLOSE_RANGE
        return SP_RET(close_range(first, last, (int)flags));
#else
        return -ENOSYS;
#endif
}

/* Listing /proc/self/fd needs opendir() (malloc) or a Linux-only getdents64 layout; with
 * close_range() or the bounded loop after it nothing is lost.  -ENOSYS skips that method. */
static inline long sp_sys_open_dir(const char *path)
{
        return -ENOSYS;
}

static inline long sp_sys_getdents64(int fd, void *buf, size_t len)
{
        return -ENOSYS;
}

static inline long sp_sys_open(const char *path, int flags, int mode)
{
        int fd = open(path, flags, (mode_t)mode);

        return fd < 0 ? -(long)errno : fd;
}

static inline long sp_sys_openat(int dir_fd, const char *path, int flags)
{
        int fd = openat(dir_fd, path, flags);

        return fd < 0 ? -(long)errno : fd;
}

static inline long sp_sys_fstat(int fd, struct stat *st)
{
        return SP_RET(fstat(fd, st));
}

static inline long sp_sys_stat_nofollow(const char *path, struct stat *st)
{
        return SP_RET(lstat(path, st));
}

static inline long sp_sys_ftruncate(int fd, long len)
{
        return SP_RET(ftruncate(fd, (off_t)len));
}

static inline long sp_sys_fchmod(int fd, unsigned mode)
{
        return SP_RET(fchmod(fd, (mode_t)mode));
}

/* The pidfile's lock, pidfile.c's: flock(), on every system.  It survives fork and exec, dies
 * with the last fd of its open file description, and a read-only fd can carry it; it is no
 * POSIX call but a plain system call on Linux, FreeBSD and macOS. */
static inline long sp_sys_lock_file(int fd)
{
        return SP_RET(flock(fd, LOCK_EX | LOCK_NB));
}

static inline long sp_sys_chdir(const char *path)
{
        return SP_RET(chdir(path));
}

static inline long sp_sys_execve(const char *path, char *const argv[], char *const envp[])
{
        execve(path, argv, envp);
        return -(long)errno;
}

static inline long sp_sys_sigaction_default(int sig)
{
        struct sigaction dfl;

        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        sigemptyset(&dfl.sa_mask);
        return SP_RET(sigaction(sig, &dfl, NULL));
}

static inline bool sp_sys_sigaction_is_ignored(int sig)
{
        struct sigaction old;

        memset(&old, 0, sizeof old);
        return sigaction(sig, NULL, &old) == 0 && !(old.sa_flags & SA_SIGINFO) &&
               old.sa_handler == SIG_IGN;
}

/* Signals 1..64 of the kernel-style mask as a sigset_t.  sigaddset() refuses the signals
 * libc keeps for itself (glibc's 32 and 33), which then stay as libc wants them.  NSIG bounds
 * the loop because macOS's sigaddset() is a macro shifting a 32-bit int (NSIG is 32 there,
 * and on FreeBSD, whose signals 33..64 are libc's own or unused). */
static inline void sp_sys_sigset_from_mask(const uint64_t *mask, sigset_t *set)
{
        sigemptyset(set);
        for (int sig = 1; sig <= 64 && sig < NSIG; sig++)
                if (*mask & (1ULL << (sig - 1)))
                        (void)sigaddset(set, sig);
}

static inline long sp_sys_sigmask_unblock(const uint64_t *mask)
{
        sigset_t set;

        sp_sys_sigset_from_mask(mask, &set);
        return SP_RET(sigprocmask(SIG_UNBLOCK, &set, NULL));
}

static inline long sp_sys_sigmask_set(const uint64_t *mask)
{
        sigset_t set;

        sp_sys_sigset_from_mask(mask, &set);
        return SP_RET(sigprocmask(SIG_SETMASK, &set, NULL));
}

static inline long sp_sys_geteuid(void)
{
        return (long)geteuid();
}

static inline long sp_sys_sleep_ms(unsigned ms)
{
        struct timespec pause = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

        return SP_RET(nanosleep(&pause, NULL));
}

static inline long sp_sys_getpid(void)
{
        return (long)getpid();
}

static inline long sp_sys_getppid(void)
{
        return (long)getppid();
}

static inline long sp_sys_kill(long pid, int sig)
{
        return SP_RET(kill((pid_t)pid, sig));
}

static inline long sp_sys_setsid(void)
{
        pid_t sid = setsid();

        return sid < 0 ? -(long)errno : (long)sid;
}

/* Issue 16: make the terminal on fd the caller's controlling terminal.  ioctl() is not on
 * POSIX's list, but libc's is the bare system call: no lock, no allocation. */
static inline long sp_sys_set_ctty(int fd)
{
        return SP_RET(ioctl(fd, TIOCSCTTY, 0));
}

static inline long sp_sys_setpgid(void)
{
        return SP_RET(setpgid(0, 0));
}

static inline long sp_sys_umask(int mask)
{
        return (long)umask((mode_t)mask);
}

/* setrlimit() is not on POSIX's list, but it is a bare system call in every libc. */
static inline long sp_sys_prlimit(int resource, const struct rlimit *limit)
{
        return SP_RET(setrlimit(resource, limit));
}

/* getrlimit() likewise. */
static inline long sp_sys_get_rlimit(int resource, struct rlimit *ret)
{
        return SP_RET(getrlimit(resource, ret));
}

/* setgroups() and setresuid() are not POSIX: bare system calls on FreeBSD and macOS.  glibc
 * makes every thread change its credentials (SIGSETXID); in a fork()ed child its thread list
 * holds only the child, since fork() (not _Fork()) resets it: spawn-posix.c relies on that. */
static inline long sp_sys_setgroups_none(void)
{
        return SP_RET(setgroups(0, NULL));
}

/* glibc and musl take a size_t, the BSDs and macOS an int (n is at most NGROUPS_MAX). */
static inline long sp_sys_setgroups(size_t n, const gid_t *groups)
{
#ifdef __linux__
        return SP_RET(setgroups(n, groups));
#else
        return SP_RET(setgroups((int)n, groups));
#endif
}

#if HAVE_SETRESUID
static inline long sp_sys_setresgid(long gid)
{
        return SP_RET(setresgid((gid_t)gid, (gid_t)gid, (gid_t)gid));
}

static inline long sp_sys_setresuid(long uid)
{
        return SP_RET(setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid));
}
#else
/* macOS: 4.4BSD's setgid()/setuid() set real, effective and saved ids together for root.  An
 * unprivileged caller changing to its real id only changes the effective one there. */
static inline long sp_sys_setresgid(long gid)
{
        return SP_RET(setgid((gid_t)gid));
}

static inline long sp_sys_setresuid(long uid)
{
        return SP_RET(setuid((uid_t)uid));
}
#endif

/* Capabilities are Linux's alone.  prctl() and syscall() are bare system calls in glibc and
 * musl, which is what makes them safe here. */
#if HAVE_SYS_PRCTL_H && defined(PR_CAPBSET_DROP) && defined(SYS_capset)
static inline long sp_sys_cap_bound_drop(int cap)
{
        return SP_RET(prctl(PR_CAPBSET_DROP, (unsigned long)cap, 0UL, 0UL, 0UL));
}

static inline long sp_sys_cap_ambient_clear(void)
{
        return SP_RET(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0UL, 0UL, 0UL));
}

/* Empty effective, permitted and inheritable sets (capability ABI version 3). */
static inline long sp_sys_capset_none(void)
{
        struct {
                uint32_t version;
                int pid;
        } header = { 0x20080522, 0 };
        struct {
                uint32_t effective, permitted, inheritable;
        } data[2] = { { 0, 0, 0 }, { 0, 0, 0 } };

        return SP_RET(syscall(SYS_capset, &header, data));
}

static inline long sp_sys_keep_caps_on_setuid(void)
{
        return SP_RET(prctl(PR_SET_KEEPCAPS, 1UL, 0UL, 0UL, 0UL));
}

/* Effective, permitted and inheritable sets all `caps` (bit n: capability n; ABI version 3). */
static inline long sp_sys_capset_to(uint64_t caps)
{
        struct {
                uint32_t version;
                int pid;
        } header = { 0x20080522, 0 };
        const uint32_t lo = (uint32_t)caps, hi = (uint32_t)(caps >> 32);
        struct {
                uint32_t effective, permitted, inheritable;
        } data[2] = { { lo, lo, lo }, { hi, hi, hi } };

        return SP_RET(syscall(SYS_capset, &header, data));
}

static inline long sp_sys_cap_ambient_raise(int cap)
{
        return SP_RET(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)cap, 0UL, 0UL));
}
#else
#define SP_SYS_CAPS_MISSING "capability sets are Linux's alone"
static inline long sp_sys_keep_caps_on_setuid(void)
{
        return -ENOTSUP;
}

static inline long sp_sys_capset_to(uint64_t caps)
{
        (void)caps;
        return -ENOTSUP;
}

static inline long sp_sys_cap_ambient_raise(int cap)
{
        (void)cap;
        return -ENOTSUP;
}

static inline long sp_sys_cap_bound_drop(int cap)
{
        return -ENOTSUP;
}

static inline long sp_sys_cap_ambient_clear(void)
{
        return -ENOTSUP;
}

static inline long sp_sys_capset_none(void)
{
        return -ENOTSUP;
}
#endif

/* no_new_privs: inherited by children and across exec, never cleared. */
static inline long sp_sys_no_new_privs(void)
{
#if HAVE_SYS_PRCTL_H && defined(PR_SET_NO_NEW_PRIVS)
        return SP_RET(prctl(PR_SET_NO_NEW_PRIVS, 1UL, 0UL, 0UL, 0UL));
#elif HAVE_SYS_PROCCTL_H && defined(PROC_NO_NEW_PRIVS_CTL)
        int enable = PROC_NO_NEW_PRIVS_ENABLE; /* FreeBSD 14 */

        return SP_RET(procctl(P_PID, 0, PROC_NO_NEW_PRIVS_CTL, &enable));
#else
#define SP_SYS_NO_NEW_PRIVS_MISSING                            \
        "this system has neither Linux's PR_SET_NO_NEW_PRIVS " \
        "nor FreeBSD 14's PROC_NO_NEW_PRIVS_CTL"
        return -ENOTSUP;
#endif
}

/* The death signal, armed by the child for itself.  Linux clears it on every credential
 * change and on exec of a set-user-ID program; FreeBSD's PROC_PDEATHSIG_CTL is cleared in
 * children and on exec of a set-user-ID or set-group-ID program, not by setuid().  Either
 * way the caller arms it after the credentials, then checks getppid(). */
static inline long sp_sys_death_signal(int sig)
{
#if HAVE_SYS_PRCTL_H && defined(PR_SET_PDEATHSIG)
        return SP_RET(prctl(PR_SET_PDEATHSIG, (unsigned long)sig, 0UL, 0UL, 0UL));
#elif HAVE_SYS_PROCCTL_H && defined(PROC_PDEATHSIG_CTL)
        return SP_RET(procctl(P_PID, 0, PROC_PDEATHSIG_CTL, &sig));
#elif defined(__APPLE__)
#define SP_SYS_DEATH_SIGNAL_MISSING                                 \
        "macOS has no death signal, and the kqueue watcher thread " \
        "of subproc_exit_with_parent() would not survive exec"
        return -ENOTSUP;
#else
#define SP_SYS_DEATH_SIGNAL_MISSING                             \
        "this system has neither Linux's PR_SET_PDEATHSIG nor " \
        "FreeBSD's PROC_PDEATHSIG_CTL"
        return -ENOTSUP;
#endif
}

/* Issue 14, scheduling.  setpriority() and sched_setscheduler() are bare system calls in every
 * libc; Linux's affinity and I/O priority go through syscall(), as the capability sets do. */
static inline long sp_sys_set_nice(int nice)
{
        return SP_RET(setpriority(PRIO_PROCESS, 0, nice));
}

static inline long sp_sys_set_sched(int policy, int priority)
{
#if defined(__linux__) || defined(__FreeBSD__)
        struct sched_param param = { .sched_priority = priority };

        return SP_RET(sched_setscheduler(0, policy, &param));
#else
#define SP_SYS_SCHED_MISSING "this system has no sched_setscheduler()"
        (void)policy;
        (void)priority;
        return -ENOTSUP;
#endif
}

#if defined(__linux__) && defined(SYS_sched_setaffinity) && defined(SYS_ioprio_set)
static inline long sp_sys_set_affinity(const void *set, size_t size)
{
        return SP_RET(syscall(SYS_sched_setaffinity, 0, size, set));
}

static inline long sp_sys_set_ioprio(int ioprio)
{
        return SP_RET(syscall(SYS_ioprio_set, 1, 0, ioprio)); /* 1: IOPRIO_WHO_PROCESS */
}
#else
#define SP_SYS_AFFINITY_MISSING "CPU affinity through sched_setaffinity() is Linux's"
#define SP_SYS_IOPRIO_MISSING "I/O priorities (ioprio_set()) are Linux's alone"
#define SP_SYS_OOM_SCORE_MISSING "/proc/self/oom_score_adj is Linux's alone"
static inline long sp_sys_set_affinity(const void *set, size_t size)
{
        (void)set;
        (void)size;
        return -ENOTSUP;
}

static inline long sp_sys_set_ioprio(int ioprio)
{
        (void)ioprio;
        return -ENOTSUP;
}
#endif

/* pipe() and fcntl() are on POSIX's list, pipe2() since 2024.  No other thread can fork
 * between the two in a child, so the flag needs no pipe2(). */
static inline long sp_sys_pipe_cloexec(int fds[2])
{
#if HAVE_PIPE2
        return SP_RET(pipe2(fds, O_CLOEXEC));
#else
        if (pipe(fds) < 0)
                return -(long)errno;
        (void)fcntl(fds[0], F_SETFD, FD_CLOEXEC);
        (void)fcntl(fds[1], F_SETFD, FD_CLOEXEC);
        return 0;
#endif
}

/* The daemon's fork, in a child that is already single-threaded: _Fork() runs none of the
 * caller's atfork handlers, whose locks may have been held by threads the first fork left
 * behind; fork() where libc has no _Fork(). */
static inline long sp_sys_fork(void)
{
#if HAVE__FORK
        pid_t pid = _Fork();
#else
        pid_t pid = fork();
#endif

        return pid < 0 ? -(long)errno : (long)pid;
}

static inline void __attribute__((noreturn)) sp_sys_exit(int code)
{
        _exit(code);
}

/* Issue 14, confinement: Linux's (the fork() child of -Dspawn=fork); check.c refuses them
 * elsewhere (confine-other.c). */
static inline long sp_sys_seccomp_filter(const struct sp_bpf_prog *prog)
{
#if defined(__linux__) && defined(SYS_seccomp)
        return SP_RET(syscall(SYS_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, 0, prog));
#else
        (void)prog;
        return -ENOTSUP;
#endif
}

static inline long sp_sys_landlock_restrict(int ruleset_fd)
{
#if defined(__linux__) && HAVE_SYS_PRCTL_H
        return SP_RET(syscall(446 /* landlock_restrict_self */, ruleset_fd, 0));
#else
        (void)ruleset_fd;
        return -ENOTSUP;
#endif
}

/* Issue 14, namespaces: Linux's, and made by its clone() child (spawn-linux.c) alone. */
#define SP_SYS_NAMESPACES_MISSING                                                          \
        "namespaces need Linux and its clone() child (this build has the portable fork() " \
        "child)"
static inline long sp_sys_unshare(unsigned long flags)
{
        (void)flags;
        return -ENOTSUP;
}

static inline long sp_sys_mounts_private(void)
{
        return -ENOTSUP;
}

static inline long sp_sys_readlink(const char *path, char *buf, size_t size)
{
        ssize_t n = readlink(path, buf, size);

        return n < 0 ? -(long)errno : (long)n;
}

#endif
