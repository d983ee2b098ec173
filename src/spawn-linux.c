/* Starting the child on Linux: clone(CLONE_VM|CLONE_VFORK) on a small stack of our own.
 *
 * The child shares our memory, so creating it copies no page tables and costs the same in a
 * parent of 10 MiB or 10 GiB; CLONE_VFORK suspends this thread until the child has exec'd or
 * exited, so the plan and the stack stay valid for as long as the child uses them.  Other
 * threads keep running. */
#include "internal.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>

/* Enough for sp_child_run (a 2 KiB dirent buffer and a few frames); no libc code runs on it. */
#define CHILD_STACK_SIZE (16 * 1024)

static int child_entry(void *plan)
{
        sp_child_run(plan);
}

pid_t sp_start_child(const struct sp_plan *plan)
{
        char stack[CHILD_STACK_SIZE] __attribute__((aligned(64)));
        pid_t pid;

        /* The stack grows down on every architecture this file is built for. */
        pid = clone(child_entry, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD,
                    (void *)plan);
        return pid < 0 ? -errno : pid;
}
