/* Tests of namespaces (issue 14): subproc_unshare() and subproc_set_id_maps().  The helper
 * reports the inodes of its /proc/self/ns links, its uid_map, gid_map and setgroups and its
 * pid: each new namespace is seen by the program, a new pid namespace makes it pid 1 there
 * while the caller, the pidfile and a daemon's pid name it as the caller sees it, the maps
 * are written before the program runs, and every refusal names what was wrong.
 *
 * Creating namespaces other than a user one needs root (the cases skip with a message
 * otherwise); the unprivileged cases run as nobody in a forked process.
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
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h" /* SUBPROC_SPAWN_FORK: which child this build starts */
#include "support/support.h"
#include "src/test-knobs.h"

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

#define NOBODY 65534

#define assert_ll_not_equal(a, b) assert_true((long long)(a) != (long long)(b))

static const char *const case_files[] = { "report", "pid", NULL };

/* The portable fork() child refuses namespaces (test_refused_by_the_fork_child). */
#define require_clone_child()                                                           \
        do {                                                                            \
                if (SUBPROC_SPAWN_FORK) {                                               \
                        print_message("skipped: the fork() child has no namespaces\n"); \
                        skip();                                                         \
                }                                                                       \
        } while (0)

static const struct {
        unsigned long flag;
        const char *type; /* /proc/self/ns/TYPE */
} namespaces[] = {
        { CLONE_NEWUSER, "user" },     { CLONE_NEWNS, "mnt" },    { CLONE_NEWPID, "pid" },
        { CLONE_NEWNET, "net" },       { CLONE_NEWUTS, "uts" },   { CLONE_NEWIPC, "ipc" },
        { CLONE_NEWCGROUP, "cgroup" }, { CLONE_NEWTIME, "time" },
};

/* The inode of our own /proc/self/ns/TYPE, 0 where the kernel has no such namespace. */
static unsigned long own_ns(const char *type)
{
        char path[64], link[128], *open_bracket;
        ssize_t n;

        snprintf(path, sizeof path, "/proc/self/ns/%s", type);
        n = readlink(path, link, sizeof link - 1);
        if (n < 0)
                return 0;
        link[n] = '\0';
        open_bracket = strchr(link, '[');
        return open_bracket ? strtoul(open_bracket + 1, NULL, 10) : 0;
}

static unsigned long child_ns(const struct helper_report *r, const char *type)
{
        const char *v = t_report_getf(r, "ns[%s]", type);

        assert_non_null(v);
        return strtoul(v, NULL, 10);
}

static struct helper_report *run_helper(subproc *c)
{
        char *out = NULL;

        return t_run_report(c, &out);
}

/* Each namespace alone: the program is in a new one of that type, in the caller's for the
 * others.  A new pid namespace's is what its children get, which the helper's own pid
 * namespace is then (it is the init there). */
static void test_each_namespace_is_new(void **state)
{
        t_require_root();
        require_clone_child();

        for (size_t i = 0; i < sizeof namespaces / sizeof namespaces[0]; i++) {
                subproc *c = subproc_new(HELPER_PATH);
                struct helper_report *r;

                if (own_ns(namespaces[i].type) == 0) {
                        print_message("no %s namespaces here: not tested\n", namespaces[i].type);
                        subproc_free(c);
                        continue;
                }
                subproc_unshare(c, namespaces[i].flag);
                r = run_helper(c);
                for (size_t j = 0; j < sizeof namespaces / sizeof namespaces[0]; j++) {
                        unsigned long ours = own_ns(namespaces[j].type);

                        if (ours == 0)
                                continue;
                        if (i == j)
                                assert_ll_not_equal(child_ns(r, namespaces[j].type), ours);
                        else
                                assert_ll_equal(child_ns(r, namespaces[j].type), ours);
                }
                t_report_free(r);
                subproc_free(c);
        }
}

