/* Pidfiles: reading one in a test, a helper that holds one, stopping a holder.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef T_SUPPORT_PIDFILE_H
#define T_SUPPORT_PIDFILE_H

#include <sys/types.h>

#include <subproc.h>

#include "lock.h"

/* The decimal text of `pid`; malloc'd. */
char *t_pid_text(pid_t pid);
/* The pid stored in `path` (subproc_pidfile_read()), failing the test if it cannot be read. */
pid_t t_read_pid(const char *path);
/* subproc_pidfile_read_if_alive() of `path`, failing the test unless it returns 0. */
pid_t t_read_alive(const char *path);
/* A helper that holds `pidfile` and runs until its stdin (whose write end goes to
 * *release_fd) is closed. */
subproc *t_holder_start(const char *pidfile, int *release_fd, pid_t *ret_pid);
void t_holder_stop(subproc *c, int release_fd);
/* Stop the holder of a pidfile as a case's cleanup: subproc_pidfile_force_cleanup(), or,
 * without pidfds, where it must refuse, a SIGKILL by pid to the holder it names.  0 or -1. */
int t_stop_pidfile(const char *path);

#endif /* T_SUPPORT_PIDFILE_H */
