/* The kernel's word on who holds a pidfile (Linux): a process holds it when one of its fds,
 * listed in /proc/PID/fd, is an open file description of the pidfile's inode (device + inode)
 * that carries a write lock, as /proc/PID/fdinfo/N shows (it lists only the locks of that
 * open file description).  The content of the file is never consulted here.  A pidfd is taken
 * before the check and tested after it: if the process was gone by then, its pid may name
 * another process, and the answer is "not the holder". */
#include "process.h"
#include "pidfile.h"
#include "test-knobs.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A pidfd for any process (not only our child), or -errno: -ESRCH when it is gone, -ENOSYS
 * before Linux 5.3 (and with the test knob). */
static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
        int fd;

        if (sp_test_no_pidfd)
                return -ENOSYS;
        fd = (int)syscall(SYS_pidfd_open, pid, 0);
        return fd < 0 ? -errno : fd;
#else
        return -ENOSYS;
#endif
}

bool sp_pidfd_alive(int pidfd)
{
        struct pollfd p = { .fd = pidfd, .events = POLLIN };

        /* Readable once the process has exited: a zombie counts as gone. */
        return poll(&p, 1, 0) == 0;
}

int sp_pidfd_state(int pidfd)
{
        struct pollfd p = { .fd = pidfd, .events = POLLIN };
        int r;

        do
                r = poll(&p, 1, 0);
        while (r < 0 && errno == EINTR);
        return r < 0 ? -errno : r == 0;
}

/* The one signal path outside signal.c, on purpose: a pidfile's holder is not our child, so
 * signal.c's fallback (kill() while the child is proven unreaped) cannot apply; without a
 * pidfd the holder is not signalled at all. */
int sp_pidfd_signal(int pidfd, int sig)
{
#ifdef SYS_pidfd_send_signal
        if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
                return -errno;
        return 0;
#else
        return -ENOSYS;
#endif
}

int sp_pidfd_wait_exit(int pidfd, int timeout_ms)
{
        struct pollfd p = { .fd = pidfd, .events = POLLIN };
        long long deadline = sp_now_ms() + timeout_ms;
        int r;

        do
                r = poll(&p, 1, (int)(deadline - sp_now_ms() > 0 ? deadline - sp_now_ms() : 0));
        while (r < 0 && errno == EINTR);
        return r > 0 ? 0 : -ETIMEDOUT;
}

/* Whether an fdinfo text has a write lock line: "lock:\t1: FLOCK  ADVISORY  WRITE ...".
 * FLOCK, OFDLCK or POSIX: each is a lock that this open file description holds. */
static bool has_write_lock(const char *info)
{
        for (const char *line = info; line;) {
                const char *end = strchr(line, '\n');
                size_t len = end ? (size_t)(end - line) : strlen(line);

                if (len > 5 && strncmp(line, "lock:", 5) == 0 && memmem(line, len, " WRITE ", 7))
                        return true;
                line = end ? end + 1 : NULL;
        }
        return false;
}

