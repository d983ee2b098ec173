/* The fault sweep's driver: every scenario of scenarios.c, failing its Nth allocation or
 * system call.
 *
 * SPDX-License-Identifier: MIT
 *
 * For each scenario and each mode of fault.h, N = 1, 2, 3, ... : the scenario runs with its
 * Nth failure point failed, until it makes fewer than N calls (a clean run).  After each run:
 *  - the outcome is a clear error (-1, errno set, a fresh non-empty subproc_errmsg()) or a
 *    success whose result is right; with EINTR only, exactly the clean outcome;
 *  - the caller has the same fds as before (/proc/self/fd);
 *  - the caller has no child, running or zombie, and no process carrying this run's marker
 *    argument (a daemon, a grandchild) is left alive;
 *  - every allocation the library made in the window was freed (fault.c's table; the
 *    ASan/LSan build also reports at exit).
 * Each scenario's sweep runs in a forked worker, so that a crash or a hang at one point is
 * reported with that point and the other scenarios still run; the parent is the watchdog.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <subproc.h>

#include "support/support.h"
#include "sweep.h"

/* A sweep that has not converged by then is looping. */
#define MAX_POINTS 5000
/* A point taking longer is hung: the watchdog kills the worker's processes to free it. */
#define POINT_HANG_MS 6000
/* The parent gives up on a worker that does not move on after its processes were killed. */
#define WORKER_KILL_MS 10000
/* Distinct problems remembered per sweep: a recurrence is listed, not printed again. */
#define MAX_SIGNATURES 64

/* ---------------------------------------------------------------------------------------
 * Shared state
 * ------------------------------------------------------------------------------------- */

char fault_marker[64];

/* Between the parent and a worker: a shared anonymous mapping.  The two counters are read
 * by one process while the other writes them: atomics, lock-free so that they work across
 * processes. */
_Static_assert(ATOMIC_LONG_LOCK_FREE == 2, "unsigned long atomics must be lock-free");
struct shared {
        atomic_ulong seq;      /* bumped by the worker at every point */
        atomic_ulong hung_seq; /* set by the parent when that point hung */
        unsigned long points[FAULT_NMODES];
        unsigned long problems;
        char where[160]; /* the current point, for a crash report */
};

static struct shared *shared;
static unsigned long total_points[FAULT_NMODES];
static unsigned scenarios_run;

/* ---------------------------------------------------------------------------------------
 * One point: what the scenario saw
 * ------------------------------------------------------------------------------------- */

void wrongf(struct point *pt, const char *fmt, ...)
{
        va_list ap;

        if (pt->wrong[0])
                return;
        va_start(ap, fmt);
        vsnprintf(pt->wrong, sizeof pt->wrong, fmt, ap);
        va_end(ap);
}

bool try_record(struct point *pt, const char *what, long r)
{
        int e = errno;

        if (r >= 0)
                return true;
        if (!pt->failed) {
                pt->failed = true;
                pt->call = what;
                pt->error = e;
                snprintf(pt->msg, sizeof pt->msg, "%s", subproc_errmsg());
        }
        return false;
}

void window_open(struct point *pt)
{
        sp_error_clear();
        fault_arm(pt->mode, pt->n);
}

void window_close(void)
{
        fault_disarm();
}

/* ---------------------------------------------------------------------------------------
 * What a point left behind
 * ------------------------------------------------------------------------------------- */

#define MAX_FDS 1024

struct fd_list {
        size_t n;
        int fds[MAX_FDS];
};

static int compare_ints(const void *a, const void *b)
{
        int x = *(const int *)a, y = *(const int *)b;

        return (x > y) - (x < y);
}

/* Our open fds, ascending, without the listing's own. */
static void list_fds(struct fd_list *l)
{
        DIR *dir = opendir("/proc/self/fd");
        struct dirent *entry;

        l->n = 0;
        if (!dir)
                return;
        while ((entry = readdir(dir)) != NULL && l->n < MAX_FDS) {
                int fd = atoi(entry->d_name);

                if (entry->d_name[0] != '.' && fd != dirfd(dir))
                        l->fds[l->n++] = fd;
        }
        closedir(dir);
        qsort(l->fds, l->n, sizeof l->fds[0], compare_ints);
}

