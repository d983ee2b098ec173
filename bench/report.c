/* Printing: the machine, then the table. */
#include "bench.h"

#include <gnu/libc-version.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <subproc.h>

#ifdef HAVE_GLIB
#include <glib.h>
#endif

#define LABEL_WIDTH 38
#define VALUE_WIDTH 13
#define RATIO_WIDTH 12

/* The first line of `path` that starts with `key`, from its value on; "?" if none. */
static void read_key(const char *path, const char *key, char *out, size_t len)
{
        FILE *f = fopen(path, "re");
        char line[512];

        snprintf(out, len, "?");
        if (!f)
                return;
        while (fgets(line, sizeof line, f)) {
                char *value = strchr(line, ':');

                if (strncmp(line, key, strlen(key)) != 0 || !value)
                        continue;
                value += 1 + strspn(value + 1, " \t");
                value[strcspn(value, "\n")] = '\0';
                snprintf(out, len, "%s", value);
                break;
        }
        fclose(f);
}

static void read_line(const char *path, char *out, size_t len)
{
        FILE *f = fopen(path, "re");

        snprintf(out, len, "?");
        if (f && fgets(out, (int)len, f))
                out[strcspn(out, "\n")] = '\0';
        if (f)
                fclose(f);
}

/* Free page reporting (virtio-balloon): the guest hands freed blocks of 2^order pages back to
 * the host, which backs them again, one fault per page, when they are next used.  Fresh
 * memory, and so every capture of 1 GiB, then costs much more than on bare metal.  Only
 * `page_reporting_order` is upstream; some kernels also count what was reported. */
#define PAGE_REPORTING "/sys/module/page_reporting/parameters/"

/* Like nproc(1): the CPUs this process may run on. */
static int usable_cpus(void)
{
        cpu_set_t set;

        if (sched_getaffinity(0, sizeof set, &set) < 0)
                return (int)sysconf(_SC_NPROCESSORS_ONLN);
        return CPU_COUNT(&set);
}

void print_machine(void)
{
        char cpu[256], mem[64], thp[128], load[64], order[32];
        struct utsname u;

        uname(&u);
        read_key("/proc/cpuinfo", "model name", cpu, sizeof cpu);
        read_key("/proc/meminfo", "MemTotal", mem, sizeof mem);
        read_line("/sys/kernel/mm/transparent_hugepage/enabled", thp, sizeof thp);
        read_line("/proc/loadavg", load, sizeof load);
        printf("machine: Linux %s %s; CPU %s; nproc %d; RAM %s; THP %s\n", u.release, u.machine,
               cpu, usable_cpus(), mem, thp);
        /* Other work on the machine slows every column; the load shows whether there was any. */
        printf("load average at start: %s\n", load);
        read_line(PAGE_REPORTING "page_reporting_order", order, sizeof order);
        if (strcmp(order, "?") != 0)
                printf("free page reporting: built in, order %s (freed blocks of that order go "
                       "back to a hypervisor that asks for them)\n",
                       order);
        printf("software: glibc %s; subproc %s; ", gnu_get_libc_version(), SUBPROC_VERSION_STRING);
#ifdef HAVE_GLIB
        printf("GLib %u.%u.%u\n", glib_major_version, glib_minor_version, glib_micro_version);
#else
        printf("GLib not built in\n");
#endif
}

int machine_cpus(void)
{
        return usable_cpus();
}

/* ---- other load during the run ------------------------------------------------------ */

struct cpu_snapshot {
        double busy;  /* seconds of CPU used by anything, all CPUs together */
        double steal; /* seconds the hypervisor gave our CPUs to someone else */
        double own;   /* seconds used by this process and its reaped children */
        double wall;
};

static struct cpu_snapshot run_start;

static long long reported_kib_at_start = -1;

static long long reported_kib(void)
{
        char value[64];

        read_line(PAGE_REPORTING "reported_kib", value, sizeof value);
        return strcmp(value, "?") == 0 ? -1 : atoll(value);
}

