/* Declarations shared by the files of the benchmark (see README.md in this directory). */
#ifndef SUBPROC_BENCH_H
#define SUBPROC_BENCH_H

#include <stdbool.h>
#include <stddef.h>

/* The ways of starting a child that are compared, in the order of the table's columns. */
enum method {
        METHOD_SUBPROC,
        METHOD_RAW_CLONE, /* the yardstick of the spawn rows: see methods.c */
        METHOD_FORK_EXEC,
        METHOD_POSIX_SPAWN,
        METHOD_GLIB,
        N_METHODS,
};

/* What one run does with the child. */
enum task {
        TASK_SPAWN_WAIT, /* start it, wait for it, check that it exited 0 */
        TASK_CAPTURE,    /* the same, holding all of its stdout in one malloc'd buffer */
        TASK_DRAIN,      /* the same, reading its stdout from a pipe and dropping it */
        TASK_MAP,        /* the same, its stdout a memory file (memfd), mapped once it exited */
};

struct job {
        enum method method;
        enum task task;
        char *const *argv;
        long long bytes; /* what the child writes to stdout; 0 for TASK_SPAWN_WAIT */
        /* The child runs as nobody (uid and gid NOBODY_ID, no supplementary groups), which
         * needs root.  posix_spawn cannot change the uid: it runs its plain spawn. */
        bool as_nobody;
};

#define NOBODY_ID 65534

/* methods.c */
extern const char *const method_names[N_METHODS];
bool method_available(enum method m);
/* Whether method m does this task at all: raw clone only spawns and waits. */
bool method_does(enum method m, enum task task);
/* One run of the job.  Returns 0, or -1 after printing why to stderr. */
int run_job(const struct job *job);

/* measure.c */
/* A slice: one method running a job back to back, in one or more threads at once. */
struct slice_plan {
        double seconds; /* for at least this long... */
        int min_runs;   /* ...and at least this many runs per thread */
        int nthreads;
        /* One run per thread before the clock starts: the first run after another method's
         * turn pays for what that turn left behind (after a fork of a 4 GiB parent, about
         * 1 ms of the kernel's), which is not this method's cost. */
        bool untimed_first;
};
struct tally {
        long runs;
        double seconds;
};
/* Run one slice and add its runs and time to *t.  0, or -1 after a failed run. */
int measure_slice(const struct job *job, const struct slice_plan *plan, struct tally *t);

/* GB/s of faulting in `bytes` of fresh anonymous memory (a write to every 4 KiB) and freeing
 * it, with transparent huge pages asked for or refused: what any capture pays at least. */
double fresh_memory_gbps(size_t bytes, bool huge_pages);

/* workers.c: parents of several sizes at once, as worker processes */
unsigned long long nofile_hard_limit(void);
unsigned long long set_nofile(unsigned long long soft);
long long own_rss(void);
/* Fork one worker per entry, each holding that many bytes of touched ballast; wait for all. */
void workers_start(const long long *ballast, int n);
long long worker_rss(int i);
/* Run one slice in worker i, with that soft RLIMIT_NOFILE, as measure_slice() does. */
int worker_slice(int i, unsigned long long nofile, const struct job *job,
                 const struct slice_plan *plan, struct tally *t);
void workers_stop(void);

/* The samples of one table cell (rates) and what is shown of them. */
#define MAX_SAMPLES 32
struct cell {
        double samples[MAX_SAMPLES];
        int pool[MAX_SAMPLES]; /* which rounds each sample pooled: the same for every method */
        int n;
        bool failed;
        bool skipped; /* method not built in (GLib) */
};
double cell_median(const struct cell *c);
/* Half the interquartile range of the samples relative to their median, in percent. */
double cell_spread_percent(const struct cell *c);

/* report.c */
enum unit { UNIT_SPAWNS, UNIT_GBPS };
struct row {
        const char *section; /* printed above the row when not NULL */
        char label[64];
        enum unit unit;
        struct cell cells[N_METHODS];
};
void print_machine(void);
int machine_cpus(void);
void watch_start(void);
double watch_report(void);
void print_header(void);
void print_row(const struct row *row);
/* cells[a] / cells[b]: the median of the ratios of their samples that pooled the same rounds
 * (a slow spell of the machine then cancels out instead of landing on one method's median),
 * or the ratio of the medians when fewer than 3 samples pair up; 0 when either is missing. */
double row_ratio(const struct row *row, enum method a, enum method b);

#endif
