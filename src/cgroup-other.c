/* cgroups are Linux's: subproc_set_cgroup() makes a run fail elsewhere. */
#include "spawn.h"

#include <errno.h>
#include <string.h>

int sp_cgroup_open(const char *dir, const int *avoid, size_t n)
{
        sp_error(EOPNOTSUPP, "cgroup %s: %s", dir, strerror(EOPNOTSUPP));
        sp_error_set_stage(SUBPROC_STAGE_SETUP);
        return -1;
}
