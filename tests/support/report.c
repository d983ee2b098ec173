/* Parsing the helper's report and running the helper for one; see report.h.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support.h"

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

struct helper_report *t_report_parse(const char *text, size_t len)
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

struct helper_report *t_report_read_file(const char *path)
{
        size_t len;
        char *text = t_read_file_all(path, &len);
        struct helper_report *r = t_report_parse(text, len);

        free(text);
        return r;
}

void t_report_free(struct helper_report *r)
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

const char *t_report_nth(const struct helper_report *r, const char *key, size_t n)
{
        for (size_t i = 0; i < r->count; i++) {
                if (strcmp(r->lines[i].key, key) == 0 && n-- == 0)
                        return r->lines[i].value;
        }
        return NULL;
}

const char *t_report_get(const struct helper_report *r, const char *key)
{
        return t_report_nth(r, key, 0);
}

const char *t_report_getf(const struct helper_report *r, const char *fmt, ...)
{
        char key[256];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(key, sizeof key, fmt, ap);
        va_end(ap);
        return t_report_get(r, key);
}

long long t_report_get_int(const struct helper_report *r, const char *key)
{
        const char *value = t_report_get(r, key);
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

size_t t_report_count(const struct helper_report *r, const char *key)
{
        size_t count = 0;

        for (size_t i = 0; i < r->count; i++)
                count += strcmp(r->lines[i].key, key) == 0;
        return count;
}

char *t_report_fd_set(const struct helper_report *r)
{
        size_t count = t_report_count(r, "fd");
        int *fds = calloc(count + 1, sizeof *fds);
        char *text;

        assert_non_null(fds);
        for (size_t i = 0; i < count; i++)
                fds[i] = atoi(t_report_nth(r, "fd", i));
        text = t_format_fd_set(fds, count);
        free(fds);
        return text;
}

bool t_report_has_fd(const struct helper_report *r, int fd)
{
        char text[32];

        snprintf(text, sizeof text, "%d", fd);
        for (size_t i = 0; i < r->count; i++) {
                if (strcmp(r->lines[i].key, "fd") == 0 && strcmp(r->lines[i].value, text) == 0)
                        return true;
        }
        return false;
}

const char *t_report_env(const struct helper_report *r, const char *name)
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

size_t t_report_env_count(const struct helper_report *r)
{
        return t_report_count(r, "env");
}

char **t_report_argv(const struct helper_report *r)
{
        long long argc = t_report_get_int(r, "argc");
        char **argv = calloc((size_t)argc + 1, sizeof *argv);

        assert_non_null(argv);
        for (long long i = 0; i < argc; i++) {
                const char *arg = t_report_getf(r, "argv[%lld]", i);

                assert_non_null(arg);
                argv[i] = strdup(arg);
        }
        return argv;
}

void t_strv_free(char **strv)
{
        if (strv == NULL)
                return;
        for (size_t i = 0; strv[i] != NULL; i++)
                free(strv[i]);
        free(strv);
}

static void check_complete(const struct helper_report *r)
{
        if (t_report_get(r, "report_end") == NULL) {
                print_error("the helper report is incomplete (no report_end)\n");
                fail();
        }
}

struct helper_report *t_run_report_again(subproc *c, char **out)
{
        struct helper_report *r;
        int status = -1, rc;

        rc = subproc_run(c, &status);
        if (rc != 0)
                print_error("subproc_run: %s (errno %d)\n", subproc_errmsg(), errno);
        assert_ll_equal(rc, 0);
        assert_ll_equal(status, 0);
        assert_non_null(*out);
        r = t_report_parse(*out, subproc_output_len(c));
        free(*out);
        *out = NULL;
        check_complete(r);
        return r;
}

struct helper_report *t_run_report(subproc *c, char **out)
{
        subproc_set_output_buffer(c, out);
        return t_run_report_again(c, out);
}

struct helper_report *t_run_report_file(subproc *c)
{
        char *path = t_make_temp_path();
        struct helper_report *r;
        int status = -1, rc;

        subproc_add_arg_format(c, "--report=%s", path);
        rc = subproc_run(c, &status);
        if (rc != 0)
                print_error("subproc_run: %s (errno %d)\n", subproc_errmsg(), errno);
        assert_ll_equal(rc, 0);
        assert_ll_equal(status, 0);
        r = t_report_read_file(path);
        unlink(path);
        free(path);
        check_complete(r);
        return r;
}

subproc *t_helper_exiting(int code)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);

        subproc_add_arg_format(c, "--exit=%d", code);
        return c;
}

subproc *t_helper_sleeping(void)
{
        return subproc_new_args(HELPER_PATH, "--no-report", "--sleep-ms=60000", NULL);
}

subproc *t_helper_until_released(int code, int *read_fd, int *release_fd)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--read-stdin-count", NULL);
        int fds[2];

        assert_ll_equal(pipe2(fds, O_CLOEXEC), 0);
        subproc_add_arg_format(c, "--exit=%d", code);
        subproc_set_input_fd(c, fds[0]);
        *read_fd = fds[0];
        *release_fd = fds[1];
        return c;
}

unsigned long long t_report_hex(const struct helper_report *r, const char *key)
{
        const char *value = t_report_get(r, key);

        if (value == NULL)
                print_error("the helper report has no %s\n", key);
        assert_non_null(value);
        return strtoull(value, NULL, 16);
}

void t_check_fd_set(const struct helper_report *r, const char *expected)
{
        char *fds = t_report_fd_set(r);

        assert_string_equal(fds, expected);
        free(fds);
}

struct helper_report *t_exec_report_in_fork(subproc *c, pid_t *ret_pid, int *ret_status)
{
        static int out[2]; /* the command keeps the pointer until it is freed */
        struct helper_report *r;
        size_t len;
        char *text;
        pid_t pid;
        int status;

        assert_ll_equal(pipe2(out, O_CLOEXEC), 0);
        subproc_set_output_fd(c, &out[1]);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                (void)subproc_exec(c);
                _exit(100);
        }
        close(out[1]);
        assert_true(t_wait_readable(out[0], T_HANG_GUARD_SHORT_MS));
        text = t_read_fd_all(out[0], &len);
        close(out[0]);
        status = t_reap(pid, T_HANG_GUARD_SHORT_MS);
        if (ret_pid)
                *ret_pid = pid;
        if (ret_status)
                *ret_status = status;
        r = t_report_parse(text, len);
        free(text);
        return r;
}
