/* Shared helpers for the subproc test suite.
 *
 * SPDX-License-Identifier: MIT
 *
 * Two halves:
 *  - The helper protocol (escaping, output patterns, checksum), used both by helper.c, which
 *    reports what it sees of itself, and by the tests that check that report.  Only static
 *    inline functions and macros, so helper.c can include this file without linking testutil.c.
 *  - Test support (testutil.c): parsing a helper report, running the helper, temp files, and
 *    the cmocka setup/teardown pair that checks every case for leaked fds and children.
 */
#ifndef SUBPROC_TESTUTIL_H
#define SUBPROC_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>

#include <subproc.h>

#include "config.h" /* SUBPROC_PIDFILE_FLOCK: which lock the library's pidfiles take */
#include "test-compat.h"

/* ---------------------------------------------------------------------------------------
 * Helper protocol
 * ------------------------------------------------------------------------------------- */

/* What --write-nul writes to stdout (the trailing NUL of the literal is not written). */
/* Whether a pidfile lock is held on the file of `fd` by another open file description than
 * fd's: 1 or 0, or -1 with errno when it cannot be told.  The lock is the library's: an
 * open-file-description fcntl() lock, tested without being taken, or flock() (built with
 * -Dpidfile_lock=flock), which can only be tested by taking it: then `holder` says that fd
 * belongs to the holder itself, whose exclusive lock a second exclusive request leaves alone,
 * and any other fd takes a shared lock for a moment (released: an untaken lock stays so). */
