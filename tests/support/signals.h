/* The caller's signal state: saved and restored, made hostile, and checked.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef T_SUPPORT_SIGNALS_H
#define T_SUPPORT_SIGNALS_H

#include <signal.h>

struct helper_report;

/* The caller's signal state, to restore after a case made it hostile. */
struct signal_state {
        sigset_t mask;
        struct sigaction actions[NSIG];
};
void save_signal_state(struct signal_state *saved);
void restore_signal_state(const struct signal_state *saved);
/* Make the caller hostile: SIGPIPE and SIGINT ignored, hostile_usr1_handler() on SIGUSR1, and
 * SIGUSR2, SIGTERM, SIGCHLD and a real-time signal blocked.  Stores the mask it set. */
void make_signals_hostile(sigset_t *mask);
extern volatile sig_atomic_t hostile_usr1_count;
void hostile_usr1_handler(int sig);
/* Fail unless the caller still has exactly what make_signals_hostile() set up. */
void check_caller_signals_unchanged(const sigset_t *mask);
/* Fail unless the caller's blocked signals are exactly `expected`. */
void t_assert_mask_is(const sigset_t *expected);
/* Fail unless the helper reports no blocked, ignored or handled signal. */
void check_child_signals_clean(const struct helper_report *r);

#endif /* T_SUPPORT_SIGNALS_H */
