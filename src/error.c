/* Per-thread error messages. */
#include "util.h"

#include <errno.h>
#include <stdio.h>

static _Thread_local char error_message[1024];
static _Thread_local enum subproc_stage error_stage;

int sp_verror(int errnum, const char *fmt, va_list ap)
{
        vsnprintf(error_message, sizeof error_message, fmt, ap);
        error_stage = SUBPROC_STAGE_NONE;
        errno = errnum;
        return -1;
}

int sp_error(int errnum, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        sp_verror(errnum, fmt, ap);
        va_end(ap);
        return -1;
}

void sp_error_clear(void)
{
        error_message[0] = '\0';
        error_stage = SUBPROC_STAGE_NONE;
}

void sp_error_set_stage(enum subproc_stage stage)
{
        error_stage = stage;
}

enum subproc_stage subproc_errstage(void)
{
        return error_stage;
}

const char *subproc_errmsg(void)
{
        return error_message;
}
