/* Issue 14, fds and argv0, scheduling: fds passed under chosen numbers (cycles, chains, one
 * fd under several numbers), argv[0] apart from the program, and the child's nice value,
 * scheduling policy, CPU affinity, I/O priority and OOM score adjustment, as the helper sees
 * them; every bad value refused by the builder with EINVAL naming it, and every kernel refusal
 * failing the run with the step named, the program never running.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/support.h"

#define NOBODY 65534

static struct helper_report *run_helper(subproc *c)
{
        char *out = NULL;

        return t_run_report(c, &out);
}

/* "DEV:INO" of fd, as the helper reports fdstat[N]. */
static void fd_identity(int fd, char *buf, size_t len)
{
        struct stat st;

        assert_ll_equal(fstat(fd, &st), 0);
        snprintf(buf, len, "%llu:%llu", (unsigned long long)st.st_dev,
                 (unsigned long long)st.st_ino);
}

static void check_child_fd_is(const struct helper_report *r, int child_fd, int caller_fd)
{
        char want[64];
        const char *got = t_report_getf(r, "fdstat[%d]", child_fd);

        fd_identity(caller_fd, want, sizeof want);
        if (got == NULL || strcmp(got, want) != 0)
                print_error("child fd %d is %s, expected the caller's fd %d (%s)\n", child_fd,
                            got ? got : "missing", caller_fd, want);
        assert_non_null(got);
        assert_string_equal(got, want);
}

/* A caller fd number taken for a case: what was there is kept aside and put back. */
struct borrowed {
        int fd;
        int saved; /* the fd that was there, moved away; -1 if it was free */
};

/* Put a new pipe end at `fd` (after saving what was there); the other end is closed. */
static void borrow_fd(struct borrowed *b, int fd)
{
        int p[2], high;

        b->fd = fd;
        b->saved = fcntl(fd, F_DUPFD_CLOEXEC, 200);
        if (b->saved < 0)
                assert_errno_equal(errno, EBADF);
        assert_ll_equal(pipe2(p, O_CLOEXEC), 0);
        high = fcntl(p[0], F_DUPFD_CLOEXEC, 100); /* the pipe may be on fd itself */
        assert_true(high >= 100);
        close(p[0]);
        close(p[1]);
        assert_ll_equal(dup3(high, fd, O_CLOEXEC), fd);
        close(high);
}

static void give_back_fd(struct borrowed *b)
{
        if (b->saved >= 0) {
                assert_ll_equal(dup3(b->saved, b->fd, O_CLOEXEC), b->fd);
                close(b->saved);
        } else {
                close(b->fd);
        }
}

/* ---------------------------------------------------------------------------------------
 * subproc_pass_fd_as
 * ------------------------------------------------------------------------------------- */

/* The case: 3 -> 4, 4 -> 5, 5 -> 3, each source another's target. */
static void test_pass_fd_as_cycle(void **state)
{
        char *out = NULL; /* the output buffer of every run of c */
        struct borrowed b[3];
        struct helper_report *r;
        char ids[3][64];
        subproc *c;

        (void)state;
        for (int i = 0; i < 3; i++) {
                borrow_fd(&b[i], 3 + i);
                fd_identity(3 + i, ids[i], sizeof ids[i]);
        }
        c = subproc_new(HELPER_PATH);
        subproc_pass_fd_as(c, 3, 4, 0);
        subproc_pass_fd_as(c, 4, 5, 0);
        subproc_pass_fd_as(c, 5, 3, 0);
        r = t_run_report(c, &out);
        /* Compare before giving the numbers back. */
        assert_string_equal(t_report_get(r, "fdstat[4]"), ids[0]);
        assert_string_equal(t_report_get(r, "fdstat[5]"), ids[1]);
        assert_string_equal(t_report_get(r, "fdstat[3]"), ids[2]);
        t_check_fd_set(r, "0 1 2 3 4 5");
        /* The caller's fds are where they were. */
        for (int i = 0; i < 3; i++) {
                char now[64];

                fd_identity(3 + i, now, sizeof now);
                assert_string_equal(now, ids[i]);
        }
        /* And again: the plan is made anew each run. */
        t_report_free(r);
        r = t_run_report_again(c, &out);
        assert_string_equal(t_report_get(r, "fdstat[3]"), ids[2]);
        t_report_free(r);
        subproc_free(c);
        for (int i = 2; i >= 0; i--)
                give_back_fd(&b[i]);
}