/* 1 when fd N of the process whose /proc dirs are open holds a write lock, 0 if not. */
static int fd_holds_lock(int info_dir, const char *name)
{
        char info[4096];
        ssize_t n;
        int fd = openat(info_dir, name, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return errno == ENOENT ? 0 : -errno; /* closed meanwhile */
        do
                n = read(fd, info, sizeof info - 1);
        while (n < 0 && errno == EINTR);
        close(fd);
        if (n < 0)
                return -errno;
        info[n] = '\0';
        return has_write_lock(info);
}

/* 1 when a listed fd is the file (dev, ino) with a write lock, 0 if none, or -errno. */
static int scan_fds(int fd_dir, int info_dir, dev_t dev, ino_t ino)
{
        int copy = fcntl(fd_dir, F_DUPFD_CLOEXEC, 0);
        DIR *d = copy < 0 ? NULL : fdopendir(copy);
        struct dirent *e;
        int r = 0;

        if (!d) {
                r = -errno;
                if (copy >= 0)
                        close(copy);
                return r;
        }
        while (r == 0 && (e = readdir(d)) != NULL) {
                struct stat st;

                if (e->d_name[0] < '0' || e->d_name[0] > '9')
                        continue;
                /* stat() through the magic link: the very file the fd is open on. */
                if (fstatat(fd_dir, e->d_name, &st, 0) < 0)
                        continue; /* closed meanwhile, or a socket of another namespace */
                if (st.st_dev == dev && st.st_ino == ino)
                        r = fd_holds_lock(info_dir, e->d_name);
        }
        closedir(d);
        return r;
}

static bool have_proc(void)
{
        return access("/proc/self/fdinfo", F_OK) == 0;
}

int sp_pidfile_prove(pid_t pid, dev_t dev, ino_t ino, int *ret_pidfd)
{
        char path[64];
        int pidfd = open_pidfd(pid), fd_dir, info_dir, r;

        *ret_pidfd = -1;
        if (pidfd == -ESRCH)
                return 0;
        if (pidfd < 0 && pidfd != -ENOSYS)
                return pidfd;
        snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
        fd_dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        snprintf(path, sizeof path, "/proc/%d/fdinfo", (int)pid);
        info_dir = fd_dir < 0 ? -1 : open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd_dir < 0 || info_dir < 0) {
                r = errno == ENOENT ? (have_proc() ? 0 : -ENOTSUP) : -errno;
                if (r == -EPERM)
                        r = -EACCES;
        } else {
                r = scan_fds(fd_dir, info_dir, dev, ino);
        }
        if (fd_dir >= 0)
                close(fd_dir);
        if (info_dir >= 0)
                close(info_dir);
        /* The pid named the holder only if that process still lives: else the fds we saw
         * may have been another process's that got the pid since. */
        if (r == 1 && pidfd >= 0 && !sp_pidfd_alive(pidfd))
                r = 0;
        if (r == 1)
                *ret_pidfd = pidfd;
        else if (pidfd >= 0)
                close(pidfd);
        return r;
}

int sp_pidfile_find_holders(dev_t dev, ino_t ino, struct sp_holder *ret, size_t max,
                            bool *ret_incomplete)
{
        DIR *d = opendir("/proc");
        struct dirent *e;
        size_t n = 0;

        *ret_incomplete = false;
        if (!d)
                return errno == ENOENT ? -ENOTSUP : -errno;
        while (n < max && (e = readdir(d)) != NULL) {
                char *end;
                long pid = strtol(e->d_name, &end, 10);
                int pidfd, r;

                if (*end || pid <= 0)
                        continue;
                r = sp_pidfile_prove((pid_t)pid, dev, ino, &pidfd);
                if (r == 1)
                        ret[n++] = (struct sp_holder){ (pid_t)pid, pidfd };
                else if (r < 0)
                        *ret_incomplete = true;
        }
        closedir(d);
        return (int)n;
}

/* A /proc file of pid that is missing: the process is gone (0), or there is no /proc. */
static int proc_missing(int err)
{
        if (err == ENOENT || err == ESRCH)
                return have_proc() ? 0 : -ENOTSUP;
        return err == EPERM ? -EACCES : -err;
}

/* An executable replaced since the process started (a package upgrade renames the new one
 * over it): /proc/PID/exe reads "PATH (deleted)", which start-stop-daemon matches by PATH. */
static bool deleted_exe_is(const char *link, const char *exe_path)
{
        static const char suffix[] = " (deleted)";
        size_t len = strlen(link), n = sizeof suffix - 1;

        return exe_path && len > n && strcmp(link + len - n, suffix) == 0 &&
               strlen(exe_path) == len - n && strncmp(link, exe_path, len - n) == 0;
}

static int exe_is(pid_t pid, const struct sp_match *m)
{
        char path[64], link[PATH_MAX + 16];
        struct stat st;
        ssize_t n;

        snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
        if (stat(path, &st) < 0)
                return proc_missing(errno);
        if (st.st_dev == m->exe.st_dev && st.st_ino == m->exe.st_ino)
                return 1;
        n = readlink(path, link, sizeof link - 1);
        if (n < 0)
                return proc_missing(errno);
        link[n] = '\0';
        return deleted_exe_is(link, m->exe_path);
}

/* Up to size - 1 bytes of /proc/PID/NAME, NUL-terminated: the length, or 0/-errno as
 * proc_missing() (a process gone, or no /proc) with *buf empty. */
static int read_proc(pid_t pid, const char *name, char *buf, size_t size)
{
        char path[64];
        ssize_t n;
        int fd;

        buf[0] = '\0';
        snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
        do
                fd = open(path, O_RDONLY | O_CLOEXEC);
        while (fd < 0 && errno == EINTR);
        if (fd < 0)
                return proc_missing(errno);
        do
                n = read(fd, buf, size - 1);
        while (n < 0 && errno == EINTR);
        if (n < 0) {
                int err = errno;

                close(fd);
                return proc_missing(err);
        }
        close(fd);
        buf[n] = '\0';
        return (int)n;
}

