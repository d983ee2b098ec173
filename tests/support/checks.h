/* Readable assertions (cmocka prints integers in hex) and checks of a run's outcome.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef T_SUPPORT_CHECKS_H
#define T_SUPPORT_CHECKS_H

#include <stdbool.h>
#include <stddef.h>

#include <subproc.h>

#define assert_ll_equal(actual, expected) \
        t_assert_ll_equal((long long)(actual), (long long)(expected), #actual, __FILE__, __LINE__)
void t_assert_ll_equal(long long actual, long long expected, const char *what, const char *file,
                       int line);
#define assert_errno_equal(actual, expected) \
        t_assert_errno_equal((actual), (expected), __FILE__, __LINE__)
void t_assert_errno_equal(int actual, int expected, const char *file, int line);
#define assert_contains(haystack, needle) \
        t_assert_contains((haystack), (needle), __FILE__, __LINE__)
void t_assert_contains(const char *haystack, const char *needle, const char *file, int line);
#define assert_bytes_equal(actual, actual_len, expected, expected_len) \
        t_assert_bytes_equal((actual), (actual_len), (expected), (expected_len), __FILE__, __LINE__)
void t_assert_bytes_equal(const void *actual, size_t actual_len, const void *expected,
                          size_t expected_len, const char *file, int line);

/* Fail unless the wait status `status` is a death by signal `sig`. */
#define assert_killed_by(status, sig) t_assert_killed_by((status), (sig), __FILE__, __LINE__)
void t_assert_killed_by(int status, int sig, const char *file, int line);

/* Run and expect failure with `expected_errno` and a message containing `msg_part` (NULL: only
 * non-empty); also check no child is left.  The async form uses subproc_run_async().  The
 * _with_children form is for a caller that has other children running: it leaves them be. */
#define assert_run_fails(c, expected_errno, msg_part) \
        t_assert_run_fails((c), T_RUN_SYNC, (expected_errno), (msg_part), __FILE__, __LINE__)
#define assert_run_async_fails(c, expected_errno, msg_part) \
        t_assert_run_fails((c), T_RUN_ASYNC, (expected_errno), (msg_part), __FILE__, __LINE__)
#define assert_run_fails_with_children(c, expected_errno, msg_part)                                \
        t_assert_run_fails((c), T_RUN_SYNC_OTHER_CHILDREN, (expected_errno), (msg_part), __FILE__, \
                           __LINE__)
enum t_run_how {
        T_RUN_SYNC,                /* subproc_run(), then no child may be left */
        T_RUN_ASYNC,               /* subproc_run_async(), then no child may be left */
        T_RUN_SYNC_OTHER_CHILDREN, /* subproc_run(); the caller's other children stay */
};
void t_assert_run_fails(subproc *c, enum t_run_how how, int expected_errno, const char *msg_part,
                        const char *file, int line);

#endif /* T_SUPPORT_CHECKS_H */
