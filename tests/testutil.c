/* Shared helpers for the subproc test suite; see testutil.h.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

struct report_line {
        char *key;
        char *value;
        size_t value_len;
};

struct helper_report {
        struct report_line *lines;
        size_t count;
};

/* ---------------------------------------------------------------------------------------
 * Assertions
 * ------------------------------------------------------------------------------------- */

void sp_assert_ll_equal(long long actual, long long expected, const char *what,
                        const char *file, int line)
{
        if (actual == expected)
                return;
        print_error("%s is %lld, expected %lld\n", what, actual, expected);
        _fail(file, line);
}

void sp_assert_errno_equal(int actual, int expected, const char *file, int line)
{
        if (actual == expected)
                return;
        print_error("errno is %d (%s), expected %d (%s)\n", actual, strerror(actual), expected,
                    strerror(expected));
        _fail(file, line);
}

void sp_assert_contains(const char *haystack, const char *needle, const char *file, int line)
{
        if (haystack != NULL && strstr(haystack, needle) != NULL)
                return;
        print_error("\"%s\" does not contain \"%s\"\n", haystack != NULL ? haystack : "(null)",
                    needle);
        _fail(file, line);
}

void sp_assert_bytes_equal(const void *actual, size_t actual_len, const void *expected,
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

/* ---------------------------------------------------------------------------------------
 * Fds and children of the caller
 * ------------------------------------------------------------------------------------- */

static int compare_ints(const void *a, const void *b)
{
        int x = *(const int *)a, y = *(const int *)b;

        return (x > y) - (x < y);
}

/* The caller's open fds, ascending; *count gets their number. */
static int *list_caller_fds(size_t *count)
{
        DIR *dir = opendir("/proc/self/fd");
        struct dirent *entry;
        size_t n = 0, cap = 64;
        int *fds = malloc(cap * sizeof *fds);

        assert_non_null(dir);
        assert_non_null(fds);
        while ((entry = readdir(dir)) != NULL) {
                int fd;

                if (entry->d_name[0] == '.')
                        continue;
                fd = atoi(entry->d_name);
                if (fd == dirfd(dir))
                        continue;
                if (n == cap) {
                        cap *= 2;
                        fds = realloc(fds, cap * sizeof *fds);
                        assert_non_null(fds);
                }
                fds[n++] = fd;
        }
        closedir(dir);
        qsort(fds, n, sizeof *fds, compare_ints);
        *count = n;
        return fds;
}

static char *format_fd_set(const int *fds, size_t count)
{
        char *text = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&text, &len);

        assert_non_null(out);
        for (size_t i = 0; i < count; i++)
                fprintf(out, "%s%d", i > 0 ? " " : "", fds[i]);
        fclose(out);
        return text;
}

char *caller_fd_set(void)
{
        size_t count;
        int *fds = list_caller_fds(&count);
        char *text = format_fd_set(fds, count);

        free(fds);
        return text;
}

bool fd_is_open(int fd)
{
        return fcntl(fd, F_GETFD) >= 0;
}

static char *fd_target(int fd)
{
        char path[64], target[512];
        ssize_t len;

        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        len = readlink(path, target, sizeof target - 1);
        if (len < 0)
                return strdup("?");
        target[len] = '\0';
        return strdup(target);
}

/* Kill and reap every child left by a failed case, so that one failure does not cascade. */
static void kill_leftover_children(void)
{
        DIR *dir = opendir("/proc");
        struct dirent *entry;
        pid_t self = getpid();

        if (dir != NULL) {
                while ((entry = readdir(dir)) != NULL) {
                        char path[300], buf[512], *close_paren;
                        long ppid;
                        FILE *stat_file;

                        if (entry->d_name[0] < '0' || entry->d_name[0] > '9')
                                continue;
                        snprintf(path, sizeof path, "/proc/%s/stat", entry->d_name);
                        stat_file = fopen(path, "re");
                        if (stat_file == NULL)
                                continue;
                        if (fgets(buf, sizeof buf, stat_file) != NULL &&
                            (close_paren = strrchr(buf, ')')) != NULL &&
                            sscanf(close_paren + 2, "%*c %ld", &ppid) == 1 && ppid == self)
                                kill((pid_t)atol(entry->d_name), SIGKILL);
                        fclose(stat_file);
                }
                closedir(dir);
        }
        while (waitpid(-1, NULL, __WALL) > 0 || errno == EINTR)
                ;
}

