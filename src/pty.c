/* Pseudo-terminals (issue 16), the caller's side: the pair each run opens, its window size.
 * Everything here happens in the parent; the child only makes the slave its controlling
 * terminal (child.c). */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

/* The master, close-on-exec from the start where the system takes the flag (Linux, FreeBSD);
 * elsewhere (macOS refuses flags it does not know) a fork in another thread may copy it in
 * the moment before the flag is set. */
static int open_master(void)
{
        int fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

        if (fd < 0 && errno == EINVAL) {
                fd = posix_openpt(O_RDWR | O_NOCTTY);
                if (fd >= 0 && sp_set_cloexec(fd, true) < 0) {
                        sp_close(&fd);
                        return -1;
                }
        }
        return sp_fd_above_stdio(fd);
}

/* The slave, opened O_NOCTTY: a caller that leads a session without a terminal would
 * otherwise get it as its own. */
static int open_slave(int master, const char *name)
{
        int fd = -1;

#ifdef TIOCGPTPEER
        /* Linux 4.13+: the very peer of this master, whatever the path resolves to. */
        fd = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
#else
        (void)master;
#endif
        if (fd < 0)
                fd = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
        return sp_fd_above_stdio(fd);
}

static int set_window_size(int master, unsigned short rows, unsigned short cols)
{
        struct winsize ws = { .ws_row = rows, .ws_col = cols };

        return ioctl(master, TIOCSWINSZ, &ws);
}

int sp_pty_open(const struct sp_config *cfg, struct sp_run *run, int *ret_master, int *ret_slave)
{
        int master = open_master(), slave, e;

        *ret_master = *ret_slave = -1;
        if (master < 0)
                return sp_error(errno, "cannot open a pty (posix_openpt): %s", strerror(errno));
        if (grantpt(master) < 0 || unlockpt(master) < 0) {
                e = errno;
                close(master);
                return sp_error(e, "cannot unlock the pty (grantpt, unlockpt): %s", strerror(e));
        }
        e = ptsname_r(master, run->pty_name, sizeof run->pty_name);
        if (e != 0) {
                close(master);
                return sp_error(e, "cannot name the pty (ptsname_r): %s", strerror(e));
        }
        slave = open_slave(master, run->pty_name);
        if (slave < 0) {
                e = errno;
                close(master);
                return sp_error(e, "cannot open the pty %s: %s", run->pty_name, strerror(e));
        }
        if ((cfg->pty_rows && set_window_size(master, cfg->pty_rows, cfg->pty_cols) < 0) ||
            (cfg->nonblocking && sp_set_nonblock(master, true) < 0)) {
                e = errno;
                close(slave);
                close(master);
                return sp_error(e, "cannot set up the pty %s: %s", run->pty_name, strerror(e));
        }
        *ret_master = master;
        *ret_slave = slave;
        return 0;
}

/* The caller owns the master and may have closed it: resize only while that number still
 * holds a master of the same pty. */
static bool master_is_ours(const struct sp_run *run)
{
        char name[sizeof run->pty_name];

        return ptsname_r(run->pty_master, name, sizeof name) == 0 &&
               strcmp(name, run->pty_name) == 0;
}

int subproc_pty_resize(subproc *c, unsigned short rows, unsigned short cols)
{
        if (!c)
                return sp_error(EINVAL, "subproc_pty_resize: the command is NULL");
        if (!c->cfg.pty_masterp || c->run.pty_master < 0)
                return sp_error(EINVAL, "subproc_pty_resize: the command has no pty (%s)",
                                c->cfg.pty_masterp ? "it has not run" : "no subproc_set_pty()");
        if ((rows == 0) != (cols == 0))
                return sp_error(EINVAL,
                                "subproc_pty_resize: window size %u x %u: rows and columns are "
                                "both 0 or both positive",
                                (unsigned)rows, (unsigned)cols);
        if (!master_is_ours(&c->run))
                return sp_error(EBADF, "subproc_pty_resize: fd %d is no longer the master of %s",
                                c->run.pty_master, c->run.pty_name);
        if (set_window_size(c->run.pty_master, rows, cols) < 0)
                return sp_error(errno, "subproc_pty_resize: %s: %s", c->run.pty_name,
                                strerror(errno));
        return 0;
}
