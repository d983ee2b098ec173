/* Who holds a pidfile's lock, as the library takes it.  Header-only: tests/helper.c uses it.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef T_SUPPORT_LOCK_H
#define T_SUPPORT_LOCK_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/file.h>

#include "config.h" /* SUBPROC_PIDFILE_FLOCK: which lock the library's pidfiles take */

/* Whether a pidfile lock is held on the file of `fd` by another open file description than
 * fd's: 1 or 0, or -1 with errno when it cannot be told.  The lock is the library's: an
 * open-file-description fcntl() lock, tested without being taken, or flock() (built with
 * -Dpidfile_lock=flock), which can only be tested by taking it: then `holder` says that fd
 * belongs to the holder itself, whose exclusive lock a second exclusive request leaves alone,
 * and any other fd takes a shared lock for a moment (released: an untaken lock stays so). */
static inline int t_pidfile_lock_conflict(int fd, bool holder)
{
#if SUBPROC_PIDFILE_FLOCK
        if (flock(fd, (holder ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0) {
                if (!holder)
                        (void)flock(fd, LOCK_UN);
                return 0;
        }
        return errno == EWOULDBLOCK ? 1 : -1;
#else
        struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

        (void)holder;
        if (fcntl(fd, F_OFD_GETLK, &lk) != 0)
                return -1;
        return lk.l_type != F_UNLCK;
#endif
}

#endif /* T_SUPPORT_LOCK_H */
