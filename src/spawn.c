/* Starting a child for a plan and learning, synchronously, whether its exec worked. */
#include "internal.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

/* Read the child's report: a full record means it failed, EOF means exec worked. */
static ssize_t read_report(int fd, struct sp_report *rep)
{
        ssize_t n;

        do
                n = read(fd, rep, sizeof *rep);
        while (n < 0 && errno == EINTR);
        return n;
}

static int highest_kept(const struct sp_plan *plan)
{
        return plan->nkeep ? plan->keep[plan->nkeep - 1] : 2;
}

pid_t sp_spawn(struct sp_plan *plan, struct sp_report *ret_report)
{
        int saved_errno = errno;
        int report[2], r;
        sigset_t old_mask;
        ssize_t n;
        pid_t pid;

        if (sp_pipe_cloexec(report) < 0)
                return -errno;
        /* The child dup2()s onto every kept fd; its report pipe must not be one of them. */
        r = sp_fd_move_above(report[1], highest_kept(plan) + 1);
        if (r < 0) {
                close(report[0]);
                close(report[1]);
                return r;
        }
        report[1] = r;
        plan->report_fd = report[1];

        /* No handler of ours may run in the child before it has reset them. */
        sp_block_all_signals(&old_mask);
        pid = sp_start_child(plan);
        sp_restore_signals(&old_mask);
        close(report[1]);
        if (pid < 0) {
                close(report[0]);
                return pid;
        }
        n = read_report(report[0], ret_report);
        close(report[0]);
        if (n == (ssize_t)sizeof *ret_report) {
                int status;

                (void)sp_waitpid(pid, &status);
                pid = 0;
        }
        /* The child may have clobbered our errno if it shared our TLS (see sys-linux.h). */
        errno = saved_errno;
        return pid;
}
