/* Parents of several sizes at once.  Each RSS of the spawn rows lives in a worker process,
 * forked from the benchmark, that holds its ballast for the whole grid and runs slices on
 * request.  So the cells of every RSS can take turns with each other, and a slow spell of the
 * machine cannot pass for an effect of RSS, as it could if 4 GiB were measured 30 s after
 * RSS 0. */
#include "bench.h"
#include "full-io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_WORKERS 4

struct request {
        struct job job; /* its argv pointers are valid in the forked worker too */
        struct slice_plan plan;
        unsigned long long nofile;
};

struct reply {
        struct tally tally;
        int status;
};

struct worker_proc {
        pid_t pid;
        int to;   /* requests */
        int from; /* replies */
        long long rss;
};

static struct worker_proc workers[MAX_WORKERS];
static int nworkers;

static void die_errno(const char *what)
{
        fprintf(stderr, "subproc-bench: %s: %s\n", what, strerror(errno));
        exit(1);
}

unsigned long long nofile_hard_limit(void)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                die_errno("getrlimit");
        return rl.rlim_max;
}

/* Set the soft limit (at most the hard one) and return what it is now. */
unsigned long long set_nofile(unsigned long long soft)
{
        struct rlimit rl = { .rlim_cur = soft, .rlim_max = nofile_hard_limit() };

        if (rl.rlim_cur > rl.rlim_max)
                rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                die_errno("setrlimit RLIMIT_NOFILE");
        return rl.rlim_cur;
}

long long own_rss(void)
{
        long long pages = 0, resident = 0;
        FILE *f = fopen("/proc/self/statm", "re");

        if (!f || fscanf(f, "%lld %lld", &pages, &resident) != 2)
                resident = 0;
        if (f)
                fclose(f);
        return resident * sysconf(_SC_PAGESIZE);
}

/* Memory that makes the parent big: fork copies a page table entry for each of its pages, a
 * vfork-style spawn none.  Small pages, as most heaps have: huge pages would make fork
 * cheaper than it usually is, and THP=always machines would disagree with the others.  One
 * byte written per page puts every page in RSS and in the page table. */
static void make_ballast(size_t size)
{
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        char *base;

        if (size == 0)
                return;
        base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (base == MAP_FAILED)
                die_errno("mmap of the ballast");
        (void)madvise(base, size, MADV_NOHUGEPAGE);
        for (size_t off = 0; off < size; off += page)
                base[off] = 1;
}

/* The worker: build the ballast, say how big it is, then serve slices until EOF. */
__attribute__((noreturn)) static void serve(int from_parent, int to_parent, size_t ballast)
{
        struct request req;
        long long rss;

        make_ballast(ballast);
        rss = own_rss();
        if (write_full(to_parent, &rss, sizeof rss) < 0)
                _exit(1);
        while (read_full(from_parent, &req, sizeof req) == 0) {
                struct reply rep = { { 0, 0 }, 0 };

                set_nofile(req.nofile);
                rep.status = measure_slice(&req.job, &req.plan, &rep.tally);
                if (write_full(to_parent, &rep, sizeof rep) < 0)
                        _exit(1);
        }
        _exit(0);
}

static void fork_worker(struct worker_proc *w, long long ballast)
{
        int req[2], rep[2];

        if (pipe2(req, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0)
                die_errno("pipe2");
        fflush(NULL);
        w->pid = fork();
        if (w->pid < 0)
                die_errno("fork");
        if (w->pid == 0) {
                /* Earlier workers must see EOF when the benchmark closes their pipes. */
                for (int i = 0; i < nworkers; i++) {
                        close(workers[i].to);
                        close(workers[i].from);
                }
                close(req[1]);
                close(rep[0]);
                serve(req[0], rep[1], (size_t)ballast);
        }
        close(req[0]);
        close(rep[1]);
        w->to = req[1];
        w->from = rep[0];
}

/* All workers build their ballast at once, then report. */
void workers_start(const long long *ballast, int n)
{
        for (nworkers = 0; nworkers < n && nworkers < MAX_WORKERS; nworkers++)
                fork_worker(&workers[nworkers], ballast[nworkers]);
        for (int i = 0; i < nworkers; i++)
                if (read_full(workers[i].from, &workers[i].rss, sizeof workers[i].rss) < 0)
                        die_errno("a worker died while building its ballast");
}

long long worker_rss(int i)
{
        return workers[i].rss;
}

int worker_slice(int i, unsigned long long nofile, const struct job *job,
                 const struct slice_plan *plan, struct tally *t)
{
        struct request req = { *job, *plan, nofile };
        struct reply rep;

        if (write_full(workers[i].to, &req, sizeof req) < 0 ||
            read_full(workers[i].from, &rep, sizeof rep) < 0) {
                fprintf(stderr, "subproc-bench: worker %d died\n", i);
                exit(1);
        }
        t->runs += rep.tally.runs;
        t->seconds += rep.tally.seconds;
        return rep.status;
}

/* Close every pipe, then reap: each worker sees EOF and exits, and the CPU time of its
 * children is counted in ours from then on. */
void workers_stop(void)
{
        for (int i = 0; i < nworkers; i++) {
                close(workers[i].to);
                close(workers[i].from);
        }
        for (int i = 0; i < nworkers; i++)
                while (waitpid(workers[i].pid, NULL, 0) < 0 && errno == EINTR)
                        ;
        nworkers = 0;
}
