/* The caller's own state across spawns whose child shares its memory (issue 11, items 9, 11
 * and 14): its dumpable flag, its GOT (no lazy binding in the child), and its stack size.
 *
 * SPDX-License-Identifier: MIT
 *
 * The cases run the paths a child can take on Linux: plain (clone CLONE_VM|CLONE_VFORK),
 * created in a cgroup (clone3 CLONE_INTO_CGROUP; skipped without a writable cgroup v2
 * hierarchy), a daemon (an intermediate that clones the daemon into the same memory), and a
 * uid/gid change (as root; skipped otherwise).  The window in which the flag is lowered is
 * attacked for real by a process of nobody's (test_window_closed_to_the_new_user).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/support.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define NOBODY 65534

/* The library's test knobs (sp_test_clone3_cgroup_spawns: cgroup spawns made with clone3). */
#include "src/test-knobs.h"
#include "config.h"

#if HAVE_LIBC_SINGLE_THREADED
#include <sys/single_threaded.h>
#endif

enum {
        RUN_UID = 1 << 0,        /* the child runs as nobody */
        RUN_GID = 1 << 1,        /* the child runs with nobody's group (65534) */
        RUN_DAEMON = 1 << 2,     /* subproc_daemonize() */
        RUN_CGROUP = 1 << 3,     /* subproc_set_cgroup() */
        RUN_EXEC_FAILS = 1 << 4, /* the program is root's alone: exec fails after setresuid */
        RUN_CAPTURE = 1 << 5,    /* 200000 bytes of stdout into a buffer capped at 10: EFBIG */
        RUN_TIMEOUT = 1 << 6,    /* supervised with a timeout it never reaches (60 s) */
};

/* ---------------------------------------------------------------------------------------
 * A cgroup and a program nobody cannot run, made once per process
 * ------------------------------------------------------------------------------------- */

static char cgroup_path[PATH_MAX];
static char root_only_program[PATH_MAX];

