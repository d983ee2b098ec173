/* Tests of subproc_set_cgroup(): the program starts inside the cgroup v2 directory it was
 * given, and a cgroup that cannot be entered fails the run with the step named.  The placement
 * cases need a writable cgroup v2 hierarchy (and skip without one).
 *
 * There are two ways in: the parent creates the child in the cgroup with
 * clone3(CLONE_INTO_CGROUP), or the child writes itself into cgroup.procs (older kernels, a v1
 * hierarchy, the fork path).  The library's test knobs force the second and count the first,
 * so each case says which way it expects and checks that it was taken.
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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "config.h" /* SUBPROC_SPAWN_FORK: which child this build starts */
#include "support/support.h"
#include "src/test-knobs.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* The library's internal cgroup opener (reached through the static library); its test knobs
 * come from src/test-knobs.h, so a renamed knob fails the build instead of skipping cases. */
extern int sp_cgroup_open(const char *dir, const int *avoid, size_t n);

static unsigned clone3_spawns(void)
{
        return __atomic_load_n(&sp_test_clone3_cgroup_spawns, __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------------------------------------
 * A cgroup of our own
 * ------------------------------------------------------------------------------------- */

/* The cgroup a case made, removed by its teardown even when the case fails. */
static char *test_cgroup;
/* Cgroups a case made inside it, by name; removed first. */
static const char *const test_subgroups[] = { "threaded", "invalid", NULL };

/* Create <cgroup2 root>/subproc-test-<pid>, or skip with a message saying why not. */
static const char *make_test_cgroup(void)
{
        char *root = t_cgroup2_root(), *dir;

        if (root == NULL) {
                print_message("no cgroup v2 hierarchy is mounted: cgroup placement not tried\n");
                skip();
        }
        assert_true(asprintf(&dir, "%s/subproc-test-%ld", root, (long)getpid()) > 0);
        free(root);
        if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
                print_message("cannot create %s (%s): cgroup placement not tried\n", dir,
                              strerror(errno));
                free(dir);
                skip();
        }
        test_cgroup = dir;
        return dir;
}

/* rmdir the cgroup.  It is empty once its last process was reaped, though the kernel may
 * take a moment to notice: retry EBUSY until a deadline.  Returns 0 or an errno. */
static int remove_test_cgroup(void)
{
        double deadline = t_monotonic_ms() + T_HANG_GUARD_MS;
        int rc;

        if (test_cgroup == NULL)
                return 0;
        for (size_t i = 0; test_subgroups[i] != NULL; i++) {
                char *sub = t_path(test_cgroup, test_subgroups[i]);

                if (rmdir(sub) != 0 && errno != ENOENT)
                        print_error("rmdir %s: %s\n", sub, strerror(errno));
                free(sub);
        }
        while ((rc = rmdir(test_cgroup)) != 0 && errno == EBUSY && t_monotonic_ms() < deadline) {
                struct timespec step = { 0, 1000 * 1000 };

                nanosleep(&step, NULL);
        }
        rc = rc == 0 ? 0 : errno;
        if (rc != 0)
                print_error("rmdir %s: %s\n", test_cgroup, strerror(rc));
        free(test_cgroup);
        test_cgroup = NULL;
        return rc;
}

/* After the usual checks (which also kill a child or daemon left by a failed case), put the
 * knobs back and remove the cgroup. */
static int cgroup_teardown(void **state)
{
        int r = t_teardown(state);

        sp_test_no_clone3 = 0;
        sp_test_no_pidfd = 0;
        return remove_test_cgroup() == 0 ? r : -1;
}

/* 0 if this kernel (and any sandbox around us) lets clone3() create a child in dir, else the
 * errno: asked directly, not through the library under test. */
static int clone_into_cgroup_error(const char *dir)
{
        struct clone_args args = { .flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD };
        int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC), status;
        long pid;

        assert_true(fd >= 0);
        args.cgroup = (uint64_t)fd;
        /* Without CLONE_VM the child has a copy of our memory and just exits. */
        pid = syscall(SYS_clone3, &args, sizeof args);
        if (pid == 0)
                _exit(0);
        if (pid < 0) {
                int e = errno;

                close(fd);
                return e;
        }
        close(fd);
        assert_ll_equal(waitpid((pid_t)pid, &status, 0), pid);
        return 0;
}

