/* Stacks for the children that share our memory (spawn-linux.c): mapped, never on the
 * caller's stack, whose size we cannot know (a thread may have 16 KiB).
 *
 * Each mapping holds two stacks, each above a guard page: the child's at the top, and below it
 * the daemon's when daemonizing.  An overflow faults on a guard page instead of running into
 * the other stack or into whatever lies below.  Mapping and unmapping per spawn would cost two
 * system calls and a few page faults each time: a few stacks are kept for reuse in slots that
 * any thread takes from and gives back to with one atomic exchange, so there is no lock (a
 * fork() at any moment leaves nothing held) and no ABA problem. */
#include "spawn.h"

#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#define KEPT_STACKS 8

static void *kept[KEPT_STACKS];

static size_t page_size(void)
{
        long size = sysconf(_SC_PAGESIZE);

        return size > 0 ? (size_t)size : 4096;
}

/* [guard][daemon's stack][guard][child's stack]: the bytes from the start of the mapping. */
static size_t stack_offset(int which)
{
        return page_size() * (size_t)(which + 1) + SP_CLONE_STACK_SIZE * (size_t)which;
}

static size_t mapping_size(void)
{
        return stack_offset(1) + SP_CLONE_STACK_SIZE;
}

static void *map_stacks(void)
{
        char *base = mmap(NULL, mapping_size(), PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);

        if (base == MAP_FAILED)
                return NULL;
        if (mprotect(base, page_size(), PROT_NONE) < 0 ||
            mprotect(base + stack_offset(1) - page_size(), page_size(), PROT_NONE) < 0) {
                (void)munmap(base, mapping_size());
                return NULL;
        }
        return base;
}

int sp_clone_stacks_take(struct sp_clone_stacks *ret)
{
        void *base = NULL;

        for (int i = 0; i < KEPT_STACKS && base == NULL; i++)
                base = __atomic_exchange_n(&kept[i], NULL, __ATOMIC_ACQUIRE);
        if (base == NULL && (base = map_stacks()) == NULL)
                return -1;
        ret->base = base;
        /* The stacks grow down on every architecture spawn-linux.c is built for. */
        ret->daemon_top = (char *)base + stack_offset(1) - page_size();
        ret->child_top = (char *)base + mapping_size();
        ret->child_mark = (int *)((char *)base + stack_offset(1));
        /* Clear of the mark's word, aligned for the report's ints. */
        ret->child_report = (struct sp_report *)((char *)base + stack_offset(1) + 16);
        return 0;
}

void sp_clone_stacks_give(struct sp_clone_stacks *stacks)
{
        void *base = stacks->base;

        if (base == NULL)
                return;
        stacks->base = NULL;
        for (int i = 0; i < KEPT_STACKS; i++) {
                void *empty = NULL;

                if (__atomic_compare_exchange_n(&kept[i], &empty, base, false, __ATOMIC_RELEASE,
                                                __ATOMIC_RELAXED))
                        return;
        }
        (void)munmap(base, mapping_size());
}