static void fd_target(int fd, char *buf, size_t size)
{
        char path[64];
        ssize_t len;

        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        len = readlink(path, buf, size - 1);
        buf[len > 0 ? len : 0] = '\0';
}

/* Describe fds opened (and close them, so the next point starts clean) or closed since
 * `before`.  Returns how many differ. */
static int diff_fds(const struct fd_list *before, char *buf, size_t size)
{
        struct fd_list now;
        size_t i = 0, j = 0, used = 0;
        int diffs = 0;

        list_fds(&now);
        buf[0] = '\0';
        while (i < before->n || j < now.n) {
                char target[256] = "";
                int n = 0;

                if (j == now.n || (i < before->n && before->fds[i] < now.fds[j])) {
                        n = snprintf(buf + used, size - used, " fd %d closed;", before->fds[i]);
                        i++;
                } else if (i == before->n || now.fds[j] < before->fds[i]) {
                        fd_target(now.fds[j], target, sizeof target);
                        n = snprintf(buf + used, size - used, " fd %d (%s) leaked;", now.fds[j],
                                     target);
                        close(now.fds[j]);
                        j++;
                } else {
                        i++;
                        j++;
                        continue;
                }
                diffs++;
                if (n > 0 && used + (size_t)n < size)
                        used += (size_t)n;
        }
        return diffs;
}

/* The parent pid and state letter of /proc/<pid>/stat; false if gone. */
static bool proc_stat(pid_t pid, pid_t *ppid, char *state)
{
        char path[64], buf[512], *paren;
        long parent;
        FILE *f;
        bool ok = false;

        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        f = fopen(path, "re");
        if (!f)
                return false;
        if (fgets(buf, sizeof buf, f) && (paren = strrchr(buf, ')')) &&
            sscanf(paren + 2, "%c %ld", state, &parent) == 2) {
                *ppid = (pid_t)parent;
                ok = true;
        }
        fclose(f);
        return ok;
}

/* Whether a live process carries our marker argument (a helper we started, directly or not,
 * that nobody stopped). */
bool has_marker(pid_t pid)
{
        char path[64], buf[4096];
        size_t len = strlen(fault_marker) + 1;
        ssize_t n;
        int fd;

        snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        n = read(fd, buf, sizeof buf);
        close(fd);
        return n > 0 && memmem(buf, (size_t)n, fault_marker, len) != NULL;
}

/* Kill what `parent` left: its children and, if `markers`, every marked process.  Returns
 * how many marked processes (other than children) were alive. */
static int kill_leftovers(pid_t parent, bool markers, char *buf, size_t size)
{
        DIR *dir = opendir("/proc");
        struct dirent *entry;
        size_t used = strlen(buf);
        int marked = 0;

        if (!dir)
                return 0;
        while ((entry = readdir(dir)) != NULL) {
                pid_t pid = (pid_t)atoi(entry->d_name), ppid;
                char state;

                if (pid <= 0 || pid == parent || !proc_stat(pid, &ppid, &state))
                        continue;
                if (ppid == parent) {
                        kill(pid, SIGKILL);
                } else if (markers && state != 'Z' && has_marker(pid)) {
                        int n = snprintf(buf + used, size - used, " pid %d (parent %d) still runs;",
                                         (int)pid, (int)ppid);

                        if (n > 0 && used + (size_t)n < size)
                                used += (size_t)n;
                        kill(pid, SIGKILL);
                        marked++;
                }
        }
        closedir(dir);
        return marked;
}

/* Children of ours, running or zombie, then processes with our marker.  Kills and reaps
 * what it finds.  Returns the number of problems. */
static int check_processes(char *buf, size_t size)
{
        int status, problems = 0;
        pid_t pid;

        buf[0] = '\0';
        pid = waitpid(-1, &status, WNOHANG | __WALL);
        if (pid > 0) {
                snprintf(buf, size, " zombie child %d (status 0x%x);", (int)pid, (unsigned)status);
                problems++;
        } else if (pid == 0) {
                snprintf(buf, size, " a child is still running;");
                problems++;
        }
        problems += kill_leftovers(getpid(), true, buf, size);
        if (pid >= 0)
                while (waitpid(-1, NULL, __WALL) > 0 || errno == EINTR)
                        ;
        return problems;
}

