/* The identity options of the subproc tool (issue 14), spelled as the tools people know them
 * from: --user NAME as runuser and start-stop-daemon --chuid (uid, primary gid and groups);
 * --groups, --init-groups, --keep-groups and the capability lists of --ambient-caps,
 * --inh-caps and --bounding-set as setpriv(1) takes them ("+net_bind_service,-all"). */
#include "identity.h"

#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "parse.h"

/* <linux/capability.h>'s names, by number, as setpriv and capsh print them without "cap_". */
static const char *const cap_names[] = {
        "chown",
        "dac_override",
        "dac_read_search",
        "fowner",
        "fsetid",
        "kill",
        "setgid",
        "setuid",
        "setpcap",
        "linux_immutable",
        "net_bind_service",
        "net_broadcast",
        "net_admin",
        "net_raw",
        "ipc_lock",
        "ipc_owner",
        "sys_module",
        "sys_rawio",
        "sys_chroot",
        "sys_ptrace",
        "sys_pacct",
        "sys_admin",
        "sys_boot",
        "sys_nice",
        "sys_resource",
        "sys_time",
        "sys_tty_config",
        "mknod",
        "lease",
        "audit_write",
        "audit_control",
        "setfcap",
        "mac_override",
        "mac_admin",
        "syslog",
        "wake_alarm",
        "block_suspend",
        "audit_read",
        "perfmon",
        "bpf",
        "checkpoint_restore",
};
#define N_CAP_NAMES ((int)(sizeof cap_names / sizeof cap_names[0]))

/* The kernel's highest capability; the names' last where /proc does not say. */
static int last_cap(void)
{
        static int known = -1;
        FILE *f;
        int last = -1;

        if (known >= 0)
                return known;
        f = fopen("/proc/sys/kernel/cap_last_cap", "re");
        if (f) {
                if (fscanf(f, "%d", &last) != 1)
                        last = -1;
                fclose(f);
        }
        known = last >= 0 && last < 64 ? last : N_CAP_NAMES - 1;
        return known;
}

/* One capability: a name (any case, "cap_" or not) or a number up to the kernel's last. */
static int cap_number(const char *s, size_t len)
{
        char word[64];
        unsigned long n;
        char *end;

        if (len == 0 || len >= sizeof word)
                return -1;
        memcpy(word, s, len);
        word[len] = '\0';
        if (strncasecmp(word, "cap_", 4) == 0)
                memmove(word, word + 4, len - 3);
        for (int i = 0; i < N_CAP_NAMES; i++)
                if (strcasecmp(word, cap_names[i]) == 0)
                        return i <= last_cap() ? i : -1;
        if (word[0] < '0' || word[0] > '9')
                return -1;
        errno = 0;
        n = strtoul(word, &end, 10);
        if (errno || *end || n > (unsigned long)last_cap())
                return -1;
        return (int)n;
}

/* setpriv's list: "+cap,-cap,+all,-all", applied in order to `set`. */
static int parse_caps(const char *s, uint64_t set, uint64_t *ret)
{
        const uint64_t all = last_cap() >= 63 ? UINT64_MAX : (UINT64_C(1) << (last_cap() + 1)) - 1;

        for (;;) {
                size_t len = strcspn(s, ",");
                bool add = s[0] == '+';
                uint64_t bits;
                int cap;

                if (s[0] != '+' && s[0] != '-')
                        return -1;
                if (len == 4 && strncasecmp(s + 1, "all", 3) == 0)
                        bits = all;
                else if ((cap = cap_number(s + 1, len - 1)) >= 0)
                        bits = UINT64_C(1) << cap;
                else
                        return -1;
                set = add ? set | bits : set & ~bits;
                if (!s[len])
                        break;
                s += len + 1;
        }
        *ret = set;
        return 0;
}

