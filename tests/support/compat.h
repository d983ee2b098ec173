/* Portability of the shared test code: what the tests built on every system (tests/meson.build)
 * need from Linux, with the nearest equivalent elsewhere, so the test files read the same.
 * Header-only: tests/helper.c includes it too.
 * scripts/ci-crosscheck.sh compiles these tests against FreeBSD 14 headers.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef T_SUPPORT_COMPAT_H
#define T_SUPPORT_COMPAT_H

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h> /* sigabbrev_np() */
#include <sys/mman.h>
#include <sys/wait.h>

#include "config.h" /* HAVE_SYS_PRCTL_H, HAVE_SYS_PROCCTL_H */

#if HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif
#if HAVE_SYS_PROCCTL_H
#include <sys/procctl.h>
#endif
#ifdef __linux__
#include <sched.h>
#include <sys/syscall.h>
#endif
#include <unistd.h>

/* waitpid(): Linux's __WALL also reports clone() children that exit with a signal other than
 * SIGCHLD; elsewhere every child is reported anyway. */
#ifndef __WALL
#define __WALL 0
#endif

/* Only advice (small pages for a bigger page table to copy at fork); none elsewhere. */
#ifndef MADV_NOHUGEPAGE
#define MADV_NOHUGEPAGE MADV_NORMAL
#endif

/* The signal the caller's parent's death sends it (0 for none): what the helper reports as
 * pdeathsig=.  -1 with errno ENOSYS where the system has no such setting (macOS). */
static inline int t_get_death_signal(int *ret_sig)
{
#if HAVE_SYS_PRCTL_H
        return prctl(PR_GET_PDEATHSIG, ret_sig);
#elif HAVE_SYS_PROCCTL_H
        return procctl(P_PID, 0, PROC_PDEATHSIG_STATUS, ret_sig);
#else
        *ret_sig = 0;
        errno = ENOSYS;
        return -1;
#endif
}

/* A pidfd for any process (pidfd_open(2), Linux 5.3); -1 with errno ENOSYS where there are
 * none, and the callers poll instead. */
static inline int t_pidfd_open(pid_t pid)
{
#if defined(__linux__) && defined(SYS_pidfd_open)
        return (int)syscall(SYS_pidfd_open, pid, 0);
#else
        (void)pid;
        errno = ENOSYS;
        return -1;
#endif
}

/* Adopt orphaned descendants (on) or stop (off): Linux's PR_SET_CHILD_SUBREAPER, FreeBSD's
 * reaper (PROC_REAP_ACQUIRE).  -1 with errno ENOSYS where there is none (macOS). */
static inline int t_set_subreaper(bool on)
{
#if HAVE_SYS_PRCTL_H
        return prctl(PR_SET_CHILD_SUBREAPER, on ? 1 : 0, 0, 0, 0);
#elif HAVE_SYS_PROCCTL_H
        if (procctl(P_PID, getpid(), on ? PROC_REAP_ACQUIRE : PROC_REAP_RELEASE, NULL) == 0)
                return 0;
        /* Releasing when not a reaper is EINVAL there, a no-op on Linux. */
        return !on && errno == EINVAL ? 0 : -1;
#else
        (void)on;
        errno = ENOSYS;
        return -1;
#endif
}

/* unshare(CLONE_NEWPID): the caller's next child starts a new pid namespace.  -1 with errno
 * ENOSYS where there are none (the callers skip). */
static inline int t_unshare_pid(void)
{
#ifdef __linux__
        return unshare(CLONE_NEWPID);
#else
        errno = ENOSYS;
        return -1;
#endif
}

/* The abbreviation of a signal's name ("TERM"), as glibc's sigabbrev_np() gives it; the BSDs
 * keep them in lower case in sys_signame[].  NULL where the system names none. */
static inline const char *t_sigabbrev(int sig)
{
#if defined(__GLIBC__)
        return sigabbrev_np(sig);
#elif defined(__FreeBSD__) || defined(__APPLE__)
        static _Thread_local char name[16];
        size_t i = 0;

        if (sig <= 0 || sig >= NSIG || !sys_signame[sig])
                return NULL;
        for (; sys_signame[sig][i] && i < sizeof name - 1; i++)
                name[i] = (char)toupper((unsigned char)sys_signame[sig][i]);
        name[i] = '\0';
        return name;
#else
        (void)sig;
        return NULL;
#endif
}

#endif