static bool is_cgroup2(const char *path)
{
        struct statfs fs;

        return statfs(path, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

/* <cgroup2 root>/subproc-callerstate-<pid>, or NULL when none can be made. */
static const char *test_cgroup(void)
{
        static const char *const roots[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };

        if (cgroup_path[0] != '\0')
                return cgroup_path;
        for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
                if (!is_cgroup2(roots[i]))
                        continue;
                snprintf(cgroup_path, sizeof cgroup_path, "%s/subproc-callerstate-%d", roots[i],
                         (int)getpid());
                if (mkdir(cgroup_path, 0755) == 0)
                        return cgroup_path;
        }
        cgroup_path[0] = '\0';
        return NULL;
}

static void remove_test_cgroup(void)
{
        time_t deadline = time(NULL) + 10;

        if (cgroup_path[0] == '\0')
                return;
        /* A daemon reaped late by pid 1 may keep it busy for a moment. */
        while (rmdir(cgroup_path) != 0 && errno == EBUSY && time(NULL) < deadline)
                usleep(10000);
        cgroup_path[0] = '\0';
}

static const char *program_root_only(void)
{
        if (root_only_program[0] == '\0') {
                char *path = t_make_temp_file("#!/bin/sh\nexit 0\n", 17, 0700);

                snprintf(root_only_program, sizeof root_only_program, "%s", path);
                free(path);
        }
        return root_only_program;
}

static bool skip_unless(unsigned what)
{
        if ((what & (RUN_UID | RUN_GID | RUN_EXEC_FAILS)) && geteuid() != 0) {
                print_message("not root: credential changes not tried\n");
                return true;
        }
        if ((what & RUN_CGROUP) && test_cgroup() == NULL) {
                print_message("no writable cgroup v2 hierarchy: cgroup placement not tried\n");
                return true;
        }
        return false;
}

/* One run of /bin/true (or the root-only program) along the paths in `what`: 0 when the run
 * went as it should (exit 0, or the expected exec failure), else -1 with a message. */
static int run_paths(unsigned what, char *why, size_t why_len)
{
        const char *program = (what & RUN_EXEC_FAILS) ? program_root_only() : "/bin/true";
        subproc *c = (what & RUN_CAPTURE)
                             ? subproc_new_args("/bin/sh", "-c", "head -c 200000 /dev/zero", NULL)
                             : subproc_new(program);
        char *out = NULL;
        int status = -1, r;

        if (what & RUN_UID)
                subproc_set_uid(c, NOBODY);
        if (what & RUN_GID)
                subproc_set_gid(c, NOBODY);
        if (what & RUN_DAEMON)
                subproc_daemonize(c);
        if (what & RUN_CGROUP)
                subproc_set_cgroup(c, cgroup_path);
        if (what & RUN_TIMEOUT)
                subproc_set_timeout(c, 60000, 1000);
        if (what & RUN_CAPTURE) {
                subproc_set_output_buffer(c, &out);
                subproc_set_capture_limit(c, 10);
        }
        r = subproc_run(c, &status);
        if (what & RUN_CAPTURE) {
                /* The rest of the output is read and dropped past the limit. */
                if (r == 0 || errno != EFBIG || subproc_output_len(c) != 10)
                        r = snprintf(why, why_len, "capture past its limit: r=%d len=%zu %s", r,
                                     subproc_output_len(c), subproc_errmsg());
                else
                        r = 0;
                free(out);
        } else if (what & RUN_EXEC_FAILS) {
                if (r == 0 || errno != EACCES)
                        r = snprintf(why, why_len, "exec as nobody of a 0700 file: r=%d %s", r,
                                     subproc_errmsg());
                else
                        r = 0;
        } else if (r != 0 || status != 0) {
                snprintf(why, why_len, "run (paths %#x): r=%d status=%d: %s", what, r, status,
                         subproc_errmsg());
                r = -1;
        }
        subproc_free(c);
        return r == 0 ? 0 : -1;
}

static void assert_runs(unsigned what)
{
        char why[512] = "";

        if (run_paths(what, why, sizeof why) != 0)
                fail_msg("%s", why);
}

/* ---------------------------------------------------------------------------------------
 * Item 9: the dumpable flag
 * ------------------------------------------------------------------------------------- */

static const unsigned credential_paths[] = {
        RUN_UID,
        RUN_GID,
        RUN_UID | RUN_GID,
        RUN_UID | RUN_DAEMON,
        RUN_UID | RUN_CGROUP,
        RUN_UID | RUN_GID | RUN_CGROUP | RUN_DAEMON,
        RUN_UID | RUN_EXEC_FAILS,
};

/* After a spawn whose child changed credentials in our memory, our flag is what it was. */
static void check_flag_kept(int flag)
{
        for (size_t i = 0; i < sizeof credential_paths / sizeof credential_paths[0]; i++) {
                unsigned what = credential_paths[i];

                if (skip_unless(what))
                        continue;
                assert_int_equal(prctl(PR_SET_DUMPABLE, flag, 0, 0, 0), 0);
                assert_runs(what);
                if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != flag)
                        fail_msg("paths %#x: PR_GET_DUMPABLE is %d after the run, was %d", what,
                                 prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), flag);
        }
}

/* Issue 17: a caller libc knows to be alone (the first test: no thread made yet) takes the
 * short way, no ids read; one with threads compares them. */
static bool libc_single_threaded(void)
{
#if HAVE_LIBC_SINGLE_THREADED
        return __libc_single_threaded;
#else
        return false;
#endif
}

static void test_dumpable_kept_after_credential_change(void **state)
{
        (void)state;
        if (skip_unless(RUN_UID))
                skip();
        if (HAVE_LIBC_SINGLE_THREADED && !libc_single_threaded())
                fail_msg("not single-threaded: this case must run before any thread is made");
        check_flag_kept(1);
}

static void *nothing(void *arg)
{
        return arg;
}

static void test_dumpable_kept_after_credential_change_threaded(void **state)
{
        pthread_t thread;

        (void)state;
        if (skip_unless(RUN_UID))
                skip();
        assert_int_equal(pthread_create(&thread, NULL, nothing, NULL), 0);
        assert_int_equal(pthread_join(thread, NULL), 0);
        assert_false(libc_single_threaded());
        check_flag_kept(1);
        check_flag_kept(0);
        assert_int_equal(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), 0);
}

/* A caller that made itself non-dumpable (to keep a key out of cores) stays so. */
static void test_nondumpable_kept_after_credential_change(void **state)
{
        (void)state;
        if (skip_unless(RUN_UID))
                skip();
        check_flag_kept(0);
        assert_int_equal(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), 0);
}