void sp_assert_no_children(const char *file, int line)
{
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG | __WALL);

        if (pid < 0 && errno == ECHILD)
                return;
        if (pid > 0)
                print_error("a zombie child %ld was left behind (status 0x%x)\n", (long)pid,
                            (unsigned)status);
        else if (pid == 0)
                print_error("a child is still running\n");
        else
                print_error("waitpid: %s\n", strerror(errno));
        kill_leftover_children();
        _fail(file, line);
}

static int *setup_fds;
static size_t setup_fd_count;

int sp_test_setup(void **state)
{
        (void)state;
        free(setup_fds);
        setup_fds = list_caller_fds(&setup_fd_count);
        errno = 0;
        return 0;
}

int sp_test_teardown(void **state)
{
        size_t count, i = 0, j = 0;
        int *fds = list_caller_fds(&count);
        int problems = 0;
        int status;
        pid_t pid;

        (void)state;
        /* Both lists are sorted: walk them together. */
        while (i < setup_fd_count || j < count) {
                if (j == count || (i < setup_fd_count && setup_fds[i] < fds[j])) {
                        print_error("fd %d, open before the case, was closed\n", setup_fds[i]);
                        problems++;
                        i++;
                } else if (i == setup_fd_count || fds[j] < setup_fds[i]) {
                        char *target = fd_target(fds[j]);

                        print_error("fd %d (%s) was leaked in the caller\n", fds[j], target);
                        free(target);
                        close(fds[j]);
                        problems++;
                        j++;
                } else {
                        i++;
                        j++;
                }
        }
        free(fds);

        pid = waitpid(-1, &status, WNOHANG | __WALL);
        if (pid > 0) {
                print_error("a zombie child %ld was left behind (status 0x%x)\n", (long)pid,
                            (unsigned)status);
                problems++;
        } else if (pid == 0) {
                print_error("a child is still running after the case\n");
                problems++;
        } else if (errno != ECHILD) {
                print_error("waitpid: %s\n", strerror(errno));
                problems++;
        }
        if (pid >= 0)
                kill_leftover_children();
        return problems == 0 ? 0 : -1;
}

/* ---------------------------------------------------------------------------------------
 * Reports
 * ------------------------------------------------------------------------------------- */

/* Undo helper_escape() in place; returns the new length. */
static size_t unescape(char *text)
{
        char *in = text, *out = text;

        while (*in != '\0') {
                if (in[0] == '\\' && in[1] == '\\') {
                        *out++ = '\\';
                        in += 2;
                } else if (in[0] == '\\' && in[1] == 'n') {
                        *out++ = '\n';
                        in += 2;
                } else if (in[0] == '\\' && in[1] == 'x' && in[2] != '\0' && in[3] != '\0') {
                        char hex[3] = { in[2], in[3], '\0' };

                        *out++ = (char)strtol(hex, NULL, 16);
                        in += 4;
                } else {
                        *out++ = *in++;
                }
        }
        *out = '\0';
        return (size_t)(out - text);
}

struct helper_report *report_parse(const char *text, size_t len)
{
        struct helper_report *r = calloc(1, sizeof *r);
        size_t cap = 0, pos = 0;

        assert_non_null(r);
        while (pos < len) {
                const char *line = text + pos;
                const char *end = memchr(line, '\n', len - pos);
                size_t line_len = end != NULL ? (size_t)(end - line) : len - pos;
                const char *equals = memchr(line, '=', line_len);
                struct report_line *entry;

                pos += line_len + 1;
                if (equals == NULL)
                        continue;
                if (r->count == cap) {
                        cap = cap == 0 ? 64 : cap * 2;
                        r->lines = realloc(r->lines, cap * sizeof *r->lines);
                        assert_non_null(r->lines);
                }
                entry = &r->lines[r->count++];
                entry->key = strndup(line, (size_t)(equals - line));
                entry->value = strndup(equals + 1, (size_t)(line + line_len - equals - 1));
                assert_non_null(entry->key);
                assert_non_null(entry->value);
                entry->value_len = unescape(entry->value);
        }
        return r;
}

