/* The "many children" row (issue 16): 1,000 short commands with output (bench-emit 100: 100
 * bytes on stdout), at most J = 2 x cores running at once, each command's output captured
 * whole and checked, each exit status checked.  Methods, all in the same run:
 *
 *   subproc_loop      subproc_loop_add / subproc_loop_wait, stdout+stderr into one buffer,
 *                     subproc_no_pidfd() and subproc_loop_use_sigchld(): one fd per child
 *   subproc pidfd     the same with pidfds (two fds per child)
 *   posix_spawn+ppoll ninja's way: a pipe per child for stdout+stderr, one ppoll() over them,
 *                     waitpid() at EOF
 *   GLib              GSubprocess (STDOUT_PIPE | STDERR_MERGE), g_subprocess_communicate_async
 *                     in a GMainLoop
 *   libuv             uv_spawn with a pipe for stdout, read and exit callbacks on the loop
 *
 * Each turn (one method, 1,000 commands) runs in a process forked for it, so that no method's
 * signal handlers (libuv's and ours for SIGCHLD, GLib's worker thread) touch another's.  The
 * turns go round-robin, ROUNDS rounds; the table shows the median rate with half the
 * interquartile range, and the most fds per running child seen (sampled every 32 starts:
 * /proc/self/fd less the fds open before the first start, over the running children).
 *
 *   subproc-bench-parallel [--quick] [--commands N] [--jobs J] [--only M]
 *
 * --only M runs method M alone (0 is the first row), e.g. under strace -f -c to count system
 * calls. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <subproc.h>
#ifdef HAVE_GIO
#include <gio/gio.h>
#endif
#ifdef HAVE_LIBUV
#include <uv.h>
#endif

#define OUTPUT_BYTES 100
#define SAMPLE_EVERY 32

extern char **environ;

static const char *emit_argv[] = { BENCH_EMIT_PATH, "100", NULL };
static int ncommands = 1000, jobs;

/* What one turn measured. */
struct turn {
        double seconds;
        double max_fds_per_child;
        int bad; /* commands whose status or output was wrong */
};

static double now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int count_fds(void)
{
        DIR *d = opendir("/proc/self/fd");
        int n = -1; /* the directory's own fd */

        if (!d)
                return 0;
        while (readdir(d))
                n++;
        closedir(d);
        return n - 2; /* . and .. */
}

static int baseline_fds;
static unsigned long started_total;

/* Called after each start: every SAMPLE_EVERY starts, the fds per running child. */
static void sample(struct turn *t, int running)
{
        double per;

        if (++started_total % SAMPLE_EVERY != 0 || running == 0)
                return;
        per = (double)(count_fds() - baseline_fds) / running;
        if (per > t->max_fds_per_child)
                t->max_fds_per_child = per;
}

/* ---- subproc_loop ------------------------------------------------------------------------ */

static void run_subproc(struct turn *t, bool pidfd)
{
        subproc_loop *l = subproc_loop_new();
        int next = 0, running = 0, done = 0;
        struct subproc_event ev[64];

        if (!pidfd && subproc_loop_use_sigchld(l) < 0)
                t->bad++;
        baseline_fds = count_fds();
        while (done < ncommands) {
                while (running < jobs && next < ncommands) {
                        subproc *c = subproc_new_argv(emit_argv);
                        char **out = malloc(sizeof *out);

                        subproc_set_output_buffer(c, out);
                        subproc_set_error_buffer(c, out);
                        if (!pidfd)
                                subproc_no_pidfd(c);
                        if (subproc_loop_add(l, c, out) < 0) {
                                fprintf(stderr, "subproc: %s\n", subproc_errmsg());
                                exit(1);
                        }
                        next++;
                        running++;
                        sample(t, running);
                }
                int n = subproc_loop_wait(l, -1, NULL, ev, 64);

                if (n < 0 && errno != EINTR) {
                        fprintf(stderr, "subproc: %s\n", subproc_errmsg());
                        exit(1);
                }
                for (int i = 0; i < n; i++) {
                        char **out = ev[i].tag;

                        t->bad += ev[i].result != 0 || ev[i].exitstatus != 0 ||
                                  subproc_output_len(ev[i].command) != OUTPUT_BYTES;
                        subproc_free(ev[i].command);
                        free(*out);
                        free(out);
                        running--;
                        done++;
                }
        }
        subproc_loop_free(l);
}

