/* How far this machine lets work scale over its CPUs (issue 17's "8 threads" goal): three
 * kinds of work, each done by one process alone and then by P processes at once, P the number
 * of CPUs, rounds taking turns; prints the median of the per-round scalings (throughput of P
 * processes over that of one).  No threads and nothing shared: what does not reach P here is
 * the machine's limit (the hypervisor's, the memory system's), which no spawning library and
 * no number of threads in one process can pass.
 *
 *     bench-machine-scaling [ROUNDS [P]]                            (defaults: 5, nproc)
 *
 * arithmetic: a loop in registers; page faults: 100 MiB mapped, one byte written per page,
 * unmapped, 1 MiB at a time; spawns: the raw clone (clone(CLONE_VM|CLONE_VFORK), execve,
 * waitpid) of the static no-op child, the spawn rows' yardstick. */
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ROUNDS 50
#define MAX_PROCS 64
#define MIB (1024 * 1024)

extern char **environ;

static char *noop_argv[] = { BENCH_NOOP_PATH, NULL };
static char child_stack[64 * 1024] __attribute__((aligned(16)));

static void die(const char *what)
{
        perror(what);
        exit(1);
}

static double now_s(void)
{
        struct timespec t;

        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void arithmetic(void)
{
        unsigned long x = 1;

        for (long i = 0; i < 400000000L; i++)
                __asm__ volatile("" : "+r"(x) : "r"(x * 6364136223846793005UL + 1));
}

static void page_faults(void)
{
        for (int k = 0; k < 100; k++) {
                char *p = mmap(NULL, MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
                               0);

                if (p == MAP_FAILED)
                        die("mmap");
                for (int i = 0; i < MIB; i += 4096)
                        p[i] = 1;
                munmap(p, MIB);
        }
}

/* Raw system calls only: the child shares our memory. */
static int raw_child(void *arg)
{
        (void)arg;
        (void)syscall(SYS_execve, noop_argv[0], noop_argv, environ);
        syscall(SYS_exit, 127);
        return 0;
}

static void spawns(void)
{
        for (int k = 0; k < 300; k++) {
                int status;
                pid_t pid = clone(raw_child, child_stack + sizeof child_stack,
                                  CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);

                if (pid < 0 || waitpid(pid, &status, 0) != pid || status != 0)
                        die("raw clone");
        }
}

static const struct kind {
        const char *name;
        void (*work)(void);
} kinds[] = { { "arithmetic", arithmetic }, { "page faults", page_faults }, { "spawns", spawns } };
#define N_KINDS (sizeof kinds / sizeof kinds[0])

/* The seconds that nprocs processes take to do the work once each, all released at once. */
static double run_together(void (*work)(void), int nprocs)
{
        pid_t pids[MAX_PROCS];
        int gate[2];
        double start;
        char go;

        if (pipe(gate) < 0)
                die("pipe");
        for (int i = 0; i < nprocs; i++) {
                if ((pids[i] = fork()) < 0)
                        die("fork");
                if (pids[i] == 0) {
                        close(gate[1]);
                        if (read(gate[0], &go, 1) < 0) /* EOF: released */
                                _exit(1);
                        work();
                        _exit(0);
                }
        }
        close(gate[0]);
        start = now_s();
        close(gate[1]);
        for (int i = 0; i < nprocs; i++) {
                int status;

                if (waitpid(pids[i], &status, 0) != pids[i] || status != 0)
                        die("a worker failed");
        }
        return now_s() - start;
}

static int compare(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
        static double scaling[N_KINDS][MAX_ROUNDS];
        int rounds = argc > 1 ? atoi(argv[1]) : 5;
        int nprocs = argc > 2 ? atoi(argv[2]) : (int)sysconf(_SC_NPROCESSORS_ONLN);

        if (rounds < 1 || rounds > MAX_ROUNDS || nprocs < 2 || nprocs > MAX_PROCS) {
                fprintf(stderr, "usage: %s [ROUNDS(1-%d) [PROCS(2-%d)]]\n", argv[0], MAX_ROUNDS,
                        MAX_PROCS);
                return 2;
        }
        for (int r = 0; r < rounds; r++) {
                for (size_t k = 0; k < N_KINDS; k++) {
                        double alone = run_together(kinds[k].work, 1);
                        double together = run_together(kinds[k].work, nprocs);

                        scaling[k][r] = nprocs * alone / together;
                }
        }
        printf("%d processes at once against one alone (throughput), median of %d rounds:\n",
               nprocs, rounds);
        for (size_t k = 0; k < N_KINDS; k++) {
                qsort(scaling[k], (size_t)rounds, sizeof scaling[k][0], compare);
                printf("  %-12s %.2fx (%.2f-%.2f)\n", kinds[k].name, scaling[k][rounds / 2],
                       scaling[k][0], scaling[k][rounds - 1]);
        }
        return 0;
}