/* A cgroup inside the test cgroup (named in test_subgroups). */
static char *make_subgroup(const char *parent, const char *name)
{
        char *dir = t_path(parent, name);

        assert_int_equal(mkdir(dir, 0755), 0);
        return dir;
}

/* A cgroup of the test cgroup that refuses every process: "domain invalid", the sibling of a
 * threaded cgroup (Linux 4.14+); skips the case without thread mode.  Returns its path. */
static char *make_refusing_subgroup(const char *parent)
{
        char *threaded = make_subgroup(parent, "threaded");
        char *invalid = make_subgroup(parent, "invalid");
        char *type_path = t_path(threaded, "cgroup.type");
        int fd = open(type_path, O_WRONLY | O_CLOEXEC);

        if (fd < 0 || write(fd, "threaded", 8) != 8) {
                print_message("cannot make %s threaded (%s): case not tried\n", threaded,
                              strerror(errno));
                skip();
        }
        close(fd);
        free(type_path);
        free(threaded);
        return invalid;
}

/* path is dir's cgroup as /proc/self/cgroup shows it: it ends with dir's own part, from the
 * "/subproc-test-<pid>" made for this test on. */
static void assert_cgroup_path(const char *path, const char *dir)
{
        const char *own = strstr(dir, "/subproc-test-");
        size_t len = path ? strlen(path) : 0;

        assert_non_null(own);
        if (path == NULL || len < strlen(own) || strcmp(path + len - strlen(own), own) != 0)
                fail_msg("the child's cgroup is \"%s\", not ...%s", path ? path : "(none)", own);
}

#define CGROUP_TEST(f) cmocka_unit_test_setup_teardown(f, t_setup, cgroup_teardown)

/* ---------------------------------------------------------------------------------------
 * Placement
 * ------------------------------------------------------------------------------------- */

/* What the program itself sees first: its cgroup v2 line names our cgroup. */
static void test_program_starts_in_cgroup(void **state)
{
        const char *dir = make_test_cgroup();
        subproc *c = subproc_new_args("/bin/cat", "/proc/self/cgroup", NULL);
        char *out = NULL, *line, *expected;
        int rc;

        (void)state;
        subproc_set_cgroup(c, dir);
        subproc_set_output_buffer(c, &out);
        rc = subproc_run(c, NULL);
        if (rc != 0)
                print_error("subproc_run: %s (errno %d)\n", subproc_errmsg(), errno);
        subproc_free(c);
        assert_ll_equal(rc, 0);
        print_message("  %s", out);

        /* "0::/<path from the namespace root>/subproc-test-<pid>" */
        assert_true(asprintf(&expected, "/subproc-test-%ld\n", (long)getpid()) > 0);
        line = strstr(out, "0::/");
        if (line == NULL || strstr(line, expected) == NULL ||
            strchr(line, '\n') != strstr(line, expected) + strlen(expected) - 1)
                fail_msg("the cgroup v2 line does not end in %s in \"%s\"", expected, out);
        free(expected);
        free(out);
        assert_ll_equal(remove_test_cgroup(), 0);
}

/* While it runs, the child is the only process listed in the cgroup's cgroup.procs, and it
 * inherited no fd of the placement. */
