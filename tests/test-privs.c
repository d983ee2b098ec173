/* Tests of privileges and limits applied in the child: capabilities (every set, the bounding
 * set included, which must go while CAP_SETPCAP is still held), uid, gid and supplementary
 * groups, umask, no_new_privs and rlimits, as the helper sees them in /proc/self/status and
 * from the system calls; and a failing step fails the run with the step named, the program
 * never running.
 *
 * The cases that change credentials need root and skip with a message otherwise.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/support.h"

#define NOBODY 65534
#define NO_CAPS "0000000000000000"
/* CAP_SYS_RESOURCE: raising a hard limit needs it. */
#define CAP_SYS_RESOURCE_BIT 24

static const char *const cap_keys[] = { "capinh", "capprm", "capeff", "capbnd", "capamb" };

static struct helper_report *run_helper(subproc *c)
{
        char *out = NULL;

        return t_run_report(c, &out);
}

static void check_no_caps(const struct helper_report *r)
{
        for (size_t i = 0; i < sizeof cap_keys / sizeof cap_keys[0]; i++) {
                const char *value = t_report_get(r, cap_keys[i]);

                if (value == NULL || strcmp(value, NO_CAPS) != 0)
                        print_error("%s is %s, expected empty\n", cap_keys[i],
                                    value != NULL ? value : "missing");
                assert_string_equal(value, NO_CAPS);
        }
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

/* Give the test process supplementary groups, to see whether the child drops them; returns
 * the old list for restore_groups(). */
static gid_t *set_some_groups(int *old_count)
{
        static const gid_t some[] = { 4, 24, 27 };
        gid_t *old;

        *old_count = getgroups(0, NULL);
        assert_true(*old_count >= 0);
        old = calloc((size_t)*old_count + 1, sizeof *old);
        assert_non_null(old);
        assert_ll_equal(getgroups(*old_count, old), *old_count);
        assert_ll_equal(setgroups(sizeof some / sizeof some[0], some), 0);
        return old;
}

static void restore_groups(gid_t *old, int old_count)
{
        assert_ll_equal(setgroups((size_t)old_count, old), 0);
        free(old);
}

/* Run `c` while the test process has supplementary groups 4, 24 and 27. */
static struct helper_report *run_with_groups(subproc *c)
{
        struct helper_report *r;
        char *out = NULL;
        int status = -1, rc, old_count;
        gid_t *old = set_some_groups(&old_count);

        subproc_set_output_buffer(c, &out);
        rc = subproc_run(c, &status);
        restore_groups(old, old_count);
        if (rc != 0)
                print_error("subproc_run: %s\n", subproc_errmsg());
        assert_ll_equal(rc, 0);
        assert_ll_equal(status, 0);
        r = t_report_parse(out, subproc_output_len(c));
        free(out);
        assert_non_null(t_report_get(r, "report_end"));
        return r;
}

/* ---------------------------------------------------------------------------------------
 * Capabilities
 * ------------------------------------------------------------------------------------- */

static void test_clear_caps(void **state)
{
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;

        t_require_root();
        /* Without clear_caps a root child keeps its bounding set: the check can fail. */
        r = run_helper(c);
        assert_string_not_equal(t_report_get(r, "capbnd"), NO_CAPS);
        assert_string_not_equal(t_report_get(r, "capeff"), NO_CAPS);
        t_report_free(r);
        subproc_free(c);

        c = subproc_new(HELPER_PATH);
        subproc_clear_caps(c);
        r = run_helper(c);
        check_no_caps(r);
        /* Still root by uid: only the capabilities went. */
        check_ids(r, 0, (long)getgid());
        t_report_free(r);
        subproc_free(c);
}

struct caps_job {
        int out_fd;
        bool clear;
};

/* Runs in a forked process: no cmocka.  Give the process an inheritable and an ambient
 * capability (which a root exec passes on even with an empty bounding set), then run the
 * helper with its stdout on out_fd. */
static void run_with_inherited_caps(void *arg, struct t_result *res)
{
        const struct caps_job *job = arg;
        struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
        struct __user_cap_data_struct data[2];
        int out_fd = job->out_fd;
        subproc *c;

        if (syscall(SYS_capget, &header, data) != 0)
                goto fail;
        data[0].inheritable |= 1U << CAP_NET_BIND_SERVICE;
        if (syscall(SYS_capset, &header, data) != 0 ||
            prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0) != 0)
                goto fail;
        c = subproc_new(HELPER_PATH);
        subproc_set_output_fd(c, &out_fd);
        if (job->clear)
                subproc_clear_caps(c);
        t_result_set(res, subproc_run(c, NULL));
        subproc_free(c);
        return;
fail:
        res->rc = -2;
        res->error = errno;
        snprintf(res->msg, sizeof res->msg, "cannot raise CAP_NET_BIND_SERVICE");
}