/* "GROUP,GROUP,...": names or numbers, as setpriv --groups. */
static int parse_groups(struct options *o, const char *arg)
{
        size_t n = 1;
        char *copy, *word, *save = NULL;

        for (const char *p = arg; *p; p++)
                n += *p == ',';
        free(o->groups);
        o->groups = calloc(n, sizeof *o->groups);
        copy = strdup(arg);
        if (!o->groups || !copy) {
                free(copy);
                return usage_error("out of memory");
        }
        o->n_groups = 0;
        for (word = strtok_r(copy, ",", &save); word; word = strtok_r(NULL, ",", &save)) {
                if (parse_gid(word, &o->groups[o->n_groups]) < 0) {
                        int r = errno == ENOENT
                                        ? usage_error("no such group '%.64s' for --groups", word)
                                        : usage_error("invalid group '%.64s' for --groups", word);

                        free(copy);
                        return r;
                }
                o->n_groups++;
        }
        free(copy);
        if (o->n_groups != n)
                return usage_error("invalid group list '%.64s%s' for --groups: an empty name", arg,
                                   strlen(arg) > 64 ? "..." : "");
        if (sysconf(_SC_NGROUPS_MAX) > 0 && n > (size_t)sysconf(_SC_NGROUPS_MAX))
                return usage_error("--groups: %zu groups are more than the system allows (%ld)", n,
                                   sysconf(_SC_NGROUPS_MAX));
        o->has_groups = true;
        return 0;
}

static int caps_option(const char *name, const char *arg, bool *has, uint64_t start, uint64_t *ret)
{
        /* At most 64 bytes of it: a long list must not push the option's name out. */
        if (parse_caps(arg, start, ret) < 0)
                return usage_error("invalid capability list '%.64s%s' for --%s: give +CAP or -CAP "
                                   "items (CAP a name such as net_bind_service, a number, or "
                                   "all), separated by commas",
                                   arg, strlen(arg) > 64 ? "..." : "", name);
        *has = true;
        return 0;
}

int identity_option(struct options *o, const char *name, const char *arg)
{
        if (strcmp(name, "user") == 0) {
                uid_t uid;
                gid_t gid;
                bool has_passwd = false;

                /* Here, so the message is ours; the library looks it up again. */
                if (!*arg || parse_user(arg, &uid, &gid, &has_passwd) < 0 || !has_passwd)
                        return usage_error("no such user '%s' for --user", arg);
                o->user = arg;
        } else if (strcmp(name, "groups") == 0) {
                return parse_groups(o, arg);
        } else if (strcmp(name, "init-groups") == 0) {
                o->init_groups = true;
        } else if (strcmp(name, "keep-groups") == 0) {
                o->keep_groups = true;
        } else if (strcmp(name, "ambient-caps") == 0) {
                return caps_option(name, arg, &o->has_ambient_caps, o->ambient_caps,
                                   &o->ambient_caps);
        } else if (strcmp(name, "inh-caps") == 0) {
                return caps_option(name, arg, &o->has_inh_caps, o->inh_caps, &o->inh_caps);
        } else if (strcmp(name, "bounding-set") == 0) {
                /* setpriv: the bounding set starts full. */
                return caps_option(name, arg, &o->has_bounding_set,
                                   o->has_bounding_set ? o->bounding_set : UINT64_MAX,
                                   &o->bounding_set);
        }
        return 0;
}

static int check_caps(const struct options *o)
{
        const uint64_t kept = o->has_ambient_caps ? o->ambient_caps : 0;
        uint64_t bounding = o->bounding_set;

        if (last_cap() < 63)
                bounding &= (UINT64_C(1) << (last_cap() + 1)) - 1;
        /* The kernel raises into the ambient set only what is inheritable too; here the kept
         * capabilities are both at once, so setpriv's pair must agree. */
        if (o->has_inh_caps && (!o->has_ambient_caps || o->inh_caps != o->ambient_caps))
                return usage_error("--inh-caps must name the same capabilities as --ambient-caps: "
                                   "the capabilities kept are inheritable and ambient together");
        if (o->has_bounding_set && bounding != 0 && bounding != kept)
                return usage_error("--bounding-set can drop every capability (-all) or every one "
                                   "but those of --ambient-caps, nothing in between");
        if (o->has_bounding_set && bounding == 0 && kept != 0)
                return usage_error("--bounding-set -all would drop the --ambient-caps "
                                   "capabilities too: add them back (-all,+CAP...)");
        return 0;
}

