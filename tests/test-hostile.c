/* The hostile-input table: every row is one cmocka case that feeds the library (or the CLI)
 * one input an attacker or a careless caller could give, and checks the documented answer:
 * the errno, a message that names the offending input, no program run when the run failed,
 * and (T_TEST's teardown) no fd leaked and no child left.
 *
 * SPDX-License-Identifier: MIT
 *
 * Rows whose answer the header leaves open assert what it does promise and say what they saw
 * with a "note:" line, so the gap shows in the log.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef __linux__
#include <linux/filter.h> /* Issue 14, confinement */
#endif

#include "parse-sched.h"
#include "parse.h"
#include "support/support.h"

#ifndef SUBPROC_CLI_PATH
#define SUBPROC_CLI_PATH "subproc"
#endif

/* A FIFO that nobody opens must not block the library: a hang ends the case here.  Scaled by
 * SUBPROC_TEST_HANG_SCALE, which the valgrind run sets: there a row with 800 fds to place took
 * over 20 s on a loaded machine. */
#define HANG_GUARD_S (20 * hang_scale())
/* Special fd numbers of the fd rows, resolved when the row runs. */
#define FD_LOWEST_FREE (-1000)  /* the lowest closed fd: the next one anybody opens gets it */
#define FD_NOFILE_LIMIT (-1001) /* RLIMIT_NOFILE's soft limit: no fd can have this number */
/* A capability name far past any real one (issue 14, identity). */
#define HOSTILE_LONG_CAP_16 "aaaaaaaaaaaaaaaa"
#define HOSTILE_LONG_CAP_256                                                                    \
        HOSTILE_LONG_CAP_16 HOSTILE_LONG_CAP_16 HOSTILE_LONG_CAP_16 HOSTILE_LONG_CAP_16         \
                HOSTILE_LONG_CAP_16 HOSTILE_LONG_CAP_16 HOSTILE_LONG_CAP_16 HOSTILE_LONG_CAP_16 \
                        HOSTILE_LONG_CAP_16 HOSTILE_LONG_CAP_16 HOSTILE_LONG_CAP_16             \
                                HOSTILE_LONG_CAP_16 HOSTILE_LONG_CAP_16 HOSTILE_LONG_CAP_16     \
                                        HOSTILE_LONG_CAP_16 HOSTILE_LONG_CAP_16
#define HOSTILE_LONG_CAP                                                                       \
        HOSTILE_LONG_CAP_256 HOSTILE_LONG_CAP_256 HOSTILE_LONG_CAP_256 HOSTILE_LONG_CAP_256    \
                HOSTILE_LONG_CAP_256 HOSTILE_LONG_CAP_256 HOSTILE_LONG_CAP_256                 \
                        HOSTILE_LONG_CAP_256 HOSTILE_LONG_CAP_256 HOSTILE_LONG_CAP_256         \
                                HOSTILE_LONG_CAP_256 HOSTILE_LONG_CAP_256 HOSTILE_LONG_CAP_256 \
                                        HOSTILE_LONG_CAP_256 HOSTILE_LONG_CAP_256              \
                                                HOSTILE_LONG_CAP_256
/* An argument or variable larger than the kernel's MAX_ARG_STRLEN (32 pages). */
#define HUGE_STRING_LEN (256 * 1024)

struct row;
typedef void (*row_fn)(const struct row *row);

struct row {
        const char *name;
        row_fn fn;
        const char *input;  /* the hostile string */
        size_t input_len;   /* for inputs holding NULs; 0: strlen(input) */
        const char *value;  /* a second string (an env value, a CLI option, a kind) */
        long number;        /* the hostile number */
        int expected_errno; /* 0: success expected */
        const char *names;  /* what the message must contain; NULL: the input itself */
        void (*build)(subproc **c, const struct row *row);
};

/* ---------------------------------------------------------------------------------------
 * Per-case state: every row may change the cwd, PATH and SIGPIPE; the teardown puts them
 * back even when the row failed.
 * ------------------------------------------------------------------------------------- */

static int saved_cwd_fd = -1;
static struct t_saved_env saved_path;
static struct rlimit saved_nofile;
static bool nofile_changed;
static struct t_signal_state saved_signals;
/* The row's temp directory, removed by the teardown. */
static char *row_dir;

static unsigned hang_scale(void)
{
        const char *scale = getenv("SUBPROC_TEST_HANG_SCALE");
        int n = scale ? atoi(scale) : 1;

        return n >= 1 && n <= 100 ? (unsigned)n : 1;
}

static int hostile_setup(void **state)
{
        saved_cwd_fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (saved_cwd_fd < 0)
                return -1;
        t_save_signal_state(&saved_signals);
        alarm(HANG_GUARD_S);
        return t_setup(state);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)ftw;
        return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static int hostile_teardown(void **state)
{
        int r;

        alarm(0);
        t_restore_signal_state(&saved_signals);
        t_env_restore(&saved_path);
        if (nofile_changed && setrlimit(RLIMIT_NOFILE, &saved_nofile) != 0)
                print_error("cannot restore RLIMIT_NOFILE\n");
        nofile_changed = false;
        if (fchdir(saved_cwd_fd) != 0)
                print_error("cannot go back to the original cwd\n");
        if (row_dir != NULL) {
                (void)nftw(row_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
                free(row_dir);
                row_dir = NULL;
        }
        r = t_teardown(state);
        close(saved_cwd_fd);
        saved_cwd_fd = -1;
        return r;
}

/* ---------------------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------------------- */

static const char *row_names(const struct row *row)
{
        return row->names != NULL ? row->names : row->input;
}

/* A path inside the row's temp directory (made on first use); malloc'd. */
static char *row_path(const char *name)
{
        char *path;

        if (row_dir == NULL)
                row_dir = t_make_temp_dir();
        assert_true(asprintf(&path, "%s/%s", row_dir, name) > 0);
        return path;
}

static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);

        assert_true(fd >= 0);
        t_write_fd_all(fd, data, len);
        assert_ll_equal(fchmod(fd, mode), 0);
        close(fd);
}

/* The helper, told to leave a marker file once it runs: a failed run must leave none. */
static subproc *helper_with_marker(const char *marker)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);

        subproc_add_arg_format(c, "--write-file=%s", marker);
        return c;
}

static int lowest_free_fd(void)
{
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

        assert_true(fd >= 3);
        close(fd);
        return fd;
}

static int resolve_fd(long number)
{
        struct rlimit limit;

        if (number == FD_LOWEST_FREE)
                return lowest_free_fd();
        if (number == FD_NOFILE_LIMIT) {
                assert_ll_equal(getrlimit(RLIMIT_NOFILE, &limit), 0);
                return limit.rlim_cur > INT_MAX ? INT_MAX : (int)limit.rlim_cur;
        }
        return (int)number;
}

/* Expect a failed start: errno, the message naming `names`, the stage, no child. */
static void expect_start_failure(subproc *c, int expected_errno, const char *names,
                                 enum subproc_stage stage)
{
        assert_run_fails(c, expected_errno, names);
        if (subproc_errstage() != stage)
                fail_msg("stage %d, expected %d (message: %s)", (int)subproc_errstage(), (int)stage,
                         subproc_errmsg());
}

/* ---------------------------------------------------------------------------------------
 * Builder rows: a bad argument is a deferred EINVAL that names it, reported by run,
 * run_async and to_string alike.
 * ------------------------------------------------------------------------------------- */

static void row_builder(const struct row *row)
{
        subproc *c = subproc_new(HELPER_PATH);
        char *text;

        row->build(&c, row);
        assert_run_fails(c, row->expected_errno, row_names(row));
        assert_run_async_fails(c, row->expected_errno, row_names(row));
        errno = 0;
        text = subproc_to_string(c, false);
        assert_null(text);
        assert_errno_equal(errno, row->expected_errno);
        subproc_free(c);
}

static void b_new_null(subproc **c, const struct row *row)
{
        (void)row;
        subproc_free(*c);
        *c = subproc_new(NULL);
}

static void b_new_input(subproc **c, const struct row *row)
{
        subproc_free(*c);
        *c = subproc_new(row->input);
}

static void b_new_argv_null(subproc **c, const struct row *row)
{
        (void)row;
        subproc_free(*c);
        *c = subproc_new_argv(NULL);
}

static void b_new_argv_input(subproc **c, const struct row *row)
{
        const char *argv[] = { row->input, "x", NULL };

        subproc_free(*c);
        *c = subproc_new_argv(argv);
}

static void b_new_args_null(subproc **c, const struct row *row)
{
        (void)row;
        subproc_free(*c);
        *c = subproc_new_args(NULL, "x", (char *)NULL);
}

static void b_arg_null(subproc **c, const struct row *row)
{
        (void)row;
        subproc_add_arg(*c, NULL);
}

static void b_arg_pair_null(subproc **c, const struct row *row)
{
        (void)row;
        subproc_add_arg_pair(*c, NULL, "value");
}

static void b_arg_set_null(subproc **c, const struct row *row)
{
        (void)row;
        subproc_add_arg_set(*c, NULL);
}

static void b_env_set(subproc **c, const struct row *row)
{
        subproc_env_set(*c, row->input, row->value);
}

static void b_env_put(subproc **c, const struct row *row)
{
        subproc_env_put(*c, row->input);
}

static void b_env_unset(subproc **c, const struct row *row)
{
        subproc_env_unset(*c, row->input);
}

static void b_env_pass(subproc **c, const struct row *row)
{
        subproc_env_pass(*c, row->input);
}

static void b_pass_fd(subproc **c, const struct row *row)
{
        subproc_pass_fd(*c, (int)row->number, 0);
}

static void b_pass_fd_bad_flags(subproc **c, const struct row *row)
{
        (void)row;
        /* The flag is refused, and the fd (the library's from the call on) is closed. */
        subproc_pass_fd(*c, open("/dev/null", O_RDONLY | O_CLOEXEC),
                        SUBPROC_PASS_FD_CLOSE_PARENT | 0x80);
}

static void b_input_fd(subproc **c, const struct row *row)
{
        subproc_set_input_fd(*c, (int)row->number);
}

static void b_output_fd(subproc **c, const struct row *row)
{
        static int fd;

        fd = (int)row->number;
        subproc_set_output_fd(*c, &fd);
}

/* Issue 16: output callbacks and the input pipe. */
static int hostile_callback(void *opaque, int stream, const char *data, size_t len)
{
        (void)opaque;
        (void)stream;
        (void)data;
        (void)len;
        return 0;
}

static void b_callback_streams(subproc **c, const struct row *row)
{
        subproc_set_output_callback(*c, (unsigned)row->number, 0, hostile_callback, NULL);
}

static void b_callback_flags(subproc **c, const struct row *row)
{
        subproc_set_output_callback(*c, SUBPROC_STDOUT, (unsigned)row->number, hostile_callback,
                                    NULL);
}

static void b_callback_null(subproc **c, const struct row *row)
{
        (void)row;
        subproc_set_output_callback(*c, SUBPROC_STDOUT | SUBPROC_STDERR, SUBPROC_LINES, NULL, NULL);
}

static void b_input_pipe_null(subproc **c, const struct row *row)
{
        (void)row;
        subproc_set_input_pipe(*c, NULL);
}

static void b_cwd(subproc **c, const struct row *row)
{
        subproc_set_cwd(*c, row->input);
}

static void b_pidfile(subproc **c, const struct row *row)
{
        subproc_set_pidfile(*c, row->input);
}

static void b_death_signal(subproc **c, const struct row *row)
{
        subproc_set_death_signal(*c, (int)row->number);
}

/* Issue 15. */
static void b_timeout_signal(subproc **c, const struct row *row)
{
        subproc_set_timeout(*c, 60000, 1000);
        subproc_set_timeout_signal(*c, (int)row->number);
}

static void b_rlimit_resource(subproc **c, const struct row *row)
{
        subproc_set_rlimit(*c, (int)row->number, 1, 1);
}

static void b_rlimit_soft_above_hard(subproc **c, const struct row *row)
{
        (void)row;
        subproc_set_rlimit(*c, RLIMIT_CORE, 2, 1);
}

static void b_umask(subproc **c, const struct row *row)
{
        subproc_set_umask(*c, (mode_t)row->number);
}

static void b_uid(subproc **c, const struct row *row)
{
        subproc_set_uid(*c, (uid_t)row->number);
}

static void b_gid(subproc **c, const struct row *row)
{
        subproc_set_gid(*c, (gid_t)row->number);
}

/* Issue 16: a NULL signal mask. */
static void b_signal_mask_null(subproc **c, const struct row *row)
{
        (void)row;
        subproc_set_signal_mask(*c, NULL);
}

/* Issue 16, pty: a NULL master ("null"), or streams row->number with the window size
 * "ROWSxCOLS" of row->input (NULL: 24x80). */
static void b_pty(subproc **c, const struct row *row)
{
        static int master = -1;
        unsigned rows = 24, cols = 80;

        if (row->input && sscanf(row->input, "%ux%u", &rows, &cols) != 2)
                fail_msg("bad size %s", row->input);
        subproc_set_pty(*c, row->value ? NULL : &master, (unsigned)row->number,
                        (unsigned short)rows, (unsigned short)cols);
}

#ifdef __linux__
/* Issue 14, confinement: a filter of row->number instructions (a program of nothing but
 * zeros, never installed: refused first); -1: a NULL filter, -2: a NULL program. */
