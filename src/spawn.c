/* Starting a child for a plan and learning, synchronously, whether its exec worked. */
#include "internal.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

uint64_t sp_sigset_low64(const sigset_t *set)
{
        uint64_t low = 0;

        /* Signals 1..64 are the first 64 bits of the set, as the kernel lays it out. */
        memcpy(&low, set, sizeof low < sizeof *set ? sizeof low : sizeof *set);
        return low;
}

int sp_report_read(int fd, struct sp_report *rep)
{
        ssize_t n;

        do
                n = read(fd, rep, sizeof *rep);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -1;
        /* The child writes whole records atomically: a short one means it is gone. */
        return n == (ssize_t)sizeof *rep ? 1 : 0;
}

/* A close-on-exec pipe whose child end is clear of every fd the child dup2()s onto. */
static int private_pipe(const struct sp_plan *plan, int fds[2], bool child_writes)
{
        int *child_end = &fds[child_writes ? 1 : 0];
        int r;

        if (sp_pipe_cloexec(fds) < 0)
                return -errno;
        r = sp_fd_move_avoiding(*child_end, plan->keep, plan->nkeep);
        if (r < 0) {
                close(fds[child_writes ? 0 : 1]); /* the child end is closed already */
                fds[0] = fds[1] = -1;
                return r;
        }
        *child_end = r;
        return 0;
}

/* Read records until EOF: exec worked, or the failed child is gone.  Reading on after a
 * failure matters for a daemon: we reap only its intermediate, which can exit before the
 * daemon has closed its fds, pidfile lock included; EOF comes once they are all closed.
 * false when the pipe itself failed: then nobody knows how the child fares. */
static bool collect_reports(int fd, struct sp_spawn_result *ret)
{
        struct sp_report rep;
        int r;

        while ((r = sp_report_read(fd, &rep)) == 1) {
                if (rep.stage == SP_STAGE_INFO_DAEMON_PID)
                        ret->daemon_pid = rep.arg;
                else if (rep.stage < SP_STAGE_INFO_DAEMON_PID && !ret->failed) {
                        ret->failed = true;
                        ret->report = rep;
                }
        }
        if (r < 0 && !ret->failed) {
                ret->failed = true;
                ret->report = (struct sp_report){ .stage = SP_STAGE_REPORT, .error = errno };
                return false;
        }
        return true;
}

/* A daemon with a handshake: read its reports until it waits for the go-ahead, or failed
 * (then on to EOF, as collect_reports does).  Its intermediate has exited or is about to. */
static void collect_until_ready(int fd, struct sp_spawn_result *ret)
{
        struct sp_report rep;
        int r;

        while ((r = sp_report_read(fd, &rep)) == 1) {
                if (rep.stage == SP_STAGE_INFO_DAEMON_PID)
                        ret->daemon_pid = rep.arg;
                else if (rep.stage == SP_STAGE_INFO_READY)
                        return;
                else if (rep.stage < SP_STAGE_INFO_DAEMON_PID) {
                        ret->failed = true;
                        ret->report = rep;
                        (void)collect_reports(fd, ret);
                        return;
                }
        }
        ret->failed = true;
        ret->report = (struct sp_report){ .stage = SP_STAGE_REPORT,
                                          .error = r < 0 ? errno : ECHILD };
}

/* A failed start leaves no pidfile naming the process that failed (it may have written it
 * before a later step failed). */
static void discard_pidfile(const struct sp_plan *plan, const struct sp_spawn_result *ret)
{
        pid_t failed = plan->daemonize ? ret->daemon_pid : ret->pid;

        if (ret->failed && plan->pidfile && failed > 0)
                sp_pidfile_discard(plan->pidfile, failed);
}

int sp_spawn(struct sp_plan *plan, struct sp_spawn_result *ret)
{
        int saved_errno = errno;
        int report[2], handshake[2] = { -1, -1 }, r;
        bool wants_handshake = plan->handshake;
        sigset_t old_mask;
        pid_t pid;

        *ret = (struct sp_spawn_result){ .pid = -1, .pidfd = -1, .daemon_pid = -1, .report_fd = -1,
                                         .handshake_fd = -1 };
        plan->handshake_fd = -1;
        r = private_pipe(plan, report, true);
        if (r < 0)
                return r;
        if (wants_handshake && (r = private_pipe(plan, handshake, false)) < 0) {
                close(report[0]);
                close(report[1]);
                return r;
        }
        plan->report_fd = report[1];
        plan->handshake_fd = handshake[0];

        /* No handler of ours may run in the child before it has reset them. */
        sp_block_all_signals(&old_mask);
        plan->caller_mask = sp_sigset_low64(&old_mask);
        pid = sp_start_child(plan, &ret->pidfd);
        sp_restore_signals(&old_mask);
        close(report[1]);
        sp_close(&handshake[0]);
        if (pid < 0) {
                close(report[0]);
                sp_close(&handshake[1]);
                return pid;
        }
        ret->pid = pid;
        if (plan->use_fork && (plan->new_pgroup || plan->new_session))
                /* Also from here, so the group exists before we might signal it; the child
                 * does the same, whichever runs first. */
                (void)setpgid(pid, pid);
        if (wants_handshake && plan->daemonize) {
                int status;

                /* The daemon holds its pidfile and waits for us; its intermediate exits. */
                collect_until_ready(report[0], ret);
                (void)sp_waitpid(pid, &status);
                sp_close(&ret->pidfd);
                if (ret->failed) {
                        close(report[0]);
                        sp_close(&handshake[1]);
                        discard_pidfile(plan, ret);
                        errno = saved_errno;
                        return 0;
                }
        }
        if (wants_handshake) {
                /* The child waits for us before exec: the reports are read later. */
                ret->report_fd = report[0];
                ret->handshake_fd = handshake[1];
                errno = saved_errno;
                return 0;
        }
        /* It may be running the program: it must not outlive a failed start.  Not a daemon's
         * intermediate: it exits by itself once the daemon has exec'd or failed, and waiting
         * for that (below) means a daemon we could not hear from already holds its pidfile,
         * for the caller to find and stop.  (With CLONE_VFORK it has exited by now anyway.) */
        if (!collect_reports(report[0], ret) && !plan->daemonize)
                (void)kill(pid, SIGKILL);
        close(report[0]);
        if (ret->failed || plan->daemonize) {
                int status;

                /* A failed child, or a daemon's intermediate, which has exited by now. */
                (void)sp_waitpid(pid, &status);
                sp_close(&ret->pidfd);
        }
        discard_pidfile(plan, ret);
        /* The child may have clobbered our errno if it shared our TLS (see sys-linux.h). */
        errno = saved_errno;
        return 0;
}