/* A chain (a target that is another's source, no cycle), a swap, and fds kept under their own
 * numbers next to them. */
static void test_pass_fd_as_chain_and_swap(void **state)
{
        int p[2], q[2], s[2];
        struct helper_report *r;
        subproc *c = subproc_new(HELPER_PATH);
        int a, b2, d;

        (void)state;
        assert_ll_equal(pipe2(p, O_CLOEXEC), 0);
        assert_ll_equal(pipe2(q, O_CLOEXEC), 0);
        assert_ll_equal(pipe2(s, O_CLOEXEC), 0);
        a = p[0];
        b2 = q[0];
        d = s[0];
        subproc_pass_fd_as(c, a, b2, 0);      /* b2's number gets a */
        subproc_pass_fd_as(c, b2, 40, 0);     /* and b2 goes to 40 */
        subproc_pass_fd_as(c, p[1], q[1], 0); /* swap p[1] and q[1] */
        subproc_pass_fd_as(c, q[1], p[1], 0);
        subproc_pass_fd(c, d, 0);        /* an ordinary pass beside them */
        subproc_pass_fd_as(c, 1, 41, 0); /* our stdout, which the child's 1 (a pipe) is not */
        r = run_helper(c);
        check_child_fd_is(r, 41, 1);
        check_child_fd_is(r, b2, a);
        check_child_fd_is(r, 40, b2);
        check_child_fd_is(r, q[1], p[1]);
        check_child_fd_is(r, p[1], q[1]);
        check_child_fd_is(r, d, d);
        assert_false(t_report_has_fd(r, a));
        t_report_free(r);
        subproc_free(c);
        for (int i = 0; i < 2; i++) {
                close(p[i]);
                close(q[i]);
                close(s[i]);
        }
}

/* One fd under two numbers; with CLOSE_PARENT the library closes it once, after the run. */
static void test_pass_fd_as_twice_close_parent(void **state)
{
        int p[2], other[2];
        struct helper_report *r;
        subproc *c = subproc_new(HELPER_PATH);
        char id[64];

        (void)state;
        assert_ll_equal(pipe2(p, O_CLOEXEC), 0);
        fd_identity(p[0], id, sizeof id);
        subproc_pass_fd_as(c, p[0], 50, SUBPROC_PASS_FD_CLOSE_PARENT);
        subproc_pass_fd_as(c, p[0], 51, 0); /* the library's in both */
        subproc_pass_fd_as(c, p[0], 50, 0); /* the same pair again: nothing new */
        r = run_helper(c);
        assert_string_equal(t_report_get(r, "fdstat[50]"), id);
        assert_string_equal(t_report_get(r, "fdstat[51]"), id);
        t_check_fd_set(r, "0 1 2 50 51");
        t_report_free(r);
        assert_ll_equal(fcntl(p[0], F_GETFD), -1);
        assert_errno_equal(errno, EBADF);
        /* Closed once: a new fd at that number is not closed by a second close. */
        assert_ll_equal(pipe2(other, O_CLOEXEC), 0);
        subproc_free(c);
        assert_true(fcntl(other[0], F_GETFD) >= 0);
        assert_true(fcntl(other[1], F_GETFD) >= 0);
        close(other[0]);
        close(other[1]);
        close(p[1]);
}

static void expect_pass_refused(int fd, int child_fd, unsigned flags, const char *msg)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);

        subproc_pass_fd_as(c, fd, child_fd, flags);
        assert_run_fails(c, EINVAL, msg);
        subproc_free(c);
}

