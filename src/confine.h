/* Issue 14, confinement: what the parent needs to prepare a seccomp filter and a Landlock
 * ruleset for the child (command-process.c, plan.c, check.c).  The child's side is
 * apply_confinement() in child.c.
 *
 * A BPF program's layout comes from sock-filter.h (<linux/filter.h> where there is one); the
 * child sees it as child.h's struct sp_bpf_prog. */
#ifndef SUBPROC_CONFINE_H
#define SUBPROC_CONFINE_H

#include "child.h"
#include "sock-filter.h"

#include <stdint.h>

/* Why this system cannot install a seccomp filter or restrict a child with Landlock, or NULL
 * when it can.  Asked only of a command that uses them (a system call on Linux).  Keeps
 * errno. */
SP_HIDDEN const char *sp_seccomp_missing(void);
SP_HIDDEN const char *sp_landlock_missing(void);

/* 0 when `fd` is open and, as far as /proc/self/fd tells, a Landlock ruleset; else -1 with the
 * thread's error set: EBADF (not open) or EINVAL (something else). */
SP_HIDDEN int sp_landlock_check_fd(int fd);

#endif
