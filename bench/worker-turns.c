/* Issue 17: does switching between parent processes of different sizes, as subproc-bench's
 * spawn grid does every 20 ms, cost subproc more than the raw clone?  One worker process per
 * RSS given (MiB, ballast touched), and the two methods taking turns of N spawns in each
 * worker in turn, R rounds; prints, per worker, subproc_run() / raw clone as the median (and
 * quartiles) of the per-round ratios, and each method's minor page faults per spawn.
 *
 *     bench-worker-turns ROUNDS N RSS_MIB...          (e.g. 30 16 1 4096, then 10 300 1 4096)
 *
 * BETWEEN=letters in the environment: before each pair of turns each worker also does, once,
 * what the grid does in the same worker between subproc's turns: f a fork()+exec (the fork+exec
 * column; a fork write-protects the whole address space until it is written again), g a GLib
 * g_spawn_sync() (the GLib column; when built with GLib), u a subproc spawn as nobody (the
 * "as nobody" rows: as root), n RLIMIT_NOFILE switched between 1024 and the hard limit (the
 * grid's two NOFILE columns).
 *
 * ORDER=sr (or rs) in the environment: subproc's turn always first after the BETWEEN work (or
 * the raw clone's), instead of each first every other round, to see whether what the BETWEEN
 * work leaves behind lands on the turn that follows it.
 *
 * WARM=1 in the environment: each turn starts with one untimed spawn of its method, as
 * subproc-bench's turns do, to see how much of that is paid by the first spawn.
 */
#include <subproc.h>
#ifdef HAVE_GLIB
#include <glib.h>
#endif

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_WORKERS 8
#define MAX_ROUNDS 400

extern char **environ;

static char *noop_argv[] = { BENCH_NOOP_PATH, NULL };
static char child_stack[64 * 1024] __attribute__((aligned(16)));

struct worker {
        pid_t pid;
        int to, from; /* our ends of its two pipes */
};

static void die(const char *what)
{
        perror(what);
        exit(1);
}

/* Raw system calls only: the child shares our memory. */
static int raw_child(void *arg)
{
        (void)arg;
        (void)syscall(SYS_execve, noop_argv[0], noop_argv, environ);
        syscall(SYS_exit, 127);
        return 0;
}

/* One of the BETWEEN activities; false for a letter that is none. */
static bool between_once(char what)
{
        struct rlimit nofile;
        int status;

        if (what == 'n') {
                if (getrlimit(RLIMIT_NOFILE, &nofile) < 0)
                        die("getrlimit");
                nofile.rlim_cur = nofile.rlim_cur == 1024 ? nofile.rlim_max : 1024;
                if (setrlimit(RLIMIT_NOFILE, &nofile) < 0)
                        die("setrlimit");
        } else if (what == 'u') {
                subproc *c = subproc_new_argv((const char *const *)noop_argv);

                subproc_set_uid(c, 65534);
                subproc_set_gid(c, 65534);
                subproc_set_raw_status(c);
                if (subproc_run(c, &status) < 0) {
                        fprintf(stderr, "subproc as nobody: %s\n", subproc_errmsg());
                        exit(1);
                }
                subproc_free(c);
#ifdef HAVE_GLIB
        } else if (what == 'g') {
                GError *error = NULL;

                if (!g_spawn_sync(NULL, noop_argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL,
                                  &status, &error)) {
                        fprintf(stderr, "g_spawn_sync: %s\n", error->message);
                        exit(1);
                }
#endif
        } else if (what == 'f') {
                pid_t pid = fork();

                if (pid == 0) {
                        execve(noop_argv[0], noop_argv, environ);
                        _exit(127);
                }
                if (pid < 0 || waitpid(pid, &status, 0) != pid)
                        die("fork");
        } else {
                return false;
        }
        return true;
}

static void spawn_once(char method)
{
        int status;

        if (between_once(method)) {
                return;
        } else if (method == 'r') {
                pid_t pid = clone(raw_child, child_stack + sizeof child_stack,
                                  CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);

                if (pid < 0 || waitpid(pid, &status, 0) != pid)
                        die("raw clone");
        } else {
                subproc *c = subproc_new_argv((const char *const *)noop_argv);

                subproc_set_raw_status(c);
                if (subproc_run(c, &status) < 0 || status != 0) {
                        fprintf(stderr, "subproc: %s\n", subproc_errmsg());
                        exit(1);
                }
                subproc_free(c);
        }
}