static void b_seccomp(subproc **c, const struct row *row)
{
        static struct sock_filter insns[BPF_MAXINSNS + 1];
        struct sock_fprog prog = { (unsigned short)row->number, insns };

        if (row->number == -2)
                prog = (struct sock_fprog){ 1, NULL };
        subproc_set_seccomp(*c, row->number == -1 ? NULL : &prog);
}

static void b_landlock(subproc **c, const struct row *row)
{
        subproc_set_landlock(*c, (int)row->number);
}

/* A Landlock ruleset fd that is closed (EBADF), or open on something else (EINVAL, input
 * "/dev/null"): refused at run before anything is made, the program never running. */
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444 /* the same number on every architecture */
#endif
static void row_landlock_fd(const struct row *row)
{
        char *marker, names[64];
        subproc *c;
        int fd;

        /* Without Landlock (an old kernel, valgrind) the run refuses it first (ENOTSUP):
         * test-confine.c covers that. */
        if (syscall(SYS_landlock_create_ruleset, NULL, 0, 1 /* the ABI version */) < 0)
                skip();
        marker = row_path("ran");
        c = helper_with_marker(marker);
        fd = row->input ? open(row->input, O_RDONLY | O_CLOEXEC) : resolve_fd(row->number);

        assert_true(row->input ? fd >= 0 : !t_fd_is_open(fd));
        subproc_set_landlock(c, fd);
        snprintf(names, sizeof names, row->input ? "fd %d is not a Landlock ruleset" : "fd %d", fd);
        assert_run_fails(c, row->expected_errno, names);
        assert_false(t_file_exists(marker));
        if (row->input)
                close(fd);
        subproc_free(c);
        free(marker);
}
#endif

/* Issue 14, identity: a user name; `number` supplementary groups (all 4, or one -1 at the end
 * when `value` is "minus one"); a capability list of one. */
static void b_user(subproc **c, const struct row *row)
{
        subproc_set_user(*c, row->input);
}

static void b_groups(subproc **c, const struct row *row)
{
        size_t n = (size_t)row->number;
        gid_t *groups = calloc(n > 4096 ? 4096 : n, sizeof *groups);

        assert_non_null(groups);
        for (size_t i = 0; i < n && i < 4096; i++)
                groups[i] = 4;
        if (row->value && strcmp(row->value, "minus one") == 0)
                groups[n - 1] = (gid_t)-1;
        /* Past 4096 entries the list is never read: the count alone is refused. */
        subproc_set_groups(*c, groups, n);
        free(groups);
}

static void b_groups_huge(subproc **c, const struct row *row)
{
        size_t n = (size_t)sysconf(_SC_NGROUPS_MAX) + (size_t)row->number;
        gid_t *groups = calloc(n, sizeof *groups);

        assert_non_null(groups);
        subproc_set_groups(*c, groups, n);
        free(groups);
}

static void b_keep_cap(subproc **c, const struct row *row)
{
        const int cap = (int)row->number;

        subproc_keep_caps(*c, &cap, 1);
}

/* ---------------------------------------------------------------------------------------
 * argv and environment that must reach the child exactly
 * ------------------------------------------------------------------------------------- */

/* A newline (or any byte but NUL) is allowed in an argument: no shell, no line protocol. */
static void row_argv_exact(const struct row *row)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--", row->input, NULL);
        struct helper_report *r;
        char *out;

        r = t_run_report(c, &out);
        assert_ll_equal(t_report_get_int(r, "argc"), 3);
        assert_string_equal(t_report_get(r, "argv[2]"), row->input);
        t_report_free(r);
        subproc_free(c);
}

/* Run the line that to_string() gives through /bin/sh and return the helper's report. */
static struct helper_report *run_through_shell(const subproc *c)
{
        char *line = subproc_to_string(c, false);
        subproc *sh;
        struct helper_report *r;
        char *out;

        assert_non_null(line);
        sh = subproc_new_args("/bin/sh", "-c", line, NULL);
        r = t_run_report(sh, &out);
        subproc_free(sh);
        free(line);
        return r;
}

/* The header's only rules for names: non-empty, no '='.  Anything else (spaces, newlines,
 * bytes a shell cannot name) is passed as it is, and to_string() must still give a line that
 * a shell turns into the same environment. */
static void row_env_exact(const struct row *row)
{
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        char *out;

        subproc_env_set(c, row->input, row->value);
        r = t_run_report(c, &out);
        assert_ll_equal(t_report_env_count(r), 1);
        assert_non_null(t_report_env(r, row->input));
        assert_string_equal(t_report_env(r, row->input), row->value);
        t_report_free(r);

        r = run_through_shell(c);
        if (t_report_env(r, row->input) == NULL)
                fail_msg("to_string() lost variable '%s' through /bin/sh", row->input);
        assert_string_equal(t_report_env(r, row->input), row->value);
        t_report_free(r);
        subproc_free(c);
}

/* An argument or variable the kernel cannot take: exec fails with E2BIG, nothing runs. */
static void row_e2big(const struct row *row)
{
        char *huge = malloc(HUGE_STRING_LEN + 1), *marker = row_path("ran");
        subproc *c = helper_with_marker(marker);

        assert_non_null(huge);
        memset(huge, 'x', HUGE_STRING_LEN);
        huge[HUGE_STRING_LEN] = '\0';
        if (strcmp(row->value, "arg") == 0)
                subproc_add_arg(c, huge);
        else
                subproc_env_set(c, "SP_HUGE", huge);
        expect_start_failure(c, E2BIG, HELPER_PATH, SUBPROC_STAGE_EXEC);
        assert_false(t_file_exists(marker));
        subproc_free(c);
        free(huge);
        free(marker);
}

/* ---------------------------------------------------------------------------------------
 * fds that are not open, or cannot be
 * ------------------------------------------------------------------------------------- */

/* A closed fd given to pass_fd, set_input_fd or set_output_fd: EBADF at run, naming it, and
 * the program never runs.  The lowest closed fd is the trap: the library's own /dev/null or
 * pipes would get that number when it prepares the run, and the child would be handed one of
 * them instead. */
static void row_fd_closed(const struct row *row)
{
        char *marker = row_path("ran"), names[64];
        subproc *c = helper_with_marker(marker);
        int fd = resolve_fd(row->number), out_fd;

        assert_false(t_fd_is_open(fd));
        if (strcmp(row->value, "pass_fd") == 0) {
                subproc_pass_fd(c, fd, 0);
                snprintf(names, sizeof names, "fd %d", fd);
        } else if (strcmp(row->value, "pass_fd CLOSE_PARENT") == 0) {
                subproc_pass_fd(c, fd, SUBPROC_PASS_FD_CLOSE_PARENT);
                snprintf(names, sizeof names, "fd %d", fd);
        } else if (strcmp(row->value, "set_input_fd") == 0) {
                /* The message names the child's fd 0 and the caller's fd. */
                subproc_set_input_fd(c, fd);
                snprintf(names, sizeof names, "fd 0");
        } else {
                out_fd = fd;
                subproc_set_output_fd(c, &out_fd);
                snprintf(names, sizeof names, "fd 1");
        }
        expect_start_failure(c, EBADF, names, SUBPROC_STAGE_SETUP);
        snprintf(names, sizeof names, "fd %d", fd);
        assert_contains(subproc_errmsg(), names);
        assert_false(t_file_exists(marker));
        subproc_free(c);
        free(marker);
}

/* The highest fd this process may have, RLIMIT_NOFILE - 1, open and passed: a valid input
 * that the child must get like any other.  A soft limit above 65536 is lowered to it for the
 * row, so the fd table stays small. */
static void row_fd_top_open(const struct row *row)
{
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        struct rlimit low;
        char expected[64], *out;
        int fd, top;

        (void)row;
        assert_ll_equal(getrlimit(RLIMIT_NOFILE, &saved_nofile), 0);
        if (saved_nofile.rlim_cur > 65536) {
                low = saved_nofile;
                low.rlim_cur = 65536;
                assert_ll_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
                nofile_changed = true;
        }
        assert_ll_equal(getrlimit(RLIMIT_NOFILE, &low), 0);
        top = (int)low.rlim_cur - 1;
        fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_ll_equal(dup3(fd, top, O_CLOEXEC), top);
        close(fd);
        subproc_pass_fd(c, top, SUBPROC_PASS_FD_CLOSE_PARENT);
        r = t_run_report(c, &out);
        snprintf(expected, sizeof expected, "0 1 2 %d", top);
        t_check_fd_set(r, expected);
        t_report_free(r);
        subproc_free(c);
}

/* ---------------------------------------------------------------------------------------
 * cwd
 * ------------------------------------------------------------------------------------- */

static void row_cwd(const struct row *row)
{
        char *marker = row_path("ran"), *dir = row_path("cwd");
        subproc *c = helper_with_marker(marker);

        if (strcmp(row->value, "file") == 0)
                write_file(dir, "x", 1, 0644);
        else if (strcmp(row->value, "fifo") == 0)
                assert_ll_equal(mkfifo(dir, 0644), 0);
        else if (strcmp(row->value, "symlink to file") == 0) {
                char *target = row_path("target");

                write_file(target, "x", 1, 0644);
                assert_ll_equal(symlink(target, dir), 0);
                free(target);
        }
        subproc_set_cwd(c, dir);
        expect_start_failure(c, row->expected_errno, "chdir", SUBPROC_STAGE_SETUP);
        assert_contains(subproc_errmsg(), dir);
        assert_false(t_file_exists(marker));
        subproc_free(c);
        free(dir);
        free(marker);
}

/* ---------------------------------------------------------------------------------------
 * Pidfiles
 * ------------------------------------------------------------------------------------- */

/* What a run with a pidfile in place of a symlink, FIFO or directory does: refused, naming
 * the path, the program not run, nothing followed or created. */
static void row_pidfile_refused(const struct row *row)
{
        char *marker = row_path("ran"), *path = row_path("pidfile"), *target = row_path("target");
        subproc *c = helper_with_marker(marker);
        pid_t pid = -2;
        int rc, e;

        if (strcmp(row->value, "symlink") == 0) {
                write_file(target, "55\n", 3, 0644);
                assert_ll_equal(symlink(target, path), 0);
        } else if (strcmp(row->value, "dangling symlink") == 0) {
                /* O_CREAT through it would create the target wherever it points. */
                assert_ll_equal(symlink(target, path), 0);
        } else if (strcmp(row->value, "fifo") == 0) {
                assert_ll_equal(mkfifo(path, 0644), 0);
        } else if (strcmp(row->value, "world-writable") == 0 ||
                   strcmp(row->value, "group-writable") == 0) {
                /* Anyone (in the group) could write a victim's pid into it. */
                write_file(path, "55\n", 3, 0644);
                assert_ll_equal(chmod(path, row->value[0] == 'w' ? 0666 : 0664), 0);
        } else if (strcmp(row->value, "hard link") == 0) {
                /* Another file that the name also links to: never truncated. */
                write_file(target, "55\n", 3, 0644);
                assert_ll_equal(link(target, path), 0);
        } else {
                assert_ll_equal(mkdir(path, 0755), 0);
        }

        subproc_set_pidfile(c, path);
        errno = 0;
        rc = subproc_run(c, NULL);
        e = errno;
        assert_ll_equal(rc, -1);
        if (e != row->expected_errno && e != (int)row->number)
                fail_msg("run: errno %d (%s), expected %s; message: %s", e, strerror(e),
                         strerror(row->expected_errno), subproc_errmsg());
        assert_contains(subproc_errmsg(), path);
        assert_false(t_file_exists(marker));
        assert_no_children();
        subproc_free(c);

        /* The parent-side functions refuse it the same way. */
        errno = 0;
        assert_ll_equal(subproc_pidfile_acquire(path, getpid()), -1);
        if (errno != row->expected_errno && errno != (int)row->number)
                fail_msg("acquire: errno %d (%s)", errno, strerror(errno));
        assert_contains(subproc_errmsg(), path);
        errno = 0;
        assert_ll_equal(subproc_pidfile_read(path, &pid), -1);
        assert_ll_equal(pid, -2);

        if (strcmp(row->value, "symlink") == 0 || strcmp(row->value, "hard link") == 0) {
                char *now = t_read_file_all(target, NULL);

                assert_string_equal(now, "55\n");
                free(now);
        } else if (strcmp(row->value, "dangling symlink") == 0) {
                assert_false(t_file_exists(target));
        }
        free(target);
        free(path);
        free(marker);
}

/* subproc_pidfile_read() of hostile content: EINVAL naming the path, *pid untouched; or the
 * pid for content that is valid. */
static void row_pidfile_read(const struct row *row)
{
        char *path = row_path("pidfile"), *content = NULL;
        size_t len = row->input_len ? row->input_len : strlen(row->input);
        pid_t pid = -2;
        int rc;

        if (row->number > 0) {
                /* A huge file: row->number bytes of the input repeated. */
                content = malloc((size_t)row->number);
                assert_non_null(content);
                for (long i = 0; i < row->number; i++)
                        content[i] = row->input[(size_t)i % len];
                len = (size_t)row->number;
        }
        write_file(path, content != NULL ? content : row->input, len, 0644);
        errno = 0;
        rc = subproc_pidfile_read(path, &pid);
        if (row->expected_errno == 0) {
                if (rc != 0)
                        fail_msg("read: %s", subproc_errmsg());
                assert_ll_equal(pid, atol(row->names));
        } else {
                if (rc != -1)
                        fail_msg("content read as pid %ld", (long)pid);
                assert_errno_equal(errno, row->expected_errno);
                assert_contains(subproc_errmsg(), path);
                assert_ll_equal(pid, -2);
        }
        /* Nobody holds it: whatever it says, it is not alive. */
        assert_ll_equal(subproc_pidfile_read_if_alive(path, &pid), 0);
        assert_ll_equal(pid, -1);
        free(content);
        free(path);
}

