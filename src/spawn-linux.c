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

pid_t sp_start_child(struct sp_plan *plan)
{
        char stack[CHILD_STACK_SIZE] __attribute__((aligned(64)));
        pid_t pid;

        /* The stack grows down on every architecture this file is built for. */
        plan->daemon_stack = stack + CHILD_STACK_SIZE / 2;
        if (plan->use_fork) {
                pid = fork_for_child();
                if (pid == 0)
                        sp_child_run(plan);
        } else {
                pid = clone(child_entry, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD,
                            plan);
        }
        return pid < 0 ? -errno : pid;
}