static double now_s(void)
{
        struct timespec t;

        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Minor page faults so far of this process and of its reaped children (a child that shares
 * our memory faults as a task of its own). */
static long minor_faults(void)
{
        struct rusage self, children;

        if (getrusage(RUSAGE_SELF, &self) < 0 || getrusage(RUSAGE_CHILDREN, &children) < 0)
                die("getrusage");
        return self.ru_minflt + children.ru_minflt;
}

/* The worker: its ballast, then a turn of n spawns per method letter read, the seconds back. */
static void worker_main(size_t rss, int n, int in, int out)
{
        bool warm = getenv("WARM") != NULL;
        char method;

        if (rss) {
                char *ballast = mmap(NULL, rss, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                                     -1, 0);

                if (ballast == MAP_FAILED)
                        die("mmap");
                memset(ballast, 1, rss);
        }
        while (read(in, &method, 1) == 1) {
                long faults;
                double start, took[2];

                if (warm && !strchr("fgnu", method))
                        spawn_once(method);
                faults = minor_faults();
                start = now_s();

                for (int i = 0; i < (strchr("fgnu", method) ? 1 : n); i++)
                        spawn_once(method);
                took[0] = now_s() - start;
                took[1] = (double)(minor_faults() - faults);
                if (write(out, took, sizeof took) != sizeof took)
                        die("write");
        }
        _exit(0);
}

/* Worker i of workers: it closes the earlier workers' pipe ends it inherited, so that each
 * sees its end of input when we close ours. */
static void start_worker(struct worker *workers, int i, size_t rss, int n)
{
        struct worker *w = &workers[i];
        int to[2], from[2];

        if (pipe2(to, O_CLOEXEC) < 0 || pipe2(from, O_CLOEXEC) < 0)
                die("pipe2");
        w->pid = fork();
        if (w->pid < 0)
                die("fork");
        if (w->pid == 0) {
                for (int k = 0; k < i; k++) {
                        close(workers[k].to);
                        close(workers[k].from);
                }
                close(to[1]);
                close(from[0]);
                worker_main(rss, n, to[0], from[1]);
        }
        close(to[0]);
        close(from[1]);
        w->to = to[1];
        w->from = from[0];
}

/* One turn of method in worker w: the seconds it took; *faults += its minor faults. */
static double turn(const struct worker *w, char method, double *faults)
{
        double took[2];

        if (write(w->to, &method, 1) != 1 || read(w->from, took, sizeof took) != sizeof took)
                die("worker");
        if (faults)
                *faults += took[1];
        return took[0];
}

static int compare(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
        static double ratio[MAX_WORKERS][MAX_ROUNDS], faults[MAX_WORKERS][2];
        struct worker workers[MAX_WORKERS];
        int rounds = argc > 1 ? atoi(argv[1]) : 0, n = argc > 2 ? atoi(argv[2]) : 0;
        int nworkers = argc - 3;
        const char *between = getenv("BETWEEN"), *order = getenv("ORDER");

        if (between && strspn(between, "fgnu") != strlen(between)) {
                fprintf(stderr, "%s: BETWEEN takes the letters f, g, n and u\n", argv[0]);
                return 2;
        }
        if (order && strcmp(order, "sr") != 0 && strcmp(order, "rs") != 0) {
                fprintf(stderr, "%s: ORDER is sr or rs\n", argv[0]);
                return 2;
        }
        if (rounds < 4 || rounds > MAX_ROUNDS || n < 1 || nworkers < 1 || nworkers > MAX_WORKERS) {
                fprintf(stderr, "usage: %s ROUNDS(4-%d) N RSS_MIB... (1 to %d workers)\n", argv[0],
                        MAX_ROUNDS, MAX_WORKERS);
                return 2;
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        for (int w = 0; w < nworkers; w++)
                start_worker(workers, w, (size_t)atol(argv[3 + w]) << 20, n);
        /* Each round visits every worker, a different one first, and in each the two methods
         * take turns, a different one first. */
        for (int r = 0; r < rounds; r++) {
                for (int k = 0; k < nworkers; k++) {
                        const struct worker *w = &workers[(k + r) % nworkers];
                        double raw, mine;

                        for (const char *x = between ? between : ""; *x; x++)
                                (void)turn(w, *x, NULL);
                        double *f = faults[(k + r) % nworkers];

                        if (order ? order[0] == 'r' : r % 2) {
                                raw = turn(w, 'r', &f[0]);
                                mine = turn(w, 's', &f[1]);
                        } else {
                                mine = turn(w, 's', &f[1]);
                                raw = turn(w, 'r', &f[0]);
                        }
                        ratio[(k + r) % nworkers][r] = raw / mine;
                }
        }
        for (int w = 0; w < nworkers; w++) {
                qsort(ratio[w], (size_t)rounds, sizeof ratio[w][0], compare);
                printf("worker %d (RSS %s MiB): subproc / raw clone %.3fx (quartiles %.3f-%.3f); "
                       "minor faults per spawn: raw clone %.1f, subproc %.1f\n",
                       w, argv[3 + w], ratio[w][rounds / 2], ratio[w][rounds / 4],
                       ratio[w][3 * rounds / 4], faults[w][0] / ((double)rounds * n),
                       faults[w][1] / ((double)rounds * n));
                close(workers[w].to);
                close(workers[w].from);
                (void)waitpid(workers[w].pid, NULL, 0);
        }
        return 0;
}
