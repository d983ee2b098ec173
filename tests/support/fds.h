/* The caller's fds: listing them, identities, and fds opened the careless way.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef T_SUPPORT_FDS_H
#define T_SUPPORT_FDS_H

#include <stdbool.h>
#include <stddef.h>

/* The caller's open fds, ascending (excluding the listing's own fd); *count gets their
 * number; malloc'd. */
int *t_list_fds(size_t *count);
/* `count` fds as "0 1 2 5"; malloc'd. */
char *t_format_fd_set(const int *fds, size_t count);
/* What /proc/self/fd says fd is ("?" if unreadable); malloc'd. */
char *t_fd_target(int fd);

/* Open fds of the caller as "0 1 2 5" (ascending, excluding the listing's own fd). */
char *t_caller_fd_set(void);
bool t_fd_is_open(int fd);
/* "DEV:INO" of an fd of the caller, as the helper prints it for its own fds; malloc'd. */
char *t_fd_identity(int fd);
/* Open fds without O_CLOEXEC, the way careless code in a big program does: /dev/null, a pipe,
 * a socketpair, a dup at >= 100 and one at `high` (if >= 0).  Returns how many it stored in
 * `fds` (at most 8). */
size_t t_open_leaky_fds(int *fds, int high);
/* 1000 if RLIMIT_NOFILE allows such an fd, else -1. */
int t_high_fd_within_limit(void);
void t_close_fds(const int *fds, size_t n);

#endif /* T_SUPPORT_FDS_H */