/* ---------------------------------------------------------------------------------------
 * The sweep (in the worker)
 * ------------------------------------------------------------------------------------- */

static const char *const mode_names[FAULT_NMODES] = { "errors", "eintr" };

/* SUBPROC_FAULT_VERBOSE=1 prints every point, not only those with a problem. */
static bool verbose;

/* A kind of problem: its text without digits (fds, pids and times vary). */
struct signature {
        char key[200];
        unsigned repeats;
        char where[300]; /* the points of the repeats: "N=12 (strdup) N=15 (kill)" */
};

struct sweep_stats {
        unsigned long points;
        unsigned long injected[FC_COUNT];     /* failures injected, by call */
        unsigned long failed;                 /* injected points that ended in an error */
        unsigned long absorbed;               /* injected points whose calls all succeeded */
        unsigned long null_buffers[FC_COUNT]; /* failed runs that left a buffer NULL, by call */
        int problems;
        struct signature sigs[MAX_SIGNATURES];
        size_t nsigs;
};

/* addr2line's "function at file:line" for a site, or "" when it cannot tell. */
static void describe_site(unsigned long site, char *buf, size_t size)
{
        char exe[PATH_MAX], cmd[PATH_MAX + 96], line[512];
        ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
        size_t used = 0;
        FILE *p;

        buf[0] = '\0';
        if (len <= 0)
                return;
        exe[len] = '\0';
        snprintf(cmd, sizeof cmd, "addr2line -f -i -s -e '%s' 0x%lx 2>/dev/null", exe, site - 1);
        p = popen(cmd, "re");
        if (!p)
                return;
        /* Pairs of lines: function, then file:line; the innermost inlined frame first. */
        for (int i = 0; fgets(line, sizeof line, p); i++) {
                int n;

                line[strcspn(line, "\n")] = '\0';
                n = snprintf(buf + used, size - used, "%s%s",
                             i == 0  ? ""
                             : i % 2 ? " at "
                                     : " < ",
                             line);
                if (n > 0 && used + (size_t)n < size)
                        used += (size_t)n;
        }
        pclose(p);
}

static void print_problem(const struct scenario *sc, const struct point *pt, bool fired,
                          const struct fault_hit *hit, const char *what, const char *detail)
{
        char site[512];

        fprintf(stderr, "PROBLEM [%s, %s, N=%lu] %s:%s\n", sc->name, mode_names[pt->mode], pt->n,
                what, detail);
        if (fired) {
                describe_site(hit->site, site, sizeof site);
                fprintf(stderr, "    injected: %s failing with %s, called at exe+0x%lx (%s)\n",
                        fault_call_name(hit->call), strerror(hit->error), hit->site, site);
        } else {
                fprintf(stderr, "    nothing was injected\n");
        }
        if (pt->failed)
                fprintf(stderr, "    %s returned failure, errno %d (%s): \"%s\"\n", pt->call,
                        pt->error, strerror(pt->error), pt->msg);
        else
                fprintf(stderr, "    every library call succeeded\n");
}

/* Print a problem the first time its kind is seen; list the points of its repeats.
 * Returns whether it was printed. */
static bool report_problem(const struct scenario *sc, const struct point *pt, bool fired,
                           const struct fault_hit *hit, const char *what, const char *detail,
                           struct sweep_stats *st)
{
        struct signature *sig = NULL;
        char key[sizeof sig->key];
        size_t len = (size_t)snprintf(key, sizeof key, "%s:", what);

        for (const char *d = detail; *d && len < sizeof key - 1; d++)
                if (*d < '0' || *d > '9')
                        key[len++] = *d;
        key[len] = '\0';
        for (size_t i = 0; i < st->nsigs && !sig; i++)
                if (strcmp(st->sigs[i].key, key) == 0)
                        sig = &st->sigs[i];
        if (sig) {
                size_t used = strlen(sig->where);

                sig->repeats++;
                snprintf(sig->where + used, sizeof sig->where - used, " N=%lu (%s)", pt->n,
                         fired ? fault_call_name(hit->call) : "-");
                return false;
        }
        if (st->nsigs < MAX_SIGNATURES) {
                sig = &st->sigs[st->nsigs++];
                snprintf(sig->key, sizeof sig->key, "%s", key);
        }
        print_problem(sc, pt, fired, hit, what, detail);
        return true;
}

