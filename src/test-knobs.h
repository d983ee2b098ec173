/* Test knobs: variables the test suite sets to take the library down paths this machine would
 * not take on its own (no pidfds, no clone3, a close fallback), and counters it reads.
 *
 * The tests include this header and reference the knobs strongly: a knob renamed or removed
 * fails the build of the tests, instead of letting their cases skip.  Nothing outside the
 * library and its tests may use them.  Plain ints, written by a test only while no spawn is
 * under way. */
#ifndef SUBPROC_TEST_KNOBS_H
#define SUBPROC_TEST_KNOBS_H

#ifndef SP_HIDDEN
#define SP_HIDDEN __attribute__((visibility("hidden")))
#endif

/* Non-zero: behave as on a kernel without pidfds (signal.c, spawn-linux.c). */
extern SP_HIDDEN int sp_test_no_pidfd;

/* 0 automatic; 1 start at the /proc/self/fd walk; 2 start at the bounded loop (plan.c). */
extern SP_HIDDEN int sp_test_force_close_fallback;

/* How a child sharing our memory reports a failure before exec (spawn-linux.c): automatic (0:
 * into its stack once this process has seen a real vfork), always through a pipe, or into its
 * stack even before that (which an emulated vfork loses: the start must fail, not pass). */
enum { SP_TEST_REPORTS_AUTO, SP_TEST_REPORTS_THROUGH_PIPE, SP_TEST_REPORTS_IN_MEMORY };
extern SP_HIDDEN int sp_test_vfork_reports;
/* Starts whose child reported (nothing, or its failure) through its stack, not a pipe. */
extern SP_HIDDEN unsigned sp_test_memory_reports;

/* Non-zero: behave as on a kernel before 6.9, whose pidfds cannot signal a process group: the
 * kill() fallback of signal.c, after proving the child unreaped. */
extern SP_HIDDEN int sp_test_no_pidfd_group;

#ifdef __linux__
/* Non-zero: behave as on a kernel without clone3(), so the child writes itself into its
 * cgroup (cgroup-linux.c). */
extern SP_HIDDEN int sp_test_no_clone3;
/* Children the parent created inside their cgroup with clone3(), and clone3() calls tried for
 * that (failed ones included). */
extern SP_HIDDEN unsigned sp_test_clone3_cgroup_spawns;
extern SP_HIDDEN unsigned sp_test_clone3_attempts;
/* Non-zero: behave as on a kernel without cgroup.kill (before 5.14): a scope is killed by
 * freezing it and killing each member (scope-linux.c). */
extern SP_HIDDEN int sp_test_no_cgroup_kill;
/* Non-zero: the "random" part of a scope's name, so that a test can make the names first. */
extern SP_HIDDEN unsigned sp_test_scope_random;
#endif

#endif
