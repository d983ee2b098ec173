/* Thread stress: many threads spawn at once while another opens and closes fds without
 * O_CLOEXEC, the way careless code in a big program does.
 *
 * SPDX-License-Identifier: MIT
 *
 * Each worker thread runs, in turn:
 *   run      the helper exits with a code of its own; the status must be that code;
 *   abort    run_async, wait until the helper says it runs (a pipe passed to it), abort; the
 *            status must be death by SIGTERM (by SIGKILL when the helper ignores SIGTERM),
 *            and the notify pipe must reach EOF: no other child holds its write end;
 *   capture  the helper's report on stdout and pattern bytes on stderr, both captured; the
 *            helper must see exactly fds 0, 1 and 2 and the bytes must be exact;
 *   pass_fd  a pipe's read end passed with CLOSE_PARENT; the helper must see exactly 0, 1, 2
 *            and that fd, the same pipe (device and inode), and read the token written to it;
 *   failure  exec of a missing program: ENOENT at the exec stage, naming the path;
 *   stream   (issue 16) an input pipe the worker writes a token to and closes, the helper's
 *            report handed to a line callback and captured too: the helper must see exactly
 *            0, 1 and 2, read the token to EOF (no other child holds the pipe's write end),
 *            and the callback must get every byte, in whole lines.
 * Meanwhile the fd leaker keeps fds open without O_CLOEXEC at low and high numbers: a child
 * that saw one would list it in its report.  At the end no child, running or zombie, may be
 * left, and the caller must have exactly the fds it had before (T_TEST's teardown).
 *
 * SUBPROC_STRESS_SPAWNS (default 500; CI's TSan run asks for 2000) is the number of spawns per
 * thread and SUBPROC_STRESS_THREADS (default 8) the number of threads of the main case; the
 * fallback cases run a quarter as many spawns per thread.
 *
 * cmocka's assertions longjmp, which only works in the main thread: the workers record
 * failures, and the main thread fails the case after joining them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/support.h"

/* The library's test knobs: a knob renamed or removed fails this build. */
#include "src/test-knobs.h"

#define DEFAULT_SPAWNS 500
#define DEFAULT_THREADS 8
#define MAX_THREADS 64
/* How many fds (or fd pairs) the leaker keeps open at once. */
#define LEAKER_SLOTS 24
/* Every so many aborts, the helper ignores SIGTERM, so abort needs SIGKILL after its 200 ms
 * grace: rare, or the grace would dominate the run time. */
#define IGNORE_TERM_EVERY 64
/* How long a read of the notify pipe may wait before it counts as a leaked write end. */
#define NOTIFY_EOF_TIMEOUT_MS 10000
#define MAX_RECORDED 8

enum kind {
        KIND_RUN,
        KIND_ABORT,
        KIND_CAPTURE,
        KIND_PASS_FD,
        KIND_FAILURE,
        KIND_STREAM,
        KIND_LOOP,
        KIND_PTY,
        N_KINDS
};

static const char *const kind_names[N_KINDS] = { "run",     "abort",  "capture", "pass_fd",
                                                 "failure", "stream", "loop",    "pty" };

/* ---------------------------------------------------------------------------------------
 * Failures recorded by any thread
 * ------------------------------------------------------------------------------------- */

static pthread_mutex_t failures_lock = PTHREAD_MUTEX_INITIALIZER;
static int n_failures;
static char recorded[MAX_RECORDED][512];
/* Set on the first failure: the workers stop early rather than pile up the same error. */
static atomic_bool stop_workers;