/* Several at once, in one clone(). */
static void test_all_namespaces_at_once(void **state)
{
        t_require_root();
        require_clone_child();

        unsigned long all = 0;
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;

        for (size_t i = 0; i < sizeof namespaces / sizeof namespaces[0]; i++)
                if (own_ns(namespaces[i].type) != 0)
                        all |= namespaces[i].flag;
        subproc_unshare(c, all);
        subproc_set_id_maps(c, "0 0 1", "0 0 1");
        r = run_helper(c);
        for (size_t i = 0; i < sizeof namespaces / sizeof namespaces[0]; i++)
                if (all & namespaces[i].flag)
                        assert_ll_not_equal(child_ns(r, namespaces[i].type),
                                            own_ns(namespaces[i].type));
        assert_ll_equal(t_report_get_int(r, "pid"), 1);
        assert_ll_equal(t_report_get_int(r, "uid"), 0);
        t_report_free(r);
        subproc_free(c);
}

/* A child that waits for its id maps is forked and may be before exec for a while yet: a
 * short timeout must not turn its failure before exec into a timeout.  (Review of issue 17:
 * with the exec report read after the exit, a 1 ms timeout killed it first.) */
static void test_failure_before_exec_is_no_timeout(void **state)
{
        (void)state;
        require_clone_child();
        for (int i = 0; i < 10; i++) {
                subproc *c = subproc_new("/nonexistent/subproc-program");

                subproc_unshare(c, CLONE_NEWUSER);
                subproc_set_id_maps(c, "0 0 1", "0 0 1");
                subproc_set_timeout(c, 1, 0);
                assert_run_fails(c, ENOENT, "exec");
                subproc_free(c);
        }
}

/* The program is pid 1 of a new pid namespace, its parent outside (0); the caller knows it
 * by its pid in the caller's namespace, which is also what the pidfile holds. */
static void test_pid_namespace_child_is_pid_1(void **state)
{
        t_require_root();
        require_clone_child();

        char *dir = t_open_dir(), *report = t_path(dir, "report"), *pidfile = t_path(dir, "pid");
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        pid_t pid;
        int status = -1;

        subproc_add_arg_format(c, "--report=%s", report);
        subproc_add_arg(c, "--sleep-ms=300");
        subproc_unshare(c, CLONE_NEWPID);
        subproc_set_pidfile(c, pidfile);
        assert_ll_equal(subproc_run_async(c, &pid), 0);
        assert_true(pid > 1);
        assert_ll_equal(t_read_pid(pidfile), pid);
        assert_ll_equal(subproc_wait(c, &status), 0);
        assert_ll_equal(status, 0);
        r = t_report_read_file(report);
        assert_ll_equal(t_report_get_int(r, "pid"), 1);
        assert_ll_equal(t_report_get_int(r, "ppid"), 0);
        t_report_free(r);
        subproc_free(c);
        free(report);
        free(pidfile);
        t_remove_dir(dir, case_files);
}

/* A death signal in a new pid namespace: getppid() says 0 there, which must not read as
 * "the parent has died" (the program would never run). */
static void test_pid_namespace_with_death_signal(void **state)
{
        t_require_root();
        require_clone_child();

        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;

        subproc_unshare(c, CLONE_NEWPID);
        subproc_set_death_signal(c, SIGKILL);
        r = run_helper(c);
        assert_ll_equal(t_report_get_int(r, "pid"), 1);
        assert_ll_equal(t_report_get_int(r, "pdeathsig"), SIGKILL);
        t_report_free(r);
        subproc_free(c);
}

/* The program is its namespace's init: a timeout's SIGTERM, which it does not catch, is
 * ignored by the kernel; the kill_after SIGKILL still ends it. */
static void test_pid_namespace_timeout(void **state)
{
        t_require_root();
        require_clone_child();

        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--sleep-ms=60000", NULL);
        double start = t_monotonic_ms();

        subproc_unshare(c, CLONE_NEWPID);
        subproc_set_timeout(c, 100, 100);
        assert_ll_equal(subproc_run(c, NULL), -1);
        assert_errno_equal(errno, ETIMEDOUT);
        assert_contains(subproc_errmsg(), "SIGKILL");
        assert_true(t_monotonic_ms() - start < T_HANG_GUARD_MS);
        subproc_free(c);
}

