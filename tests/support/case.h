/* The cmocka setup and teardown every case runs with: the teardown fails a case that leaked
 * (or closed) an fd of the caller or left a child, running or zombie, and undoes what a
 * failed case may leave behind (a tracked daemon, the caller a subreaper, a test knob set).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef T_SUPPORT_CASE_H
#define T_SUPPORT_CASE_H

#include <stdbool.h>

/* The library's test knobs (sp_test_no_pidfd: behave as on a kernel without pidfds): a knob
 * renamed or removed fails this build. */
#include "src/test-knobs.h"

/* Setup snapshots the caller's open fds.  Teardown: the caller is no subreaper any more
 * (t_become_subreaper()), every process t_track() remembered that still runs the helper is
 * killed (and fails the case), the fds must be those of the setup and no child may be left
 * (those left are killed and reaped, so that one failure does not cascade), and the knobs
 * of test-knobs.h that the modes below set are back to their defaults. */
int t_setup(void **state);
int t_teardown(void **state);
#define T_TEST(f) cmocka_unit_test_setup_teardown(f, t_setup, t_teardown)

/* Fail unless the caller has no child at all, running or zombie (waitpid() says ECHILD). */
#define assert_no_children() t_assert_no_children(__FILE__, __LINE__)
void t_assert_no_children(const char *file, int line);

/* ---------------------------------------------------------------------------------------
 * Modes: a case runs with pidfds, and as on a kernel without them
 * ------------------------------------------------------------------------------------- */

/* The initial state of a case.  A file that varies more embeds it as its first member. */
struct t_pidfd_mode {
        bool no_pidfd;
};

/* Setup of a case: set the knob as the mode says, then t_setup().  A file with more to set
 * up calls this from its own setup.  The teardown is t_teardown(). */
int t_mode_setup(void **state);
/* Call first in a case: true when the case runs with pidfds. */
bool t_enter_mode(void **state);

/* The case `f` twice, named "f (pidfd)" and "f (no pidfd)", with the given setup and
 * teardown (t_mode_setup() and t_teardown(), or functions that call them). */
/* clang-format 14 mangles macros that expand to a braced initializer: */
/* clang-format off */
#define T_BOTH_MODES_WITH(f, setup, teardown)                                                 \
        { #f " (pidfd)", f, setup, teardown, &(struct t_pidfd_mode){ .no_pidfd = false } },   \
        { #f " (no pidfd)", f, setup, teardown, &(struct t_pidfd_mode){ .no_pidfd = true } }
/* clang-format on */
#define T_BOTH_MODES(f) T_BOTH_MODES_WITH(f, t_mode_setup, t_teardown)

#endif /* T_SUPPORT_CASE_H */
