/* The cgroup a child is to run in (subproc_set_cgroup), opened by the parent: spawn-linux.c
 * creates the child inside it with clone3(CLONE_INTO_CGROUP), and a child that was not (an
 * old kernel, a v1 hierarchy, the fork() path) writes itself into its cgroup.procs through
 * this very fd. */
#include "spawn.h"
#include "test-knobs.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

/* Test knobs (test-knobs.h), here so that both Linux children have them. */
int sp_test_no_clone3;
unsigned sp_test_clone3_cgroup_spawns;
unsigned sp_test_clone3_attempts;

/* <linux/magic.h>'s values, spelled out: musl builds have no kernel headers. */
#define CGROUP_SUPER_MAGIC 0x27e0eb
#define CGROUP2_SUPER_MAGIC 0x63677270

static int cgroup_error(const char *dir, int err, const char *why)
{
        sp_error(err, "cgroup %s: %s", dir, why);
        sp_error_set_stage(SUBPROC_STAGE_SETUP); /* as if the child had failed to enter it */
        return -1;
}

int sp_cgroup_open(const char *dir, const int *avoid, size_t n)
{
        int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC), moved;
        struct statfs fs;

        if (fd < 0)
                return cgroup_error(dir, errno, strerror(errno));
        if (fstatfs(fd, &fs) < 0) {
                int e = errno;

                close(fd);
                return cgroup_error(dir, e, strerror(e));
        }
        /* Anywhere else, the fallback would write "0" into whatever file is called
         * cgroup.procs there. */
        if (fs.f_type != CGROUP2_SUPER_MAGIC && fs.f_type != CGROUP_SUPER_MAGIC) {
                close(fd);
                return cgroup_error(dir, EINVAL, "not a cgroup directory");
        }
        moved = sp_fd_move_avoiding(fd, avoid, n);
        if (moved < 0)
                return cgroup_error(dir, -moved, strerror(-moved));
        return moved;
}