static void test_pass_fd_as_refusals(void **state)
{
        int p[2], q[2];
        subproc *c;

        (void)state;
        assert_ll_equal(pipe2(p, O_CLOEXEC), 0);
        assert_ll_equal(pipe2(q, O_CLOEXEC), 0);
        expect_pass_refused(p[0], -1, 0, "the child's fd number is negative");
        expect_pass_refused(p[0], 0, 0, "stdio setters");
        expect_pass_refused(p[0], 2, 0, "child's fd 2");
        expect_pass_refused(-1, 30, 0, "cannot pass fd -1 as the child's fd 30: not an fd");
        expect_pass_refused(p[0], 30, 0x100, "unknown flags 0x100");

        /* Two fds to one number. */
        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_pass_fd_as(c, p[0], 30, 0);
        subproc_pass_fd_as(c, q[0], 30, 0);
        {
                char msg[128];

                snprintf(msg, sizeof msg, "cannot pass fd %d as the child's fd 30", q[0]);
                assert_run_fails(c, EINVAL, msg);
        }
        subproc_free(c);

        /* A refused fd given with CLOSE_PARENT is closed all the same. */
        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_pass_fd_as(c, q[1], 1, SUBPROC_PASS_FD_CLOSE_PARENT);
        assert_ll_equal(fcntl(q[1], F_GETFD), -1);
        assert_run_fails(c, EINVAL, "stdio setters");
        subproc_free(c);

        /* A send buffer's number. */
        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        {
                int sfd = subproc_add_send_buffer(c, "x", 1);

                assert_true(sfd >= 3);
                subproc_pass_fd_as(c, p[0], sfd, 0);
                assert_run_fails(c, EINVAL, "both passed and a send buffer");
        }
        subproc_free(c);

        /* A closed source fails the run with EBADF naming it. */
        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_pass_fd_as(c, 250, 30, 0);
        assert_run_fails(c, EBADF, "pass fd 250");
        subproc_free(c);
        close(p[0]);
        close(p[1]);
        close(q[0]);
}

/* ---------------------------------------------------------------------------------------
 * subproc_set_argv0
 * ------------------------------------------------------------------------------------- */

static void test_argv0(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "data", NULL);
        struct helper_report *r;

        (void)state;
        subproc_set_argv0(c, "first");
        subproc_set_argv0(c, "-login-name"); /* replaces */
        r = run_helper(c);
        assert_string_equal(t_report_get(r, "argv[0]"), "-login-name");
        assert_string_equal(t_report_get(r, "argv[1]"), "data");
        assert_ll_equal(t_report_get_int(r, "argc"), 2);
        t_report_free(r);
        subproc_free(c);

        /* An empty argv0 is allowed. */
        c = subproc_new(HELPER_PATH);
        subproc_set_argv0(c, "");
        r = run_helper(c);
        assert_string_equal(t_report_get(r, "argv[0]"), "");
        t_report_free(r);
        subproc_free(c);

        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_set_argv0(c, NULL);
        assert_run_fails(c, EINVAL, "argv0 is NULL");
        subproc_free(c);
}

/* A bare name is resolved from argv[0], not from argv0. */
static void test_argv0_resolves_program(void **state)
{
        subproc *c = subproc_new_args("sh", "-c", "echo \"$0\"", NULL);
        char *out = NULL;
        int status = -1;

        (void)state;
        subproc_set_argv0(c, "no-such-program-anywhere");
        subproc_set_output_buffer(c, &out);
        assert_ll_equal(subproc_run(c, &status), 0);
        assert_ll_equal(status, 0);
        assert_string_equal(out, "no-such-program-anywhere\n");
        free(out);
        subproc_free(c);
}

/* ---------------------------------------------------------------------------------------
 * Scheduling
 * ------------------------------------------------------------------------------------- */

static void test_nice(void **state)
{
        int now, want;
        struct helper_report *r;
        subproc *c = subproc_new(HELPER_PATH);

        (void)state;
        errno = 0;
        now = getpriority(PRIO_PROCESS, 0);
        assert_errno_equal(errno, 0);
        want = now < 19 ? now + 1 : 19;
        subproc_set_nice(c, want);
        r = run_helper(c);
        assert_ll_equal(t_report_get_int(r, "nice"), want);
        t_report_free(r);
        subproc_free(c);
        assert_ll_equal(getpriority(PRIO_PROCESS, 0), now); /* the caller's is untouched */
}

