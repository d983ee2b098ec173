/* --rusage: what the program cost, printed when it has ended, with the labels of GNU time's
 * -v (so what reads one reads the other), and with --scope the scope's own totals (the whole
 * tree, daemons and escapers included). */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int usage_open(const struct options *o)
{
        int fd;

        if (!o->rusage || !o->rusage_file)
                return STDERR_FILENO;
        fd = open(o->rusage_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd < 0) {
                say("--rusage %s: %s", o->rusage_file, strerror(errno));
                return -1;
        }
        /* A number of 0..2 would be taken for one of ours. */
        if (fd <= STDERR_FILENO) {
                int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);

                close(fd);
                if (moved < 0) {
                        say("--rusage %s: %s", o->rusage_file, strerror(errno));
                        return -1;
                }
                fd = moved;
        }
        return fd;
}

static double seconds(const struct timeval *tv)
{
        return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

/* The elapsed time as GNU time prints it: h:mm:ss or m:ss.cc. */
static void format_elapsed(char *buf, size_t size, double ms)
{
        long long cs = (long long)(ms / 10.0 + 0.5), s = cs / 100;

        if (s >= 3600)
                snprintf(buf, size, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
        else
                snprintf(buf, size, "%lld:%02lld.%02lld", s / 60, s % 60, cs % 100);
}

void usage_report(const subproc *c, const struct options *o, int fd, double elapsed_ms)
{
        struct subproc_scope_stat st;
        struct rusage ru;
        char text[2048], elapsed[64];
        int status = subproc_status(c), n = 0;

        if (!o->rusage || fd < 0)
                return;
        format_elapsed(elapsed, sizeof elapsed, elapsed_ms);
        n += snprintf(text + n, sizeof text - (size_t)n,
                      "\tElapsed (wall clock) time (h:mm:ss or m:ss): %s\n", elapsed);
        if (subproc_rusage(c, &ru) == 0)
                n += snprintf(text + n, sizeof text - (size_t)n,
                              "\tUser time (seconds): %.2f\n"
                              "\tSystem time (seconds): %.2f\n"
                              "\tMaximum resident set size (kbytes): %ld\n"
                              "\tMajor (requiring I/O) page faults: %ld\n"
                              "\tMinor (reclaiming a frame) page faults: %ld\n"
                              "\tVoluntary context switches: %ld\n"
                              "\tInvoluntary context switches: %ld\n",
                              seconds(&ru.ru_utime), seconds(&ru.ru_stime), ru.ru_maxrss,
                              ru.ru_majflt, ru.ru_minflt, ru.ru_nvcsw, ru.ru_nivcsw);
        if (o->scope && subproc_scope_stat(c, &st) == 0)
                n += snprintf(text + n, sizeof text - (size_t)n,
                              "\tScope CPU time (seconds): %.2f\n"
                              "\tScope user time (seconds): %.2f\n"
                              "\tScope system time (seconds): %.2f\n"
                              "\tScope peak memory (bytes): %llu\n",
                              (double)st.usage_usec / 1e6, (double)st.user_usec / 1e6,
                              (double)st.system_usec / 1e6, (unsigned long long)st.memory_peak);
        if (status >= 0 && WIFSIGNALED(status))
                n += snprintf(text + n, sizeof text - (size_t)n,
                              "\tCommand terminated by signal %d\n", WTERMSIG(status));
        else if (status >= 0 && WIFEXITED(status))
                n += snprintf(text + n, sizeof text - (size_t)n, "\tExit status: %d\n",
                              WEXITSTATUS(status));
        if (n > (int)sizeof text - 1)
                n = (int)sizeof text - 1;
        if (write_quietly(fd, text, (size_t)n) < 0)
                say("--rusage: cannot write the report: %s", strerror(errno));
}
