/* Small fd helpers for the parent side. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int sp_set_cloexec(int fd, bool on)
{
        int flags = fcntl(fd, F_GETFD);

        if (flags < 0)
                return -errno;
        if (!!(flags & FD_CLOEXEC) == on)
                return 0;
        if (fcntl(fd, F_SETFD, on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC) < 0)
                return -errno;
        return 0;
}

int sp_set_nonblock(int fd, bool on)
{
        int flags = fcntl(fd, F_GETFL);

        if (flags < 0)
                return -errno;
        if (!!(flags & O_NONBLOCK) == on)
                return 0;
        if (fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK) < 0)
                return -errno;
        return 0;
}

int sp_fd_above_stdio(int fd)
{
        int copy, e;

        /* A caller that closed 0, 1 or 2 makes the kernel hand out that number next: an fd of
         * ours there would be taken for the caller's stdio (passed to the child as its stdin,
         * or clobbered when the child's stdio is set up).  Move it to 3 or above. */
        if (fd < 0 || fd > 2)
                return fd;
        copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        e = errno;
        close(fd);
        errno = e;
        return copy;
}

/* Both ends close-on-exec from birth, so a concurrent fork elsewhere cannot inherit them, and
 * at 3 or above. */
int sp_pipe_cloexec(int fds[2])
{
#if HAVE_PIPE2
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -1;
#else
        /* Without pipe2 there is a window in which another thread's fork inherits the fds. */
        if (pipe(fds) < 0)
                return -1;
        if (sp_set_cloexec(fds[0], true) < 0 || sp_set_cloexec(fds[1], true) < 0) {
                int e = errno;

                close(fds[0]);
                close(fds[1]);
                errno = e;
                return -1;
        }
#endif
        fds[0] = sp_fd_above_stdio(fds[0]);
        fds[1] = sp_fd_above_stdio(fds[1]);
        if (fds[0] < 0 || fds[1] < 0) {
                int e = errno;

                sp_close(&fds[0]);
                sp_close(&fds[1]);
                errno = e;
                return -1;
        }
        return 0;
}

static bool is_listed(int fd, const int *list, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (list[i] == fd)
                        return true;
        return false;
}

int sp_fd_dup_avoiding(int fd, const int *avoid, size_t n)
{
        int min = 3;

        /* The lowest free number that is not to be avoided: never above the fd limit unless
         * the table really is that full. */
        for (;;) {
                int copy = fcntl(fd, F_DUPFD_CLOEXEC, min);

                if (copy < 0)
                        return -errno;
                if (!is_listed(copy, avoid, n))
                        return copy;
                close(copy);
                min = copy + 1;
        }
}

int sp_fd_move_avoiding(int fd, const int *avoid, size_t n)
{
        int moved;

        if (fd >= 3 && !is_listed(fd, avoid, n))
                return fd;
        moved = sp_fd_dup_avoiding(fd, avoid, n);
        close(fd);
        return moved;
}

void sp_close(int *fd)
{
        int saved_errno = errno;

        if (*fd >= 0)
                close(*fd);
        *fd = -1;
        errno = saved_errno;
}
