/* Starting the child with fork(), then the same child code: on systems without Linux's
 * clone(), and on Linux with -Dspawn=fork.  The child has its own copy of our memory here, so
 * this costs more in a large parent.
 *
 * fork(), not _Fork(): the child calls libc (sys-posix.h), and glibc puts its thread state
 * right for a one-thread child only in fork(); without that its setresuid() would try to
 * signal threads that are not there, under a lock another thread may have held. */
#include "spawn.h"
#include "process.h"

#include <errno.h>
#include <unistd.h>

/* A forked child writes its own copy of our memory: it reports through a pipe. */
bool sp_child_reports_in_memory(const struct sp_plan *plan)
{
        (void)plan;
        return false;
}

pid_t sp_start_child(struct sp_plan *plan, int *ret_pidfd)
{
        pid_t pid = fork();

        *ret_pidfd = -1;
        if (pid == 0)
                sp_child_run(plan);
        if (pid < 0)
                return -errno;
        /* Race-free while the child is unreaped; -1 where the system has no pidfds. */
        if (!plan->no_pidfd)
                *ret_pidfd = sp_pidfd_open(pid);
        return pid;
}
