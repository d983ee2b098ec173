/* Starting the child on Linux: clone(CLONE_VM|CLONE_VFORK) on a small mapped stack.
 *
 * The child shares our memory, so creating it copies no page tables and costs the same in a
 * parent of 10 MiB or 10 GiB; CLONE_VFORK suspends this thread until the child has exec'd or
 * exited, so the plan and the stack stay valid for as long as the child uses them.  Other
 * threads keep running.  A pre-exec hook (arbitrary caller code) or a handshake (we must run
 * while the child waits) needs a child with memory of its own: fork.  A child with a cgroup is
 * created inside it with clone3(CLONE_INTO_CGROUP) where the kernel allows. */
#include "spawn.h"
#include "process.h"
#include "test-knobs.h"
#include "sys-linux.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* Runs in the child: async-signal-safe only.  Never returns.  Its first write is the mark on
 * its own stack that tells the parent it runs in the parent's memory (sp_plan.vfork_mark). */
SP_CHILD_CODE static int child_entry(void *arg)
{
        const struct sp_plan *plan = arg;

        *(volatile int *)plan->vfork_mark = 1;
        sp_child_run(plan);
}

/* The kernel's struct clone_args up to the cgroup field (Linux 5.7, CLONE_ARGS_SIZE_VER2). */
struct sp_clone_args {
        uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
        uint64_t set_tid, set_tid_size, cgroup;
};

/* The child created in its cgroup: it never runs outside, and writes nothing to enter it. */
/* Whether the child comes with a pidfd: not when the caller asked for none (subproc_no_pidfd),
 * nor with the test knob. */
static bool wants_pidfd(const struct sp_plan *plan)
{
        return !sp_test_no_pidfd && !plan->no_pidfd;
}

static pid_t clone_into_cgroup(struct sp_plan *plan, char *stack, size_t size, int *ret_pidfd)
{
        struct sp_clone_args args = {
                .flags = CLONE_VM | CLONE_VFORK | CLONE_INTO_CGROUP | plan->ns_clone |
                         (wants_pidfd(plan) ? CLONE_PIDFD : 0),
                .pidfd = (uintptr_t)ret_pidfd,
                .exit_signal = SIGCHLD,
                .stack = (uintptr_t)stack,
                .stack_size = size,
                .cgroup = (uint64_t)plan->cgroup_fd,
        };
        long pid;

        plan->cgroup_placed = true;
        __atomic_fetch_add(&sp_test_clone3_attempts, 1, __ATOMIC_RELAXED);
        pid = sp_sys_clone3_run(&args, sizeof args, child_entry, plan);
        if (pid > 0)
                __atomic_fetch_add(&sp_test_clone3_cgroup_spawns, 1, __ATOMIC_RELAXED);
        return (pid_t)pid;
}

/* Set once clone3() turned out to be missing (ENOSYS: before Linux 5.3, or a seccomp policy
 * such as Docker's default one) or too old for CLONE_INTO_CGROUP (E2BIG: 5.3 to 5.6).  Both
 * last as long as the process, so later spawns go straight to the write instead of paying
 * for a failed system call each time.  Any thread may set it; a stale read costs one more
 * try, nothing else. */
static int clone3_unusable;

static bool clone3_usable(void)
{
        return !sp_test_no_clone3 && !__atomic_load_n(&clone3_unusable, __ATOMIC_RELAXED);
}

static void note_clone3_failure(int err)
{
        if (err == ENOSYS || err == E2BIG)
                __atomic_store_n(&clone3_unusable, 1, __ATOMIC_RELAXED);
}

/* After clone3 failed with err: whether the child should be made the old way, to write itself
 * into cgroup.procs.  Almost always: the kernel is older than 5.7 (ENOSYS, E2BIG, EINVAL), a
 * sandbox refuses clone3 (ENOSYS, EPERM), the cgroup is in a v1 hierarchy (EBADF), or the
 * cgroup refuses us, and the write then fails the same way with the step named.  Not when no
 * process could be made: EAGAIN and ENOMEM may be the cgroup's own pids and memory limits,
 * which a process moved in afterwards would get around. */
static bool cgroup_write_may_work(int err)
{
        return err != EAGAIN && err != ENOMEM;
}

static pid_t clone_vfork(struct sp_plan *plan, char *stack_top, int *ret_pidfd)
{
        int flags = CLONE_VM | CLONE_VFORK | SIGCHLD | (int)plan->ns_clone;
        pid_t pid;

        /* The pidfd comes with the child, so no later pidfd_open() can race with anything. */
        pid = clone(child_entry, stack_top, flags | (wants_pidfd(plan) ? CLONE_PIDFD : 0), plan,
                    ret_pidfd);
        if (pid < 0 && (errno == EINVAL || errno == ENOSYS || errno == EPERM) &&
            wants_pidfd(plan)) {
                /* Linux < 5.2 rejects CLONE_PIDFD; a sandbox may refuse it otherwise. */
                *ret_pidfd = -1;
                pid = clone(child_entry, stack_top, flags, plan);
        }
        return pid < 0 ? -errno : pid;
}

/* A child with memory of its own: for a hook or a handshake, or a caller whose dumpable flag
 * could not be restored after a child sharing its memory changed credentials. */