/* Check one point; returns the number of problems found. */
static int check_point(const struct scenario *sc, const struct point *pt,
                       const struct fd_list *fds_before, struct sweep_stats *stats)
{
        struct fault_hit hit = { 0 };
        bool fired = fault_fired(&hit);
        char detail[2048];
        int problems = 0;

        bool printed = false;

#define PROBLEM(what, ...)                                                          \
        do {                                                                        \
                snprintf(detail, sizeof detail, __VA_ARGS__);                       \
                printed = report_problem(sc, pt, fired, &hit, what, detail, stats); \
                problems++;                                                         \
        } while (0)

        if (verbose) {
                describe_site(hit.site, detail, sizeof detail);
                fprintf(stderr, "[%s, %s, N=%lu] %s %s at %s: %s%s%s\n", sc->name,
                        mode_names[pt->mode], pt->n, fired ? fault_call_name(hit.call) : "-",
                        fired ? strerror(hit.error) : "", fired ? detail : "-",
                        pt->failed ? pt->call : "ok", pt->failed ? " failed: " : "",
                        pt->failed ? pt->msg : "");
        }
        if (fired) {
                stats->injected[hit.call]++;
                if (pt->failed)
                        stats->failed++;
                else
                        stats->absorbed++;
        }
        if (!fired || pt->mode == FAULT_EINTR) {
                /* Nothing happened that the library could not absorb: the clean outcome. */
                if (sc->clean_errno == 0 && pt->failed)
                        PROBLEM("outcome", " failed, where the clean run succeeds");
                if (sc->clean_errno != 0 && (!pt->failed || pt->error != sc->clean_errno))
                        PROBLEM("outcome", " expected errno %d (%s)", sc->clean_errno,
                                strerror(sc->clean_errno));
        } else if (pt->failed) {
                if (pt->error == 0)
                        PROBLEM("outcome", " failed with errno 0");
                if (pt->msg[0] == '\0')
                        PROBLEM("outcome", " failed without a message");
        }
        if (pt->wrong[0])
                PROBLEM("result", " %s", pt->wrong);
        if (pt->null_buffer && fired)
                stats->null_buffers[hit.call]++;
        else if (pt->null_buffer)
                PROBLEM("result", " a failed run left an output buffer NULL");
        if (diff_fds(fds_before, detail, sizeof detail) > 0) {
                char copy[sizeof detail];

                memcpy(copy, detail, sizeof copy);
                PROBLEM("fds", "%s", copy);
        }
        if (check_processes(detail, sizeof detail) > 0) {
                char copy[sizeof detail];

                memcpy(copy, detail, sizeof copy);
                PROBLEM("processes", "%s", copy);
        }
        if (fault_live_count() > 0) {
                PROBLEM("memory", " %zu allocation(s) made in the window were not freed:",
                        fault_live_count());
                if (printed)
                        fault_live_print(stderr, 8);
                fault_live_forget();
        }
        if (atomic_load(&shared->hung_seq) == atomic_load(&shared->seq))
                PROBLEM("hang", " the point took more than %d ms; its processes were killed",
                        POINT_HANG_MS);
#undef PROBLEM
        return problems;
}

static void sweep(const struct scenario *sc, enum fault_mode mode, struct sweep_stats *stats)
{
        for (unsigned long n = 1;; n++) {
                struct point pt = { .mode = mode, .n = n, .error = 0 };
                struct fd_list before;

                list_fds(&before);
                snprintf(shared->where, sizeof shared->where, "scenario %s, mode %s, N=%lu",
                         sc->name, mode_names[mode], n);
                atomic_fetch_add(&shared->seq, 1);
                sc->run(&pt);
                stats->problems += check_point(sc, &pt, &before, stats);
                if (fault_calls() < n) {
                        stats->points = n - 1;
                        return;
                }
                if (n == MAX_POINTS) {
                        fprintf(stderr, "PROBLEM [%s, %s] no clean run after %d points\n", sc->name,
                                mode_names[mode], MAX_POINTS);
                        stats->problems++;
                        stats->points = n;
                        return;
                }
        }
}