static void test_running_child_listed(void **state)
{
        const char *dir = make_test_cgroup();
        subproc *c = subproc_new_args(HELPER_PATH, NULL);
        char *procs_path, *procs, pid_line[32], *report_path = t_make_temp_path(), ready = 0;
        struct helper_report *r;
        char expected_fds[32];
        int notify[2];

        (void)state;
        /* The helper reports, then says so on the notify pipe, then sleeps. */
        assert_ll_equal(pipe2(notify, O_CLOEXEC), 0);
        subproc_pass_fd(c, notify[1], SUBPROC_PASS_FD_CLOSE_PARENT);
        subproc_add_arg_format(c, "--report=%s", report_path);
        subproc_add_arg_format(c, "--notify-fd=%d", notify[1]);
        subproc_add_arg(c, "--sleep-ms=60000");
        subproc_set_cgroup(c, dir);
        subproc_set_raw_status(c);
        snprintf(expected_fds, sizeof expected_fds, "0 1 2 %d", notify[1]);
        assert_ll_equal(subproc_run_async(c, NULL), 0);
        assert_ll_equal(read(notify[0], &ready, 1), 1);
        close(notify[0]);
        assert_true(asprintf(&procs_path, "%s/cgroup.procs", dir) > 0);
        procs = t_read_file_all(procs_path, NULL);
        snprintf(pid_line, sizeof pid_line, "%ld\n", (long)subproc_pid(c));
        print_message("  cgroup.procs: %s", procs);
        assert_ll_equal(subproc_kill(c, SIGTERM), 0);
        assert_ll_equal(subproc_wait(c, NULL), 0);
        assert_string_equal(procs, pid_line);
        free(procs);

        /* Reaped: the cgroup is empty again. */
        procs = t_read_file_all(procs_path, NULL);
        assert_string_equal(procs, "");
        free(procs);
        free(procs_path);

        r = t_report_read_file(report_path);
        t_check_fd_set(r, expected_fds);
        t_report_free(r);
        unlink(report_path);
        free(report_path);
        subproc_free(c);
        assert_ll_equal(remove_test_cgroup(), 0);
}

/* How a case starts its child, and which way into the cgroup that must take. */
struct placement_mode {
        const char *name;
        bool no_clone3; /* sp_test_no_clone3: as on a kernel without clone3 */
        bool no_pidfd;  /* sp_test_no_pidfd: as on a kernel without pidfds */
        bool hook;      /* a pre-exec hook: the child is forked */
        bool daemon;    /* subproc_daemonize() */
        bool by_clone3; /* expected: created in the cgroup, not written into it */
};

static const struct placement_mode placement_modes[] = {
        { "clone3", false, false, false, false, true },
        { "clone3, no pidfd", false, true, false, false, true },
        { "write", true, false, false, false, false },
        { "write, no pidfd", true, true, false, false, false },
        { "fork for a hook, write", false, false, true, false, false },
        { "daemon, clone3", false, false, false, true, true },
        { "daemon, write", true, false, false, true, false },
};

static int hook_does_nothing(void *opaque)
{
        (void)opaque;
        return 0;
}

static void set_mode(subproc *c, const struct placement_mode *m)
{
        sp_test_no_clone3 = m->no_clone3;
        sp_test_no_pidfd = m->no_pidfd;
        if (m->hook)
                subproc_set_pre_exec_hook(c, hook_does_nothing, NULL);
        if (m->daemon)
                subproc_daemonize(c);
}

/* Run the helper as a daemon; its report once it has told us through the notify pipe, and
 * once it has exited (it is nobody's child we could wait for). */
static struct helper_report *run_daemon_report(subproc *c, const char *report_path,
                                               char *expected_fds, size_t size)
{
        struct helper_report *r;
        int notify[2], rc;
        char byte = 0;
        pid_t pid;

        assert_ll_equal(pipe2(notify, O_CLOEXEC), 0);
        subproc_pass_fd(c, notify[1], SUBPROC_PASS_FD_CLOSE_PARENT);
        subproc_add_arg_format(c, "--notify-fd=%d", notify[1]);
        snprintf(expected_fds, size, "0 1 2 %d", notify[1]);
        rc = subproc_run(c, NULL);
        if (rc != 0)
                print_error("subproc_run: %s\n", subproc_errmsg());
        assert_ll_equal(rc, 0);
        pid = subproc_daemon_pid(c);
        assert_true(pid > 0);
        t_track(pid);
        t_read_exact(notify[0], &byte, 1, T_HANG_GUARD_SHORT_MS);
        close(notify[0]);
        r = t_report_read_file(report_path);
        assert_true(t_wait_exit(pid, T_HANG_GUARD_SHORT_MS) >= 0);
        return r;
}

