/* The builder's identity options (issue 14): a user with its groups, explicit supplementary
 * groups, capabilities kept across the uid change.  Names are looked up here, in the caller,
 * when the option is set: the child can do no lookup (NSS loads modules, allocates, locks). */
#include "command.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The kernel's limit on supplementary groups (65536 on Linux), which setgroups() enforces.
 * A constant of the running kernel (read-only), which glibc reads from /proc each time: kept
 * after the first read, so a command made per spawn pays no open, read and close for it
 * (issue 17).  Any thread may store it; they all store the same value. */
static size_t groups_max(void)
{
        static long cached;
        long n = __atomic_load_n(&cached, __ATOMIC_RELAXED);

        if (n <= 0) {
                n = sysconf(_SC_NGROUPS_MAX);
                if (n > 0)
                        __atomic_store_n(&cached, n, __ATOMIC_RELAXED);
        }
        return n > 0 ? (size_t)n : NGROUPS_MAX;
}

/* Replace the command's supplementary groups with a copy of groups[0..n). */
static void store_groups(subproc *c, const gid_t *groups, size_t n)
{
        gid_t *copy = malloc((n ? n : 1) * sizeof *copy);

        if (!copy) {
                sp_command_fail(c, ENOMEM, "out of memory setting %zu supplementary groups", n);
                return;
        }
        if (n)
                memcpy(copy, groups, n * sizeof *copy);
        free(c->cfg.groups);
        c->cfg.groups = copy;
        c->cfg.ngroups = n;
        c->cfg.has_groups = true;
}

void subproc_set_groups(subproc *c, const gid_t *groups, size_t n)
{
        if (sp_command_broken(c))
                return;
        if (n > 0 && !groups) {
                sp_command_fail(c, EINVAL, "the supplementary group list is NULL (%zu groups)", n);
                return;
        }
        if (n > groups_max()) {
                sp_command_fail(c, EINVAL,
                                "%zu supplementary groups are more than the system allows (%zu)", n,
                                groups_max());
                return;
        }
        for (size_t i = 0; i < n; i++) {
                if (groups[i] == (gid_t)-1) {
                        sp_command_fail(c, EINVAL, "supplementary group %zu is -1, not a group", i);
                        return;
                }
        }
        store_groups(c, groups, n);
}

static bool all_digits(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (*s < '0' || *s > '9')
                        return false;
        return true;
}

/* user's passwd entry into *pw (strings in *buf, which the caller frees): 0, ENOENT when
 * there is none, or the lookup's error.  A name first; a decimal uid with an entry too, as
 * setpriv --reuid and start-stop-daemon --chuid take either. */
static int find_user(const char *user, struct passwd *pw, char **buf)
{
        long size = sysconf(_SC_GETPW_R_SIZE_MAX);
        size_t len = size > 0 ? (size_t)size : 1024;
        struct passwd *found = NULL;
        int r;

        for (;;) {
                char *grown = realloc(*buf, len);

                if (!grown)
                        return ENOMEM;
                *buf = grown;
                r = getpwnam_r(user, pw, *buf, len, &found);
                if (r == 0 && !found && all_digits(user) && strlen(user) < 11) {
                        unsigned long uid = strtoul(user, NULL, 10);

                        if ((uid_t)uid == uid && (uid_t)uid != (uid_t)-1)
                                r = getpwuid_r((uid_t)uid, pw, *buf, len, &found);
                }
                if (r != ERANGE || len > (1u << 20))
                        break;
                len *= 2;
        }
        if (r == 0 && !found)
                return ENOENT;
        return r;
}

/* macOS declares the groups as int. */
static int getgrouplist_of(const char *name, gid_t gid, gid_t *list, int *n)
{
#ifdef __APPLE__
        return getgrouplist(name, (int)gid, (int *)list, n);
#else
        return getgrouplist(name, gid, list, n);
#endif
}