static struct helper_report *report_with_inherited_caps(bool clear)
{
        struct helper_report *r;
        struct t_result res;
        struct caps_job job;
        int out[2];
        size_t len;
        char *text;

        assert_ll_equal(pipe2(out, O_CLOEXEC), 0);
        job.out_fd = out[1];
        job.clear = clear;
        t_in_child(run_with_inherited_caps, &job, &res);
        close(out[1]);
        if (res.rc != 0)
                print_error("rc %d: %s (%s)\n", res.rc, res.msg, strerror(res.error));
        assert_ll_equal(res.rc, 0);
        text = t_read_fd_all(out[0], &len);
        close(out[0]);
        r = t_report_parse(text, len);
        free(text);
        assert_non_null(t_report_get(r, "report_end"));
        return r;
}

/* A caller with inheritable and ambient capabilities: clear_caps empties those too. */
static void test_clear_caps_inherited(void **state)
{
        const unsigned long long bit = 1ULL << CAP_NET_BIND_SERVICE;
        struct helper_report *r;

        t_require_root();
        if (!t_has_cap(CAP_NET_BIND_SERVICE)) {
                print_message("skipped: needs CAP_NET_BIND_SERVICE\n");
                skip();
        }
        /* Control: without clear_caps the child has them. */
        r = report_with_inherited_caps(false);
        assert_ll_equal(t_report_hex(r, "capinh") & bit, bit);
        assert_ll_equal(t_report_hex(r, "capamb") & bit, bit);
        t_report_free(r);

        r = report_with_inherited_caps(true);
        check_no_caps(r);
        t_report_free(r);
}

static void test_clear_caps_with_uid_and_gid(void **state)
{
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;

        t_require_root();
        subproc_clear_caps(c);
        subproc_set_uid(c, NOBODY);
        subproc_set_gid(c, NOBODY);
        r = run_with_groups(c);
        check_no_caps(r);
        check_ids(r, NOBODY, NOBODY);
        assert_ll_equal(t_report_get_int(r, "ngroups"), 0);
        t_report_free(r);
        subproc_free(c);
}

/* ---------------------------------------------------------------------------------------
 * uid, gid, groups
 * ------------------------------------------------------------------------------------- */

static void test_groups_dropped_with_gid_or_uid(void **state)
{
        subproc *c;
        struct helper_report *r;

        t_require_root();
        /* Control: without a uid or gid the child inherits the groups. */
        c = subproc_new(HELPER_PATH);
        r = run_with_groups(c);
        assert_ll_equal(t_report_get_int(r, "ngroups"), 3);
        assert_string_equal(t_report_nth(r, "group", 0), "4");
        t_report_free(r);
        subproc_free(c);

        /* set_gid alone: the gid changes, no supplementary group is left, the uid stays. */
        c = subproc_new(HELPER_PATH);
        subproc_set_gid(c, NOBODY);
        r = run_with_groups(c);
        check_ids(r, 0, NOBODY);
        assert_ll_equal(t_report_get_int(r, "ngroups"), 0);
        t_report_free(r);
        subproc_free(c);

        /* set_uid alone drops them too. */
        c = subproc_new(HELPER_PATH);
        subproc_set_uid(c, NOBODY);
        r = run_with_groups(c);
        check_ids(r, NOBODY, (long)getgid());
        assert_ll_equal(t_report_get_int(r, "ngroups"), 0);
        /* A non-root uid without ambient capabilities loses the permitted and effective
         * sets at exec. */
        assert_string_equal(t_report_get(r, "capeff"), NO_CAPS);
        assert_string_equal(t_report_get(r, "capprm"), NO_CAPS);
        t_report_free(r);
        subproc_free(c);
}

/* ---------------------------------------------------------------------------------------
 * umask, no_new_privs, rlimits
 * ------------------------------------------------------------------------------------- */

static void test_umask(void **state)
{
        static const mode_t masks[] = { 0, 077, 027, 0777, 0002 };
        mode_t mine = umask(022);

        umask(mine);
        for (size_t i = 0; i < sizeof masks / sizeof masks[0]; i++) {
                subproc *c = subproc_new(HELPER_PATH);
                struct helper_report *r;
                char expected[16];

                subproc_set_umask(c, masks[i]);
                r = run_helper(c);
                snprintf(expected, sizeof expected, "%04o", (unsigned)masks[i]);
                assert_string_equal(t_report_get(r, "umask"), expected);
                t_report_free(r);
                subproc_free(c);
        }
        /* The caller's umask is its own. */
        assert_ll_equal(umask(mine), mine);
}