#define THREADS 4
#define RUNS_PER_THREAD 25

struct worker {
        pthread_t thread;
        unsigned what;
        char why[512];
        int failed;
};

static void *run_many(void *arg)
{
        struct worker *w = arg;

        for (int i = 0; i < RUNS_PER_THREAD && !w->failed; i++)
                w->failed = run_paths(w->what, w->why, sizeof w->why) != 0;
        return NULL;
}

/* Threads spawning with and without a uid change at once: whichever spawn ends last, the
 * flag ends as it began. */
static void test_dumpable_kept_under_concurrent_spawns(void **state)
{
        struct worker workers[THREADS + 1] = { { 0 } };

        (void)state;
        if (skip_unless(RUN_UID))
                skip();
        assert_int_equal(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), 0);
        for (int i = 0; i <= THREADS; i++) {
                workers[i].what = i == THREADS ? 0 : (i % 2 ? RUN_UID | RUN_DAEMON : RUN_UID);
                assert_int_equal(pthread_create(&workers[i].thread, NULL, run_many, &workers[i]),
                                 0);
        }
        for (int i = 0; i <= THREADS; i++) {
                pthread_join(workers[i].thread, NULL);
                if (workers[i].failed)
                        fail_msg("thread %d: %s", i, workers[i].why);
        }
        assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
}

/* A busy copy of /bin/true in a directory anyone can search: every exec of it fails with
 * ETXTBSY for as long as *ret_writer is open.  Writes the directory to dir. */
static void make_busy_program(char *dir, char *program, size_t len, int *ret_writer)
{
        char *image;
        size_t size;

        assert_non_null(mkdtemp(dir));
        assert_int_equal(chmod(dir, 0755), 0);
        snprintf(program, len, "%s/busy", dir);
        image = t_read_file_all("/bin/true", &size);
        *ret_writer = open(program, O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
        assert_true(*ret_writer >= 0);
        t_write_fd_all(*ret_writer, image, size);
        free(image);
}

/* The attacker of the window: a process of nobody's that scans /proc for our children running
 * as nobody and tries to open their memory.  A child that shares our memory (its exe is still
 * ours: it has not exec'd) must never be open to it; that is what the lowered flag is for.  It
 * reports "<breaches> <sightings>" (sightings: such children it was refused) when stop_fd
 * closes. */
static void attacker_main(pid_t victim_parent, const char *our_exe, int report_fd, int stop_fd)
{
        struct pollfd stop = { .fd = stop_fd, .events = POLLIN };
        long breaches = 0, sightings = 0;
        char line[256];

        if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
            setresuid(NOBODY, NOBODY, NOBODY) < 0)
                _exit(2);
        while (poll(&stop, 1, 0) == 0) {
                DIR *proc = opendir("/proc");
                struct dirent *d;

                while (proc && (d = readdir(proc)) != NULL) {
                        char path[300], exe[PATH_MAX];
                        int ppid = -1, uid = -1, fd;
                        ssize_t n;
                        FILE *f;

                        if (d->d_name[0] < '1' || d->d_name[0] > '9')
                                continue;
                        snprintf(path, sizeof path, "/proc/%s/status", d->d_name);
                        if ((f = fopen(path, "re")) == NULL)
                                continue;
                        while (fgets(line, sizeof line, f)) {
                                sscanf(line, "PPid: %d", &ppid);
                                sscanf(line, "Uid: %d", &uid);
                        }
                        fclose(f);
                        if (ppid != victim_parent || uid != NOBODY)
                                continue;
                        snprintf(path, sizeof path, "/proc/%s/mem", d->d_name);
                        fd = open(path, O_RDONLY | O_CLOEXEC);
                        if (fd < 0) {
                                sightings++;
                                continue;
                        }
                        close(fd);
                        snprintf(path, sizeof path, "/proc/%s/exe", d->d_name);
                        n = readlink(path, exe, sizeof exe - 1);
                        if (n > 0 && (exe[n] = '\0', strcmp(exe, our_exe) == 0))
                                breaches++;
                }
                if (proc)
                        closedir(proc);
        }
        snprintf(line, sizeof line, "%ld %ld", breaches, sightings);
        (void)!write(report_fd, line, strlen(line));
        _exit(0);
}