/* A stale pidfile (nobody holds it) with hostile content: the run takes it over and leaves
 * exactly the program's pid in it. */
static void row_pidfile_stale(const struct row *row)
{
        char *path = row_path("pidfile"), *content, expected[32];
        size_t len = strlen(row->input), total = row->number > 0 ? (size_t)row->number : len;
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        char *out;

        content = malloc(total + 1);
        assert_non_null(content);
        for (size_t i = 0; i < total; i++)
                content[i] = len ? row->input[i % len] : 'x';
        write_file(path, content, len ? total : 0, 0644);
        subproc_set_pidfile(c, path);
        subproc_add_arg_format(c, "--pidfile-check=%s", path);
        r = t_run_report(c, &out);
        snprintf(expected, sizeof expected, "%s\n", t_report_get(r, "pid"));
        assert_string_equal(t_report_get(r, "pidfile_text"), expected);
        assert_string_equal(t_report_get(r, "pidfile_locked"), "1");
        t_report_free(r);
        subproc_free(c);
        free(content);
        free(path);
}

/* A pidfile in a world-writable (sticky, like /tmp) directory.  Anybody can create the name
 * first; a root caller that then locked and wrote it would keep using a file that its owner
 * can rewrite at will (another pid for force_cleanup() to signal) and lock (to look alive).
 * The library refuses a pidfile owned by anyone but us or root, and leaves it untouched. */
static void row_pidfile_world_writable(const struct row *row)
{
        char *dir = row_path("sticky"), *path, *now;
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        struct stat st;
        int rc, e;
        char *out = NULL;

        assert_ll_equal(mkdir(dir, 0755), 0);
        assert_ll_equal(chmod(dir, 01777), 0);
        assert_true(asprintf(&path, "%s/daemon.pid", dir) > 0);
        if (strcmp(row->value, "new") == 0) {
                /* Created by the library: ours, and nobody else may write it. */
                subproc_set_pidfile(c, path);
                subproc_add_arg_format(c, "--pidfile-check=%s", path);
                r = t_run_report(c, &out);
                assert_string_equal(t_report_get(r, "pidfile_locked"), "1");
                t_report_free(r);
                assert_ll_equal(lstat(path, &st), 0);
                assert_ll_equal(st.st_uid, geteuid());
                assert_ll_equal(st.st_mode & 0022, 0);
                goto out;
        }
        if (geteuid() != 0) {
                print_message("not root: cannot make a file of another user\n");
                skip();
        }
        /* "Created first by somebody else": uid 65534 (nobody), holding pid 1. */
        write_file(path, "1\n", 2, 0666);
        assert_ll_equal(chown(path, 65534, 65534), 0);
        subproc_set_pidfile(c, path);
        subproc_set_output_buffer(c, &out);
        subproc_add_arg_format(c, "--pidfile-check=%s", path);
        errno = 0;
        rc = subproc_run(c, NULL);
        e = errno;
        print_message("note: %s\n", subproc_errmsg());
        assert_ll_equal(rc, -1);
        /* EACCES where fs.protected_regular refuses the open itself. */
        assert_true(e == EPERM || e == EACCES);
        if (e == EPERM)
                assert_contains(subproc_errmsg(), "owned by uid 65534");
        assert_contains(subproc_errmsg(), path);
        now = t_read_file_all(path, NULL);
        assert_string_equal(now, "1\n");
        assert_ll_equal(lstat(path, &st), 0);
        assert_ll_equal(st.st_uid, 65534);
        assert_no_children();
        free(now);
out:
        free(out);
        subproc_free(c);
        free(path);
        free(dir);
}

/* A pidfile owned by another user (not root) in an ordinary directory: every pidfile
 * function refuses it, naming the owner, and leaves it as it was. */
static void row_pidfile_other_owner(const struct row *row)
{
        char *path = row_path("other.pid"), *now;
        pid_t pid = 12345;
        int rc, e;

        if (geteuid() != 0) {
                print_message("not root: cannot make a file of another user\n");
                free(path);
                skip();
        }
        write_file(path, "1\n", 2, 0644);
        assert_ll_equal(chown(path, 65534, 65534), 0);
        errno = 0;
        if (strcmp(row->value, "read") == 0)
                rc = subproc_pidfile_read(path, &pid);
        else if (strcmp(row->value, "read_if_alive") == 0)
                rc = subproc_pidfile_read_if_alive(path, &pid);
        else if (strcmp(row->value, "acquire") == 0)
                rc = subproc_pidfile_acquire(path, getpid());
        else
                rc = subproc_pidfile_force_cleanup(path);
        e = errno;
        assert_ll_equal(rc, -1);
        assert_errno_equal(e, EPERM);
        assert_contains(subproc_errmsg(), path);
        assert_contains(subproc_errmsg(), "owned by uid 65534");
        assert_ll_equal(pid, 12345);
        now = t_read_file_all(path, NULL);
        assert_string_equal(now, "1\n");
        free(now);
        free(path);
}

/* ---------------------------------------------------------------------------------------
 * PATH
 * ------------------------------------------------------------------------------------- */

#define PROBE_NAME "subproc-hostile-probe"

/* An executable named PROBE_NAME in the cwd, in ./bin and (without any x bit) in ./noexec:
 * each leaves a marker when run.  A bare-name lookup must never find the first two through
 * an empty, "." or relative PATH entry: the cwd is never searched implicitly. */
static void make_probes(const char *marker)
{
        char *script;

        assert_true(asprintf(&script, "#!/bin/sh\necho ran >>'%s'\n", marker) > 0);
        assert_ll_equal(mkdir("bin", 0755), 0);
        assert_ll_equal(mkdir("noexec", 0755), 0);
        write_file(PROBE_NAME, script, strlen(script), 0755);
        write_file("bin/" PROBE_NAME, script, strlen(script), 0755);
        write_file("noexec/" PROBE_NAME, script, strlen(script), 0644);
        free(script);
}

/* PATH from the row: NULL unsets it; "@" stands for the row's directory. */
static char *expand_path(const char *pattern)
{
        char *out = malloc(strlen(pattern) * (strlen(row_dir) + 1) + 1), *o = out;

        assert_non_null(out);
        for (const char *p = pattern; *p; p++) {
                if (*p == '@')
                        o = stpcpy(o, row_dir);
                else
                        *o++ = *p;
        }
        *o = '\0';
        return out;
}

static void row_path_lookup(const struct row *row)
{
        char *marker = row_path("ran"), *path_value = NULL;
        subproc *c;
        int status = -1, rc;

        assert_ll_equal(chdir(row_dir), 0);
        make_probes(marker);
        if (row->input != NULL)
                path_value = expand_path(row->input);
        t_env_save_set(&saved_path, "PATH", path_value);

        c = subproc_new(PROBE_NAME);
        if (row->expected_errno != 0) {
                expect_start_failure(c, row->expected_errno, "'" PROBE_NAME "'",
                                     SUBPROC_STAGE_EXEC);
                assert_false(t_file_exists(marker));
        } else {
                rc = subproc_run(c, &status);
                if (rc != 0)
                        fail_msg("PATH=%s: %s", path_value, subproc_errmsg());
                assert_ll_equal(status, 0);
                assert_true(t_file_exists(marker));
        }
        subproc_free(c);
        free(path_value);
        free(marker);
}

/* ---------------------------------------------------------------------------------------
 * A binary being written (ETXTBSY)
 * ------------------------------------------------------------------------------------- */

struct writer {
        const char *path;
        int release_after_ms; /* < 0: hold until told to stop */
        int ready[2];         /* the writer says it holds the file open */
        int stop[2];          /* we say stop (EOF) */
};

/* Holds the binary open for writing, as a thread that is still writing it would. */
static void *writer_main(void *arg)
{
        struct writer *w = arg;
        int fd = open(w->path, O_WRONLY | O_CLOEXEC);
        struct timespec step = { 0, 0 };
        char byte;

        (void)!write(w->ready[1], fd >= 0 ? "1" : "0", 1);
        if (fd < 0)
                return NULL;
        if (w->release_after_ms >= 0) {
                step.tv_sec = w->release_after_ms / 1000;
                step.tv_nsec = (w->release_after_ms % 1000) * 1000000L;
                nanosleep(&step, NULL);
                close(fd);
                return NULL;
        }
        while (read(w->stop[0], &byte, 1) < 0 && errno == EINTR)
                ;
        close(fd);
        return NULL;
}

/* ETXTBSY is retried for 127 ms.  Held open for the whole run, the binary must fail clearly
 * at exec, naming it, after the retries and with no child left; released 30 ms after the
 * run starts, it must run. */
static void row_etxtbsy(const struct row *row)
{
        char *copy = row_path("busy-helper"), *image;
        size_t len;
        struct writer w = { .path = copy, .release_after_ms = (int)row->number };
        pthread_t thread;
        subproc *c;
        int status = -1, rc, e;
        char ok = 0;
        double start, elapsed;

        image = t_read_file_all(HELPER_PATH, &len);
        write_file(copy, image, len, 0755);
        free(image);
        assert_ll_equal(pipe2(w.ready, O_CLOEXEC), 0);
        assert_ll_equal(pipe2(w.stop, O_CLOEXEC), 0);
        assert_ll_equal(pthread_create(&thread, NULL, writer_main, &w), 0);
        assert_ll_equal(read(w.ready[0], &ok, 1), 1);

        c = subproc_new_args(copy, "--no-report", "--exit=7", NULL);
        start = t_monotonic_ms();
        errno = 0;
        rc = subproc_run(c, &status);
        e = errno;
        elapsed = t_monotonic_ms() - start;
        close(w.stop[1]);
        assert_ll_equal(pthread_join(thread, NULL), 0);
        close(w.stop[0]);
        close(w.ready[0]);
        close(w.ready[1]);
        assert_ll_equal(ok, '1');

        if (row->number >= 0) {
                print_message("note: %s after %.0f ms\n", rc == 0 ? "ran" : "failed", elapsed);
                assert_ll_equal(rc, 0);
                assert_ll_equal(status, 7);
        } else if (rc == 0) {
                /* Never released, yet it ran: the kernel itself allowed it. */
                print_message("this kernel executes a file open for writing: no ETXTBSY to "
                              "test\n");
                subproc_free(c);
                free(copy);
                skip();
        } else {
                print_message("note: failed after %.0f ms: %s\n", elapsed, subproc_errmsg());
                assert_errno_equal(e, ETXTBSY);
                assert_contains(subproc_errmsg(), copy);
                assert_contains(subproc_errmsg(), "127 ms");
                assert_ll_equal(subproc_errstage(), SUBPROC_STAGE_EXEC);
                /* It did retry (generous lower bound: sleeps can only be longer). */
                assert_true(elapsed >= 100);
        }
        assert_no_children();
        subproc_free(c);
        free(copy);
}

/* ETXTBSY with a pidfile: the retry must not close the pidfile's fd, or the program would
 * run with nobody holding its pidfile and a second start would succeed (issue 11 item 6).
 * Released 30 ms after the run starts, as above. */
static void row_etxtbsy_pidfile(const struct row *row)
{
        char *copy = row_path("busy-helper"), *pidfile = row_path("pidfile"), *image, *out;
        size_t len;
        struct writer w = { .path = copy, .release_after_ms = (int)row->number };
        struct helper_report *r;
        pthread_t thread;
        subproc *c;
        char ok = 0;

        image = t_read_file_all(HELPER_PATH, &len);
        write_file(copy, image, len, 0755);
        free(image);
        assert_ll_equal(pipe2(w.ready, O_CLOEXEC), 0);
        assert_ll_equal(pipe2(w.stop, O_CLOEXEC), 0);
        assert_ll_equal(pthread_create(&thread, NULL, writer_main, &w), 0);
        assert_ll_equal(read(w.ready[0], &ok, 1), 1);
        assert_ll_equal(ok, '1');

        c = subproc_new(copy);
        subproc_add_arg_format(c, "--pidfile-check=%s", pidfile);
        subproc_set_pidfile(c, pidfile);
        r = t_run_report(c, &out);
        close(w.stop[1]);
        assert_ll_equal(pthread_join(thread, NULL), 0);
        close(w.stop[0]);
        close(w.ready[0]);
        close(w.ready[1]);
        /* The program held its pidfile: the fd is there and carries the lock. */
        assert_true(t_report_get_int(r, "pidfile_fd") >= 3);
        assert_ll_equal(t_report_get_int(r, "pidfile_locked"), 1);
        t_report_free(r);
        subproc_free(c);
        free(pidfile);
        free(copy);
}

/* ---------------------------------------------------------------------------------------
 * The CLI's parsers: durations, signals, limits, ids, umask, fds
 * ------------------------------------------------------------------------------------- */