struct helper_report *report_read_file(const char *path)
{
        size_t len;
        char *text = read_file_all(path, &len);
        struct helper_report *r = report_parse(text, len);

        free(text);
        return r;
}

void report_free(struct helper_report *r)
{
        if (r == NULL)
                return;
        for (size_t i = 0; i < r->count; i++) {
                free(r->lines[i].key);
                free(r->lines[i].value);
        }
        free(r->lines);
        free(r);
}

const char *report_nth(const struct helper_report *r, const char *key, size_t n)
{
        for (size_t i = 0; i < r->count; i++) {
                if (strcmp(r->lines[i].key, key) == 0 && n-- == 0)
                        return r->lines[i].value;
        }
        return NULL;
}

const char *report_get(const struct helper_report *r, const char *key)
{
        return report_nth(r, key, 0);
}

const char *report_getf(const struct helper_report *r, const char *fmt, ...)
{
        char key[256];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(key, sizeof key, fmt, ap);
        va_end(ap);
        return report_get(r, key);
}

long long report_get_int(const struct helper_report *r, const char *key)
{
        const char *value = report_get(r, key);
        char *end;
        long long number;

        if (value == NULL) {
                print_error("the helper report has no \"%s\"\n", key);
                fail();
        }
        errno = 0;
        number = strtoll(value, &end, 0);
        if (errno != 0 || end == value || *end != '\0') {
                print_error("report value %s=%s is not a number\n", key, value);
                fail();
        }
        return number;
}

size_t report_count(const struct helper_report *r, const char *key)
{
        size_t count = 0;

        for (size_t i = 0; i < r->count; i++)
                count += strcmp(r->lines[i].key, key) == 0;
        return count;
}

char *report_fd_set(const struct helper_report *r)
{
        size_t count = report_count(r, "fd");
        int *fds = calloc(count + 1, sizeof *fds);
        char *text;

        assert_non_null(fds);
        for (size_t i = 0; i < count; i++)
                fds[i] = atoi(report_nth(r, "fd", i));
        text = format_fd_set(fds, count);
        free(fds);
        return text;
}

bool report_has_fd(const struct helper_report *r, int fd)
{
        char text[32];

        snprintf(text, sizeof text, "%d", fd);
        for (size_t i = 0; i < r->count; i++) {
                if (strcmp(r->lines[i].key, "fd") == 0 && strcmp(r->lines[i].value, text) == 0)
                        return true;
        }
        return false;
}

const char *report_env(const struct helper_report *r, const char *name)
{
        size_t name_len = strlen(name);

        for (size_t i = 0; i < r->count; i++) {
                const char *value = r->lines[i].value;

                if (strcmp(r->lines[i].key, "env") == 0 && strncmp(value, name, name_len) == 0 &&
                    value[name_len] == '=')
                        return value + name_len + 1;
        }
        return NULL;
}

size_t report_env_count(const struct helper_report *r)
{
        return report_count(r, "env");
}

char **report_argv(const struct helper_report *r)
{
        long long argc = report_get_int(r, "argc");
        char **argv = calloc((size_t)argc + 1, sizeof *argv);

        assert_non_null(argv);
        for (long long i = 0; i < argc; i++) {
                const char *arg = report_getf(r, "argv[%lld]", i);

                assert_non_null(arg);
                argv[i] = strdup(arg);
        }
        return argv;
}

void strv_free(char **strv)
{
        if (strv == NULL)
                return;
        for (size_t i = 0; strv[i] != NULL; i++)
                free(strv[i]);
        free(strv);
}

static void check_complete(const struct helper_report *r)
{
        if (report_get(r, "report_end") == NULL) {
                print_error("the helper report is incomplete (no report_end)\n");
                fail();
        }
}

struct helper_report *run_report_again(subproc *c, char **out)
{
        struct helper_report *r;
        int status = -1, rc;

        rc = subproc_run(c, &status);
        if (rc != 0)
                print_error("subproc_run: %s (errno %d)\n", subproc_errmsg(), errno);
        assert_ll_equal(rc, 0);
        assert_ll_equal(status, 0);
        assert_non_null(*out);
        r = report_parse(*out, subproc_output_len(c));
        free(*out);
        *out = NULL;
        check_complete(r);
        return r;
}