static pid_t start_forked(struct sp_plan *plan, int *ret_pidfd)
{
        pid_t pid;

        /* A forked child writes itself into its cgroup: clone3 without a libc wrapper would
         * leave libc's idea of the process (its tid) stale for the hook.  fork(), not
         * _Fork(): only fork() makes glibc (2.34 to 2.36 at least) forget the caller's other
         * threads in the child (reclaim_stacks()).  After _Fork() a hook's setgid()
         * (async-signal-safe, so allowed) runs glibc's set*id broadcast over threads that do
         * not exist here, and waits forever for one the caller was creating at the time
         * (setxid_futex still -1) or for the stack-list lock another thread held.  The
         * atfork handlers fork() runs are the price (the dumpable lock's among them, which
         * is what they are for): fork() is made to be called from any thread. */
        if (plan->ns_clone) {
                /* Born in new namespaces (subproc_unshare()), which fork() cannot give: a
                 * raw clone, which is safe only because no hook runs in this child (the
                 * plan moves a hook's namespaces to unshare()).  It runs sp_child_run()'s
                 * system calls alone, and none of glibc. */
                long r = sp_sys(SYS_clone, SIGCHLD | plan->ns_clone, 0, 0);

                if (r == 0)
                        sp_child_run(plan);
                if (r < 0)
                        return (pid_t)r;
                pid = (pid_t)r;
        } else {
                pid = fork();
                if (pid == 0)
                        sp_child_run(plan);
        }
        if (pid > 0 && wants_pidfd(plan))
                *ret_pidfd = sp_pidfd_open(pid);
        return pid < 0 ? -errno : pid;
}

/* A child sharing our memory: suspended here until it has exec'd or exited. */
static pid_t clone_sharing(struct sp_plan *plan, char *stack_top, int *ret_pidfd)
{
        pid_t pid;

        if (plan->cgroup_fd >= 0 && clone3_usable()) {
                /* clone3 takes the lowest address of the stack and its size. */
                pid = clone_into_cgroup(plan, stack_top - SP_CLONE_STACK_SIZE, SP_CLONE_STACK_SIZE,
                                        ret_pidfd);
                if (pid > 0 || !cgroup_write_may_work(-pid))
                        return pid;
                note_clone3_failure(-pid);
                /* Before the next child reads the plan: it must enter the cgroup itself. */
                plan->cgroup_placed = false;
                *ret_pidfd = -1;
        }
        return clone_vfork(plan, stack_top, ret_pidfd);
}

/* Set once a child's mark was seen: clone(CLONE_VM|CLONE_VFORK) really suspends us while the
 * child runs in our memory here, not in a copy (an emulator's plain fork), and an emulator
 * does not come or go while a process runs.  Any thread may set it. */
static int vfork_proven;

/* The same, and whether the child's mark shows that it really shared our memory; the report
 * it left in its stack, if it was asked to report there. */
static pid_t start_sharing(struct sp_plan *plan, const struct sp_clone_stacks *stacks,
                           int *ret_pidfd)
{
        pid_t pid;

        plan->vfork_mark = stacks->child_mark;
        plan->vfork_report = plan->report_in_memory ? stacks->child_report : NULL;
        __atomic_store_n(plan->vfork_mark, 0, __ATOMIC_RELAXED);
        if (plan->vfork_report)
                __atomic_store_n(&plan->vfork_report->stage, 0, __ATOMIC_RELAXED);
        pid = clone_sharing(plan, stacks->child_top, ret_pidfd);
        /* Our suspension ended with the child's exec or exit, which orders its writes of the
         * mark and the report before these reads. */
        plan->exec_settled = pid > 0 && __atomic_load_n(plan->vfork_mark, __ATOMIC_ACQUIRE);
        if (plan->exec_settled) {
                /* Written once, not per spawn: threads spawning at once share its line. */
                if (!__atomic_load_n(&vfork_proven, __ATOMIC_RELAXED))
                        __atomic_store_n(&vfork_proven, 1, __ATOMIC_RELAXED);
                if (plan->vfork_report)
                        plan->memory_report = *plan->vfork_report;
        }
        plan->vfork_mark = NULL; /* the stack goes back to the cache */
        plan->vfork_report = NULL;
        return pid;
}

/* Whether the child's set*id() would lower the dumpable flag of the memory it runs in. */
static bool changes_credentials(const struct sp_plan *plan)
{
        return plan->uid >= 0 || plan->gid >= 0;
}

bool sp_child_reports_in_memory(const struct sp_plan *plan)
{
        bool proven = __atomic_load_n(&vfork_proven, __ATOMIC_RELAXED);

        if (sp_test_vfork_reports)
                proven = sp_test_vfork_reports == SP_TEST_REPORTS_IN_MEMORY;
        /* A credential change may have to fork after all (sp_dumpable_hold()). */
        return proven && !plan->use_fork && !plan->handshake && !plan->daemonize &&
               !changes_credentials(plan) && !plan->uid_map && !plan->gid_map;
}

pid_t sp_start_child(struct sp_plan *plan, int *ret_pidfd)
{
        struct sp_clone_stacks stacks;
        pid_t pid;

        *ret_pidfd = -1;
        /* Never on the caller's stack, whose size we do not know.  The fork path needs them
         * too: a daemon's intermediate clones the daemon onto its copy of daemon_top. */
        if (sp_clone_stacks_take(&stacks) < 0)
                return -ENOMEM;
        plan->daemon_stack = stacks.daemon_top;
        plan->cgroup_placed = false;
        plan->exec_settled = false;
        plan->memory_report = (struct sp_report){ 0, 0, 0 };
        if (plan->use_fork)
                pid = start_forked(plan, ret_pidfd);
        else if (!changes_credentials(plan))
                pid = start_sharing(plan, &stacks, ret_pidfd);
        else if (sp_dumpable_hold() < 0)
                pid = start_forked(plan, ret_pidfd);
        else {
                pid = start_sharing(plan, &stacks, ret_pidfd);
                /* The child, and a daemon sharing its memory, have exec'd or exited. */
                sp_dumpable_release();
        }
        sp_clone_stacks_give(&stacks);
        return pid;
}
