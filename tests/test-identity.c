/* Tests of the child's identity (issue 14): subproc_set_user() gives the user's uid, primary
 * gid and supplementary groups, subproc_set_groups() exactly the groups given,
 * subproc_keep_caps() exactly the capabilities kept across the uid change (an unprivileged
 * program binds port 80); and every refusal: bad input at once (EINVAL), a caller without the
 * privilege at run time (EPERM naming the step, the program never running).
 *
 * The cases that change credentials need root and skip with a message otherwise; the user
 * and groups of test_set_user are made for it (useradd, groupadd) and removed again.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/support.h"

#define NOBODY 65534
#define NO_CAPS "0000000000000000"
#define NET_BIND_ONLY "0000000000000400"    /* CAP_NET_BIND_SERVICE, 10 */
#define NET_BIND_AND_RAW "0000000000002400" /* and CAP_NET_RAW, 13 */

static struct helper_report *run_helper(subproc *c)
{
        char *out = NULL;

        return t_run_report(c, &out);
}

/* The supplementary groups the helper reported, sorted, into groups[0..max); their number. */
static size_t reported_groups(const struct helper_report *r, long *groups, size_t max)
{
        long n = t_report_get_int(r, "ngroups");
        size_t k = t_report_count(r, "group");

        assert_true(n >= 0 && (size_t)n <= max);
        assert_ll_equal(k, n);
        for (size_t i = 0; i < k; i++)
                groups[i] = strtol(t_report_nth(r, "group", i), NULL, 10);
        for (size_t i = 1; i < k; i++)
                for (size_t j = i; j > 0 && groups[j - 1] > groups[j]; j--) {
                        long t = groups[j];

                        groups[j] = groups[j - 1];
                        groups[j - 1] = t;
                }
        return k;
}

static void check_groups(const struct helper_report *r, const long *expected, size_t n)
{
        long got[64];
        size_t k = reported_groups(r, got, 64);

        if (k != n)
                print_error("%zu groups reported, expected %zu\n", k, n);
        assert_ll_equal(k, n);
        for (size_t i = 0; i < n; i++)
                assert_ll_equal(got[i], expected[i]);
}

static void check_ids(const struct helper_report *r, long uid, long gid)
{
        assert_ll_equal(t_report_get_int(r, "uid"), uid);
        assert_ll_equal(t_report_get_int(r, "euid"), uid);
        assert_ll_equal(t_report_get_int(r, "suid"), uid);
        assert_ll_equal(t_report_get_int(r, "gid"), gid);
        assert_ll_equal(t_report_get_int(r, "egid"), gid);
        assert_ll_equal(t_report_get_int(r, "sgid"), gid);
}

/* ---------------------------------------------------------------------------------------
 * A user and groups of the test's own
 * ------------------------------------------------------------------------------------- */

struct test_user {
        char name[32];
        char group[3][32]; /* primary, two supplementary */
        long uid;
        long gid[3];
};

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int sh(const char *fmt, ...)
{
        char cmd[512];
        va_list ap;
        int status;

        va_start(ap, fmt);
        vsnprintf(cmd, sizeof cmd, fmt, ap);
        va_end(ap);
        status = system(cmd);
        return status == 0 ? 0 : -1;
}

static void remove_user(const struct test_user *u)
{
        (void)sh("userdel %s >/dev/null 2>&1", u->name);
        for (int i = 0; i < 3; i++)
                (void)sh("groupdel %s >/dev/null 2>&1", u->group[i]);
}

/* The user make_user() made, removed by the case's teardown even when the case fails. */
static struct test_user *made_user;

static int user_teardown(void **state)
{
        if (made_user)
                remove_user(made_user);
        made_user = NULL;
        return t_teardown(state);
}

/* Skips (with a message) where the tools are missing. */
static void make_user(struct test_user *u)
{
        struct passwd *pw;
        int pid = (int)getpid();

        snprintf(u->name, sizeof u->name, "spid%d", pid);
        for (int i = 0; i < 3; i++)
                snprintf(u->group[i], sizeof u->group[i], "spid%d-g%d", pid, i);
        remove_user(u);
        made_user = u;
        for (int i = 0; i < 3; i++) {
                if (sh("groupadd %s >/dev/null 2>&1", u->group[i]) != 0) {
                        remove_user(u);
                        print_message("skipped: groupadd failed\n");
                        skip();
                }
                u->gid[i] = (long)getgrnam(u->group[i])->gr_gid;
        }
        if (sh("useradd -M -N -s /bin/false -g %s -G %s,%s %s >/dev/null 2>&1", u->group[0],
               u->group[1], u->group[2], u->name) != 0) {
                remove_user(u);
                print_message("skipped: useradd failed\n");
                skip();
        }
        pw = getpwnam(u->name);
        assert_non_null(pw);
        u->uid = (long)pw->pw_uid;
}

