/* Helpers every parent-side file of the library may use: errors, string lists and buffers,
 * fds, time, PATH lookup.  None of them knows the command or the run. */
#ifndef SUBPROC_UTIL_H
#define SUBPROC_UTIL_H

#include "config.h"
#include "compat.h"
#include "subproc.h"

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- errors (error.c) ------------------------------------------------------------------ */

/* Set errno to `errnum` and the calling thread's message; always returns -1. */
SP_HIDDEN int sp_error(int errnum, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
SP_HIDDEN int sp_verror(int errnum, const char *fmt, va_list ap)
        __attribute__((format(printf, 2, 0)));
/* Clear the calling thread's message. */
SP_HIDDEN void sp_error_clear(void);
/* Tag the error just set with the stage that failed (sp_error resets it to NONE). */
SP_HIDDEN void sp_error_set_stage(enum subproc_stage stage);

/* ---- a growable list of owned strings (strv.c) ------------------------------------- */

struct sp_strv {
        char **items; /* NULL-terminated when n > 0 */
        size_t n;
        size_t cap;
};

SP_HIDDEN int sp_strv_push_take(struct sp_strv *v, char *s); /* -ENOMEM; frees s on failure */
SP_HIDDEN void sp_strv_free(struct sp_strv *v);

/* ---- PATH lookup (path.c) --------------------------------------------------------------- */

/* Resolve argv[0] for exec: a name with '/' is used as it is; a bare name is searched in the
 * caller's PATH (confstr(_CS_PATH) when unset; empty and relative entries skipped).
 * On success *ret_path is a malloc'd string.  Sets the thread's error and returns -1. */
SP_HIDDEN int sp_path_resolve(const char *name, char **ret_path);

/* ---- quoting (quote.c) ------------------------------------------------------------------ */

/* Append the shell-quoted form of s to the malloc'd string buffer. */
struct sp_buf {
        char *data;
        size_t len;
        size_t cap;
        bool oom;
};
SP_HIDDEN void sp_buf_append(struct sp_buf *b, const char *s, size_t n);
SP_HIDDEN void sp_buf_puts(struct sp_buf *b, const char *s);
SP_HIDDEN void sp_buf_quote(struct sp_buf *b, const char *s);
SP_HIDDEN char *sp_buf_steal(struct sp_buf *b); /* NULL (errno ENOMEM) if an append failed */

/* ---- fds (fd.c) ------------------------------------------------------------------------ */

SP_HIDDEN int sp_set_cloexec(int fd, bool on);
SP_HIDDEN int sp_set_nonblock(int fd, bool on);
/* pipe2(O_CLOEXEC) with both ends at 3 or above (sp_fd_above_stdio()): 0 or -1 with errno. */
SP_HIDDEN int sp_pipe_cloexec(int fds[2]);
/* Every fd the library opens for itself in the parent goes through this: fd itself when it
 * is not 0, 1 or 2 (or < 0), else a close-on-exec copy at 3 or above, fd closed (-1 with errno
 * if that fails).  A caller may run with its stdio closed. */
SP_HIDDEN int sp_fd_above_stdio(int fd);
/* A close-on-exec copy of fd numbered >= 3 and listed nowhere in avoid[0..n), or -errno. */
SP_HIDDEN int sp_fd_dup_avoiding(int fd, const int *avoid, size_t n);
/* fd itself when it already is such a number, else such a copy with fd closed (in every
 * case); -errno on failure. */
SP_HIDDEN int sp_fd_move_avoiding(int fd, const int *avoid, size_t n);
/* close() that keeps errno and ignores -1. */
SP_HIDDEN void sp_close(int *fd);

/* ---- signal sets (fork.c) -------------------------------------------------------------- */

/* Signals 1..64 of a sigset_t as the kernel's 64-bit mask (the plan's form of a mask). */
SP_HIDDEN uint64_t sp_sigset_low64(const sigset_t *set);

/* ---- time (clock.c) -------------------------------------------------------------------- */

/* A deadline that never comes. */
#define SP_NEVER LLONG_MAX
/* CLOCK_MONOTONIC in milliseconds. */
SP_HIDDEN long long sp_now_ms(void);

#endif
