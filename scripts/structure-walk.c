/* Trace one buffered subproc_run() for scripts/structure.sh.
 *
 * Linked with a library compiled with -finstrument-functions: gcc calls the two hooks below on
 * entry to and exit from every library function.  They record the function's address while the
 * driver's own thread is inside subproc_run(); the record is written to argv[1] afterwards, one
 * "E|X ADDRESS" line per event.
 *
 * The child that clone(CLONE_VM) starts shares this memory: its functions must not record (the
 * script compiles the child code without instrumentation; the thread id check is a second line
 * of defence, and keeps another thread or a fork()ed child out of the record too).  The hooks
 * therefore write nothing before checking, and call only syscall(), resolved at load time
 * (-z now) so that no lazy PLT binding happens in the child. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "subproc.h"

#define MAX_EVENTS (1 << 16)

static struct {
        char kind;
        void *fn;
} events[MAX_EVENTS];
static size_t nevents;
static long tracing_tid;

void __cyg_profile_func_enter(void *fn, void *site) __attribute__((no_instrument_function));
void __cyg_profile_func_exit(void *fn, void *site) __attribute__((no_instrument_function));

static void record(char kind, void *fn)
{
        if (tracing_tid == 0 || syscall(SYS_gettid) != tracing_tid || nevents == MAX_EVENTS)
                return;
        events[nevents].kind = kind;
        events[nevents].fn = fn;
        nevents++;
}

void __cyg_profile_func_enter(void *fn, void *site)
{
        record('E', fn);
}

void __cyg_profile_func_exit(void *fn, void *site)
{
        record('X', fn);
}

int main(int argc, char **argv)
{
        char *out = NULL, *err = NULL;
        int status = -1;

        if (argc != 2) {
                fprintf(stderr, "usage: %s TRACE-FILE\n", argv[0]);
                return 2;
        }
        /* The command of the walk; keep it in step with the header of scripts/structure.sh. */
        subproc *c = subproc_new("/bin/sh");
        subproc_add_args(c, "-c", "echo out; echo err >&2", (char *)NULL);
        subproc_set_output_buffer(c, &out);
        subproc_set_error_buffer(c, &err);

        tracing_tid = syscall(SYS_gettid);
        int rc = subproc_run(c, &status);
        tracing_tid = 0;

        if (rc < 0 || status != 0 || !out || !err || strcmp(out, "out\n") || strcmp(err, "err\n")) {
                fprintf(stderr, "structure-walk: the traced run went wrong: rc %d status %d: %s\n",
                        rc, status, rc < 0 ? subproc_errmsg() : "unexpected output");
                return 1;
        }
        if (nevents == MAX_EVENTS) {
                fprintf(stderr, "structure-walk: more than %d events\n", MAX_EVENTS);
                return 1;
        }
        FILE *f = fopen(argv[1], "w");
        if (!f)
                return 1;
        for (size_t i = 0; i < nevents; i++)
                fprintf(f, "%c %lx\n", events[i].kind, (unsigned long)events[i].fn);
        free(out);
        free(err);
        subproc_free(c);
        return fclose(f) == 0 ? 0 : 1;
}
