/* Starting a child for a plan and learning, synchronously, whether its exec worked. */
#include "spawn.h"
#include "pidfile.h"
#include "process.h"
#include "namespaces.h"
#include "test-knobs.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif

int sp_test_vfork_reports;
unsigned sp_test_memory_reports;

/* One record: 1 with *rep filled, 0 at EOF, -1 on a read error (errno set). */
static int read_report(int fd, struct sp_report *rep)
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

/* Wait until fd is readable: 0, or -1 with errno (ETIMEDOUT at deadline_ms). */
static int await_report(int fd, long long deadline_ms)
{
        while (deadline_ms != SP_NEVER) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                long long left = deadline_ms - sp_now_ms();
                int n;

                if (left < 0)
                        left = 0;
                n = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
                if (n > 0)
                        break;
                if (n == 0 && left == 0) {
                        errno = ETIMEDOUT;
                        return -1;
                }
                if (n < 0 && errno != EINTR)
                        return -1;
        }
        return 0;
}

int sp_reports_read(int fd, int until, long long deadline_ms, struct sp_reports *got)
{
        struct sp_report rep;
        int r;

        for (;;) {
                if (await_report(fd, deadline_ms) < 0)
                        return -1;
                r = read_report(fd, &rep);
                if (r <= 0)
                        return r;
                if (rep.stage == SP_STEP_INFO_DAEMON_PID)
                        got->daemon_pid = rep.arg;
                else if (until && rep.stage == until)
                        return 1;
                else if (rep.stage < SP_STEP_INFO_DAEMON_PID) {
                        if (!got->failed) {
                                got->failed = true;
                                got->failure = rep;
                        }
                        return SP_REPORT_FAILED;
                }
        }
}

