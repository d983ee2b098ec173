/* The builder's scheduling options (issue 14): nice, CPU affinity, I/O priority, OOM score
 * adjustment and scheduling policy, which the child applies before the privileges are dropped
 * (child.c apply_scheduling()).  Every value is checked here, so a run fails only where the
 * kernel refuses (naming the step). */
#include "command.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

/* Bigger than any kernel's CPU mask (NR_CPUS is at most 8192: 1024 bytes). */
#define MAX_CPU_SET_SIZE 65536

void subproc_set_nice(subproc *c, int nice)
{
        if (sp_command_broken(c))
                return;
        if (nice < -20 || nice > 19) {
                sp_command_fail(c, EINVAL, "nice %d is outside -20..19", nice);
                return;
        }
        c->cfg.nice = nice;
        c->cfg.has_nice = true;
}

static bool cpu_set_is_empty(const unsigned char *set, size_t size)
{
        for (size_t i = 0; i < size; i++)
                if (set[i])
                        return false;
        return true;
}

void subproc_set_cpu_affinity(subproc *c, const void *set, size_t size)
{
        void *copy;

        if (sp_command_broken(c))
                return;
        if (!set || size == 0 || size > MAX_CPU_SET_SIZE) {
                sp_command_fail(c, EINVAL, "CPU affinity: %s",
                                !set        ? "the CPU set is NULL"
                                : size == 0 ? "the CPU set's size is 0"
                                            : "the CPU set is larger than any system's");
                return;
        }
        if (cpu_set_is_empty(set, size)) {
                sp_command_fail(c, EINVAL, "CPU affinity: the CPU set holds no CPU");
                return;
        }
        copy = malloc(size);
        if (!copy) {
                sp_command_fail(c, ENOMEM, "out of memory setting the CPU affinity");
                return;
        }
        memcpy(copy, set, size);
        free(c->cfg.cpu_set);
        c->cfg.cpu_set = copy;
        c->cfg.cpu_set_size = size;
}

void subproc_set_ioprio(subproc *c, int class, int level)
{
        if (sp_command_broken(c))
                return;
        if (class < SUBPROC_IOPRIO_CLASS_NONE || class > SUBPROC_IOPRIO_CLASS_IDLE) {
                sp_command_fail(c, EINVAL,
                                "I/O priority class %d is not 0 (none), 1 "
                                "(realtime), 2 (best-effort) or 3 (idle)",
                                class);
                return;
        }
        /* The kernel refuses a level with class none; idle has no levels: 0 only. */
        if (level < 0 || level > 7 ||
            (class != SUBPROC_IOPRIO_CLASS_RT && class != SUBPROC_IOPRIO_CLASS_BE && level != 0)) {
                sp_command_fail(c, EINVAL, "I/O priority level %d is outside %s", level,
                                class == SUBPROC_IOPRIO_CLASS_RT || class == SUBPROC_IOPRIO_CLASS_BE
                                        ? "0..7"
                                        : "0 (this class has no levels)");
                return;
        }
        c->cfg.ioprio = class << 13 | level; /* the kernel's IOPRIO_PRIO_VALUE() */
        c->cfg.has_ioprio = true;
}

void subproc_set_oom_score_adj(subproc *c, int adj)
{
        if (sp_command_broken(c))
                return;
        if (adj < -1000 || adj > 1000) {
                sp_command_fail(c, EINVAL, "OOM score adjustment %d is outside -1000..1000", adj);
                return;
        }
        c->cfg.oom_score_adj = adj;
        c->cfg.has_oom_score_adj = true;
}

static bool sched_policy_known(int policy)
{
        switch (policy) {
        case SCHED_OTHER:
        case SCHED_FIFO:
        case SCHED_RR:
#ifdef SCHED_BATCH
        case SCHED_BATCH:
#endif
#ifdef SCHED_IDLE
        case SCHED_IDLE:
#endif
                return true;
        default:
                return false;
        }
}

void subproc_set_sched(subproc *c, int policy, int priority)
{
        int base = policy, min, max;

#ifdef SCHED_RESET_ON_FORK
        base &= ~SCHED_RESET_ON_FORK;
#endif
        if (sp_command_broken(c))
                return;
        if (!sched_policy_known(base)) {
                sp_command_fail(c, EINVAL,
                                "scheduling policy %d is not SCHED_OTHER, SCHED_FIFO, SCHED_RR, "
                                "SCHED_BATCH or SCHED_IDLE",
                                policy);
                return;
        }
        min = sched_get_priority_min(base);
        max = sched_get_priority_max(base);
        if (min < 0 || max < 0 || priority < min || priority > max) {
                sp_command_fail(c, EINVAL, "scheduling priority %d is outside %d..%d for policy %d",
                                priority, min, max, base);
                return;
        }
        c->cfg.sched_policy = policy;
        c->cfg.sched_priority = priority;
        c->cfg.has_sched = true;
}
