/* Numbers whose valid range depends on the system (issue 12): signal numbers, the same rule in
 * the library and the CLI (1..SIGRTMAX where there are real-time signals: 126 on FreeBSD, whose
 * NSIG is 32), and rlimit values, range-checked against the real rlim_t (signed on FreeBSD,
 * where 18446744073709551615 would become -1, RLIM_INFINITY to its kernel).
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "../src/compat.h" /* SP_FITS_TYPE: the range rule tools/parse.c applies to rlim_t */
#include "parse.h"
#include "support/support.h"

/* What the system calls a signal, spelled out here rather than taken from the library. */
static int system_signal_max(void)
{
#ifdef SIGRTMAX
        return SIGRTMAX;
#else
        return NSIG - 1;
#endif
}

/* Whether the library takes sig as a death signal (the builder defers its error). */
static bool library_takes_death_signal(int sig)
{
        subproc *c = subproc_new(HELPER_PATH);
        char *text;
        bool ok;

        assert_non_null(c);
        subproc_set_death_signal(c, sig);
        errno = 0;
        text = subproc_to_string(c, false);
        ok = text != NULL;
        if (!ok) {
                assert_errno_equal(errno, EINVAL);
                assert_non_null(strstr(subproc_errmsg(), "is not a signal"));
        }
        free(text);
        subproc_free(c);
        return ok;
}

static bool cli_takes_signal(int sig)
{
        char text[32];
        int parsed = -7;

        snprintf(text, sizeof text, "%d", sig);
        errno = 0;
        if (parse_signal(text, &parsed) == 0) {
                assert_int_equal(parsed, sig);
                return true;
        }
        assert_int_equal(parsed, -7);
        assert_errno_equal(errno, EINVAL);
        return false;
}

/* Every number around the range: the library, the CLI and the system agree on each. */
static void test_signal_numbers_library_and_cli_agree(void **state)
{
        const int max = system_signal_max();
        const int extremes[] = { INT_MIN, -1, 0, 1, NSIG - 1, NSIG, max, max + 1, INT_MAX };

        (void)state;
        assert_true(max >= NSIG - 1);
        for (int sig = -2; sig <= 300; sig++) {
                bool valid = sig >= 1 && sig <= max;

                if (library_takes_death_signal(sig) != valid)
                        fail_msg("library: signal %d %s (the system's highest is %d)", sig,
                                 valid ? "refused" : "accepted", max);
                if (cli_takes_signal(sig) != valid)
                        fail_msg("CLI: signal %d %s (the system's highest is %d)", sig,
                                 valid ? "refused" : "accepted", max);
        }
        for (size_t i = 0; i < sizeof extremes / sizeof extremes[0]; i++) {
                bool valid = extremes[i] >= 1 && extremes[i] <= max;

                assert_int_equal(library_takes_death_signal(extremes[i]), valid);
                assert_int_equal(cli_takes_signal(extremes[i]), valid);
        }
}

/* subproc_kill(): 0 probes, the system's highest signal is sent, one above it is refused. */
static void test_kill_takes_the_highest_signal(void **state)
{
        const int max = system_signal_max();
        subproc *c;
        int status = -1, top = max;

        (void)state;
        /* valgrind keeps the highest real-time signal for itself (kill() fails with EINVAL,
         * where a pid that cannot exist gives ESRCH): then send the highest one it leaves. */
        while (top > SIGTERM && kill(INT_MAX, top) != 0 && errno == EINVAL)
                top--;
        if (top != max)
                print_message("signal %d is reserved here (valgrind?): sending %d\n", max, top);
        c = subproc_new_args(HELPER_PATH, "--no-report", "--sleep-ms=60000", NULL);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        errno = 0;
        assert_ll_equal(subproc_kill(c, max + 1), -1);
        assert_errno_equal(errno, EINVAL);
        assert_ll_equal(subproc_kill(c, 0), 0);
        assert_ll_equal(subproc_kill(c, top), 0);
        (void)subproc_wait(c, &status);
        status = subproc_status(c); /* a variable: macOS's W* macros take its address */
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), top);
        subproc_free(c);
}

/* ---- rlimit values ---------------------------------------------------------------------- */

/* The largest rlim_t, worked out here without the library's macro. */
static unsigned long long rlim_t_max(void)
{
        if ((rlim_t)-1 > (rlim_t)0)
                return (unsigned long long)(rlim_t)-1;
        return ULLONG_MAX >> (CHAR_BIT * (sizeof(unsigned long long) - sizeof(rlim_t)) + 1);
}

