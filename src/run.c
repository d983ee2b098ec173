/* Running a command: turn it into a child plan, start it, then feed, capture and reap. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A buffer's result: what was captured, or "" (NULL if even that fails). */
static void deliver_buffer(struct sp_capture *cap, char **bufp, size_t *lenp)
{
        if (cap->data) {
                cap->data[cap->len] = '\0';
                *bufp = cap->data;
                *lenp = cap->len;
                *cap = (struct sp_capture){ 0 };
        } else {
                *bufp = strdup("");
                *lenp = 0;
        }
}

int sp_deliver_buffers(subproc *c, bool report)
{
        struct sp_capture *caps[2] = { &c->io.out, &c->io.err };
        int memfds[2] = { c->io.out_memfd, c->io.err_memfd };
        char **bufps[2] = { c->output_bufp, c->error_bufp };
        bool mapped[2] = { c->output_mapped, c->error_mapped };
        size_t *lens[2] = { &c->out_len, &c->err_len };
        size_t *dropped[2] = { &c->out_dropped, &c->err_dropped };
        int r = 0, e;

        for (int i = 0; i < 2; i++) {
                if (!bufps[i])
                        continue;
                if (i == 1 && bufps[1] == bufps[0]) {
                        c->err_len = c->out_len;
                        continue;
                }
                if (!mapped[i]) {
                        free(*bufps[i]);
                        *dropped[i] = caps[i]->dropped;
                        deliver_buffer(caps[i], bufps[i], lens[i]);
                } else if ((e = sp_mapping_deliver(memfds[i], c->capture_limit, bufps[i],
                                                   lens[i], dropped[i])) < 0) {
                        if (report)
                                r = sp_error(-e, "cannot map the captured %s (%zu bytes): %s",
                                             i == 0 ? "output" : "error output", *lens[i],
                                             strerror(-e));
                        *lens[i] = 0;
                }
        }
        return r;
}

/* Forget the results of the previous run: a rerun frees or unmaps them, as documented. */
static void release_result(char **bufp, bool mapped, size_t len)
{
        if (mapped)
                subproc_unmap(*bufp, len);
        else
                free(*bufp);
        *bufp = NULL;
}

static void reset_buffers(subproc *c)
{
        if (c->output_bufp)
                release_result(c->output_bufp, c->output_mapped, c->out_len);
        if (c->error_bufp && c->error_bufp != c->output_bufp)
                release_result(c->error_bufp, c->error_mapped, c->err_len);
        c->out_len = c->err_len = 0;
        c->out_dropped = c->err_dropped = 0;
        /* Not the send buffers' pipes: the first run uses the ones made by add_send_buffer. */
        sp_close(&c->io.in_fd);
        sp_close(&c->io.out_fd);
        sp_close(&c->io.err_fd);
        sp_close(&c->io.out_memfd);
        sp_close(&c->io.err_memfd);
        sp_capture_free(&c->io.out);
        sp_capture_free(&c->io.err);
        c->io.in_written = 0;
}

/* A run that cannot even start still owns the CLOSE_PARENT fds: close them as promised. */
static int report_broken(subproc *c)
{
        if (c && !c->is_static) {
                sp_close_passed_fds(c);
                if (c->output_bufp || c->error_bufp) {
                        reset_buffers(c);
                        (void)sp_deliver_buffers(c, false);
                }
        }
        return sp_command_report(c);
}

/* Combinations that cannot work, found before anything is created. */
static int check_features(const subproc *c, bool async)
{
        bool buffers = c->has_input_buffer || c->output_bufp || c->error_bufp || c->nsends;

        if (sp_check_features(c) < 0)
                return -1;
        if (c->daemonize) {
                if (async)
                        return sp_error(EINVAL, "a daemon can only be started with subproc_run");
                if (c->death_signal)
                        return sp_error(EINVAL, "a death signal contradicts daemonize: the "
                                                "daemon must outlive the caller");
                if (buffers)
                        return sp_error(EINVAL, "a daemon cannot use input, output, error or "
                                                "send buffers: nobody would serve them");
        }
        if (c->handshake != SP_HANDSHAKE_NONE && !async && !c->daemonize)
                return sp_error(EINVAL, "a command with a handshake must be started with "
                                        "subproc_run_async");
        return 0;
}

/* Record a started child; a daemon's intermediate is already reaped. */
static void record_start(subproc *c, const struct sp_spawn_result *res)
{
        c->pid_handed_out = false;
        c->sv_phase = 0;
        c->sv_retry_at = 0;
        /* clone(CLONE_PIDFD) takes the lowest free number: keep ours off the caller's stdio. */
        c->pidfd = sp_fd_above_stdio(res->pidfd);
        c->daemon_pid = res->daemon_pid;
        if (c->handshake != SP_HANDSHAKE_NONE) {
                c->report_fd = res->report_fd;
                c->handshake_notify_fd = res->handshake_fd;
                /* A daemon's start returned once it waited for us. */
                c->handshake = c->daemonize ? SP_HANDSHAKE_WAITING : SP_HANDSHAKE_STARTED;
        }
        if (c->daemonize) {
                c->pid = -1;
                c->last_status = 0;
                c->io_pending = false;
                return;
        }
        c->pid = res->pid;
        c->io_pending = true;
}

static int start(subproc *c, bool async)
{
        struct sp_plan_builder b;
        struct sp_spawn_result res;
        int r;

        if (c->pid > 0)
                return sp_error(EBUSY, "the command is already running as pid %d", (int)c->pid);
        if (c->daemonize && c->handshake == SP_HANDSHAKE_WAITING)
                return sp_error(EBUSY, "the daemon of the last run (pid %d) still waits for "
                                "subproc_handshake_release()", (int)c->daemon_pid);
        if (check_features(c, async) < 0)
                return -1;
        reset_buffers(c);
        c->daemon_pid = -1;
        /* The timeout counts from here: a pre-exec hook's time is the run's time. */
        c->started_ms = sp_now_ms();
        r = sp_plan_build(c, &b);
        if (r == 0) {
                /* Only a hook can keep a child from exec (the rest is system calls). */
                if (c->timeout_ms && c->hook)
                        b.plan.report_deadline_ms = c->started_ms + c->timeout_ms;
                r = sp_spawn(&b.plan, &res);
                if (r < 0)
                        r = sp_error(-r, "cannot start %s: %s", c->exec_path, strerror(-r));
                else if (res.failed)
                        r = sp_report_describe(c, &res.report);
        }
        sp_plan_done(c, &b, r == 0);
        if (r < 0) {
                int e = errno;

                (void)sp_deliver_buffers(c, false);
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

int subproc_run(subproc *c, int *exitstatus)
{
        if (sp_command_broken(c))
                return report_broken(c);
        if (check_blocking_run(c) < 0 || start(c, false) < 0)
                return -1;
        if (c->daemonize) {
                if (exitstatus)
                        *exitstatus = 0;
                return 0;
        }
        return sp_finish(c, exitstatus, SP_NEVER);
}

int subproc_run_async(subproc *c, pid_t *pid)
{
        if (sp_command_broken(c))
                return report_broken(c);
        if (start(c, true) < 0)
                return -1;
        c->pid_handed_out = pid != NULL;
        if (pid)
                *pid = c->pid;
        return 0;
}