static inline int pidfile_lock_conflict(int fd, bool holder)
{
#if SUBPROC_PIDFILE_FLOCK
        if (flock(fd, (holder ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0) {
                if (!holder)
                        (void)flock(fd, LOCK_UN);
                return 0;
        }
        return errno == EWOULDBLOCK ? 1 : -1;
#else
        struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

        (void)holder;
        if (fcntl(fd, F_OFD_GETLK, &lk) != 0)
                return -1;
        return lk.l_type != F_UNLCK;
#endif
}

#define HELPER_NUL_OUTPUT "nul\0in\0the\0middle\0end"
#define HELPER_NUL_OUTPUT_LEN (sizeof(HELPER_NUL_OUTPUT) - 1)

/* Seeds of the byte patterns written by --stdout-bytes and --stderr-bytes. */
#define HELPER_STDOUT_SEED 'a'
#define HELPER_STDERR_SEED 'A'

/* Byte i of a pattern.  The period (23) is prime, so a chunk that is lost, repeated or
 * reordered at a power-of-two boundary changes the content. */
static inline char helper_pattern_byte(char seed, size_t i)
{
        return (char)(seed + (char)(i % 23));
}

#define HELPER_CHECKSUM_INIT UINT64_C(0xcbf29ce484222325)

/* FNV-1a over `len` bytes, continuing from `hash` (start with HELPER_CHECKSUM_INIT). */
static inline uint64_t helper_checksum(uint64_t hash, const void *data, size_t len)
{
        const unsigned char *bytes = data;

        for (size_t i = 0; i < len; i++) {
                hash ^= bytes[i];
                hash *= UINT64_C(0x100000001b3);
        }
        return hash;
}

/* Report values are escaped so that each key=value stays on one line: backslash becomes
 * "\\", newline "\n", and any other control byte "\xHH".  Bytes >= 0x80 pass unchanged.
 * Writes the escaped form of `len` bytes to `out`. */
static inline void helper_escape(FILE *out, const char *value, size_t len)
{
        for (size_t i = 0; i < len; i++) {
                unsigned char ch = (unsigned char)value[i];

                if (ch == '\\')
                        fputs("\\\\", out);
                else if (ch == '\n')
                        fputs("\\n", out);
                else if (ch < 0x20 || ch == 0x7f)
                        fprintf(out, "\\x%02x", ch);
                else
                        fputc(ch, out);
        }
}

/* ---------------------------------------------------------------------------------------
 * Test support (testutil.c)
 * ------------------------------------------------------------------------------------- */

#ifndef HELPER_PATH
#define HELPER_PATH "subproc-test-helper"
#endif

/* Run every case with these: setup snapshots the caller's open fds, teardown fails the case
 * if an fd was leaked (or closed) in the caller or a child (running or zombie) is left. */
int sp_test_setup(void **state);
int sp_test_teardown(void **state);
#define SP_TEST(f) cmocka_unit_test_setup_teardown(f, sp_test_setup, sp_test_teardown)

/* Fail unless the caller has no child at all, running or zombie (waitpid() says ECHILD). */
#define assert_no_children() sp_assert_no_children(__FILE__, __LINE__)
void sp_assert_no_children(const char *file, int line);

/* Readable assertions (cmocka prints integers in hex). */
#define assert_ll_equal(actual, expected)                                                     \
        sp_assert_ll_equal((long long)(actual), (long long)(expected), #actual, __FILE__,   \
                           __LINE__)
void sp_assert_ll_equal(long long actual, long long expected, const char *what,
                        const char *file, int line);
#define assert_errno_equal(actual, expected)                                                  \
        sp_assert_errno_equal((actual), (expected), __FILE__, __LINE__)
void sp_assert_errno_equal(int actual, int expected, const char *file, int line);
#define assert_contains(haystack, needle)                                                     \
        sp_assert_contains((haystack), (needle), __FILE__, __LINE__)
void sp_assert_contains(const char *haystack, const char *needle, const char *file, int line);
#define assert_bytes_equal(actual, actual_len, expected, expected_len)                      \
        sp_assert_bytes_equal((actual), (actual_len), (expected), (expected_len), __FILE__,  \
                              __LINE__)
void sp_assert_bytes_equal(const void *actual, size_t actual_len, const void *expected,
                           size_t expected_len, const char *file, int line);

/* A parsed helper report: an ordered list of key=value lines with unescaped values. */
struct helper_report;

struct helper_report *report_parse(const char *text, size_t len);
/* Read and parse a report file written with --report=PATH; fails the test if unreadable. */
struct helper_report *report_read_file(const char *path);
void report_free(struct helper_report *r);
/* The value of the first line with this key, or NULL. */
const char *report_get(const struct helper_report *r, const char *key);
/* The same with a printf-built key, e.g. report_getf(r, "argv[%d]", 2). */
const char *report_getf(const struct helper_report *r, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* The value of `key` as an integer (base 0: decimal, 0x hex); fails the test if missing. */
long long report_get_int(const struct helper_report *r, const char *key);
size_t report_count(const struct helper_report *r, const char *key);
const char *report_nth(const struct helper_report *r, const char *key, size_t n);
/* The child's open fds as "0 1 2 7" (ascending); malloc'd. */
char *report_fd_set(const struct helper_report *r);
bool report_has_fd(const struct helper_report *r, int fd);
/* The value of environment variable `name` in the child, or NULL. */
const char *report_env(const struct helper_report *r, const char *name);
size_t report_env_count(const struct helper_report *r);
/* The child's argv as a NULL-terminated malloc'd array of malloc'd strings. */
char **report_argv(const struct helper_report *r);
void strv_free(char **strv);

/* Register `out` (which must live as long as `c`) as the output buffer of `c` (whose stdout
 * must be free), run `c` to completion, assert it exited 0, and parse its report.  *out is
 * freed and reset to NULL before returning.  For later runs of the same command use
 * run_report_again(), which does not register the buffer a second time. */
struct helper_report *run_report(subproc *c, char **out);
struct helper_report *run_report_again(subproc *c, char **out);
/* Append "--report=<temp file>" to `c`, run it (asserting exit 0), parse and remove the file. */
struct helper_report *run_report_file(subproc *c);

/* Run and expect failure with `expected_errno` and a message containing `msg_part` (NULL: only
 * non-empty); also check no child is left.  The async form uses subproc_run_async(). */
#define assert_run_fails(c, expected_errno, msg_part)                                         \
        sp_assert_run_fails((c), false, (expected_errno), (msg_part), __FILE__, __LINE__)
#define assert_run_async_fails(c, expected_errno, msg_part)                                   \
        sp_assert_run_fails((c), true, (expected_errno), (msg_part), __FILE__, __LINE__)
void sp_assert_run_fails(subproc *c, bool async, int expected_errno, const char *msg_part,
                         const char *file, int line);

/* Temp files and directories under $TMPDIR (or /tmp); malloc'd paths. */
char *make_temp_file(const void *content, size_t len, mode_t mode);
char *make_temp_dir(void);
/* Unique path of a file that does not exist yet. */
char *make_temp_path(void);
/* Read a whole fd (to EOF) or file; the buffer is NUL-terminated; *len may be NULL. */
char *read_fd_all(int fd, size_t *len);
char *read_file_all(const char *path, size_t *len);
void write_fd_all(int fd, const void *data, size_t len);

/* What --interleave=N writes to one shared pipe or file: "out 0\nerr 1\nout 2\n..."
 * (malloc'd); and the half of it on one stream (odd: stderr's lines). */
char *expected_interleave(int lines);
char *expected_interleave_half(int lines, bool odd);

/* A malloc'd buffer of `len` pattern bytes (see helper_pattern_byte()). */
char *make_pattern(char seed, size_t len);
/* A checksum as the helper prints it ("%016llx") into `buf`. */
void format_checksum(char buf[17], uint64_t sum);

/* Open fds of the caller as "0 1 2 5" (ascending, excluding the listing's own fd). */
char *caller_fd_set(void);
bool fd_is_open(int fd);
/* Milliseconds on CLOCK_MONOTONIC. */
double monotonic_ms(void);

/* Arguments a shell or a naive quoter would mangle (NULL-terminated), and variable values that
 * need quoting. */
extern const char *const awkward_args[];
struct awkward_env_entry {
        const char *name;
        const char *value;
};
extern const struct awkward_env_entry awkward_env[];
extern const size_t n_awkward_env;
#define N_AWKWARD_ENV n_awkward_env
size_t strv_length(const char *const *strv);

/* The hex value of a report key such as "sigblk"; fails the test if missing. */
unsigned long long report_hex(const struct helper_report *r, const char *key);
/* "DEV:INO" of an fd of the caller, as the helper prints it for its own fds; malloc'd. */
char *fd_identity(int fd);
/* Fail unless the child's fds are exactly `expected`, e.g. "0 1 2 7". */
void check_fd_set(const struct helper_report *r, const char *expected);
/* Open fds without O_CLOEXEC, the way careless code in a big program does: /dev/null, a pipe,
 * a socketpair, a dup at >= 100 and one at `high` (if >= 0).  Returns how many it stored in
 * `fds` (at most 8). */
size_t open_leaky_fds(int *fds, int high);
/* 1000 if RLIMIT_NOFILE allows such an fd, else -1. */
int high_fd_within_limit(void);
void close_fds(const int *fds, size_t n);

/* The caller's signal state, to restore after a case made it hostile. */
struct signal_state {
        sigset_t mask;
        struct sigaction actions[NSIG];
};
void save_signal_state(struct signal_state *saved);
void restore_signal_state(const struct signal_state *saved);
/* Make the caller hostile: SIGPIPE and SIGINT ignored, hostile_usr1_handler() on SIGUSR1, and
 * SIGUSR2, SIGTERM, SIGCHLD and a real-time signal blocked.  Stores the mask it set. */
void make_signals_hostile(sigset_t *mask);
extern volatile sig_atomic_t hostile_usr1_count;
void hostile_usr1_handler(int sig);
/* Fail unless the caller still has exactly what make_signals_hostile() set up. */
void check_caller_signals_unchanged(const sigset_t *mask);
/* Fail unless the helper reports no blocked, ignored or handled signal. */
void check_child_signals_clean(const struct helper_report *r);

/* Set or unset a variable of the caller's environment and get back the old state. */
struct saved_env {
        char *name;
        char *value; /* NULL: was unset */
};
void env_save_set(struct saved_env *saved, const char *name, const char *value);
void env_restore(struct saved_env *saved);

#endif /* SUBPROC_TESTUTIL_H */