/* ---------------------------------------------------------------------------------------
 * subproc_set_user, subproc_set_groups
 * ------------------------------------------------------------------------------------- */

static void test_set_user(void **state)
{
        static struct test_user u; /* outlives the case, for user_teardown() */
        struct helper_report *r;
        long groups[3];
        char uid_text[24];
        subproc *c;

        t_require_root();
        make_user(&u);
        memcpy(groups, u.gid, sizeof groups);
        for (size_t i = 1; i < 3; i++) /* sorted, as reported_groups() sorts */
                for (size_t j = i; j > 0 && groups[j - 1] > groups[j]; j--) {
                        long t = groups[j];

                        groups[j] = groups[j - 1];
                        groups[j - 1] = t;
                }

        /* By name: its uid, its primary group, and its groups (the primary one among them,
         * as initgroups() and getgrouplist() give it). */
        c = subproc_new(HELPER_PATH);
        subproc_set_user(c, u.name);
        r = run_helper(c);
        check_ids(r, u.uid, u.gid[0]);
        check_groups(r, groups, 3);
        t_report_free(r);
        subproc_free(c);

        /* By number, as setpriv --reuid and start-stop-daemon --chuid take it. */
        snprintf(uid_text, sizeof uid_text, "%ld", u.uid);
        c = subproc_new(HELPER_PATH);
        subproc_set_user(c, uid_text);
        r = run_helper(c);
        check_ids(r, u.uid, u.gid[0]);
        check_groups(r, groups, 3);
        t_report_free(r);
        subproc_free(c);

        /* A later subproc_set_gid() or subproc_set_groups() replaces that part only. */
        c = subproc_new(HELPER_PATH);
        subproc_set_user(c, u.name);
        subproc_set_gid(c, (gid_t)u.gid[1]);
        subproc_set_groups(c, (const gid_t[]){ (gid_t)u.gid[2] }, 1);
        r = run_helper(c);
        check_ids(r, u.uid, u.gid[1]);
        check_groups(r, &u.gid[2], 1);
        t_report_free(r);
        subproc_free(c);
}

/* What subproc_set_uid() alone gives, for contrast: no groups at all (and the caller's gid). */
static void test_set_uid_alone_drops_groups(void **state)
{
        struct helper_report *r;
        subproc *c;

        t_require_root();
        c = subproc_new(HELPER_PATH);
        subproc_set_uid(c, NOBODY);
        r = run_helper(c);
        check_groups(r, NULL, 0);
        t_report_free(r);
        subproc_free(c);
}

static void test_set_groups(void **state)
{
        static const gid_t some[] = { 27, 4, 24 };
        static const long sorted[] = { 4, 24, 27 };
        struct helper_report *r;
        subproc *c;

        t_require_root();
        /* With a uid change: exactly these, not none. */
        c = subproc_new(HELPER_PATH);
        subproc_set_gid(c, NOBODY);
        subproc_set_uid(c, NOBODY);
        subproc_set_groups(c, some, 3);
        r = run_helper(c);
        check_ids(r, NOBODY, NOBODY);
        check_groups(r, sorted, 3);
        t_report_free(r);
        subproc_free(c);

        /* Alone: root keeps its ids and gets these groups. */
        c = subproc_new(HELPER_PATH);
        subproc_set_groups(c, some, 3);
        r = run_helper(c);
        check_ids(r, 0, (long)getgid());
        check_groups(r, sorted, 3);
        t_report_free(r);
        subproc_free(c);

        /* An empty list drops them, and the list is a copy: set again, it is replaced. */
        assert_ll_equal(setgroups(3, some), 0);
        c = subproc_new(HELPER_PATH);
        subproc_set_groups(c, some, 3);
        subproc_set_groups(c, NULL, 0);
        r = run_helper(c);
        assert_ll_equal(setgroups(0, NULL), 0);
        check_groups(r, NULL, 0);
        t_report_free(r);
        subproc_free(c);
}

/* ---------------------------------------------------------------------------------------
 * subproc_keep_caps
 * ------------------------------------------------------------------------------------- */

static void check_caps(const struct helper_report *r, const char *prm_inh_eff_amb)
{
        static const char *const keys[] = { "capprm", "capinh", "capeff", "capamb" };

        for (size_t i = 0; i < 4; i++) {
                const char *value = t_report_get(r, keys[i]);

                if (!value || strcmp(value, prm_inh_eff_amb) != 0)
                        print_error("%s is %s, expected %s\n", keys[i], value ? value : "missing",
                                    prm_inh_eff_amb);
                assert_string_equal(value, prm_inh_eff_amb);
        }
}

