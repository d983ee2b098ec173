/* A run's scope on Linux: a cgroup v2 directory of its own, made with a name nobody had and
 * reached only through fds from then on (a parent directory others can write to cannot swap
 * it for a symlink or another cgroup under us), killed as a whole through cgroup.kill, or by
 * freezing it and signalling each member where that is missing (before 5.14), and removed
 * once empty. */
#include "scope.h"
#include "test-knobs.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

int sp_test_no_cgroup_kill;
unsigned sp_test_scope_random;

/* <linux/magic.h>'s value, spelled out: musl builds have no kernel headers. */
#define CGROUP2_SUPER_MAGIC 0x63677270
/* Names tried before giving up: each is new (a counter and random bits), so only someone
 * making our names as fast as we try them could take them all. */
#define NAME_TRIES 8

static int scope_error(const char *dir, int err, const char *why)
{
        sp_error(err, "cgroup scope under %s: %s", dir, why);
        sp_error_set_stage(SUBPROC_STAGE_SETUP); /* as if the child had failed to enter it */
        return -1;
}

static bool is_cgroup2(int fd)
{
        struct statfs fs;

        return fstatfs(fd, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

/* "subproc-PID-N-RANDOM.scope": unique in this process by the counter, and not to be guessed
 * by someone who wants to make it first (they would only make us try another). */
static void make_name(char *buf, size_t size)
{
        static unsigned counter;
        unsigned n = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED), rnd;
        struct timespec ts;

        if (sp_test_scope_random) {
                rnd = sp_test_scope_random;
        } else if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != (ssize_t)sizeof rnd) {
                clock_gettime(CLOCK_MONOTONIC, &ts);
                rnd = (unsigned)ts.tv_nsec ^ (unsigned)(uintptr_t)buf;
        }
        snprintf(buf, size, "subproc-%ld-%u-%08x.scope", (long)getpid(), n, rnd);
}

