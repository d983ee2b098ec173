/* The helper's report (tests/helper.c): running the helper for one, parsing it, reading it.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef T_SUPPORT_REPORT_H
#define T_SUPPORT_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include <subproc.h>

#ifndef HELPER_PATH
#define HELPER_PATH "subproc-test-helper"
#endif

/* A parsed helper report: an ordered list of key=value lines with unescaped values. */
struct helper_report;

struct helper_report *t_report_parse(const char *text, size_t len);
/* Read and parse a report file written with --report=PATH; fails the test if unreadable. */
struct helper_report *t_report_read_file(const char *path);
void t_report_free(struct helper_report *r);
/* The value of the first line with this key, or NULL. */
const char *t_report_get(const struct helper_report *r, const char *key);
/* The same with a printf-built key, e.g. t_report_getf(r, "argv[%d]", 2). */
const char *t_report_getf(const struct helper_report *r, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* The value of `key` as an integer (base 0: decimal, 0x hex); fails the test if missing. */
long long t_report_get_int(const struct helper_report *r, const char *key);
size_t t_report_count(const struct helper_report *r, const char *key);
const char *t_report_nth(const struct helper_report *r, const char *key, size_t n);
/* The child's open fds as "0 1 2 7" (ascending); malloc'd. */
char *t_report_fd_set(const struct helper_report *r);
bool t_report_has_fd(const struct helper_report *r, int fd);
/* The value of environment variable `name` in the child, or NULL. */
const char *t_report_env(const struct helper_report *r, const char *name);
size_t t_report_env_count(const struct helper_report *r);
/* The child's argv as a NULL-terminated malloc'd array of malloc'd strings. */
char **t_report_argv(const struct helper_report *r);
void t_strv_free(char **strv);

/* Register `out` (which must live as long as `c`) as the output buffer of `c` (whose stdout
 * must be free), run `c` to completion, assert it exited 0, and parse its report.  *out is
 * freed and reset to NULL before returning.  For later runs of the same command use
 * t_run_report_again(), which does not register the buffer a second time. */
struct helper_report *t_run_report(subproc *c, char **out);
struct helper_report *t_run_report_again(subproc *c, char **out);
/* Fork; the forked process runs subproc_exec(c) with its stdout on a pipe and, if that
 * returns, exits 100.  Returns the helper's report; *ret_pid and *ret_status (each may be
 * NULL) get the forked process's pid and reaped status.  One such command at a time: the
 * command keeps a pointer to this function's pipe until it is freed. */
struct helper_report *t_exec_report_in_fork(subproc *c, pid_t *ret_pid, int *ret_status);
/* Append "--report=<temp file>" to `c`, run it (asserting exit 0), parse and remove the file. */
struct helper_report *t_run_report_file(subproc *c);

/* Helpers that report nothing (--no-report): one that exits with `code`; one that sleeps a
 * minute (a hang guard: a case always stops it before); one that runs until its stdin (a
 * pipe: *read_fd is the read end, which the caller closes once the child has started, and
 * *release_fd the write end) is closed, then exits with `code`. */
subproc *t_helper_exiting(int code);
subproc *t_helper_sleeping(void);
subproc *t_helper_until_released(int code, int *read_fd, int *release_fd);

/* The hex value of a report key such as "sigblk"; fails the test if missing. */
unsigned long long t_report_hex(const struct helper_report *r, const char *key);
/* Fail unless the child's fds are exactly `expected`, e.g. "0 1 2 7". */
void t_check_fd_set(const struct helper_report *r, const char *expected);

#endif /* T_SUPPORT_REPORT_H */
