/* Exit with the parent on macOS: a thread waits on a kqueue for the parent's NOTE_EXIT. */
#include "internal.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/event.h>
#include <unistd.h>

static void *watch_parent(void *arg)
{
        int kq = (int)(intptr_t)arg;
        struct kevent ev;

        while (kevent(kq, NULL, 0, &ev, 1, NULL) < 0 && errno == EINTR)
                ;
        kill(getpid(), SIGTERM);
        return NULL;
}

int subproc_exit_with_parent(void)
{
        pid_t parent = getppid();
        struct kevent ev;
        pthread_t thread;
        int kq, r;

        kq = kqueue();
        if (kq < 0)
                return sp_error(errno, "kqueue: %s", strerror(errno));
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
        r = pthread_create(&thread, NULL, watch_parent, (void *)(intptr_t)kq);
        if (r != 0) {
                close(kq);
                return sp_error(r, "pthread_create: %s", strerror(r));
        }
        pthread_detach(thread);
        if (getppid() != parent)
                kill(getpid(), SIGTERM);
        return 0;
}

bool subproc_can_exit_with_parent(void)
{
        return true;
}