static void record_failure(int thread, int iteration, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void record_failure(int thread, int iteration, const char *fmt, ...)
{
        char msg[400];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        pthread_mutex_lock(&failures_lock);
        if (n_failures < MAX_RECORDED)
                snprintf(recorded[n_failures], sizeof recorded[0], "thread %d spawn %d: %s", thread,
                         iteration, msg);
        n_failures++;
        pthread_mutex_unlock(&failures_lock);
        atomic_store(&stop_workers, true);
}

static void reset_failures(void)
{
        pthread_mutex_lock(&failures_lock);
        n_failures = 0;
        pthread_mutex_unlock(&failures_lock);
        atomic_store(&stop_workers, false);
}

/* Fail the case (main thread only) if any thread recorded a failure. */
static void check_no_failures(void)
{
        int n;

        pthread_mutex_lock(&failures_lock);
        n = n_failures;
        for (int i = 0; i < n && i < MAX_RECORDED; i++)
                print_error("%s\n", recorded[i]);
        pthread_mutex_unlock(&failures_lock);
        if (n > 0)
                fail_msg("%d failure(s) in the worker threads", n);
}

/* ---------------------------------------------------------------------------------------
 * A helper report, read without cmocka (the support library's parser asserts, which needs
 * the main thread)
 * ------------------------------------------------------------------------------------- */

/* The value of the first line "key=value" of `text` (len bytes) into buf, or false. */
static bool report_value(const char *text, size_t len, const char *key, char *buf, size_t size)
{
        size_t key_len = strlen(key), pos = 0;

        while (pos < len) {
                const char *line = text + pos;
                const char *end = memchr(line, '\n', len - pos);
                size_t line_len = end != NULL ? (size_t)(end - line) : len - pos;

                if (line_len > key_len && memcmp(line, key, key_len) == 0 && line[key_len] == '=') {
                        size_t n = line_len - key_len - 1;

                        if (n >= size)
                                return false;
                        memcpy(buf, line + key_len + 1, n);
                        buf[n] = '\0';
                        return true;
                }
                pos += line_len + 1;
        }
        return false;
}

/* The "fd=N" lines of a report as "0 1 2 7", in the order the helper lists them (it sorts). */
static void report_fds(const char *text, size_t len, char *buf, size_t size)
{
        size_t pos = 0, used = 0;

        buf[0] = '\0';
        while (pos < len) {
                const char *line = text + pos;
                const char *end = memchr(line, '\n', len - pos);
                size_t line_len = end != NULL ? (size_t)(end - line) : len - pos;

                if (line_len > 3 && memcmp(line, "fd=", 3) == 0 && used + line_len - 3 + 2 < size) {
                        if (used > 0)
                                buf[used++] = ' ';
                        memcpy(buf + used, line + 3, line_len - 3);
                        used += line_len - 3;
                        buf[used] = '\0';
                }
                pos += line_len + 1;
        }
}

static bool report_complete(const char *text, size_t len)
{
        char value[8];

        return report_value(text, len, "report_end", value, sizeof value) &&
               strcmp(value, "1") == 0;
}

/* ---------------------------------------------------------------------------------------
 * The spawn kinds
 * ------------------------------------------------------------------------------------- */

struct worker {
        pthread_t thread;
        int id;
        int spawns;
        long done[N_KINDS];
};

static void spawn_run(struct worker *w, int i)
{
        const int code = (w->id * 37 + i) % 256;
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        int status = -1;

        subproc_add_arg_format(c, "--exit=%d", code);
        if (subproc_run(c, &status) != 0)
                record_failure(w->id, i, "run: %s (errno %d)", subproc_errmsg(), errno);
        else if (status != code)
                record_failure(w->id, i, "run: exit status %d, expected %d", status, code);
        else if (!WIFEXITED(subproc_status(c)) || WEXITSTATUS(subproc_status(c)) != code)
                record_failure(w->id, i, "run: raw status 0x%x, expected exit %d",
                               (unsigned)subproc_status(c), code);
        subproc_free(c);
}

/* Read one byte, waiting at most timeout_ms: 1, 0 at EOF, -1 on timeout or error. */
static int read_byte(int fd, char *byte, int timeout_ms)
{
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ssize_t n;
        int ready;

        do
                ready = poll(&p, 1, timeout_ms);
        while (ready < 0 && errno == EINTR);
        if (ready != 1)
                return -1;
        do
                n = read(fd, byte, 1);
        while (n < 0 && errno == EINTR);
        return n < 0 ? -1 : (int)n;
}

static void spawn_abort(struct worker *w, int i)
{
        const bool ignore_term = (i / N_KINDS) % IGNORE_TERM_EVERY == IGNORE_TERM_EVERY - 1;
        const int expected_sig = ignore_term ? SIGKILL : SIGTERM;
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        int notify[2], status;
        char byte = 0;

        if (pipe2(notify, O_CLOEXEC) != 0) {
                record_failure(w->id, i, "abort: pipe2: %s", strerror(errno));
                subproc_free(c);
                return;
        }
        if (ignore_term)
                subproc_add_arg(c, "--ignore-term");
        subproc_add_arg_format(c, "--notify-fd=%d", notify[1]);
        subproc_add_arg(c, "--sleep-ms=60000");
        /* The library owns the write end from here on, and closes it after the spawn. */
        subproc_pass_fd(c, notify[1], SUBPROC_PASS_FD_CLOSE_PARENT);
        if (subproc_run_async(c, NULL) != 0) {
                record_failure(w->id, i, "abort: run_async: %s (errno %d)", subproc_errmsg(),
                               errno);
                goto out;
        }
        if (subproc_pid(c) <= 0)
                record_failure(w->id, i, "abort: no pid after run_async");
        /* Abort only once the helper has run its options (--ignore-term among them), so
         * that the expected signal is certain. */
        if (read_byte(notify[0], &byte, NOTIFY_EOF_TIMEOUT_MS) != 1 || byte != 'R')
                record_failure(w->id, i, "abort: the helper did not notify");
        subproc_abort(c);
        status = subproc_status(c);
        if (subproc_pid(c) != -1)
                record_failure(w->id, i, "abort: pid %d still set", (int)subproc_pid(c));
        else if (!WIFSIGNALED(status) || WTERMSIG(status) != expected_sig)
                record_failure(w->id, i, "abort: raw status 0x%x, expected death by %s",
                               (unsigned)status, strsignal(expected_sig));
        /* The helper closed its copy and died; the library closed ours.  A third copy, in
         * another child, would keep this from reaching EOF. */
        if (read_byte(notify[0], &byte, NOTIFY_EOF_TIMEOUT_MS) != 0)
                record_failure(w->id, i,
                               "abort: the notify pipe's write end is still open "
                               "somewhere (leaked into another child?)");
out:
        close(notify[0]);
        subproc_free(c);
}

/* The stderr size for spawn i: around the 64 KiB pipe buffer, and 0 now and then. */
static size_t capture_size(int i)
{
        return ((size_t)i * 7919u) % (96 * 1024);
}

/* Every other time stderr goes to a memory file (subproc_set_error_mapping) instead of a
 * pipe. */
static void spawn_capture(struct worker *w, int i)
{
        const size_t err_len = capture_size(i);
        const bool mapped = i % 2 == 1;
        subproc *c = subproc_new(HELPER_PATH);
        char *out = NULL, *err = NULL, fds[256];
        int status = -1;

        subproc_add_arg_format(c, "--stderr-bytes=%zu", err_len);
        subproc_set_output_buffer(c, &out);
        if (mapped)
                subproc_set_error_mapping(c, &err);
        else
                subproc_set_error_buffer(c, &err);
        if (subproc_run(c, &status) != 0 || status != 0) {
                record_failure(w->id, i, "capture: rc errno %d status %d: %s", errno, status,
                               subproc_errmsg());
                goto out;
        }
        if (out == NULL || err == NULL || !report_complete(out, subproc_output_len(c))) {
                record_failure(w->id, i, "capture: no complete report");
                goto out;
        }
        report_fds(out, subproc_output_len(c), fds, sizeof fds);
        if (strcmp(fds, "0 1 2") != 0)
                record_failure(w->id, i, "capture: the child saw fds \"%s\", expected \"0 1 2\"",
                               fds);
        if (subproc_error_len(c) != err_len) {
                record_failure(w->id, i, "capture: %zu stderr bytes, expected %zu",
                               subproc_error_len(c), err_len);
                goto out;
        }
        for (size_t k = 0; k < err_len; k++) {
                if (err[k] != helper_pattern_byte(HELPER_STDERR_SEED, k)) {
                        record_failure(w->id, i, "capture: stderr byte %zu of %zu is wrong", k,
                                       err_len);
                        break;
                }
        }
out:
        free(out);
        if (mapped)
                subproc_unmap(err, subproc_error_len(c));
        else
                free(err);
        subproc_free(c);
}

static void spawn_pass_fd(struct worker *w, int i)
{
        subproc *c = subproc_new(HELPER_PATH);
        char token[64], identity[64], key[64], value[128], fds[256], expected[64];
        char *out = NULL;
        int p[2], status = -1, fd;
        struct stat st;

        if (pipe2(p, O_CLOEXEC) != 0) {
                record_failure(w->id, i, "pass_fd: pipe2: %s", strerror(errno));
                subproc_free(c);
                return;
        }
        fd = p[0];
        snprintf(token, sizeof token, "token-%d-%d", w->id, i);
        if (write(p[1], token, strlen(token)) != (ssize_t)strlen(token) || fstat(fd, &st) != 0)
                record_failure(w->id, i, "pass_fd: cannot prepare the pipe: %s", strerror(errno));
        close(p[1]);
        snprintf(identity, sizeof identity, "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
        snprintf(expected, sizeof expected, "0 1 2 %d", fd);

        subproc_pass_fd(c, fd, SUBPROC_PASS_FD_CLOSE_PARENT);
        subproc_add_arg_format(c, "--read-fd=%d", fd);
        subproc_set_output_buffer(c, &out);
        if (subproc_run(c, &status) != 0 || status != 0) {
                record_failure(w->id, i, "pass_fd: errno %d status %d: %s", errno, status,
                               subproc_errmsg());
                goto out;
        }
        if (out == NULL || !report_complete(out, subproc_output_len(c))) {
                record_failure(w->id, i, "pass_fd: no complete report");
                goto out;
        }
        report_fds(out, subproc_output_len(c), fds, sizeof fds);
        if (strcmp(fds, expected) != 0)
                record_failure(w->id, i, "pass_fd: the child saw fds \"%s\", expected \"%s\"", fds,
                               expected);
        snprintf(key, sizeof key, "fdstat[%d]", fd);
        if (!report_value(out, subproc_output_len(c), key, value, sizeof value) ||
            strcmp(value, identity) != 0)
                record_failure(w->id, i, "pass_fd: fd %d in the child is not our pipe", fd);
        snprintf(key, sizeof key, "read_text[%d]", fd);
        if (!report_value(out, subproc_output_len(c), key, value, sizeof value) ||
            strcmp(value, token) != 0)
                record_failure(w->id, i, "pass_fd: the child read something else than %s", token);
out:
        free(out);
        subproc_free(c);
}

static void spawn_failure(struct worker *w, int i)
{
        const char *missing = "/nonexistent/subproc-stress-no-such-program";
        subproc *c = subproc_new(missing);
        int rc = subproc_run(c, NULL), e = errno;

        if (rc != -1 || e != ENOENT)
                record_failure(w->id, i, "failure: rc %d errno %d, expected ENOENT", rc, e);
        else if (subproc_errstage() != SUBPROC_STAGE_EXEC)
                record_failure(w->id, i, "failure: stage %d, expected exec",
                               (int)subproc_errstage());
        else if (strstr(subproc_errmsg(), missing) == NULL)
                record_failure(w->id, i, "failure: message \"%s\" does not name the program",
                               subproc_errmsg());
        else if (subproc_pid(c) != -1)
                record_failure(w->id, i, "failure: pid %d set", (int)subproc_pid(c));
        subproc_free(c);
}

struct lines_seen {
        size_t bytes, lines, not_lines;
};

static int count_lines(void *opaque, int stream, const char *data, size_t len)
{
        struct lines_seen *seen = opaque;

        (void)stream;
        seen->bytes += len;
        if (data[len - 1] == '\n')
                seen->lines++;
        else
                seen->not_lines++;
        return 0;
}

static void spawn_stream(struct worker *w, int i)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--read-stdin-count", NULL);
        struct lines_seen seen = { 0 };
        char token[64], fds[256], value[64], *out = NULL;
        size_t newlines = 0;
        int in = -1, status = -1;

        snprintf(token, sizeof token, "token-%d-%d", w->id, i);
        subproc_set_input_pipe(c, &in);
        subproc_set_output_buffer(c, &out);
        subproc_set_output_callback(c, SUBPROC_STDOUT, SUBPROC_LINES | SUBPROC_ALSO_CAPTURE,
                                    count_lines, &seen);
        if (subproc_run_async(c, NULL) != 0) {
                record_failure(w->id, i, "stream: run_async: %s", subproc_errmsg());
                goto out;
        }
        if (write(in, token, strlen(token)) != (ssize_t)strlen(token))
                record_failure(w->id, i, "stream: write to the input pipe: %s", strerror(errno));
        close(in);
        if (subproc_wait(c, &status) != 0 || status != 0) {
                record_failure(w->id, i, "stream: errno %d status %d: %s", errno, status,
                               subproc_errmsg());
                goto out;
        }
        if (out == NULL || !report_complete(out, subproc_output_len(c))) {
                record_failure(w->id, i, "stream: no complete report");
                goto out;
        }
        report_fds(out, subproc_output_len(c), fds, sizeof fds);
        if (strcmp(fds, "0 1 2") != 0)
                record_failure(w->id, i, "stream: the child saw fds \"%s\", expected \"0 1 2\"",
                               fds);
        if (!report_value(out, subproc_output_len(c), "stdin_bytes", value, sizeof value) ||
            strtoul(value, NULL, 10) != strlen(token))
                record_failure(w->id, i, "stream: the child read %s bytes, not %zu", value,
                               strlen(token));
        for (size_t k = 0; k < subproc_output_len(c); k++)
                newlines += out[k] == '\n';
        if (seen.bytes != subproc_output_len(c) || seen.lines != newlines || seen.not_lines > 1)
                record_failure(w->id, i,
                               "stream: the callback got %zu bytes in %zu lines (%zu cut), the "
                               "capture %zu bytes in %zu lines",
                               seen.bytes, seen.lines, seen.not_lines, subproc_output_len(c),
                               newlines);
out:
        free(out);
        subproc_free(c);
}

/* Issue 16: two captured runs in a loop of this thread's own, ended in any order (two, not
 * more: a loop turn counts as one spawn of the total, and costs as many). */
#define LOOP_RUNS 2

static void spawn_loop(struct worker *w, int i)
{
        subproc_loop *l = subproc_loop_new();
        subproc *c[LOOP_RUNS] = { NULL };
        char *out[LOOP_RUNS] = { NULL };
        int added = 0, ended = 0;

        for (int k = 0; k < LOOP_RUNS && l; k++) {
                c[k] = subproc_new(HELPER_PATH);
                subproc_add_arg(c[k], "--no-report");
                subproc_add_arg_format(c[k], "--stdout-bytes=%zu", capture_size(i + k));
                subproc_set_output_buffer(c[k], &out[k]);
                if (subproc_loop_add(l, c[k], (void *)(intptr_t)k) < 0) {
                        record_failure(w->id, i, "loop: add: %s", subproc_errmsg());
                        break;
                }
                added++;
        }
        while (ended < added) {
                struct subproc_event ev[LOOP_RUNS];
                int n = subproc_loop_wait(l, 30000, NULL, ev, LOOP_RUNS);

                if (n <= 0) {
                        record_failure(w->id, i, "loop: wait %d: %s", n, subproc_errmsg());
                        break;
                }
                for (int e = 0; e < n; e++) {
                        int k = (int)(intptr_t)ev[e].tag;

                        ended++;
                        if (ev[e].type != SUBPROC_EVENT_EXITED || ev[e].result != 0 ||
                            ev[e].exitstatus != 0)
                                record_failure(w->id, i, "loop: event %d result %d: %s", ev[e].type,
                                               ev[e].result, ev[e].message);
                        else if (subproc_output_len(c[k]) != capture_size(i + k))
                                record_failure(w->id, i, "loop: %zu bytes, expected %zu",
                                               subproc_output_len(c[k]), capture_size(i + k));
                }
        }
        subproc_loop_free(l);
        for (int k = 0; k < LOOP_RUNS; k++) {
                subproc_free(c[k]);
                free(out[k]);
        }
}

/* Issue 16: a run on a pty of its own, read to its end (EIO) from the master, which must
 * reach no other child (the other kinds check their child's fds) and stay out of this one. */
static void spawn_pty(struct worker *w, int i)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--stdout-text=pty-ok", NULL);
        char buf[256];
        size_t got = 0;
        int master = -1, status = -1;

        subproc_set_pty(c, &master, SUBPROC_PTY_ALL, 24, 80);
        if (subproc_run_async(c, NULL) != 0) {
                record_failure(w->id, i, "pty: run_async: %s", subproc_errmsg());
                subproc_free(c);
                return;
        }
        for (;;) {
                ssize_t n = read(master, buf + got, sizeof buf - 1 - got);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0 || (got += (size_t)n) == sizeof buf - 1)
                        break; /* EIO: the end of the output */
        }
        buf[got] = '\0';
        if (subproc_wait(c, &status) != 0 || status != 0)
                record_failure(w->id, i, "pty: errno %d status %d: %s", errno, status,
                               subproc_errmsg());
        else if (!strstr(buf, "pty-ok"))
                record_failure(w->id, i, "pty: the master read \"%.100s\"", buf);
        close(master);
        subproc_free(c);
}

