/* bench-syscall-cost: what the system calls of a spawn cost on this machine, in thread CPU
 * time over many rounds (so other processes hardly disturb it): the figures behind the
 * choices of issue 17 in README.md ("the system calls of one spawn"). */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 20000

/* The kernel's struct sigaction where the handler comes first (x86, arm, riscv, ...). */
struct kernel_sigaction {
        void *handler;
        unsigned long flags;
        void *restorer;
        uint64_t mask;
};

static double cpu_seconds(void)
{
        struct timespec t;

        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
        return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void every_signal(int set)
{
        for (int sig = 1; sig <= 64; sig++) {
                struct kernel_sigaction dfl = { 0 }, old;

                if (sig != SIGKILL && sig != SIGSTOP)
                        syscall(SYS_rt_sigaction, sig, set ? &dfl : NULL, set ? NULL : &old, 8);
        }
}

static void read_file(const char *path)
{
        char buf[4096];
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd >= 0) {
                (void)!read(fd, buf, sizeof buf);
                close(fd);
        }
}

static int devnull = -1;

static void step(int what)
{
        struct stat st;
        sigset_t all, old;
        int p[2];

        switch (what) {
        case 0:
                every_signal(1);
                break;
        case 1:
                every_signal(0);
                break;
        case 2:
                read_file("/proc/self/status");
                break;
        case 3:
                read_file("/proc/self/stat");
                break;
        case 4:
                close(open("/dev/null", O_RDWR | O_CLOEXEC));
                break;
        case 5:
                fstat(devnull, &st);
                fcntl(devnull, F_GETFL);
                break;
        case 6:
                if (pipe2(p, O_CLOEXEC) == 0) {
                        close(p[0]);
                        close(p[1]);
                }
                break;
        case 7:
                syscall(SYS_getpid);
                break;
        case 8:
                sigfillset(&all);
                sigprocmask(SIG_BLOCK, &all, &old);
                sigprocmask(SIG_SETMASK, &old, NULL);
                break;
        case 9:
                syscall(SYS_close_range, 1000, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */);
                break;
        case 10:
                dup3(devnull, 100, 0);
                break;
        }
}

int main(void)
{
        static const char *const names[] = {
                "62 rt_sigaction to SIG_DFL (the old reset)",
                "62 rt_sigaction queries (glibc's posix_spawn)",
                "/proc/self/status: open, read, close",
                "/proc/self/stat: open, read, close (signals 1-31 only)",
                "open and close /dev/null",
                "fstat and F_GETFL of a cached fd",
                "pipe2 and two close",
                "getpid (one bare system call)",
                "two rt_sigprocmask",
                "close_range, CLOSE_RANGE_CLOEXEC",
                "dup3",
        };

        devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        for (int what = 0; what < (int)(sizeof names / sizeof names[0]); what++) {
                double start = cpu_seconds();

                for (int i = 0; i < ROUNDS; i++)
                        step(what);
                printf("%-56s %7.2f us\n", names[what], (cpu_seconds() - start) / ROUNDS * 1e6);
        }
        return 0;
}
