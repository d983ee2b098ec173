/* Passing signals on to a supervised program, as timeout(1) does: a signal that would end
 * subproc is sent to the program instead, so that `kill` on subproc reaches it and subproc
 * then exits with the program's status. */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif
#include <unistd.h>

/* The signals whose default action would end us.  The terminal's signals reach the program
 * by themselves when it shares our process group. */
static const int forwarded_signals[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2 };

static subproc *forward_target;
static bool forward_terminal_signals;
static volatile sig_atomic_t pending_signal;
/* With --exit-with-parent: our parent when we started, and 0 otherwise. */
static pid_t parent_to_die_with;

/* Async-signal-safe: subproc_pidfd() and subproc_pid() are.  The pidfd can never hit a
 * recycled pid.  -1 while no program runs. */
static int send_to_program(int sig)
{
        pid_t pid;

#ifdef SYS_pidfd_send_signal
        int pidfd = subproc_pidfd(forward_target);

        if (pidfd >= 0)
                return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
#endif
        pid = subproc_pid(forward_target);
        return pid > 0 ? kill(pid, sig) : -1;
}

static bool from_terminal(const siginfo_t *info)
{
#ifdef SI_KERNEL
        return info->si_code == SI_KERNEL;
#else
        (void)info;
        return false;
#endif
}

/* Async-signal-safe.  Our parent died and sent us its SIGTERM: rather than pass that on, die
 * of it, so that the program gets its own death signal (--death-signal), as it would in
 * place.  The kernel has already given us a new parent when it sends the signal. */
static bool parent_died(int sig)
{
        if (!parent_to_die_with || getppid() == parent_to_die_with)
                return false;
        (void)signal(sig, SIG_DFL);
        (void)raise(sig); /* delivered when the handler returns: the signal is blocked in it */
        return true;
}

static void forward_signal(int sig, siginfo_t *info, void *ucontext)
{
        int saved_errno = errno;

        (void)ucontext;
        if (!parent_died(sig) && (forward_terminal_signals || !from_terminal(info)) &&
            send_to_program(sig) < 0)
                pending_signal = sig; /* before the program started: see forward_pending() */
        errno = saved_errno;
}

void forward_signals(subproc *c, bool own_group, pid_t parent)
{
        struct sigaction sa = { .sa_sigaction = forward_signal,
                                .sa_flags = SA_SIGINFO | SA_RESTART };
        struct sigaction old;

        forward_target = c;
        forward_terminal_signals = own_group;
        parent_to_die_with = parent;
        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < sizeof forwarded_signals / sizeof forwarded_signals[0]; i++) {
                int sig = forwarded_signals[i];

                /* What we were started ignoring stays ignored, for us and the program. */
                if (sigaction(sig, NULL, &old) == 0 && old.sa_handler != SIG_IGN)
                        (void)sigaction(sig, &sa, NULL);
        }
}

void forward_pending(void)
{
        if (pending_signal)
                (void)send_to_program(pending_signal);
}