/* The parser alone: -1 with EINVAL or ERANGE, outputs untouched. */
/* Issue 14: the parsers of --fd and the scheduling options; false for another option. */
static bool check_fdsched_parser(const struct row *row, int *r)
{
        const char *option = row->value;
        int a = -7, b = -7;
        void *set = NULL;
        size_t size = 7;

        if (strcmp(option, "--fd") == 0)
                *r = parse_fd_map(row->input, &a, &b);
        else if (strcmp(option, "--nice") == 0)
                *r = parse_int_in(row->input, -20, 19, &a);
        else if (strcmp(option, "--oom-score-adj") == 0)
                *r = parse_int_in(row->input, -1000, 1000, &a);
        else if (strcmp(option, "--cpu-affinity") == 0)
                *r = parse_cpu_list(row->input, &set, &size);
        else if (strcmp(option, "--ioprio") == 0)
                *r = parse_ioprio(row->input, &a, &b);
        else if (strcmp(option, "--sched") == 0)
                *r = parse_sched(row->input, &a, &b);
        else
                return false;
        assert_ll_equal(a, -7);
        assert_ll_equal(b, -7);
        assert_null(set);
        assert_ll_equal(size, 7);
        return true;
}

static void check_parser(const struct row *row)
{
        const char *option = row->value;
        unsigned ms = 12345;
        int sig = -7, resource = -7, fd = -7, r;
        rlim_t soft = 7, hard = 7;
        uid_t uid = 7;
        mode_t mask = 07;

        errno = 0;
        if (strcmp(option, "--timeout") == 0 || strcmp(option, "--kill-after") == 0) {
                r = parse_duration(row->input, &ms);
                assert_ll_equal(ms, 12345);
        } else if (strcmp(option, "--death-signal") == 0 || strcmp(option, "--signal") == 0) {
                r = parse_signal(row->input, &sig);
                assert_ll_equal(sig, -7);
        } else if (strcmp(option, "--rlimit") == 0) {
                r = parse_rlimit(row->input, &resource, &soft, &hard);
                assert_ll_equal(resource, -7);
        } else if (strcmp(option, "--uid") == 0 || strcmp(option, "--map-user") == 0) {
                r = parse_uid(row->input, &uid);
                assert_ll_equal(uid, 7);
        } else if (strcmp(option, "--umask") == 0) {
                r = parse_umask(row->input, &mask);
                assert_ll_equal(mask, 07);
        } else if (check_fdsched_parser(row, &r)) {
                /* issue 14, fds and argv0, scheduling */
        } else {
                r = parse_fd(row->input, &fd);
                assert_ll_equal(fd, -7);
        }
        assert_ll_equal(r, -1);
        assert_errno_equal(errno, row->expected_errno);
}

/* The CLI refuses it with exit 125 and a message naming the value and the option; the
 * program is never run. */
static void row_cli(const struct row *row)
{
        char *marker = row_path("ran"), *err = NULL, quoted[256];
        subproc *c;
        int status = -1;

        check_parser(row);
        if (access(SUBPROC_CLI_PATH, X_OK) != 0)
                fail_msg("%s is not built (run meson compile before meson test)", SUBPROC_CLI_PATH);
        c = subproc_new_args(SUBPROC_CLI_PATH, row->value, row->input, "--", HELPER_PATH,
                             "--no-report", NULL);
        subproc_add_arg_format(c, "--write-file=%s", marker);
        subproc_set_error_buffer(c, &err);
        assert_ll_equal(subproc_run(c, &status), 0);
        if (status != 125)
                fail_msg("%s '%s': exit %d, expected 125; stderr: %s", row->value, row->input,
                         status, err);
        snprintf(quoted, sizeof quoted, "'%s'", row->input);
        assert_contains(err, row->names != NULL ? row->names : quoted);
        assert_contains(err, row->value);
        assert_false(t_file_exists(marker));
        free(err);
        subproc_free(c);
        free(marker);
}

/* Issue 15: the --stop options of tools/parity.c refused with exit 125 and a message naming
 * the option and the input (or `names`), before anything is signalled: the victim, a process
 * the pidfile names, still runs. */
static void row_cli_stop(const struct row *row)
{
        char *path = row_path("v.pid"), *err = NULL, text[32], quoted[256];
        subproc *c,
                *victim = subproc_new_args(HELPER_PATH, "--no-report", "--sleep-ms=60000", NULL);
        pid_t pid;
        int status = -1, rc;
        bool alive;

        if (access(SUBPROC_CLI_PATH, X_OK) != 0)
                fail_msg("%s is not built (run meson compile before meson test)", SUBPROC_CLI_PATH);
        assert_ll_equal(subproc_run_async(victim, &pid), 0);
        snprintf(text, sizeof text, "%d\n", (int)pid);
        t_write_file(path, text, strlen(text));
        c = subproc_new_args(SUBPROC_CLI_PATH, "--stop", path, "--exec", HELPER_PATH, row->value,
                             row->input, NULL);
        subproc_set_error_buffer(c, &err);
        rc = subproc_run(c, &status);
        /* Before any assertion, so that a failed one leaves no child behind. */
        alive = waitpid(pid, NULL, WNOHANG) == 0;
        subproc_abort(victim);
        subproc_free(victim);
        assert_ll_equal(rc, 0);
        if (status != 125)
                fail_msg("%s '%s': exit %d, expected 125; stderr: %s", row->value, row->input,
                         status, err);
        snprintf(quoted, sizeof quoted, "'%s'", row->input);
        assert_contains(err, row->names != NULL ? row->names : quoted);
        assert_contains(err, row->value);
        assert_true(alive);
        assert_true(t_file_exists(path));
        free(err);
        subproc_free(c);
        free(path);
}

/* Issue 14, identity: the CLI's identity options (tools/identity.c, not parse.c) refused
 * with exit 125 and a message naming the option and `names`; the program never runs.  A
 * `number` > 0 makes the input that many "0," items, the last name empty (a long --groups
 * list; more than NGROUPS_MAX of them cannot fit in one argument, MAX_ARG_STRLEN). */
static void row_cli_identity(const struct row *row)
{
        char *marker = row_path("ran"), *err = NULL, *input = NULL;
        subproc *c;
        int status = -1;

        if (access(SUBPROC_CLI_PATH, X_OK) != 0)
                fail_msg("%s is not built (run meson compile before meson test)", SUBPROC_CLI_PATH);
        if (row->number > 0) {
                input = calloc((size_t)row->number * 2 + 1, 1);
                assert_non_null(input);
                for (long i = 0; i < row->number; i++)
                        memcpy(input + 2 * i, "0,", 2);
        }
        c = subproc_new_args(SUBPROC_CLI_PATH, row->value, input ? input : row->input, "--",
                             HELPER_PATH, "--no-report", NULL);
        subproc_add_arg_format(c, "--write-file=%s", marker);
        subproc_set_error_buffer(c, &err);
        assert_ll_equal(subproc_run(c, &status), 0);
        if (status != 125)
                fail_msg("%s: exit %d, expected 125; stderr: %s", row->value, status, err);
        assert_contains(err, row->names);
        assert_contains(err, row->value);
        assert_false(t_file_exists(marker));
        free(input);
        free(err);
        subproc_free(c);
        free(marker);
}

/* ---------------------------------------------------------------------------------------
 * Signals and reaping hazards that test-sigchld.c and test-io.c do not cover
 * ------------------------------------------------------------------------------------- */

/* SIGPIPE at its default (fatal) and unblocked while the child ignores a big send buffer:
 * the library must swallow the EPIPE, not die of it. */
static void row_sigpipe_send_buffer(const struct row *row)
{
        (void)row;
        const size_t len = 4 * 1024 * 1024;
        char *data = t_make_pattern('s', len);
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--exit=0", NULL);
        struct sigaction dfl = { .sa_handler = SIG_DFL };
        sigset_t unblock;
        int status = -1;

        sigemptyset(&dfl.sa_mask);
        assert_ll_equal(sigaction(SIGPIPE, &dfl, NULL), 0);
        sigemptyset(&unblock);
        sigaddset(&unblock, SIGPIPE);
        assert_ll_equal(sigprocmask(SIG_UNBLOCK, &unblock, NULL), 0);
        assert_true(subproc_add_send_buffer(c, data, len) >= 3);
        if (subproc_run(c, &status) != 0)
                fail_msg("run: %s", subproc_errmsg());
        assert_ll_equal(status, 0);
        subproc_free(c);
        free(data);
}

/* The process state letter of `pid` from /proc ('S', 'T', 'Z'...), or 0. */
static char proc_state(pid_t pid)
{
        char path[64], buf[512], *paren;
        FILE *f;
        char state = 0;

        snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
        f = fopen(path, "re");
        if (f == NULL)
                return 0;
        if (fgets(buf, sizeof buf, f) != NULL && (paren = strrchr(buf, ')')) != NULL)
                state = paren[2];
        fclose(f);
        return state;
}

static void wait_stopped(pid_t pid)
{
        double deadline = t_monotonic_ms() + 5000;

        while (proc_state(pid) != 'T' && t_monotonic_ms() < deadline) {
                struct timespec step = { 0, 1000000 };

                nanosleep(&step, NULL);
        }
        assert_ll_equal(proc_state(pid), 'T');
}

/* A stopped child (SIGSTOP) is not finished: wait_timeout gives up, and abort still ends
 * and reaps it at once (a fatal signal wakes a stopped process). */
static void row_stopped_child_abort(const struct row *row)
{
        (void)row;
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--sleep-ms=60000", NULL);
        int status = -1;
        double start;
        pid_t pid;

        assert_ll_equal(subproc_run_async(c, NULL), 0);
        pid = subproc_pid(c);
        assert_ll_equal(subproc_kill(c, SIGSTOP), 0);
        wait_stopped(pid);
        errno = 0;
        assert_ll_equal(subproc_wait_timeout(c, &status, 100), -1);
        assert_errno_equal(errno, ETIMEDOUT);
        assert_ll_equal(subproc_pid(c), pid);
        start = t_monotonic_ms();
        subproc_abort(c);
        assert_true(t_monotonic_ms() - start < 10000); /* only a hang: no speed assumed */
        assert_ll_equal(subproc_pid(c), -1);
        assert_true(WIFSIGNALED(subproc_status(c)));
        assert_no_children();
        subproc_free(c);
}

/* A child that ignores SIGTERM and stops itself under a timeout: the SIGCONT that follows the
 * SIGTERM wakes it (as timeout(1) does), so it runs on past its own kill() and exits by
 * itself (the helper's "still alive" 98) long before the SIGKILL; the run still fails with
 * ETIMEDOUT, by the deadline. */
static void row_stopped_child_timeout(const struct row *row)
{
        (void)row;
        char sigstop[32];
        subproc *c;
        double start;
        int rc, e;

        snprintf(sigstop, sizeof sigstop, "--kill-self=%d", SIGSTOP);
        c = subproc_new_args(HELPER_PATH, "--no-report", "--ignore-term", sigstop, NULL);
        subproc_set_timeout(c, 200, 5000);
        start = t_monotonic_ms();
        errno = 0;
        rc = subproc_run(c, NULL);
        e = errno;
        assert_ll_equal(rc, -1);
        assert_errno_equal(e, ETIMEDOUT);
        assert_true(t_monotonic_ms() - start < 10000); /* only a hang: no speed assumed */
        /* Not the SIGKILL at 5.2 s: it ended by itself once woken. */
        assert_true(WIFEXITED(subproc_status(c)));
        assert_ll_equal(WEXITSTATUS(subproc_status(c)), 98);
        assert_no_children();
        subproc_free(c);
}

/* A stopped child under a timeout that never sends SIGKILL: without the SIGCONT after the
 * SIGTERM it would stay stopped for good and the wait would never end.  The deadline reaps
 * it, dead of the SIGTERM. */
static void row_stopped_child_timeout_no_kill(const struct row *row)
{
        (void)row;
        char sigstop[32];
        int status = -1, rc, e;
        bool still_running;
        subproc *c;

        snprintf(sigstop, sizeof sigstop, "--kill-self=%d", SIGSTOP);
        c = subproc_new_args(HELPER_PATH, "--no-report", sigstop, NULL);
        subproc_set_timeout(c, 200, SUBPROC_NO_KILL);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        errno = 0;
        rc = subproc_wait_timeout(c, &status, 10000); /* only a hang guard */
        e = errno;
        still_running = subproc_pid(c) > 0;
        if (still_running)
                subproc_abort(c);
        assert_false(still_running);
        assert_ll_equal(rc, -1);
        assert_errno_equal(e, ETIMEDOUT);
        assert_true(WIFSIGNALED(subproc_status(c)));
        assert_ll_equal(WTERMSIG(subproc_status(c)), SIGTERM);
        assert_no_children();
        subproc_free(c);
}

/* Signal numbers that are no signals: EINVAL, and nothing is sent. */
static void row_kill_bad_signal(const struct row *row)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--sleep-ms=60000", NULL);

        assert_ll_equal(subproc_run_async(c, NULL), 0);
        errno = 0;
        assert_ll_equal(subproc_kill(c, (int)row->number), -1);
        assert_errno_equal(errno, EINVAL);
        assert_true(proc_state(subproc_pid(c)) != 0);
        assert_true(proc_state(subproc_pid(c)) != 'Z');
        subproc_abort(c);
        /* Nothing runs any more. */
        errno = 0;
        assert_ll_equal(subproc_kill(c, SIGTERM), -1);
        assert_errno_equal(errno, ESRCH);
        subproc_free(c);
}

/* Issue 15: subproc_kill_scope() with a number that is no signal: EINVAL, with a scope or
 * without one, and nothing signalled. */
static void row_kill_scope_bad_signal(const struct row *row)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--sleep-ms=60000", NULL);

        assert_ll_equal(subproc_run_async(c, NULL), 0);
        errno = 0;
        assert_ll_equal(subproc_kill_scope(c, (int)row->number), -1);
        assert_errno_equal(errno, EINVAL);
        assert_contains(subproc_errmsg(), "no such signal");
        assert_true(proc_state(subproc_pid(c)) != 'Z');
        subproc_free(c);
}