static void run_subproc_fd1(struct turn *t)
{
        run_subproc(t, false);
}

static void run_subproc_pidfd(struct turn *t)
{
        run_subproc(t, true);
}

/* ---- posix_spawn + ppoll, as ninja's subprocess-posix.cc ------------------------------- */

struct job {
        pid_t pid;
        int fd;
        char buf[4096];
        size_t len;
};

static void run_posix_spawn(struct turn *t)
{
        struct job *job = calloc((size_t)jobs, sizeof *job);
        struct pollfd *pfds = calloc((size_t)jobs, sizeof *pfds);
        int next = 0, running = 0, done = 0;

        baseline_fds = count_fds();
        for (int i = 0; i < jobs; i++)
                job[i].fd = -1;
        while (done < ncommands) {
                for (int i = 0; i < jobs && next < ncommands; i++) {
                        posix_spawn_file_actions_t fa;
                        int p[2];

                        if (job[i].fd >= 0)
                                continue;
                        if (pipe2(p, O_CLOEXEC) < 0)
                                exit(1);
                        posix_spawn_file_actions_init(&fa);
                        posix_spawn_file_actions_adddup2(&fa, p[1], 1);
                        posix_spawn_file_actions_adddup2(&fa, p[1], 2);
                        if (posix_spawn(&job[i].pid, emit_argv[0], &fa, NULL, (char **)emit_argv,
                                        environ) != 0)
                                exit(1);
                        posix_spawn_file_actions_destroy(&fa);
                        close(p[1]);
                        job[i].fd = p[0];
                        job[i].len = 0;
                        next++;
                        running++;
                        sample(t, running);
                }
                for (int i = 0; i < jobs; i++)
                        pfds[i] = (struct pollfd){ .fd = job[i].fd, .events = POLLIN };
                if (ppoll(pfds, (nfds_t)jobs, NULL, NULL) < 0 && errno != EINTR)
                        exit(1);
                for (int i = 0; i < jobs; i++) {
                        ssize_t n;
                        int status;

                        if (!pfds[i].revents)
                                continue;
                        n = read(job[i].fd, job[i].buf + job[i].len,
                                 sizeof job[i].buf - job[i].len);
                        if (n > 0) {
                                job[i].len += (size_t)n;
                                continue;
                        }
                        close(job[i].fd);
                        job[i].fd = -1;
                        if (waitpid(job[i].pid, &status, 0) < 0)
                                exit(1);
                        t->bad += !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
                                  job[i].len != OUTPUT_BYTES;
                        running--;
                        done++;
                }
        }
        free(job);
        free(pfds);
}

/* ---- GLib: GSubprocess in a GMainLoop --------------------------------------------------- */

#ifdef HAVE_GIO
struct glib_state {
        struct turn *t;
        GMainLoop *loop;
        GSubprocessLauncher *launcher;
        int next, running, done;
};

static void glib_start_more(struct glib_state *s);

static void glib_done(GObject *source, GAsyncResult *res, gpointer data)
{
        struct glib_state *s = data;
        GSubprocess *p = G_SUBPROCESS(source);
        GBytes *out = NULL;

        if (!g_subprocess_communicate_finish(p, res, &out, NULL, NULL))
                s->t->bad++;
        else
                s->t->bad += !g_subprocess_get_if_exited(p) ||
                             g_subprocess_get_exit_status(p) != 0 || !out ||
                             g_bytes_get_size(out) != OUTPUT_BYTES;
        if (out)
                g_bytes_unref(out);
        g_object_unref(p);
        s->running--;
        s->done++;
        if (s->done == ncommands)
                g_main_loop_quit(s->loop);
        else
                glib_start_more(s);
}