/* "NOFILE=<text>" and "NOFILE=<text>:<text>": taken as the value v when `ok`, else ERANGE. */
static void check_rlimit_value(const char *text, unsigned long long v, bool ok)
{
        char option[128];
        int resource = -7;
        rlim_t soft = 7, hard = 7;

        for (int both = 0; both < 2; both++) {
                if (both)
                        snprintf(option, sizeof option, "NOFILE=%s:%s", text, text);
                else
                        snprintf(option, sizeof option, "NOFILE=%s", text);
                errno = 0;
                if (ok) {
                        if (parse_rlimit(option, &resource, &soft, &hard) != 0)
                                fail_msg("--rlimit %s refused: %s", option, strerror(errno));
                        assert_int_equal(resource, RLIMIT_NOFILE);
                        assert_true(soft == (rlim_t)v && hard == (rlim_t)v);
                        assert_true((unsigned long long)soft == v);
                } else {
                        if (parse_rlimit(option, &resource, &soft, &hard) != -1)
                                fail_msg("--rlimit %s accepted as %lld", option, (long long)soft);
                        assert_errno_equal(errno, ERANGE);
                        assert_int_equal(resource, -7);
                        assert_true(soft == 7 && hard == 7);
                }
        }
}

/* The parser on the boundary values of every width rlim_t has anywhere: a number is taken
 * when it is a value of rlim_t other than RLIM_INFINITY (which is spelled "unlimited"). */
static void test_rlimit_parser_boundaries(void **state)
{
        const unsigned long long max = rlim_t_max();
        const unsigned long long values[] = {
                0,
                1,
                0x7fffffffULL,
                0x80000000ULL,
                0xffffffffULL,
                0x100000000ULL,
                0x7ffffffffffffffeULL,
                0x7fffffffffffffffULL,
                0x8000000000000000ULL,
                0xfffffffffffffffeULL,
                0xffffffffffffffffULL,
                (unsigned long long)RLIM_INFINITY - 1,
                (unsigned long long)RLIM_INFINITY,
                (unsigned long long)RLIM_INFINITY + 1,
                max - 1,
                max,
        };
        int resource = -7;
        rlim_t soft = 7, hard = 7;

        (void)state;
        for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
                char text[32];
                unsigned long long v = values[i];

                snprintf(text, sizeof text, "%llu", v);
                check_rlimit_value(text, v, v <= max && (rlim_t)v != RLIM_INFINITY);
        }
        /* Past every width: 2^64, and 2^64 + 2^64 - 1 (wraps to 2^64 - 1 in 64 bits). */
        check_rlimit_value("18446744073709551616", 0, false);
        check_rlimit_value("36893488147419103231", 0, false);
        assert_int_equal(parse_rlimit("NOFILE=unlimited", &resource, &soft, &hard), 0);
        assert_true(soft == RLIM_INFINITY && hard == RLIM_INFINITY);
}

/* The rule itself on a signed and an unsigned 64-bit type (rlim_t is int64_t on FreeBSD,
 * uint64_t on Linux), and on narrower ones: whatever wraps to a value of the type in a cast
 * must still be out of range. */
static void test_type_range_rule(void **state)
{
        (void)state;
        assert_true(SP_TYPE_MAX(int64_t) == INT64_MAX);
        assert_true(SP_TYPE_MAX(uint64_t) == UINT64_MAX);
        assert_true(SP_TYPE_MAX(int32_t) == INT32_MAX);
        assert_true(SP_TYPE_MAX(uint32_t) == UINT32_MAX);
        assert_true(SP_TYPE_MAX(int16_t) == INT16_MAX);

        assert_true(SP_FITS_TYPE(0ULL, int64_t));
        assert_true(SP_FITS_TYPE(0x7fffffffffffffffULL, int64_t));
        assert_false(SP_FITS_TYPE(0x8000000000000000ULL, int64_t));
        assert_false(SP_FITS_TYPE(0xffffffffffffffffULL, int64_t)); /* -1 in a cast */
        assert_true(SP_FITS_TYPE(0xffffffffffffffffULL, uint64_t));
        assert_true(SP_FITS_TYPE(0x7fffffffULL, int32_t));
        assert_false(SP_FITS_TYPE(0x80000000ULL, int32_t));
        assert_false(SP_FITS_TYPE(0xffffffffULL, int32_t));
        assert_true(SP_FITS_TYPE(0xffffffffULL, uint32_t));
        assert_false(SP_FITS_TYPE(0x100000000ULL, uint32_t));
        assert_false(SP_FITS_TYPE(0x1ffffffffULL, uint32_t));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                T_TEST(test_signal_numbers_library_and_cli_agree),
                T_TEST(test_kill_takes_the_highest_signal),
                T_TEST(test_rlimit_parser_boundaries),
                T_TEST(test_type_range_rule),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
