/* Tests of subproc_set_cgroup_scope() and subproc_kill_scope(): a run's own cgroup holds the
 * whole tree, escapers that made new sessions or double-forked included, and takes it down at
 * a timeout, a kill of the scope, an abort and a free; it is removed once empty; it is refused
 * without cgroup v2 and for a parent directory that is a symlink.  And the usage of a run:
 * subproc_rusage() (no scope needed) and subproc_scope_stat().  The scope cases need a
 * writable cgroup v2 hierarchy (and skip without one).
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/support.h"
#include "src/test-knobs.h"

/* ---------------------------------------------------------------------------------------
 * The parent cgroup a case makes its scopes in
 * ------------------------------------------------------------------------------------- */

static char *parent_cgroup; /* <cgroup2 root>/subproc-scopetest-PID, made by the setup */
static char *marks;         /* a temp dir for the pids the escapers write */

/* The scopes (subproc-*.scope) in parent_cgroup now. */
static int count_scopes(void)
{
        DIR *d = opendir(parent_cgroup);
        struct dirent *e;
        int n = 0;

        assert_non_null(d);
        while ((e = readdir(d)) != NULL)
                if (strncmp(e->d_name, "subproc-", 8) == 0)
                        n++;
        closedir(d);
        return n;
}

/* A scope left by a failed case: kill what is in it and remove it. */
static void remove_scope(const char *name)
{
        char *dir = t_path(parent_cgroup, name), *kill_file = t_path(dir, "cgroup.kill");
        double deadline = t_monotonic_ms() + T_HANG_GUARD_MS;
        int fd = open(kill_file, O_WRONLY | O_CLOEXEC);

        if (fd >= 0) {
                (void)!write(fd, "1", 1);
                close(fd);
        }
        while (rmdir(dir) != 0 && errno == EBUSY && t_monotonic_ms() < deadline) {
                struct timespec step = { 0, 1000 * 1000 };

                nanosleep(&step, NULL);
        }
        free(kill_file);
        free(dir);
}

static int scope_setup(void **state)
{
        char *root = t_cgroup2_root();

        marks = t_make_temp_dir();
        if (root != NULL) {
                if (asprintf(&parent_cgroup, "%s/subproc-scopetest-%ld", root, (long)getpid()) < 0)
                        parent_cgroup = NULL;
                if (parent_cgroup && mkdir(parent_cgroup, 0755) != 0 && errno != EEXIST) {
                        free(parent_cgroup);
                        parent_cgroup = NULL;
                }
                free(root);
        }
        return t_setup(state);
}

static const char *const mark_names[] = { "a", "b", "ready", NULL };

/* The usual checks, then: no scope may be left in the parent cgroup. */
static int scope_teardown(void **state)
{
        int r = t_teardown(state), left = 0;

        sp_test_no_cgroup_kill = 0;
        sp_test_scope_random = 0;
        if (parent_cgroup) {
                DIR *d = opendir(parent_cgroup);
                struct dirent *e;

                while (d && (e = readdir(d)) != NULL) {
                        if (strncmp(e->d_name, "subproc-", 8) != 0)
                                continue;
                        print_error("scope %s was left behind\n", e->d_name);
                        remove_scope(e->d_name);
                        left++;
                }
                if (d)
                        closedir(d);
                if (rmdir(parent_cgroup) != 0)
                        print_error("rmdir %s: %s\n", parent_cgroup, strerror(errno));
                free(parent_cgroup);
                parent_cgroup = NULL;
        }
        t_remove_dir(marks, mark_names);
        marks = NULL;
        return left ? -1 : r;
}

#define SCOPE_TEST(f) cmocka_unit_test_setup_teardown(f, scope_setup, scope_teardown)

static void require_cgroup(void)
{
        if (parent_cgroup == NULL) {
                print_message("no writable cgroup v2 hierarchy: scope not tried\n");
                skip();
        }
}

/* ---------------------------------------------------------------------------------------
 * The escapers
 * ------------------------------------------------------------------------------------- */

/* A shell that starts two escapers and says so: `setsid sleep 1000` (a new session, out of
 * any process group the library could signal) and a double fork (a sleep whose parent exits
 * at once, so it is nobody's child of ours), writes their pids to marks/a and marks/b, then
 * marks/ready, and then sleeps on, or exits 0.  All of them ignore SIGTERM: only the SIGKILL
 * of the whole scope ends them. */
