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

static subproc *forward_target;
/* Called before we die of a signal (forward_before_dying()), or NULL. */
static void (*last_words)(void);
static bool forward_terminal_signals;
static volatile sig_atomic_t pending_signal;
/* With --exit-with-parent: our parent when we started, and 0 otherwise. */
static pid_t parent_to_die_with;

/* Whether the default action of `sig` would end us: every signal but those whose default is
 * to stop, continue or do nothing (and KILL and STOP, which cannot be caught).  Real-time
 * signals end a process too: leaving one out would let it kill us and orphan the program. */
static bool ends_us(int sig)
{
        switch (sig) {
        case SIGKILL:
        case SIGSTOP:
        case SIGCHLD:
        case SIGCONT:
        case SIGURG:
        case SIGWINCH:
        case SIGTSTP:
        case SIGTTIN:
        case SIGTTOU:
#ifdef SIGINFO
        case SIGINFO:
#endif
#ifdef SIGTHR
        case SIGTHR:
#endif
#ifdef SIGLIBRT
        case SIGLIBRT:
#endif
                return false;
        default:
                return true;
        }
}

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

/* A fault of our own (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS from the kernel for an
 * instruction we ran): si_code is positive only then, never for a signal a process sent. */
static bool is_own_fault(int sig, const siginfo_t *info)
{
        switch (sig) {
        case SIGSEGV:
        case SIGBUS:
        case SIGFPE:
        case SIGILL:
        case SIGTRAP:
        case SIGSYS:
                return info->si_code > 0;
        default:
                return false;
        }
}

/* Sent by ourselves: abort(), or the kernel on our behalf (SIGPIPE for a write to a pipe
 * nobody reads, SIGXFSZ past our file size limit; it names our own pid).  Ours to handle, not
 * the program's: the write then fails with EPIPE or EFBIG and is reported. */
static bool from_ourselves(const siginfo_t *info)
{
        return info->si_code <= 0 && info->si_pid == getpid();
}

/* Async-signal-safe.  Die of `sig` as if no handler had been installed. */
static void die_of(int sig)
{
        if (last_words)
                last_words();
        (void)signal(sig, SIG_DFL);
        (void)raise(sig); /* delivered when the handler returns: the signal is blocked in it */
}

/* Async-signal-safe.  Our parent died and sent us its SIGTERM: rather than pass that on, die
 * of it, so that the program gets its own death signal (--death-signal), as it would in
 * place.  The kernel has already given us a new parent when it sends the signal. */
static bool parent_died(int sig)
{
        if (!parent_to_die_with || getppid() == parent_to_die_with)
                return false;
        die_of(sig);
        return true;
}

static void forward_signal(int sig, siginfo_t *info, void *ucontext)
{
        int saved_errno = errno;

        (void)ucontext;
        if (is_own_fault(sig, info))
                die_of(sig); /* returning alone would run the faulting instruction forever */
        else if (!from_ourselves(info) && !parent_died(sig) &&
                 (forward_terminal_signals || !from_terminal(info)) && send_to_program(sig) < 0)
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
        for (int sig = 1; sig < NSIG; sig++) {
                /* What we were started ignoring stays ignored, for us and the program.  The C
                 * library refuses the signals it keeps for itself (glibc's 32 and 33). */
                if (ends_us(sig) && sigaction(sig, NULL, &old) == 0 && old.sa_handler != SIG_IGN)
                        (void)sigaction(sig, &sa, NULL);
        }
}

void forward_before_dying(void (*fn)(void))
{
        last_words = fn;
}

void forward_pending(void)
{
        if (pending_signal)
                (void)send_to_program(pending_signal);
}