static void test_no_new_privs(void **state)
{
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;

        char *out = NULL;

        r = t_run_report(c, &out);
        assert_ll_equal(t_report_get_int(r, "nonewprivs"), 0);
        t_report_free(r);
        subproc_set_no_new_privs(c);
        r = t_run_report_again(c, &out);
        assert_ll_equal(t_report_get_int(r, "nonewprivs"), 1);
        t_report_free(r);
        subproc_free(c);
        /* Not in the caller. */
        assert_ll_equal(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0);
}

static void test_rlimits(void **state)
{
        struct rlimit nofile, core, after;
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;

        assert_ll_equal(getrlimit(RLIMIT_NOFILE, &nofile), 0);
        assert_ll_equal(getrlimit(RLIMIT_CORE, &core), 0);
        /* Lowering needs no privilege; the values differ from the caller's. */
        assert_true(nofile.rlim_max == RLIM_INFINITY || nofile.rlim_max > 128);
        subproc_set_rlimit(c, RLIMIT_NOFILE, 50, 100);
        subproc_set_rlimit(c, RLIMIT_NOFILE, 64, 128); /* replaces the first */
        subproc_set_rlimit(c, RLIMIT_CORE, 0, 0);
        r = run_helper(c);
        assert_string_equal(t_report_get(r, "rlimit[NOFILE]"), "64:128");
        assert_string_equal(t_report_get(r, "rlimit[CORE]"), "0:0");
        t_report_free(r);
        subproc_free(c);

        c = subproc_new(HELPER_PATH);
        subproc_set_rlimit(c, RLIMIT_CORE, 4096, 8192);
        r = run_helper(c);
        if (core.rlim_max == RLIM_INFINITY || core.rlim_max >= 8192)
                assert_string_equal(t_report_get(r, "rlimit[CORE]"), "4096:8192");
        t_report_free(r);
        subproc_free(c);

        /* The caller's limits are its own. */
        assert_ll_equal(getrlimit(RLIMIT_NOFILE, &after), 0);
        assert_ll_equal(after.rlim_cur, nofile.rlim_cur);
        assert_ll_equal(after.rlim_max, nofile.rlim_max);
        assert_ll_equal(getrlimit(RLIMIT_CORE, &after), 0);
        assert_ll_equal(after.rlim_cur, core.rlim_cur);
        assert_ll_equal(after.rlim_max, core.rlim_max);
}

static void test_rlimit_invalid(void **state)
{
        static const struct {
                int resource;
                rlim_t soft, hard;
        } bad[] = {
                { RLIMIT_NOFILE, 200, 100 },
                { RLIMIT_CORE, 1, 0 },
                { RLIMIT_NOFILE, RLIM_INFINITY, 100 },
                { -1, 1, 1 },
                { RLIM_NLIMITS, 1, 1 },
        };

        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);

                subproc_set_rlimit(c, bad[i].resource, bad[i].soft, bad[i].hard);
                /* Deferred: the later, valid call does not clear the error. */
                subproc_set_rlimit(c, RLIMIT_NOFILE, 10, 20);
                assert_run_fails(c, EINVAL, NULL);
                subproc_free(c);
        }
}

/* ---------------------------------------------------------------------------------------
 * A failing step: the run fails naming it, and the program never runs
 * ------------------------------------------------------------------------------------- */

enum failing_what {
        SET_UID_ROOT,     /* set_uid(0) */
        SET_GID_ROOT,     /* set_gid(0) */
        CLEAR_CAPS,       /* clear_caps() */
        RAISE_HARD_LIMIT, /* NOFILE hard limit + 1 */
        SET_UID_NOBODY,   /* set_uid(nobody) */
};

enum failing_as {
        AS_IS,
        AS_NOBODY,         /* uid and gid nobody, no groups */
        AS_ROOT_NO_SETUID, /* root without CAP_SETUID, so only the uid change fails */
};

struct failing_job {
        const char *marker;
        enum failing_what what;
        enum failing_as as;
};

/* Drop CAP_SETUID from every set but the bounding set.  Runs in a forked process. */
static int drop_cap_setuid(void)
{
        struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
        struct __user_cap_data_struct data[2];

        if (syscall(SYS_capget, &header, data) != 0)
                return -1;
        data[0].effective &= ~(1U << CAP_SETUID);
        data[0].permitted &= ~(1U << CAP_SETUID);
        data[0].inheritable &= ~(1U << CAP_SETUID);
        return (int)syscall(SYS_capset, &header, data);
}

