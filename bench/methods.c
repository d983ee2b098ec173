/* The five ways of starting a child, each doing each task the same way: the same child, the
 * same wait for its exit status, the same kind of buffer for its output.  Each method is used
 * as its documentation suggests, with its default safety features on: subproc and GLib close
 * the parent's other fds in the child, fork+exec and posix_spawn rely on O_CLOEXEC.  The raw
 * clone is the yardstick of the spawn rows, with no safety features but a stack of its own. */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <malloc.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <subproc.h>

#ifdef HAVE_GLIB
#include <glib.h>
#endif

extern char **environ;

const char *const method_names[N_METHODS] = { "subproc", "raw clone", "fork+exec", "posix_spawn",
                                              "GLib" };

/* Whether the comma-separated list names the method ("raw clone" spelled as is). */
static bool listed(const char *list, const char *name)
{
        size_t len = strlen(name);

        for (const char *p = list; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
                if (strncmp(p, name, len) == 0 && (p[len] == ',' || p[len] == '\0'))
                        return true;
        return false;
}

/* BENCH_METHODS=subproc,raw clone in the environment measures only those (to see what the
 * other columns' work does to them); the others' cells read n/a. */
bool method_available(enum method m)
{
        const char *only = getenv("BENCH_METHODS");

        if (only && !listed(only, method_names[m]))
                return false;
#ifdef HAVE_GLIB
        return true;
#else
        return m != METHOD_GLIB;
#endif
}

bool method_does(enum method m, enum task task)
{
        return method_available(m) && (m != METHOD_RAW_CLONE || task == TASK_SPAWN_WAIT);
}

__attribute__((format(printf, 2, 3))) static int fail(const struct job *job, const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "subproc-bench: %s: ", method_names[job->method]);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return -1;
}

/* The captured bytes must be exactly what bench-emit wrote: a wrong length is a bug, not a
 * fast run. */
static int check_output(const struct job *job, const char *out, size_t len)
{
        if (len != (size_t)job->bytes || (len > 0 && out[len - 1] != '\n'))
                return fail(job, "captured %zu bytes, expected %lld", len, job->bytes);
        return 0;
}

static int check_status(const struct job *job, int status)
{
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return fail(job, "child ended with wait status 0x%x", (unsigned)status);
        return 0;
}

static int reap(const struct job *job, pid_t pid)
{
        int status;

        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return fail(job, "waitpid: %s", strerror(errno));
        return check_status(job, status);
}

/* ---- reading the child's stdout, shared by every method that leaves it to the caller ---- */

#define READ_MIN_ROOM 16384

/* Room for READ_MIN_ROOM more bytes and a NUL, doubling from 16 KiB, as subproc's capture
 * grows: both pay the same page faults, and realloc() moves big blocks with mremap(). */
static int reserve(char **buf, size_t *cap, size_t len)
{
        size_t want = len + READ_MIN_ROOM + 1, bigger = *cap ? *cap : READ_MIN_ROOM;
        char *p;

        if (*cap >= want)
                return 0;
        while (bigger < want)
                bigger *= 2;
        p = realloc(*buf, bigger);
        if (!p)
                return -1;
        *buf = p;
        *cap = bigger;
        return 0;
}

/* Read to EOF straight into the free room of the buffer. */
static int read_all(int fd, char **ret, size_t *ret_len)
{
        size_t len = 0, cap = 0;
        char *buf = NULL;
        ssize_t n;

        do {
                if (reserve(&buf, &cap, len) < 0) {
                        free(buf);
                        errno = ENOMEM;
                        return -1;
                }
                n = read(fd, buf + len, cap - len - 1);
                if (n > 0)
                        len += (size_t)n;
        } while (n > 0 || (n < 0 && errno == EINTR));
        if (n < 0) {
                free(buf);
                return -1;
        }
        buf[len] = '\0';
        *ret = buf;
        *ret_len = len;
        return 0;
}

