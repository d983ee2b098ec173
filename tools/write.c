/* Writing our own messages without dying of SIGPIPE: a stderr that is a pipe nobody reads
 * any more must not kill subproc before (or while) it starts or supervises the program. */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <unistd.h>

static int write_all(int fd, const char *buf, size_t len)
{
        while (len > 0) {
                ssize_t n = write(fd, buf, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return -1;
                buf += n;
                len -= (size_t)n;
        }
        return 0;
}

/* SIGPIPE is blocked around the write, and the one the write raised is taken back: left
 * pending it would stay pending across exec and kill the program when it unblocks it. */
int write_quietly(int fd, const char *buf, size_t len)
{
        sigset_t pipe_only, old, pending;
        bool was_pending;
        int r, saved_errno, sig;

        sigemptyset(&pipe_only);
        sigaddset(&pipe_only, SIGPIPE);
        if (sigprocmask(SIG_BLOCK, &pipe_only, &old) < 0)
                return write_all(fd, buf, len);
        was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
        r = write_all(fd, buf, len);
        saved_errno = errno;
        /* sigwait(), not sigtimedwait() (macOS has none): called only when sigpending()
         * shows the SIGPIPE our write raised for this thread, so it returns at once. */
        if (r < 0 && saved_errno == EPIPE && !was_pending && sigpending(&pending) == 0 &&
            sigismember(&pending, SIGPIPE) == 1)
                (void)sigwait(&pipe_only, &sig);
        (void)sigprocmask(SIG_SETMASK, &old, NULL);
        errno = saved_errno;
        return r;
}