static void print_stats(const struct scenario *sc, enum fault_mode mode,
                        const struct sweep_stats *st)
{
        printf("  %s/%s: %lu points; %lu ended in an error, %lu succeeded", sc->name,
               mode_names[mode], st->points, st->failed, st->absorbed);
        printf("; injected:");
        for (int i = 0; i < FC_COUNT; i++)
                if (st->injected[i])
                        printf(" %s %lu", fault_call_name(i), st->injected[i]);
        printf("\n");
        for (int i = 0; i < FC_COUNT; i++)
                if (st->null_buffers[i])
                        printf("    %lu failed run(s) left an output buffer NULL after %s "
                               "failed\n",
                               st->null_buffers[i], fault_call_name(i));
        for (size_t i = 0; i < st->nsigs; i++)
                if (st->sigs[i].repeats)
                        fprintf(stderr,
                                "PROBLEM [%s, %s] recurred %u more time(s) at%s%s: "
                                "%.120s\n",
                                sc->name, mode_names[mode], st->sigs[i].repeats, st->sigs[i].where,
                                strlen(st->sigs[i].where) + 1 >= sizeof st->sigs[i].where ? " ..."
                                                                                          : "",
                                st->sigs[i].key);
        if (st->problems)
                printf("  %s/%s: %d PROBLEM(S)\n", sc->name, mode_names[mode], st->problems);
        fflush(stdout);
}

/* The worker: both sweeps of one scenario.  Exits 0 when no problem was found. */
static void __attribute__((noreturn)) worker(const struct scenario *sc)
{
        int problems = 0;

        for (int mode = 0; mode < FAULT_NMODES; mode++) {
                struct sweep_stats stats = { 0 };

                sweep(sc, mode, &stats);
                print_stats(sc, mode, &stats);
                shared->points[mode] = stats.points;
                problems += stats.problems;
        }
        shared->problems = (unsigned long)problems;
        fflush(NULL);
        /* exit(), not _exit(): LeakSanitizer checks at exit. */
        exit(problems ? 1 : 0);
}

/* ---------------------------------------------------------------------------------------
 * The parent: fork the worker and watch it
 * ------------------------------------------------------------------------------------- */

/* Wait for the worker; kill its processes when a point hangs, and the worker itself when
 * that does not help.  Returns its wait status. */
static int watch_worker(pid_t worker_pid)
{
        unsigned long seen = atomic_load(&shared->seq);
        double since = t_monotonic_ms(), killed_at = 0;
        struct timespec step = { 0, 20 * 1000 * 1000 };
        int status;

        while (waitpid(worker_pid, &status, WNOHANG) == 0) {
                double now = t_monotonic_ms();
                unsigned long seq = atomic_load(&shared->seq);

                if (seq != seen) {
                        seen = seq;
                        since = now;
                        killed_at = 0;
                } else if (killed_at == 0 && now - since > POINT_HANG_MS) {
                        char buf[512] = "";

                        atomic_store(&shared->hung_seq, seen);
                        kill_leftovers(worker_pid, true, buf, sizeof buf);
                        killed_at = now;
                } else if (killed_at != 0 && now - killed_at > WORKER_KILL_MS) {
                        print_error("the worker is stuck at %s: killed\n", shared->where);
                        kill(worker_pid, SIGKILL);
                        killed_at = now + 1e9;
                }
                nanosleep(&step, NULL);
        }
        return status;
}

