/* The caller's signal state: saved and restored, made hostile, and checked.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef T_SUPPORT_SIGNALS_H
#define T_SUPPORT_SIGNALS_H

#include <signal.h>

struct helper_report;

/* The caller's signal state, to restore after a case made it hostile. */
struct t_signal_state {
        sigset_t mask;
        struct sigaction actions[NSIG];
};
void t_save_signal_state(struct t_signal_state *saved);
void t_restore_signal_state(const struct t_signal_state *saved);
/* Make the caller hostile: SIGPIPE and SIGINT ignored, t_hostile_usr1_handler() on SIGUSR1, and
 * SIGUSR2, SIGTERM, SIGCHLD and a real-time signal blocked.  Stores the mask it set. */
void t_make_signals_hostile(sigset_t *mask);
extern volatile sig_atomic_t t_hostile_usr1_count;
void t_hostile_usr1_handler(int sig);
/* Fail unless the caller still has exactly what t_make_signals_hostile() set up. */
void t_check_caller_signals_unchanged(const sigset_t *mask);
/* Fail unless the caller's blocked signals are exactly `expected`. */
void t_assert_mask_is(const sigset_t *expected);
/* Fail unless the helper reports no blocked, ignored or handled signal. */
void t_check_child_signals_clean(const struct helper_report *r);

#endif /* T_SUPPORT_SIGNALS_H */
