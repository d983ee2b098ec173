/* Our children as processes: waiting for them, reaping them, and signalling them without
 * ever hitting a recycled pid (wait.c, signal.c).  Used by the run and by the pid-level API
 * (subproc_pid_wait(), subproc_pid_abort()). */
#ifndef SUBPROC_PROCESS_H
#define SUBPROC_PROCESS_H

#include "util.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct rusage;

/* ---- waiting (wait.c) ------------------------------------------------------------------- */

/* waitpid(pid) retrying EINTR (wait4() with ru, which gets the child's resource usage);
 * -errno on failure. */
SP_HIDDEN int sp_waitpid(pid_t pid, int *ret_status, struct rusage *ru);
/* Describe a raw wait status: "exit status 3", "signal 9 (Killed)". */
SP_HIDDEN void sp_status_describe(int status, char *buf, size_t size);
/* Apply the status rules of subproc_run(): 0 (with *exitstatus filled), or -1 with errno EIO
 * and a message starting with `what` and ending with the stderr tail if any. */
SP_HIDDEN int sp_check_status(const char *what, int status, int *exitstatus, bool raw,
                              const char *tail, int tail_len);
/* Wait until `deadline` (sp_now_ms() time) for pid to exit, sleeping on pidfd if >= 0, and
 * reap it: 1 reaped with *ret_status set (and *ru, the child's resource usage, when ru is not
 * NULL: it comes with the reap), 0 still running at the deadline, -errno when it cannot be
 * reaped (ECHILD: someone else did). */
SP_HIDDEN int sp_reap_until(pid_t pid, int pidfd, long long deadline, int *ret_status,
                            struct rusage *ru);
/* Reap our child, blocking: 0 with *ret_status, or -errno (ECHILD: reaped elsewhere).  Waits
 * through pidfd when >= 0, so a pid recycled after someone else reaped ours is never waited
 * for; sp_reap_until() does the same. */
SP_HIDDEN int sp_reap_child(pid_t pid, int pidfd, int *ret_status, struct rusage *ru);
/* Whether our child is still unreaped (running, stopped or a zombie): the one state in which
 * its pid, and the id of a process group it leads, cannot belong to anyone else.  Through
 * pidfd when >= 0 (exact), else by pid.  Keeps errno. */
SP_HIDDEN bool sp_child_unreaped(pid_t pid, int pidfd);
/* Issue 15: whether our child has exited, leaving it to be reaped: 1 (*ret_status its
 * status), 0 still running, -errno (ECHILD: reaped behind our back). */
SP_HIDDEN int sp_child_peek_exit(pid_t pid, int pidfd, int *ret_status);
/* When our child `pid` started (clock ticks since boot, /proc/PID/stat), or 0 when that
 * cannot be told (no /proc, or one of another pid namespace; not Linux) or `pid` is no child
 * of ours.  Without a pidfd, the one way to tell our child from another process, even another
 * child of ours, that got its pid after it was reaped behind our back (pidfile-proc-*.c).
 * Keeps errno. */
SP_HIDDEN unsigned long long sp_child_start_time(pid_t pid);

/* ---- signalling and stopping (signal.c) ------------------------------------------------ */

/* A pidfd for our own unreaped child (race-free: its pid cannot be reused), or -1. */
SP_HIDDEN int sp_pidfd_open(pid_t pid);
/* Send sig to our child: through its pidfd when there is one, else by pid only while it is
 * proven unreaped (a recycled pid is someone else's).  0, or -1 with errno (ESRCH: gone). */
SP_HIDDEN int sp_signal_child(pid_t pid, int pidfd, int sig);
/* Send sig to the process group our child `pid` leads (the pidfd names the group itself on
 * Linux 6.9 and later; elsewhere kill(-pid) only while the leader is proven unreaped).  0, or
 * -1 with errno. */
SP_HIDDEN int sp_signal_group(pid_t pid, int pidfd, int sig);

/* How sp_stop_child() signals the child: 0, or -1 with errno. */
typedef int sp_send_signal_fn(const void *ctx, int sig);
/* Stop a child for good: SIGTERM, up to grace_ms for it to go, then SIGKILL, sent again
 * every SP_SIGNAL_RETRY_MS should sending fail (ten times), then a blocking reap.  Returns
 * sp_reap_until()'s 1 or -errno (*ru as there). */
SP_HIDDEN int sp_stop_child(pid_t pid, int pidfd, int grace_ms, sp_send_signal_fn *send,
                            const void *ctx, int *ret_status, struct rusage *ru);
#define SP_ABORT_GRACE_MS 200
/* A signal that could not be sent is sent again this often, rather than forgotten. */
#define SP_SIGNAL_RETRY_MS 100
/* sp_stop_child() signalling by pid (our child, not yet reaped, so the pid is safe), with a
 * pidfd of its own when the kernel has them.  Keeps errno. */
SP_HIDDEN void sp_kill_and_reap(pid_t pid, int grace_ms, int *ret_status);

#endif