/* Read to EOF and drop it: the raw cost of moving the bytes through a pipe. */
static long long drain(int fd)
{
        static __thread char buf[256 * 1024];
        long long total = 0;
        ssize_t n;

        while ((n = read(fd, buf, sizeof buf)) != 0) {
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -1;
                total += n;
        }
        return total;
}

/* ---- memory files: the child's stdout is a memfd, mapped once the child has exited ------ */

/* The child's stdout: a pipe, or for TASK_MAP a memory file, in two fds so that the child's
 * "end" is closed after the start like a pipe's. */
static int open_stdout(const struct job *job, int p[2])
{
        if (job->task != TASK_MAP)
                return pipe2(p, O_CLOEXEC);
        p[0] = memfd_create("bench-output", MFD_CLOEXEC);
        if (p[0] < 0)
                return -1;
        p[1] = fcntl(p[0], F_DUPFD_CLOEXEC, 3);
        if (p[1] < 0) {
                close(p[0]);
                return -1;
        }
        return 0;
}

/* A mapping's pages come in as they are read: read one byte of each, as a reader of the output
 * would, so the row pays for them as the buffer rows pay for their page faults. */
static int read_every_page(const struct job *job, const char *out, size_t len)
{
        volatile char sink = 0;

        for (size_t i = 0; i < len; i += 4096)
                sink ^= out[i];
        (void)sink;
        return check_output(job, out, len);
}

/* What a caller that gave the child its own memfd does once the child has exited. */
static int map_output(const struct job *job, int fd)
{
        struct stat st;
        char *out;
        int r;

        if (fstat(fd, &st) < 0)
                return fail(job, "fstat: %s", strerror(errno));
        if (st.st_size == 0)
                return check_output(job, "", 0);
        out = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (out == MAP_FAILED)
                return fail(job, "mmap: %s", strerror(errno));
        r = read_every_page(job, out, (size_t)st.st_size);
        munmap(out, (size_t)st.st_size);
        return r;
}

/* Everything a method does after it started the child with stdout on `fd` (see open_stdout). */
static int collect(const struct job *job, int fd, pid_t pid)
{
        char *out = NULL;
        size_t len = 0;
        long long drained;
        int r;

        if (job->task == TASK_MAP) {
                r = reap(job, pid);
                if (r == 0)
                        r = map_output(job, fd);
                close(fd);
                return r;
        }
        if (job->task == TASK_CAPTURE) {
                r = read_all(fd, &out, &len) < 0 ? fail(job, "read: %s", strerror(errno)) : 0;
        } else {
                drained = drain(fd);
                len = drained < 0 ? 0 : (size_t)drained;
                r = drained < 0 ? fail(job, "read: %s", strerror(errno)) : 0;
        }
        close(fd);
        if (reap(job, pid) < 0)
                r = -1;
        if (r == 0 && job->task == TASK_CAPTURE)
                r = check_output(job, out, len);
        else if (r == 0 && len != (size_t)job->bytes)
                r = fail(job, "drained %zu bytes, expected %lld", len, job->bytes);
        free(out);
        return r;
}

/* ---- subproc -------------------------------------------------------------------------- */

/* A new command per run, as a program that runs a command now and then would do. */
static int subproc_job(const struct job *job)
{
        subproc *c = subproc_new_argv((const char *const *)job->argv);
        char *out = NULL;
        int r, status = -1, fd = -1;
        long long drained = 0;
        size_t len;

        subproc_set_raw_status(c);
        if (job->as_nobody) {
                subproc_set_uid(c, NOBODY_ID);
                subproc_set_gid(c, NOBODY_ID);
        }
        if (job->task == TASK_CAPTURE)
                subproc_set_output_buffer(c, &out);
        if (job->task == TASK_MAP)
                subproc_set_output_mapping(c, &out);
        if (job->task == TASK_DRAIN) {
                subproc_set_output_fd(c, &fd);
                r = subproc_run_async(c, NULL);
                if (r == 0) {
                        drained = drain(fd);
                        close(fd);
                        r = subproc_wait(c, &status);
                }
        } else {
                r = subproc_run(c, &status);
        }
        len = subproc_output_len(c);
        if (r < 0)
                r = fail(job, "%s", subproc_errmsg());
        if (r == 0)
                r = check_status(job, status);
        if (r == 0 && job->task == TASK_CAPTURE)
                r = check_output(job, out, len);
        if (r == 0 && job->task == TASK_MAP)
                r = read_every_page(job, out, len);
        if (r == 0 && job->task == TASK_DRAIN && drained != job->bytes)
                r = fail(job, "drained %lld bytes, expected %lld", drained, job->bytes);
        subproc_free(c);
        if (job->task == TASK_MAP)
                subproc_unmap(out, len);
        else
                free(out);
        return r;
}