struct lingering {
        pthread_t thread;
        const char *program; /* exec fails with ETXTBSY: retried for SP_EXEC_BUSY_MS */
        int runs;
        char why[512];
        int failed;
};

/* Spawns as nobody whose child stays before exec, sharing our memory, for a while each. */
static void *linger_many(void *arg)
{
        struct lingering *l = arg;

        for (int i = 0; i < l->runs && !l->failed; i++) {
                subproc *c = subproc_new(l->program);
                int status = -1;

                subproc_set_uid(c, NOBODY);
                subproc_set_gid(c, NOBODY);
                if (subproc_run(c, &status) == 0 || errno != ETXTBSY) {
                        snprintf(l->why, sizeof l->why,
                                 "a run of a binary open for writing: "
                                 "%s",
                                 subproc_errmsg());
                        l->failed = 1;
                }
                subproc_free(c);
        }
        return NULL;
}

struct repeating {
        pthread_t thread;
        int stop; /* atomic */
        char why[512];
        int failed;
};

/* Short credential-changing spawns, each of which ends (and would restore the flag) while the
 * lingering ones are in flight. */
static void *repeat_until_stopped(void *arg)
{
        struct repeating *r = arg;

        while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED) && !r->failed)
                r->failed = run_paths(RUN_UID, r->why, sizeof r->why) != 0;
        return NULL;
}

/* The window's guard, attacked for real: while one thread's child lingers before exec as
 * nobody in our memory, other threads' credential-changing spawns come and go; a process of
 * nobody's tries all the while to open that child's memory.  The flag may come back only when
 * the last such child is gone, so every attempt must fail. */
static void test_window_closed_to_the_new_user(void **state)
{
        char dir[] = "/tmp/subproc-callerstate-XXXXXX", program[PATH_MAX], our_exe[PATH_MAX];
        char result[64] = "";
        struct lingering lingering = { .runs = 4 };
        struct repeating repeating = { .stop = 0 };
        int report[2], stop[2], writer, status;
        long breaches = -1, sightings = -1;
        ssize_t n;
        pid_t attacker;

        (void)state;
        if (skip_unless(RUN_UID))
                skip();
        n = readlink("/proc/self/exe", our_exe, sizeof our_exe - 1);
        assert_true(n > 0);
        our_exe[n] = '\0';
        make_busy_program(dir, program, sizeof program, &writer);
        lingering.program = program;

        assert_int_equal(pipe2(report, O_CLOEXEC), 0);
        assert_int_equal(pipe2(stop, O_CLOEXEC), 0);
        fflush(NULL);
        attacker = fork();
        assert_true(attacker >= 0);
        if (attacker == 0) {
                close(report[0]);
                close(stop[1]);
                attacker_main(getppid(), our_exe, report[1], stop[0]);
        }
        close(report[1]);
        close(stop[0]);

        assert_int_equal(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), 0);
        assert_int_equal(pthread_create(&repeating.thread, NULL, repeat_until_stopped, &repeating),
                         0);
        assert_int_equal(pthread_create(&lingering.thread, NULL, linger_many, &lingering), 0);
        pthread_join(lingering.thread, NULL);
        __atomic_store_n(&repeating.stop, 1, __ATOMIC_RELAXED);
        pthread_join(repeating.thread, NULL);

        close(stop[1]);
        n = read(report[0], result, sizeof result - 1);
        close(report[0]);
        assert_int_equal(waitpid(attacker, &status, 0), attacker);
        close(writer);
        unlink(program);
        rmdir(dir);
        if (lingering.failed)
                fail_msg("%s", lingering.why);
        if (repeating.failed)
                fail_msg("%s", repeating.why);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        assert_true(n > 0);
        assert_int_equal(sscanf(result, "%ld %ld", &breaches, &sightings), 2);
        if (breaches > 0)
                fail_msg("a process of nobody's opened the memory of a child sharing ours "
                         "%ld times",
                         breaches);
        assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
        if (sightings == 0) {
                print_message("the attacker never saw a lingering child: not tried\n");
                skip();
        }
        print_message("note: refused %ld times\n", sightings);
}

/* A fork() of the caller while the flag is lowered (another thread's child lingers before
 * exec as nobody) gives a process with its flag restored: it shares memory with no child. */
