/* Issue 15, readiness, where the kernel does not tell a datagram's sender (no
 * SCM_CREDENTIALS): anybody who learned the socket's name could fake READY=1, so readiness
 * is refused with ENOTSUP rather than made unsafe. */
#include "run.h"

#include <errno.h>

int sp_ready_open(struct sp_run *run, char *entry, size_t size)
{
        (void)run;
        (void)entry;
        (void)size;
        return sp_error(ENOTSUP, "readiness (subproc_require_ready) is not supported here: "
                                 "the notify socket needs SCM_CREDENTIALS (Linux)");
}

int subproc_wait_ready(subproc *c, int timeout_ms)
{
        (void)c;
        (void)timeout_ms;
        return sp_error(ENOTSUP, "readiness (subproc_wait_ready) is not supported here: "
                                 "the notify socket needs SCM_CREDENTIALS (Linux)");
}