static void test_scenario(void **state)
{
        const struct scenario *sc = *state;
        double start = t_monotonic_ms();
        unsigned long points;
        pid_t pid;
        int status;

        memset(shared, 0, sizeof *shared);
        fflush(NULL);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                worker(sc);
        status = watch_worker(pid);
        points = shared->points[FAULT_ERRORS] + shared->points[FAULT_EINTR];
        printf("scenario %s: %lu failure points swept (%lu hard errors, %lu EINTR) in %.1f s\n",
               sc->name, points, shared->points[FAULT_ERRORS], shared->points[FAULT_EINTR],
               (t_monotonic_ms() - start) / 1000);
        fflush(stdout);
        total_points[FAULT_ERRORS] += shared->points[FAULT_ERRORS];
        total_points[FAULT_EINTR] += shared->points[FAULT_EINTR];
        scenarios_run++;
        if (WIFSIGNALED(status))
                fail_msg("scenario %s: the worker died of signal %d at %s", sc->name,
                         WTERMSIG(status), shared->where);
        if (WEXITSTATUS(status) != 0)
                fail_msg("scenario %s: %lu problem(s) (worker exit %d%s; see above)", sc->name,
                         shared->problems, WEXITSTATUS(status),
                         shared->problems == 0 ? ", a sanitizer report?" : "");
}

/* The checks must see what they look for, or a clean sweep would prove nothing. */
static void test_checkers(void **state)
{
        struct fd_list before;
        char buf[512];
        void *block;
        int p[2], r;
        pid_t pid;

        (void)state;
        fault_arm(FAULT_ERRORS, 2);
        block = malloc(16);
        r = pipe2(p, O_CLOEXEC);
        fault_disarm();
        assert_non_null(block);
        assert_int_equal(r, -1);
        assert_int_equal(errno, EMFILE);
        assert_true(fault_fired(NULL));
        assert_int_equal(fault_calls(), 2);
        assert_int_equal(fault_live_count(), 1);
        free(block);
        assert_int_equal(fault_live_count(), 0);

        list_fds(&before);
        assert_true(open("/dev/null", O_RDONLY | O_CLOEXEC) >= 0);
        assert_int_equal(diff_fds(&before, buf, sizeof buf), 1);
        assert_non_null(strstr(buf, "/dev/null"));
        assert_int_equal(diff_fds(&before, buf, sizeof buf), 0); /* it was closed */

        pid = fork();
        if (pid == 0)
                _exit(0);
        assert_true(pid > 0);
        /* Wait for the exit without reaping: a zombie must be found. */
        assert_int_equal(waitid(P_PID, (id_t)pid, NULL, WEXITED | WNOWAIT), 0);
        assert_true(check_processes(buf, sizeof buf) > 0);
        assert_non_null(strstr(buf, "zombie"));
        assert_int_equal(check_processes(buf, sizeof buf), 0);
}

/* ---------------------------------------------------------------------------------------
 * Setup
 * ------------------------------------------------------------------------------------- */

static void setup_globals(void)
{
        verbose = getenv("SUBPROC_FAULT_VERBOSE") != NULL;
        snprintf(fault_marker, sizeof fault_marker, "fault-marker-%d", (int)getpid());
        scenarios_setup();
        shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
                      0);
        assert_true(shared != MAP_FAILED);
}

static void teardown_globals(void)
{
        scenarios_teardown();
        munmap(shared, sizeof *shared);
}

int main(void)
{
        enum { N = 64 };
        struct CMUnitTest tests[N + 1] = { T_TEST(test_checkers) };
        const char *only = getenv("SUBPROC_FAULT_ONLY"); /* a scenario's name, for debugging */
        int failed;

        setup_globals();
        if (only)
                cmocka_set_test_filter(only);
        assert_true(fault_n_scenarios <= N);
        for (size_t i = 0; i < fault_n_scenarios; i++)
                tests[i + 1] = (struct CMUnitTest){ .name = fault_scenarios[i].name,
                                                    .test_func = test_scenario,
                                                    .setup_func = t_setup,
                                                    .teardown_func = t_teardown,
                                                    .initial_state = (void *)&fault_scenarios[i] };
        failed = _cmocka_run_group_tests("fault", tests, fault_n_scenarios + 1, NULL, NULL);
        printf("fault injection: %u scenarios, %lu failure points swept in total "
               "(%lu hard errors, %lu EINTR)\n",
               scenarios_run, total_points[FAULT_ERRORS] + total_points[FAULT_EINTR],
               total_points[FAULT_ERRORS], total_points[FAULT_EINTR]);
        teardown_globals();
        return failed;
}
