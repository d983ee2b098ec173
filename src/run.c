/* Running a command: turn it into a child plan, start it, then feed, capture and reap. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* fds that exist only for the spawn: the child's pipe ends, /dev/null, moved copies. */
struct spawn_fds {
        int *fds;
        size_t n, cap;
        int devnull;
        int caller_read[2]; /* pipes for the caller (set_output_fd / set_error_fd with -1) */
};

static int spawn_fds_add(struct spawn_fds *s, int fd)
{
        if (s->n == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 8;
                int *fds = realloc(s->fds, cap * sizeof *fds);

                if (!fds) {
                        close(fd);
                        return sp_error(ENOMEM, "out of memory preparing the child's fds");
                }
                s->fds = fds;
                s->cap = cap;
        }
        s->fds[s->n++] = fd;
        return 0;
}

static void spawn_fds_close(struct spawn_fds *s)
{
        for (size_t i = 0; i < s->n; i++)
                sp_close(&s->fds[i]);
        free(s->fds);
        s->fds = NULL;
        s->n = s->cap = 0;
}

static int devnull_fd(struct spawn_fds *s)
{
        if (s->devnull < 0) {
                int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

                if (fd < 0)
                        return sp_error(errno, "open /dev/null: %s", strerror(errno));
                if (spawn_fds_add(s, fd) < 0)
                        return -1;
                s->devnull = fd;
        }
        return s->devnull;
}

/* A pipe whose child end is closed after the spawn; returns the child end, *ret_ours the
 * other one. */
static int make_pipe(struct spawn_fds *s, bool child_reads, int *ret_ours)
{
        int p[2];

        if (sp_pipe_cloexec(p) < 0)
                return sp_error(errno, "cannot make a pipe for the child: %s", strerror(errno));
        if (spawn_fds_add(s, child_reads ? p[0] : p[1]) < 0) {
                close(child_reads ? p[1] : p[0]);
                return -1;
        }
        *ret_ours = child_reads ? p[1] : p[0];
        return child_reads ? p[0] : p[1];
}

static int stdin_source(subproc *c, struct spawn_fds *s)
{
        int child_end;

        if (c->input_fd >= 0)
                return c->input_fd;
        if (!c->has_input_buffer)
                return devnull_fd(s);
        child_end = make_pipe(s, true, &c->io.in_fd);
        if (child_end >= 0 && sp_set_nonblock(c->io.in_fd, true) < 0)
                return sp_error(errno, "cannot make the stdin pipe non-blocking: %s",
                                strerror(errno));
        return child_end;
}

/* Where the child's stdout (error false) or stderr goes.  out_src is stdout's source. */
static int output_source(subproc *c, struct spawn_fds *s, bool error, int out_src)
{
        int *fdp = error ? c->error_fdp : c->output_fdp;
        char **bufp = error ? c->error_bufp : c->output_bufp;
        bool wants_pipe = error ? c->error_wants_pipe : c->output_wants_pipe;

        if (error && ((fdp && fdp == c->output_fdp) || (bufp && bufp == c->output_bufp)))
                return out_src; /* one shared fd or pipe */
        if (bufp)
                return make_pipe(s, false, error ? &c->io.err_fd : &c->io.out_fd);
        if (fdp && wants_pipe)
                return make_pipe(s, false, &s->caller_read[error]);
        if (fdp) {
                if (*fdp < 0)
                        return sp_error(EBADF, "the %s fd %d is invalid",
                                        error ? "error" : "output", *fdp);
                return *fdp;
        }
        return devnull_fd(s);
}

/* Send buffers get a fresh pipe for every run after the first. */
static int prepare_send_buffers(subproc *c)
{
        for (size_t i = 0; i < c->nsends; i++) {
                struct sp_send_buffer *sb = &c->sends[i];
                int p[2];

                sb->written = 0;
                if (sb->read_fd < 0) {
                        sp_close(&sb->write_fd);
                        if (sp_pipe_cloexec(p) < 0)
                                return sp_error(errno, "cannot make a pipe for send buffer %zu: %s",
                                                i, strerror(errno));
                        sb->read_fd = p[0];
                        sb->write_fd = p[1];
                }
                if (sp_set_nonblock(sb->write_fd, true) < 0)
                        return sp_error(errno, "cannot make send buffer %zu non-blocking: %s", i,
                                        strerror(errno));
        }
        return 0;
}

struct plan_storage {
        struct sp_fd_map *maps;
        int *keep;
};

static int compare_ints(const void *a, const void *b)
{
        int x = *(const int *)a, y = *(const int *)b;

        return (x > y) - (x < y);
}