/* A daemon in a new pid namespace: its intermediate stays outside, so its exit does not kill
 * the daemon, which is pid 1 there; the pidfile and subproc_daemon_pid() name it as we see
 * it. */
static void test_pid_namespace_daemon(void **state)
{
        t_require_root();
        require_clone_child();

        char *dir = t_open_dir(), *report = t_path(dir, "report"), *pidfile = t_path(dir, "pid");
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r = NULL;
        int notify[2], status = -1;
        char byte = 0;
        pid_t daemon;

        assert_ll_equal(pipe2(notify, O_CLOEXEC), 0);
        subproc_add_arg_format(c, "--report=%s", report);
        subproc_add_arg_format(c, "--notify-fd=%d", notify[1]);
        subproc_add_arg(c, "--sleep-ms=60000");
        subproc_pass_fd(c, notify[1], 0);
        subproc_unshare(c, CLONE_NEWPID);
        subproc_set_pidfile(c, pidfile);
        subproc_daemonize(c);
        if (subproc_run(c, &status) != 0)
                print_error("subproc_run: %s\n", subproc_errmsg());
        assert_ll_equal(status, 0);
        daemon = subproc_daemon_pid(c);
        assert_true(daemon > 1);
        t_track(daemon);
        close(notify[1]);
        t_read_exact(notify[0], &byte, 1, T_HANG_GUARD_SHORT_MS);
        close(notify[0]);
        assert_int_equal(byte, 'R');
        r = t_report_read_file(report);
        assert_ll_equal(t_report_get_int(r, "pid"), 1);
        assert_ll_equal(t_read_alive(pidfile), daemon);
        assert_false(t_exited(daemon)); /* its intermediate is long gone */
        assert_ll_equal(kill(daemon, SIGKILL), 0);
        assert_true(t_wait_exit(daemon, T_HANG_GUARD_MS) >= 0);
        t_report_free(r);
        subproc_free(c);
        free(report);
        free(pidfile);
        t_remove_dir(dir, case_files);
}

/* A handshake's child (forked, not sharing our memory) is born in the namespaces too. */
static void test_pid_namespace_with_handshake(void **state)
{
        t_require_root();
        require_clone_child();

        char *dir = t_open_dir(), *report = t_path(dir, "report");
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        int status = -1;

        subproc_add_arg_format(c, "--report=%s", report);
        subproc_unshare(c, CLONE_NEWPID | CLONE_NEWUTS);
        subproc_require_handshake(c);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        assert_ll_equal(subproc_handshake_release(c), 0);
        assert_ll_equal(subproc_wait(c, &status), 0);
        assert_ll_equal(status, 0);
        r = t_report_read_file(report);
        assert_ll_equal(t_report_get_int(r, "pid"), 1);
        assert_ll_not_equal(child_ns(r, "uts"), own_ns("uts"));
        t_report_free(r);
        subproc_free(c);
        free(report);
        t_remove_dir(dir, case_files);
}

/* The maps are written before the program runs (its set*id() to 0 inside needs them); a
 * privileged caller's child keeps setgroups(). */
static void test_user_namespace_maps(void **state)
{
        t_require_root();
        require_clone_child();

        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;

        subproc_unshare(c, CLONE_NEWUSER);
        subproc_set_id_maps(c, "0 1000 1\n1 100000 65536\n", "0 2000 1");
        subproc_set_uid(c, 0);
        subproc_set_gid(c, 0);
        r = run_helper(c);
        assert_ll_not_equal(child_ns(r, "user"), own_ns("user"));
        assert_string_equal(t_report_get(r, "uid_map"), "         0       1000          1\n"
                                                        "         1     100000      65536\n");
        assert_string_equal(t_report_get(r, "gid_map"), "         0       2000          1\n");
        assert_string_equal(t_report_get(r, "setgroups"), "allow\n");
        assert_ll_equal(t_report_get_int(r, "uid"), 0);
        assert_ll_equal(t_report_get_int(r, "gid"), 0);
        t_report_free(r);
        subproc_free(c);
}

