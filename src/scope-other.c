/* Scopes are cgroups, Linux's: subproc_set_cgroup_scope() makes a run fail elsewhere. */
#include "scope.h"

#include <errno.h>
#include <string.h>

int sp_scope_create(struct sp_scope *s, const char *parent_dir)
{
        *s = (struct sp_scope)SP_SCOPE_NONE;
        sp_error(ENOTSUP, "cgroup scope under %s: cgroups are not supported here", parent_dir);
        sp_error_set_stage(SUBPROC_STAGE_SETUP);
        return -1;
}

int sp_scope_kill(const struct sp_scope *s, int sig)
{
        (void)s;
        (void)sig;
        return -ENOTSUP;
}

bool sp_scope_populated(const struct sp_scope *s)
{
        (void)s;
        return false;
}

bool sp_scope_wait_empty(const struct sp_scope *s, long long deadline)
{
        (void)s;
        (void)deadline;
        return true;
}

int sp_scope_read_stat(const struct sp_scope *s, struct subproc_scope_stat *st)
{
        (void)s;
        (void)st;
        return -ENOTSUP;
}

void sp_scope_close(struct sp_scope *s, bool remove)
{
        (void)remove;
        *s = (struct sp_scope)SP_SCOPE_NONE;
}