/* Bound to port 80, or found it taken by another: either way past the privilege check. */
static bool bound_port_80(const struct helper_report *r)
{
        long e = t_report_get_int(r, "bind[80]");

        return e == 0 || e == EADDRINUSE;
}

static void test_keep_caps_unprivileged_binds_port_80(void **state)
{
        static const int net_bind[] = { CAP_NET_BIND_SERVICE };
        struct helper_report *r;
        subproc *c;

        t_require_root();
        /* Without it, nobody cannot bind port 80: the check below means something. */
        c = subproc_new_args(HELPER_PATH, "--bind-port=80", NULL);
        subproc_set_gid(c, NOBODY);
        subproc_set_uid(c, NOBODY);
        r = run_helper(c);
        assert_ll_equal(t_report_get_int(r, "bind[80]"), EACCES);
        check_caps(r, NO_CAPS);
        t_report_free(r);
        subproc_free(c);

        c = subproc_new_args(HELPER_PATH, "--bind-port=80", NULL);
        subproc_set_gid(c, NOBODY);
        subproc_set_uid(c, NOBODY);
        subproc_keep_caps(c, net_bind, 1);
        r = run_helper(c);
        check_ids(r, NOBODY, NOBODY);
        check_caps(r, NET_BIND_ONLY);
        assert_true(bound_port_80(r));
        /* The bounding set is left alone without subproc_clear_caps(). */
        assert_string_not_equal(t_report_get(r, "capbnd"), NET_BIND_ONLY);
        t_report_free(r);
        subproc_free(c);
}

static void test_keep_caps_with_clear_caps(void **state)
{
        static const int two[] = { CAP_NET_RAW, CAP_NET_BIND_SERVICE };
        struct helper_report *r;
        subproc *c;

        t_require_root();
        c = subproc_new_args(HELPER_PATH, "--bind-port=80", NULL);
        subproc_clear_caps(c);
        subproc_set_uid(c, NOBODY);
        subproc_set_gid(c, NOBODY);
        subproc_keep_caps(c, two, 2);
        r = run_helper(c);
        check_caps(r, NET_BIND_AND_RAW);
        /* Emptied but for the kept ones, which must stay there to be inheritable. */
        assert_string_equal(t_report_get(r, "capbnd"), NET_BIND_AND_RAW);
        assert_true(bound_port_80(r));
        t_report_free(r);
        subproc_free(c);
}

/* Without a uid change the child is root, whose exec the kernel gives the whole bounding set:
 * with subproc_clear_caps() that is the kept ones, and root keeps these and no more. */
static void test_keep_caps_as_root(void **state)
{
        static const int net_bind[] = { CAP_NET_BIND_SERVICE };
        struct helper_report *r;
        subproc *c;

        t_require_root();
        c = subproc_new(HELPER_PATH);
        subproc_keep_caps(c, net_bind, 1);
        subproc_clear_caps(c);
        r = run_helper(c);
        check_ids(r, 0, (long)getgid());
        check_caps(r, NET_BIND_ONLY);
        assert_string_equal(t_report_get(r, "capbnd"), NET_BIND_ONLY);
        t_report_free(r);
        subproc_free(c);

        /* None kept, as nobody: every set but the bounding set empty. */
        c = subproc_new(HELPER_PATH);
        subproc_set_uid(c, NOBODY);
        subproc_keep_caps(c, NULL, 0);
        r = run_helper(c);
        check_caps(r, NO_CAPS);
        assert_string_not_equal(t_report_get(r, "capbnd"), NO_CAPS);
        t_report_free(r);
        subproc_free(c);
}

/* ---------------------------------------------------------------------------------------
 * Refusals
 * ------------------------------------------------------------------------------------- */