/* Run the helper and wait for it, checking it has a pidfd exactly when it should. */
static struct helper_report *run_child_report(subproc *c, const struct placement_mode *m,
                                              const char *report_path)
{
        int rc, status = -1;

        rc = subproc_run_async(c, NULL);
        if (rc != 0)
                print_error("subproc_run_async: %s\n", subproc_errmsg());
        assert_ll_equal(rc, 0);
        assert_true(m->no_pidfd ? subproc_pidfd(c) == -1 : subproc_pidfd(c) >= 0);
        assert_ll_equal(subproc_wait(c, &status), 0);
        assert_ll_equal(status, 0);
        return t_report_read_file(report_path);
}

/* Every way of starting a child lands it in the cgroup, by the way the mode expects (the
 * library's count of clone3 placements says which), with no fd of the placement. */
static void test_placement_modes(void **state)
{
        const char *dir = make_test_cgroup();

        (void)state;
        for (size_t i = 0; i < sizeof placement_modes / sizeof placement_modes[0]; i++) {
                const struct placement_mode *m = &placement_modes[i];
                subproc *c = subproc_new(HELPER_PATH);
                char *report_path = t_make_temp_path(), expected_fds[32] = "0 1 2";
                struct helper_report *r;
                unsigned before;

                if (m->by_clone3 && SUBPROC_SPAWN_FORK) {
                        print_message("  %s: this build's child is fork()ed (-Dspawn=fork), "
                                      "never made by clone3: not tried\n",
                                      m->name);
                        subproc_free(c);
                        free(report_path);
                        continue;
                }
                if (m->by_clone3 && clone_into_cgroup_error(dir) != 0) {
                        print_message("  %s: clone3(CLONE_INTO_CGROUP) refused here: not "
                                      "tried\n",
                                      m->name);
                        subproc_free(c);
                        free(report_path);
                        continue;
                }
                print_message("  %s\n", m->name);
                subproc_add_arg_format(c, "--report=%s", report_path);
                subproc_set_cgroup(c, dir);
                set_mode(c, m);
                before = clone3_spawns();
                if (m->daemon)
                        r = run_daemon_report(c, report_path, expected_fds, sizeof expected_fds);
                else
                        r = run_child_report(c, m, report_path);
                assert_ll_equal(clone3_spawns() - before, m->by_clone3 ? 1 : 0);
                assert_cgroup_path(t_report_get(r, "cgroup"), dir);
                t_check_fd_set(r, expected_fds);
                t_report_free(r);
                unlink(report_path);
                free(report_path);
                subproc_free(c);
        }
        sp_test_no_clone3 = sp_test_no_pidfd = 0;
        assert_ll_equal(remove_test_cgroup(), 0);
}

#if defined(__x86_64__)
#define FILTER_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define FILTER_ARCH AUDIT_ARCH_AARCH64
#endif

/* Make clone3() fail with ENOSYS in this process from now on, as Docker's default seccomp
 * profile does (and as kernels before 5.3 do).  false if the filter cannot be installed. */
static bool deny_clone3(void)
{
#ifdef FILTER_ARCH
        struct sock_filter code[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, FILTER_ARCH, 1, 0),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = { .len = sizeof code / sizeof code[0], .filter = code };

        return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
               prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0;
#else
        return false;
#endif
}

/* In the forked process of the case below, without cmocka: 0 when three spawns all landed in
 * `dir` with a single clone3() tried, else a code saying what went wrong. */
static int spawn_three_without_clone3(const char *dir)
{
        const char *own = strstr(dir, "/subproc-test-");
        unsigned before = __atomic_load_n(&sp_test_clone3_attempts, __ATOMIC_RELAXED);

        if (!deny_clone3())
                return 77;
        for (int i = 0; i < 3; i++) {
                subproc *c = subproc_new_args("/bin/cat", "/proc/self/cgroup", NULL);
                char *out = NULL;
                bool placed;
                int rc;

                subproc_set_cgroup(c, dir);
                subproc_set_output_buffer(c, &out);
                rc = subproc_run(c, NULL);
                placed = rc == 0 && own != NULL && strstr(out, own) != NULL;
                if (rc != 0)
                        fprintf(stderr, "run %d: %s\n", i, subproc_errmsg());
                free(out);
                subproc_free(c);
                if (!placed)
                        return 1;
        }
        /* One try that found it missing; none if this process knew already (valgrind, which
         * has no clone3 either, gets there first). */
        return __atomic_load_n(&sp_test_clone3_attempts, __ATOMIC_RELAXED) - before <= 1 ? 0 : 2;
}