struct helper_report *run_report(subproc *c, char **out)
{
        subproc_set_output_buffer(c, out);
        return run_report_again(c, out);
}

struct helper_report *run_report_file(subproc *c)
{
        char *path = make_temp_path();
        struct helper_report *r;
        int status = -1, rc;

        subproc_add_arg_format(c, "--report=%s", path);
        rc = subproc_run(c, &status);
        if (rc != 0)
                print_error("subproc_run: %s (errno %d)\n", subproc_errmsg(), errno);
        assert_ll_equal(rc, 0);
        assert_ll_equal(status, 0);
        r = report_read_file(path);
        unlink(path);
        free(path);
        check_complete(r);
        return r;
}

void sp_assert_run_fails(subproc *c, bool async, int expected_errno, const char *msg_part,
                         const char *file, int line)
{
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
                sp_assert_errno_equal(saved_errno, expected_errno, file, line);
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
        sp_assert_no_children(file, line);
}

/* ---------------------------------------------------------------------------------------
 * Awkward strings
 * ------------------------------------------------------------------------------------- */

/* Arguments a shell or a naive quoter would mangle. */
const char *const awkward_args[] = {
        "",
        " ",
        "a b",
        "two  spaces",
        "it's",
        "\"double\"",
        "$HOME",
        "${HOME}",
        "`id`",
        "$(id)",
        "back\\slash",
        "trailing\\",
        "new\nline",
        "tab\there",
        "\r\x01\x7f",
        "ünïcødé ☃",
        "\xff\xfe not utf-8",
        "*",
        "?",
        "~",
        "~root",
        "#comment",
        "a;b",
        "a&b",
        "a|b",
        "!bang",
        "{a,b}",
        "[ab]",
        "<in",
        ">out",
        "-",
        "--",
        "-x",
        "--opt=va lue",
        "=",
        "a=b",
        "'",
        "''",
        "\\'",
        "%s%n",
        NULL,
};

/* Variable values that need quoting. */
const struct awkward_env_entry awkward_env[] = {
        { "SP_EMPTY", "" },
        { "SP_SPACE", "va lue" },
        { "SP_QUOTE", "it's \"q\"" },
        { "SP_NEWLINE", "new\nline" },
        { "SP_DOLLAR", "$HOME `id` $(id)" },
        { "SP_BACKSLASH", "back\\slash\\" },
        { "SP_UTF8", "ünï ☃" },
        { "SP_EQUALS", "a=b=c" },
};

const size_t n_awkward_env = sizeof awkward_env / sizeof awkward_env[0];

size_t strv_length(const char *const *strv)
{
        size_t n = 0;

        while (strv[n] != NULL)
                n++;
        return n;
}

/* ---------------------------------------------------------------------------------------
 * Fds, signals and other things several test files check
 * ------------------------------------------------------------------------------------- */

unsigned long long report_hex(const struct helper_report *r, const char *key)
{
        const char *value = report_get(r, key);

        if (value == NULL)
                print_error("the helper report has no %s\n", key);
        assert_non_null(value);
        return strtoull(value, NULL, 16);
}

/* "DEV:INO" of an fd of the caller, as the helper prints it for its own fds. */
char *fd_identity(int fd)
{
        struct stat st;
        char *text;

        assert_ll_equal(fstat(fd, &st), 0);
        assert_true(asprintf(&text, "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino) > 0);
        return text;
}

void check_fd_set(const struct helper_report *r, const char *expected)
{
        char *fds = report_fd_set(r);

        assert_string_equal(fds, expected);
        free(fds);
}

/* Open fds without O_CLOEXEC, the way careless code in a big program does, at low numbers and
 * at `high` (if >= 0).  Returns how many were stored in `fds`. */
size_t open_leaky_fds(int *fds, int high)
{
        int pipe_fds[2], socket_fds[2];
        size_t n = 0;

        fds[n] = open("/dev/null", O_RDONLY);
        assert_true(fds[n++] >= 0);
        assert_ll_equal(pipe(pipe_fds), 0);
        fds[n++] = pipe_fds[0];
        fds[n++] = pipe_fds[1];
        assert_ll_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, socket_fds), 0);
        fds[n++] = socket_fds[0];
        fds[n++] = socket_fds[1];
        fds[n] = fcntl(fds[0], F_DUPFD, 100);
        assert_true(fds[n++] >= 100);
        if (high >= 0) {
                assert_ll_equal(dup2(fds[0], high), high);
                fds[n++] = high;
        }
        return n;
}