static void test_sched(void **state)
{
        char *out = NULL; /* the output buffer of every run of c */
        struct helper_report *r;
        subproc *c = subproc_new(HELPER_PATH);

        (void)state;
        subproc_set_sched(c, SCHED_IDLE, 0);
        r = t_run_report(c, &out);
        assert_ll_equal(t_report_get_int(r, "sched_policy"), SCHED_IDLE);
        t_report_free(r);
        subproc_set_sched(c, SCHED_BATCH, 0); /* replaces */
        r = t_run_report_again(c, &out);
        assert_ll_equal(t_report_get_int(r, "sched_policy"), SCHED_BATCH);
        t_report_free(r);
        subproc_free(c);
        assert_ll_equal(sched_getscheduler(0), SCHED_OTHER);
}

/* A realtime policy, where the test may take one (root with CAP_SYS_NICE, RT time allowed). */
static void test_sched_realtime(void **state)
{
        struct sched_param param = { .sched_priority = 7 };
        struct helper_report *r;
        subproc *c;
        pid_t pid;
        int status;

        (void)state;
        /* Can this process have SCHED_RR at all?  Ask in a throwaway child. */
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                _exit(sched_setscheduler(0, SCHED_RR, &param) == 0 ? 0 : 1);
        assert_ll_equal(waitpid(pid, &status, 0), pid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                print_message("skipped: this process may not take SCHED_RR\n");
                skip();
        }
        c = subproc_new(HELPER_PATH);
        subproc_set_sched(c, SCHED_RR | SCHED_RESET_ON_FORK, 7);
        r = run_helper(c);
        assert_ll_equal(t_report_get_int(r, "sched_policy"), SCHED_RR | SCHED_RESET_ON_FORK);
        assert_ll_equal(t_report_get_int(r, "sched_priority"), 7);
        t_report_free(r);
        subproc_free(c);
}

static void test_cpu_affinity(void **state)
{
        cpu_set_t mine, want;
        struct helper_report *r;
        subproc *c;
        char expect[16];
        int last = -1;

        (void)state;
        assert_ll_equal(sched_getaffinity(0, sizeof mine, &mine), 0);
        for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
                if (CPU_ISSET(cpu, &mine))
                        last = cpu;
        assert_true(last >= 0);
        CPU_ZERO(&want);
        CPU_SET(last, &want);
        snprintf(expect, sizeof expect, "%d", last);
        c = subproc_new(HELPER_PATH);
        subproc_set_cpu_affinity(c, &want, sizeof want);
        CPU_ZERO(&want); /* copied: the caller's set may change */
        r = run_helper(c);
        assert_string_equal(t_report_get(r, "cpus"), expect);
        t_report_free(r);
        subproc_free(c);
        /* The caller's is untouched. */
        assert_ll_equal(sched_getaffinity(0, sizeof want, &want), 0);
        assert_true(CPU_EQUAL(&want, &mine));
}

/* A dynamically sized set (CPU_ALLOC) larger than cpu_set_t. */
static void test_cpu_affinity_alloc(void **state)
{
        size_t size = CPU_ALLOC_SIZE(4096);
        cpu_set_t *set = CPU_ALLOC(4096);
        struct helper_report *r;
        subproc *c = subproc_new(HELPER_PATH);

        (void)state;
        assert_non_null(set);
        CPU_ZERO_S(size, set);
        CPU_SET_S(0, size, set);
        subproc_set_cpu_affinity(c, set, size);
        CPU_FREE(set);
        r = run_helper(c);
        assert_string_equal(t_report_get(r, "cpus"), "0");
        t_report_free(r);
        subproc_free(c);
}

static void test_ioprio(void **state)
{
        char *out = NULL; /* the output buffer of every run of c */
        struct helper_report *r;
        subproc *c = subproc_new(HELPER_PATH);

        (void)state;
        subproc_set_ioprio(c, SUBPROC_IOPRIO_CLASS_BE, 6);
        r = t_run_report(c, &out);
        assert_string_equal(t_report_get(r, "ioprio"), "2:6");
        t_report_free(r);
        subproc_set_ioprio(c, SUBPROC_IOPRIO_CLASS_IDLE, 0);
        r = t_run_report_again(c, &out);
        assert_string_equal(t_report_get(r, "ioprio"), "3:0");
        t_report_free(r);
        subproc_free(c);
}

static int own_oom_score_adj(void)
{
        FILE *f = fopen("/proc/self/oom_score_adj", "re");
        int adj = -5000;

        assert_non_null(f);
        assert_ll_equal(fscanf(f, "%d", &adj), 1);
        fclose(f);
        return adj;
}