static bool is_target(const struct sp_fd_map *maps, size_t n, int fd)
{
        for (size_t i = 0; i < n; i++)
                if (maps[i].dst == fd)
                        return true;
        return false;
}

/* A source that is also some map's target would be overwritten before it is copied: copy it
 * first, above every target. */
static int move_clobbered_sources(struct sp_fd_map *maps, size_t n, int above,
                                  struct spawn_fds *s)
{
        for (size_t i = 0; i < n; i++) {
                int moved;

                if (maps[i].src == maps[i].dst || !is_target(maps, n, maps[i].src))
                        continue;
                moved = fcntl(maps[i].src, F_DUPFD_CLOEXEC, above);
                if (moved < 0)
                        return sp_error(errno, "cannot set up fd %d for the child: %s",
                                        maps[i].dst, strerror(errno));
                if (spawn_fds_add(s, moved) < 0)
                        return -1;
                maps[i].src = moved;
        }
        return 0;
}

static int build_fd_plan(subproc *c, struct spawn_fds *s, struct sp_plan *plan,
                         struct plan_storage *st)
{
        size_t nmaps = 3 + c->npassed + c->nsends, nkeep = 0, n = 0;
        int in_src, out_src, err_src, highest = 2;

        st->maps = calloc(nmaps, sizeof *st->maps);
        st->keep = calloc(nmaps, sizeof *st->keep);
        if (!st->maps || !st->keep)
                return sp_error(ENOMEM, "out of memory preparing the child's fds");
        if ((in_src = stdin_source(c, s)) < 0 || (out_src = output_source(c, s, false, -1)) < 0 ||
            (err_src = output_source(c, s, true, out_src)) < 0)
                return -1;
        st->maps[n++] = (struct sp_fd_map){ in_src, 0 };
        st->maps[n++] = (struct sp_fd_map){ out_src, 1 };
        st->maps[n++] = (struct sp_fd_map){ err_src, 2 };
        for (size_t i = 0; i < c->npassed; i++)
                st->maps[n++] = (struct sp_fd_map){ c->passed[i].fd, c->passed[i].fd };
        for (size_t i = 0; i < c->nsends; i++) {
                int dst = c->sends[i].child_fd;

                if (is_target(st->maps, n, dst))
                        return sp_error(EINVAL, "fd %d is both passed and a send buffer", dst);
                st->maps[n++] = (struct sp_fd_map){ c->sends[i].read_fd, dst };
        }
        for (size_t i = 3; i < n; i++) {
                st->keep[nkeep++] = st->maps[i].dst;
                if (st->maps[i].dst > highest)
                        highest = st->maps[i].dst;
        }
        qsort(st->keep, nkeep, sizeof *st->keep, compare_ints);
        if (move_clobbered_sources(st->maps, n, highest + 1, s) < 0)
                return -1;
        plan->maps = st->maps;
        plan->nmaps = n;
        plan->keep = st->keep;
        plan->nkeep = nkeep;
        return 0;
}

int sp_test_force_close_fallback;

static int fd_limit(void)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
            rl.rlim_cur > 1 << 30)
                return 1 << 20;
        return (int)rl.rlim_cur;
}

/* Give the caller its pipe read ends, and close what the child alone needed. */
static void after_spawn(subproc *c, struct spawn_fds *s, bool started)
{
        int *fdps[2] = { c->output_fdp, c->error_fdp };

        for (int i = 0; i < 2; i++) {
                if (s->caller_read[i] < 0)
                        continue;
                if (started) {
                        if (c->nonblocking)
                                (void)sp_set_nonblock(s->caller_read[i], true);
                        *fdps[i] = s->caller_read[i];
                        s->caller_read[i] = -1;
                } else {
                        sp_close(&s->caller_read[i]);
                }
        }
        spawn_fds_close(s);
        for (size_t i = 0; i < c->nsends; i++)
                sp_close(&c->sends[i].read_fd);
        /* CLOSE_PARENT fds were ours to close, and are not passed again on a rerun. */
        size_t kept = 0;
        for (size_t i = 0; i < c->npassed; i++) {
                if (c->passed[i].flags & SUBPROC_PASS_FD_CLOSE_PARENT)
                        sp_close(&c->passed[i].fd);
                else
                        c->passed[kept++] = c->passed[i];
        }
        c->npassed = kept;
}