/* Make the directory and open it, without following anything someone else put there. */
static int make_scope_dir(struct sp_scope *s, const char *parent_dir)
{
        struct stat st;

        for (int i = 0; i < NAME_TRIES; i++) {
                make_name(s->name, sizeof s->name);
                if (mkdirat(s->parent_fd, s->name, 0755) == 0)
                        break;
                if (errno != EEXIST)
                        return scope_error(parent_dir, errno, strerror(errno));
                if (i == NAME_TRIES - 1)
                        return scope_error(parent_dir, EEXIST, "every name tried was taken");
        }
        s->fd = sp_fd_above_stdio(openat(s->parent_fd, s->name,
                                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (s->fd < 0) {
                int e = errno;

                (void)unlinkat(s->parent_fd, s->name, AT_REMOVEDIR);
                return scope_error(parent_dir, e, strerror(e));
        }
        /* Ours, just made: another owner or file system means it was swapped meanwhile. */
        if (fstat(s->fd, &st) < 0) {
                int e = errno;

                sp_close(&s->fd);
                (void)unlinkat(s->parent_fd, s->name, AT_REMOVEDIR); /* empty: ours */
                return scope_error(parent_dir, e, strerror(e));
        }
        if (st.st_uid != geteuid() || !is_cgroup2(s->fd)) {
                sp_close(&s->fd);
                return scope_error(parent_dir, EEXIST, "the new scope was replaced meanwhile");
        }
        if (asprintf(&s->path, "%s/%s", parent_dir, s->name) < 0) {
                s->path = NULL;
                sp_close(&s->fd);
                (void)unlinkat(s->parent_fd, s->name, AT_REMOVEDIR);
                return scope_error(parent_dir, ENOMEM, "out of memory");
        }
        return 0;
}

int sp_scope_create(struct sp_scope *s, const char *parent_dir)
{
        *s = (struct sp_scope)SP_SCOPE_NONE;
        /* O_NOFOLLOW: a symlink in parent_dir's place (someone else's doing) would put the
         * tree where they chose. */
        s->parent_fd = sp_fd_above_stdio(open(parent_dir,
                                              O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (s->parent_fd < 0) {
                struct stat st;

                /* O_DIRECTORY says ENOTDIR of a symlink, even one to a directory. */
                if (errno == ELOOP ||
                    (errno == ENOTDIR && lstat(parent_dir, &st) == 0 && S_ISLNK(st.st_mode)))
                        return scope_error(parent_dir, ELOOP, "is a symbolic link");
                return scope_error(parent_dir, errno, strerror(errno));
        }
        if (!is_cgroup2(s->parent_fd)) {
                sp_close(&s->parent_fd);
                return scope_error(parent_dir, ENOTSUP,
                                   "not a cgroup v2 directory (a scope needs cgroup v2)");
        }
        if (make_scope_dir(s, parent_dir) < 0) {
                sp_close(&s->parent_fd);
                return -1;
        }
        return 0;
}

/* ---- the scope's files ------------------------------------------------------------------ */

static int write_file(const struct sp_scope *s, const char *file, const char *text)
{
        int fd = openat(s->fd, file, O_WRONLY | O_CLOEXEC), r = 0;
        size_t len = strlen(text);

        ssize_t n;

        if (fd < 0)
                return -errno;
        do
                n = write(fd, text, len);
        while (n < 0 && errno == EINTR);
        if (n != (ssize_t)len)
                r = n < 0 ? -errno : -EIO;
        sp_close(&fd);
        return r;
}

/* The first `size` - 1 bytes of a (small) cgroup file, NUL-terminated: length or -errno. */
static ssize_t read_file(const struct sp_scope *s, const char *file, char *buf, size_t size)
{
        int fd = openat(s->fd, file, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return -errno;
        do
                n = read(fd, buf, size - 1);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                n = -errno;
        else
                buf[n] = '\0';
        sp_close(&fd);
        return n;
}

/* The value of "key N" in a flat keyed file's text, or -1. */
static long long keyed_value(const char *text, const char *key)
{
        size_t len = strlen(key);

        for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (strncmp(p, key, len) == 0 && p[len] == ' ')
                        return strtoll(p + len + 1, NULL, 10);
        return -1;
}

static void nap(int *step_ms)
{
        struct timespec ts = { 0, (long)*step_ms * 1000000L };

        nanosleep(&ts, NULL);
        if (*step_ms < 20)
                *step_ms *= 2;
}

bool sp_scope_populated(const struct sp_scope *s)
{
        char buf[256];

        /* A read that fails (out of memory, fds...) is tried again before we assume the
         * worst, which would leave the scope behind. */
        for (int tries = 0; tries < 3; tries++)
                if (read_file(s, "cgroup.events", buf, sizeof buf) >= 0)
                        return keyed_value(buf, "populated") != 0;
        return true;
}

bool sp_scope_wait_empty(const struct sp_scope *s, long long deadline)
{
        int step = 1;

        while (sp_scope_populated(s)) {
                if (sp_now_ms() >= deadline)
                        return false;
                nap(&step);
        }
        return true;
}

/* ---- killing ------------------------------------------------------------------------------ */

/* Freeze the scope (Linux 5.2+) so that nobody in it forks between the listing of its
 * members and their signal: true once frozen. */
static bool freeze(const struct sp_scope *s, bool on)
{
        long long deadline = sp_now_ms() + SP_SCOPE_EMPTY_WAIT_MS;
        char buf[256];
        int step = 1;

        if (write_file(s, "cgroup.freeze", on ? "1" : "0") < 0)
                return false;
        while (on && read_file(s, "cgroup.events", buf, sizeof buf) > 0 &&
               keyed_value(buf, "frozen") != 1 && sp_now_ms() < deadline)
                nap(&step);
        return true;
}

/* sig to each pid in cgroup.procs: how many were listed, or -errno.  The list is read in
 * chunks: a scope may hold many processes. */
static int signal_members(const struct sp_scope *s, int sig)
{
        int fd = openat(s->fd, "cgroup.procs", O_RDONLY | O_CLOEXEC), count = 0;
        char buf[4096];
        size_t have = 0;
        ssize_t n;

        if (fd < 0)
                return -errno;
        while ((n = read(fd, buf + have, sizeof buf - 1 - have)) > 0) {
                char *line = buf, *nl;

                have += (size_t)n;
                buf[have] = '\0';
                while ((nl = strchr(line, '\n')) != NULL) {
                        long pid = strtol(line, NULL, 10);

                        /* A frozen member cannot exit by itself, so its pid is still its. */
                        if (pid > 0 && kill((pid_t)pid, sig) == 0)
                                count++;
                        line = nl + 1;
                }
                have = strlen(line);
                memmove(buf, line, have);
        }
        n = n < 0 ? -errno : 0;
        sp_close(&fd);
        return n < 0 ? (int)n : count;
}

/* SIGKILL without cgroup.kill: kill every member listed until none is left (a member may
 * have forked before it was frozen... or where there is no freezer). */
static int kill_members(const struct sp_scope *s)
{
        long long deadline = sp_now_ms() + SP_SCOPE_EMPTY_WAIT_MS;
        bool frozen = freeze(s, true);
        int step = 1, r;

        while ((r = signal_members(s, SIGKILL)) > 0 && sp_now_ms() < deadline)
                nap(&step);
        if (frozen)
                (void)freeze(s, false);
        return r < 0 ? r : 0;
}

int sp_scope_kill(const struct sp_scope *s, int sig)
{
        bool frozen;
        int r;

        if (s->fd < 0)
                return -ESRCH;
        if (sig == SIGKILL) {
                /* Missing before 5.14; and should it fail otherwise, the tree must still go. */
                r = sp_test_no_cgroup_kill ? -ENOENT : write_file(s, "cgroup.kill", "1");
                return r < 0 ? kill_members(s) : 0;
        }
        frozen = freeze(s, true);
        r = signal_members(s, sig);
        if (frozen)
                (void)freeze(s, false);
        return r < 0 ? r : 0;
}

/* ---- usage and removal ---------------------------------------------------------------- */

int sp_scope_read_stat(const struct sp_scope *s, struct subproc_scope_stat *st)
{
        char buf[1024];
        long long v;
        ssize_t n = read_file(s, "cpu.stat", buf, sizeof buf);

        if (n < 0)
                return (int)n;
        *st = (struct subproc_scope_stat){ 0 };
        v = keyed_value(buf, "usage_usec");
        st->usage_usec = v > 0 ? (uint64_t)v : 0;
        v = keyed_value(buf, "user_usec");
        st->user_usec = v > 0 ? (uint64_t)v : 0;
        v = keyed_value(buf, "system_usec");
        st->system_usec = v > 0 ? (uint64_t)v : 0;
        /* Only with the memory controller enabled for the parent's children (5.19+). */
        if (read_file(s, "memory.peak", buf, sizeof buf) > 0)
                st->memory_peak = strtoull(buf, NULL, 10);
        return 0;
}

/* Whether the scope's name still names the directory we made (and hold). */
static bool still_ours(const struct sp_scope *s)
{
        struct stat ours, named;

        /* Tried again on a passing failure (out of memory...), never on a mismatch. */
        for (int tries = 0; tries < 3; tries++)
                if (fstat(s->fd, &ours) == 0 &&
                    fstatat(s->parent_fd, s->name, &named, AT_SYMLINK_NOFOLLOW) == 0)
                        return ours.st_ino == named.st_ino && ours.st_dev == named.st_dev;
        return false;
}

/* rmdir the scope, unless what has its name now is not the directory we made. */
static void remove_dir(const struct sp_scope *s)
{
        long long deadline = sp_now_ms() + SP_SCOPE_EMPTY_WAIT_MS;
        int step = 1;

        if (!still_ours(s))
                return;
        /* EBUSY: the kernel has not let its last (killed) members go yet. */
        while (unlinkat(s->parent_fd, s->name, AT_REMOVEDIR) < 0 && errno == EBUSY &&
               sp_now_ms() < deadline)
                nap(&step);
}

void sp_scope_close(struct sp_scope *s, bool remove)
{
        int saved_errno = errno;

        if (s->fd >= 0 && remove && !sp_scope_populated(s))
                remove_dir(s);
        sp_close(&s->fd);
        sp_close(&s->parent_fd);
        free(s->path);
        *s = (struct sp_scope)SP_SCOPE_NONE;
        errno = saved_errno;
}