/* The child shares the caller's memory until exec: the caller's own score must not move. */
static void test_oom_score_adj(void **state)
{
        int before = own_oom_score_adj();
        struct helper_report *r;
        subproc *c = subproc_new(HELPER_PATH);

        (void)state;
        subproc_set_oom_score_adj(c, 567);
        r = run_helper(c);
        assert_ll_equal(t_report_get_int(r, "oom_score_adj"), 567);
        t_report_free(r);
        subproc_free(c);
        assert_ll_equal(own_oom_score_adj(), before);
}

/* All of them at once, with a uid change after them (they need the privilege it drops). */
static void test_all_then_uid(void **state)
{
        struct helper_report *r;
        subproc *c = subproc_new(HELPER_PATH);
        cpu_set_t set;

        (void)state;
        t_require_root();
        CPU_ZERO(&set);
        CPU_SET(0, &set);
        subproc_set_nice(c, -3);           /* lowering needs CAP_SYS_NICE: before the uid change */
        subproc_set_oom_score_adj(c, 400); /* lowering needs CAP_SYS_RESOURCE, not here */
        subproc_set_ioprio(c, SUBPROC_IOPRIO_CLASS_BE, 1);
        subproc_set_cpu_affinity(c, &set, sizeof set);
        subproc_set_sched(c, SCHED_BATCH, 0);
        subproc_set_uid(c, NOBODY);
        subproc_set_gid(c, NOBODY);
        r = run_helper(c);
        assert_ll_equal(t_report_get_int(r, "uid"), NOBODY);
        assert_ll_equal(t_report_get_int(r, "nice"), -3);
        assert_ll_equal(t_report_get_int(r, "oom_score_adj"), 400);
        assert_string_equal(t_report_get(r, "ioprio"), "2:1");
        assert_string_equal(t_report_get(r, "cpus"), "0");
        assert_ll_equal(t_report_get_int(r, "sched_policy"), SCHED_BATCH);
        t_report_free(r);
        subproc_free(c);
}

/* ---------------------------------------------------------------------------------------
 * In place (subproc_exec)
 * ------------------------------------------------------------------------------------- */

/* The caller itself becomes the program: a swap, argv0 and scheduling apply to it. */
static void test_exec_in_place(void **state)
{
        subproc *c = subproc_new(HELPER_PATH);
        struct helper_report *r;
        int p[2], status;

        (void)state;
        assert_ll_equal(pipe2(p, O_CLOEXEC), 0);
        subproc_pass_fd_as(c, p[0], p[1], 0);
        subproc_pass_fd_as(c, p[1], p[0], 0);
        subproc_set_argv0(c, "in-place");
        subproc_set_nice(c, 19);
        subproc_set_oom_score_adj(c, 654);
        r = t_exec_report_in_fork(c, NULL, &status);
        assert_ll_equal(status, 0);
        check_child_fd_is(r, p[1], p[0]);
        check_child_fd_is(r, p[0], p[1]);
        {
                char want[64];

                /* The two ends of one pipe have one inode: tell them by their flags. */
                snprintf(want, sizeof want, "0x%x", O_WRONLY);
                assert_string_equal(t_report_getf(r, "fdflags[%d]", p[0]), want);
        }
        assert_string_equal(t_report_get(r, "argv[0]"), "in-place");
        assert_ll_equal(t_report_get_int(r, "nice"), 19);
        assert_ll_equal(t_report_get_int(r, "oom_score_adj"), 654);
        t_report_free(r);
        subproc_free(c);
        close(p[0]);
        close(p[1]);
}

/* Runs in a forked process: no cmocka.  A failure after the fds and the scheduling are
 * applied leaves them, as the header says: value 1 when fd b holds a's file and nice is 19. */
static void exec_fails_late(void *arg, struct t_result *res)
{
        int a = open("/dev/null", O_RDONLY | O_CLOEXEC), b = open("/", O_RDONLY | O_CLOEXEC);
        struct stat sa, sb;
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);

        (void)arg;
        subproc_pass_fd(c, t_child_result_fd, 0);
        subproc_pass_fd_as(c, a, b, 0);
        subproc_set_nice(c, 19);
        subproc_set_cwd(c, "/nonexistent/subproc-dir");
        t_result_set(res, subproc_exec(c));
        res->value = fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_ino == sb.st_ino &&
                     sa.st_dev == sb.st_dev && getpriority(PRIO_PROCESS, 0) == 19;
        subproc_free(c);
}

