/* The fault sweep's framework, as its scenarios (scenarios.c) see it: a point of a sweep,
 * recording what the library returned there, the window in which its calls are counted and
 * failed, and the table of scenarios the driver (sweep.c) runs.
 *
 * SPDX-License-Identifier: MIT
 *
 * A scenario opens the window around its library calls only (window_open(), window_close()),
 * wraps each call in TRY() or TRY_PTR(), and checks the results after the window, calling
 * wrongf() for a result that is wrong.  The driver checks everything else a point leaves
 * behind (fds, children, processes carrying fault_marker, allocations).
 */
#ifndef SUBPROC_FAULT_SWEEP_H
#define SUBPROC_FAULT_SWEEP_H

#include <stdbool.h>
#include <sys/types.h>

#include "fault.h"

/* From the library: hidden, but reachable since the tests link it statically.  Clearing the
 * message before each call makes a failure prove that it wrote its own. */
void sp_error_clear(void);

/* An argument every helper a scenario spawns carries, so that the driver finds (and stops)
 * what a point left running: "fault-marker-<pid of main>". */
extern char fault_marker[64];

/* ---------------------------------------------------------------------------------------
 * One point: what the scenario saw
 * ------------------------------------------------------------------------------------- */

/* One point of a sweep: what the scenario saw. */
struct point {
        enum fault_mode mode;
        unsigned long n;
        bool failed;      /* a library call returned failure */
        const char *call; /* the first one that did */
        int error;
        char msg[600];
        char wrong[600];  /* set when a result is wrong (a success that is not one...) */
        bool null_buffer; /* an output buffer was NULL after a failed run */
};

/* Note that a result is wrong (the first note of a point is kept). */
void wrongf(struct point *pt, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Record the first failed library call: errno and message must be its own.  Returns whether
 * the call succeeded (r >= 0). */
bool try_record(struct point *pt, const char *what, long r);

#define TRY(pt, call) try_record((pt), #call, (sp_error_clear(), errno = 0, (long)(call)))
#define TRY_PTR(pt, call) \
        try_record((pt), #call, (sp_error_clear(), errno = 0, (call) != NULL ? 0L : -1L))

/* The window in which the library's calls are counted and failed. */
void window_open(struct point *pt);
void window_close(void);

/* Whether a live process carries fault_marker (a helper we started, directly or not, that
 * nobody stopped). */
bool has_marker(pid_t pid);

/* A scenario: `run` opens the window around its library calls and checks their results. */
struct scenario {
        const char *name;
        void (*run)(struct point *pt);
        int clean_errno; /* how the clean run ends: 0 success, else this errno */
};

/* The scenarios (scenarios.c), and what they need set up once, before any worker is forked,
 * and removed at the end. */
extern const struct scenario fault_scenarios[];
extern const size_t fault_n_scenarios;
void scenarios_setup(void);
void scenarios_teardown(void);

#endif /* SUBPROC_FAULT_SWEEP_H */
