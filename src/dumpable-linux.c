/* The caller's "dumpable" flag across spawns whose child changes credentials.
 *
 * The flag belongs to the memory (the mm), not to a task.  When a task changes its effective
 * or filesystem uid or gid, or gains capabilities, the kernel sets the flag of its mm to
 * fs.suid_dumpable (0 by default): the task's memory may hold what the old credentials could
 * read, and a non-dumpable mm can be neither dumped nor ptraced nor read through /proc by the
 * new, lesser user.  Our vfork-style child shares the caller's mm until it execs, so its
 * set*id() marks the caller non-dumpable for good: no core from a later crash, /proc/self owned
 * by root.  And it must stay so while the child shares the memory: a child already running as
 * `nobody` in a dumpable mm could be ptraced by any process of nobody's, and through it the
 * caller's whole memory read and written.
 *
 * So the flag is restored by the parent once no child that changed credentials shares the mm
 * any more: the first spawn in saves it, the last one out restores it, under a lock (threads
 * may run credential-changing spawns at once; restoring while another's child still shares the
 * mm would open exactly the hole above).  Between the two, the caller's mm is non-dumpable:
 * that window, and what else could upset the restore, are described in include/subproc.h
 * (subproc_set_uid) and bench/README.md. */
#include "config.h"
#include "spawn.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#if HAVE_LIBC_SINGLE_THREADED
#include <sys/single_threaded.h>
#endif

/* What commit_creds() compares to decide that the flag must drop. */
struct dumpable_ids {
        uid_t euid, fsuid;
        gid_t egid, fsgid;
        uint32_t permitted[2];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static unsigned in_flight;            /* guarded by lock */
static int saved_flag;                /* guarded by lock; valid while in_flight > 0 */
static struct dumpable_ids saved_ids; /* likewise, when saved_ids_valid */
static bool saved_ids_valid;          /* likewise */

/* Whether libc knows of no thread but the caller (false: there may be others).  Then nobody
 * can change the credentials of the caller, nor join its window, while the caller is
 * suspended until its child has exec'd (CLONE_VFORK): threads are made only by threads. */
static bool single_threaded(void)
{
#if HAVE_LIBC_SINGLE_THREADED
        return __libc_single_threaded;
#else
        return false;
#endif
}

static void read_ids(struct dumpable_ids *ids)
{
        struct {
                uint32_t version;
                int pid;
        } header = { 0x20080522, 0 }; /* _LINUX_CAPABILITY_VERSION_3 */
        struct {
                uint32_t effective, permitted, inheritable;
        } caps[2] = { { 0, 0, 0 }, { 0, 0, 0 } };

        memset(ids, 0, sizeof *ids);
        ids->euid = geteuid();
        ids->egid = getegid();
        /* An invalid id changes nothing; the call returns the current one. */
        ids->fsuid = (uid_t)setfsuid((uid_t)-1);
        ids->fsgid = (gid_t)setfsgid((gid_t)-1);
        if (syscall(SYS_capget, &header, caps) == 0) {
                ids->permitted[0] = caps[0].permitted;
                ids->permitted[1] = caps[1].permitted;
        }
}

/* A fork() while a spawn is in flight copies the count and the lowered flag into a process
 * where no child of ours shares the memory: start over there, flag restored.  The lock is
 * held across the fork so that the count and the flag are copied consistent. */
static void lock_for_fork(void)
{
        pthread_mutex_lock(&lock);
}

static void unlock_after_fork(void)
{
        pthread_mutex_unlock(&lock);
}

/* The child is the forking thread's copy, which holds the lock (lock_for_fork). */
static void reset_in_child(void)
{
        if (in_flight > 0)
                (void)prctl(PR_SET_DUMPABLE, saved_flag, 0, 0, 0);
        in_flight = 0;
        pthread_mutex_unlock(&lock);
}

static void register_atfork(void)
{
        (void)pthread_atfork(lock_for_fork, unlock_after_fork, reset_in_child);
}

int sp_dumpable_hold(void)
{
        int r = 0;

        (void)pthread_once(&atfork_once, register_atfork);
        pthread_mutex_lock(&lock);
        if (in_flight == 0) {
                int flag = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);

                /* 2 (fs.suid_dumpable=2, set by the kernel) is a value prctl cannot set back:
                 * such a caller's children must not share its memory. */
                if (flag != 0 && flag != 1)
                        r = -1;
                saved_flag = flag;
                /* The ids matter only when another thread may be the last one out (issue 17:
                 * five system calls here and five at the release, about 10 us, saved when
                 * the caller is alone). */
                saved_ids_valid = !single_threaded();
                if (saved_ids_valid)
                        read_ids(&saved_ids);
        }
        if (r == 0)
                in_flight++;
        pthread_mutex_unlock(&lock);
        return r;
}

void sp_dumpable_release(void)
{
        pthread_mutex_lock(&lock);
        if (--in_flight == 0) {
                struct dumpable_ids now;

                if (saved_ids_valid)
                        read_ids(&now);
                /* If the caller changed its own credentials meanwhile, the kernel lowered the
                 * flag for it, on purpose: leave it so.  Setting the flag it already has (a
                 * child that changed no id) changes nothing: no prctl(PR_GET_DUMPABLE) to ask
                 * first. */
                if (!saved_ids_valid || memcmp(&now, &saved_ids, sizeof now) == 0)
                        (void)prctl(PR_SET_DUMPABLE, saved_flag, 0, 0, 0);
        }
        pthread_mutex_unlock(&lock);
}