static subproc *escaper_command(bool exit_after)
{
        char *script;
        subproc *c;

        assert_true(asprintf(&script,
                             "cd '%s' || exit 97; trap '' TERM; "
                             "setsid sleep 1000 </dev/null >/dev/null 2>&1 & "
                             "echo $! > a; sh -c 'sleep 1000 </dev/null >/dev/null 2>&1 & "
                             "echo $! > b'; : > ready; %s",
                             marks, exit_after ? "exit 0" : "exec sleep 1000") > 0);
        c = subproc_new_args("/bin/sh", "-c", script, NULL);
        free(script);
        subproc_set_cgroup_scope(c, parent_cgroup);
        return c;
}

static pid_t read_mark(const char *name)
{
        char *path = t_path(marks, name), *text = t_read_file_all(path, NULL);
        pid_t pid = (pid_t)atol(text);

        free(text);
        free(path);
        assert_true(pid > 0);
        return pid;
}

static void wait_ready(void)
{
        char *ready = t_path(marks, "ready");
        double deadline = t_monotonic_ms() + T_HANG_GUARD_MS;

        while (!t_file_exists(ready)) {
                struct timespec step = { 0, 2 * 1000 * 1000 };

                assert_true(t_monotonic_ms() < deadline);
                nanosleep(&step, NULL);
        }
        free(ready);
}

/* Both escapers have exited (a zombie that pid 1 has yet to reap counts as gone) by now: the
 * library waits until the scope is empty. */
static void assert_escapers_gone(pid_t a, pid_t b)
{
        assert_true(t_gone_or_zombie(a));
        assert_true(t_gone_or_zombie(b));
}

/* ---------------------------------------------------------------------------------------
 * Killed as a whole
 * ------------------------------------------------------------------------------------- */

static void timeout_kills_tree(bool fallback)
{
        subproc *c;
        pid_t a, b;
        int status;

        require_cgroup();
        sp_test_no_cgroup_kill = fallback;
        c = escaper_command(false);
        subproc_set_timeout(c, 1500, 100);
        assert_int_equal(subproc_run_async(c, NULL), 0);
        wait_ready();
        a = read_mark("a");
        b = read_mark("b");
        errno = 0;
        assert_int_equal(subproc_wait(c, &status), -1);
        assert_errno_equal(errno, ETIMEDOUT);
        assert_escapers_gone(a, b);
        /* Emptied, so removed, before the run returned. */
        assert_null(subproc_scope_path(c));
        assert_int_equal(count_scopes(), 0);
        subproc_free(c);
}

static void test_timeout_kills_setsid_and_double_fork(void **state)
{
        (void)state;
        timeout_kills_tree(false);
}

/* Before Linux 5.14 there is no cgroup.kill: freeze, kill each member, thaw. */
static void test_timeout_kills_tree_without_cgroup_kill(void **state)
{
        (void)state;
        timeout_kills_tree(true);
}

static void test_kill_scope_kills_tree(void **state)
{
        subproc *c;
        pid_t a, b;
        int status;

        (void)state;
        require_cgroup();
        c = escaper_command(false);
        assert_int_equal(subproc_run_async(c, NULL), 0);
        wait_ready();
        a = read_mark("a");
        b = read_mark("b");
        assert_non_null(subproc_scope_path(c));
        assert_int_equal(count_scopes(), 1);
        assert_int_equal(subproc_kill_scope(c, SIGKILL), 0);
        assert_escapers_gone(a, b);
        /* The child too; its reap ends the run and removes the empty scope. */
        subproc_set_raw_status(c);
        assert_int_equal(subproc_wait(c, &status), 0);
        assert_killed_by(status, SIGKILL);
        assert_null(subproc_scope_path(c));
        assert_int_equal(count_scopes(), 0);
        subproc_free(c);
}

static void test_abort_kills_tree(void **state)
{
        subproc *c;
        pid_t a, b;

        (void)state;
        require_cgroup();
        c = escaper_command(false);
        assert_int_equal(subproc_run_async(c, NULL), 0);
        wait_ready();
        a = read_mark("a");
        b = read_mark("b");
        subproc_abort(c);
        assert_escapers_gone(a, b);
        assert_int_equal(count_scopes(), 0);
        subproc_free(c);
}

static void test_free_kills_tree(void **state)
{
        subproc *c;
        pid_t a, b;

        (void)state;
        require_cgroup();
        c = escaper_command(false);
        assert_int_equal(subproc_run_async(c, NULL), 0);
        wait_ready();
        a = read_mark("a");
        b = read_mark("b");
        subproc_free(c);
        assert_escapers_gone(a, b);
        assert_int_equal(count_scopes(), 0);
}

