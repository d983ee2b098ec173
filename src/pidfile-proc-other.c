/* Who holds a pidfile, where the system offers no portable way to list another process's
 * open files and their locks (FreeBSD and macOS have their own, not written yet): nothing
 * can be proven, so every question is answered "cannot tell" (ENOTSUP), and no pidfile
 * function signals anybody. */
#include "process.h"
#include "pidfile.h"

#include <errno.h>
#include <signal.h>

int sp_pidfd_state(int pidfd)
{
        (void)pidfd;
        return -ENOSYS;
}

bool sp_pidfd_alive(int pidfd)
{
        (void)pidfd;
        return false;
}

int sp_pidfd_signal(int pidfd, int sig)
{
        (void)pidfd;
        (void)sig;
        return -ENOSYS;
}

int sp_pidfd_wait_exit(int pidfd, int timeout_ms)
{
        (void)pidfd;
        (void)timeout_ms;
        return -ENOSYS;
}

int sp_pidfile_prove(pid_t pid, dev_t dev, ino_t ino, int *ret_pidfd)
{
        (void)pid;
        (void)dev;
        (void)ino;
        *ret_pidfd = -1;
        return -ENOTSUP;
}

int sp_pidfile_find_holders(dev_t dev, ino_t ino, struct sp_holder *ret, size_t max,
                            bool *ret_incomplete)
{
        (void)dev;
        (void)ino;
        (void)ret;
        (void)max;
        *ret_incomplete = true;
        return -ENOTSUP;
}

int sp_pid_matches(pid_t pid, const struct sp_match *m, int *ret_pidfd)
{
        (void)pid;
        (void)m;
        *ret_pidfd = -1;
        return -ENOTSUP;
}

unsigned long long sp_child_start_time(pid_t pid)
{
        (void)pid;
        return 0;
}

int sp_pid_alive(pid_t pid)
{
        if (kill(pid, 0) == 0)
                return 1;
        return errno == ESRCH ? 0 : 1; /* EPERM: it exists, as somebody else's */
}

int sp_pidfile_read_locked(dev_t dev, ino_t ino)
{
        (void)dev;
        (void)ino;
        return -ENOTSUP;
}