/* Move the captures into the caller's buffers ("" when nothing came). */
void sp_deliver_buffers(subproc *c)
{
        struct sp_capture *caps[2] = { &c->io.out, &c->io.err };
        char **bufps[2] = { c->output_bufp, c->error_bufp };
        size_t *lens[2] = { &c->out_len, &c->err_len };

        for (int i = 0; i < 2; i++) {
                if (!bufps[i])
                        continue;
                if (i == 1 && bufps[1] == bufps[0]) {
                        c->err_len = c->out_len;
                        continue;
                }
                free(*bufps[i]);
                if (caps[i]->data) {
                        caps[i]->data[caps[i]->len] = '\0';
                        *bufps[i] = caps[i]->data;
                        *lens[i] = caps[i]->len;
                        *caps[i] = (struct sp_capture){ 0 };
                } else {
                        *bufps[i] = strdup("");
                        *lens[i] = 0;
                }
        }
}

/* Forget the strings of the previous run: a rerun frees them, as documented. */
static void reset_buffers(subproc *c)
{
        if (c->output_bufp) {
                free(*c->output_bufp);
                *c->output_bufp = NULL;
        }
        if (c->error_bufp && c->error_bufp != c->output_bufp) {
                free(*c->error_bufp);
                *c->error_bufp = NULL;
        }
        c->out_len = c->err_len = 0;
        sp_run_io_close(c);
        c->io.in_written = 0;
}

/* Combinations that cannot work, found before anything is created. */
static int check_features(const subproc *c, bool async)
{
        bool buffers = c->has_input_buffer || c->output_bufp || c->error_bufp || c->nsends;

#ifndef __linux__
        if (c->death_signal || c->no_new_privs || c->clear_caps)
                return sp_error(ENOTSUP, "death signals, no_new_privs and clearing capabilities "
                                         "are only supported on Linux");
#endif
        if (c->daemonize) {
                if (async)
                        return sp_error(EINVAL, "a daemon can only be started with subproc_run");
                if (c->death_signal)
                        return sp_error(EINVAL, "a death signal contradicts daemonize: the "
                                                "daemon must outlive the caller");
                if (buffers)
                        return sp_error(EINVAL, "a daemon cannot use input, output, error or "
                                                "send buffers: nobody would serve them");
                if (c->handshake != SP_HANDSHAKE_NONE)
                        return sp_error(EINVAL, "the handshake is not supported with daemonize");
        }
        if (c->handshake != SP_HANDSHAKE_NONE && !async)
                return sp_error(EINVAL, "a command with a handshake must be started with "
                                        "subproc_run_async");
        return 0;
}

static void fill_lifetime_plan(const subproc *c, struct sp_plan *plan)
{
        plan->daemonize = c->daemonize;
        plan->pidfile = c->pidfile;
        plan->rlimits = c->rlimits;
        plan->nrlimits = c->nrlimits;
        plan->umask = c->has_umask ? (int)c->umask : -1;
        plan->hook = c->hook;
        plan->hook_opaque = c->hook_opaque;
        plan->clear_caps = c->clear_caps;
        plan->drop_groups = c->has_uid || c->has_gid;
        plan->uid = c->has_uid ? (long)c->uid : -1;
        plan->gid = c->has_gid ? (long)c->gid : -1;
        plan->no_new_privs = c->no_new_privs;
        plan->death_signal = c->death_signal;
        plan->parent_pid = getpid();
        plan->handshake = c->handshake != SP_HANDSHAKE_NONE;
        plan->use_fork = c->hook || plan->handshake;
}

/* Record a started child; a daemon's intermediate is already reaped. */
static void record_start(subproc *c, const struct sp_spawn_result *res)
{
        c->pid_handed_out = false;
        c->daemon_pid = res->daemon_pid;
        if (c->daemonize) {
                c->pid = -1;
                c->last_status = 0;
                c->io_pending = false;
                return;
        }
        c->pid = res->pid;
        c->io_pending = true;
        if (c->handshake != SP_HANDSHAKE_NONE) {
                c->report_fd = res->report_fd;
                c->handshake_notify_fd = res->handshake_fd;
                c->handshake = SP_HANDSHAKE_STARTED;
        }
}

