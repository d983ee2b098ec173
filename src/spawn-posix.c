/* Starting the child on systems without Linux's clone(): fork(), then the same child code.
 * The child has its own copy of our memory here, so this costs more in a large parent. */
#include "internal.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

pid_t sp_start_child(struct sp_plan *plan, int *ret_pidfd)
{
        pid_t pid = fork();

        *ret_pidfd = -1;

        if (pid == 0)
                sp_child_run(plan);
        return pid < 0 ? -errno : pid;
}

/* cgroups are Linux's. */
int sp_cgroup_open(const char *dir, const int *avoid, size_t n)
{
        sp_error(EOPNOTSUPP, "cgroup %s: %s", dir, strerror(EOPNOTSUPP));
        sp_error_set_stage(SUBPROC_STAGE_SETUP);
        return -1;
}