/* A normal exit leaves the survivors running in their scope until a kill (here SIGHUP, which
 * goes to each member) and the free, which removes the emptied scope. */
static void test_survivors_of_normal_exit_stay_until_killed(void **state)
{
        subproc *c;
        pid_t a, b;
        char *path;

        (void)state;
        require_cgroup();
        c = escaper_command(true);
        assert_int_equal(subproc_run(c, NULL), 0);
        a = read_mark("a");
        b = read_mark("b");
        assert_false(t_gone_or_zombie(a));
        assert_false(t_gone_or_zombie(b));
        assert_non_null(subproc_scope_path(c));
        path = strdup(subproc_scope_path(c));
        assert_int_equal(count_scopes(), 1);
        assert_int_equal(subproc_kill_scope(c, SIGHUP), 0);
        assert_true(t_wait_exit(a, T_HANG_GUARD_MS) >= 0);
        assert_true(t_wait_exit(b, T_HANG_GUARD_MS) >= 0);
        subproc_free(c);
        assert_false(t_file_exists(path));
        free(path);
}

/* A rerun ends the last run's scope, survivors and all, before it makes its own. */
static void test_rerun_kills_last_scope(void **state)
{
        subproc *c;
        pid_t a, b;

        (void)state;
        require_cgroup();
        c = escaper_command(true);
        assert_int_equal(subproc_run(c, NULL), 0);
        a = read_mark("a");
        b = read_mark("b");
        assert_int_equal(subproc_run(c, NULL), 0);
        assert_escapers_gone(a, b);
        assert_int_equal(count_scopes(), 1); /* the new run's, with its own survivors */
        subproc_free(c);
        assert_int_equal(count_scopes(), 0);
}

/* The child is born in the scope: /proc/self/cgroup names it. */
static void test_child_is_in_scope_and_empty_scope_is_removed(void **state)
{
        subproc *c;
        char *out = NULL;
        struct subproc_scope_stat st;

        (void)state;
        require_cgroup();
        c = subproc_new_args("/bin/cat", "/proc/self/cgroup", NULL);
        subproc_set_cgroup_scope(c, parent_cgroup);
        subproc_set_output_buffer(c, &out);
        assert_int_equal(subproc_run(c, NULL), 0);
        assert_contains(out, "/subproc-scopetest-");
        assert_contains(out, ".scope\n");
        /* Empty at the end of the run: removed then. */
        assert_null(subproc_scope_path(c));
        assert_int_equal(count_scopes(), 0);
        /* Its usage was read before. */
        assert_int_equal(subproc_scope_stat(c, &st), 0);
        errno = 0;
        assert_int_equal(subproc_kill_scope(c, SIGKILL), -1);
        assert_errno_equal(errno, ESRCH);
        free(out);
        subproc_free(c);
}

/* ---------------------------------------------------------------------------------------
 * Refused
 * ------------------------------------------------------------------------------------- */

/* Any directory that is not a cgroup v2 one (a tmpfs, a disk): refused at run, not ignored. */
static void test_refused_without_cgroup2(void **state)
{
        subproc *c = subproc_new_args("/bin/true", NULL);

        (void)state;
        subproc_set_cgroup_scope(c, marks);
        assert_run_fails(c, ENOTSUP, "not a cgroup v2 directory");
        assert_null(subproc_scope_path(c));
        subproc_free(c);
}

/* A symlink in parent_dir's place (someone else may have made it) is not followed. */
static void test_refused_symlink_parent(void **state)
{
        char *link = t_path(marks, "a");
        subproc *c = subproc_new_args("/bin/true", NULL);

        (void)state;
        assert_int_equal(symlink(parent_cgroup ? parent_cgroup : "/sys/fs/cgroup", link), 0);
        subproc_set_cgroup_scope(c, link);
        assert_run_fails(c, ELOOP, "is a symbolic link");
        subproc_free(c);
        if (parent_cgroup)
                assert_int_equal(count_scopes(), 0);
        free(link);
}

