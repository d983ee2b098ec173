/* Exit with the parent on Linux: PR_SET_PDEATHSIG. */
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int subproc_exit_with_parent(void)
{
        pid_t parent = getppid();

        if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0)
                return sp_error(errno, "prctl(PR_SET_PDEATHSIG): %s", strerror(errno));
        /* The parent may have died before the signal was armed: it will never come then. */
        if (getppid() != parent)
                raise(SIGTERM);
        return 0;
}

bool subproc_can_exit_with_parent(void)
{
        return true;
}