#ifdef __linux__ /* elsewhere every scope is refused with ENOTSUP */
/* Issue 15: a scope's parent directory that cannot hold one: refused at run with the errno
 * and a message naming it, no program run, no directory made.  "@file", "@dir" and "@link"
 * stand for a regular file, a directory on no cgroup file system and a symlink to a cgroup
 * v2 directory (or to /). */
static char *scope_parent_of(const struct row *row)
{
        char *path;

        if (strcmp(row->input, "@file") == 0) {
                path = row_path("file");
                write_file(path, "x", 1, 0644);
        } else if (strcmp(row->input, "@dir") == 0) {
                path = row_path("dir");
                assert_int_equal(mkdir(path, 0755), 0);
        } else if (strcmp(row->input, "@link") == 0) {
                path = row_path("link");
                assert_int_equal(symlink(access("/sys/fs/cgroup/unified/cgroup.procs", F_OK) == 0
                                                 ? "/sys/fs/cgroup/unified"
                                                 : "/sys/fs/cgroup",
                                         path),
                                 0);
        } else {
                path = strdup(row->input);
        }
        assert_non_null(path);
        return path;
}

static void row_scope(const struct row *row)
{
        char *marker = row_path("ran"), *parent = scope_parent_of(row);
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);

        subproc_add_arg_format(c, "--write-file=%s", marker);
        subproc_set_cgroup_scope(c, parent);
        assert_run_fails(c, row->expected_errno, row->names);
        assert_null(subproc_scope_path(c));
        assert_false(t_file_exists(marker));
        subproc_free(c);
        free(parent);
        free(marker);
}

/* The same through the CLI's --scope: exit 125 naming it, nothing run. */
static void row_cli_scope(const struct row *row)
{
        char *marker = row_path("ran"), *parent = scope_parent_of(row), *err = NULL;
        subproc *c;
        int status = -1;

        if (access(SUBPROC_CLI_PATH, X_OK) != 0)
                fail_msg("%s is not built (run meson compile before meson test)", SUBPROC_CLI_PATH);
        c = subproc_new_args(SUBPROC_CLI_PATH, "--scope", parent, "--", HELPER_PATH, "--no-report",
                             NULL);
        subproc_add_arg_format(c, "--write-file=%s", marker);
        subproc_set_error_buffer(c, &err);
        assert_ll_equal(subproc_run(c, &status), 0);
        if (status != 125)
                fail_msg("--scope %s: exit %d, expected 125; stderr: %s", parent, status, err);
        assert_contains(err, row->names);
        assert_false(t_file_exists(marker));
        free(err);
        subproc_free(c);
        free(parent);
        free(marker);
}
#endif

/* A child's output that claims the whole file-size range: truncate(1) makes its memory file
 * 2^63-1 bytes long at no cost.  The mapping must be refused with EFBIG naming the size, not
 * attempted, and nothing left behind. */
static void row_sparse_mapping(const struct row *row)
{
        subproc *c;
        char *out = NULL;

        if (access("/usr/bin/truncate", X_OK) != 0) {
                print_message("no /usr/bin/truncate here: row not tried\n");
                skip();
        }
        c = subproc_new_args("/usr/bin/truncate", "-s", row->input, "/dev/stdout", NULL);
        subproc_set_output_mapping(c, &out);
        assert_run_fails(c, row->expected_errno, row->names);
        assert_null(out);
        assert_ll_equal(subproc_output_len(c), 0);
        subproc_free(c);
}

/* The same past a capture limit of row->number bytes: the first bytes (here all zeros, a hole)
 * and EFBIG, never a failure to map what the cap leaves out. */
static void row_sparse_mapping_capped(const struct row *row)
{
        subproc *c;
        char *out = NULL;

        if (access("/usr/bin/truncate", X_OK) != 0) {
                print_message("no /usr/bin/truncate here: row not tried\n");
                skip();
        }
        c = subproc_new_args("/usr/bin/truncate", "-s", row->input, "/dev/stdout", NULL);
        subproc_set_output_mapping(c, &out);
        subproc_set_capture_limit(c, (size_t)row->number);
        assert_run_fails(c, row->expected_errno, row->names);
        assert_non_null(out);
        assert_ll_equal(subproc_output_len(c), row->number);
        assert_ll_equal(out[0], '\0');
        subproc_unmap(out, subproc_output_len(c));
        subproc_free(c);
}

/* An endless writer against a capture limit and a timeout: the limit keeps the buffer small
 * while the child is drained, never blocked, and the timeout ends it. */
static void row_endless_writer(const struct row *row)
{
        subproc *c = subproc_new_args("/usr/bin/yes", NULL);
        char *out = NULL;

        subproc_set_capture_limit(c, (size_t)row->number);
        subproc_set_timeout(c, 300, 1000);
        subproc_set_output_buffer(c, &out);
        assert_run_fails(c, row->expected_errno, row->names);
        assert_ll_equal(subproc_output_len(c), row->number);
        assert_ll_equal(strspn(out, "y\n"), row->number);
        free(out);
        subproc_free(c);
}

/* ---------------------------------------------------------------------------------------
 * Issue 14, fds and argv0, scheduling: bad numbers for the builder, and fd numbers the
 * kernel refuses.
 * ------------------------------------------------------------------------------------- */

/* The caller's stdin (never closed: flags 0) under row->number. */
static void b_pass_fd_as(subproc **c, const struct row *row)
{
        subproc_pass_fd_as(*c, 0, (int)row->number, 0);
}

static void b_pass_fd_as_bad_source(subproc **c, const struct row *row)
{
        subproc_pass_fd_as(*c, (int)row->number, 30, 0);
}

static void b_pass_fd_as_twice(subproc **c, const struct row *row)
{
        (void)row;
        subproc_pass_fd_as(*c, 0, 30, 0);
        subproc_pass_fd_as(*c, 1, 30, 0);
}

/* Issue 15: one listening fd (row->number) named row->input (NULL: unnamed). */
static void b_listen_fd(subproc **c, const struct row *row)
{
        const int fd = (int)row->number;
        const char *const names[] = { row->input };

        subproc_listen_fds(*c, &fd, 1, row->input ? names : NULL);
}

/* row->number fds (the list holds one: the count is checked before the list is read). */
static void b_listen_count(subproc **c, const struct row *row)
{
        const int fd = 0;

        subproc_listen_fds(*c, &fd, (size_t)row->number, NULL);
}

static void b_listen_null(subproc **c, const struct row *row)
{
        (void)row;
        subproc_listen_fds(*c, NULL, 1, NULL);
}

static void b_listen_twice(subproc **c, const struct row *row)
{
        const int fds[] = { 0, 1, 0 };

        (void)row;
        subproc_listen_fds(*c, fds, 3, NULL);
}

static void b_argv0_null(subproc **c, const struct row *row)
{
        (void)row;
        subproc_set_argv0(*c, NULL);
}

static void b_scope(subproc **c, const struct row *row)
{
        subproc_set_cgroup_scope(*c, row->input);
}

static void b_nice(subproc **c, const struct row *row)
{
        subproc_set_nice(*c, (int)row->number);
}

/* A set of row->number bytes that must not be read: refused on its size first. */
static void b_affinity_size(subproc **c, const struct row *row)
{
        static const unsigned char one_cpu[8] = { 1 };

        subproc_set_cpu_affinity(*c, one_cpu, (size_t)row->number);
}

static void b_affinity_null(subproc **c, const struct row *row)
{
        (void)row;
        subproc_set_cpu_affinity(*c, NULL, 128);
}

static void b_affinity_empty(subproc **c, const struct row *row)
{
        static const unsigned char none[128];

        (void)row;
        subproc_set_cpu_affinity(*c, none, sizeof none);
}

static void b_ioprio_class(subproc **c, const struct row *row)
{
        subproc_set_ioprio(*c, (int)row->number, 0);
}

static void b_ioprio_level(subproc **c, const struct row *row)
{
        subproc_set_ioprio(*c, SUBPROC_IOPRIO_CLASS_BE, (int)row->number);
}

static void b_oom_score_adj(subproc **c, const struct row *row)
{
        subproc_set_oom_score_adj(*c, (int)row->number);
}

static void b_sched_policy(subproc **c, const struct row *row)
{
        subproc_set_sched(*c, (int)row->number, 0);
}

static void b_sched_fifo_priority(subproc **c, const struct row *row)
{
        subproc_set_sched(*c, 1 /* SCHED_FIFO */, (int)row->number);
}

/* A child fd number no process can have: the run fails naming it, nothing is left. */
static void row_pass_fd_as_unreachable(const struct row *row)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        char names[64];

        snprintf(names, sizeof names, "fd %ld", row->number);
        subproc_pass_fd_as(c, 0, (int)row->number, 0);
        assert_run_fails(c, EBADF, names);
        subproc_free(c);
}

/* One fd under hundreds of numbers, in one permutation with the caller's own. */
static void row_pass_fd_as_many(const struct row *row)
{
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        char *out = NULL;

        for (long i = 0; i < row->number; i++)
                subproc_pass_fd_as(c, 0, (int)(10 + i), 0);
        r = t_run_report(c, &out);
        assert_ll_equal(t_report_count(r, "fd"), 3 + row->number);
        assert_true(t_report_has_fd(r, (int)(9 + row->number)));
        t_report_free(r);
        subproc_free(c);
}

/* ---------------------------------------------------------------------------------------
 * Issue 14, namespaces: unknown clone flags and map text the kernel could not take
 * ------------------------------------------------------------------------------------- */

static void b_unshare(subproc **c, const struct row *row)
{
        subproc_unshare(*c, (unsigned long)row->number);
}

/* row->input is the gid_map; value "huge": 8 KiB of valid lines; "lines": 341 lines. */
static void b_id_maps(subproc **c, const struct row *row)
{
        static char text[8192 + 64];
        size_t len = 0;

        if (row->value != NULL) {
                bool huge = strcmp(row->value, "huge") == 0;

                for (int i = 0; huge ? len < 8192 : i < 341; i++)
                        len += (size_t)snprintf(text + len, sizeof text - len, "%d %d 1\n", i, i);
        }
        subproc_unshare(*c, 0x10000000 /* CLONE_NEWUSER */);
        subproc_set_id_maps(*c, "0 0 1", row->value != NULL ? text : row->input);
}

/* ---------------------------------------------------------------------------------------
 * The table
 * ------------------------------------------------------------------------------------- */

/* clang-format 14 mangles macros that expand to a braced initializer: */
/* clang-format off */
#define BUILDER(label, b, in, val, num, names_)                                              \
        { .name = "builder: " label, .fn = row_builder, .build = (b), .input = (in),         \
          .value = (val), .number = (num), .expected_errno = EINVAL, .names = (names_) }
#define ARGV(label, in) { .name = "argv exact: " label, .fn = row_argv_exact, .input = (in) }
#define ENV(label, name_, val)                                                               \
        { .name = "env exact: " label, .fn = row_env_exact, .input = (name_), .value = (val) }
#define FD(label, setter, num)                                                               \
        { .name = "fd: " label, .fn = row_fd_closed, .value = (setter), .number = (num) }
#define CWD(label, kind, e)                                                                  \
        { .name = "cwd: " label, .fn = row_cwd, .value = (kind), .expected_errno = (e) }
#define PIDFILE_READ(label, content, len, e, pid_text)                                       \
        { .name = "pidfile read: " label, .fn = row_pidfile_read, .input = (content),        \
          .input_len = (len), .expected_errno = (e), .names = (pid_text) }
#define PIDFILE_HUGE(label, content, size)                                                   \
        { .name = "pidfile read: " label, .fn = row_pidfile_read, .input = (content),        \
          .number = (size), .expected_errno = EINVAL }
#define STALE(label, content, size)                                                          \
        { .name = "pidfile stale: " label, .fn = row_pidfile_stale, .input = (content),      \
          .number = (size) }
#define PATHROW(label, value, e)                                                             \
        { .name = "PATH " label, .fn = row_path_lookup, .input = (value),                    \
          .expected_errno = (e) }
#define CLI_STOP(option, in, names_)                                                         \
        { .name = "cli --stop: " option " " in, .fn = row_cli_stop, .value = (option),       \
          .input = (in), .names = (names_) }
#define CLI(option, in, e) { .name = "cli: " option " " in, .fn = row_cli, .value = (option), \
                             .input = (in), .expected_errno = (e) }
#define CLI_NAMES(option, in, e, names_)                                                     \
        { .name = "cli: " option " " in, .fn = row_cli, .value = (option), .input = (in),    \
          .expected_errno = (e), .names = (names_) }
/* clang-format on */

/* Runs in the child: async-signal-safe only.  Never returns. */
static int hostile_hanging_hook(void *opaque)
{
        (void)opaque;
        for (;;)
                pause();
        return 0; /* not reached */
}

/* Runs in the child: async-signal-safe only.  Leaves an fd without close-on-exec open. */
static int hostile_fd_hook(void *opaque)
{
        (void)opaque;
        return open("/dev/null", O_RDONLY) < 0 ? errno : 0;
}

/* A pre-exec hook that never returns: the run's timeout still ends the run and the child. */
static void row_hook_hangs(const struct row *row)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);

        subproc_set_pre_exec_hook(c, hostile_hanging_hook, NULL);
        subproc_set_timeout(c, 200, 0);
        alarm(HANG_GUARD_S);
        assert_run_fails(c, ETIMEDOUT, "pre-exec hook");
        alarm(0);
        subproc_free(c);
        (void)row;
}

