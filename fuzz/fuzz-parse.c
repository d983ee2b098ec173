/* libFuzzer target: the subproc tool's option parsers (tools/parse.c), linked in directly.
 *
 * The input, up to its first NUL (an option value cannot hold one), goes to every parser.
 * Each result is checked against a reference reading written here from the documented formats,
 * and against invariants: outputs untouched and errno EINVAL or ERANGE on failure (a user or
 * group lookup may also say ENOENT), a duration reparsed from "<N>ms" gives N again, "SIGxxx"
 * and "xxx" name the same signal in any case, negative and overflowing numbers are refused. */
#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the reference reading expects. */
enum verdict {
        BAD,        /* EINVAL */
        TOO_BIG,    /* ERANGE */
        BAD_OR_BIG, /* garbage after digits that overflow on their own: EINVAL or ERANGE */
        GOOD,       /* success with the expected value */
};

static const char *input; /* for reports */

static void report(const char *parser, const char *s, const char *what)
{
        fprintf(stderr, "fuzz-parse: %s(\"", parser);
        for (const char *p = s; *p; p++) {
                unsigned char ch = (unsigned char)*p;

                if (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\')
                        fprintf(stderr, "\\x%02x", ch);
                else
                        fputc(ch, stderr);
        }
        fprintf(stderr, "\"): %s (fuzz input \"%s\")\n", what, input);
        abort();
}

/* Decimal digits only, as many as there are (leading zeros allowed); TOO_BIG once the value
 * passes `max`, BAD for anything else, including an empty string.  A parser may stop at the
 * first digit that overflows its arithmetic and say ERANGE before it sees the garbage. */
static enum verdict ref_number(const char *s, size_t len, unsigned long long max,
                               unsigned long long *ret)
{
        unsigned long long v = 0, all = 0;
        bool big = false, huge = false;

        if (len == 0)
                return BAD;
        for (size_t i = 0; i < len; i++) {
                unsigned digit = (unsigned)(s[i] - '0');

                if (s[i] < '0' || s[i] > '9')
                        return huge ? BAD_OR_BIG : BAD;
                if (!big && v > (max - digit) / 10)
                        big = true;
                if (!huge && all > (ULLONG_MAX - digit) / 10)
                        huge = true;
                if (!big)
                        v = v * 10 + digit;
                if (!huge)
                        all = all * 10 + digit;
        }
        if (big)
                return TOO_BIG;
        *ret = v;
        return GOOD;
}

/* Check one parser's result against the verdict: `same` tells whether the value matched. */
static void check_verdict(const char *parser, const char *s, int r, int e, enum verdict want,
                          bool same, bool untouched)
{
        if (r == 0 && want == GOOD && same)
                return;
        if (r == 0)
                report(parser, s, want == GOOD ? "wrong value" : "accepted");
        if (r != -1)
                report(parser, s, "returned neither 0 nor -1");
        if (!untouched)
                report(parser, s, "failed but wrote its output");
        if (want == GOOD)
                report(parser, s, "refused a valid value");
        if (want == BAD_OR_BIG && (e == EINVAL || e == ERANGE))
                return;
        if (e != (want == TOO_BIG ? ERANGE : EINVAL))
                report(parser, s, want == TOO_BIG ? "errno is not ERANGE" : "errno is not EINVAL");
}

/* ---- durations ------------------------------------------------------------------------ */

static const struct {
        const char *suffix;
        unsigned long long ms;
} units[] = {
        { "", 1000 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
        { "d", 86400000 },
};

/* [digits][.digits]unit with at least one digit; the value rounded up to whole ms. */
static enum verdict ref_duration(const char *s, unsigned *ret_ms)
{
        size_t whole_len = strspn(s, "0123456789"), frac_len = 0;
        const char *frac = NULL, *suffix = s + whole_len;
        unsigned long long unit = 0, whole = 0, q = 0;
        bool nonzero = false, big = false, found = false;
        unsigned __int128 total;

        if (*suffix == '.') {
                frac = suffix + 1;
                frac_len = strspn(frac, "0123456789");
                suffix = frac + frac_len;
        }
        if (whole_len + frac_len == 0)
                return BAD;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
                if (strcmp(suffix, units[i].suffix) == 0) {
                        unit = units[i].ms;
                        found = true;
                }
        }
        if (whole_len && ref_number(s, whole_len, ULLONG_MAX, &whole) == TOO_BIG)
                big = true;
        if (!found)
                return big ? BAD_OR_BIG : BAD;
        /* ceil(0.d1d2...dk * unit), exactly: from the last digit to the first, keep the
         * quotient and whether anything was left over. */
        for (size_t i = frac_len; i-- > 0;) {
                unsigned long long t = (unsigned long long)(frac[i] - '0') * unit + q;

                q = t / 10;
                nonzero |= t % 10 != 0;
        }
        total = (unsigned __int128)whole * unit + q + nonzero;
        if (big || total >= UINT_MAX)
                return TOO_BIG;
        *ret_ms = (unsigned)total;
        return GOOD;
}

static void fuzz_duration(const char *s)
{
        unsigned ms = 12345, want = 0, again = 0;
        enum verdict v = ref_duration(s, &want);
        char text[32];
        int r, e;

        errno = 0;
        r = parse_duration(s, &ms);
        e = errno;
        check_verdict("parse_duration", s, r, e, v, ms == want, ms == 12345);
        if (r < 0)
                return;
        snprintf(text, sizeof text, "%ums", ms);
        if (parse_duration(text, &again) < 0 || again != ms)
                report("parse_duration", text, "does not give back its value in ms");
        if (ms % 1000 == 0) {
                snprintf(text, sizeof text, "%u", ms / 1000);
                if (parse_duration(text, &again) < 0 || again != ms)
                        report("parse_duration", text, "does not give back its seconds");
        }
}

/* ---- signals -------------------------------------------------------------------------- */

/* The signal's number for a name without "SIG", any case, from the C library's own table
 * (sigabbrev_np) plus the aliases that share a number; 0 if none. */
static int signal_by_name(const char *name)
{
        static const struct {
                const char *name;
                int sig;
        } aliases[] = {
                { "IOT", SIGABRT },
                { "IO", SIGIO },
                { "POLL", SIGPOLL },
        };

        for (int sig = 1; sig < SIGRTMIN; sig++) {
                const char *abbrev = sigabbrev_np(sig);

                if (abbrev && strcasecmp(abbrev, name) == 0)
                        return sig;
        }
        for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
                if (strcasecmp(aliases[i].name, name) == 0)
                        return aliases[i].sig;
        return 0;
}

static enum verdict ref_signal(const char *s, int *ret_sig)
{
        unsigned long long n;

        if (*s >= '0' && *s <= '9') {
                enum verdict v = ref_number(s, strlen(s), (unsigned long long)SIGRTMAX, &n);

                /* No such signal: EINVAL as for a name, or ERANGE when it overflows. */
                if (v == TOO_BIG)
                        return BAD_OR_BIG;
                if (v != GOOD || n < 1)
                        return v == GOOD ? BAD : v;
                *ret_sig = (int)n;
                return GOOD;
        }
        if (strncasecmp(s, "SIG", 3) == 0)
                s += 3;
        *ret_sig = signal_by_name(s);
        return *ret_sig ? GOOD : BAD;
}

static int signal_or_zero(const char *s)
{
        int sig = 0;

        return parse_signal(s, &sig) == 0 ? sig : 0;
}

static void fuzz_signal(const char *s)
{
        int sig = -7, want = 0, r, e;
        enum verdict v = ref_signal(s, &want);

        errno = 0;
        r = parse_signal(s, &sig);
        e = errno;
        check_verdict("parse_signal", s, r, e, v, sig == want, sig == -7);
        if (r == 0 && (sig < 1 || sig > SIGRTMAX))
                report("parse_signal", s, "gave a signal out of range");
        /* "SIG" + a name is the name; a number or an already prefixed name is another matter. */
        if (!(*s >= '0' && *s <= '9') && strncasecmp(s, "SIG", 3) != 0 && strlen(s) < 64) {
                char prefixed[80], upper[64];
                size_t i;

                snprintf(prefixed, sizeof prefixed, "SIG%s", s);
                if (signal_or_zero(prefixed) != signal_or_zero(s))
                        report("parse_signal", prefixed, "differs from the name without SIG");
                for (i = 0; s[i]; i++)
                        upper[i] = (char)toupper((unsigned char)s[i]);
                upper[i] = '\0';
                if (signal_or_zero(upper) != signal_or_zero(s))
                        report("parse_signal", upper, "depends on case");
        }
}

/* ---- resource limits ------------------------------------------------------------------- */

static const struct {
        const char *name;
        int resource;
} resources[] = {
        { "AS", RLIMIT_AS },           { "CORE", RLIMIT_CORE },     { "CPU", RLIMIT_CPU },
        { "DATA", RLIMIT_DATA },       { "FSIZE", RLIMIT_FSIZE },   { "LOCKS", RLIMIT_LOCKS },
        { "MEMLOCK", RLIMIT_MEMLOCK }, { "MSGQUEUE", RLIMIT_MSGQUEUE },
        { "NICE", RLIMIT_NICE },       { "NOFILE", RLIMIT_NOFILE }, { "NPROC", RLIMIT_NPROC },
        { "RSS", RLIMIT_RSS },         { "RTPRIO", RLIMIT_RTPRIO }, { "RTTIME", RLIMIT_RTTIME },
        { "SIGPENDING", RLIMIT_SIGPENDING }, { "STACK", RLIMIT_STACK },
};

/* One side of "SOFT:HARD": empty keeps `current`. */
static enum verdict ref_limit(const char *s, size_t len, rlim_t current, rlim_t *ret)
{
        unsigned long long n;
        enum verdict v;

        if (len == 0) {
                *ret = current;
                return GOOD;
        }
        if ((len == 9 && strncasecmp(s, "unlimited", 9) == 0) ||
            (len == 8 && strncasecmp(s, "infinity", 8) == 0)) {
                *ret = RLIM_INFINITY;
                return GOOD;
        }
        /* RLIM_INFINITY itself must be spelt out: the largest number is one below. */
        v = ref_number(s, len, (unsigned long long)RLIM_INFINITY - 1, &n);
        if (v == GOOD)
                *ret = (rlim_t)n;
        return v;
}

static enum verdict ref_rlimit(const char *s, int *ret_resource, rlim_t *ret_soft,
                               rlim_t *ret_hard)
{
        const char *eq = strchr(s, '='), *name = s, *value, *colon;
        size_t name_len;
        struct rlimit now;
        enum verdict v;
        int resource = -1;

        if (!eq)
                return BAD;
        name_len = (size_t)(eq - s);
        if (name_len > 7 && strncasecmp(name, "RLIMIT_", 7) == 0) {
                name += 7;
                name_len -= 7;
        }
        for (size_t i = 0; i < sizeof resources / sizeof resources[0]; i++)
                if (strlen(resources[i].name) == name_len &&
                    strncasecmp(resources[i].name, name, name_len) == 0)
                        resource = resources[i].resource;
        if (resource < 0 || getrlimit(resource, &now) < 0)
                return BAD;
        value = eq + 1;
        colon = strchr(value, ':');
        if (!colon) {
                if (!*value)
                        return BAD;
                v = ref_limit(value, strlen(value), now.rlim_cur, ret_soft);
                *ret_hard = *ret_soft;
        } else {
                enum verdict hv;

                if (colon == value && !colon[1])
                        return BAD;
                v = ref_limit(value, (size_t)(colon - value), now.rlim_cur, ret_soft);
                hv = ref_limit(colon + 1, strlen(colon + 1), now.rlim_max, ret_hard);
                /* Each side is checked in turn: the first bad one decides. */
                if (v == GOOD)
                        v = hv;
        }
        *ret_resource = resource;
        return v;
}

static void fuzz_rlimit(const char *s)
{
        int resource = -5, want_resource = -1, r, e;
        rlim_t soft = 17, hard = 19, want_soft = 0, want_hard = 0;
        enum verdict v = ref_rlimit(s, &want_resource, &want_soft, &want_hard);

        errno = 0;
        r = parse_rlimit(s, &resource, &soft, &hard);
        e = errno;
        check_verdict("parse_rlimit", s, r, e, v,
                      resource == want_resource && soft == want_soft && hard == want_hard,
                      resource == -5 && soft == 17 && hard == 19);
}

/* ---- users, groups, umask, fds ----------------------------------------------------------- */

static bool all_digits(const char *s)
{
        return *s && strspn(s, "0123456789") == strlen(s);
}

/* uid_t and gid_t are both id_t: one function checks parse_uid() and parse_gid(). */
_Static_assert(__builtin_types_compatible_p(uid_t, id_t) &&
                   __builtin_types_compatible_p(gid_t, id_t),
               "uid_t and gid_t are id_t");

/* A uid, or with `group` a gid: a number, or a name from the user or group database. */
static void fuzz_id(const char *s, bool group)
{
        const char *parser = group ? "parse_gid" : "parse_uid";
        id_t id = 4242, want = 0;
        unsigned long long n = 0;
        enum verdict v;
        int r, e;

        if (all_digits(s)) {
                /* (id_t)-1 means "no change" to setresuid() and setresgid(): it is no id. */
                v = ref_number(s, strlen(s), (id_t)-2, &n);
                want = (id_t)n;
        } else {
                struct passwd *pw = group ? NULL : getpwnam(s);
                struct group *gr = group ? getgrnam(s) : NULL;

                v = pw || gr ? GOOD : BAD;
                want = pw ? pw->pw_uid : gr ? gr->gr_gid : 0;
        }
        errno = 0;
        r = group ? parse_gid(s, &id) : parse_uid(s, &id);
        e = errno;
        /* An unknown name is ENOENT (or the lookup's own errno), not EINVAL. */
        if (r < 0 && v == BAD && !all_digits(s) && e != 0)
                e = EINVAL;
        check_verdict(parser, s, r, e, v, id == want, id == 4242);
        if (r == 0 && s[0] == '-')
                report(parser, s, group ? "accepted a negative gid" : "accepted a negative uid");
}

static void fuzz_umask(const char *s)
{
        mode_t mask = 01000, want = 0;
        size_t len = strlen(s);
        enum verdict v = BAD;
        int r, e;

        /* At most four octal digits, at most 0777. */
        if (len >= 1 && len <= 4 && strspn(s, "01234567") == len) {
                want = (mode_t)strtoul(s, NULL, 8);
                v = want <= 0777 ? GOOD : TOO_BIG;
        }
        errno = 0;
        r = parse_umask(s, &mask);
        e = errno;
        check_verdict("parse_umask", s, r, e, v, mask == want, mask == 01000);
}

static void fuzz_fd(const char *s)
{
        unsigned long long n = 0;
        enum verdict v = ref_number(s, strlen(s), INT_MAX, &n);
        int fd = -9, r, e;

        errno = 0;
        r = parse_fd(s, &fd);
        e = errno;
        check_verdict("parse_fd", s, r, e, v, fd == (int)n, fd == -9);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = malloc(size + 1);

        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = '\0';
        input = s;
        fuzz_duration(s);
        fuzz_signal(s);
        fuzz_rlimit(s);
        fuzz_id(s, false);
        fuzz_id(s, true);
        fuzz_umask(s);
        fuzz_fd(s);
        free(s);
        return 0;
}