static void glib_start_more(struct glib_state *s)
{
        while (s->running < jobs && s->next < ncommands) {
                GSubprocess *p = g_subprocess_launcher_spawnv(s->launcher, emit_argv, NULL);

                if (!p)
                        exit(1);
                g_subprocess_communicate_async(p, NULL, NULL, glib_done, s);
                s->next++;
                s->running++;
                sample(s->t, s->running);
        }
}

static void run_glib(struct turn *t)
{
        struct glib_state s = { .t = t };

        s.loop = g_main_loop_new(NULL, FALSE);
        s.launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                               G_SUBPROCESS_FLAGS_STDERR_MERGE);
        baseline_fds = count_fds();
        glib_start_more(&s);
        g_main_loop_run(s.loop);
        g_object_unref(s.launcher);
        g_main_loop_unref(s.loop);
}
#endif

/* ---- libuv ------------------------------------------------------------------------------ */

#ifdef HAVE_LIBUV
struct uv_job {
        uv_process_t proc;
        uv_pipe_t out;
        char buf[4096];
        size_t len;
        int64_t exit_status;
        int term_signal;
        int closing;
        struct uv_state *s;
};

struct uv_state {
        struct turn *t;
        uv_loop_t *loop;
        int next, running, done;
};

static void uv_start_more(struct uv_state *s);

static void uv_job_closed(uv_handle_t *h)
{
        struct uv_job *j = h->data;

        if (++j->closing < 2)
                return;
        j->s->t->bad += j->exit_status != 0 || j->term_signal != 0 || j->len != OUTPUT_BYTES;
        j->s->running--;
        j->s->done++;
        uv_start_more(j->s);
        free(j);
}

static void uv_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
        struct uv_job *j = h->data;

        (void)size;
        *buf = uv_buf_init(j->buf + j->len, (unsigned)(sizeof j->buf - j->len));
}

static void uv_read(uv_stream_t *stream, ssize_t n, const uv_buf_t *buf)
{
        struct uv_job *j = stream->data;

        (void)buf;
        if (n > 0)
                j->len += (size_t)n;
        else if (n < 0)
                uv_close((uv_handle_t *)stream, uv_job_closed);
}

static void uv_exited(uv_process_t *p, int64_t status, int sig)
{
        struct uv_job *j = p->data;

        j->exit_status = status;
        j->term_signal = sig;
        uv_close((uv_handle_t *)p, uv_job_closed);
}

static void uv_start_more(struct uv_state *s)
{
        while (s->running < jobs && s->next < ncommands) {
                struct uv_job *j = calloc(1, sizeof *j);
                uv_stdio_container_t stdio[3];
                uv_process_options_t o = { 0 };

                j->s = s;
                uv_pipe_init(s->loop, &j->out, 0);
                j->out.data = j;
                j->proc.data = j;
                stdio[0].flags = UV_IGNORE;
                stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
                stdio[1].data.stream = (uv_stream_t *)&j->out;
                stdio[2].flags = UV_IGNORE;
                o.file = emit_argv[0];
                o.args = (char **)emit_argv;
                o.exit_cb = uv_exited;
                o.stdio = stdio;
                o.stdio_count = 3;
                if (uv_spawn(s->loop, &j->proc, &o) != 0)
                        exit(1);
                uv_read_start((uv_stream_t *)&j->out, uv_alloc, uv_read);
                s->next++;
                s->running++;
                sample(s->t, s->running);
        }
}

static void run_libuv(struct turn *t)
{
        struct uv_state s = { .t = t, .loop = uv_default_loop() };

        baseline_fds = count_fds();
        uv_start_more(&s);
        uv_run(s.loop, UV_RUN_DEFAULT);
}
#endif

/* ---- the table ------------------------------------------------------------------------ */