static void test_bad_input(void **state)
{
        static const int bad_caps[] = { -1, 64, 1000 };
        const gid_t with_minus_one[] = { 4, (gid_t)-1 };
        size_t huge = (size_t)sysconf(_SC_NGROUPS_MAX) + 1;
        gid_t *many = calloc(huge, sizeof *many);
        subproc *c;
        char name[64];

        assert_non_null(many);
        snprintf(name, sizeof name, "no-such-user-%d", (int)getpid());
        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_set_user(c, name);
        assert_run_fails(c, EINVAL, name);
        subproc_free(c);
        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_set_user(c, "4294967295");
        assert_run_fails(c, EINVAL, "unknown user");
        subproc_free(c);
        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_set_user(c, "");
        assert_run_fails(c, EINVAL, "empty");
        subproc_free(c);
        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_set_user(c, NULL);
        assert_run_fails(c, EINVAL, "NULL");
        subproc_free(c);

        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_set_groups(c, many, huge);
        assert_run_fails(c, EINVAL, "more than the system allows");
        subproc_free(c);
        free(many);
        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_set_groups(c, NULL, 2);
        assert_run_fails(c, EINVAL, "NULL");
        subproc_free(c);
        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_set_groups(c, with_minus_one, 2);
        assert_run_fails(c, EINVAL, "group 1 is -1");
        subproc_free(c);

        for (size_t i = 0; i < sizeof bad_caps / sizeof bad_caps[0]; i++) {
                c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
                subproc_keep_caps(c, &bad_caps[i], 1);
                assert_run_fails(c, EINVAL, "out of range");
                subproc_free(c);
        }
        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_keep_caps(c, NULL, 1);
        assert_run_fails(c, EINVAL, "NULL");
        subproc_free(c);
}

/* A capability just past the kernel's last one is refused too, not left to the child. */
static void test_cap_past_kernel_last(void **state)
{
        FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
        int last = -1;
        subproc *c;

        if (!f || fscanf(f, "%d", &last) != 1 || last >= 63) {
                if (f)
                        fclose(f);
                print_message("skipped: no /proc/sys/kernel/cap_last_cap below 63\n");
                skip();
        }
        fclose(f);
        last++;
        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_keep_caps(c, &last, 1);
        assert_run_fails(c, EINVAL, "out of range");
        subproc_free(c);
}

enum denied_what { DENIED_KEEP_CAPS, DENIED_GROUPS, DENIED_USER };

struct denied_job {
        const char *marker;
        enum denied_what what;
};

/* Runs in a forked process: no cmocka.  As nobody, without privileges. */
static void run_denied(void *arg, struct t_result *res)
{
        static const int net_bind[] = { CAP_NET_BIND_SERVICE };
        const struct denied_job *job = arg;
        subproc *c;

        if (setgroups(0, NULL) != 0 || setgid(NOBODY) != 0 || setuid(NOBODY) != 0) {
                res->rc = -2;
                res->error = errno;
                snprintf(res->msg, sizeof res->msg, "cannot become nobody");
                return;
        }
        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_add_arg_format(c, "--write-file=%s", job->marker);
        switch (job->what) {
        case DENIED_KEEP_CAPS:
                subproc_keep_caps(c, net_bind, 1);
                break;
        case DENIED_GROUPS:
                subproc_set_groups(c, (const gid_t[]){ 4 }, 1);
                break;
        case DENIED_USER:
                subproc_set_user(c, "root");
                break;
        }
        t_result_set(res, subproc_run(c, NULL));
        res->value = waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD;
        subproc_free(c);
}

static void test_denied_steps_are_named(void **state)
{
        static const struct {
                enum denied_what what;
                const char *step;
        } cases[] = {
                { DENIED_KEEP_CAPS, "keep capabilit" },
                { DENIED_GROUPS, "set 1 supplementary group (setgroups)" },
                { DENIED_USER, "setgroups" },
        };
        const char *const names[] = { "ran", NULL };
        char *dir, *marker;

        t_require_root();
        dir = t_open_dir();
        marker = t_path(dir, "ran");
        assert_ll_equal(chmod(dir, 0777), 0); /* nobody could write the marker */
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                struct denied_job job = { marker, cases[i].what };
                struct t_result res;

                t_in_child(run_denied, &job, &res);
                if (res.rc != -1 || res.error != EPERM)
                        print_error("case %zu: rc %d, errno %d, message: %s\n", i, res.rc,
                                    res.error, res.msg);
                assert_ll_equal(res.rc, -1);
                assert_errno_equal(res.error, EPERM);
                assert_contains(res.msg, cases[i].step);
                assert_ll_equal(res.value, 1);
                assert_false(t_file_exists(marker));
        }
        free(marker);
        t_remove_dir(dir, names);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_set_user, t_setup, user_teardown),
                T_TEST(test_set_uid_alone_drops_groups),
                T_TEST(test_set_groups),
                T_TEST(test_keep_caps_unprivileged_binds_port_80),
                T_TEST(test_keep_caps_with_clear_caps),
                T_TEST(test_keep_caps_as_root),
                T_TEST(test_bad_input),
                T_TEST(test_cap_past_kernel_last),
                T_TEST(test_denied_steps_are_named),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