static void *worker_main(void *arg)
{
        struct worker *w = arg;

        for (int i = 0; i < w->spawns && !atomic_load(&stop_workers); i++) {
                enum kind k = (enum kind)((w->id + i) % N_KINDS);

                switch (k) {
                case KIND_RUN:
                        spawn_run(w, i);
                        break;
                case KIND_ABORT:
                        spawn_abort(w, i);
                        break;
                case KIND_CAPTURE:
                        spawn_capture(w, i);
                        break;
                case KIND_PASS_FD:
                        spawn_pass_fd(w, i);
                        break;
                case KIND_STREAM:
                        spawn_stream(w, i);
                        break;
                case KIND_LOOP:
                        spawn_loop(w, i);
                        break;
                case KIND_PTY:
                        spawn_pty(w, i);
                        break;
                default:
                        spawn_failure(w, i);
                        break;
                }
                w->done[k]++;
        }
        return NULL;
}

/* ---------------------------------------------------------------------------------------
 * The fd leaker
 * ------------------------------------------------------------------------------------- */

struct leaker {
        pthread_t thread;
        atomic_bool stop;
        unsigned long opened;
        int slots[LEAKER_SLOTS][2];
};

static void leaker_close_slot(struct leaker *l, int s)
{
        for (int k = 0; k < 2; k++) {
                if (l->slots[s][k] >= 0)
                        close(l->slots[s][k]);
                l->slots[s][k] = -1;
        }
}

