/* Timing: a slice is a job run back to back, in one or more threads, for a fixed time; and
 * the statistics of the samples that slices are pooled into. */
#include "bench.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct worker {
        const struct job *job;
        const struct slice_plan *plan;
        pthread_barrier_t *start_line;
        double started, finished;
        long runs;
        bool failed;
        pthread_t thread;
};

/* Run until both the time and the run count are reached; the clock is read after each run,
 * so a slow method (fork at 4 GiB) stops after min_runs instead of overrunning much. */
static void *work(void *arg)
{
        struct worker *w = arg;

        if (w->plan->untimed_first && run_job(w->job) < 0)
                w->failed = true;
        if (w->start_line)
                pthread_barrier_wait(w->start_line);
        if (w->failed)
                return NULL;
        w->started = now();
        do {
                if (run_job(w->job) < 0) {
                        w->failed = true;
                        break;
                }
                w->runs++;
                w->finished = now();
        } while (w->runs < w->plan->min_runs || w->finished - w->started < w->plan->seconds);
        return NULL;
}

/* All workers together: every run, over the span from the first start to the last finish,
 * so a straggler counts against the total. */
static int add_workers(const struct worker *w, int n, struct tally *t)
{
        double first = w[0].started, last = w[0].finished;
        long runs = 0;

        for (int i = 0; i < n; i++) {
                if (w[i].failed)
                        return -1;
                if (w[i].started < first)
                        first = w[i].started;
                if (w[i].finished > last)
                        last = w[i].finished;
                runs += w[i].runs;
        }
        t->runs += runs;
        t->seconds += last - first;
        return 0;
}

static void run_threads(const struct job *job, const struct slice_plan *plan, struct worker *w)
{
        pthread_barrier_t start_line;

        pthread_barrier_init(&start_line, NULL, (unsigned)plan->nthreads);
        for (int i = 0; i < plan->nthreads; i++) {
                w[i] = (struct worker){ .job = job, .plan = plan, .start_line = &start_line };
                if (pthread_create(&w[i].thread, NULL, work, &w[i]) != 0) {
                        fprintf(stderr, "subproc-bench: cannot start thread %d\n", i);
                        exit(1);
                }
        }
        for (int i = 0; i < plan->nthreads; i++)
                pthread_join(w[i].thread, NULL);
        pthread_barrier_destroy(&start_line);
}

int measure_slice(const struct job *job, const struct slice_plan *plan, struct tally *t)
{
        struct worker one = { .job = job, .plan = plan }, *many;
        int r;

        if (plan->nthreads <= 1) {
                work(&one);
                return add_workers(&one, 1, t);
        }
        many = calloc((size_t)plan->nthreads, sizeof *many);
        if (!many) {
                fprintf(stderr, "subproc-bench: out of memory\n");
                exit(1);
        }
        run_threads(job, plan, many);
        r = add_workers(many, plan->nthreads, t);
        free(many);
        return r;
}

static int compare_doubles(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

static void sorted_samples(const struct cell *c, double *out)
{
        memcpy(out, c->samples, (size_t)c->n * sizeof *out);
        qsort(out, (size_t)c->n, sizeof *out, compare_doubles);
}

/* The median, not the best: it is what a caller should expect, and it does not reward a
 * method for one lucky sample. */
double cell_median(const struct cell *c)
{
        double s[MAX_SAMPLES];

        if (c->n == 0 || c->failed || c->skipped)
                return 0;
        sorted_samples(c, s);
        return c->n % 2 ? s[c->n / 2] : (s[c->n / 2 - 1] + s[c->n / 2]) / 2;
}

/* The middle half of the samples, not min to max: with 15 samples one hiccup of the machine
 * would otherwise be all that is shown.  With 3 samples this is min to max. */
double cell_spread_percent(const struct cell *c)
{
        double s[MAX_SAMPLES], median = cell_median(c);
        int skip = (c->n - 1) / 4;

        if (median <= 0)
                return 0;
        sorted_samples(c, s);
        return (s[c->n - 1 - skip] - s[skip]) / 2 / median * 100;
}

double fresh_memory_gbps(size_t bytes, bool huge_pages)
{
        double start = now();
        volatile char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                                -1, 0);

        if (p == MAP_FAILED)
                return 0;
        (void)madvise((void *)p, bytes, huge_pages ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
        for (size_t i = 0; i < bytes; i += 4096)
                p[i] = 1;
        munmap((void *)p, bytes);
        return (double)bytes / (now() - start);
}
