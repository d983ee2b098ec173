/* Parsing the values of the subproc tool's options: strict, so that a typo is an error that
 * names the input instead of a silently different limit, signal or duration. */
#include "parse.h"
#include "../src/compat.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static int fail(int e)
{
        errno = e;
        return -1;
}

/* Decimal digits only (no sign, no space, no base prefix, unlike strtoull); *end is the first
 * byte after them.  -1 with EINVAL when there is no digit, ERANGE on overflow. */
static int parse_digits(const char *s, const char **end, unsigned long long *ret)
{
        unsigned long long v = 0;
        const char *p = s;

        for (; *p >= '0' && *p <= '9'; p++) {
                if (__builtin_mul_overflow(v, 10, &v) ||
                    __builtin_add_overflow(v, (unsigned long long)(*p - '0'), &v))
                        return fail(ERANGE);
        }
        if (p == s)
                return fail(EINVAL);
        *end = p;
        *ret = v;
        return 0;
}

/* A whole string of decimal digits. */
static int parse_number(const char *s, unsigned long long *ret)
{
        const char *end;
        unsigned long long v;

        if (parse_digits(s, &end, &v) < 0)
                return -1;
        if (*end)
                return fail(EINVAL);
        *ret = v;
        return 0;
}

static const struct {
        const char *suffix;
        unsigned long long ms;
} duration_units[] = {
        { "", 1000 },       { "ms", 1 },          { "s", 1000 },
        { "m", 60 * 1000 }, { "h", 3600 * 1000 }, { "d", 24 * 3600 * 1000 },
};

static int duration_unit(const char *suffix, unsigned long long *ret_ms)
{
        for (size_t i = 0; i < ARRAY_SIZE(duration_units); i++) {
                if (strcmp(suffix, duration_units[i].suffix) == 0) {
                        *ret_ms = duration_units[i].ms;
                        return 0;
                }
        }
        return fail(EINVAL);
}

/* The fraction after the '.' at *p, in whole ms of `unit` rounded up (so that a positive
 * duration never becomes 0, which would disable the timeout).  Nine digits keep the
 * arithmetic exact; any non-zero digit beyond them only rounds up. */
/* The fraction after the point, in ms of `unit`, rounded up.  Exact for any number of digits:
 * Horner's rule from the last digit keeps the integer part and whether anything was lost,
 * and every value stays below `unit`. */
static unsigned long long fraction_ms(const char **p, unsigned long long unit, bool *digits)
{
        const char *s = *p, *end = s + strspn(s, "0123456789");
        unsigned long long ms = 0;
        bool inexact = false;

        if (end > s)
                *digits = true;
        for (const char *d = end; d > s; d--) {
                unsigned long long n = (unsigned long long)(d[-1] - '0') * unit + ms;

                inexact |= n % 10 != 0;
                ms = n / 10;
        }
        *p = end;
        return ms + inexact;
}

int parse_duration(const char *s, unsigned *ret_ms)
{
        unsigned long long whole = 0, unit, frac = 0, total;
        const char *p = s;
        bool digits = false;

        if (*p >= '0' && *p <= '9') {
                if (parse_digits(p, &p, &whole) < 0)
                        return -1;
                digits = true;
        }
        /* The unit comes last, but the fraction is scaled by it: find it first. */
        if (duration_unit(p + strspn(p, ".0123456789"), &unit) < 0)
                return -1;
        if (*p == '.') {
                p++;
                frac = fraction_ms(&p, unit, &digits);
        }
        if (!digits || duration_unit(p, &unit) < 0)
                return fail(EINVAL);
        if (__builtin_mul_overflow(whole, unit, &total) ||
            __builtin_add_overflow(total, frac, &total) || total >= UINT_MAX)
                return fail(ERANGE);
        *ret_ms = (unsigned)total;
        return 0;
}

/* clang-format 14 mangles macros that expand to a braced initializer: */
/* clang-format off */
#define SIGNAL(name) { #name, SIG##name }
/* clang-format on */