/* The first spawn into a cgroup that finds clone3() missing falls back to the write and
 * remembers: the next ones do not try clone3() again. */
static void test_missing_clone3_is_remembered(void **state)
{
        const char *dir = make_test_cgroup();
        int status = -1;
        pid_t pid;

        (void)state;
        if (SUBPROC_SPAWN_FORK) {
                print_message("no clone3 in this build's spawn path: case not tried\n");
                skip();
        }
        /* The filter stays with the process that installs it: a forked copy of us. */
        pid = fork();
        if (pid == 0)
                _exit(spawn_three_without_clone3(dir));
        assert_true(pid > 0);
        assert_ll_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == 77) {
                print_message("cannot install a seccomp filter here: case not tried\n");
                skip();
        }
        if (WEXITSTATUS(status) == 2)
                fail_msg("clone3() was tried again after it was found missing");
        assert_ll_equal(WEXITSTATUS(status), 0);
        assert_ll_equal(remove_test_cgroup(), 0);
}

/* The first writable cgroup v1 "pids" hierarchy, or NULL. */
static char *cgroup1_pids_root(void)
{
        char line[4096], *root = NULL;
        FILE *f = fopen("/proc/self/mountinfo", "re");

        if (f == NULL)
                return NULL;
        while (root == NULL && fgets(line, sizeof line, f) != NULL) {
                char mount_point[4096], fstype[64], options[1024], *sep = strstr(line, " - ");

                if (sep == NULL || sscanf(sep, " - %63s %*s %1023s", fstype, options) != 2 ||
                    strcmp(fstype, "cgroup") != 0 ||
                    sscanf(line, "%*s %*s %*s %*s %4095s", mount_point) != 1)
                        continue;
                if (strstr(options, ",pids") != NULL && strchr(mount_point, '\\') == NULL &&
                    access(mount_point, W_OK) == 0)
                        root = strdup(mount_point);
        }
        fclose(f);
        return root;
}

/* A cgroup v1 directory: clone3 refuses its fd (EBADF), and the library falls back to the
 * write, which v1 accepts.  This is the fallback taken for real, not through a knob. */
static void test_v1_cgroup_by_write(void **state)
{
        char *root = cgroup1_pids_root(), *dir, *report_path;
        struct helper_report *r;
        subproc *c;
        unsigned before;

        (void)state;
        if (root == NULL) {
                print_message("no writable cgroup v1 pids hierarchy: case not tried\n");
                skip();
        }
        assert_true(asprintf(&dir, "%s/subproc-test-%ld", root, (long)getpid()) > 0);
        free(root);
        if (mkdir(dir, 0755) != 0) {
                print_message("cannot create %s (%s): case not tried\n", dir, strerror(errno));
                free(dir);
                skip();
        }
        test_cgroup = dir;
        /* EBADF from a kernel with CLONE_INTO_CGROUP; an older one refuses clone3 itself. */
        assert_true(clone_into_cgroup_error(dir) != 0);

        c = subproc_new(HELPER_PATH);
        report_path = t_make_temp_path();
        subproc_add_arg_format(c, "--report=%s", report_path);
        subproc_set_cgroup(c, dir);
        before = clone3_spawns();
        r = run_child_report(c, &placement_modes[0], report_path);
        assert_ll_equal(clone3_spawns(), before);
        assert_cgroup_path(t_report_get(r, "cgroup[pids]"), dir);
        t_check_fd_set(r, "0 1 2");
        t_report_free(r);
        unlink(report_path);
        free(report_path);
        subproc_free(c);
        assert_ll_equal(remove_test_cgroup(), 0);
}

/* subproc_exec(): the caller becomes the program, so it can only write itself in; a forked
 * process of the test does it.  Into a cgroup that refuses processes, it returns the error. */
