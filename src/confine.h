/* Issue 14, confinement: what the parent needs to prepare a seccomp filter and a Landlock
 * ruleset for the child (command-process.c, plan.c, check.c).  The child's side is
 * apply_confinement() in child.c.
 *
 * No <linux/filter.h> here: musl's toolchain and the other systems have no kernel headers, and
 * the layout of a BPF program is part of Linux's ABI (the struct sp_bpf_prog of child.h). */
#ifndef SUBPROC_CONFINE_H
#define SUBPROC_CONFINE_H

#include "child.h"

#include <stdint.h>

#if defined(__has_include)
#if __has_include(<linux/filter.h>)
#include <linux/filter.h>
#define SP_HAVE_LINUX_FILTER_H 1
#endif
#endif
#ifndef SP_HAVE_LINUX_FILTER_H
/* As linux/filter.h lays them out (the public header only declares struct sock_fprog). */
struct sock_filter {
        uint16_t code;
        uint8_t jt;
        uint8_t jf;
        uint32_t k;
};
struct sock_fprog {
        unsigned short len;
        struct sock_filter *filter;
};
#define BPF_MAXINSNS 4096
#endif

/* Why this system cannot install a seccomp filter or restrict a child with Landlock, or NULL
 * when it can.  Asked only of a command that uses them (a system call on Linux).  Keeps
 * errno. */
SP_HIDDEN const char *sp_seccomp_missing(void);
SP_HIDDEN const char *sp_landlock_missing(void);

/* 0 when `fd` is open and, as far as /proc/self/fd tells, a Landlock ruleset; else -1 with the
 * thread's error set: EBADF (not open) or EINVAL (something else). */
SP_HIDDEN int sp_landlock_check_fd(int fd);

#endif