/* fd 1000 if RLIMIT_NOFILE allows it, else -1 (no high fd). */
int high_fd_within_limit(void)
{
        struct rlimit limit;

        assert_ll_equal(getrlimit(RLIMIT_NOFILE, &limit), 0);
        return limit.rlim_cur > 1001 ? 1000 : -1;
}

void close_fds(const int *fds, size_t n)
{
        for (size_t i = 0; i < n; i++)
                close(fds[i]);
}

volatile sig_atomic_t hostile_usr1_count;

void hostile_usr1_handler(int sig)
{
        hostile_usr1_count++;
}

void save_signal_state(struct signal_state *saved)
{
        assert_ll_equal(sigprocmask(SIG_SETMASK, NULL, &saved->mask), 0);
        for (int sig = 1; sig < NSIG; sig++)
                sigaction(sig, NULL, &saved->actions[sig]);
}

void restore_signal_state(const struct signal_state *saved)
{
        for (int sig = 1; sig < NSIG; sig++) {
                if (sig != SIGKILL && sig != SIGSTOP)
                        sigaction(sig, &saved->actions[sig], NULL);
        }
        sigprocmask(SIG_SETMASK, &saved->mask, NULL);
}

/* Make the caller hostile: SIGPIPE and SIGINT ignored, a SIGUSR1 handler, SIGUSR2, SIGTERM,
 * SIGCHLD and a real-time signal blocked.  Returns the mask it set. */
void make_signals_hostile(sigset_t *mask)
{
        struct sigaction sa = { .sa_handler = hostile_usr1_handler };

        sigemptyset(&sa.sa_mask);
        assert_ll_equal(sigaction(SIGUSR1, &sa, NULL), 0);
        signal(SIGPIPE, SIG_IGN);
        signal(SIGINT, SIG_IGN);
        sigemptyset(mask);
        sigaddset(mask, SIGUSR2);
        sigaddset(mask, SIGTERM);
        sigaddset(mask, SIGCHLD);
        sigaddset(mask, SIGRTMIN + 3);
        assert_ll_equal(sigprocmask(SIG_SETMASK, mask, NULL), 0);
}

void check_caller_signals_unchanged(const sigset_t *mask)
{
        struct sigaction sa;
        sigset_t now;

        assert_ll_equal(sigprocmask(SIG_SETMASK, NULL, &now), 0);
        for (int sig = 1; sig < NSIG; sig++) {
                if (sigismember(&now, sig) != sigismember(mask, sig))
                        print_error("signal %d: blocked %d, expected %d\n", sig,
                                    sigismember(&now, sig), sigismember(mask, sig));
                assert_ll_equal(sigismember(&now, sig), sigismember(mask, sig));
        }
        sigaction(SIGUSR1, NULL, &sa);
        assert_true(sa.sa_handler == hostile_usr1_handler);
        sigaction(SIGPIPE, NULL, &sa);
        assert_true(sa.sa_handler == SIG_IGN);
        sigaction(SIGINT, NULL, &sa);
        assert_true(sa.sa_handler == SIG_IGN);
}

void check_child_signals_clean(const struct helper_report *r)
{
        assert_string_equal(report_get(r, "sigblk"), "0000000000000000");
        assert_string_equal(report_get(r, "sigign"), "0000000000000000");
        assert_string_equal(report_get(r, "sigcgt"), "0000000000000000");
        assert_ll_equal(report_hex(r, "sigblk"), 0);
}

/* ---------------------------------------------------------------------------------------
 * Files
 * ------------------------------------------------------------------------------------- */

static const char *temp_root(void)
{
        const char *dir = getenv("TMPDIR");

        return dir != NULL && dir[0] == '/' ? dir : "/tmp";
}