static void test_fork_during_window_gets_the_flag_back(void **state)
{
        char dir[] = "/tmp/subproc-callerstate-XXXXXX", program[PATH_MAX];
        struct lingering lingering = { .runs = 3 };
        int writer, in_window = 0, wrong = 0;

        (void)state;
        if (skip_unless(RUN_UID))
                skip();
        make_busy_program(dir, program, sizeof program, &writer);
        lingering.program = program;
        assert_int_equal(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), 0);
        assert_int_equal(pthread_create(&lingering.thread, NULL, linger_many, &lingering), 0);
        for (int i = 0; i < 200; i++) {
                int status, lowered = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0;
                pid_t pid = fork();

                assert_true(pid >= 0);
                if (pid == 0) /* no exit hooks: a sanitizer's would report the threads */
                        syscall(SYS_exit_group, prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 1 ? 0 : 1);
                assert_int_equal(waitpid(pid, &status, 0), pid);
                in_window += lowered;
                wrong += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
                usleep(1000);
        }
        pthread_join(lingering.thread, NULL);
        close(writer);
        unlink(program);
        rmdir(dir);
        if (lingering.failed)
                fail_msg("%s", lingering.why);
        if (wrong > 0)
                fail_msg("%d of 200 forks (%d while the flag was lowered) were not dumpable", wrong,
                         in_window);
        assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
        if (in_window == 0) {
                print_message("no fork happened while the flag was lowered: not tried\n");
                skip();
        }
        print_message("note: %d forks while the flag was lowered\n", in_window);
}

/* ---------------------------------------------------------------------------------------
 * Item 14: a caller with a small stack
 * ------------------------------------------------------------------------------------- */

struct small_stack_run {
        unsigned what;
        char why[512];
        int failed;
};

static void *run_once(void *arg)
{
        struct small_stack_run *run = arg;

        run->failed = run_paths(run->what, run->why, sizeof run->why) != 0;
        return NULL;
}

/* In a forked process, so that the crash this is about fails the case instead of the suite:
 * a thread with a `stack_size` stack runs each path once.  The exit status says how it went:
 * 0 all ran, 1 a run failed (message on stderr), 2 no such thread could be made. */
static void small_stack_process(size_t stack_size, unsigned what)
{
        struct small_stack_run run = { .what = what };
        pthread_attr_t attr;
        pthread_t thread;

        if (pthread_attr_init(&attr) != 0 || pthread_attr_setstacksize(&attr, stack_size) != 0 ||
            pthread_create(&thread, &attr, run_once, &run) != 0)
                _exit(2);
        pthread_join(thread, NULL);
        if (run.failed)
                fprintf(stderr, "%s\n", run.why);
        _exit(run.failed ? 1 : 0);
}

static void check_small_stack(size_t stack_size)
{
        static const unsigned paths[] = {
                0,          RUN_CAPTURE, RUN_TIMEOUT | RUN_CAPTURE,        RUN_CGROUP,
                RUN_DAEMON, RUN_UID,     RUN_CGROUP | RUN_DAEMON | RUN_UID
        };

        if (stack_size < (size_t)PTHREAD_STACK_MIN) {
                print_message("PTHREAD_STACK_MIN is above %zu\n", stack_size);
                skip();
        }
        for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
                int status;
                pid_t pid;

                if (skip_unless(paths[i]))
                        continue;
                fflush(NULL);
                pid = fork();
                assert_true(pid >= 0);
                if (pid == 0)
                        small_stack_process(stack_size, paths[i]);
                assert_int_equal(waitpid(pid, &status, 0), pid);
                if (WIFSIGNALED(status))
                        fail_msg("paths %#x in a thread with a %zu-byte stack: killed by "
                                 "signal %d",
                                 paths[i], stack_size, WTERMSIG(status));
                if (WEXITSTATUS(status) == 2)
                        skip();
                if (WEXITSTATUS(status) != 0)
                        fail_msg("paths %#x in a thread with a %zu-byte stack: exit %d", paths[i],
                                 stack_size, WEXITSTATUS(status));
        }
}

static void test_small_stack_16k(void **state)
{
        (void)state;
        check_small_stack(16 * 1024);
}

static void test_small_stack_32k(void **state)
{
        (void)state;
        check_small_stack(32 * 1024);
}

/* ---------------------------------------------------------------------------------------
 * Item 11: no lazy binding in a child that shares our memory
 * ------------------------------------------------------------------------------------- */