static void test_refused_bad_arguments(void **state)
{
        subproc *c;

        (void)state;
        c = subproc_new_args("/bin/true", NULL);
        subproc_set_cgroup_scope(c, NULL);
        assert_run_fails(c, EINVAL, "parent directory is NULL");
        subproc_free(c);
        c = subproc_new_args("/bin/true", NULL);
        subproc_set_cgroup_scope(c, "");
        assert_run_fails(c, EINVAL, "parent directory is empty");
        subproc_free(c);
        c = subproc_new_args("/bin/true", NULL);
        subproc_set_cgroup_scope(c, "/nonexistent/subproc-scope");
        assert_run_fails(c, ENOENT, "/nonexistent/subproc-scope");
        subproc_free(c);
        c = subproc_new_args("/bin/true", NULL);
        subproc_set_cgroup_scope(c, "/sys/fs/cgroup");
        subproc_set_cgroup(c, "/sys/fs/cgroup");
        assert_run_fails(c, EINVAL, "contradict");
        subproc_free(c);
        c = subproc_new_args("/bin/true", NULL);
        errno = 0;
        assert_int_equal(subproc_kill_scope(c, SIGKILL), -1);
        assert_errno_equal(errno, ESRCH);
        assert_int_equal(subproc_kill_scope(NULL, SIGKILL), -1);
        assert_null(subproc_scope_path(c));
        assert_null(subproc_scope_path(NULL));
        subproc_free(c);
}

static void test_kill_scope_refuses_bad_signal(void **state)
{
        subproc *c;

        (void)state;
        require_cgroup();
        c = subproc_new_args("/bin/sleep", "1000", NULL);
        subproc_set_cgroup_scope(c, parent_cgroup);
        assert_int_equal(subproc_run_async(c, NULL), 0);
        errno = 0;
        assert_int_equal(subproc_kill_scope(c, 1000), -1);
        assert_errno_equal(errno, EINVAL);
        assert_int_equal(subproc_kill_scope(c, 0), 0);
        subproc_free(c);
        assert_int_equal(count_scopes(), 0);
}

/* A daemon stays in the scope, and subproc_free() leaves it (and its scope) to the caller. */
static void test_daemon_stays_in_scope(void **state)
{
        char *pidfile = t_path(marks, "a"), *cg, *text, *path;
        struct rusage ru;
        subproc *c;
        pid_t daemon;

        (void)state;
        require_cgroup();
        c = subproc_new_args(HELPER_PATH, "--no-report", "--sleep-ms=100000", NULL);
        subproc_set_cgroup_scope(c, parent_cgroup);
        subproc_daemonize(c);
        subproc_set_pidfile(c, pidfile);
        assert_int_equal(subproc_run(c, NULL), 0);
        errno = 0;
        assert_int_equal(subproc_rusage(c, &ru), -1);
        assert_errno_equal(errno, ENOENT);
        daemon = subproc_daemon_pid(c);
        assert_true(daemon > 0);
        t_track(daemon);
        assert_non_null(subproc_scope_path(c));
        path = strdup(subproc_scope_path(c));
        assert_true(asprintf(&cg, "/proc/%ld/cgroup", (long)daemon) > 0);
        text = t_read_file_all(cg, NULL);
        assert_contains(text, strrchr(path, '/'));
        subproc_free(c);
        assert_false(t_gone_or_zombie(daemon));
        assert_true(t_file_exists(path));
        /* The caller's to end: here through the scope's own cgroup.kill. */
        remove_scope(strrchr(path, '/') + 1);
        assert_true(t_wait_exit(daemon, T_HANG_GUARD_MS) >= 0);
        free(text);
        free(cg);
        free(path);
        free(pidfile);
}

/* ---------------------------------------------------------------------------------------
 * Attacks
 * ------------------------------------------------------------------------------------- */

/* Names made first by someone else (who guessed the random part: here a knob fixes it) are
 * never used, nor touched: another name is tried, and when every one tried is taken the run
 * fails with EEXIST before anything runs. */
#define TAKEN_NAMES 400
#define FIXED_RANDOM 0x5ca1ab1eu

/* Make the names of counter values first..last (every one, or all but `spare`). */
static void make_taken(int first, int last, int spare)
{
        for (int n = first; n <= last; n++) {
                char name[96], *dir;

                if (n == spare)
                        continue;
                snprintf(name, sizeof name, "subproc-%ld-%d-%08x.scope", (long)getpid(), n,
                         FIXED_RANDOM);
                dir = t_path(parent_cgroup, name);
                assert_true(mkdir(dir, 0755) == 0 || errno == EEXIST);
                free(dir);
        }
}

/* Remove the names make_taken() made; returns how many there were. */
static int remove_taken(int first, int last)
{
        int found = 0;

        for (int n = first; n <= last; n++) {
                char name[96], *dir;

                snprintf(name, sizeof name, "subproc-%ld-%d-%08x.scope", (long)getpid(), n,
                         FIXED_RANDOM);
                dir = t_path(parent_cgroup, name);
                found += rmdir(dir) == 0;
                free(dir);
        }
        return found;
}