static const struct {
        const char *name;
        int sig;
} signals[] = {
        SIGNAL(HUP),    SIGNAL(INT),  SIGNAL(QUIT),  SIGNAL(ILL),  SIGNAL(TRAP), SIGNAL(ABRT),
        SIGNAL(BUS),    SIGNAL(FPE),  SIGNAL(KILL),  SIGNAL(USR1), SIGNAL(SEGV), SIGNAL(USR2),
        SIGNAL(PIPE),   SIGNAL(ALRM), SIGNAL(TERM),  SIGNAL(CHLD), SIGNAL(CONT), SIGNAL(STOP),
        SIGNAL(TSTP),   SIGNAL(TTIN), SIGNAL(TTOU),  SIGNAL(URG),  SIGNAL(XCPU), SIGNAL(XFSZ),
        SIGNAL(VTALRM), SIGNAL(PROF), SIGNAL(WINCH), SIGNAL(SYS),
#ifdef SIGIO
        SIGNAL(IO),
#endif
#ifdef SIGPOLL
        SIGNAL(POLL),
#endif
#ifdef SIGIOT
        SIGNAL(IOT),
#endif
#ifdef SIGPWR
        SIGNAL(PWR),
#endif
#ifdef SIGSTKFLT
        SIGNAL(STKFLT),
#endif
#ifdef SIGINFO
        SIGNAL(INFO),
#endif
#ifdef SIGEMT
        SIGNAL(EMT),
#endif
};

static int highest_signal(void)
{
        return sp_signal_max(); /* the library's rule (compat.h) */
}

int parse_signal(const char *s, int *ret_sig)
{
        unsigned long long n;

        if (*s >= '0' && *s <= '9') {
                if (parse_number(s, &n) < 0)
                        return -1;
                if (n < 1 || n > (unsigned long long)highest_signal())
                        return fail(EINVAL);
                *ret_sig = (int)n;
                return 0;
        }
        if (strncasecmp(s, "SIG", 3) == 0)
                s += 3;
        for (size_t i = 0; i < ARRAY_SIZE(signals); i++) {
                if (strcasecmp(s, signals[i].name) == 0) {
                        *ret_sig = signals[i].sig;
                        return 0;
                }
        }
        return fail(EINVAL);
}

/* clang-format 14 mangles macros that expand to a braced initializer: */
/* clang-format off */
#define RESOURCE(name) { #name, RLIMIT_##name }
/* clang-format on */

static const struct {
        const char *name;
        int resource;
} resources[] = {
        RESOURCE(AS),         RESOURCE(CORE),   RESOURCE(CPU),   RESOURCE(DATA),
        RESOURCE(FSIZE),      RESOURCE(NOFILE), RESOURCE(STACK),
#ifdef RLIMIT_LOCKS
        RESOURCE(LOCKS),
#endif
#ifdef RLIMIT_MEMLOCK
        RESOURCE(MEMLOCK),
#endif
#ifdef RLIMIT_MSGQUEUE
        RESOURCE(MSGQUEUE),
#endif
#ifdef RLIMIT_NICE
        RESOURCE(NICE),
#endif
#ifdef RLIMIT_NPROC
        RESOURCE(NPROC),
#endif
#ifdef RLIMIT_RSS
        RESOURCE(RSS),
#endif
#ifdef RLIMIT_RTPRIO
        RESOURCE(RTPRIO),
#endif
#ifdef RLIMIT_RTTIME
        RESOURCE(RTTIME),
#endif
#ifdef RLIMIT_SIGPENDING
        RESOURCE(SIGPENDING),
#endif
};

/* The resource named by the `len` bytes at `name`. */
static int resource_by_name(const char *name, size_t len, int *ret_resource)
{
        if (len > 7 && strncasecmp(name, "RLIMIT_", 7) == 0) {
                name += 7;
                len -= 7;
        }
        for (size_t i = 0; i < ARRAY_SIZE(resources); i++) {
                if (strlen(resources[i].name) == len &&
                    strncasecmp(name, resources[i].name, len) == 0) {
                        *ret_resource = resources[i].resource;
                        return 0;
                }
        }
        return fail(EINVAL);
}

/* One limit of `len` bytes; an empty one keeps `current`. */
static int limit_value(const char *s, size_t len, rlim_t current, rlim_t *ret)
{
        char buf[32];
        unsigned long long n;

        if (len == 0) {
                *ret = current;
                return 0;
        }
        /* Leading zeros change nothing ("0000000010" is 10), but must not fill the buffer. */
        while (len > 1 && s[0] == '0' && s[1] >= '0' && s[1] <= '9') {
                s++;
                len--;
        }
        if (len >= sizeof buf)
                return fail(strspn(s, "0123456789") >= len ? ERANGE : EINVAL);
        memcpy(buf, s, len);
        buf[len] = '\0';
        if (strcasecmp(buf, "unlimited") == 0 || strcasecmp(buf, "infinity") == 0) {
                *ret = RLIM_INFINITY;
                return 0;
        }
        if (parse_number(buf, &n) < 0)
                return -1;
        /* Within rlim_t itself, which is signed on FreeBSD (18446744073709551615 would become -1,
         * which its kernel takes as RLIM_INFINITY).  RLIM_INFINITY is a number too: spell it
         * "unlimited" rather than get it by accident. */
        if (!SP_FITS_TYPE(n, rlim_t) || (rlim_t)n == RLIM_INFINITY)
                return fail(ERANGE);
        *ret = (rlim_t)n;
        return 0;
}