/* ---- fork+exec ------------------------------------------------------------------------ */

/* In a forked child: groups, gid, uid, in the order that keeps the right to change them. */
static int become_nobody(void)
{
        if (setgroups(0, NULL) < 0 || setresgid(NOBODY_ID, NOBODY_ID, NOBODY_ID) < 0 ||
            setresuid(NOBODY_ID, NOBODY_ID, NOBODY_ID) < 0)
                return -1;
        return 0;
}

static int fork_exec_job(const struct job *job)
{
        int p[2] = { -1, -1 };
        pid_t pid;

        if (job->task != TASK_SPAWN_WAIT && open_stdout(job, p) < 0)
                return fail(job, "pipe2/memfd_create: %s", strerror(errno));
        pid = fork();
        if (pid == 0) {
                /* Only async-signal-safe calls here: other threads may hold locks. */
                if (p[1] >= 0 && dup2(p[1], STDOUT_FILENO) < 0)
                        _exit(126);
                if (job->as_nobody && become_nobody() < 0)
                        _exit(126);
                execv(job->argv[0], job->argv);
                _exit(127);
        }
        if (p[1] >= 0)
                close(p[1]);
        if (pid < 0) {
                if (p[0] >= 0)
                        close(p[0]);
                return fail(job, "fork: %s", strerror(errno));
        }
        if (job->task == TASK_SPAWN_WAIT)
                return reap(job, pid);
        return collect(job, p[0], pid);
}

/* ---- raw clone ------------------------------------------------------------------------ */

/* The smallest correct vfork-class spawn a careful programmer could write by hand: the child
 * shares our memory on a small stack of its own (never on the caller's, whose size nobody
 * knows) and this thread is suspended until it has exec'd or exited (CLONE_VFORK), so the
 * stack and argv stay valid.  No signal handling (the benchmark installs no handlers), no fd
 * work (every fd of ours is close-on-exec), no report of why an exec failed (exit 127 says
 * that it did), no pidfd.  The child calls only execve and _exit, bound at start-up (the
 * benchmark is linked with -z now), so it writes nothing of ours but, on failure, errno.
 * What subproc adds to this is what its guarantees cost: the yardstick of every spawn row.
 * As nobody it runs its plain spawn, as posix_spawn does. */
#define RAW_CLONE_STACK (64 * 1024)

static int raw_clone_child(void *arg)
{
        char *const *argv = arg;

        execve(argv[0], argv, environ);
        _exit(127);
}

static int raw_clone_job(const struct job *job)
{
        static __thread char stack[RAW_CLONE_STACK] __attribute__((aligned(16)));
        pid_t pid = clone(raw_clone_child, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD,
                          (void *)job->argv);

        if (pid < 0)
                return fail(job, "clone: %s", strerror(errno));
        return reap(job, pid);
}

/* ---- posix_spawn ---------------------------------------------------------------------- */