static void exec_into_cgroup(void *arg, struct t_result *res)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);

        subproc_set_cgroup(c, arg);
        t_result_set(res, subproc_exec(c));
        subproc_free(c);
}

static void test_exec_in_place(void **state)
{
        const char *dir = make_test_cgroup();
        subproc *c = subproc_new(HELPER_PATH);
        char *report_path = t_make_temp_path(), *invalid, *expected;
        struct helper_report *r;
        struct t_result res;
        int status;
        pid_t pid;

        (void)state;
        subproc_add_arg_format(c, "--report=%s", report_path);
        subproc_set_cgroup(c, dir);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                (void)subproc_exec(c);
                _exit(100);
        }
        status = t_reap(pid, T_HANG_GUARD_SHORT_MS);
        assert_true(WIFEXITED(status));
        assert_ll_equal(WEXITSTATUS(status), 0);
        r = t_report_read_file(report_path);
        assert_cgroup_path(t_report_get(r, "cgroup"), dir);
        t_check_fd_set(r, "0 1 2");
        t_report_free(r);
        unlink(report_path);
        free(report_path);
        subproc_free(c);

        invalid = make_refusing_subgroup(dir);
        t_in_child(exec_into_cgroup, invalid, &res);
        assert_ll_equal(res.rc, -1);
        assert_errno_equal(res.error, EOPNOTSUPP);
        assert_true(asprintf(&expected, "enter cgroup %s: %s", invalid, strerror(EOPNOTSUPP)) > 0);
        assert_string_equal(res.msg, expected);
        free(expected);
        free(invalid);
        assert_ll_equal(remove_test_cgroup(), 0);
}

/* ---------------------------------------------------------------------------------------
 * Failures
 * ------------------------------------------------------------------------------------- */

/* A cgroup the kernel refuses to put a process into: "domain invalid", a sibling of a threaded
 * cgroup.  clone3 and the write both fail with EOPNOTSUPP; either way the error is the write's,
 * naming the step and the cgroup, and no child is left. */
static void test_refusing_cgroup(void **state)
{
        const char *dir = make_test_cgroup();
        char *invalid, *expected;

        (void)state;
        invalid = make_refusing_subgroup(dir);
        assert_true(asprintf(&expected, "enter cgroup %s: %s", invalid, strerror(EOPNOTSUPP)) > 0);
        for (size_t i = 0; i < sizeof placement_modes / sizeof placement_modes[0]; i++) {
                const struct placement_mode *m = &placement_modes[i];
                subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
                unsigned before = clone3_spawns();

                print_message("  %s\n", m->name);
                subproc_set_cgroup(c, invalid);
                set_mode(c, m);
                assert_run_fails(c, EOPNOTSUPP, expected);
                assert_ll_equal(subproc_errstage(), SUBPROC_STAGE_SETUP);
                if (!m->daemon)
                        assert_run_async_fails(c, EOPNOTSUPP, expected);
                assert_ll_equal(clone3_spawns(), before);
                subproc_free(c);
        }
        sp_test_no_clone3 = sp_test_no_pidfd = 0;
        free(expected);
        free(invalid);
        assert_ll_equal(remove_test_cgroup(), 0);
}

/* A directory that is no cgroup at all fails in the parent, both ways, and nothing is written
 * to a file that merely has the name cgroup.procs. */
static void test_not_a_cgroup(void **state)
{
        char *dir = t_make_temp_dir(), *procs = t_path(dir, "cgroup.procs"), *expected, *text;
        int fd;

        (void)state;
        fd = open(procs, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        close(fd);
        assert_true(asprintf(&expected, "cgroup %s: not a cgroup directory", dir) > 0);
        for (size_t i = 0; i < sizeof placement_modes / sizeof placement_modes[0]; i++) {
                const struct placement_mode *m = &placement_modes[i];
                subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);

                print_message("  %s\n", m->name);
                subproc_set_cgroup(c, dir);
                set_mode(c, m);
                assert_run_fails(c, EINVAL, expected);
                assert_ll_equal(subproc_errstage(), SUBPROC_STAGE_SETUP);
                if (!m->daemon)
                        assert_run_async_fails(c, EINVAL, expected);
                subproc_free(c);
        }
        sp_test_no_clone3 = sp_test_no_pidfd = 0;
        text = t_read_file_all(procs, NULL);
        assert_string_equal(text, "");
        free(text);
        free(expected);
        unlink(procs);
        free(procs);
        assert_int_equal(rmdir(dir), 0);
        free(dir);
}