static int check_groups(const struct options *o)
{
        if (o->has_groups + o->init_groups + o->keep_groups > 1)
                return usage_error("--groups, --init-groups and --keep-groups are mutually "
                                   "exclusive");
        if (o->user && (o->has_groups || o->keep_groups))
                return usage_error("--user gives the user's own groups: for others use --uid "
                                   "with --groups or --keep-groups");
        if (o->init_groups && !o->user && !o->has_uid)
                return usage_error("--init-groups needs --uid: the user whose groups to take");
        if (o->init_groups && o->has_uid && !o->uid_has_passwd)
                return usage_error("--init-groups: uid %u is in no passwd entry, so it has no "
                                   "groups to take",
                                   (unsigned)o->uid);
        return 0;
}

int check_identity(const struct options *o)
{
        if (o->mode != MODE_RUN)
                return 0;
        if (o->user && o->has_uid)
                return usage_error("--user and --uid both say whom to run as: give one");
        if (check_groups(o) < 0 || check_caps(o) < 0)
                return -1;
        return 0;
}

/* The passwd entry of --user (a name, or a number with an entry), or of --uid. */
static struct passwd *user_entry(const struct options *o)
{
        const char *s = o->user;

        if (!s)
                return getpwuid(o->uid);
        if (strspn(s, "0123456789") == strlen(s)) {
                struct passwd *pw = getpwnam(s);
                uid_t uid;

                if (pw || parse_uid(s, &uid) < 0)
                        return pw;
                return getpwuid(uid);
        }
        return getpwnam(s);
}

/* The groups of the user of `pw` (getgrouplist, its primary group among them) into *o.  0, or
 * -1 having said why not. */
static int take_user_groups(struct options *o, const struct passwd *pw)
{
        int n = 32;

        for (int tries = 0; tries < 8; tries++) {
                gid_t *list = calloc((size_t)n, sizeof *list);
                int got = n, r;

                if (!list)
                        return usage_error("out of memory");
#ifdef __APPLE__ /* macOS declares the groups as int */
                r = getgrouplist(pw->pw_name, (int)pw->pw_gid, (int *)list, &got);
#else
                r = getgrouplist(pw->pw_name, pw->pw_gid, list, &got);
#endif
                if (r >= 0) {
                        free(o->groups);
                        o->groups = list;
                        o->n_groups = (size_t)got;
                        return 0;
                }
                free(list);
                n = got > n ? got : n * 2;
        }
        say("cannot list the groups of user '%s'", pw->pw_name);
        return -1;
}

/* The groups the program gets, into o->groups: --groups' own; the user's for --user and
 * --init-groups; ours for --keep-groups with a uid or gid change.  Returns 0 (has_groups then
 * says whether there is a list), or -1 having said why not. */
static int resolve_groups(struct options *o)
{
        struct passwd *pw;
        int n;

        if (o->has_groups)
                return 0;
        if (o->user || o->init_groups) {
                errno = 0;
                pw = user_entry(o);
                if (!pw) {
                        say("no such user '%s'", o->user ? o->user : "?");
                        return -1;
                }
                if (take_user_groups(o, pw) < 0)
                        return -1;
                o->has_groups = true;
                return 0;
        }
        if (!o->keep_groups || (!o->has_uid && !o->has_gid))
                return 0; /* a uid or gid change drops them, nothing else changes them */
        n = getgroups(0, NULL);
        free(o->groups);
        o->groups = calloc((size_t)(n > 0 ? n : 1), sizeof *o->groups);
        if (n < 0 || !o->groups || (n = getgroups(n, o->groups)) < 0) {
                say("cannot list our groups for --keep-groups: %s", strerror(errno));
                return -1;
        }
        o->n_groups = (size_t)n;
        o->has_groups = true;
        return 0;
}

