/* Issue 14, confinement on Linux: whether the kernel has seccomp filters and Landlock, and
 * whether the caller's fd is a Landlock ruleset, asked in the parent before a child is made. */
#include "confine.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The child hands seccomp() our struct sp_bpf_prog as the kernel's struct sock_fprog. */
_Static_assert(sizeof(struct sock_filter) == 8, "a BPF instruction is 8 bytes");
_Static_assert(sizeof(struct sp_bpf_prog) == sizeof(struct sock_fprog) &&
                       offsetof(struct sp_bpf_prog, len) == offsetof(struct sock_fprog, len) &&
                       offsetof(struct sp_bpf_prog, insns) == offsetof(struct sock_fprog, filter),
               "struct sp_bpf_prog is laid out as struct sock_fprog");

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444 /* the same number on every architecture */
#endif
#define LANDLOCK_VERSION_FLAG (1U << 0) /* LANDLOCK_CREATE_RULESET_VERSION */

const char *sp_seccomp_missing(void)
{
        int saved_errno = errno;
        int r = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
        const char *why = r < 0 && errno == EINVAL ? "the kernel was built without seccomp" : NULL;

        errno = saved_errno;
        return why;
}

const char *sp_landlock_missing(void)
{
        int saved_errno = errno;
        long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_VERSION_FLAG);
        const char *why = NULL;

        if (abi < 0 && errno == ENOSYS)
                why = "the kernel has no Landlock (Linux 5.13 brought it)";
        else if (abi < 0 && errno == EOPNOTSUPP)
                why = "Landlock is disabled in this kernel (see the lsm= boot parameter)";
        errno = saved_errno;
        return why;
}

int sp_landlock_check_fd(int fd)
{
        char link[64], target[128];
        ssize_t n;

        if (fcntl(fd, F_GETFD) < 0)
                return sp_error(EBADF, "Landlock ruleset fd %d: %s", fd, strerror(EBADF));
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        n = readlink(link, target, sizeof target - 1);
        if (n < 0)
                return 0; /* no /proc: the kernel's EBADFD in the child will say it */
        target[n] = '\0';
        /* Kernels differ in the brackets around an anonymous inode's name. */
        if (strcmp(target, "anon_inode:[landlock-ruleset]") != 0 &&
            strcmp(target, "anon_inode:landlock-ruleset") != 0)
                return sp_error(EINVAL, "fd %d is not a Landlock ruleset but %s", fd, target);
        return 0;
}
