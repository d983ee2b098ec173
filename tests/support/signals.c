/* The caller's signal state and a hostile one; see signals.h.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <string.h>

#include "support.h"

volatile sig_atomic_t t_hostile_usr1_count;

void t_hostile_usr1_handler(int sig)
{
        t_hostile_usr1_count++;
}

void t_save_signal_state(struct t_signal_state *saved)
{
        assert_ll_equal(sigprocmask(SIG_SETMASK, NULL, &saved->mask), 0);
        for (int sig = 1; sig < NSIG; sig++)
                sigaction(sig, NULL, &saved->actions[sig]);
}

void t_restore_signal_state(const struct t_signal_state *saved)
{
        for (int sig = 1; sig < NSIG; sig++) {
                if (sig != SIGKILL && sig != SIGSTOP)
                        sigaction(sig, &saved->actions[sig], NULL);
        }
        sigprocmask(SIG_SETMASK, &saved->mask, NULL);
}

/* Make the caller hostile: SIGPIPE and SIGINT ignored, a SIGUSR1 handler, SIGUSR2, SIGTERM,
 * SIGCHLD and a real-time signal blocked.  Returns the mask it set. */
void t_make_signals_hostile(sigset_t *mask)
{
        struct sigaction sa = { .sa_handler = t_hostile_usr1_handler };

        sigemptyset(&sa.sa_mask);
        assert_ll_equal(sigaction(SIGUSR1, &sa, NULL), 0);
        signal(SIGPIPE, SIG_IGN);
        signal(SIGINT, SIG_IGN);
        sigemptyset(mask);
        sigaddset(mask, SIGUSR2);
        sigaddset(mask, SIGTERM);
        sigaddset(mask, SIGCHLD);
        sigaddset(mask, SIGRTMIN + 3);
        assert_ll_equal(sigprocmask(SIG_SETMASK, mask, NULL), 0);
}

void t_assert_mask_is(const sigset_t *expected)
{
        sigset_t now;

        assert_ll_equal(sigprocmask(SIG_SETMASK, NULL, &now), 0);
        for (int sig = 1; sig < NSIG; sig++) {
                if (sigismember(&now, sig) != sigismember(expected, sig))
                        fail_msg("signal %d: blocked %d, expected %d", sig, sigismember(&now, sig),
                                 sigismember(expected, sig));
        }
}

void t_check_caller_signals_unchanged(const sigset_t *mask)
{
        struct sigaction sa;

        t_assert_mask_is(mask);
        sigaction(SIGUSR1, NULL, &sa);
        assert_true(sa.sa_handler == t_hostile_usr1_handler);
        sigaction(SIGPIPE, NULL, &sa);
        assert_true(sa.sa_handler == SIG_IGN);
        sigaction(SIGINT, NULL, &sa);
        assert_true(sa.sa_handler == SIG_IGN);
}

void t_check_child_signals_clean(const struct helper_report *r)
{
        assert_string_equal(t_report_get(r, "sigblk"), "0000000000000000");
        assert_string_equal(t_report_get(r, "sigign"), "0000000000000000");
        assert_string_equal(t_report_get(r, "sigcgt"), "0000000000000000");
        assert_ll_equal(t_report_hex(r, "sigblk"), 0);
}
