/* Exit with the parent on macOS, which has no death signal: a thread waits on a kqueue for the
 * parent's NOTE_EXIT and then sends SIGTERM to the process, as Linux's and FreeBSD's kernels
 * would.
 *
 * What a kernel death signal does and this cannot: the thread and the kqueue exist in this
 * process image only.  A fork()ed child gets neither (kqueues are not inherited across fork),
 * and exec ends the thread, so the program a process becomes is no longer watched.  That is
 * also why a death signal for a spawned child (subproc_set_death_signal) is refused here. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/event.h>
#include <unistd.h>

static void *watch_parent(void *arg)
{
        int kq = (int)(intptr_t)arg;
        struct kevent ev;
        int n;

        do
                n = kevent(kq, NULL, 0, &ev, 1, NULL);
        while (n < 0 && errno == EINTR);
        /* Only the parent's exit: a kevent() failure (say the caller closed every fd, ours
         * too) must not terminate the process.  The protection is then gone, silently, as
         * nobody is left to tell. */
        if (n == 1 && ev.filter == EVFILT_PROC && !(ev.flags & EV_ERROR) && (ev.fflags & NOTE_EXIT))
                /* To the process, not this thread, which blocks every signal. */
                kill(getpid(), SIGTERM);
        close(kq);
        return NULL;
}

/* A thread for watch_parent() that takes none of the caller's signals: they stay for the
 * threads that expect them (sigwait() loops). */
static int start_watcher(int kq)
{
        sigset_t all, old;
        pthread_t thread;
        int r;

        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        r = pthread_create(&thread, NULL, watch_parent, (void *)(intptr_t)kq);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (r == 0)
                pthread_detach(thread);
        return r;
}

int subproc_exit_with_parent(void)
{
        pid_t parent = getppid();
        struct kevent ev;
        int kq, r;

        kq = kqueue();
        if (kq < 0)
                return sp_error(errno, "kqueue: %s", strerror(errno));
        /* Our own exec must not leave the program an fd it knows nothing of.  No other
         * thread's fork can take it in the meantime: kqueues are not inherited across fork. */
        (void)fcntl(kq, F_SETFD, FD_CLOEXEC);
        EV_SET(&ev, parent, EVFILT_PROC, EV_ADD | EV_ONESHOT, NOTE_EXIT, 0, NULL);
        if (kevent(kq, &ev, 1, NULL, 0, NULL) < 0) {
                int e = errno;

                close(kq);
                /* ESRCH: the parent is already gone. */
                if (e == ESRCH) {
                        kill(getpid(), SIGTERM);
                        return 0;
                }
                return sp_error(e, "kevent(EVFILT_PROC): %s", strerror(e));
        }
        r = start_watcher(kq);
        if (r != 0) {
                close(kq);
                return sp_error(r, "pthread_create: %s", strerror(r));
        }
        /* The parent may have died before the registration, and its pid been reused since:
         * then no NOTE_EXIT comes, but we have been reparented (to launchd, pid 1; macOS has
         * no subreapers), and getppid() tells. */
        if (getppid() != parent)
                kill(getpid(), SIGTERM);
        return 0;
}

bool subproc_can_exit_with_parent(void)
{
        return true;
}
