/* The builder's pseudo-terminal (issue 16): which of the child's streams are a new pty, and
 * its first window size.  The pty itself is opened by each run (pty.c). */
#include "command.h"

#include <errno.h>

void subproc_set_pty(subproc *c, int *master, unsigned streams, unsigned short rows,
                     unsigned short cols)
{
        if (sp_command_broken(c))
                return;
        if (!master) {
                sp_command_fail(c, EINVAL,
                                "subproc_set_pty: master is NULL: the caller must take the "
                                "pty's master (nobody else would read it)");
                return;
        }
        if (streams == 0 || (streams & ~(unsigned)SUBPROC_PTY_ALL)) {
                sp_command_fail(c, EINVAL,
                                "subproc_set_pty: streams 0x%x: give one or more of "
                                "SUBPROC_PTY_STDIN, _STDOUT, _STDERR (0x1, 0x2, 0x4)",
                                streams);
                return;
        }
        if ((rows == 0) != (cols == 0)) {
                sp_command_fail(c, EINVAL,
                                "subproc_set_pty: window size %u x %u: rows and columns are "
                                "both 0 (no size) or both positive",
                                (unsigned)rows, (unsigned)cols);
                return;
        }
        c->cfg.pty_masterp = master;
        c->cfg.pty_streams = streams;
        c->cfg.pty_rows = rows;
        c->cfg.pty_cols = cols;
}
