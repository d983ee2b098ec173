/* Parsing the values of the fd, argv0 and scheduling options (issue 14); see parse-sched.h. */
#include "parse-sched.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_CPU 65535

static int fail(int e)
{
        errno = e;
        return -1;
}

/* Decimal digits up to the first byte not a digit (*end); at least one; at most max. */
static int digits(const char *s, const char **end, unsigned long max, unsigned long *ret)
{
        unsigned long v = 0;
        const char *p = s;

        for (; *p >= '0' && *p <= '9'; p++) {
                v = v * 10 + (unsigned long)(*p - '0');
                if (v > max)
                        return fail(ERANGE);
        }
        if (p == s)
                return fail(EINVAL);
        *end = p;
        *ret = v;
        return 0;
}

int parse_fd_map(const char *s, int *ret_child, int *ret_parent)
{
        unsigned long child, parent;
        const char *end;

        if (digits(s, &end, INT_MAX, &child) < 0)
                return -1;
        if (*end != '=')
                return fail(EINVAL);
        if (digits(end + 1, &end, INT_MAX, &parent) < 0)
                return -1;
        if (*end)
                return fail(EINVAL);
        *ret_child = (int)child;
        *ret_parent = (int)parent;
        return 0;
}

int parse_int_in(const char *s, int lo, int hi, int *ret)
{
        bool negative = *s == '-';
        unsigned long v;
        const char *end;
        long value;

        if (*s == '-' || *s == '+')
                s++;
        if (digits(s, &end, (unsigned long)INT_MAX + 1, &v) < 0)
                return -1;
        if (*end)
                return fail(EINVAL);
        value = negative ? -(long)v : (long)v;
        if (value < lo || value > hi)
                return fail(ERANGE);
        *ret = (int)value;
        return 0;
}

/* One item of a CPU list: "N", "N-M" or "N-M:STRIDE"; into first, last, stride. */
static int cpu_range(const char *s, const char **end, unsigned long r[3])
{
        r[2] = 1;
        if (digits(s, end, MAX_CPU, &r[0]) < 0)
                return -1;
        r[1] = r[0];
        if (**end == '-' && digits(*end + 1, end, MAX_CPU, &r[1]) < 0)
                return -1;
        if (**end == ':' && digits(*end + 1, end, MAX_CPU, &r[2]) < 0)
                return -1;
        if (r[2] == 0)
                return fail(EINVAL);
        if (r[1] < r[0] || (**end != ',' && **end))
                return fail(EINVAL);
        return 0;
}

#if defined(CPU_ALLOC) && defined(CPU_SET_S)
/* Walk the list: with set NULL only find the highest CPU. */
static int walk_cpu_list(const char *s, cpu_set_t *set, size_t size, unsigned long *highest)
{
        const char *end;
        unsigned long r[3];

        for (;;) {
                if (cpu_range(s, &end, r) < 0)
                        return -1;
                for (unsigned long cpu = r[0]; cpu <= r[1]; cpu += r[2]) {
                        if (set)
                                CPU_SET_S(cpu, size, set);
                        else if (cpu > *highest)
                                *highest = cpu;
                }
                if (!*end)
                        return 0;
                s = end + 1;
        }
}

int parse_cpu_list(const char *s, void **ret_set, size_t *ret_size)
{
        unsigned long highest = 0;
        cpu_set_t *set;
        size_t size;

        if (walk_cpu_list(s, NULL, 0, &highest) < 0)
                return -1;
        set = CPU_ALLOC(highest + 1);
        if (!set)
                return fail(ENOMEM);
        size = CPU_ALLOC_SIZE(highest + 1);
        CPU_ZERO_S(size, set);
        (void)walk_cpu_list(s, set, size, &highest);
        *ret_set = set;
        *ret_size = size;
        return 0;
}
#else
static int walk_cpu_list(const char *s, unsigned long *highest)
{
        const char *end;
        unsigned long r[3];

        for (;;) {
                if (cpu_range(s, &end, r) < 0)
                        return -1;
                if (r[1] > *highest)
                        *highest = r[1];
                if (!*end)
                        return 0;
                s = end + 1;
        }
}

/* No CPU sets here (macOS): the list is checked, and the library refuses the affinity
 * (ENOTSUP) with the reason. */
int parse_cpu_list(const char *s, void **ret_set, size_t *ret_size)
{
        unsigned long highest = 0;

        if (walk_cpu_list(s, &highest) < 0)
                return -1;
        *ret_set = calloc(1, 1);
        if (!*ret_set)
                return fail(ENOMEM);
        *(unsigned char *)*ret_set = 1; /* not empty: the refusal is the library's ENOTSUP */
        *ret_size = 1;
        return 0;
}
#endif

static int name_or_number(const char *s, size_t len, const char *const *names, size_t n, int max)
{
        unsigned long v;
        const char *end;

        for (size_t i = 0; i < n; i++)
                if (names[i] && strlen(names[i]) == len && strncasecmp(s, names[i], len) == 0)
                        return (int)i;
        if (digits(s, &end, (unsigned long)max, &v) < 0)
                return -1;
        if ((size_t)(end - s) != len)
                return fail(EINVAL);
        return (int)v;
}

int parse_ioprio(const char *s, int *ret_class, int *ret_level)
{
        static const char *const classes[] = { "none", "realtime", "best-effort", "idle" };
        static const char *const short_names[] = { NULL, "rt", "be", NULL };
        const char *colon = strchr(s, ':');
        size_t len = colon ? (size_t)(colon - s) : strlen(s);
        int class = name_or_number(s, len, short_names, ARRAY_SIZE(short_names), 3), level;

        if (class < 0)
                class = name_or_number(s, len, classes, ARRAY_SIZE(classes), 3);

        if (class < 0)
                return -1;
        level = class == 1 || class == 2 ? 4 : 0; /* ionice's defaults */
        if (colon && (colon[1] == '-' || colon[1] == '+'))
                return fail(EINVAL);
        if (colon && parse_int_in(colon + 1, 0, 7, &level) < 0)
                return -1;
        *ret_class = class;
        *ret_level = level;
        return 0;
}

static const struct {
        const char *name;
        int policy;
} policies[] = {
        { "other", SCHED_OTHER }, { "fifo", SCHED_FIFO }, { "rr", SCHED_RR },
#ifdef SCHED_BATCH
        { "batch", SCHED_BATCH },
#endif
#ifdef SCHED_IDLE
        { "idle", SCHED_IDLE },
#endif
};

int parse_sched(const char *s, int *ret_policy, int *ret_priority)
{
        const char *colon, *name = s;
        size_t len, i;
        int priority = 0;

        if (strncasecmp(name, "SCHED_", 6) == 0)
                name += 6;
        colon = strchr(name, ':');
        len = colon ? (size_t)(colon - name) : strlen(name);
        for (i = 0; i < ARRAY_SIZE(policies); i++)
                if (strlen(policies[i].name) == len &&
                    strncasecmp(name, policies[i].name, len) == 0)
                        break;
        if (i == ARRAY_SIZE(policies) || (colon && (colon[1] == '-' || colon[1] == '+')))
                return fail(EINVAL);
        if (colon && parse_int_in(colon + 1, 0, 99, &priority) < 0)
                return -1;
        *ret_policy = policies[i].policy;
        *ret_priority = priority;
        return 0;
}
