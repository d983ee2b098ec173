/* What this build can give a child: a feature the system lacks is refused before any child is
 * made, with the reason, never silently left out.  The reasons are those of the child's own
 * system calls (sys-posix.h, SP_SYS_*_MISSING); the Linux child has everything. */
#include "internal.h"

#include <errno.h>

#if SUBPROC_SPAWN_FORK
#include "sys-posix.h"
#endif

#ifndef SP_SYS_DEATH_SIGNAL_MISSING
#define SP_SYS_DEATH_SIGNAL_MISSING NULL
#endif
#ifndef SP_SYS_NO_NEW_PRIVS_MISSING
#define SP_SYS_NO_NEW_PRIVS_MISSING NULL
#endif
#ifndef SP_SYS_CAPS_MISSING
#define SP_SYS_CAPS_MISSING NULL
#endif

#if !HAVE_MEMFD_CREATE
#define MAPPING_MISSING "no memfd_create() to make the memory file"
#else
#define MAPPING_MISSING NULL
#endif

static int refuse(bool asked, const char *what, const char *why)
{
        if (!asked || !why)
                return 0;
        return sp_error(ENOTSUP, "%s is not supported here: %s", what, why);
}

int sp_check_features(const subproc *c)
{
        if (refuse(c->death_signal != 0, "a death signal", SP_SYS_DEATH_SIGNAL_MISSING) < 0 ||
            refuse(c->no_new_privs, "no_new_privs", SP_SYS_NO_NEW_PRIVS_MISSING) < 0 ||
            refuse(c->clear_caps, "clearing capabilities", SP_SYS_CAPS_MISSING) < 0 ||
            refuse(c->output_mapped || c->error_mapped, "capturing into a memory file",
                   MAPPING_MISSING) < 0)
                return -1;
        return 0;
}
