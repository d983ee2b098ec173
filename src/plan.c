/* Turning a command into the child's plan: resolved binary, fd maps, lifetime steps.  Every
 * fd and string the child will touch is made here, in the parent. */
#include "run.h"
#include "confine.h"
#include "test-knobs.h"
#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static int spawn_fds_add(struct sp_spawn_fds *s, int fd)
{
        if (!s->fds) {
                s->fds = s->few_fds;
                s->cap = sizeof s->few_fds / sizeof s->few_fds[0];
        }
        if (s->n == s->cap) {
                size_t cap = s->cap * 2;
                int *fds = s->fds == s->few_fds ? malloc(cap * sizeof *fds)
                                                : realloc(s->fds, cap * sizeof *fds);

                if (!fds) {
                        close(fd);
                        return sp_error(ENOMEM, "out of memory preparing the child's fds");
                }
                if (s->fds == s->few_fds)
                        memcpy(fds, s->few_fds, sizeof s->few_fds);
                s->fds = fds;
                s->cap = cap;
        }
        s->fds[s->n++] = fd;
        return 0;
}

static void spawn_fds_close(struct sp_spawn_fds *s)
{
        for (size_t i = 0; i < s->n; i++)
                sp_close(&s->fds[i]);
        if (s->fds != s->few_fds)
                free(s->fds);
        s->fds = NULL;
        s->n = s->cap = 0;
}

