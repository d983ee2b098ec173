/* Exit with the parent on FreeBSD: procctl(PROC_PDEATHSIG_CTL), FreeBSD 11.2 and later.
 *
 * How it differs from Linux's PR_SET_PDEATHSIG: it follows the parent process, not the thread
 * that forked us; setuid() and friends keep it (Linux clears it); like Linux it is not
 * inherited by children and is cleared by exec of a set-user-ID or set-group-ID program, so a
 * program that is one is no longer covered. */
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/procctl.h>
#include <unistd.h>

int subproc_exit_with_parent(void)
{
        pid_t parent = getppid();
        int sig = SIGTERM;

        /* P_PID with id 0: this process; the kernel refuses any other for this command. */
        if (procctl(P_PID, 0, PROC_PDEATHSIG_CTL, &sig) < 0)
                return sp_error(errno, "procctl(PROC_PDEATHSIG_CTL): %s", strerror(errno));
        /* The parent may have died before the signal was armed: it will never come then, but
         * we have been reparented (to init or a PROC_REAP_ACQUIRE reaper) and getppid() tells.
         * kill(), not raise(): the kernel's signal goes to the process, not to this thread,
         * which may block it while another thread handles it. */
        if (getppid() != parent)
                kill(getpid(), SIGTERM);
        return 0;
}

bool subproc_can_exit_with_parent(void)
{
        return true;
}
