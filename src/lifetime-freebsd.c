/* Exit with the parent on FreeBSD: procctl(PROC_PDEATHSIG_CTL). */
#include "internal.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/procctl.h>
#include <unistd.h>

int subproc_exit_with_parent(void)
{
        pid_t parent = getppid();
        int sig = SIGTERM;

        if (procctl(P_PID, 0, PROC_PDEATHSIG_CTL, &sig) < 0)
                return sp_error(errno, "procctl(PROC_PDEATHSIG_CTL): %s", strerror(errno));
        if (getppid() != parent)
                raise(SIGTERM);
        return 0;
}

bool subproc_can_exit_with_parent(void)
{
        return true;
}
