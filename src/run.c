/* The run's one end.  However a run stops (the child reaped, a start that failed, a handshake
 * that broke, an abort, the command freed, a rerun), it ends here: the captures go to the
 * caller, every fd of the run is closed, the child is forgotten.  Also what the caller reads
 * of the last run. */
#include "run.h"
#include "pidfile.h"
#include "process.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sp_run_close(struct sp_run *run)
{
        for (size_t i = 0; i < run->nfeeds; i++)
                sp_close(&run->feeds[i].fd);
        free(run->feeds);
        run->feeds = NULL;
        run->nfeeds = 0;
        sp_close(&run->out_fd);
        sp_close(&run->err_fd);
        sp_close(&run->out_memfd);
        sp_close(&run->err_memfd);
        sp_close(&run->report_fd);
        sp_close(&run->notify_fd);
        sp_close(&run->pidfd);
        sp_close(&run->ready_fd);
        sp_close(&run->main_pidfd);
        sp_close(&run->daemon_pidfd);
        sp_capture_free(&run->out);
        sp_capture_free(&run->err);
        if (run->out_sink.fn) /* no callback, no buffers: spare the call */
                sp_sink_free(&run->out_sink);
        if (run->err_sink.fn)
                sp_sink_free(&run->err_sink);
        run->io_pending = false;
}

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

/* Move the captures into the caller's buffers and mappings ("" when nothing came).  A mapping
 * that fails leaves NULL; then, with `report`, the thread's error is set and -1 returned. */
static int deliver_buffers(const struct sp_config *cfg, struct sp_run *run, bool report)
{
        struct sp_capture *caps[2] = { &run->out, &run->err };
        int memfds[2] = { run->out_memfd, run->err_memfd };
        char **bufps[2] = { cfg->output_bufp, cfg->error_bufp };
        bool mapped[2] = { cfg->output_mapped, cfg->error_mapped };
        size_t *lens[2] = { &run->out_len, &run->err_len };
        size_t *dropped[2] = { &run->out_dropped, &run->err_dropped };
        int r = 0, e;

        for (int i = 0; i < 2; i++) {
                if (!bufps[i])
                        continue;
                if (i == 1 && bufps[1] == bufps[0]) {
                        run->err_len = run->out_len;
                        continue;
                }
                if (!mapped[i]) {
                        free(*bufps[i]);
                        *dropped[i] = caps[i]->dropped;
                        deliver_buffer(caps[i], bufps[i], lens[i]);
                } else if ((e = sp_mapping_deliver(memfds[i], cfg->capture_limit, bufps[i], lens[i],
                                                   dropped[i])) < 0) {
                        if (report)
                                r = sp_error(-e, "cannot map the captured %s (%zu bytes): %s",
                                             i == 0 ? "output" : "error output", *lens[i],
                                             strerror(-e));
                        *lens[i] = 0;
                }
        }
        return r;
}

/* Forget a result of the previous run: a rerun frees or unmaps it, as documented. */
static void release_result(char **bufp, bool mapped, size_t len)
{
        if (mapped)
                subproc_unmap(*bufp, len);
        else
                free(*bufp);
        *bufp = NULL;
}

/* What the caller may still read of the last finished run until another one finishes. */
struct last_results {
        int status;
        struct rusage rusage;
        bool has_rusage;
        struct subproc_scope_stat scope_stat;
        bool has_scope_stat;
};

void sp_run_reset(subproc *c)
{
        const struct sp_config *cfg = &c->cfg;
        struct last_results last;

        if (cfg->output_bufp)
                release_result(cfg->output_bufp, cfg->output_mapped, c->run.out_len);
        if (cfg->error_bufp && cfg->error_bufp != cfg->output_bufp)
                release_result(cfg->error_bufp, cfg->error_mapped, c->run.err_len);
        sp_run_close(&c->run);
        sp_scope_end(&c->run);
        last = (struct last_results){ c->run.status, c->run.rusage, c->run.has_rusage,
                                      c->run.scope_stat, c->run.has_scope_stat };
        free(c->run.exec_path);
        free(c->run.pidfile);
        free(c->run.ready_status);
        c->run = (struct sp_run)SP_RUN_IDLE;
        /* subproc_status() is the last finished run's until another one finishes. */
        c->run.status = last.status;
        c->run.rusage = last.rusage;
        c->run.has_rusage = last.has_rusage;
        c->run.scope_stat = last.scope_stat;
        c->run.has_scope_stat = last.has_scope_stat;
}