/* The groups `name` is in (its primary group `gid` among them) into *ret (malloc'd), their
 * number into *ret_n: 0, or an errno. */
static int user_groups(const char *name, gid_t gid, gid_t **ret, size_t *ret_n)
{
        int n = 32;

        for (;;) {
                gid_t *list = malloc((size_t)n * sizeof *list);
                int got = n;

                if (!list)
                        return ENOMEM;
                if (getgrouplist_of(name, gid, list, &got) >= 0) {
                        if ((size_t)got > groups_max()) {
                                free(list);
                                return E2BIG;
                        }
                        *ret = list;
                        *ret_n = (size_t)got;
                        return 0;
                }
                free(list);
                /* -1: more than n; got says how many (glibc, musl), or is left as it was. */
                if ((size_t)n > groups_max())
                        return E2BIG;
                n = got > n ? got : n * 2;
        }
}

void subproc_set_user(subproc *c, const char *user)
{
        struct passwd pw;
        char *buf = NULL;
        gid_t *groups = NULL;
        size_t n = 0;
        int r;

        if (sp_command_broken(c))
                return;
        if (!user || !*user) {
                sp_command_fail(c, EINVAL, "the user name is %s", user ? "empty" : "NULL");
                return;
        }
        r = find_user(user, &pw, &buf);
        if (r == ENOENT)
                sp_command_fail(c, EINVAL, "unknown user '%s'", user);
        else if (r != 0)
                sp_command_fail(c, r, "cannot look up user '%s': %s", user, strerror(r));
        else if ((r = user_groups(pw.pw_name, pw.pw_gid, &groups, &n)) == E2BIG)
                sp_command_fail(c, EINVAL,
                                "user '%s' is in more supplementary groups than the system "
                                "allows (%zu)",
                                user, groups_max());
        else if (r != 0)
                sp_command_fail(c, r, "cannot list the groups of user '%s': %s", user, strerror(r));
        else if (pw.pw_uid == (uid_t)-1 || pw.pw_gid == (gid_t)-1)
                sp_command_fail(c, EINVAL, "user '%s' has uid or gid -1", user);
        else
                subproc_set_groups(c, groups, n);
        if (!sp_command_broken(c)) {
                c->cfg.uid = pw.pw_uid;
                c->cfg.gid = pw.pw_gid;
                c->cfg.has_uid = c->cfg.has_gid = true;
        }
        free(groups);
        free(buf);
}

/* The kernel's highest capability number: capabilities above it are refused at once.  A
 * constant of the running kernel, kept after the first read as groups_max() is. */
static int last_cap(void)
{
        static int cached = -1;
        int last = __atomic_load_n(&cached, __ATOMIC_RELAXED);
        FILE *f;

        if (last >= 0)
                return last;
        f = fopen("/proc/sys/kernel/cap_last_cap", "re");
        if (f) {
                if (fscanf(f, "%d", &last) != 1)
                        last = -1;
                fclose(f);
        }
        if (last >= 0 && last < 64)
                __atomic_store_n(&cached, last, __ATOMIC_RELAXED);
        return last >= 0 && last < 64 ? last : 63;
}

void subproc_keep_caps(subproc *c, const int *caps, size_t n)
{
        uint64_t set = 0;
        int last;

        if (sp_command_broken(c))
                return;
        if (n > 0 && !caps) {
                sp_command_fail(c, EINVAL, "the capability list is NULL (%zu capabilities)", n);
                return;
        }
        last = n ? last_cap() : 63;
        for (size_t i = 0; i < n; i++) {
                if (caps[i] < 0 || caps[i] > last) {
                        sp_command_fail(c, EINVAL,
                                        "capability %d is out of range (0 to %d on this system)",
                                        caps[i], last);
                        return;
                }
                set |= UINT64_C(1) << caps[i];
        }
        c->cfg.keep_caps = set;
        c->cfg.has_keep_caps = true;
}