/* The kernel keeps the first 15 bytes of a process name (TASK_COMM_LEN): compare those, as
 * start-stop-daemon --name does. */
static int name_is(pid_t pid, const char *name)
{
        char comm[64];
        size_t want = strnlen(name, SP_COMM_MAX), len;
        int r = read_proc(pid, "comm", comm, sizeof comm);

        if (r <= 0)
                return r;
        len = strcspn(comm, "\n");
        return len == want && memcmp(comm, name, len) == 0;
}

/* The real uid: the first number of the "Uid:" line of /proc/PID/status. */
static int real_uid_is(pid_t pid, uid_t uid)
{
        char text[4096];
        const char *line;
        int r = read_proc(pid, "status", text, sizeof text);

        if (r <= 0)
                return r;
        line = strstr(text, "\nUid:");
        if (!line)
                return -EIO;
        return strtoul(line + 5, NULL, 10) == (unsigned long)uid;
}

int sp_pid_matches(pid_t pid, const struct sp_match *m, int *ret_pidfd)
{
        int pidfd = open_pidfd(pid), r = 1;

        *ret_pidfd = -1;
        if (pidfd == -ESRCH)
                return 0;
        if (pidfd < 0)
                return pidfd;
        if (r == 1 && m->has_exe)
                r = exe_is(pid, m);
        if (r == 1 && m->name)
                r = name_is(pid, m->name);
        if (r == 1 && m->has_uid)
                r = real_uid_is(pid, m->uid);
        /* Checked after every look: the pid may name another process by now. */
        if (r == 1)
                r = sp_pidfd_state(pidfd);
        if (r == 1)
                *ret_pidfd = pidfd;
        else
                close(pidfd);
        return r;
}

/* Without pidfds: /proc/PID/stat, where a zombie says Z after the name in parentheses
 * (which may itself hold parentheses: the last one ends it). */
static int stat_says_alive(pid_t pid)
{
        char path[64], text[512];
        const char *paren;
        ssize_t n;
        int fd;

        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? (have_proc() ? 0 : -ENOTSUP) : -errno;
        n = read(fd, text, sizeof text - 1);
        close(fd);
        if (n <= 0)
                return 0;
        text[n] = '\0';
        paren = strrchr(text, ')');
        return paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

unsigned long long sp_child_start_time(pid_t pid)
{
        int saved_errno = errno, fd, field = 2;
        unsigned long long start = 0;
        char path[64], text[1024];
        const char *p = NULL;
        ssize_t n;

        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        n = fd < 0 ? -1 : read(fd, text, sizeof text - 1);
        if (fd >= 0)
                close(fd);
        if (n > 0) {
                text[n] = '\0';
                p = strrchr(text, ')'); /* the name (field 2) ends at the last one */
        }
        /* Field 4 is the parent (a /proc of another pid namespace names another process),
         * field 22 the start time. */
        for (; p && *p && field < 22; p++) {
                if (*p != ' ')
                        continue;
                if (++field == 4 && strtol(p + 1, NULL, 10) != (long)getpid())
                        break;
        }
        if (p && field == 22)
                start = strtoull(p, NULL, 10);
        errno = saved_errno;
        return start;
}

int sp_pid_alive(pid_t pid)
{
        int pidfd = open_pidfd(pid);
        bool alive;

        if (pidfd == -ESRCH)
                return 0;
        if (pidfd < 0)
                return stat_says_alive(pid);
        alive = sp_pidfd_alive(pidfd);
        close(pidfd);
        return alive;
}

int sp_pidfile_read_locked(dev_t dev, ino_t ino)
{
        char want[64], line[256];
        FILE *f = fopen("/proc/locks", "re");
        int found = 0;

        if (!f)
                return errno == ENOENT ? -ENOTSUP : -errno;
        /* "1: FLOCK  ADVISORY  READ 20107 fe:00:10953551 0 EOF"; "1: -> ..." is a waiter. */
        snprintf(want, sizeof want, " %02x:%02x:%llu ", major(dev), minor(dev),
                 (unsigned long long)ino);
        while (!found && fgets(line, sizeof line, f))
                found = strstr(line, " FLOCK ") && strstr(line, " READ ") && strstr(line, want) &&
                        !strstr(line, "->");
        fclose(f);
        return found;
}