/* The process that test_no_lazy_binding_in_child runs with LD_DEBUG=bindings: a daemon in a
 * cgroup as its first spawn, so that the parent never calls clone() (the child is made with
 * clone3) and a clone() in the intermediate would be its first, bound there.  Its stderr, and
 * the daemon's (given the same fd, and no LD_DEBUG), go to the file the test reads.  Prints
 * "<our pid> <clone3 cgroup spawns>" on stdout. */
static int bind_check_main(const char *cgroup)
{
        subproc *c = subproc_new("/bin/true");
        int err_fd = 2, status = -1, r;

        subproc_env_clear(c);
        subproc_daemonize(c);
        subproc_set_cgroup(c, cgroup);
        subproc_set_error_fd(c, &err_fd);
        r = subproc_run(c, &status);
        if (r != 0 || status != 0) {
                fprintf(stderr, "run: %s\n", subproc_errmsg());
                return 1;
        }
        subproc_free(c);
        printf("%d %u\n", (int)getpid(), sp_test_clone3_cgroup_spawns);
        return 0;
}

static void test_no_lazy_binding_in_child(void **state)
{
        char self[PATH_MAX], *out_path = t_make_temp_path(), *err_path = t_make_temp_path();
        char *out, *err, *line, *save = NULL;
        const char *cgroup = test_cgroup();
        int status, main_pid = -1, own_lines = 0;
        unsigned clone3_spawns = 0;
        ssize_t n;
        pid_t pid;

        (void)state;
        if (SUBPROC_SPAWN_FORK) {
                /* Its children are fork()ed copies: libc calls there write only the copy. */
                print_message("built with -Dspawn=fork: no child shares our memory\n");
                skip();
        }
        if (cgroup == NULL) {
                print_message("no writable cgroup v2 hierarchy: the clone3 path not tried\n");
                skip();
        }
        n = readlink("/proc/self/exe", self, sizeof self - 1);
        assert_true(n > 0);
        self[n] = '\0';
        fflush(NULL);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                if (freopen(out_path, "w", stdout) == NULL ||
                    freopen(err_path, "w", stderr) == NULL)
                        _exit(126);
                unsetenv("LD_BIND_NOW");
                setenv("LD_DEBUG", "bindings", 1);
                execl(self, self, "--bind-check", cgroup, (char *)NULL);
                _exit(127);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        out = t_read_file_all(out_path, NULL);
        err = t_read_file_all(err_path, NULL);
        assert_non_null(out);
        assert_non_null(err);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                fail_msg("the LD_DEBUG run failed (status %#x): %s", status, err);
        assert_int_equal(sscanf(out, "%d %u", &main_pid, &clone3_spawns), 2);
        for (line = strtok_r(err, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                int line_pid;

                if (strstr(line, "binding file") == NULL || sscanf(line, " %d:", &line_pid) != 1)
                        continue;
                if (line_pid == main_pid)
                        own_lines++;
                else
                        fail_msg("the dynamic linker bound a symbol in pid %d, a child of %d "
                                 "sharing its memory: %s",
                                 line_pid, main_pid, line);
        }
        if (own_lines == 0 || clone3_spawns == 0) {
                print_message("LD_DEBUG showed no bindings (%d) or no clone3 spawn (%u): "
                              "not tried\n",
                              own_lines, clone3_spawns);
                skip();
        }
        unlink(out_path);
        unlink(err_path);
        free(out_path);
        free(err_path);
        free(out);
        free(err);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                T_TEST(test_dumpable_kept_after_credential_change),
                T_TEST(test_nondumpable_kept_after_credential_change),
                T_TEST(test_dumpable_kept_after_credential_change_threaded),
                T_TEST(test_dumpable_kept_under_concurrent_spawns),
                T_TEST(test_window_closed_to_the_new_user),
                T_TEST(test_fork_during_window_gets_the_flag_back),
                T_TEST(test_small_stack_16k),
                T_TEST(test_small_stack_32k),
                T_TEST(test_no_lazy_binding_in_child),
        };
        int r;

        if (argc == 3 && strcmp(argv[1], "--bind-check") == 0)
                return bind_check_main(argv[2]);
        r = cmocka_run_group_tests(tests, NULL, NULL);
        remove_test_cgroup();
        if (root_only_program[0] != '\0')
                unlink(root_only_program);
        return r;
}
