/* What each step of subproc's spawn costs next to the raw clone (issue 17, README.md): the
 * raw clone with subproc's system calls added one kind at a time, subproc_run() and
 * posix_spawn, taking turns of N spawns, R rounds, in a parent of RSS MiB.
 *
 *     bench-spawn-steps [ROUNDS [N [RSS_MIB [MODES [THREADS]]]]]
 *                                                   (defaults: 10 300 0 rabcdefsp 1)
 *
 * MODES, one letter each: r the raw clone (clone(CLONE_VM|CLONE_VFORK), execve, waitpid);
 * a + the exec report pipe, read without waiting once clone returns (a zero-timeout poll, as
 * subproc does after a real vfork); b + CLONE_PIDFD and waitid(P_PIDFD);
 * c + the child's read of /proc/self/status; d + /dev/null opened and dup3'd onto 0-2;
 * e + close_range(CLOSE_RANGE_CLOEXEC), the child's mask, every signal blocked around clone;
 * f all of a-e; s subproc_run(); k subproc_run() capturing 100 bytes of bench-emit into a
 * buffer; p posix_spawn() and waitpid().
 * Prints spawns per second and the ratio to the first mode for each.  With THREADS > 1 each
 * turn is taken twice, by one thread and by THREADS threads at once (N spawns each), and the
 * scaling of each mode (its THREADS-thread rate over its one-thread rate) is printed too. */
#include <subproc.h>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#define CLOSE_RANGE_CLOEXEC_FLAG (1U << 2)

extern char **environ;

enum {
        STEP_REPORT = 1,
        STEP_PIDFD = 2,
        STEP_STATUS = 4,
        STEP_DEVNULL = 8,
        STEP_MASKS = 16,
        STEP_ALL = 31,
};

/* What the child reads: prepared by the parent, never written by the child. */
struct plan {
        char *const *argv;
        unsigned steps;
        int report_fd, devnull;
        sigset_t mask;
};

static char *noop_argv[] = { BENCH_NOOP_PATH, NULL };
static const char *emit_argv[] = { BENCH_EMIT_PATH, "100", NULL };
static _Thread_local char child_stack[64 * 1024] __attribute__((aligned(16)));

/* Raw system calls only: the child shares our memory. */
static int child(void *arg)
{
        const struct plan *p = arg;

        if (p->steps & STEP_STATUS) {
                char buf[2048];
                long fd = syscall(SYS_openat, AT_FDCWD, "/proc/self/status", O_RDONLY | O_CLOEXEC);

                if (fd >= 0) {
                        (void)syscall(SYS_read, fd, buf, sizeof buf);
                        (void)syscall(SYS_close, fd);
                }
        }
        if (p->steps & STEP_DEVNULL)
                for (int i = 0; i < 3; i++)
                        (void)syscall(SYS_dup3, p->devnull, i, 0);
        if (p->steps & STEP_MASKS) {
                (void)syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC_FLAG);
                (void)syscall(SYS_rt_sigprocmask, SIG_SETMASK, &p->mask, NULL, 8);
        }
        (void)syscall(SYS_execve, p->argv[0], p->argv, environ);
        if (p->steps & STEP_REPORT) {
                int err = 1;

                (void)syscall(SYS_write, p->report_fd, &err, sizeof err);
        }
        syscall(SYS_exit, 127);
        return 0;
}

static void die(const char *what)
{
        perror(what);
        exit(1);
}

