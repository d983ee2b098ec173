/* Readable assertions; see assert.h.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "support.h"

void t_assert_ll_equal(long long actual, long long expected, const char *what, const char *file,
                       int line)
{
        if (actual == expected)
                return;
        print_error("%s is %lld, expected %lld\n", what, actual, expected);
        _fail(file, line);
}

void t_assert_errno_equal(int actual, int expected, const char *file, int line)
{
        if (actual == expected)
                return;
        print_error("errno is %d (%s), expected %d (%s)\n", actual, strerror(actual), expected,
                    strerror(expected));
        _fail(file, line);
}

void t_assert_contains(const char *haystack, const char *needle, const char *file, int line)
{
        if (haystack != NULL && strstr(haystack, needle) != NULL)
                return;
        print_error("\"%s\" does not contain \"%s\"\n", haystack != NULL ? haystack : "(null)",
                    needle);
        _fail(file, line);
}

void t_assert_bytes_equal(const void *actual, size_t actual_len, const void *expected,
                          size_t expected_len, const char *file, int line)
{
        const unsigned char *a = actual, *e = expected;
        size_t common = actual_len < expected_len ? actual_len : expected_len;

        if (actual == NULL) {
                print_error("buffer is NULL, expected %zu bytes\n", expected_len);
                _fail(file, line);
        }
        for (size_t i = 0; i < common; i++) {
                if (a[i] != e[i]) {
                        print_error("buffers differ at byte %zu of %zu: 0x%02x, expected 0x%02x\n",
                                    i, expected_len, a[i], e[i]);
                        _fail(file, line);
                }
        }
        if (actual_len != expected_len) {
                print_error("buffer has %zu bytes, expected %zu\n", actual_len, expected_len);
                _fail(file, line);
        }
}

void t_assert_run_fails(subproc *c, enum t_run_how how, int expected_errno, const char *msg_part,
                        const char *file, int line)
{
        bool async = how == T_RUN_ASYNC;
        pid_t pid = -1;
        int rc, saved_errno;
        char *msg;

        errno = 0;
        rc = async ? subproc_run_async(c, &pid) : subproc_run(c, NULL);
        saved_errno = errno;
        msg = strdup(subproc_errmsg());
        if (rc != -1) {
                print_error("%s returned %d, expected -1 (errno %d)\n",
                            async ? "subproc_run_async" : "subproc_run", rc, expected_errno);
                free(msg);
                if (async && rc == 0)
                        subproc_wait(c, NULL);
                _fail(file, line);
        }
        if (saved_errno != expected_errno) {
                print_error("message: %s\n", msg);
                free(msg);
                t_assert_errno_equal(saved_errno, expected_errno, file, line);
        }
        if (msg[0] == '\0') {
                print_error("no error message\n");
                free(msg);
                _fail(file, line);
        }
        if (msg_part != NULL && strstr(msg, msg_part) == NULL) {
                print_error("message \"%s\" does not contain \"%s\"\n", msg, msg_part);
                free(msg);
                _fail(file, line);
        }
        free(msg);
        if (how != T_RUN_SYNC_OTHER_CHILDREN)
                t_assert_no_children(file, line);
}

void t_assert_killed_by(int status, int sig, const char *file, int line)
{
        if (status == -1 || !WIFSIGNALED(status) || WTERMSIG(status) != sig) {
                print_error("wait status 0x%x, expected death by signal %d (%s)\n",
                            (unsigned)status, sig, strsignal(sig));
                _fail(file, line);
        }
}