static double rusage_seconds(int who)
{
        struct rusage ru;

        getrusage(who, &ru);
        return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

static void take_snapshot(struct cpu_snapshot *snap)
{
        unsigned long long user = 0, nice = 0, sys = 0, idle = 0, iowait = 0, irq = 0, softirq = 0,
                           steal = 0;
        double tick = (double)sysconf(_SC_CLK_TCK);
        FILE *f = fopen("/proc/stat", "re");
        struct timespec ts;

        if (!f || fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &sys,
                         &idle, &iowait, &irq, &softirq, &steal) != 8)
                user = nice = sys = irq = softirq = steal = 0;
        if (f)
                fclose(f);
        clock_gettime(CLOCK_MONOTONIC, &ts);
        snap->busy = (double)(user + nice + sys + irq + softirq) / tick;
        snap->steal = (double)steal / tick;
        snap->own = rusage_seconds(RUSAGE_SELF) + rusage_seconds(RUSAGE_CHILDREN);
        snap->wall = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void watch_start(void)
{
        take_snapshot(&run_start);
        reported_kib_at_start = reported_kib();
}

/* What else ran while we measured: other work slows every column, and a table taken on a busy
 * machine should say so.  Returns the share of the CPUs that other processes used. */
double watch_report(void)
{
        struct cpu_snapshot end;
        double capacity, others;

        take_snapshot(&end);
        capacity = (end.wall - run_start.wall) * usable_cpus();
        others = (end.busy - run_start.busy) - (end.own - run_start.own);
        printf("\nduring the run (%.0f s): other processes used %.0f%% of the CPUs, the "
               "hypervisor stole %.0f%%\n",
               end.wall - run_start.wall, others > 0 ? others / capacity * 100 : 0,
               (end.steal - run_start.steal) / capacity * 100);
        if (reported_kib_at_start >= 0 && reported_kib() >= reported_kib_at_start)
                printf("free page reporting handed %.1f GiB of freed memory back to the "
                       "hypervisor\n",
                       (double)(reported_kib() - reported_kib_at_start) / (1024.0 * 1024.0));
        return others > 0 ? others / capacity : 0;
}

static void format_cell(const struct cell *c, enum unit unit, char *out, size_t len)
{
        double median = cell_median(c);

        if (c->skipped)
                snprintf(out, len, "n/a");
        else if (c->failed || c->n == 0)
                snprintf(out, len, "FAILED");
        else if (unit == UNIT_GBPS)
                snprintf(out, len, "%.2f ±%.0f%%", median / 1e9, cell_spread_percent(c));
        else
                snprintf(out, len, "%.0f ±%.0f%%", median, cell_spread_percent(c));
}

static int compare_ratios(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

double row_ratio(const struct row *row, enum method a, enum method b)
{
        const struct cell *ca = &row->cells[a], *cb = &row->cells[b];
        double x = cell_median(ca), y = cell_median(cb), pairs[MAX_SAMPLES];
        int n = 0;

        if (x <= 0 || y <= 0)
                return 0;
        for (int i = 0; i < ca->n; i++)
                for (int j = 0; j < cb->n; j++)
                        if (ca->pool[i] == cb->pool[j] && cb->samples[j] > 0)
                                pairs[n++] = ca->samples[i] / cb->samples[j];
        if (n < 3)
                return x / y;
        qsort(pairs, (size_t)n, sizeof *pairs, compare_ratios);
        return n % 2 ? pairs[n / 2] : (pairs[n / 2 - 1] + pairs[n / 2]) / 2;
}

static void format_ratio(double ratio, char *out, size_t len)
{
        if (ratio <= 0)
                snprintf(out, len, "n/a");
        else
                snprintf(out, len, ratio < 10 ? "%.2fx" : "%.0fx", ratio);
}

/* printf's width counts bytes; "±" is two of them in UTF-8 but one column. */
static void print_padded(const char *s, int width)
{
        int columns = (int)strlen(s);

        for (const char *p = s; *p; p++)
                if ((*p & 0xc0) == 0x80)
                        columns--;
        printf("%*s%s", width > columns ? width - columns : 0, "", s);
}

void print_header(void)
{
        printf("%-*s", LABEL_WIDTH, "");
        for (int m = 0; m < N_METHODS; m++)
                print_padded(method_names[m], VALUE_WIDTH);
        printf("%*s%*s%*s\n", RATIO_WIDTH, "subproc /", RATIO_WIDTH, "subproc /", RATIO_WIDTH,
               "subproc /");
        printf("%-*s%*s%*s%*s%*s\n", LABEL_WIDTH, "", VALUE_WIDTH * N_METHODS, "", RATIO_WIDTH,
               "raw clone", RATIO_WIDTH, "posix_spawn", RATIO_WIDTH, "GLib");
}

void print_row(const struct row *row)
{
        char text[48];

        if (row->section)
                printf("%s\n", row->section);
        printf("  %-*s", LABEL_WIDTH - 2, row->label);
        for (int m = 0; m < N_METHODS; m++) {
                format_cell(&row->cells[m], row->unit, text, sizeof text);
                print_padded(text, VALUE_WIDTH);
        }
        format_ratio(row_ratio(row, METHOD_SUBPROC, METHOD_RAW_CLONE), text, sizeof text);
        print_padded(text, RATIO_WIDTH);
        format_ratio(row_ratio(row, METHOD_SUBPROC, METHOD_POSIX_SPAWN), text, sizeof text);
        print_padded(text, RATIO_WIDTH);
        format_ratio(row_ratio(row, METHOD_SUBPROC, METHOD_GLIB), text, sizeof text);
        print_padded(text, RATIO_WIDTH);
        printf("\n");
}