/* The counter value in the name of the scope a child reports in its /proc/self/cgroup. */
static int scope_counter(const char *cgroup_text)
{
        char pattern[64];
        const char *p;

        snprintf(pattern, sizeof pattern, "/subproc-%ld-", (long)getpid());
        p = strstr(cgroup_text, pattern);
        assert_non_null(p);
        return atoi(p + strlen(pattern));
}

/* Run c (which captures into *out) and return the counter of its scope's name. */
static int run_cat_cgroup(subproc *c, char **out)
{
        if (subproc_run(c, NULL) != 0)
                fail_msg("%s", subproc_errmsg());
        return scope_counter(*out);
}

static void test_taken_names_are_skipped(void **state)
{
        char *out = NULL;
        subproc *c;
        int n;

        (void)state;
        require_cgroup();
        sp_test_scope_random = FIXED_RANDOM;
        c = subproc_new_args("/bin/cat", "/proc/self/cgroup", NULL);
        subproc_set_cgroup_scope(c, parent_cgroup);
        subproc_set_output_buffer(c, &out);
        /* The next run tries n + 1 first: take it and the two after. */
        n = run_cat_cgroup(c, &out);
        make_taken(n + 1, n + 3, 0);
        assert_int_equal(run_cat_cgroup(c, &out), n + 4);
        /* Ours was removed; the others' are all still there, untouched. */
        assert_int_equal(count_scopes(), 3);
        assert_int_equal(remove_taken(n + 1, n + 3), 3);
        subproc_free(c);
        free(out);
}

static void test_every_name_taken_fails(void **state)
{
        char *marker = t_path(marks, "ready");
        subproc *c;

        (void)state;
        require_cgroup();
        sp_test_scope_random = FIXED_RANDOM;
        make_taken(1, TAKEN_NAMES, 0);
        c = subproc_new_args(HELPER_PATH, "--no-report", NULL);
        subproc_add_arg_format(c, "--write-file=%s", marker);
        subproc_set_cgroup_scope(c, parent_cgroup);
        assert_run_fails(c, EEXIST, "every name tried was taken");
        assert_false(t_file_exists(marker));
        assert_int_equal(remove_taken(1, TAKEN_NAMES), TAKEN_NAMES);
        subproc_free(c);
        free(marker);
}

/* A caller with 0, 1 and 2 closed: the scope's fds never take those numbers (the program's
 * stdio would be our cgroup directories), and they are all closed after. */
static void test_caller_without_stdio(void **state)
{
        int saved[3];
        bool open_now[3];
        int r;
        subproc *c;

        (void)state;
        require_cgroup();
        c = subproc_new_args("/bin/sh", "-c",
                             "exec 2>/dev/null; [ ! -e /proc/self/fd/0 ] && "
                             "[ ! -e /proc/self/fd/1 ]",
                             NULL);
        subproc_set_cgroup_scope(c, parent_cgroup);
        subproc_inherit_stdio(c);
        for (int fd = 0; fd < 3; fd++) {
                saved[fd] = fcntl(fd, F_DUPFD_CLOEXEC, 10);
                assert_true(saved[fd] >= 0);
                close(fd);
        }
        /* While it runs, the scope's fds are open: above 2. */
        r = subproc_run_async(c, NULL);
        for (int fd = 0; fd < 3; fd++)
                open_now[fd] = fcntl(fd, F_GETFD) >= 0;
        if (r == 0)
                r = subproc_wait(c, NULL);
        for (int fd = 0; fd < 3; fd++) {
                assert_int_equal(dup2(saved[fd], fd), fd);
                close(saved[fd]);
        }
        assert_int_equal(r, 0);
        for (int fd = 0; fd < 3; fd++)
                assert_false(open_now[fd]);
        assert_int_equal(count_scopes(), 0);
        subproc_free(c);
}

/* SIGCHLD ignored: the kernel reaps the child behind the library's back.  The escapers are
 * still the scope's, killed with it by the free. */