/* Every fd here is opened WITHOUT close-on-exec, on purpose: a child that got one would
 * show it in its report. */
static void leaker_open_slot(struct leaker *l, int s, unsigned long cycle)
{
        int *fds = l->slots[s];

        switch (cycle % 5) {
        case 0:
                fds[0] = open("/dev/null", O_RDONLY);
                break;
        case 1:
                if (pipe(fds) != 0)
                        fds[0] = fds[1] = -1;
                break;
        case 2:
                if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0)
                        fds[0] = fds[1] = -1;
                break;
        case 3:
                /* Above the library's own fds, so that close_range's gaps are tried. */
                fds[0] = open("/dev/null", O_RDONLY);
                if (fds[0] >= 0) {
                        int high = fcntl(fds[0], F_DUPFD, 200 + s);

                        close(fds[0]);
                        fds[0] = high;
                }
                break;
        default:
                fds[0] = dup(STDERR_FILENO);
                break;
        }
        l->opened += (fds[0] >= 0) + (fds[1] >= 0);
}

static void *leaker_main(void *arg)
{
        struct leaker *l = arg;
        unsigned long cycle = 0;

        while (!atomic_load(&l->stop)) {
                int s = (int)(cycle % LEAKER_SLOTS);

                leaker_close_slot(l, s);
                leaker_open_slot(l, s, cycle);
                cycle++;
                if (cycle % 64 == 0)
                        sched_yield();
        }
        for (int s = 0; s < LEAKER_SLOTS; s++)
                leaker_close_slot(l, s);
        return NULL;
}