struct method {
        const char *name;
        void (*run)(struct turn *t);
};

static const struct method methods[] = {
        { "subproc_loop (no pidfd, SIGCHLD)", run_subproc_fd1 },
        { "subproc_loop (pidfd)", run_subproc_pidfd },
        { "posix_spawn + ppoll (ninja)", run_posix_spawn },
#ifdef HAVE_GIO
        { "GLib GSubprocess + GMainLoop", run_glib },
#endif
#ifdef HAVE_LIBUV
        { "libuv uv_spawn", run_libuv },
#endif
};
#define NMETHODS (sizeof methods / sizeof methods[0])

/* One turn in a process of its own; the result comes back through a pipe. */
static struct turn run_turn(const struct method *m)
{
        struct turn t = { 0 };
        int p[2], status;
        pid_t pid;

        if (pipe(p) < 0 || (pid = fork()) < 0)
                exit(1);
        if (pid == 0) {
                double start;

                close(p[0]);
                start = now_s();
                m->run(&t);
                t.seconds = now_s() - start;
                if (write(p[1], &t, sizeof t) != sizeof t)
                        _exit(1);
                _exit(0);
        }
        close(p[1]);
        if (read(p[0], &t, sizeof t) != sizeof t)
                t.bad = -1;
        close(p[0]);
        waitpid(pid, &status, 0);
        return t;
}

static int compare_doubles(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
        int rounds = 7, only = -1;
        double rate[NMETHODS][32], fds[NMETHODS] = { 0 };
        int bad[NMETHODS] = { 0 };

        jobs = 2 * (int)sysconf(_SC_NPROCESSORS_ONLN);
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--quick") == 0)
                        rounds = 3;
                else if (strcmp(argv[i], "--commands") == 0 && i + 1 < argc)
                        ncommands = atoi(argv[++i]);
                else if (strcmp(argv[i], "--jobs") == 0 && i + 1 < argc)
                        jobs = atoi(argv[++i]);
                else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
                        only = atoi(argv[++i]);
                else {
                        fprintf(stderr, "usage: subproc-bench-parallel [--quick] "
                                        "[--commands N] [--jobs J] [--only M]\n");
                        return 2;
                }
        }
        if (ncommands < 1 || jobs < 1)
                return 2;
        for (int r = 0; r < rounds; r++) {
                for (size_t k = 0; k < NMETHODS; k++) {
                        /* A different method first each round. */
                        size_t m = (k + (size_t)r) % NMETHODS;
                        struct turn t;

                        if (only >= 0 && m != (size_t)only)
                                continue;
                        t = run_turn(&methods[m]);

                        rate[m][r] = t.seconds > 0 ? ncommands / t.seconds : 0;
                        if (t.max_fds_per_child > fds[m])
                                fds[m] = t.max_fds_per_child;
                        bad[m] += t.bad;
                }
        }
        printf("%d short commands with output (%d bytes each), J = %d (2 x %ld cores), "
               "%d rounds\n\n",
               ncommands, OUTPUT_BYTES, jobs, sysconf(_SC_NPROCESSORS_ONLN), rounds);
        printf("| method | commands/s (median ± IQR/2) | max fds per running child | bad |\n");
        printf("|---|---|---|---|\n");
        for (size_t m = 0; m < NMETHODS; m++) {
                if (only >= 0 && m != (size_t)only)
                        continue;
                qsort(rate[m], (size_t)rounds, sizeof rate[m][0], compare_doubles);
                printf("| %s | %.0f ± %.0f | %.2f | %d |\n", methods[m].name, rate[m][rounds / 2],
                       (rate[m][rounds * 3 / 4] - rate[m][rounds / 4]) / 2, fds[m], bad[m]);
        }
#ifndef HAVE_GIO
        printf("\nGLib (gio-2.0) was not found at build time: no GLib row.\n");
#endif
#ifndef HAVE_LIBUV
        printf("\nlibuv was not found at build time: no libuv row.\n");
#endif
        return 0;
}
