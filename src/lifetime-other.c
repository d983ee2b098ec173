/* Exit with the parent where the system offers no way to do it. */
#include "util.h"

#include <errno.h>

int subproc_exit_with_parent(void)
{
        return sp_error(ENOTSUP, "exit with parent is not supported on this system");
}

bool subproc_can_exit_with_parent(void)
{
        return false;
}