char *make_temp_file(const void *content, size_t len, mode_t mode)
{
        char *path;
        int fd;

        assert_true(asprintf(&path, "%s/subproc-test-XXXXXX", temp_root()) > 0);
        fd = mkostemp(path, O_CLOEXEC);
        assert_true(fd >= 0);
        write_fd_all(fd, content, len);
        assert_int_equal(fchmod(fd, mode), 0);
        close(fd);
        return path;
}

char *make_temp_dir(void)
{
        char *path;

        assert_true(asprintf(&path, "%s/subproc-test-XXXXXX", temp_root()) > 0);
        assert_non_null(mkdtemp(path));
        return path;
}

char *make_temp_path(void)
{
        static atomic_uint counter;
        char *path;

        assert_true(asprintf(&path, "%s/subproc-test-%ld-%u-%ld", temp_root(), (long)getpid(),
                             atomic_fetch_add(&counter, 1) + 1,
                             (long)time(NULL)) > 0);
        unlink(path);
        return path;
}

char *read_fd_all(int fd, size_t *len)
{
        size_t used = 0, cap = 65536;
        char *buf = malloc(cap + 1);

        assert_non_null(buf);
        for (;;) {
                ssize_t n;

                if (used == cap) {
                        cap *= 2;
                        buf = realloc(buf, cap + 1);
                        assert_non_null(buf);
                }
                n = read(fd, buf + used, cap - used);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        print_error("read fd %d: %s\n", fd, strerror(errno));
                assert_true(n >= 0);
                if (n == 0)
                        break;
                used += (size_t)n;
        }
        buf[used] = '\0';
        if (len != NULL)
                *len = used;
        return buf;
}

char *read_file_all(const char *path, size_t *len)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        char *buf;

        if (fd < 0)
                print_error("open %s: %s\n", path, strerror(errno));
        assert_true(fd >= 0);
        buf = read_fd_all(fd, len);
        close(fd);
        return buf;
}

void write_fd_all(int fd, const void *data, size_t len)
{
        const char *p = data;

        while (len > 0) {
                ssize_t n = write(fd, p, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        print_error("write fd %d: %s\n", fd, strerror(errno));
                assert_true(n > 0);
                p += n;
                len -= (size_t)n;
        }
}

char *expected_interleave(int lines)
{
        char *text = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&text, &len);

        assert_non_null(out);
        for (int i = 0; i < lines; i++)
                fprintf(out, "%s %d\n", i % 2 == 0 ? "out" : "err", i);
        fclose(out);
        return text;
}

char *expected_interleave_half(int lines, bool odd)
{
        char *text = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&text, &len);

        assert_non_null(out);
        for (int i = odd ? 1 : 0; i < lines; i += 2)
                fprintf(out, "%s %d\n", odd ? "err" : "out", i);
        fclose(out);
        return text;
}

char *make_pattern(char seed, size_t len)
{
        char *buf = malloc(len + 1);

        assert_non_null(buf);
        for (size_t i = 0; i < len; i++)
                buf[i] = helper_pattern_byte(seed, i);
        buf[len] = '\0';
        return buf;
}

void format_checksum(char buf[17], uint64_t sum)
{
        snprintf(buf, 17, "%016" PRIx64, sum);
}

double monotonic_ms(void)
{
        struct timespec now;

        clock_gettime(CLOCK_MONOTONIC, &now);
        return (double)now.tv_sec * 1000.0 + (double)now.tv_nsec / 1e6;
}

/* ---------------------------------------------------------------------------------------
 * Environment
 * ------------------------------------------------------------------------------------- */

void env_save_set(struct saved_env *saved, const char *name, const char *value)
{
        const char *old = getenv(name);

        saved->name = strdup(name);
        saved->value = old != NULL ? strdup(old) : NULL;
        if (value != NULL)
                assert_int_equal(setenv(name, value, 1), 0);
        else
                assert_int_equal(unsetenv(name), 0);
}

void env_restore(struct saved_env *saved)
{
        if (saved->name == NULL)
                return;
        if (saved->value != NULL)
                setenv(saved->name, saved->value, 1);
        else
                unsetenv(saved->name);
        free(saved->name);
        free(saved->value);
        saved->name = NULL;
        saved->value = NULL;
}