/* ---------------------------------------------------------------------------------------
 * The cases
 * ------------------------------------------------------------------------------------- */

/* A positive integer from the environment, or `fallback`; garbage fails the case. */
static int env_count(const char *name, int fallback, int max)
{
        const char *text = getenv(name);
        char *end;
        long v;

        if (text == NULL || *text == '\0')
                return fallback;
        errno = 0;
        v = strtol(text, &end, 10);
        if (errno != 0 || *end != '\0' || v < 1 || v > max)
                fail_msg("%s=%s: expected a number from 1 to %d", name, text, max);
        return (int)v;
}

/* The bounded close loop closes every fd number below RLIMIT_NOFILE in each child: with a
 * limit of a million (containers often have one) that is a million calls a spawn.  Its case
 * lowers the soft limit to this for its duration (every fd of the test is far below it). */
#define LOOP_CASE_NOFILE 1024

static struct rlimit saved_nofile;
static bool nofile_lowered;

static void lower_nofile(void)
{
        struct rlimit low;

        assert_ll_equal(getrlimit(RLIMIT_NOFILE, &saved_nofile), 0);
        if (saved_nofile.rlim_cur <= LOOP_CASE_NOFILE)
                return;
        low = saved_nofile;
        low.rlim_cur = LOOP_CASE_NOFILE;
        assert_ll_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
        nofile_lowered = true;
}

