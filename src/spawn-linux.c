/* Starting the child on Linux: clone(CLONE_VM|CLONE_VFORK) on a small stack of our own.
 *
 * The child shares our memory, so creating it copies no page tables and costs the same in a
 * parent of 10 MiB or 10 GiB; CLONE_VFORK suspends this thread until the child has exec'd or
 * exited, so the plan and the stack stay valid for as long as the child uses them.  Other
 * threads keep running.  A pre-exec hook (arbitrary caller code) or a handshake (we must run
 * while the child waits) needs a child with memory of its own: fork. */
#include "internal.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

/* Two halves: the child's, and below it the daemon's when daemonizing.  Each holds
 * sp_child_run's frames (a 2 KiB dirent buffer at most); no libc code runs on them. */
#define CHILD_STACK_SIZE (32 * 1024)

static int child_entry(void *plan)
{
        sp_child_run(plan);
}

/* fork without the atfork handlers, which may take locks: glibc 2.34's _Fork. */
static pid_t fork_for_child(void)
{
#if HAVE__FORK
        return _Fork();
#else
        return fork();
#endif
}

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

pid_t sp_start_child(struct sp_plan *plan, int *ret_pidfd)
{
        char stack[CHILD_STACK_SIZE] __attribute__((aligned(64)));
        int flags = CLONE_VM | CLONE_VFORK | SIGCHLD;
        pid_t pid;

        *ret_pidfd = -1;
        /* The stack grows down on every architecture this file is built for. */
        plan->daemon_stack = stack + CHILD_STACK_SIZE / 2;
        if (plan->use_fork) {
                pid = fork_for_child();
                if (pid == 0)
                        sp_child_run(plan);
                if (pid > 0)
                        *ret_pidfd = sp_pidfd_open(pid);
                return pid < 0 ? -errno : pid;
        }
        /* The pidfd comes with the child, so no later pidfd_open() can race with anything. */
        pid = clone(child_entry, stack + sizeof stack, flags | (sp_test_no_pidfd ? 0 : CLONE_PIDFD),
                    plan, ret_pidfd);
        if (pid < 0 && (errno == EINVAL || errno == ENOSYS || errno == EPERM) &&
            !sp_test_no_pidfd) {
                /* Linux < 5.2 rejects CLONE_PIDFD; a sandbox may refuse it otherwise. */
                *ret_pidfd = -1;
                pid = clone(child_entry, stack + sizeof stack, flags, plan);
        }
        return pid < 0 ? -errno : pid;
}
