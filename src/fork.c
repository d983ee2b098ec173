/* Signal blocking around process creation, and subproc_fork(). */
#include "spawn.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/syscall.h>

/* pthread_sigmask() refuses to block the signals glibc uses internally (SIGCANCEL and
 * SIGSETXID); a child sharing our memory must not run their handlers either, so ask the
 * kernel directly. */
void sp_block_all_signals(sigset_t *old)
{
        unsigned long all[128 / sizeof(unsigned long)];

        memset(all, 0xff, sizeof all);
        memset(old, 0, sizeof *old);
        syscall(SYS_rt_sigprocmask, SIG_BLOCK, all, old, _NSIG / 8);
}

void sp_restore_signals(const sigset_t *old)
{
        syscall(SYS_rt_sigprocmask, SIG_SETMASK, old, NULL, _NSIG / 8);
}

/* Runs in a forked child: async-signal-safe only.  sigaction() refuses the signals the C
 * library reserves (32 and 33 with glibc, 32 to 34 with musl), so an ignored disposition
 * inherited for them (GNU make, which runs every Debian package build, ignores 32 and 33) would
 * reach the program; reset them with the kernel's call.  An all-zero kernel sigaction is
 * SIG_DFL with no flags on every architecture; the buffer is larger than any of them. */
static void reset_reserved_signals(void)
{
        unsigned long dfl[8] = { 0 };

        for (int sig = 32; sig < SIGRTMIN; sig++)
                syscall(SYS_rt_sigaction, sig, dfl, NULL, _NSIG / 8);
}
#else
void sp_block_all_signals(sigset_t *old)
{
        sigset_t all;

        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, old);
}

void sp_restore_signals(const sigset_t *old)
{
        pthread_sigmask(SIG_SETMASK, old, NULL);
}

static void reset_reserved_signals(void)
{
}
#endif

/* Runs in a forked child: async-signal-safe only. */
static void reset_signals_in_child(void)
{
        struct sigaction dfl;
        sigset_t none;

        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        sigemptyset(&dfl.sa_mask);
        for (int sig = 1; sig <= sp_signal_max(); sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void)sigaction(sig, &dfl, NULL); /* EINVAL for reserved ones is fine */
        reset_reserved_signals();
        sigemptyset(&none);
        (void)sigprocmask(SIG_SETMASK, &none, NULL);
}

uint64_t sp_sigset_low64(const sigset_t *set)
{
        uint64_t low = 0;

        /* Signals 1..64 are the first 64 bits of the set, as the kernel lays it out. */
        memcpy(&low, set, sizeof low < sizeof *set ? sizeof low : sizeof *set);
        return low;
}

pid_t subproc_fork(void)
{
        sigset_t old;
        pid_t pid;
        int e;

        sp_block_all_signals(&old);
        pid = fork();
        e = errno;
        if (pid == 0) {
                reset_signals_in_child();
                return 0;
        }
        sp_restore_signals(&old);
        if (pid < 0)
                return sp_error(e, "fork: %s", strerror(e));
        return pid;
}
