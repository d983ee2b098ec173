/* The opt-in SIGCHLD wakeup of the loops (subproc_loop_use_sigchld): a process-wide handler
 * that counts SIGCHLDs and writes a byte to a self-pipe the loops watch, then calls the handler
 * that was there before.  The only signal handler the library ever installs.
 *
 * The pipe is made once and never closed: a handler running in another thread at the moment
 * of a close could write into whatever file got the number next.  The handler goes when the
 * last loop using it is freed, unless someone replaced it meanwhile. */
#include "run.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int users;                 /* loops using the handler, under lock */
static struct sigaction previous; /* written under lock before the handler goes in */
static int pipe_fds[2] = { -1, -1 };
static atomic_uint sigchld_count;
/* Set while ours calls the previous handler: a previous handler that chains back to ours
 * (installed over ours, saving it, then found as "previous" by a later install) would
 * otherwise call ours and itself until the stack ends.  Another thread's SIGCHLD meanwhile
 * only skips the chain: SIGCHLDs merge anyway, and the running call serves it. */
static atomic_flag chaining = ATOMIC_FLAG_INIT;

static void on_sigchld(int sig, siginfo_t *si, void *context)
{
        int saved_errno = errno;
        char byte = 0;

        atomic_fetch_add(&sigchld_count, 1);
        /* Non-blocking: a full pipe is already a wakeup. */
        if (write(pipe_fds[1], &byte, 1) < 0) {
        }
        if (atomic_flag_test_and_set(&chaining)) {
                errno = saved_errno;
                return;
        }
        if (previous.sa_flags & SA_SIGINFO) {
                if (previous.sa_sigaction)
                        previous.sa_sigaction(sig, si, context);
        } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
                previous.sa_handler(sig);
        }
        atomic_flag_clear(&chaining);
        errno = saved_errno;
}

static int make_pipe(void)
{
        if (pipe_fds[0] >= 0)
                return 0;
        if (sp_pipe_cloexec(pipe_fds) < 0)
                return sp_error(errno, "cannot make the SIGCHLD pipe: %s", strerror(errno));
        if (sp_set_nonblock(pipe_fds[0], true) < 0 || sp_set_nonblock(pipe_fds[1], true) < 0) {
                int e = errno;

                sp_close(&pipe_fds[0]);
                sp_close(&pipe_fds[1]);
                return sp_error(e, "cannot make the SIGCHLD pipe non-blocking: %s", strerror(e));
        }
        return 0;
}

static int install(void)
{
        struct sigaction now, ours;

        if (sigaction(SIGCHLD, NULL, &now) < 0)
                return sp_error(errno, "cannot read the SIGCHLD action: %s", strerror(errno));
        if (!(now.sa_flags & SA_SIGINFO) && now.sa_handler == SIG_IGN)
                return sp_error(EINVAL, "cannot wake the loop on SIGCHLD: SIGCHLD is ignored, so "
                                        "the kernel reaps every child and no status is left");
        /* Ours again (a caller restored an action it saved while ours was in): chaining to it
         * would be ours calling itself. */
        if ((now.sa_flags & SA_SIGINFO) && now.sa_sigaction == on_sigchld)
                memset(&previous, 0, sizeof previous);
        else
                previous = now;
        memset(&ours, 0, sizeof ours);
        ours.sa_sigaction = on_sigchld;
        ours.sa_mask = now.sa_mask;
        /* The caller's SA_NOCLDSTOP and SA_NOCLDWAIT stay: its children behave as before. */
        ours.sa_flags = SA_SIGINFO | SA_RESTART | (now.sa_flags & (SA_NOCLDSTOP | SA_NOCLDWAIT));
        if (sigaction(SIGCHLD, &ours, NULL) < 0)
                return sp_error(errno, "cannot install the SIGCHLD handler: %s", strerror(errno));
        return 0;
}

int sp_sigchld_acquire(void)
{
        int r = 0;

        pthread_mutex_lock(&lock);
        if (users == 0) {
                r = make_pipe();
                if (r == 0)
                        r = install();
        }
        if (r == 0)
                users++;
        pthread_mutex_unlock(&lock);
        return r < 0 ? -1 : pipe_fds[0];
}

void sp_sigchld_release(int fd)
{
        struct sigaction now;

        (void)fd;
        pthread_mutex_lock(&lock);
        if (--users == 0 && sigaction(SIGCHLD, NULL, &now) == 0 && (now.sa_flags & SA_SIGINFO) &&
            now.sa_sigaction == on_sigchld)
                (void)sigaction(SIGCHLD, &previous, NULL);
        pthread_mutex_unlock(&lock);
}

bool sp_sigchld_drain(int fd)
{
        char buf[256];
        bool any = false;

        while (read(fd, buf, sizeof buf) > 0)
                any = true;
        return any;
}

unsigned sp_sigchld_count(void)
{
        return atomic_load(&sigchld_count);
}