static void test_exec_in_place_failure(void **state)
{
        struct t_result res;

        (void)state;
        t_in_child(exec_fails_late, NULL, &res);
        assert_ll_equal(res.rc, -1);
        assert_errno_equal(res.error, ENOENT);
        assert_contains(res.msg, "chdir /nonexistent/subproc-dir");
        assert_ll_equal(res.value, 1);
}

static void expect_builder_refusal(void (*set)(subproc *c), const char *msg)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", NULL);

        set(c);
        assert_run_fails(c, EINVAL, msg);
        subproc_free(c);
}

static void nice_20(subproc *c)
{
        subproc_set_nice(c, 20);
}
static void nice_minus_21(subproc *c)
{
        subproc_set_nice(c, -21);
}
static void affinity_null(subproc *c)
{
        subproc_set_cpu_affinity(c, NULL, sizeof(cpu_set_t));
}
static void affinity_size_0(subproc *c)
{
        cpu_set_t set;

        CPU_ZERO(&set);
        CPU_SET(0, &set);
        subproc_set_cpu_affinity(c, &set, 0);
}
static void affinity_empty(subproc *c)
{
        cpu_set_t set;

        CPU_ZERO(&set);
        subproc_set_cpu_affinity(c, &set, sizeof set);
}
static void affinity_huge(subproc *c)
{
        static unsigned char big[65537] = { 1 };

        subproc_set_cpu_affinity(c, big, sizeof big);
}
static void ioprio_class_4(subproc *c)
{
        subproc_set_ioprio(c, 4, 0);
}
static void ioprio_level_8(subproc *c)
{
        subproc_set_ioprio(c, SUBPROC_IOPRIO_CLASS_BE, 8);
}
static void ioprio_idle_level(subproc *c)
{
        subproc_set_ioprio(c, SUBPROC_IOPRIO_CLASS_IDLE, 3);
}
static void oom_1001(subproc *c)
{
        subproc_set_oom_score_adj(c, 1001);
}
static void oom_minus_1001(subproc *c)
{
        subproc_set_oom_score_adj(c, -1001);
}
static void sched_unknown(subproc *c)
{
        subproc_set_sched(c, 99, 0);
}
static void sched_deadline(subproc *c)
{
        subproc_set_sched(c, 6, 0); /* SCHED_DEADLINE: sched_setattr's alone */
}
static void sched_fifo_0(subproc *c)
{
        subproc_set_sched(c, SCHED_FIFO, 0);
}
static void sched_other_1(subproc *c)
{
        subproc_set_sched(c, SCHED_OTHER, 1);
}

static void test_builder_refusals(void **state)
{
        (void)state;
        expect_builder_refusal(nice_20, "nice 20 is outside -20..19");
        expect_builder_refusal(nice_minus_21, "nice -21 is outside -20..19");
        expect_builder_refusal(affinity_null, "the CPU set is NULL");
        expect_builder_refusal(affinity_size_0, "size is 0");
        expect_builder_refusal(affinity_empty, "holds no CPU");
        expect_builder_refusal(affinity_huge, "larger than any system's");
        expect_builder_refusal(ioprio_class_4, "I/O priority class 4");
        expect_builder_refusal(ioprio_level_8, "I/O priority level 8 is outside 0..7");
        expect_builder_refusal(ioprio_idle_level, "I/O priority level 3 is outside 0");
        expect_builder_refusal(oom_1001, "OOM score adjustment 1001");
        expect_builder_refusal(oom_minus_1001, "OOM score adjustment -1001");
        expect_builder_refusal(sched_unknown, "scheduling policy 99");
        expect_builder_refusal(sched_deadline, "scheduling policy 6");
        expect_builder_refusal(sched_fifo_0, "scheduling priority 0 is outside 1..99");
        expect_builder_refusal(sched_other_1, "scheduling priority 1 is outside 0..0");
}