static int start(subproc *c, bool async)
{
        struct spawn_fds s = { .devnull = -1, .caller_read = { -1, -1 } };
        struct plan_storage st = { 0 };
        struct sp_plan plan = { 0 };
        struct sp_spawn_result res;
        int r;

        if (c->pid > 0)
                return sp_error(EBUSY, "the command is already running as pid %d", (int)c->pid);
        if (check_features(c, async) < 0)
                return -1;
        reset_buffers(c);
        c->daemon_pid = -1;
        free(c->exec_path);
        c->exec_path = NULL;
        r = sp_path_resolve(c->argv.items[0], &c->exec_path);
        if (r == 0)
                r = prepare_send_buffers(c);
        if (r == 0)
                r = build_fd_plan(c, &s, &plan, &st);
        if (r == 0) {
                plan.path = c->exec_path;
                plan.argv = c->argv.items;
                plan.envp = sp_env_envp(&c->env);
                plan.cwd = c->cwd;
                plan.fd_limit = fd_limit();
                plan.first_method = sp_test_force_close_fallback == 1   ? SP_CLOSE_PROC_FD
                                    : sp_test_force_close_fallback == 2 ? SP_CLOSE_LOOP
                                                                        : SP_CLOSE_RANGE_CLOEXEC;
                fill_lifetime_plan(c, &plan);
                r = sp_spawn(&plan, &res);
                if (r < 0)
                        r = sp_error(-r, "cannot start %s: %s", c->exec_path, strerror(-r));
                else if (res.failed)
                        r = sp_report_describe(c, &res.report);
        }
        after_spawn(c, &s, r == 0);
        free(st.maps);
        free(st.keep);
        if (r < 0) {
                int e = errno;

                sp_deliver_buffers(c);
                sp_run_io_close(c);
                errno = e;
                return -1;
        }
        record_start(c, &res);
        return 0;
}

/* Everything that has a pipe for the caller needs somebody to read it while we wait. */
static int check_blocking_run(const subproc *c)
{
        if (c->output_fdp && c->output_wants_pipe)
                return sp_error(EINVAL, "subproc_run cannot give the caller an output pipe: "
                                        "nobody would read it; use subproc_run_async");
        if (c->error_fdp && c->error_wants_pipe)
                return sp_error(EINVAL, "subproc_run cannot give the caller an error pipe: "
                                        "nobody would read it; use subproc_run_async");
        return 0;
}

/* The last part of the captured stderr, for error messages. */
static const char *stderr_tail(const subproc *c)
{
        const char *err = c->error_bufp ? *c->error_bufp : NULL;
        size_t len = c->err_len;

        if (!err)
                return NULL;
        while (len > 0 && (err[len - 1] == '\n' || err[len - 1] == '\r'))
                len--;
        if (len > 512)
                err += len - 512;
        return err;
}

static int finish(subproc *c, int *exitstatus)
{
        int status = 0, r = 0, e;
        char *line;

        if (c->io_pending) {
                c->io_pending = false;
                r = sp_io_loop(c);
        }
        if (r < 0) {
                /* The child may block on a pipe nobody reads any more: do not wait for it. */
                e = errno;
                sp_kill_and_reap(c->pid, SP_ABORT_GRACE_MS, &status);
                errno = e;
        } else if ((r = sp_waitpid(c->pid, &status)) < 0) {
                r = sp_error(-r, "cannot reap pid %d: %s (was SIGCHLD ignored, or the pid reaped "
                                 "elsewhere?)", (int)c->pid, strerror(-r));
        }
        c->pid = -1;
        c->last_status = r < 0 ? -1 : status;
        e = errno;
        sp_deliver_buffers(c);
        sp_run_io_close(c);
        errno = e;
        if (r < 0)
                return -1;
        line = subproc_to_string(c, false);
        r = sp_check_status(line ? line : c->argv.items[0], status, exitstatus, c->raw_status,
                            stderr_tail(c));
        e = errno;
        free(line);
        errno = e;
        return r;
}

int subproc_run(subproc *c, int *exitstatus)
{
        if (sp_command_broken(c)) {
                if (c && !c->is_static && (c->output_bufp || c->error_bufp)) {
                        reset_buffers(c);
                        sp_deliver_buffers(c);
                }
                return sp_command_report(c);
        }
        if (check_blocking_run(c) < 0 || start(c, false) < 0)
                return -1;
        if (c->daemonize) {
                if (exitstatus)
                        *exitstatus = 0;
                return 0;
        }
        return finish(c, exitstatus);
}

int subproc_run_async(subproc *c, pid_t *pid)
{
        if (sp_command_broken(c))
                return sp_command_report(c);
        if (start(c, true) < 0)
                return -1;
        c->pid_handed_out = pid != NULL;
        if (pid)
                *pid = c->pid;
        return 0;
}

int subproc_wait(subproc *c, int *exitstatus)
{
        if (!c || c->is_static)
                return sp_error(EINVAL, "cannot wait: %s", c ? "the command is broken" : "NULL command");
        if (c->pid <= 0)
                return sp_error(ECHILD, "cannot wait: the command is not running");
        return finish(c, exitstatus);
}

void subproc_abort(subproc *c)
{
        int saved_errno = errno;
        int status;

        if (!c || c->pid <= 0)
                return;
        sp_kill_and_reap(c->pid, SP_ABORT_GRACE_MS, &status);
        c->pid = -1;
        c->last_status = status;
        c->io_pending = false;
        sp_deliver_buffers(c);
        sp_run_io_close(c);
        errno = saved_errno;
}