int sp_run_end(subproc *c, int status, bool report)
{
        struct sp_run *run = &c->run;
        int saved_errno = errno, r;
        /* A child stopped before exec by the handshake never ran the program (a daemon left
         * waiting exits on the EOF of sp_run_close): its pidfile must not outlive it. */
        pid_t held_by = run->handshake == SP_HANDSHAKE_NONE ? -1
                        : run->daemon_pid > 0               ? run->daemon_pid
                                                            : run->pid;

        /* The reap of this run's child filled run->rusage; a start that failed keeps the last
         * run's, as it keeps its status. */
        if (status == -1)
                run->has_rusage = false;
        else if (run->pid > 0)
                run->has_rusage = true;
        run->pid = -1;
        run->status = status;
        run->handshake = SP_HANDSHAKE_NONE;
        r = deliver_buffers(&c->cfg, run, report);
        sp_run_close(run);
        /* A run cut short (timeout, abort) takes the whole tree with it. */
        sp_scope_settle(run, run->phase > 0 || run->aborting);
        if (run->pidfile && held_by > 0)
                sp_pidfile_discard(run->pidfile, held_by);
        if (r == 0)
                errno = saved_errno;
        return r;
}

static int send_to_run(const void *ctx, int sig)
{
        return sp_run_signal_tree(ctx, sig);
}

void sp_run_abort(subproc *c)
{
        int saved_errno = errno;
        int status = 0, r;

        c->run.aborting = true;
        r = !sp_run_child_is_ours(&c->run)
                    ? -ECHILD
                    : sp_stop_child(c->run.pid, c->run.pidfd, SP_ABORT_GRACE_MS, send_to_run, c,
                                    &status, &c->run.rusage);
        /* < 0: someone else reaped it (SIGCHLD ignored...): its status is lost. */
        (void)sp_run_end(c, r == 1 ? status : -1, false);
        errno = saved_errno;
}

void subproc_abort(subproc *c)
{
        /* From the command's own callback, the run's buffers are in use: the run that called
         * it ends the child once the callback returns. */
        if (c && c->run.pid > 0 && !sp_sink_abort_from_callback(&c->run))
                sp_run_abort(c);
}

void subproc_free(subproc *c)
{
        int saved_errno = errno;

        if (!c || c->is_static)
                return;
        if (c->run.pid > 0 && !c->run.pid_handed_out)
                sp_run_abort(c);
        else if (c->cfg.daemonize && c->run.handshake == SP_HANDSHAKE_WAITING)
                (void)sp_run_end(c, -1, false); /* a daemon left waiting for the go-ahead */
        sp_run_close(&c->run);
        sp_scope_end(&c->run);
        free(c->run.exec_path);
        free(c->run.pidfile);
        free(c->run.ready_status);
        sp_config_free(&c->cfg);
        free(c);
        errno = saved_errno;
}

pid_t subproc_pid(const subproc *c)
{
        return c ? c->run.pid : -1;
}

int subproc_pidfd(const subproc *c)
{
        return c && c->run.pid > 0 ? c->run.pidfd : -1;
}

pid_t subproc_daemon_pid(const subproc *c)
{
        return c ? c->run.daemon_pid : -1;
}

/* Issue 15, readiness: what the notify socket told, as of the last subproc_wait_ready(). */
const char *subproc_ready_status(const subproc *c)
{
        return c ? c->run.ready_status : NULL;
}

int subproc_ready_errno(const subproc *c)
{
        return c ? c->run.ready_errno : 0;
}

pid_t subproc_ready_main_pid(const subproc *c)
{
        return c ? c->run.ready_main_pid : -1;
}

int subproc_status(const subproc *c)
{
        return c ? c->run.status : -1;
}

int subproc_rusage(const subproc *c, struct rusage *ru)
{
        if (!c || !ru) {
                errno = EINVAL;
                return -1;
        }
        if (!c->run.has_rusage) {
                errno = ENOENT;
                return -1;
        }
        *ru = c->run.rusage;
        return 0;
}

size_t subproc_output_len(const subproc *c)
{
        return c ? c->run.out_len : 0;
}

size_t subproc_error_len(const subproc *c)
{
        return c ? c->run.err_len : 0;
}