void apply_identity(subproc *c, const struct options *o)
{
        int caps[64];
        size_t n = 0;

        if (o->user) {
                subproc_set_user(c, o->user);
                if (o->has_gid)
                        subproc_set_gid(c, o->gid);
        }
        if (o->has_groups && !o->user)
                subproc_set_groups(c, o->groups, o->n_groups);
        if (o->has_ambient_caps) {
                for (int cap = 0; cap < 64; cap++)
                        if ((o->ambient_caps >> cap) & 1)
                                caps[n++] = cap;
                subproc_keep_caps(c, caps, n);
        }
        if (o->has_bounding_set)
                subproc_clear_caps(c);
}

/* "+net_bind_service,+net_raw" for a set (at most 64 names). */
static void caps_text(uint64_t set, const char *prefix, char *buf, size_t size)
{
        size_t len = (size_t)snprintf(buf, size, "%s", prefix);

        for (int cap = 0; cap < 64 && len < size; cap++) {
                if (!((set >> cap) & 1))
                        continue;
                if (cap < N_CAP_NAMES)
                        len += (size_t)snprintf(buf + len, size - len, "%s+%s", len ? "," : "",
                                                cap_names[cap]);
                else
                        len += (size_t)snprintf(buf + len, size - len, "%s+%d", len ? "," : "",
                                                cap);
        }
}

int print_identity(const struct options *o, int fd)
{
        struct options r = *o;
        struct passwd *pw;
        char caps[64 * 24];
        int n;

        if (!o->user && !o->has_uid && !o->has_gid && !o->has_groups && !o->init_groups &&
            !o->keep_groups && !o->has_ambient_caps && !o->has_bounding_set)
                return 0;
        r.groups = NULL; /* resolve_groups() may replace the list: our own copy */
        if (o->has_groups) {
                r.groups = calloc(o->n_groups + 1, sizeof *r.groups);
                if (!r.groups) {
                        say("out of memory");
                        return EXIT_OURS;
                }
                memcpy(r.groups, o->groups, o->n_groups * sizeof *r.groups);
        }
        if (o->user) {
                errno = 0;
                pw = user_entry(o);
                if (!pw) {
                        free(r.groups);
                        say("unknown user '%s'", o->user);
                        return EXIT_OURS;
                }
                r.has_uid = true;
                r.uid = pw->pw_uid;
                if (!o->has_gid)
                        r.gid = pw->pw_gid;
                r.has_gid = true;
        }
        if (resolve_groups(&r) < 0) {
                free(r.groups);
                return EXIT_OURS;
        }
        n = dprintf(fd, "#");
        if (r.has_uid)
                n = dprintf(fd, " uid=%u", (unsigned)r.uid);
        if (n >= 0 && r.has_gid)
                n = dprintf(fd, " gid=%u", (unsigned)r.gid);
        if (n >= 0 && (r.has_groups || r.has_uid || r.has_gid))
                n = dprintf(fd, " groups=");
        for (size_t i = 0; n >= 0 && r.has_groups && i < r.n_groups; i++)
                n = dprintf(fd, "%s%u", i ? "," : "", (unsigned)r.groups[i]);
        free(r.groups);
        if (n >= 0 && o->has_ambient_caps) {
                caps_text(o->ambient_caps, "", caps, sizeof caps);
                n = dprintf(fd, " ambient-caps=%s", *caps ? caps : "-all");
        }
        if (n >= 0 && o->has_bounding_set) {
                caps_text(o->has_ambient_caps ? o->ambient_caps : 0, "-all", caps, sizeof caps);
                n = dprintf(fd, " bounding-set=%s", caps);
        }
        if (n >= 0)
                n = dprintf(fd, "\n");
        if (n >= 0)
                return 0;
        say("cannot write the command line: %s", strerror(errno));
        return EXIT_OURS;
}

/* For parse_options(), after check_identity(): the lists --init-groups and --keep-groups
 * stand for, taken now. */
int finish_identity(struct options *o)
{
        if (o->mode != MODE_RUN || o->user || (!o->init_groups && !o->keep_groups))
                return 0;
        return resolve_groups(o);
}