static void raw_clone(unsigned steps)
{
        struct plan p = { noop_argv, steps, -1, -1, { { 0 } } };
        int report[2] = { -1, -1 }, pidfd = -1, status, flags = CLONE_VM | CLONE_VFORK | SIGCHLD;
        sigset_t all, old;
        pid_t pid;

        if ((steps & STEP_DEVNULL) && (p.devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
                die("/dev/null");
        if ((steps & STEP_REPORT) && pipe2(report, O_CLOEXEC) < 0)
                die("pipe2");
        p.report_fd = report[1];
        if (steps & STEP_MASKS) {
                sigfillset(&all);
                pthread_sigmask(SIG_SETMASK, &all, &old);
                p.mask = old;
        }
        if (steps & STEP_PIDFD)
                flags |= CLONE_PIDFD;
        pid = clone(child, child_stack + sizeof child_stack, flags, &p, &pidfd);
        if (steps & STEP_MASKS)
                pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (pid < 0)
                die("clone");
        if (steps & STEP_DEVNULL)
                close(p.devnull);
        if (steps & STEP_REPORT) {
                int err;

                struct pollfd ready = { .fd = report[0], .events = POLLIN };

                close(report[1]);
                /* CLONE_VFORK: the child has exec'd past its point of no return or exited, so
                 * a report would be in the pipe already. */
                if (poll(&ready, 1, 0) > 0 && read(report[0], &err, sizeof err) > 0)
                        die("exec");
                close(report[0]);
        }
        if (steps & STEP_PIDFD) {
                siginfo_t info;

                if (syscall(SYS_waitid, P_PIDFD, pidfd, &info, WEXITED, NULL) < 0)
                        die("waitid");
                close(pidfd);
        } else if (waitpid(pid, &status, 0) != pid) {
                die("waitpid");
        }
}

static void spawn_once(char mode)
{
        static const unsigned steps[] = {
                ['r'] = 0,           ['a'] = STEP_REPORT,  ['b'] = STEP_PIDFD,
                ['c'] = STEP_STATUS, ['d'] = STEP_DEVNULL, ['e'] = STEP_MASKS,
                ['f'] = STEP_ALL
        };
        int status;
        pid_t pid;

        if (mode == 's') {
                subproc *c = subproc_new_argv((const char *const *)noop_argv);

                subproc_set_raw_status(c);
                if (subproc_run(c, &status) < 0 || status != 0) {
                        fprintf(stderr, "subproc: %s\n", subproc_errmsg());
                        exit(1);
                }
                subproc_free(c);
        } else if (mode == 'k') {
                subproc *c = subproc_new_argv(emit_argv);
                char *out = NULL;

                subproc_set_raw_status(c);
                subproc_set_output_buffer(c, &out);
                if (subproc_run(c, &status) < 0 || status != 0 || subproc_output_len(c) != 100) {
                        fprintf(stderr, "subproc: %s\n", subproc_errmsg());
                        exit(1);
                }
                subproc_free(c);
                free(out);
        } else if (mode == 'p') {
                if (posix_spawn(&pid, noop_argv[0], NULL, NULL, noop_argv, environ) != 0 ||
                    waitpid(pid, &status, 0) != pid)
                        die("posix_spawn");
        } else {
                raw_clone(steps[(unsigned char)mode]);
        }
}

static double now_s(void)
{
        struct timespec t;

        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

struct turn {
        char mode;
        int n;
        pthread_t thread;
};

static void *run_turn(void *arg)
{
        const struct turn *t = arg;

        for (int i = 0; i < t->n; i++)
                spawn_once(t->mode);
        return NULL;
}

/* n spawns of mode in each of `threads` threads at once: the seconds it took. */
static double take_turn(char mode, int n, int threads)
{
        struct turn turns[64];
        double start = now_s();

        if (threads == 1) {
                turns[0] = (struct turn){ mode, n, 0 };
                run_turn(&turns[0]);
                return now_s() - start;
        }
        for (int t = 0; t < threads; t++) {
                turns[t] = (struct turn){ mode, n, 0 };
                if (pthread_create(&turns[t].thread, NULL, run_turn, &turns[t]) != 0)
                        die("pthread_create");
        }
        for (int t = 0; t < threads; t++)
                pthread_join(turns[t].thread, NULL);
        return now_s() - start;
}

int main(int argc, char **argv)
{
        int rounds = argc > 1 ? atoi(argv[1]) : 10, n = argc > 2 ? atoi(argv[2]) : 300;
        size_t rss = (size_t)(argc > 3 ? atol(argv[3]) : 0) << 20;
        const char *modes = argc > 4 ? argv[4] : "rabcdefsp";
        int threads = argc > 5 ? atoi(argv[5]) : 1;
        double took[32] = { 0 }, took_threads[32] = { 0 };
        size_t nmodes = strlen(modes);

        if (rounds < 1 || n < 1 || nmodes == 0 || nmodes > 32 ||
            strspn(modes, "rabcdefskp") != nmodes || threads < 1 || threads > 64) {
                fprintf(stderr,
                        "usage: %s [ROUNDS [N [RSS_MIB [MODES of rabcdefskp [THREADS <= 64]]]]]\n",
                        argv[0]);
                return 2;
        }
        if (rss) {
                char *big = mmap(NULL, rss, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
                                 0);

                if (big == MAP_FAILED)
                        die("mmap");
                memset(big, 1, rss);
        }
        for (int r = 0; r < rounds; r++)
                for (size_t k = 0; k < nmodes; k++) {
                        took[k] += take_turn(modes[k], n, 1);
                        if (threads > 1)
                                took_threads[k] += take_turn(modes[k], n, threads);
                }
        for (size_t k = 0; k < nmodes; k++) {
                double rate = rounds * n / took[k];

                printf("%c: %6.0f spawns/s  %7.1f us each  %.3fx %c", modes[k], rate,
                       took[k] / (rounds * n) * 1e6, took[0] / took[k], modes[0]);
                if (threads > 1)
                        printf("   %d threads: %6.0f spawns/s, %.3fx one thread", threads,
                               rounds * n * threads / took_threads[k],
                               rounds * n * threads / took_threads[k] / rate);
                printf("\n");
        }
        return 0;
}