/* Without maps the namespace's ids are unmapped: the program sees the overflow ids. */
static void test_user_namespace_without_maps(void **state)
{
        require_clone_child();

        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;

        subproc_unshare(c, CLONE_NEWUSER);
        r = run_helper(c);
        assert_ll_not_equal(child_ns(r, "user"), own_ns("user"));
        assert_ll_equal(t_report_get_int(r, "uid"), NOBODY);
        assert_string_equal(t_report_get(r, "uid_map"), "");
        t_report_free(r);
        subproc_free(c);
}

/* subproc_set_uid() names a uid of the new namespace, set after the maps are written. */
static void test_user_namespace_with_uid(void **state)
{
        t_require_root();
        require_clone_child();

        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;

        subproc_unshare(c, CLONE_NEWUSER | CLONE_NEWNET);
        subproc_set_id_maps(c, "0 100000 1000", "0 100000 1000");
        subproc_set_uid(c, 5);
        subproc_set_gid(c, 7);
        r = run_helper(c);
        assert_ll_equal(t_report_get_int(r, "uid"), 5);
        assert_ll_equal(t_report_get_int(r, "gid"), 7);
        assert_ll_not_equal(child_ns(r, "net"), own_ns("net"));
        t_report_free(r);
        subproc_free(c);
}

/* ThreadSanitizer's runtime starts a thread of its own in a fork()ed child, where
 * unshare(CLONE_NEWUSER) then fails (EINVAL: the caller has threads). */
#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif
#ifndef UNDER_TSAN
#define UNDER_TSAN 0
#endif

static int hook_ok(void *opaque)
{
        (void)opaque;
        return 0;
}

/* With a hook the child is a fork(), which unshare()s first. */
static void test_namespaces_with_hook(void **state)
{
        t_require_root();
        require_clone_child();
        if (UNDER_TSAN) {
                print_message("skipped: ThreadSanitizer gives a fork()ed child a thread\n");
                skip();
        }

        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;

        subproc_unshare(c, CLONE_NEWUSER | CLONE_NEWUTS);
        subproc_set_id_maps(c, "0 0 1", NULL);
        subproc_set_pre_exec_hook(c, hook_ok, NULL);
        r = run_helper(c);
        assert_ll_not_equal(child_ns(r, "user"), own_ns("user"));
        assert_ll_not_equal(child_ns(r, "uts"), own_ns("uts"));
        assert_string_equal(t_report_get(r, "uid_map"), "         0          0          1\n");
        assert_string_equal(t_report_get(r, "setgroups"), "allow\n");
        t_report_free(r);
        subproc_free(c);
}

/* In a forked process as nobody: a user namespace with our own uid as root works, when the
 * system lets unprivileged users make them. */
struct nobody_case {
        const char *what;
        const char *report; /* where the helper reports (a directory nobody may write) */
};

static void run_as_nobody(void *arg, struct t_result *res)
{
        const struct nobody_case *nc = arg;
        const char *what = nc->what;
        subproc *c = subproc_new(HELPER_PATH);
        int status = -1, rc;

        if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
            setresuid(NOBODY, NOBODY, NOBODY) < 0 || prctl(PR_SET_DUMPABLE, 1) < 0) {
                t_result_set(res, -1);
                return;
        }
        /* Dumpable again, as a user who never changed ids is: else our children's /proc
         * files, their uid_map among them, would be root's. */
        subproc_add_arg_format(c, "--report=%s", nc->report);
        if (strcmp(what, "user") == 0) {
                subproc_unshare(c, CLONE_NEWUSER | CLONE_NEWNET);
                subproc_set_id_maps(c, "0 65534 1", "0 65534 1");
        } else if (strcmp(what, "net") == 0) {
                subproc_unshare(c, CLONE_NEWNET);
        } else {
                subproc_unshare(c, CLONE_NEWUSER);
                subproc_set_id_maps(c, "0 0 1", NULL); /* root: not ours to map */
        }
        rc = subproc_run(c, &status);
        t_result_set(res, rc);
        if (rc == 0)
                res->value = status;
        subproc_free(c);
}

