/* subproc_exec(): the calling process becomes the program, after applying the whole plan to
 * itself with the same child code a spawned child runs. */
#include "internal.h"

#include <errno.h>
#include <setjmp.h>
#include <unistd.h>

static int check_exec_features(const subproc *c)
{
        if (sp_check_features(c) < 0)
                return -1;
        if (c->daemonize || c->handshake != SP_HANDSHAKE_NONE)
                return sp_error(EINVAL, "subproc_exec cannot daemonize or hand-shake: the "
                                        "caller itself becomes the program");
        if (c->has_input_buffer || c->output_bufp || c->error_bufp || c->nsends ||
            (c->output_fdp && c->output_wants_pipe) || (c->error_fdp && c->error_wants_pipe))
                return sp_error(EINVAL, "subproc_exec cannot serve buffers or pipes: nobody "
                                        "is left to do it");
        return 0;
}

void subproc_inherit_signals(subproc *c)
{
        if (!sp_command_broken(c))
                c->keep_signals = true;
}

int subproc_exec(subproc *c)
{
        struct sp_plan_builder b;
        struct sp_report report;
        sigjmp_buf back;
        sigset_t old_mask;
        volatile int pidfile_fd = -1;
        int r;

        if (sp_command_broken(c)) {
                if (c && !c->is_static)
                        sp_close_passed_fds(c);
                return sp_command_report(c);
        }
        if (check_exec_features(c) < 0)
                return -1;
        r = sp_plan_build(c, &b);
        if (r == 0) {
                /* The death signal is about our own parent: we become the program. */
                b.plan.parent_pid = getppid();
                /* No handler may run while the process is half changed. */
                sp_block_all_signals(&old_mask);
                b.plan.caller_mask = sp_sigset_low64(&old_mask);
                b.plan.in_place_jump = &back;
                b.plan.in_place_report = &report;
                b.plan.in_place_pidfile_fd = (int *)&pidfile_fd;
                if (sigsetjmp(back, 0) == 0)
                        sp_child_run(&b.plan);
                sp_restore_signals(&old_mask);
                r = sp_report_describe(c, &report);
                /* We held the pidfile for a program that never ran: let it go, and remove
                 * the file that names us. */
                if (pidfile_fd >= 0) {
                        close(pidfile_fd);
                        sp_pidfile_discard(c->pidfile, getpid());
                }
        }
        sp_plan_done(c, &b, false);
        return r;
}
