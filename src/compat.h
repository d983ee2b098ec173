/* Portability: the few names Linux has and FreeBSD or macOS lack, and the rules that depend on
 * the system (which signal numbers exist, how wide rlim_t is).  One helper per difference, so
 * that the code using it reads the same everywhere; the library includes this through
 * its own headers, the CLI directly (it only needs system headers).
 *
 * What is checked where: scripts/ci-crosscheck.sh compiles the library, the tool, the examples
 * (and for FreeBSD the tests) against FreeBSD 14 and macOS headers, and links for macOS. */
#ifndef SUBPROC_COMPAT_H
#define SUBPROC_COMPAT_H

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

/* Library-internal symbols: never exported from the shared library (src/libsubproc.sym lists
 * the public ones). */
#ifndef SP_HIDDEN
#define SP_HIDDEN __attribute__((visibility("hidden")))
#endif

/* io.c's "the deadline came first" and pidfile.c's "the file is empty" are internal results
 * that never reach the caller as errno values; FreeBSD has neither name. */
#ifndef ETIME
#define ETIME ETIMEDOUT
#endif
#if !defined(ENODATA) && defined(ENOATTR)
#define ENODATA ENOATTR
#elif !defined(ENODATA)
#define ENODATA ENOMSG
#endif

/* The highest signal number: SIGRTMAX where there are real-time signals (64 on Linux, 126 on
 * FreeBSD, whose NSIG of 32 counts only the classic ones), else NSIG - 1 (31 on macOS).  The
 * library and the CLI both take 1..sp_signal_max() as "a signal" (0 only where the function
 * says so).  Async-signal-safe: glibc's and musl's SIGRTMAX read a variable. */
static inline int sp_signal_max(void)
{
#ifdef SIGRTMAX
        return SIGRTMAX;
#else
        return NSIG - 1;
#endif
}

static inline bool sp_signal_valid(int sig)
{
        return sig >= 1 && sig <= sp_signal_max();
}

/* The largest value of the integer type T, signed or not: rlim_t is unsigned on Linux and
 * macOS, int64_t on FreeBSD (where RLIM_INFINITY is INT64_MAX).  "(T)-1 > (T)0" tells the two
 * apart without a comparison compilers call always true or false. */
#define SP_TYPE_MAX(T) \
        ((T)-1 > (T)0 ? (T)-1 : (T)((((T)1 << (sizeof(T) * CHAR_BIT - 2)) - 1) * 2 + 1))
/* Whether the non-negative number n is a value of the integer type T. */
#define SP_FITS_TYPE(n, T) ((unsigned long long)(n) <= (unsigned long long)SP_TYPE_MAX(T))

/* explicit_bzero(): memset that the compiler may not drop as a dead store (secrets in freed
 * buffers).  macOS has no explicit_bzero(); calling memset through a volatile pointer is the
 * portable equivalent. */
#ifdef __APPLE__
static inline void sp_explicit_bzero(void *p, size_t len)
{
        static void *(*const volatile set)(void *, int, size_t) = memset;

        set(p, 0, len);
}
#else
#define sp_explicit_bzero explicit_bzero
#endif

/* sigtimedwait() with a zero timeout: take one of the set's signals if it is pending, else
 * fail with EAGAIN at once.  macOS has no sigtimedwait(); there sigwait() is called only for a
 * signal sigpending() shows, so it returns at once.  The one caller (io.c) blocks the set in
 * this thread and takes the SIGPIPE its own write() raised, which is pending for this thread:
 * no other thread can take it between the two calls. */
#ifdef __APPLE__
static inline int sp_sigtimedwait_now(const sigset_t *set)
{
        sigset_t pending, one;
        int sig, e;

        if (sigpending(&pending) < 0)
                return -1;
        for (sig = 1; sig < NSIG; sig++)
                if (sigismember(set, sig) == 1 && sigismember(&pending, sig) == 1)
                        break;
        if (sig == NSIG) {
                errno = EAGAIN;
                return -1;
        }
        sigemptyset(&one);
        sigaddset(&one, sig);
        e = sigwait(&one, &sig); /* returns the error, leaves errno alone */
        if (e != 0) {
                errno = e;
                return -1;
        }
        return sig;
}
#else
static inline int sp_sigtimedwait_now(const sigset_t *set)
{
        const struct timespec zero = { 0, 0 };

        return sigtimedwait(set, NULL, &zero);
}
#endif

#endif