static bool unprivileged_userns(void)
{
        char buf[16] = "";
        int fd = open("/proc/sys/kernel/unprivileged_userns_clone", O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return true;
        if (read(fd, buf, sizeof buf - 1) < 0)
                buf[0] = '0';
        close(fd);
        return buf[0] == '1';
}

static void test_unprivileged_user_namespace(void **state)
{
        t_require_root();
        require_clone_child();

        char *dir = t_open_dir(), *report = t_path(dir, "report");
        struct nobody_case nc = { "user", report };
        struct t_result res;
        struct helper_report *r;

        t_in_child(run_as_nobody, &nc, &res);
        if (res.rc < 0 && res.error == EPERM && !unprivileged_userns()) {
                print_message("skipped: unprivileged user namespaces are disabled\n");
                skip();
        }
        if (res.rc != 0)
                print_error("rc %d: %s (%s)\n", res.rc, res.msg, strerror(res.error));
        assert_ll_equal(res.rc, 0);
        assert_ll_equal(res.value, 0);
        r = t_report_read_file(report);
        assert_ll_equal(t_report_get_int(r, "uid"), 0);
        /* Not privileged over the groups it maps: setgroups had to be denied. */
        assert_string_equal(t_report_get(r, "setgroups"), "deny\n");
        assert_ll_not_equal(child_ns(r, "net"), own_ns("net"));
        t_report_free(r);
        free(report);
        t_remove_dir(dir, case_files);
}

/* The kernel refuses: nobody may not make a network namespace without a user one (EPERM
 * naming the namespaces and the call), nor map root into a user namespace (EPERM naming the
 * file). */
static void test_kernel_refusals_name_the_step(void **state)
{
        t_require_root();
        require_clone_child();

        struct nobody_case nc = { "net", "/nonexistent/report" }; /* never runs */
        struct t_result res;

        t_in_child(run_as_nobody, &nc, &res);
        assert_ll_equal(res.rc, -1);
        assert_errno_equal(res.error, EPERM);
        assert_contains(res.msg, "create new namespaces (net) with clone");
        nc.what = "map-root";
        t_in_child(run_as_nobody, &nc, &res);
        if (res.rc < 0 && res.error == EPERM && strstr(res.msg, "clone") &&
            !unprivileged_userns()) {
                print_message("skipped the map case: unprivileged user namespaces are "
                              "disabled\n");
                return;
        }
        assert_ll_equal(res.rc, -1);
        assert_errno_equal(res.error, EPERM);
        assert_contains(res.msg, "write the user namespace's uid_map");
}

/* In a forked process chroot()ed into `arg` (where an empty executable stands at HELPER_PATH,
 * enough for the path lookup): the kernel refuses a user namespace to a chroot()ed process. */
static void run_chrooted(void *arg, struct t_result *res)
{
        int fd = STDERR_FILENO;
        subproc *c;

        if (chroot(arg) < 0 || chdir("/") < 0) {
                t_result_set(res, -1);
                return;
        }
        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        /* No /dev/null in there: give it our stderr for all three. */
        subproc_set_input_fd(c, fd);
        subproc_set_output_fd(c, &fd);
        subproc_set_error_fd(c, &fd);
        subproc_unshare(c, CLONE_NEWUSER);
        subproc_set_id_maps(c, "0 0 1", NULL);
        t_result_set(res, subproc_run(c, NULL));
        subproc_free(c);
}

/* The kernel refuses a user namespace (as where unprivileged ones are disabled): EPERM, the
 * step named. */
static void test_user_namespace_refused(void **state)
{
        t_require_root();
        require_clone_child();

        char *root = t_make_temp_dir(), *path, *cmd;
        struct t_result res;

        assert_true(asprintf(&path, "%s%s", root, HELPER_PATH) > 0);
        assert_true(asprintf(&cmd, "mkdir -p \"$(dirname '%s')\" && : > '%s' && chmod 755 '%s'",
                             path, path, path) > 0);
        assert_ll_equal(system(cmd), 0);
        t_in_child(run_chrooted, root, &res);
        assert_ll_equal(res.rc, -1);
        assert_errno_equal(res.error, EPERM);
        assert_contains(res.msg, "create new namespaces (user) with clone");
        free(cmd);
        assert_true(asprintf(&cmd, "rm -rf '%s'", root) > 0);
        assert_ll_equal(system(cmd), 0);
        free(cmd);
        free(path);
        free(root);
}

/* Bad input: unknown flags, bad maps, maps without a user namespace, a hook in a new pid
 * namespace, namespaces in place. */
static void test_bad_input(void **state)
{
        static const char *const bad_maps[] = {
                "",         "0 0",    "0 0 0",          "a b c",          "0 0 1 2",
                "-1 0 1",   "0 -1 1", "4294967295 0 2", "0 4294967296 1", "0 0 1\n\n",
                "0 0 1\nx", "0 0 1;",
        };
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        char *lines;
        size_t len = 0;

        subproc_unshare(c, CLONE_NEWNET | CLONE_VM);
        assert_run_fails(c, EINVAL, "unknown clone flags");
        subproc_free(c);
        for (size_t i = 0; i < sizeof bad_maps / sizeof bad_maps[0]; i++) {
                c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
                subproc_unshare(c, CLONE_NEWUSER);
                subproc_set_id_maps(c, "0 0 1", bad_maps[i]);
                assert_run_fails(c, EINVAL, "gid_map");
                subproc_free(c);
        }
        /* 341 lines, one past the kernel's limit. */
        lines = malloc(341 * 16);
        assert_non_null(lines);
        for (int i = 0; i < 341; i++)
                len += (size_t)sprintf(lines + len, "%d %d 1\n", i, i);
        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_unshare(c, CLONE_NEWUSER);
        subproc_set_id_maps(c, lines, NULL);
        assert_run_fails(c, EINVAL, "uid_map");
        subproc_free(c);
        free(lines);

        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_unshare(c, CLONE_NEWNET);
        subproc_set_id_maps(c, "0 0 1", "0 0 1");
        assert_run_fails(c, EINVAL, "without CLONE_NEWUSER");
        subproc_free(c);

        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_unshare(c, CLONE_NEWPID);
        subproc_set_pre_exec_hook(c, hook_ok, NULL);
        assert_run_fails(c, EINVAL, "new pid namespace");
        subproc_free(c);

        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_unshare(c, CLONE_NEWUTS);
        assert_ll_equal(subproc_exec(c), -1);
        assert_errno_equal(errno, SUBPROC_SPAWN_FORK ? ENOTSUP : EINVAL);
        assert_contains(subproc_errmsg(), "namespaces");
        subproc_free(c);
}

/* Setting again replaces the flags; 0 starts the child in the caller's namespaces again. */
static void test_unshare_again_replaces(void **state)
{
        t_require_root();
        require_clone_child();

        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        char *out = NULL; /* lives as long as c: the second run writes it too */

        subproc_unshare(c, CLONE_NEWUSER | CLONE_NEWUTS);
        subproc_unshare(c, CLONE_NEWIPC);
        r = t_run_report(c, &out);
        assert_ll_equal(child_ns(r, "user"), own_ns("user"));
        assert_ll_equal(child_ns(r, "uts"), own_ns("uts"));
        assert_ll_not_equal(child_ns(r, "ipc"), own_ns("ipc"));
        t_report_free(r);
        subproc_unshare(c, 0);
        r = t_run_report_again(c, &out);
        assert_ll_equal(child_ns(r, "ipc"), own_ns("ipc"));
        t_report_free(r);
        subproc_free(c);
}

/* A new cgroup namespace is made once the child is in its cgroup: that cgroup is the root it
 * sees, whether clone3() created it there or it wrote itself into cgroup.procs. */
static void test_cgroup_namespace_root_is_its_cgroup(void **state)
{
        t_require_root();
        require_clone_child();

        static const char *const roots[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
        const char *root = NULL;
        struct statfs fs;
        char *dir;
        double deadline;

        for (size_t i = 0; i < 2 && root == NULL; i++)
                if (statfs(roots[i], &fs) == 0 && fs.f_type == 0x63677270 /* CGROUP2 */)
                        root = roots[i];
        if (root == NULL) {
                print_message("skipped: no cgroup v2 hierarchy at /sys/fs/cgroup(/unified)\n");
                skip();
        }
        assert_true(asprintf(&dir, "%s/subproc-ns-test-%ld", root, (long)getpid()) > 0);
        if (mkdir(dir, 0755) != 0) {
                print_message("skipped: cannot create %s: %s\n", dir, strerror(errno));
                free(dir);
                skip();
        }
        for (int no_clone3 = 0; no_clone3 < 2; no_clone3++) {
                subproc *c = subproc_new(HELPER_PATH);
                struct helper_report *r;

                sp_test_no_clone3 = no_clone3;
                subproc_set_cgroup(c, dir);
                subproc_unshare(c, CLONE_NEWCGROUP);
                r = run_helper(c);
                assert_string_equal(t_report_get(r, "cgroup"), "/");
                assert_ll_not_equal(child_ns(r, "cgroup"), own_ns("cgroup"));
                t_report_free(r);
                subproc_free(c);
        }
        sp_test_no_clone3 = 0;
        /* Empty once its last process is reaped, which the kernel may take a moment to see. */
        deadline = t_monotonic_ms() + T_HANG_GUARD_MS;
        while (rmdir(dir) != 0 && errno == EBUSY && t_monotonic_ms() < deadline)
                usleep(1000);
        free(dir);
}

/* The portable fork() child has no namespaces: a run says so (ENOTSUP), nothing runs. */
static void test_refused_by_the_fork_child(void **state)
{
        subproc *c;

        if (!SUBPROC_SPAWN_FORK) {
                print_message("skipped: this build has the clone() child, which has them\n");
                skip();
        }
        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_unshare(c, CLONE_NEWUTS);
        assert_run_fails(c, ENOTSUP, "creating namespaces is not supported here");
        subproc_free(c);
        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_unshare(c, CLONE_NEWUSER);
        subproc_set_id_maps(c, "0 0 1", NULL);
        assert_run_async_fails(c, ENOTSUP, "fork() child");
        subproc_free(c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                T_TEST(test_each_namespace_is_new),
                T_TEST(test_all_namespaces_at_once),
                T_TEST(test_pid_namespace_child_is_pid_1),
                T_TEST(test_failure_before_exec_is_no_timeout),
                T_TEST(test_pid_namespace_with_death_signal),
                T_TEST(test_pid_namespace_timeout),
                T_TEST(test_pid_namespace_daemon),
                T_TEST(test_pid_namespace_with_handshake),
                T_TEST(test_user_namespace_maps),
                T_TEST(test_user_namespace_without_maps),
                T_TEST(test_user_namespace_with_uid),
                T_TEST(test_namespaces_with_hook),
                T_TEST(test_unprivileged_user_namespace),
                T_TEST(test_kernel_refusals_name_the_step),
                T_TEST(test_user_namespace_refused),
                T_TEST(test_bad_input),
                T_TEST(test_unshare_again_replaces),
                T_TEST(test_cgroup_namespace_root_is_its_cgroup),
                T_TEST(test_refused_by_the_fork_child),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