int parse_rlimit(const char *s, int *ret_resource, rlim_t *ret_soft, rlim_t *ret_hard)
{
        const char *eq = strchr(s, '='), *value, *colon;
        struct rlimit now;
        rlim_t soft, hard;
        int resource;

        if (!eq || resource_by_name(s, (size_t)(eq - s), &resource) < 0)
                return fail(EINVAL);
        if (getrlimit(resource, &now) < 0)
                return -1;
        value = eq + 1;
        colon = strchr(value, ':');
        if (!colon) {
                if (!*value)
                        return fail(EINVAL);
                if (limit_value(value, strlen(value), now.rlim_cur, &soft) < 0)
                        return -1;
                hard = soft;
        } else if (colon == value && !colon[1]) {
                return fail(EINVAL); /* "NAME=:" changes nothing: surely a mistake */
        } else if (limit_value(value, (size_t)(colon - value), now.rlim_cur, &soft) < 0 ||
                   limit_value(colon + 1, strlen(colon + 1), now.rlim_max, &hard) < 0) {
                return -1;
        }
        *ret_resource = resource;
        *ret_soft = soft;
        *ret_hard = hard;
        return 0;
}

static bool all_digits(const char *s)
{
        return *s && strspn(s, "0123456789") == strlen(s);
}

int parse_uid(const char *s, uid_t *ret_uid)
{
        unsigned long long n;
        struct passwd *pw;

        if (all_digits(s)) {
                if (parse_number(s, &n) < 0 || (uid_t)n != n || (uid_t)n == (uid_t)-1)
                        return fail(ERANGE);
                *ret_uid = (uid_t)n;
                return 0;
        }
        errno = 0;
        pw = getpwnam(s);
        if (!pw)
                return fail(errno ? errno : ENOENT);
        *ret_uid = pw->pw_uid;
        return 0;
}

int parse_user(const char *s, uid_t *ret_uid, gid_t *ret_gid, bool *ret_has_passwd)
{
        struct passwd *pw;
        uid_t uid;

        if (parse_uid(s, &uid) < 0)
                return -1;
        /* A name's own entry: another name may share its uid with another group.  "No such
         * entry" is a NULL with errno 0 or one of these, by getpwuid(3). */
        errno = 0;
        pw = all_digits(s) ? getpwuid(uid) : getpwnam(s);
        if (!pw && errno && errno != ENOENT && errno != ESRCH && errno != EBADF && errno != EPERM)
                return -1;
        *ret_uid = uid;
        *ret_gid = pw ? pw->pw_gid : 0;
        *ret_has_passwd = pw != NULL;
        return 0;
}

int parse_gid(const char *s, gid_t *ret_gid)
{
        unsigned long long n;
        struct group *gr;

        if (all_digits(s)) {
                if (parse_number(s, &n) < 0 || (gid_t)n != n || (gid_t)n == (gid_t)-1)
                        return fail(ERANGE);
                *ret_gid = (gid_t)n;
                return 0;
        }
        errno = 0;
        gr = getgrnam(s);
        if (!gr)
                return fail(errno ? errno : ENOENT);
        *ret_gid = gr->gr_gid;
        return 0;
}

int parse_umask(const char *s, mode_t *ret_mask)
{
        mode_t mask = 0;

        if (!*s || strlen(s) > 4)
                return fail(EINVAL);
        for (; *s; s++) {
                if (*s < '0' || *s > '7')
                        return fail(EINVAL);
                mask = (mode_t)(mask * 8 + (mode_t)(*s - '0'));
        }
        if (mask > 0777)
                return fail(ERANGE);
        *ret_mask = mask;
        return 0;
}

int parse_fd(const char *s, int *ret_fd)
{
        unsigned long long n;

        if (parse_number(s, &n) < 0)
                return -1;
        if (n > INT_MAX)
                return fail(ERANGE);
        *ret_fd = (int)n;
        return 0;
}