static void test_sigchld_ignored(void **state)
{
        struct sigaction ignore = { .sa_handler = SIG_IGN }, old;
        subproc *c;
        pid_t a, b;

        (void)state;
        require_cgroup();
        sigemptyset(&ignore.sa_mask);
        assert_int_equal(sigaction(SIGCHLD, &ignore, &old), 0);
        c = escaper_command(true);
        (void)subproc_run(c, NULL); /* "cannot reap": documented */
        a = read_mark("a");
        b = read_mark("b");
        subproc_free(c);
        assert_int_equal(sigaction(SIGCHLD, &old, NULL), 0);
        assert_true(t_wait_exit(a, T_HANG_GUARD_MS) >= 0);
        assert_true(t_wait_exit(b, T_HANG_GUARD_MS) >= 0);
        assert_int_equal(count_scopes(), 0);
}

/* ---------------------------------------------------------------------------------------
 * Usage
 * ------------------------------------------------------------------------------------- */

static long long cpu_ms(const struct rusage *ru)
{
        return (ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000LL +
               (ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1000;
}

static void test_rusage_cpu(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--burn-cpu-ms=200", NULL);
        struct rusage ru;

        (void)state;
        errno = 0;
        assert_int_equal(subproc_rusage(c, &ru), -1);
        assert_errno_equal(errno, ENOENT);
        assert_int_equal(subproc_run(c, NULL), 0);
        assert_int_equal(subproc_rusage(c, &ru), 0);
        assert_true(cpu_ms(&ru) >= 150);
        assert_int_equal(subproc_rusage(c, NULL), -1);
        assert_int_equal(subproc_rusage(NULL, &ru), -1);
        subproc_free(c);
}

static void test_rusage_max_rss(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--touch-mib=64", NULL);
        struct rusage ru;

        (void)state;
        assert_int_equal(subproc_run(c, NULL), 0);
        assert_int_equal(subproc_rusage(c, &ru), 0);
        assert_true(ru.ru_maxrss >= 64 * 1024); /* KiB */
        subproc_free(c);
}

/* A child reaped after a timeout or an abort has its usage too. */
static void test_rusage_after_abort(void **state)
{
        subproc *c = subproc_new_args(HELPER_PATH, "--no-report", "--sleep-ms=100000", NULL);
        struct rusage ru;

        (void)state;
        assert_int_equal(subproc_run_async(c, NULL), 0);
        subproc_abort(c);
        assert_int_equal(subproc_rusage(c, &ru), 0);
        subproc_free(c);
}

/* The scope counts the whole tree: here a grandchild's CPU time. */
static void test_scope_stat_counts_tree(void **state)
{
        char *script;
        subproc *c;
        struct subproc_scope_stat st;

        (void)state;
        require_cgroup();
        assert_true(asprintf(&script, "'%s' --no-report --burn-cpu-ms=200", HELPER_PATH) > 0);
        c = subproc_new_args("/bin/sh", "-c", script, NULL);
        subproc_set_cgroup_scope(c, parent_cgroup);
        errno = 0;
        assert_int_equal(subproc_scope_stat(c, &st), -1);
        assert_errno_equal(errno, ENOENT);
        assert_int_equal(subproc_run(c, NULL), 0);
        assert_int_equal(subproc_scope_stat(c, &st), 0);
        assert_true(st.usage_usec >= 150000);
        assert_true(st.user_usec + st.system_usec <= st.usage_usec + 1000);
        assert_int_equal(subproc_scope_stat(c, NULL), -1);
        free(script);
        subproc_free(c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                SCOPE_TEST(test_timeout_kills_setsid_and_double_fork),
                SCOPE_TEST(test_timeout_kills_tree_without_cgroup_kill),
                SCOPE_TEST(test_kill_scope_kills_tree),
                SCOPE_TEST(test_abort_kills_tree),
                SCOPE_TEST(test_free_kills_tree),
                SCOPE_TEST(test_survivors_of_normal_exit_stay_until_killed),
                SCOPE_TEST(test_rerun_kills_last_scope),
                SCOPE_TEST(test_child_is_in_scope_and_empty_scope_is_removed),
                SCOPE_TEST(test_refused_without_cgroup2),
                SCOPE_TEST(test_refused_symlink_parent),
                SCOPE_TEST(test_refused_bad_arguments),
                SCOPE_TEST(test_kill_scope_refuses_bad_signal),
                SCOPE_TEST(test_daemon_stays_in_scope),
                SCOPE_TEST(test_taken_names_are_skipped),
                SCOPE_TEST(test_every_name_taken_fails),
                SCOPE_TEST(test_caller_without_stdio),
                SCOPE_TEST(test_sigchld_ignored),
                SCOPE_TEST(test_rusage_cpu),
                SCOPE_TEST(test_rusage_max_rss),
                SCOPE_TEST(test_rusage_after_abort),
                SCOPE_TEST(test_scope_stat_counts_tree),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