/* An fd a hook leaves open never reaches the program. */
static void row_hook_leaks_fd(const struct row *row)
{
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        char *out = NULL, *fds;

        subproc_set_pre_exec_hook(c, hostile_fd_hook, NULL);
        r = t_run_report(c, &out);
        fds = t_report_fd_set(r);
        assert_string_equal(fds, "0 1 2");
        free(fds);
        t_report_free(r);
        subproc_free(c);
        (void)row;
}

/* ---- issue 16: many children in one loop ---------------------------------------------- */

/* A watched fd the caller closed: the wait reports it (POLLNVAL) instead of spinning or
 * hanging. */
static void row_loop_closed_fd(const struct row *row)
{
        subproc_loop *l = subproc_loop_new();
        struct subproc_event ev;
        int fd = lowest_free_fd();

        (void)row;
        assert_ll_equal(subproc_loop_watch_fd(l, fd, POLLIN, NULL), 0);
        assert_ll_equal(subproc_loop_wait(l, HANG_GUARD_S * 1000, NULL, &ev, 1), 1);
        assert_ll_equal(ev.type, SUBPROC_EVENT_FD_READY);
        assert_ll_equal(ev.fd, fd);
        assert_true(ev.revents & POLLNVAL);
        subproc_loop_free(l);
}

/* Counts and sizes out of range: EINVAL naming what is wrong, the running child unharmed. */
static void row_loop_counts(const struct row *row)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--stdout-text=x", NULL);
        subproc_loop *l = subproc_loop_new();
        struct subproc_event ev;
        struct pollfd fds[4];
        char *out = NULL;
        int t = -1, st = -1;

        subproc_set_output_buffer(c, &out);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        assert_ll_equal(subproc_poll_fds(c, fds, (int)row->number, &t), -1);
        assert_errno_equal(errno, EINVAL);
        assert_contains(subproc_errmsg(), "no room for the fds");
        assert_ll_equal(subproc_poll_service(c, fds, (int)row->number, &st), -1);
        assert_errno_equal(errno, EINVAL);
        assert_ll_equal(subproc_loop_wait(l, (int)row->number, NULL, &ev, (int)row->number), -1);
        assert_errno_equal(errno, EINVAL);
        assert_contains(subproc_errmsg(), "no room for events");
        assert_ll_equal(subproc_loop_watch_fd(l, (int)row->number, POLLIN, NULL), -1);
        assert_errno_equal(errno, EINVAL);
        /* A negative timeout is "no limit": an empty loop says ECHILD instead of blocking. */
        assert_ll_equal(subproc_loop_wait(l, (int)row->number, NULL, &ev, 1), -1);
        assert_errno_equal(errno, ECHILD);
        assert_ll_equal(subproc_loop_add(l, c, NULL), 0);
        assert_ll_equal(subproc_loop_wait(l, HANG_GUARD_S * 1000, NULL, &ev, 1), 1);
        assert_ll_equal(ev.type, SUBPROC_EVENT_EXITED);
        assert_ll_equal(ev.result, 0);
        assert_string_equal(out, "x");
        subproc_loop_free(l);
        subproc_free(c);
        free(out);
}

/* A daemon's run ends at its start: nothing for a loop to wait for. */
static void row_loop_daemon(const struct row *row)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_loop *l = subproc_loop_new();

        (void)row;
        subproc_daemonize(c);
        assert_ll_equal(subproc_loop_add(l, c, NULL), -1);
        assert_errno_equal(errno, EINVAL);
        assert_contains(subproc_errmsg(), "daemon");
        subproc_loop_free(l);
        subproc_free(c);
}