/* ---------------------------------------------------------------------------------------
 * The kernel's refusals, as an unprivileged caller meets them
 * ------------------------------------------------------------------------------------- */

enum kernel_refusal { LOWER_NICE, LOWER_OOM, REALTIME_SCHED, REALTIME_IOPRIO, NO_SUCH_CPU };

struct refusal_job {
        const char *marker;
        enum kernel_refusal what;
};

/* Runs in a forked process: no cmocka. */
static void run_refused(void *arg, struct t_result *res)
{
        const struct refusal_job *job = arg;
        cpu_set_t *set = CPU_ALLOC(8192);
        size_t size = CPU_ALLOC_SIZE(8192);
        subproc *c;

        if (geteuid() == 0 &&
            (setgroups(0, NULL) != 0 || setgid(NOBODY) != 0 || setuid(NOBODY) != 0)) {
                res->rc = -2;
                snprintf(res->msg, sizeof res->msg, "cannot become nobody");
                return;
        }
        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_add_arg_format(c, "--write-file=%s", job->marker);
        switch (job->what) {
        case LOWER_NICE:
                subproc_set_nice(c, -20);
                break;
        case LOWER_OOM:
                subproc_set_oom_score_adj(c, -1000);
                break;
        case REALTIME_SCHED:
                subproc_set_sched(c, SCHED_FIFO, 50);
                break;
        case REALTIME_IOPRIO:
                subproc_set_ioprio(c, SUBPROC_IOPRIO_CLASS_RT, 0);
                break;
        case NO_SUCH_CPU:
                CPU_ZERO_S(size, set);
                CPU_SET_S(8000, size, set);
                subproc_set_cpu_affinity(c, set, size);
                break;
        }
        CPU_FREE(set);
        t_result_set(res, subproc_run(c, NULL));
        res->value = waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD;
        subproc_free(c);
}

static void test_kernel_refusals_name_the_step(void **state)
{
        static const struct {
                enum kernel_refusal what;
                int error;
                const char *step;
        } cases[] = {
                { LOWER_NICE, EACCES, "set nice -20" },
                { LOWER_OOM, EACCES, "set OOM score adjustment -1000" },
                { REALTIME_SCHED, EPERM, "set scheduling policy 1 (priority 50)" },
                { REALTIME_IOPRIO, EPERM, "set I/O priority class 1 level 0" },
                { NO_SUCH_CPU, EINVAL, "set CPU affinity" },
        };
        char *dir = t_open_dir(), *marker = t_path(dir, "ran");
        const char *const names[] = { "ran", NULL };

        (void)state;
        if (geteuid() != 0 && (t_has_cap(23) || t_has_cap(24))) { /* SYS_NICE, SYS_RESOURCE */
                print_message("skipped: needs root (to become nobody) or no CAP_SYS_NICE\n");
                free(marker);
                t_remove_dir(dir, names);
                skip();
        }
        assert_ll_equal(chmod(dir, 0777), 0);
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                struct refusal_job job = { marker, cases[i].what };
                struct t_result res;

                t_in_child(run_refused, &job, &res);
                if (res.rc != -1 || res.error != cases[i].error)
                        print_error("case %zu: rc %d, errno %d, message: %s\n", i, res.rc,
                                    res.error, res.msg);
                assert_ll_equal(res.rc, -1);
                assert_errno_equal(res.error, cases[i].error);
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
                T_TEST(test_pass_fd_as_cycle),
                T_TEST(test_pass_fd_as_chain_and_swap),
                T_TEST(test_pass_fd_as_twice_close_parent),
                T_TEST(test_pass_fd_as_refusals),
                T_TEST(test_argv0),
                T_TEST(test_argv0_resolves_program),
                T_TEST(test_nice),
                T_TEST(test_sched),
                T_TEST(test_sched_realtime),
                T_TEST(test_cpu_affinity),
                T_TEST(test_cpu_affinity_alloc),
                T_TEST(test_ioprio),
                T_TEST(test_oom_score_adj),
                T_TEST(test_all_then_uid),
                T_TEST(test_exec_in_place),
                T_TEST(test_exec_in_place_failure),
                T_TEST(test_builder_refusals),
                T_TEST(test_kernel_refusals_name_the_step),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