/* The teardown puts the limit and the knobs back even when the case failed half way. */
static int stress_teardown(void **state)
{
        sp_test_no_pidfd = 0;
        sp_test_force_close_fallback = 0;
        if (nofile_lowered) {
                (void)setrlimit(RLIMIT_NOFILE, &saved_nofile);
                nofile_lowered = false;
        }
        return t_teardown(state);
}

struct stress_config {
        const char *name;
        int spawn_divisor;  /* spawns per thread = SUBPROC_STRESS_SPAWNS / this */
        int no_pidfd;       /* sp_test_no_pidfd */
        int close_fallback; /* sp_test_force_close_fallback */
};

static void run_stress(const struct stress_config *cfg)
{
        const int threads = env_count("SUBPROC_STRESS_THREADS", DEFAULT_THREADS, MAX_THREADS);
        const int spawns = env_count("SUBPROC_STRESS_SPAWNS", DEFAULT_SPAWNS, 10000000);
        const int per_thread = spawns / cfg->spawn_divisor > 0 ? spawns / cfg->spawn_divisor : 1;
        static struct worker workers[MAX_THREADS];
        struct leaker leaker = { .stop = false };
        long totals[N_KINDS] = { 0 }, total = 0;
        double start, seconds;

        sp_test_no_pidfd = cfg->no_pidfd;
        sp_test_force_close_fallback = cfg->close_fallback;
        if (cfg->close_fallback == 2)
                lower_nofile();
        reset_failures();
        for (int s = 0; s < LEAKER_SLOTS; s++)
                leaker.slots[s][0] = leaker.slots[s][1] = -1;

        start = t_monotonic_ms();
        assert_ll_equal(pthread_create(&leaker.thread, NULL, leaker_main, &leaker), 0);
        for (int t = 0; t < threads; t++) {
                workers[t] = (struct worker){ .id = t, .spawns = per_thread };
                assert_ll_equal(pthread_create(&workers[t].thread, NULL, worker_main, &workers[t]),
                                0);
        }
        for (int t = 0; t < threads; t++)
                assert_ll_equal(pthread_join(workers[t].thread, NULL), 0);
        atomic_store(&leaker.stop, true);
        assert_ll_equal(pthread_join(leaker.thread, NULL), 0);
        seconds = (t_monotonic_ms() - start) / 1000.0;

        for (int t = 0; t < threads; t++) {
                for (int k = 0; k < N_KINDS; k++) {
                        totals[k] += workers[t].done[k];
                        total += workers[t].done[k];
                }
        }
        print_message("  %s: %d threads x %d spawns = %ld spawns in %.1f s (%.0f/s)\n", cfg->name,
                      threads, per_thread, total, seconds, total / seconds);
        for (int k = 0; k < N_KINDS; k++)
                print_message("  %-8s %ld\n", kind_names[k], totals[k]);
        print_message("  %lu leaky fds opened meanwhile\n", leaker.opened);
        check_no_failures();
        assert_ll_equal(total, (long)threads * per_thread);
        assert_true(leaker.opened > 0);
        /* Every child reaped: none running, no zombie. */
        errno = 0;
        assert_ll_equal(waitpid(-1, NULL, WNOHANG), -1);
        assert_errno_equal(errno, ECHILD);
}

static const struct stress_config main_config = { "clone, pidfd, close_range", 1, 0, 0 };
static const struct stress_config proc_fd_config = { "no pidfd, /proc/self/fd walk", 4, 1, 1 };
static const struct stress_config loop_config = { "no pidfd, bounded close loop", 4, 1, 2 };

static void test_stress(void **state)
{
        run_stress(*state);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                { "stress (clone, pidfd, close_range)", test_stress, t_setup, stress_teardown,
                  (void *)&main_config },
                { "stress (no pidfd, /proc/self/fd walk)", test_stress, t_setup, stress_teardown,
                  (void *)&proc_fd_config },
                { "stress (no pidfd, bounded close loop)", test_stress, t_setup, stress_teardown,
                  (void *)&loop_config },
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
