/* Processes: time and hang bounds, waiting for any process to exit (a zombie has exited),
 * reaping children, adopting orphans, daemons to clean up after a failed case, running a piece
 * of a test in a forked process, and the caller's privileges.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef T_SUPPORT_PROC_H
#define T_SUPPORT_PROC_H

#include <stdbool.h>
#include <sys/types.h>

/* Bounds for things that take milliseconds: they only catch hangs. */
#define T_HANG_GUARD_MS 10000.0
#define T_HANG_GUARD_SHORT_MS 5000
/* Dates are taken in whole ms by the library: allow for the rounding. */
#define T_ROUNDING_MS 10.0

/* Milliseconds on CLOCK_MONOTONIC. */
double t_monotonic_ms(void);

/* Whether `pid` (any process) has exited: it is gone, or a zombie, which kill() still finds
 * (without /proc, a zombie looks alive). */
bool t_gone_or_zombie(pid_t pid);
/* Wait up to timeout_ms for `pid` (any process) to exit; a zombie has exited.  Returns the
 * milliseconds it took, or -1 if it still runs.  Without pidfd_open (ENOSYS on old kernels,
 * EPERM under some seccomp filters) it looks every millisecond until the deadline. */
double t_wait_exit(pid_t pid, double timeout_ms);
/* Whether `pid` has exited (or never existed) right now. */
bool t_exited(pid_t pid);
/* Wait up to timeout_ms for `pid`, a child of ours, to exit, without reaping it.  True once
 * it is a zombie waiting to be reaped; false when it still runs at the deadline or is no
 * (longer a) child of ours, e.g. reaped by someone else. */
bool t_child_exited(pid_t pid, double timeout_ms);
/* Reap `pid` (a child of ours by now), waiting up to timeout_ms for it to exit.  True when
 * reaped with *status set, false when it still runs at the deadline. */
bool t_reap_within(pid_t pid, double timeout_ms, int *status);
/* The same, failing the test (after killing and reaping it) if it still runs at the
 * deadline; returns its raw status. */
int t_reap(pid_t pid, double timeout_ms);

/* Adopt orphaned descendants, so that a grandchild whose parent died can be reaped and its
 * status checked.  t_teardown() turns it off again. */
void t_become_subreaper(void);
/* Make the next process this pid namespace creates get `pid` (Linux, root: writes
 * /proc/sys/kernel/ns_last_pid).  Reliable only where nothing else forks meanwhile, as in a
 * pid namespace the test made.  false if it cannot be set. */
bool t_set_next_pid(pid_t pid);

/* Whether `pid` runs the test helper (so that a cleanup never kills a recycled pid). */
bool t_is_helper(pid_t pid);
/* Daemons are nobody's children: remember one, so that t_teardown() kills it (and fails the
 * case) if it still runs the helper. */
void t_track(pid_t pid);
/* Kill every tracked process still running the helper and forget them all; true if there
 * was one. */
bool t_kill_tracked(void);

/* A piece of a test in a forked process (to change credentials or die without harm).  The
 * function must not use cmocka: it fills the result, which comes back through a pipe. */
struct t_result {
        int rc;
        int error;
        long value;
        char msg[512];
};
/* In the forked process: the fd the result goes to (to keep it open across a subproc_exec()
 * that fails, pass it with subproc_pass_fd()). */
extern int t_child_result_fd;
/* rc, and errno and the library's message when rc < 0. */
void t_result_set(struct t_result *res, int rc);
void t_in_child(void (*fn)(void *arg, struct t_result *res), void *arg, struct t_result *res);

/* What a run or a wait returned, and how long it took. */
struct t_outcome {
        int rc;
        int error;
        double elapsed_ms;
        char msg[1024];
};
/* Record the result `rc` of a call started at `start` (errno and the message are the
 * call's: pass the call itself as `rc`, with errno cleared before). */
void t_finish_outcome(struct t_outcome *o, int rc, double start);

/* Whether the caller's effective set holds capability `cap`. */
bool t_has_cap(int cap);
/* Skip (with a message) unless the caller is root with the capabilities that changing
 * credentials and the bounding set need: CAP_SETGID (6), CAP_SETUID (7), CAP_SETPCAP (8). */
#define t_require_root()                                                                     \
        do {                                                                                 \
                if (geteuid() != 0 || !t_has_cap(6) || !t_has_cap(7) || !t_has_cap(8)) {     \
                        print_message("skipped: needs root with CAP_SETUID, CAP_SETGID and " \
                                      "CAP_SETPCAP\n");                                      \
                        skip();                                                              \
                }                                                                            \
        } while (0)
/* Whether this kernel (or valgrind) gives pidfds. */
bool t_have_pidfds(void);

#endif /* T_SUPPORT_PROC_H */