void sp_reports_lost(struct sp_reports *got, int errnum)
{
        if (got->failed)
                return;
        got->failed = true;
        got->failure = (struct sp_report){ .stage = SP_STEP_REPORT, .error = errnum };
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

/* Read reports to EOF: exec worked, or the failed child is gone (a daemon: with every fd it
 * had, its pidfile lock included).  false when the pipe itself failed: then nobody knows how
 * the child fares. */
static bool collect_reports(int fd, long long deadline_ms, struct sp_reports *got)
{
        int r;

        while ((r = sp_reports_read(fd, 0, deadline_ms, got)) == SP_REPORT_FAILED)
                ;
        if (r < 0 && !got->failed) {
                sp_reports_lost(got, errno);
                return false;
        }
        return true;
}

/* The reports of a child whose exec or exit has settled (plan->exec_settled): all in the pipe
 * already.  Read without waiting for the EOF, which comes only once exec closes the pipe, a
 * moment after CLONE_VFORK let us go (waiting would cost a sleep and a wakeup per spawn), or
 * later still while a process another thread forked meanwhile holds the write end.  false
 * when the pipe itself failed. */
static bool read_settled_reports(int fd, struct sp_reports *got)
{
        int r = sp_reports_read(fd, 0, sp_now_ms(), got);

        if (r < 0 && errno != ETIMEDOUT && !got->failed) {
                sp_reports_lost(got, errno);
                return false;
        }
        return true;
}

/* The report of a child that reported into its stack (plan->report_in_memory), which
 * sp_start_child() took from there.  false when there was none to take: the child did not
 * run in our memory after all (an emulated vfork, which this process had not shown before),
 * so it may still be on its way to exec, and nothing will tell how it fares. */
static bool take_memory_report(const struct sp_plan *plan, struct sp_reports *got)
{
        if (!plan->exec_settled) {
                sp_reports_lost(got, EPROTO);
                return false;
        }
        __atomic_fetch_add(&sp_test_memory_reports, 1, __ATOMIC_RELAXED);
        if (plan->memory_report.stage != 0) {
                got->failed = true;
                got->failure = plan->memory_report;
        }
        return true;
}

/* A daemon with a handshake: read its reports until it waits for the go-ahead, or failed
 * (then on to EOF).  Its intermediate has exited or is about to.  false when the deadline
 * came first. */
static bool collect_until_ready(int fd, long long deadline_ms, struct sp_reports *got)
{
        int r = sp_reports_read(fd, SP_STEP_INFO_READY, deadline_ms, got);

        if (r == 1)
                return true;
        if (r == SP_REPORT_FAILED) {
                (void)collect_reports(fd, SP_NEVER, got);
                return true;
        }
        sp_reports_lost(got, r < 0 ? errno : ECHILD);
        return !(r < 0 && errno == ETIMEDOUT);
}

/* A handshake's child in a new session: wait until it has made the session, so that its group
 * exists before the caller may signal it (we cannot make it for the child: setsid() fails in
 * a group leader).  Only system calls come before that, no hook. */
static void await_session(int fd, struct sp_reports *got)
{
        int r = sp_reports_read(fd, SP_STEP_INFO_SESSION, SP_NEVER, got);

        if (r == 0 || r < 0)
                sp_reports_lost(got, r < 0 ? errno : ECHILD);
}

/* A daemon still before exec at the deadline (its hook hangs): end it, and its intermediate.
 * Both are proven ours.  The intermediate is our unreaped child, so the group it leads (the
 * daemon's too, unless it made its own) cannot be anybody else's.  And until the
 * intermediate exits the daemon has neither exec'd nor exited (the intermediate waits for
 * that), so a pidfd taken before that check names the daemon. */
static void end_daemon_before_exec(pid_t intermediate, pid_t daemon)
{
        int pidfd = daemon > 0 ? sp_pidfd_open(daemon) : -1;
        siginfo_t info;

        memset(&info, 0, sizeof info);
        if (pidfd >= 0 &&
            waitid(P_PID, (id_t)intermediate, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
            info.si_pid == 0)
                (void)sp_signal_child(daemon, pidfd, SIGKILL); /* through the pidfd */
        sp_close(&pidfd);
        /* Its group only while it is proven unreaped: with SIGCHLD ignored it may be gone
         * and its id a stranger's group. */
        (void)sp_signal_group(intermediate, -1, SIGKILL);
}

/* A failed start leaves no pidfile naming the process that failed (it may have written it
 * before a later step failed). */
static void discard_pidfile(const struct sp_plan *plan, const struct sp_spawn_result *ret)
{
        pid_t failed = plan->daemonize ? ret->reports.daemon_pid : ret->pid;

        if (ret->reports.failed && plan->pidfile && failed > 0)
                sp_pidfile_discard(plan->pidfile, failed);
}

/* Issue 14, namespaces: a child in a new user namespace waits (await_id_maps() in child.c)
 * until we have written its maps.  *go_fd: our end of its pipe, -1 when it needs none.
 * 0 or -errno. */
static int make_id_maps_pipe(struct sp_plan *plan, int *go_fd)
{
        int fds[2], r;

        plan->id_maps_fd = plan->id_maps_peer_fd = *go_fd = -1;
        if (!plan->uid_map && !plan->gid_map)
                return 0;
        r = private_pipe(plan, fds, false);
        if (r < 0)
                return r;
        plan->id_maps_fd = fds[0];
        plan->id_maps_peer_fd = *go_fd = fds[1];
        return 0;
}

static int write_go(int fd)
{
        ssize_t n;

        do
                n = write(fd, "1", 1);
        while (n < 0 && errno == EINTR);
        return n == 1 ? 0 : n < 0 ? -errno : -EIO;
}

/* Once the child says it waits: write its maps, then let it go on ('1'), or record why not
 * and let it exit (EOF).  A child that failed before, or is gone, is left to the reports. */
static void give_id_maps(const struct sp_plan *plan, pid_t pid, int report_fd, int *go_fd,
                         struct sp_reports *got)
{
        enum sp_id_map_file which = SP_ID_MAP_WAIT;
        int r = sp_reports_read(report_fd, SP_STEP_INFO_ID_MAPS, SP_NEVER, got);

        if (r == 1) {
                r = sp_id_maps_write(pid, plan->uid_map, plan->gid_map, &which);
                if (r == 0)
                        r = write_go(*go_fd);
                if (r < 0 && !got->failed) {
                        got->failed = true;
                        got->failure = (struct sp_report){ .stage = SP_STEP_ID_MAPS,
                                                           .error = -r,
                                                           .arg = (int)which };
                }
        } else if (r < 0) {
                sp_reports_lost(got, errno);
        }
        sp_close(go_fd);
}

/* The clone() that creates the child failed: with namespaces among its flags, say so (it is
 * most often they: EPERM without CAP_SYS_ADMIN or with user namespaces disabled, ENOSPC past
 * user.max_*_namespaces). */
static int creation_failed(const struct sp_plan *plan, pid_t err, struct sp_spawn_result *ret)
{
        if (!plan->ns_clone || err == -ENOMEM || err == -EAGAIN)
                return err;
        ret->reports.failed = true;
        ret->reports.failure = (struct sp_report){ .stage = SP_STEP_UNSHARE,
                                                   .error = -err,
                                                   .arg = -2 };
        return 0;
}

int sp_spawn(struct sp_plan *plan, struct sp_spawn_result *ret)
{
        int saved_errno = errno;
        int report[2] = { -1, -1 }, handshake[2] = { -1, -1 }, maps_go, r;
        bool wants_handshake = plan->handshake, heard;
        sigset_t old_mask;
        pid_t pid;

        *ret = (struct sp_spawn_result){ .pid = -1,
                                         .pidfd = -1,
                                         .report_fd = -1,
                                         .handshake_fd = -1,
                                         .reports = { .daemon_pid = -1 } };
        plan->handshake_fd = -1;
        /* Issue 17: a plain child sharing our memory needs no pipe to report a failure. */
        plan->report_in_memory = sp_child_reports_in_memory(plan);
        if (!plan->report_in_memory && (r = private_pipe(plan, report, true)) < 0)
                return r;
        if (wants_handshake && (r = private_pipe(plan, handshake, false)) < 0) {
                sp_close(&report[0]);
                sp_close(&report[1]);
                return r;
        }
        r = make_id_maps_pipe(plan, &maps_go);
        if (r < 0) {
                sp_close(&report[0]);
                sp_close(&report[1]);
                sp_close(&handshake[0]);
                sp_close(&handshake[1]);
                return r;
        }
        plan->report_fd = report[1];
        plan->handshake_fd = handshake[0];

        /* No handler of ours may run in the child before it has reset them. */
        sp_block_all_signals(&old_mask);
        plan->caller_mask = sp_sigset_low64(&old_mask);
        pid = sp_start_child(plan, &ret->pidfd);
        sp_restore_signals(&old_mask);
        sp_close(&report[1]);
        sp_close(&handshake[0]);
        sp_close(&plan->id_maps_fd); /* the child's end */
        if (pid < 0) {
                sp_close(&report[0]);
                sp_close(&handshake[1]);
                sp_close(&maps_go);
                errno = saved_errno;
                return creation_failed(plan, pid, ret);
        }
        ret->pid = pid;
        if (maps_go >= 0)
                give_id_maps(plan, pid, report[0], &maps_go, &ret->reports);
        if (plan->use_fork && plan->new_pgroup && !plan->new_session && !plan->daemonize)
                /* Also from here, so the group exists before we might signal it; the child
                 * does the same, whichever runs first.  Never for a new session: setsid()
                 * fails in a group leader, so a setpgid() of ours that ran first would fail
                 * the child's.  Its session exists once it reports (exec, or the handshake's
                 * ready), and a daemon's group is made by the daemon itself. */
                (void)setpgid(pid, pid);
        if (wants_handshake && plan->daemonize) {
                int status;

                /* The daemon holds its pidfile and waits for us; its intermediate exits. */
                if (!collect_until_ready(report[0], plan->report_deadline_ms, &ret->reports))
                        end_daemon_before_exec(pid, ret->reports.daemon_pid);
                (void)sp_waitpid(pid, &status, NULL);
                sp_close(&ret->pidfd);
                if (ret->reports.failed) {
                        close(report[0]);
                        sp_close(&handshake[1]);
                        discard_pidfile(plan, ret);
                        errno = saved_errno;
                        return 0;
                }
        }
        if (wants_handshake && !plan->daemonize && plan->new_session)
                await_session(report[0], &ret->reports);
        if (wants_handshake && !ret->reports.failed) {
                /* The child waits for us before exec: the reports are read later. */
                ret->report_fd = report[0];
                ret->handshake_fd = handshake[1];
                errno = saved_errno;
                return 0;
        }
        sp_close(&handshake[1]); /* a handshake's child that failed: on as without one */
        /* What the child reported: at once when it really shared our memory (its reports are
         * all in), else to EOF.  Never at once for a daemon: its intermediate can exit before
         * the daemon has closed its fds, pidfile lock included, and the EOF says it has.
         * When the pipe itself failed, the child may be running the program: it must not
         * outlive a failed start.  Not a daemon's intermediate: it exits by itself once the
         * daemon has exec'd or failed, and waiting for that (below) means a daemon we could
         * not hear from already holds its pidfile, for the caller to find and stop.  (With
         * CLONE_VFORK it has exited by now anyway.)  Past the run's deadline a forked child
         * still before exec (a hook that hangs) is killed the same way: it is not the program
         * yet, and nobody else would end it. */
        if (plan->report_in_memory)
                heard = take_memory_report(plan, &ret->reports);
        else if (plan->exec_settled && !plan->daemonize)
                heard = read_settled_reports(report[0], &ret->reports);
        else
                heard = collect_reports(report[0], plan->report_deadline_ms, &ret->reports);
        if (!heard) {
                if (!plan->daemonize)
                        (void)sp_signal_child(pid, ret->pidfd, SIGKILL);
                else if (ret->reports.failure.error == ETIMEDOUT)
                        end_daemon_before_exec(pid, ret->reports.daemon_pid);
        }
        sp_close(&report[0]);
        if (ret->reports.failed || plan->daemonize) {
                int status;

                /* A failed child, or a daemon's intermediate, which has exited by now. */
                (void)sp_waitpid(pid, &status, NULL);
                sp_close(&ret->pidfd);
        }
        discard_pidfile(plan, ret);
        /* The child may have clobbered our errno if it shared our TLS (see sys-linux.h). */
        errno = saved_errno;
        return 0;
}