static int posix_spawn_job(const struct job *job)
{
        posix_spawn_file_actions_t actions, *pactions = NULL;
        int p[2] = { -1, -1 };
        pid_t pid;
        int r;

        if (job->task != TASK_SPAWN_WAIT) {
                if (open_stdout(job, p) < 0)
                        return fail(job, "pipe2/memfd_create: %s", strerror(errno));
                posix_spawn_file_actions_init(&actions);
                /* dup2 onto 1 clears O_CLOEXEC on the copy only. */
                posix_spawn_file_actions_adddup2(&actions, p[1], STDOUT_FILENO);
                pactions = &actions;
        }
        r = posix_spawn(&pid, job->argv[0], pactions, NULL, job->argv, environ);
        if (pactions) {
                posix_spawn_file_actions_destroy(pactions);
                close(p[1]);
        }
        if (r != 0) {
                if (p[0] >= 0)
                        close(p[0]);
                return fail(job, "posix_spawn: %s", strerror(r));
        }
        if (job->task == TASK_SPAWN_WAIT)
                return reap(job, pid);
        return collect(job, p[0], pid);
}

/* ---- GLib ----------------------------------------------------------------------------- */

#ifdef HAVE_GLIB
/* g_spawn_sync returns no length.  bench-emit writes no NUL and ends with '\n', so the end is
 * checked where it must be instead of paying strlen() over a GiB, which would be unfair. */
static size_t glib_output_len(const struct job *job, char *out)
{
        size_t want = (size_t)job->bytes;

        if (want > 0 && malloc_usable_size(out) > want && out[want - 1] == '\n' &&
            out[want] == '\0')
                return want;
        return strlen(out);
}

/* GLib's child_setup runs in its forked child, as become_nobody() does for fork+exec. */
static void glib_become_nobody(gpointer unused)
{
        (void)unused;
        if (become_nobody() < 0)
                _exit(126);
}

/* G_SPAWN_DEFAULT: GLib's defaults, which close the parent's other fds in the child. */
static int glib_sync_job(const struct job *job)
{
        gchar *out = NULL;
        GError *error = NULL;
        gint status = -1;
        int r = 0;

        if (!g_spawn_sync(NULL, (gchar **)job->argv, NULL, G_SPAWN_DEFAULT,
                          job->as_nobody ? glib_become_nobody : NULL, NULL,
                          job->task == TASK_CAPTURE ? &out : NULL, NULL, &status, &error)) {
                r = fail(job, "%s", error->message);
                g_error_free(error);
                return r;
        }
        r = check_status(job, status);
        if (r == 0 && job->task == TASK_CAPTURE)
                r = check_output(job, out, glib_output_len(job, out));
        g_free(out);
        return r;
}

static int glib_job(const struct job *job)
{
        GError *error = NULL;
        GPid pid;
        gint fd;

        int p[2];

        if (job->task == TASK_MAP) {
                /* GLib has no capture into a file: hand it the memfd as the child's stdout. */
                if (open_stdout(job, p) < 0)
                        return fail(job, "memfd_create: %s", strerror(errno));
                close(p[1]);
                if (!g_spawn_async_with_fds(NULL, (gchar **)job->argv, NULL,
                                            G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, -1, p[0],
                                            -1, &error)) {
                        close(p[0]);
                        fail(job, "%s", error->message);
                        g_error_free(error);
                        return -1;
                }
                return collect(job, p[0], pid);
        }
        if (job->task != TASK_DRAIN)
                return glib_sync_job(job);
        if (!g_spawn_async_with_pipes(NULL, (gchar **)job->argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                      NULL, NULL, &pid, NULL, &fd, NULL, &error)) {
                fail(job, "%s", error->message);
                g_error_free(error);
                return -1;
        }
        return collect(job, fd, pid);
}
#else
static int glib_job(const struct job *job)
{
        return fail(job, "not built with GLib");
}
#endif

int run_job(const struct job *job)
{
        switch (job->method) {
        case METHOD_SUBPROC:
                return subproc_job(job);
        case METHOD_RAW_CLONE:
                if (job->task != TASK_SPAWN_WAIT)
                        return fail(job, "spawn+wait only");
                return raw_clone_job(job);
        case METHOD_FORK_EXEC:
                return fork_exec_job(job);
        case METHOD_POSIX_SPAWN:
                return posix_spawn_job(job);
        case METHOD_GLIB:
                return glib_job(job);
        default:
                return fail(job, "no such method");
        }
}