static const struct row rows[] = {
        /* The binary and argv. */
        BUILDER("binary NULL", b_new_null, NULL, NULL, 0, "binary is NULL"),
        BUILDER("binary empty", b_new_input, "", NULL, 0, "binary is an empty string"),
        BUILDER("argv NULL", b_new_argv_null, NULL, NULL, 0, "binary is NULL"),
        BUILDER("argv[0] empty", b_new_argv_input, "", NULL, 0, "binary is an empty string"),
        BUILDER("new_args binary NULL", b_new_args_null, NULL, NULL, 0, "binary is NULL"),
        BUILDER("argument NULL", b_arg_null, NULL, NULL, 0, "argument 1 is NULL"),
        BUILDER("argument pair with NULL name", b_arg_pair_null, NULL, NULL, 0, "NULL name"),
        BUILDER("argument set NULL", b_arg_set_null, NULL, NULL, 0, "argument set is NULL"),
        ARGV("embedded newline", "a\nb"),
        ARGV("newline alone", "\n"),
        ARGV("trailing newlines", "value\n\n"),
        ARGV("CR LF", "a\r\nb"),
        ARGV("newline then an option", "x\n--exit=3"),
        ARGV("control bytes", "\x01\x1b[31m\x7f"),
        ARGV("'=' and quotes", "NAME=\"$(id)\"; `id`"),
        ARGV("not UTF-8", "\xff\xfe\xc3("),
        { .name = "argv: argument larger than MAX_ARG_STRLEN (E2BIG)",
          .fn = row_e2big,
          .value = "arg" },

        /* The environment. */
        BUILDER("env name with '='", b_env_set, "A=B", "v", 0, "'A=B' contains '='"),
        BUILDER("env name '=' alone", b_env_set, "=", "v", 0, "'=' contains '='"),
        BUILDER("env name empty", b_env_set, "", "v", 0, "'' is empty"),
        BUILDER("env name NULL", b_env_set, NULL, "v", 0, "'(null)' is NULL"),
        BUILDER("env value NULL", b_env_set, "SP_X", NULL, 0, "SP_X has a NULL value"),
        BUILDER("env_put without '='", b_env_put, "NOVALUE", NULL, 0, "'NOVALUE'"),
        BUILDER("env_put with empty name", b_env_put, "=value", NULL, 0, "'=value'"),
        BUILDER("env_unset with '='", b_env_unset, "A=B", NULL, 0, "'A=B' contains '='"),
        BUILDER("env_unset empty", b_env_unset, "", NULL, 0, "'' is empty"),
        BUILDER("env_pass with '='", b_env_pass, "PATH=/x", NULL, 0, "'PATH=/x'"),
        ENV("value with newline", "SP_NL", "line1\nline2\n"),
        ENV("value with '='", "SP_EQ", "a=b=c"),
        ENV("value empty", "SP_EMPTY", ""),
        ENV("name with a space", "MY VAR", "x"),
        ENV("name with a newline", "A\nB", "x"),
        ENV("name with shell syntax", "$(id);x", "y"),
        ENV("name not UTF-8", "N\xff", "y"),
        { .name = "env: value larger than MAX_ARG_STRLEN (E2BIG)",
          .fn = row_e2big,
          .value = "env" },

        /* fds. */
        BUILDER("pass_fd 0", b_pass_fd, NULL, NULL, 0, "cannot pass fd 0"),
        BUILDER("pass_fd 1", b_pass_fd, NULL, NULL, 1, "cannot pass fd 1"),
        BUILDER("pass_fd 2", b_pass_fd, NULL, NULL, 2, "cannot pass fd 2"),
        BUILDER("pass_fd -1", b_pass_fd, NULL, NULL, -1, "cannot pass fd -1"),
        BUILDER("pass_fd INT_MIN", b_pass_fd, NULL, NULL, INT_MIN, "cannot pass fd -2147483648"),
        BUILDER("pass_fd unknown flags", b_pass_fd_bad_flags, NULL, NULL, 0, "unknown flags"),
        BUILDER("set_input_fd -1", b_input_fd, NULL, NULL, -1, "input fd -1"),
        BUILDER("set_output_fd -5", b_output_fd, NULL, NULL, -5, "output fd -5"),
        BUILDER("output callback streams 0", b_callback_streams, NULL, NULL, 0, "streams 0x0"),
        BUILDER("output callback streams -1", b_callback_streams, NULL, NULL, -1,
                "streams 0xffffffff"),
        BUILDER("output callback streams 4", b_callback_streams, NULL, NULL, 4, "streams 0x4"),
        BUILDER("output callback flags 1<<31", b_callback_flags, NULL, NULL, INT_MIN,
                "unknown output callback flags 0x80000000"),
        BUILDER("output callback NULL", b_callback_null, NULL, NULL, 0, "output callback is NULL"),
        BUILDER("input pipe NULL", b_input_pipe_null, NULL, NULL, 0, "input pipe's fd pointer"),
        FD("pass_fd of a closed high fd", "pass_fd", 900),
        FD("pass_fd of fd RLIMIT_NOFILE", "pass_fd", FD_NOFILE_LIMIT),
        FD("pass_fd of fd INT_MAX", "pass_fd", INT_MAX),
        FD("pass_fd of the lowest closed fd", "pass_fd", FD_LOWEST_FREE),
        FD("pass_fd CLOSE_PARENT of the lowest closed fd", "pass_fd CLOSE_PARENT", FD_LOWEST_FREE),
        FD("set_input_fd of a closed high fd", "set_input_fd", 900),
        FD("set_input_fd of fd INT_MAX", "set_input_fd", INT_MAX),
        FD("set_input_fd of the lowest closed fd", "set_input_fd", FD_LOWEST_FREE),
        FD("set_output_fd of a closed high fd", "set_output_fd", 900),
        FD("set_output_fd of the lowest closed fd", "set_output_fd", FD_LOWEST_FREE),
        { .name = "fd: pass_fd of an open fd at RLIMIT_NOFILE - 1", .fn = row_fd_top_open },

        /* cwd. */
        BUILDER("cwd empty", b_cwd, "", NULL, 0, "working directory is empty"),
        BUILDER("cwd NULL", b_cwd, NULL, NULL, 0, "working directory is NULL"),
        CWD("a regular file", "file", ENOTDIR),
        CWD("a FIFO (no blocking)", "fifo", ENOTDIR),
        CWD("a symlink to a file", "symlink to file", ENOTDIR),
        CWD("missing", "missing", ENOENT),

        /* Pidfiles.  .number is a second errno the header allows (see test-pidfile.c). */
        BUILDER("pidfile path empty", b_pidfile, "", NULL, 0, "pidfile path is empty"),
        BUILDER("pidfile path NULL", b_pidfile, NULL, NULL, 0, "pidfile path is NULL"),
        { .name = "pidfile: a symlink (O_NOFOLLOW), target untouched",
          .fn = row_pidfile_refused,
          .value = "symlink",
          .expected_errno = ELOOP,
          .number = ELOOP },
        { .name = "pidfile: a dangling symlink, target not created",
          .fn = row_pidfile_refused,
          .value = "dangling symlink",
          .expected_errno = ELOOP,
          .number = ELOOP },
        { .name = "pidfile: a FIFO, refused without blocking",
          .fn = row_pidfile_refused,
          .value = "fifo",
          .expected_errno = EINVAL,
          .number = ENXIO },
        { .name = "pidfile: a directory",
          .fn = row_pidfile_refused,
          .value = "directory",
          .expected_errno = EINVAL,
          .number = EISDIR },
        { .name = "pidfile: writable by others (0666), refused",
          .fn = row_pidfile_refused,
          .value = "world-writable",
          .expected_errno = EPERM,
          .number = EPERM },
        { .name = "pidfile: writable by the group (0664), refused",
          .fn = row_pidfile_refused,
          .value = "group-writable",
          .expected_errno = EPERM,
          .number = EPERM },
        { .name = "pidfile: a hard link to another file, that file untouched",
          .fn = row_pidfile_refused,
          .value = "hard link",
          .expected_errno = EMLINK,
          .number = EMLINK },
        { .name = "pidfile: in a world-writable directory, created by the library",
          .fn = row_pidfile_world_writable,
          .value = "new" },
        { .name = "pidfile: in a world-writable directory, created first by another user",
          .fn = row_pidfile_world_writable,
          .value = "other owner" },
        { .name = "pidfile: owned by another user: read",
          .fn = row_pidfile_other_owner,
          .value = "read" },
        { .name = "pidfile: owned by another user: read_if_alive",
          .fn = row_pidfile_other_owner,
          .value = "read_if_alive" },
        { .name = "pidfile: owned by another user: acquire",
          .fn = row_pidfile_other_owner,
          .value = "acquire" },
        { .name = "pidfile: owned by another user: force_cleanup",
          .fn = row_pidfile_other_owner,
          .value = "force_cleanup" },
        PIDFILE_READ("empty", "", 0, EINVAL, NULL),
        PIDFILE_READ("only a newline", "\n", 0, EINVAL, NULL),
        PIDFILE_READ("trailing garbage", "123abc\n", 0, EINVAL, NULL),
        PIDFILE_READ("a second line", "123\n456\n", 0, EINVAL, NULL),
        PIDFILE_READ("leading space", " 123\n", 0, EINVAL, NULL),
        PIDFILE_READ("plus sign", "+123\n", 0, EINVAL, NULL),
        PIDFILE_READ("negative pid", "-5\n", 0, EINVAL, NULL),
        PIDFILE_READ("pid -1", "-1\n", 0, EINVAL, NULL),
        PIDFILE_READ("zero pid", "0\n", 0, EINVAL, NULL),
        PIDFILE_READ("zeros", "000\n", 0, EINVAL, NULL),
        PIDFILE_READ("pid INT_MAX + 1", "2147483648\n", 0, EINVAL, NULL),
        PIDFILE_READ("pid 2^32 + 5 (wraps to 5 in 32 bits)", "4294967301\n", 0, EINVAL, NULL),
        PIDFILE_READ("pid overflowing 64 bits", "99999999999999999999999\n", 0, EINVAL, NULL),
        PIDFILE_READ("embedded NUL",
                     "12\0"
                     "34",
                     5, EINVAL, NULL),
        PIDFILE_READ("hex", "0x10\n", 0, EINVAL, NULL),
        PIDFILE_READ("valid, trailing whitespace", "123 \t\r\n", 0, 0, "123"),
        PIDFILE_HUGE("huge (8 KiB of digits)", "1", 8192),
        PIDFILE_HUGE("huge (the line \"42\" repeated to 8 KiB)", "42\n", 8192),
        PIDFILE_HUGE("just over 4 KiB", "7", 4097),
        STALE("empty", "", 0),
        STALE("garbage", "not a pid\n", 0),
        STALE("pid 1", "1\n", 0),
        STALE("huge (64 KiB)", "12345 ", 65536),

        /* PATH: the cwd is never searched implicitly.  '@' is the row's directory, which is
         * also the cwd, and holds the probe in ./, ./bin and (not executable) ./noexec. */
        PATHROW("unset", NULL, ENOENT),
        PATHROW("empty", "", ENOENT),
        PATHROW("':' (two empty entries)", ":", ENOENT),
        PATHROW("'::/nonexistent::'", "::/nonexistent::", ENOENT),
        PATHROW("'.'", ".", ENOENT),
        PATHROW("'./bin'", "./bin", ENOENT),
        PATHROW("'bin' (relative)", "bin", ENOENT),
        PATHROW("'bin:.:' (relative and empty)", "bin:.:", ENOENT),
        PATHROW("a file as an entry", "/etc/passwd:/nonexistent", ENOENT),
        PATHROW("absolute entry finds it (the probe works)", "@/bin", 0),
        PATHROW("relative entry skipped, absolute used", "bin:.:@/bin", 0),
        PATHROW("a non-executable match is skipped", "@/noexec:@/bin", 0),
        PATHROW("only a non-executable match (EACCES)", "@/noexec", EACCES),

        /* Outputs that would take the caller's memory. */
        { .name = "mapping: child sizes its output 2^63-1 bytes (sparse)",
          .fn = row_sparse_mapping,
          .input = "9223372036854775807",
          .expected_errno = EFBIG,
          .names = "cannot map the captured output (9223372036854775807 bytes)" },
        { .name = "mapping: child sizes its output 1 TiB past a capture limit (sparse)",
          .fn = row_sparse_mapping_capped,
          .input = "1T",
          .number = 4096,
          .expected_errno = EFBIG,
          .names = "capture limit of 4096 bytes" },
        { .name = "capture limit: endless writer, ended by its timeout",
          .fn = row_endless_writer,
          .number = 1000,
          .expected_errno = ETIMEDOUT,
          .names = "timed out" },

        /* A binary that another thread holds open for writing. */
        { .name = "ETXTBSY: binary held open for writing", .fn = row_etxtbsy, .number = -1 },
        { .name = "ETXTBSY: binary released 30 ms after the run starts",
          .fn = row_etxtbsy,
          .number = 30 },
        { .name = "ETXTBSY: released after 30 ms, with a pidfile: the program still holds it",
          .fn = row_etxtbsy_pidfile,
          .number = 30 },

        /* The CLI: durations, signals, limits, ids that overflow or are negative. */
        CLI("--timeout", "-1", EINVAL),
        CLI("--timeout", "-0.5s", EINVAL),
        CLI("--timeout", "+1s", EINVAL),
        CLI("--timeout", "99999999999999999999", ERANGE),
        CLI("--timeout", "18446744073709551616ms", ERANGE),
        CLI("--timeout", "4294967295ms", ERANGE),
        CLI("--timeout", "49711d", ERANGE),
        CLI("--timeout", "1e3", EINVAL),
        CLI("--timeout", "0x10", EINVAL),
        CLI("--timeout", "inf", EINVAL),
        CLI("--timeout", "nan", EINVAL),
        CLI("--timeout", " 1s", EINVAL),
        CLI("--timeout", "1s ", EINVAL),
        CLI("--timeout", "1ss", EINVAL),
        CLI("--timeout", "1.5.5s", EINVAL),
        CLI("--timeout", "", EINVAL),
        CLI("--kill-after", "-1", EINVAL),
        CLI("--kill-after", "99999999999999999999s", ERANGE),
        CLI("--death-signal", "-9", EINVAL),
        CLI("--death-signal", "-1", EINVAL),
        CLI("--death-signal", "0", EINVAL),
        CLI("--death-signal", "127", EINVAL), /* above SIGRTMAX everywhere (FreeBSD: 126) */
        CLI("--death-signal", "4294967305", EINVAL),
        CLI("--death-signal", "99999999999999999999", ERANGE),
        CLI("--death-signal", "SIG", EINVAL),
        CLI("--death-signal", "SIGSIGTERM", EINVAL),
        CLI("--death-signal", "TERM ", EINVAL),
        CLI("--death-signal", "9x", EINVAL),
        CLI("--death-signal", "", EINVAL),
        /* Issue 15: timeout(1)'s -s and start-stop-daemon's --stop options. */
        CLI("--signal", "-1", EINVAL),
        CLI("--signal", "0", EINVAL),
        CLI("--signal", "127", EINVAL),
        CLI("--signal", "99999999999999999999", ERANGE),
        CLI("--signal", "SIG", EINVAL),
        CLI("--signal", "TERM ", EINVAL),
        CLI("--signal", "", EINVAL),
        CLI_STOP("--retry", "TERM/x", NULL),
        CLI_STOP("--retry", "5/TERM", NULL),
        CLI_STOP("--retry", "TERM/5/5", NULL),
        CLI_STOP("--retry", "forever", NULL),
        CLI_STOP("--retry", "TERM//5", NULL),
        CLI_STOP("--retry", "/TERM/5", NULL),
        CLI_STOP("--retry", "TERM/5/", NULL),
        CLI_STOP("--retry", "/", NULL),
        CLI_STOP("--retry", "", NULL),
        CLI_STOP("--retry", "-0/5", NULL),
        CLI_STOP("--retry", "TERM/99999999999999999999", NULL),
        CLI_STOP("--signal", "0", NULL),
        CLI_STOP("--signal", "SIGSIGTERM", NULL),
        CLI_STOP("--name", "", "needs a process name"),
        CLI_STOP("--user", "no-such-user-here", NULL),
        CLI_STOP("--user", "99999999999999999999", NULL),
        CLI_STOP("--user", "-1", NULL),
        CLI("--rlimit", "NOFILE=-1", EINVAL),
        CLI("--rlimit", "NOFILE=99999999999999999999999", ERANGE),
        CLI("--rlimit", "NOFILE=18446744073709551615", ERANGE),
        CLI("--rlimit", "NOSUCH=1", EINVAL),
        CLI("--uid", "4294967295", ERANGE),
        CLI("--uid", "99999999999999999999", ERANGE),
        CLI("--umask", "-022", EINVAL),
        CLI("--umask", "1777", ERANGE),
        CLI("--pass-fd", "-1", EINVAL),
        CLI("--pass-fd", "2147483648", ERANGE),
        /* Issue 14, fds and argv0, scheduling. */
        CLI("--fd", "3", EINVAL),
        CLI("--fd", "3=-1", EINVAL),
        CLI("--fd", "2147483648=3", ERANGE),
        CLI("--fd", "3=2147483648", ERANGE),
        CLI("--nice", "-21", ERANGE),
        CLI("--nice", "99999999999999999999", ERANGE),
        CLI("--nice", "5x", EINVAL),
        CLI("--oom-score-adj", "1001", ERANGE),
        CLI("--oom-score-adj", "--1", EINVAL),
        CLI("--cpu-affinity", "0-99999999999999999999", ERANGE),
        CLI("--cpu-affinity", "3-1", EINVAL),
        CLI("--cpu-affinity", "0-7:0", EINVAL),
        CLI("--ioprio", "best-effort:8", ERANGE),
        CLI("--ioprio", "4", ERANGE),
        CLI("--ioprio", "realtime:", EINVAL),
        CLI("--sched", "deadline", EINVAL),
        CLI("--sched", "fifo:100", ERANGE),

        /* Other builder numbers. */
        BUILDER("death signal 0", b_death_signal, NULL, NULL, 0, "death signal 0"),
        BUILDER("death signal -1", b_death_signal, NULL, NULL, -1, "death signal -1"),
        BUILDER("death signal 127", b_death_signal, NULL, NULL, 127, "is not a signal"),
        /* Issue 15. */
        BUILDER("timeout signal 0", b_timeout_signal, NULL, NULL, 0, "timeout signal 0"),
        BUILDER("timeout signal -1", b_timeout_signal, NULL, NULL, -1, "timeout signal -1"),
        BUILDER("timeout signal 127", b_timeout_signal, NULL, NULL, 127, "is not a signal"),
        BUILDER("timeout signal INT_MIN", b_timeout_signal, NULL, NULL, INT_MIN, "is not a signal"),
        BUILDER("rlimit resource -1", b_rlimit_resource, NULL, NULL, -1,
                "resource limit -1 is unknown"),
        BUILDER("rlimit resource RLIM_NLIMITS", b_rlimit_resource, NULL, NULL, RLIM_NLIMITS,
                "is unknown"),
        BUILDER("rlimit soft above hard", b_rlimit_soft_above_hard, NULL, NULL, 0,
                "soft limit 2 is above the hard limit 1"),
        BUILDER("umask 01000", b_umask, NULL, NULL, 01000, "umask 1000"),
        BUILDER("uid -1", b_uid, NULL, NULL, -1, "uid -1"),
        BUILDER("gid -1", b_gid, NULL, NULL, -1, "gid -1"),

        /* Issue 14, namespaces. */
        BUILDER("unshare: CLONE_VM", b_unshare, NULL, NULL, 0x100, "unknown clone flags 0x100"),
        BUILDER("unshare: every bit", b_unshare, NULL, NULL, -1, "unknown clone flags"),
        BUILDER("id map: empty", b_id_maps, "", NULL, 0, "gid_map is empty"),
        BUILDER("id map: two numbers", b_id_maps, "0 0", NULL, 0, "gid_map line 1"),
        BUILDER("id map: count 0", b_id_maps, "0 0 0", NULL, 0, "gid_map line 1"),
        BUILDER("id map: four numbers", b_id_maps, "0 0 1 1", NULL, 0, "gid_map line 1"),
        BUILDER("id map: negative", b_id_maps, "-1 0 1", NULL, 0, "gid_map line 1"),
        BUILDER("id map: plus sign", b_id_maps, "+1 0 1", NULL, 0, "gid_map line 1"),
        BUILDER("id map: hex", b_id_maps, "0x10 0 1", NULL, 0, "gid_map line 1"),
        BUILDER("id map: past 2^32", b_id_maps, "4294967295 0 2", NULL, 0, "gid_map line 1"),
        BUILDER("id map: 2^32", b_id_maps, "0 4294967296 1", NULL, 0, "gid_map line 1"),
        BUILDER("id map: 20 digits", b_id_maps, "0 99999999999999999999 1", NULL, 0,
                "gid_map line 1"),
        BUILDER("id map: blank second line", b_id_maps, "0 0 1\n\n", NULL, 0, "gid_map line 2"),
        BUILDER("id map: newline alone", b_id_maps, "\n", NULL, 0, "gid_map line 1"),
        BUILDER("id map: shell text", b_id_maps, "0 0 1; id", NULL, 0, "gid_map line 1"),
        BUILDER("id map: 8 KiB", b_id_maps, NULL, "huge", 0, "gid_map is"),
        BUILDER("id map: 341 lines", b_id_maps, NULL, "lines", 0, "more than 340 lines"),
        CLI("--map-user", "4294967295", ERANGE),
        CLI("--map-user", "99999999999999999999", ERANGE),
        CLI("--map-user", "-1", ENOENT), /* not a number: a name, which no user has */
        /* Issue 16: the signal mask apart from the ignored dispositions. */
        BUILDER("signal mask NULL", b_signal_mask_null, NULL, NULL, 0, "signal mask is NULL"),
        /* Issue 16, pty: no master, no or unknown streams, half a window size. */
        BUILDER("pty master NULL", b_pty, NULL, "null", 7, "master is NULL"),
        BUILDER("pty streams 0", b_pty, NULL, NULL, 0, "streams 0x0"),
        BUILDER("pty streams 0x8", b_pty, NULL, NULL, 0xf, "streams 0xf"),
        BUILDER("pty rows 0", b_pty, "0x80", NULL, 7, "window size 0 x 80"),
        BUILDER("pty cols 0", b_pty, "24x0", NULL, 7, "window size 24 x 0"),
#ifdef __linux__
        /* Issue 14, confinement: seccomp filters and Landlock rulesets. */
        BUILDER("seccomp filter NULL", b_seccomp, NULL, NULL, -1, "seccomp filter is NULL"),
        BUILDER("seccomp filter empty", b_seccomp, NULL, NULL, 0, "seccomp filter is empty"),
        BUILDER("seccomp program NULL", b_seccomp, NULL, NULL, -2, "a program at NULL"),
        BUILDER("seccomp filter over BPF_MAXINSNS", b_seccomp, NULL, NULL, BPF_MAXINSNS + 1,
                "4097 instructions, more than the kernel's 4096"),
        { .name = "builder: Landlock ruleset fd -1",
          .fn = row_builder,
          .build = b_landlock,
          .number = -1,
          .expected_errno = EBADF,
          .names = "Landlock ruleset fd -1 is not an fd" },
        { .name = "builder: Landlock ruleset fd INT_MIN",
          .fn = row_builder,
          .build = b_landlock,
          .number = INT_MIN,
          .expected_errno = EBADF,
          .names = "is not an fd" },
        { .name = "fd: Landlock ruleset at the lowest closed fd",
          .fn = row_landlock_fd,
          .number = FD_LOWEST_FREE,
          .expected_errno = EBADF },
        { .name = "fd: Landlock ruleset at fd INT_MAX",
          .fn = row_landlock_fd,
          .number = INT_MAX,
          .expected_errno = EBADF },
        { .name = "fd: Landlock ruleset fd open on /dev/null",
          .fn = row_landlock_fd,
          .input = "/dev/null",
          .expected_errno = EINVAL },
#endif

        /* Signals and reaping hazards. */
        { .name = "signals: SIGPIPE at default, child ignores a 4 MiB send buffer",
          .fn = row_sigpipe_send_buffer },
        { .name = "signals: stopped child, wait_timeout gives up, abort ends it",
          .fn = row_stopped_child_abort },
        { .name = "signals: child stops itself under a timeout", .fn = row_stopped_child_timeout },
        { .name = "signals: child stops itself under a timeout without SIGKILL",
          .fn = row_stopped_child_timeout_no_kill },
        { .name = "signals: subproc_kill with signal -1", .fn = row_kill_bad_signal, .number = -1 },
        { .name = "signals: subproc_kill with signal 127",
          .fn = row_kill_bad_signal,
          .number = 127 },
        { .name = "signals: subproc_kill with signal INT_MAX",
          .fn = row_kill_bad_signal,
          .number = INT_MAX },

        /* Pre-exec hooks. */
        { .name = "hook: never returns, under a timeout", .fn = row_hook_hangs },
        { .name = "hook: leaves an fd open for the program", .fn = row_hook_leaks_fd },

        /* Issue 14, identity. */
        BUILDER("unknown user", b_user, "no-such-user-subproc", NULL, 0, "unknown user"),
        BUILDER("user name with a newline", b_user, "root\n", NULL, 0, "unknown user"),
        BUILDER("user name 'root:x:0:0'", b_user, "root:x:0:0", NULL, 0, "unknown user"),
        BUILDER("user: uid past 32 bits", b_user, "99999999999999999999", NULL, 0, "unknown user"),
        BUILDER("user: empty name", b_user, "", NULL, 0, "user name is empty"),
        BUILDER("groups: NGROUPS_MAX + 1", b_groups_huge, NULL, NULL, 1,
                "more than the system allows"),
        BUILDER("groups: 2^31 of them", b_groups, NULL, NULL, 1L << 31,
                "more than the system allows"),
        BUILDER("groups: SIZE_MAX of them", b_groups, NULL, NULL, -1,
                "more than the system allows"),
        BUILDER("groups: one is -1", b_groups, NULL, "minus one", 3, "group 2 is -1"),
        BUILDER("keep caps: -1", b_keep_cap, NULL, NULL, -1, "capability -1 is out of range"),
        BUILDER("keep caps: 64", b_keep_cap, NULL, NULL, 64, "capability 64 is out of range"),
        BUILDER("keep caps: INT_MAX", b_keep_cap, NULL, NULL, INT_MAX, "is out of range"),
        BUILDER("keep caps: INT_MIN", b_keep_cap, NULL, NULL, INT_MIN, "is out of range"),
        { .name = "cli: --user unknown",
          .fn = row_cli_identity,
          .value = "--user",
          .input = "subproc-no-such-user",
          .names = "no such user 'subproc-no-such-user'" },
        { .name = "cli: --user with a newline",
          .fn = row_cli_identity,
          .value = "--user",
          .input = "root\n",
          .names = "no such user" },
        { .name = "cli: --groups 30000 of them, the last empty",
          .fn = row_cli_identity,
          .value = "--groups",
          .number = 30000,
          .names = "an empty name" },
        { .name = "cli: --groups with an empty name",
          .fn = row_cli_identity,
          .value = "--groups",
          .input = "0,",
          .names = "an empty name" },
        { .name = "cli: --ambient-caps without + or -",
          .fn = row_cli_identity,
          .value = "--ambient-caps",
          .input = "net_raw",
          .names = "invalid capability list" },
        { .name = "cli: --ambient-caps +64",
          .fn = row_cli_identity,
          .value = "--ambient-caps",
          .input = "+64",
          .names = "invalid capability list '+64'" },
        { .name = "cli: --ambient-caps +cap_",
          .fn = row_cli_identity,
          .value = "--ambient-caps",
          .input = "+cap_",
          .names = "invalid capability list '+cap_'" },
        { .name = "cli: --ambient-caps with a 4 KiB name",
          .fn = row_cli_identity,
          .value = "--ambient-caps",
          .input = "+" HOSTILE_LONG_CAP,
          .names = "invalid capability" },
        /* Issue 14, fds and argv0, scheduling. */
        BUILDER("pass_fd_as child fd -1", b_pass_fd_as, NULL, NULL, -1,
                "the child's fd -1: the child's fd number is negative"),
        BUILDER("pass_fd_as child fd INT_MIN", b_pass_fd_as, NULL, NULL, INT_MIN,
                "the child's fd -2147483648"),
        BUILDER("pass_fd_as child fd 1", b_pass_fd_as, NULL, NULL, 1, "stdio setters"),
        BUILDER("pass_fd_as fd -1", b_pass_fd_as_bad_source, NULL, NULL, -1,
                "cannot pass fd -1 as the child's fd 30: not an fd"),
        BUILDER("pass_fd_as fd INT_MIN", b_pass_fd_as_bad_source, NULL, NULL, INT_MIN,
                "cannot pass fd -2147483648"),
        BUILDER("pass_fd_as two fds to one number", b_pass_fd_as_twice, NULL, NULL, 0,
                "cannot pass fd 1 as the child's fd 30: that child fd is already passed"),
        { .name = "fd: pass_fd_as to INT_MAX",
          .fn = row_pass_fd_as_unreachable,
          .number = INT_MAX },
        { .name = "fd: pass_fd_as under 800 numbers", .fn = row_pass_fd_as_many, .number = 800 },
        /* Issue 15, socket activation. */
        BUILDER("listen_fds fd -1", b_listen_fd, NULL, NULL, -1, "fd -1 (entry 0) is not an fd"),
        BUILDER("listen_fds fd INT_MIN", b_listen_fd, NULL, NULL, INT_MIN,
                "fd -2147483648 (entry 0) is not an fd"),
        BUILDER("listen_fds name with ':'", b_listen_fd, "a:b", NULL, 0, "contains ':'"),
        BUILDER("listen_fds name with a newline", b_listen_fd, "a\nb", NULL, 0,
                "control or non-ASCII"),
        BUILDER("listen_fds name with DEL", b_listen_fd, "a\x7f", NULL, 0, "control or non-ASCII"),
        BUILDER("listen_fds name in UTF-8", b_listen_fd, "caf\xc3\xa9", NULL, 0,
                "control or non-ASCII"),
        BUILDER("listen_fds empty name", b_listen_fd, "", NULL, 0, "is empty"),
        BUILDER("listen_fds 256-byte name", b_listen_fd, HOSTILE_LONG_CAP_256, NULL, 0,
                "longer than 255 bytes"),
        BUILDER("listen_fds n SIZE_MAX", b_listen_count, NULL, NULL, -1, "at most 1024"),
        BUILDER("listen_fds n 1025", b_listen_count, NULL, NULL, 1025, "at most 1024"),
        BUILDER("listen_fds n 0", b_listen_count, NULL, NULL, 0, "no fds given"),
        BUILDER("listen_fds NULL list", b_listen_null, NULL, NULL, 0, "the fd list is NULL"),
        BUILDER("listen_fds the same fd twice", b_listen_twice, NULL, NULL, 0,
                "fd 0 is given twice (as the child's fd 3 and 5)"),
        BUILDER("argv0 NULL", b_argv0_null, NULL, NULL, 0, "argv0 is NULL"),
        BUILDER("nice 20", b_nice, NULL, NULL, 20, "nice 20 is outside -20..19"),
        BUILDER("nice INT_MIN", b_nice, NULL, NULL, INT_MIN, "nice -2147483648"),
        BUILDER("nice INT_MAX", b_nice, NULL, NULL, INT_MAX, "nice 2147483647"),
        BUILDER("cpu affinity NULL", b_affinity_null, NULL, NULL, 0, "the CPU set is NULL"),
        BUILDER("cpu affinity size 0", b_affinity_size, NULL, NULL, 0, "size is 0"),
        BUILDER("cpu affinity size SIZE_MAX", b_affinity_size, NULL, NULL, -1,
                "larger than any system's"),
        BUILDER("cpu affinity empty", b_affinity_empty, NULL, NULL, 0, "holds no CPU"),
        BUILDER("ioprio class INT_MIN", b_ioprio_class, NULL, NULL, INT_MIN,
                "I/O priority class -2147483648"),
        BUILDER("ioprio class 4", b_ioprio_class, NULL, NULL, 4, "I/O priority class 4"),
        BUILDER("ioprio level INT_MAX", b_ioprio_level, NULL, NULL, INT_MAX,
                "I/O priority level 2147483647"),
        BUILDER("ioprio level -1", b_ioprio_level, NULL, NULL, -1, "I/O priority level -1"),
        BUILDER("oom score INT_MIN", b_oom_score_adj, NULL, NULL, INT_MIN,
                "OOM score adjustment -2147483648"),
        BUILDER("oom score 1001", b_oom_score_adj, NULL, NULL, 1001, "OOM score adjustment 1001"),
        BUILDER("sched policy INT_MIN", b_sched_policy, NULL, NULL, INT_MIN,
                "scheduling policy -2147483648"),
        BUILDER("sched policy SCHED_DEADLINE", b_sched_policy, NULL, NULL, 6,
                "scheduling policy 6"),
        BUILDER("sched FIFO priority INT_MAX", b_sched_fifo_priority, NULL, NULL, INT_MAX,
                "scheduling priority 2147483647 is outside 1..99"),
        BUILDER("sched FIFO priority 0", b_sched_fifo_priority, NULL, NULL, 0,
                "scheduling priority 0 is outside 1..99"),
        /* Issue 15: a cgroup scope's parent directory, and the scope's signals. */
        BUILDER("cgroup scope NULL", b_scope, NULL, NULL, 0, "parent directory is NULL"),
        BUILDER("cgroup scope empty", b_scope, "", NULL, 0, "parent directory is empty"),
#ifdef __linux__ /* elsewhere every scope is refused with ENOTSUP */
        { .name = "scope: parent a regular file",
          .fn = row_scope,
          .input = "@file",
          .expected_errno = ENOTDIR,
          .names = "cgroup scope under " },
        { .name = "scope: parent no cgroup v2 directory",
          .fn = row_scope,
          .input = "@dir",
          .expected_errno = ENOTSUP,
          .names = "not a cgroup v2 directory" },
        { .name = "scope: parent a symlink to a cgroup",
          .fn = row_scope,
          .input = "@link",
          .expected_errno = ELOOP,
          .names = "is a symbolic link" },
        { .name = "scope: parent the magic link /proc/self/cwd",
          .fn = row_scope,
          .input = "/proc/self/cwd",
          .expected_errno = ELOOP,
          .names = "/proc/self/cwd: is a symbolic link" },
        { .name = "scope: parent missing, with a newline",
          .fn = row_scope,
          .input = "/nonexistent\n/x",
          .expected_errno = ENOENT,
          .names = "/nonexistent\n/x" },
        { .name = "scope: parent /proc (no cgroup)",
          .fn = row_scope,
          .input = "/proc",
          .expected_errno = ENOTSUP,
          .names = "cgroup scope under /proc: not a cgroup v2 directory" },
        { .name = "cli: --scope no cgroup v2 directory",
          .fn = row_cli_scope,
          .input = "@dir",
          .names = "not a cgroup v2 directory" },
        { .name = "cli: --scope a symlink",
          .fn = row_cli_scope,
          .input = "@link",
          .names = "is a symbolic link" },
#endif
        { .name = "signals: subproc_kill_scope with signal -1",
          .fn = row_kill_scope_bad_signal,
          .number = -1 },
        { .name = "signals: subproc_kill_scope with signal INT_MAX",
          .fn = row_kill_scope_bad_signal,
          .number = INT_MAX },
        /* Issue 16: many children in one loop. */
        { .name = "loop: watch a closed fd", .fn = row_loop_closed_fd },
        { .name = "loop: counts INT_MIN", .fn = row_loop_counts, .number = INT_MIN },
        { .name = "loop: counts -1", .fn = row_loop_counts, .number = -1 },
        { .name = "loop: a daemon added", .fn = row_loop_daemon },
};

#define N_ROWS (sizeof rows / sizeof rows[0])

static void run_row(void **state)
{
        const struct row *row = *state;

        row->fn(row);
}

int main(void)
{
        struct CMUnitTest tests[N_ROWS];

        for (size_t i = 0; i < N_ROWS; i++)
                tests[i] = (struct CMUnitTest){ .name = rows[i].name,
                                                .test_func = run_row,
                                                .setup_func = hostile_setup,
                                                .teardown_func = hostile_teardown,
                                                .initial_state = (void *)&rows[i] };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