static int devnull_fd(struct sp_spawn_fds *s)
{
        if (s->devnull < 0) {
                int fd = sp_fd_above_stdio(open("/dev/null", O_RDWR | O_CLOEXEC));

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
static int make_pipe(struct sp_spawn_fds *s, bool child_reads, int *ret_ours)
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

/* The feeds of a run: stdin's input buffer first, then the send buffers; their pipes are
 * made below. */
static int make_feeds(const struct sp_config *cfg, struct sp_run *run)
{
        size_t n = (cfg->has_input_buffer ? 1 : 0) + cfg->nsends, k = 0;

        if (n == 0)
                return 0;
        run->feeds = calloc(n, sizeof *run->feeds);
        if (!run->feeds)
                return sp_error(ENOMEM, "out of memory preparing the child's input");
        if (cfg->has_input_buffer)
                run->feeds[k++] = (struct sp_feed){ -1, cfg->input_data, cfg->input_len, 0 };
        for (size_t i = 0; i < cfg->nsends; i++)
                run->feeds[k++] = (struct sp_feed){ -1, cfg->sends[i].data, cfg->sends[i].len, 0 };
        run->nfeeds = n;
        return 0;
}

/* A standard fd the caller has closed, with subproc_inherit_stdio(): the child has it closed
 * too (it gets no map). */
#define LEFT_CLOSED (-2)

/* What the child gets on `fd` (0-2) when nothing is set for it: /dev/null, or with
 * subproc_inherit_stdio() the caller's own fd, closed if the caller has it closed.  An fd
 * there with close-on-exec counts as closed, as exec would treat it; and so a library fd of
 * another thread's run, close-on-exec from birth, that sits on a number the caller closed
 * for an instant (a pipe before its move above 2, a pidfd while its child sets up) is never
 * taken for the caller's: the child closes that number. */
static int default_source(const struct sp_config *cfg, struct sp_spawn_fds *s, int fd)
{
        int flags;

        if (!cfg->inherit_stdio)
                return devnull_fd(s);
        flags = fcntl(fd, F_GETFD);
        return flags >= 0 && !(flags & FD_CLOEXEC) ? fd : LEFT_CLOSED;
}

static int stdin_source(const struct sp_config *cfg, struct sp_run *run, struct sp_spawn_fds *s)
{
        int child_end;

        if (cfg->pty_streams & SUBPROC_PTY_STDIN)
                return s->pty_slave;
        if (cfg->input_fd >= 0)
                return cfg->input_fd;
        if (cfg->input_pipe_fdp) {
                child_end = make_pipe(s, true, &s->caller_write);
                if (child_end >= 0 && cfg->nonblocking &&
                    sp_set_nonblock(s->caller_write, true) < 0)
                        return sp_error(errno, "cannot make the input pipe non-blocking: %s",
                                        strerror(errno));
                return child_end;
        }
        if (!cfg->has_input_buffer)
                return default_source(cfg, s, 0);
        child_end = make_pipe(s, true, &run->feeds[0].fd);
        if (child_end >= 0 && sp_set_nonblock(run->feeds[0].fd, true) < 0)
                return sp_error(errno, "cannot make the stdin pipe non-blocking: %s",
                                strerror(errno));
        return child_end;
}

/* The output callback's state for the pipe of stdout (error false) or stderr, if the callback
 * takes that stream (with one buffer for both, stdout's pipe carries both). */
static void set_sink(const struct sp_config *cfg, struct sp_run *run, bool error)
{
        unsigned stream = error ? SUBPROC_STDERR : SUBPROC_STDOUT;
        struct sp_sink *sink = error ? &run->err_sink : &run->out_sink;
        bool shared = cfg->output_bufp && cfg->output_bufp == cfg->error_bufp;

        if (!cfg->output_fn || !(cfg->output_streams & stream))
                return;
        *sink = (struct sp_sink){
                .fn = cfg->output_fn,
                .opaque = cfg->output_opaque,
                .stream = shared ? SUBPROC_STDOUT | SUBPROC_STDERR : (int)stream,
                .lines = cfg->output_flags & SUBPROC_LINES,
                .keep = (error ? cfg->error_bufp : cfg->output_bufp) != NULL,
        };
}

/* Where the child's stdout (error false) or stderr goes.  out_src is stdout's source. */
static int output_source(const struct sp_config *cfg, struct sp_run *run, struct sp_spawn_fds *s,
                         bool error, int out_src)
{
        int *fdp = error ? cfg->error_fdp : cfg->output_fdp;
        char **bufp = error ? cfg->error_bufp : cfg->output_bufp;
        bool wants_pipe = error ? cfg->error_wants_pipe : cfg->output_wants_pipe;

        if (cfg->pty_streams & (error ? SUBPROC_PTY_STDERR : SUBPROC_PTY_STDOUT))
                return s->pty_slave;

        if (error && ((fdp && fdp == cfg->output_fdp) || (bufp && bufp == cfg->output_bufp)))
                return out_src; /* one shared fd or pipe */
        if (bufp && (error ? cfg->error_mapped : cfg->output_mapped)) {
                int *memfd = error ? &run->err_memfd : &run->out_memfd;

                /* Ours until the mapping is made: the child gets a copy, not this fd. */
                *memfd = sp_mapping_open();
                return *memfd;
        }
        if (bufp ||
            (cfg->output_fn && (cfg->output_streams & (error ? SUBPROC_STDERR : SUBPROC_STDOUT)))) {
                if (bufp)
                        (error ? &run->err : &run->out)->limit = cfg->capture_limit;
                set_sink(cfg, run, error);
                return make_pipe(s, false, error ? &run->err_fd : &run->out_fd);
        }
        if (fdp && wants_pipe) {
                int child_end = make_pipe(s, false, &s->caller_read[error]);

                if (child_end >= 0 && cfg->nonblocking &&
                    sp_set_nonblock(s->caller_read[error], true) < 0)
                        return sp_error(errno, "cannot make the %s pipe non-blocking: %s",
                                        error ? "error" : "output", strerror(errno));
                return child_end;
        }
        if (fdp) {
                if (*fdp < 0)
                        return sp_error(EBADF, "the %s fd %d is invalid",
                                        error ? "error" : "output", *fdp);
                return *fdp;
        }
        return default_source(cfg, s, error ? 2 : 1);
}

/* The read end the child gets for send buffer `sb`, our write end going to its feed: the pipe
 * subproc_add_send_buffer() made for the first run (its read end's number is the one the
 * caller was told), a fresh one for every later run. */
static int send_source(struct sp_send_buffer *sb, size_t i, struct sp_feed *feed,
                       struct sp_spawn_fds *s)
{
        int p[2] = { sb->first_pipe[0], sb->first_pipe[1] };

        sb->first_pipe[0] = sb->first_pipe[1] = -1;
        if (p[0] < 0 && sp_pipe_cloexec(p) < 0)
                return sp_error(errno, "cannot make a pipe for send buffer %zu: %s", i,
                                strerror(errno));
        feed->fd = p[1];
        if (spawn_fds_add(s, p[0]) < 0)
                return -1;
        if (sp_set_nonblock(feed->fd, true) < 0)
                return sp_error(errno, "cannot make send buffer %zu non-blocking: %s", i,
                                strerror(errno));
        return p[0];
}

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
 * first, to a number that is no target (targets >= 3 are in keep). */
static int move_clobbered_sources(struct sp_fd_map *maps, size_t n, const int *keep, size_t nkeep,
                                  struct sp_spawn_fds *s)
{
        for (size_t i = 0; i < n; i++) {
                int moved;

                if (maps[i].src == maps[i].dst || !is_target(maps, n, maps[i].src))
                        continue;
                moved = sp_fd_dup_avoiding(maps[i].src, keep, nkeep);
                if (moved < 0)
                        return sp_error(-moved, "cannot set up fd %d for the child: %s",
                                        maps[i].dst, strerror(-moved));
                if (spawn_fds_add(s, moved) < 0)
                        return -1;
                maps[i].src = moved;
        }
        return 0;
}

/* target < 0: a passed fd; else the child's stdio fd that fd would become. */
static int check_open(int fd, int target)
{
        if (fcntl(fd, F_GETFD) >= 0)
                return 0;
        if (target < 0)
                sp_error(EBADF, "pass fd %d: %s", fd, strerror(EBADF));
        else
                sp_error(EBADF, "cannot give the child fd %d from fd %d: %s", target, fd,
                         strerror(EBADF));
        sp_error_set_stage(SUBPROC_STAGE_SETUP); /* as if the child had found it closed */
        return -1;
}

/* The caller's fds must be open before we make any of our own: a closed one would otherwise
 * be the number our next pipe gets, and the child would be handed that instead. */
static int check_caller_fds(const subproc *c)
{
        int *fdps[2] = { c->cfg.output_fdp, c->cfg.error_fdp };
        bool pipes[2] = { c->cfg.output_wants_pipe, c->cfg.error_wants_pipe };

        if (c->cfg.input_fd >= 0 && check_open(c->cfg.input_fd, 0) < 0)
                return -1;
        for (int i = 0; i < 2; i++)
                if (fdps[i] && !pipes[i] && *fdps[i] >= 0 && check_open(*fdps[i], 1 + i) < 0)
                        return -1;
        for (size_t i = 0; i < c->cfg.npassed; i++)
                if (check_open(c->cfg.passed[i].fd, -1) < 0)
                        return -1;
        for (size_t i = 0; i < c->cfg.nlisten; i++)
                if (fcntl(c->cfg.listen_fds[i], F_GETFD) < 0) {
                        sp_error(EBADF, "listening fd %d (the child's fd %zu): %s",
                                 c->cfg.listen_fds[i], 3 + i, strerror(EBADF));
                        sp_error_set_stage(SUBPROC_STAGE_SETUP);
                        return -1;
                }
        return 0;
}

/* Issue 15: whether the child's fd is one of the listening fds' places, 3.. */
static bool is_listen_target(const struct sp_config *cfg, int fd)
{
        return fd >= 3 && (size_t)fd < 3 + cfg->nlisten;
}

/* Issue 15: the listening fds to 3.., in order; a passed fd promised one of those numbers is
 * an error naming both. */
static int listen_fd_maps(const struct sp_config *cfg, struct sp_fd_map *maps, size_t *n)
{
        for (size_t i = 0; i < cfg->npassed; i++)
                if (is_listen_target(cfg, cfg->passed[i].child_fd))
                        return sp_error(EINVAL,
                                        "fd %d is passed as the child's fd %d, which is "
                                        "listening fd %d's place (%d): subproc_listen_fds() "
                                        "takes fds 3..%zu",
                                        cfg->passed[i].fd, cfg->passed[i].child_fd,
                                        cfg->passed[i].child_fd - 3,
                                        cfg->listen_fds[cfg->passed[i].child_fd - 3],
                                        2 + cfg->nlisten);
        for (size_t i = 0; i < cfg->nlisten; i++)
                maps[(*n)++] = (struct sp_fd_map){ cfg->listen_fds[i], 3 + (int)i };
        return 0;
}

/* Issue 16: the run's pty, whose slave becomes the chosen streams and, on the lowest of them,
 * the child's controlling terminal. */
static int open_pty(const subproc *c, struct sp_run *run, struct sp_spawn_fds *s,
                    struct sp_plan *plan)
{
        unsigned streams = c->cfg.pty_streams;

        if (!c->cfg.pty_masterp)
                return 0;
        if (sp_pty_open(&c->cfg, run, &s->pty_master, &s->pty_slave) < 0)
                return -1;
        if (spawn_fds_add(s, s->pty_slave) < 0) {
                s->pty_slave = -1;
                return -1;
        }
        plan->ctty_fd = streams & SUBPROC_PTY_STDIN ? 0 : streams & SUBPROC_PTY_STDOUT ? 1 : 2;
        return 0;
}

static int build_fd_plan(subproc *c, struct sp_run *run, struct sp_spawn_fds *s,
                         struct sp_plan *plan, struct sp_plan_storage *st)
{
        /* The send buffers' feeds follow stdin's, if any.  Indexed, never offset up front:
         * without feeds run->feeds is NULL, and NULL + 0 is undefined. */
        size_t first_send_feed = c->cfg.has_input_buffer ? 1 : 0;
        size_t nmaps = 3 + c->cfg.nlisten + c->cfg.npassed + c->cfg.nsends, nkeep = 0, n = 0;
        int in_src, out_src, err_src;

        if (check_caller_fds(c) < 0 || open_pty(c, run, s, plan) < 0)
                return -1;
        st->maps = calloc(nmaps, sizeof *st->maps);
        st->keep = calloc(nmaps, sizeof *st->keep);
        if (!st->maps || !st->keep)
                return sp_error(ENOMEM, "out of memory preparing the child's fds");
        /* -1: an error; LEFT_CLOSED: no map. */
        if ((in_src = stdin_source(&c->cfg, run, s)) == -1 ||
            (out_src = output_source(&c->cfg, run, s, false, -1)) == -1 ||
            (err_src = output_source(&c->cfg, run, s, true, out_src)) == -1)
                return -1;
        if (in_src != LEFT_CLOSED)
                st->maps[n++] = (struct sp_fd_map){ in_src, 0 };
        if (out_src != LEFT_CLOSED)
                st->maps[n++] = (struct sp_fd_map){ out_src, 1 };
        if (err_src != LEFT_CLOSED)
                st->maps[n++] = (struct sp_fd_map){ err_src, 2 };
        plan->closed_stdio = (in_src == LEFT_CLOSED ? 1u : 0) | (out_src == LEFT_CLOSED ? 2u : 0) |
                             (err_src == LEFT_CLOSED ? 4u : 0);
        if (listen_fd_maps(&c->cfg, st->maps, &n) < 0)
                return -1;
        for (size_t i = 0; i < c->cfg.npassed; i++)
                st->maps[n++] = (struct sp_fd_map){ c->cfg.passed[i].fd,
                                                    c->cfg.passed[i].child_fd };
        for (size_t i = 0; i < c->cfg.nsends; i++) {
                int dst = c->cfg.sends[i].child_fd, src;

                if (is_listen_target(&c->cfg, dst))
                        return sp_error(EINVAL,
                                        "send buffer %zu's fd %d is listening fd %d's place "
                                        "(subproc_listen_fds() takes fds 3..%zu): add the "
                                        "listening fds before the send buffers",
                                        i, dst, dst - 3, 2 + c->cfg.nlisten);
                if (is_target(st->maps, n, dst))
                        return sp_error(EINVAL, "fd %d is both passed and a send buffer", dst);
                src = send_source(&c->cfg.sends[i], i, &run->feeds[first_send_feed + i], s);
                if (src < 0)
                        return -1;
                st->maps[n++] = (struct sp_fd_map){ src, dst };
        }
        for (size_t i = 0; i < n; i++)
                if (st->maps[i].dst > 2)
                        st->keep[nkeep++] = st->maps[i].dst;
        qsort(st->keep, nkeep, sizeof *st->keep, compare_ints);
        if (move_clobbered_sources(st->maps, n, st->keep, nkeep, s) < 0)
                return -1;
        plan->maps = st->maps;
        plan->nmaps = n;
        plan->keep = st->keep;
        plan->nkeep = nkeep;
        return 0;
}

int sp_test_force_close_fallback;

/* Give the caller its pipe read ends, and close what the child alone needed. */
static void after_spawn(subproc *c, struct sp_spawn_fds *s, bool started)
{
        int *fdps[2] = { c->cfg.output_fdp, c->cfg.error_fdp };

        if (s->caller_write >= 0 && started) {
                *c->cfg.input_pipe_fdp = s->caller_write;
                s->caller_write = -1;
        }
        sp_close(&s->caller_write);
        for (int i = 0; i < 2; i++) {
                if (s->caller_read[i] < 0)
                        continue;
                if (started) {
                        *fdps[i] = s->caller_read[i];
                        s->caller_read[i] = -1;
                } else {
                        sp_close(&s->caller_read[i]);
                }
        }
        if (s->pty_master >= 0 && started) {
                /* The caller's now; we keep its number and name for subproc_pty_resize(). */
                *c->cfg.pty_masterp = c->run.pty_master = s->pty_master;
                s->pty_master = -1;
        }
        sp_close(&s->pty_master);
        spawn_fds_close(s);
        /* CLOSE_PARENT fds were ours to close, and are not passed again on a rerun. */
        sp_close_passed_fds(&c->cfg);
}

static void fill_lifetime_plan(const subproc *c, struct sp_plan *plan)
{
        plan->daemonize = c->cfg.daemonize;
        plan->pidfile = c->cfg.pidfile;
        plan->rlimits = c->cfg.rlimits;
        plan->nrlimits = c->cfg.nrlimits;
        plan->umask = c->cfg.has_umask ? (int)c->cfg.umask : -1;
        plan->hook = c->cfg.hook;
        plan->hook_opaque = c->cfg.hook_opaque;
        plan->clear_caps = c->cfg.clear_caps;
        plan->drop_groups = c->cfg.has_uid || c->cfg.has_gid || c->cfg.has_groups;
        plan->groups = c->cfg.has_groups ? c->cfg.groups : NULL;
        plan->ngroups = c->cfg.has_groups ? c->cfg.ngroups : 0;
        plan->keep_caps = c->cfg.has_keep_caps;
        plan->kept_caps = c->cfg.keep_caps;
        plan->uid = c->cfg.has_uid ? (long)c->cfg.uid : -1;
        plan->gid = c->cfg.has_gid ? (long)c->cfg.gid : -1;
        plan->no_new_privs = c->cfg.no_new_privs;
        plan->death_signal = c->cfg.death_signal;
        /* Only the death signal's check needs it: no system call per spawn otherwise. */
        plan->parent_pid = c->cfg.death_signal ? getpid() : 0;
        plan->handshake = c->cfg.handshake;
        plan->keep_ignored_signals = c->cfg.keep_ignored_signals;
        plan->inherit_mask = c->cfg.inherit_mask;
        plan->has_mask = c->cfg.has_mask;
        plan->mask = c->cfg.mask;
        plan->no_pidfd = c->cfg.no_pidfd;
        plan->keep_inherited_fds = c->cfg.keep_inherited_fds;
        plan->new_session = sp_config_new_session(&c->cfg);
        plan->new_pgroup = c->cfg.new_pgroup;
        plan->use_fork = c->cfg.hook || plan->handshake;
}

/* Issue 14, scheduling: copied as they are (the builder checked them); the OOM score goes as
 * the text the child writes to /proc/self/oom_score_adj, formatted here. */
static void fill_scheduling_plan(const subproc *c, struct sp_plan *plan, struct sp_plan_storage *st)
{
        plan->set_nice = c->cfg.has_nice;
        plan->nice = c->cfg.nice;
        plan->set_ioprio = c->cfg.has_ioprio;
        plan->ioprio = c->cfg.ioprio;
        plan->set_sched = c->cfg.has_sched;
        plan->sched_policy = c->cfg.sched_policy;
        plan->sched_priority = c->cfg.sched_priority;
        plan->cpu_set = c->cfg.cpu_set;
        plan->cpu_set_size = c->cfg.cpu_set_size;
        if (c->cfg.has_oom_score_adj) {
                int n = snprintf(st->oom, sizeof st->oom, "%d\n", c->cfg.oom_score_adj);

                plan->oom_score_adj = st->oom;
                plan->oom_score_adj_len = (size_t)n;
        }
}

/* Issue 14, argv0: the program is still found from argv[0]; the child sees argv0 there. */
static int replace_argv0(const subproc *c, struct sp_plan *plan, struct sp_plan_storage *st)
{
        size_t n = c->cfg.argv.n;

        if (!c->cfg.argv0)
                return 0;
        st->argv = calloc(n + 1, sizeof *st->argv);
        if (!st->argv)
                return sp_error(ENOMEM, "out of memory preparing the child's arguments");
        memcpy(st->argv, c->cfg.argv.items, n * sizeof *st->argv);
        st->argv[0] = c->cfg.argv0;
        plan->argv = st->argv;
        return 0;
}

/* Issue 14, namespaces: which are entered how (see subproc_unshare()).  Nothing to do on
 * the default path but this test. */
static void fill_namespace_plan(const subproc *c, struct sp_plan *plan)
{
        unsigned long ns = c->cfg.unshare_flags;

        plan->id_maps_fd = plan->id_maps_peer_fd = -1;
        if (!ns)
                return;
        plan->ns_late = ns & SP_NS_LATE;
        plan->ns_clone = ns & ~SP_NS_LATE;
        plan->pid_ns = (ns & CLONE_NEWPID) != 0;
        plan->ns_private_mounts = (ns & CLONE_NEWNS) != 0;
        if (c->cfg.daemonize && plan->pid_ns) {
                /* The intermediate must not be the namespace's init: its exit would kill
                 * the daemon.  It unshare()s, and the daemon it creates is pid 1. */
                plan->ns_clone &= ~(unsigned long)CLONE_NEWPID;
                plan->ns_daemon = CLONE_NEWPID;
        }
        if (c->cfg.hook) {
                /* A hook's child is a fork() (see spawn-linux.c), which takes no flags.  No
                 * CLONE_NEWPID here: sp_check_run() refused it. */
                plan->ns_first = plan->ns_clone;
                plan->ns_clone = 0;
        }
        plan->uid_map = c->cfg.uid_map;
        plan->gid_map = c->cfg.gid_map;
        /* The parent writes the maps while the child waits: not while suspended by
         * CLONE_VFORK. */
        if (plan->uid_map || plan->gid_map)
                plan->use_fork = true;
}

/* The cgroup is opened here, in the parent, so the child can be created in it and the write
 * fallback reaches the very directory that was checked.  Our fd, like every private one,
 * stays off the numbers the child is told to use. */
static int open_cgroup(const subproc *c, struct sp_run *run, struct sp_spawn_fds *s,
                       struct sp_plan *plan)
{
        int fd;

        if (c->cfg.scope_parent) {
                /* The run keeps the scope (its fds stay off every number the child is given
                 * only by being close-on-exec); the child gets a private copy. */
                if (sp_scope_create(&run->scope, c->cfg.scope_parent) < 0)
                        return -1;
                fd = sp_fd_dup_avoiding(run->scope.fd, plan->keep, plan->nkeep);
                if (fd < 0)
                        return sp_error(-fd, "cgroup scope %s: %s", run->scope.path, strerror(-fd));
        } else if (!c->cfg.cgroup_dir) {
                return 0;
        } else {
                fd = sp_cgroup_open(c->cfg.cgroup_dir, plan->keep, plan->nkeep);
        }
        if (fd < 0 || spawn_fds_add(s, fd) < 0)
                return -1;
        plan->cgroup_fd = fd;
        return 0;
}

/* Issue 14, confinement.  The child restricts itself with a copy of the caller's Landlock
 * ruleset that is ours: close-on-exec, off the numbers the child is told to use, closed after
 * the spawn like every private fd (check.c has checked the caller's).  The filter is the
 * configuration's copy. */
static int prepare_confinement(const subproc *c, struct sp_spawn_fds *s, struct sp_plan *plan)
{
        int fd;

        plan->seccomp = c->cfg.seccomp.len ? &c->cfg.seccomp : NULL;
        plan->landlock_fd = -1;
        if (!c->cfg.has_landlock)
                return 0;
        fd = sp_fd_dup_avoiding(c->cfg.landlock_fd, plan->keep, plan->nkeep);
        if (fd < 0)
                return sp_error(-fd, "Landlock ruleset fd %d: %s", c->cfg.landlock_fd,
                                strerror(-fd));
        if (spawn_fds_add(s, fd) < 0)
                return -1;
        plan->landlock_fd = fd;
        return 0;
}

/* The daemon moves to "/" before exec: a path relative to our cwd must not follow it. */
static int anchor_relative_path(char **path)
{
        char *cwd, *joined;

        if ((*path)[0] == '/')
                return 0;
        cwd = getcwd(NULL, 0);
        if (!cwd)
                return sp_error(errno, "cannot resolve %s: getcwd: %s", *path, strerror(errno));
        if (asprintf(&joined, "%s/%s", cwd, *path) < 0) {
                free(cwd);
                return sp_error(ENOMEM, "out of memory resolving %s", *path);
        }
        free(cwd);
        free(*path);
        *path = joined;
        return 0;
}

int sp_plan_build(subproc *c, struct sp_run *run, struct sp_plan_builder *b)
{
        int r;

        *b = (struct sp_plan_builder){
                .plan = { .cgroup_fd = -1,
                          .report_deadline_ms = SP_NEVER,
                          .listen_pid_slot = -1,
                          .ctty_fd = -1 },
                .fds = { .devnull = -1,
                         .caller_read = { -1, -1 },
                         .caller_write = -1,
                         .pty_master = -1,
                         .pty_slave = -1 },
        };
        free(run->exec_path);
        run->exec_path = NULL;
        r = sp_path_resolve(c->cfg.argv.items[0], &run->exec_path);
        if (r == 0 && c->cfg.daemonize && !c->cfg.cwd)
                r = anchor_relative_path(&run->exec_path);
        if (r == 0)
                r = make_feeds(&c->cfg, run);
        if (r == 0)
                r = build_fd_plan(c, run, &b->fds, &b->plan, &b->storage);
        if (r == 0)
                r = open_cgroup(c, run, &b->fds, &b->plan);
        if (r == 0)
                r = prepare_confinement(c, &b->fds, &b->plan);
        if (r < 0)
                return r;
        b->plan.path = run->exec_path;
        b->plan.argv = c->cfg.argv.items;
        if (replace_argv0(c, &b->plan, &b->storage) < 0)
                return -1;
        b->plan.envp = sp_env_envp(&c->cfg.env);
        if (sp_activation_env(c, run, &b->plan, &b->storage) < 0)
                return -1;
        b->plan.cwd = c->cfg.cwd;
        b->plan.fd_limit = 0; /* asked by the child only if it must loop (issue 17) */
        b->plan.first_method = sp_test_force_close_fallback == 1   ? SP_CLOSE_PROC_FD
                               : sp_test_force_close_fallback == 2 ? SP_CLOSE_LOOP
                                                                   : SP_CLOSE_RANGE_CLOEXEC;
        b->plan.report_fd = b->plan.handshake_fd = -1;
        fill_lifetime_plan(c, &b->plan);
        fill_scheduling_plan(c, &b->plan, &b->storage);
        fill_namespace_plan(c, &b->plan);
        /* A child that waits for the handshake must really close our fds, not just mark
         * them close-on-exec: among them is the write end it waits on, and pipes whose
         * readers wait for EOF. */
        if (b->plan.handshake && b->plan.first_method == SP_CLOSE_RANGE_CLOEXEC)
                b->plan.first_method = SP_CLOSE_RANGE_GAPS;
        return 0;
}

void sp_plan_done(subproc *c, struct sp_plan_builder *b, bool started)
{
        after_spawn(c, &b->fds, started);
        free(b->storage.maps);
        free(b->storage.keep);
        free(b->storage.argv);
        sp_activation_free(&b->storage);
        b->storage.maps = NULL;
        b->storage.keep = NULL;
        b->storage.argv = NULL;
}