/* The fd of the cgroup is ours: never 0-2 and never a number the child is told to use, even
 * where open() would have put it there. */
static void test_cgroup_fd_avoids_child_targets(void **state)
{
        const char *dir = make_test_cgroup();
        struct stat want, got;
        int lowest, avoid[3], fd, saved_stdin;

        (void)state;
        assert_int_equal(stat(dir, &want), 0);
        lowest = open("/dev/null", O_RDONLY | O_CLOEXEC);
        assert_true(lowest >= 3);
        close(lowest);
        /* Avoiding nothing, then the number open() returns, then the next ones too. */
        for (int n = 0; n <= 3; n++) {
                for (int i = 0; i < n; i++)
                        avoid[i] = lowest + i;
                fd = sp_cgroup_open(dir, avoid, (size_t)n);
                assert_true(fd >= 3);
                for (int i = 0; i < n; i++)
                        assert_true(fd != avoid[i]);
                assert_int_equal(fstat(fd, &got), 0);
                assert_true(got.st_ino == want.st_ino && got.st_dev == want.st_dev);
                assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
                close(fd);
        }

        /* With stdin closed, open() returns 0, which the child's stdin would replace. */
        saved_stdin = fcntl(0, F_DUPFD_CLOEXEC, 3);
        assert_true(saved_stdin >= 3);
        close(0);
        fd = sp_cgroup_open(dir, NULL, 0);
        assert_int_equal(dup2(saved_stdin, 0), 0);
        close(saved_stdin);
        assert_true(fd >= 3);
        close(fd);
        assert_ll_equal(remove_test_cgroup(), 0);
}

/* The directory does not exist, or is a file: the run fails before any child exists, with
 * the error of opening it, whichever way the child would have entered it. */
static void test_missing_cgroup(void **state)
{
        char *dir = t_make_temp_path(), *file = t_make_temp_file("", 0, 0644), *expected;

        (void)state;
        for (int no_clone3 = 0; no_clone3 <= 1; no_clone3++) {
                subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);

                sp_test_no_clone3 = no_clone3;
                subproc_set_cgroup(c, dir);
                assert_true(asprintf(&expected, "cgroup %s: %s", dir, strerror(ENOENT)) > 0);
                assert_run_fails(c, ENOENT, expected);
                assert_ll_equal(subproc_errstage(), SUBPROC_STAGE_SETUP);
                assert_run_async_fails(c, ENOENT, expected);
                assert_ll_equal(subproc_pid(c), -1);
                free(expected);

                subproc_set_cgroup(c, file);
                assert_true(asprintf(&expected, "cgroup %s: %s", file, strerror(ENOTDIR)) > 0);
                assert_run_fails(c, ENOTDIR, expected);
                free(expected);
                subproc_free(c);
        }
        sp_test_no_clone3 = 0;
        unlink(file);
        free(file);
        free(dir);
}

static void test_cgroup_bad_argument(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);

        (void)state;
        subproc_set_cgroup(c, NULL);
        assert_run_fails(c, EINVAL, NULL);
        subproc_free(c);

        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_set_cgroup(c, "");
        assert_run_fails(c, EINVAL, NULL);
        subproc_free(c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                CGROUP_TEST(test_program_starts_in_cgroup),
                CGROUP_TEST(test_running_child_listed),
                CGROUP_TEST(test_placement_modes),
                CGROUP_TEST(test_v1_cgroup_by_write),
                CGROUP_TEST(test_exec_in_place),
                CGROUP_TEST(test_refusing_cgroup),
                CGROUP_TEST(test_not_a_cgroup),
                CGROUP_TEST(test_cgroup_fd_avoids_child_targets),
                CGROUP_TEST(test_missing_cgroup),
                CGROUP_TEST(test_missing_clone3_is_remembered),
                T_TEST(test_cgroup_bad_argument),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