static int become(enum failing_as as)
{
        switch (as) {
        case AS_NOBODY:
                if (setgroups(0, NULL) != 0 || setgid(NOBODY) != 0 || setuid(NOBODY) != 0)
                        return -1;
                return 0;
        case AS_ROOT_NO_SETUID:
                return drop_cap_setuid();
        default:
                return 0;
        }
}

/* Runs in a forked process: no cmocka. */
static void run_failing_step(void *arg, struct t_result *res)
{
        const struct failing_job *job = arg;
        struct rlimit rl;
        subproc *c;

        if (become(job->as) != 0) {
                res->rc = -2;
                res->error = errno;
                snprintf(res->msg, sizeof res->msg, "cannot change the test's credentials");
                return;
        }
        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_add_arg_format(c, "--write-file=%s", job->marker);
        switch (job->what) {
        case SET_UID_ROOT:
                subproc_set_uid(c, 0);
                break;
        case SET_UID_NOBODY:
                subproc_set_uid(c, NOBODY);
                break;
        case SET_GID_ROOT:
                subproc_set_gid(c, 0);
                break;
        case CLEAR_CAPS:
                subproc_clear_caps(c);
                break;
        case RAISE_HARD_LIMIT:
                getrlimit(RLIMIT_NOFILE, &rl);
                subproc_set_rlimit(c, RLIMIT_NOFILE, rl.rlim_cur, rl.rlim_max + 1);
                break;
        }
        t_result_set(res, subproc_run(c, NULL));
        /* No child left behind. */
        res->value = waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD;
        subproc_free(c);
}

static void test_failing_step_is_named(void **state)
{
        static const struct {
                enum failing_what what;
                enum failing_as as;
                const char *step;
        } cases[] = {
                /* Only the uid change lacks privilege. */
                { SET_UID_NOBODY, AS_ROOT_NO_SETUID, "setuid" },
                /* As nobody, dropping the supplementary groups (which comes first, and is
                 * done whenever a uid or gid is set) is the step that fails. */
                { SET_UID_ROOT, AS_NOBODY, "setgroups" },
                { SET_GID_ROOT, AS_NOBODY, "setgroups" },
                { CLEAR_CAPS, AS_NOBODY, "bounding set" },
        };
        char *dir;
        char *marker;
        const char *const names[] = { "ran", NULL };

        t_require_root();
        dir = t_open_dir();
        marker = t_path(dir, "ran");
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                struct failing_job job = { marker, cases[i].what, cases[i].as };
                struct t_result res;

                t_in_child(run_failing_step, &job, &res);
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

/* Raising a hard limit without CAP_SYS_RESOURCE, where the test needs no root. */
static void test_raise_hard_limit_fails(void **state)
{
        char *dir = t_open_dir(), *marker = t_path(dir, "ran");
        const char *const names[] = { "ran", NULL };
        struct failing_job job = { marker, RAISE_HARD_LIMIT, geteuid() == 0 ? AS_NOBODY : AS_IS };
        struct t_result res;
        struct rlimit rl;

        assert_ll_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
        if (rl.rlim_max == RLIM_INFINITY || (geteuid() != 0 && t_has_cap(CAP_SYS_RESOURCE_BIT))) {
                print_message("skipped: the hard limit cannot be raised above infinity, or the "
                              "test may raise it\n");
                free(marker);
                t_remove_dir(dir, names);
                skip();
        }
        t_in_child(run_failing_step, &job, &res);
        if (res.rc != -1)
                print_error("rc %d: %s\n", res.rc, res.msg);
        assert_ll_equal(res.rc, -1);
        assert_errno_equal(res.error, EPERM);
        assert_contains(res.msg, "NOFILE");
        assert_false(t_file_exists(marker));
        free(marker);
        t_remove_dir(dir, names);
}

static void test_bad_ids_and_umask(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);

        subproc_set_uid(c, (uid_t)-1);
        assert_run_fails(c, EINVAL, NULL);
        subproc_free(c);
        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_set_gid(c, (gid_t)-1);
        assert_run_fails(c, EINVAL, NULL);
        subproc_free(c);
        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_set_umask(c, 01000);
        assert_run_fails(c, EINVAL, NULL);
        subproc_free(c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                T_TEST(test_clear_caps),
                T_TEST(test_clear_caps_inherited),
                T_TEST(test_clear_caps_with_uid_and_gid),
                T_TEST(test_groups_dropped_with_gid_or_uid),
                T_TEST(test_umask),
                T_TEST(test_no_new_privs),
                T_TEST(test_rlimits),
                T_TEST(test_rlimit_invalid),
                T_TEST(test_failing_step_is_named),
                T_TEST(test_raise_hard_limit_fails),
                T_TEST(test_bad_ids_and_umask),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
