/* libFuzzer target: reading a pidfile whose content is the input.
 *
 * The file is written once per input at a path made once per process.  Every reader must agree
 * with an independent reading of the format ("decimal, optional trailing whitespace", a pid in
 * 1..INT_MAX, at most 32 bytes): on success the pid is the value written, on failure errno is
 * EINVAL and the message names the file.  The content is only a hint of who holds the lock:
 * subproc_pidfile_read_if_alive() must say "nobody" while nobody holds it, and name this
 * process, which holds it through a second open file description, whatever the content says
 * (the kernel is asked, never the file).  subproc_pidfile_acquire() on the held file must then
 * fail with EBUSY, naming the file. */
#include "subproc.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PIDFILE_MAX_BYTES 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/subproc-fuzz-pidfile.XXXXXX";
static char path[sizeof dir + 8];
static int hold_fd = -1;

static void remove_files(void)
{
        close(hold_fd);
        unlink(path);
        rmdir(dir);
}

static void init(void)
{
        if (!mkdtemp(dir)) {
                perror("fuzz-pidfile: mkdtemp");
                abort();
        }
        snprintf(path, sizeof path, "%s/pid", dir);
        hold_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (hold_fd < 0) {
                perror("fuzz-pidfile: open");
                abort();
        }
        atexit(remove_files);
}

/* Set (or drop) our lock, the kind subproc takes (flock()), which another open file
 * description of the same file sees. */
static void hold_lock(bool on)
{
        if (flock(hold_fd, on ? LOCK_EX | LOCK_NB : LOCK_UN) < 0) {
                perror("fuzz-pidfile: flock");
                abort();
        }
}

/* The reference reading: 1 with *pid for a valid pidfile, 0 for an invalid one, -1 when the
 * format leaves it open (a vertical tab or form feed after the digits: whitespace to
 * isspace(), not to every reader). */
static int expected_pid(const uint8_t *data, size_t size, pid_t *pid)
{
        unsigned long long v = 0;
        size_t i = 0;
        int verdict = 1;

        if (size == 0 || size > PIDFILE_MAX_BYTES)
                return 0;
        for (; i < size && data[i] >= '0' && data[i] <= '9'; i++)
                if (v <= INT_MAX)
                        v = v * 10 + (data[i] - '0');
        if (i == 0 || v == 0 || v > INT_MAX)
                return 0;
        for (; i < size; i++) {
                if (data[i] == '\v' || data[i] == '\f')
                        verdict = -1;
                else if (!strchr(" \t\r\n", data[i]) || data[i] == '\0')
                        return 0;
        }
        *pid = (pid_t)v;
        return verdict;
}

static void fail(const char *what, int r, pid_t pid, int e)
{
        fprintf(stderr, "fuzz-pidfile: %s: returned %d, pid %d, errno %d (%s), message \"%s\"\n",
                what, r, (int)pid, e, strerror(e), subproc_errmsg());
        remove_files(); /* abort() skips atexit() */
        abort();
}

/* One reader's verdict against the reference. */
static void check_read(const char *what, int r, pid_t pid, int e, int verdict, pid_t want)
{
        if (r == 0) {
                if (verdict == 0 || pid <= 0 || (verdict == 1 && pid != want))
                        fail(what, r, pid, e);
                return;
        }
        if (r != -1 || verdict == 1 || e != EINVAL || !strstr(subproc_errmsg(), path))
                fail(what, r, pid, e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        pid_t want = 0, pid, alive_pid;
        int verdict, r, e, fd;

        if (hold_fd < 0)
                init();
        if (ftruncate(hold_fd, 0) < 0 || pwrite(hold_fd, data, size, 0) != (ssize_t)size) {
                perror("fuzz-pidfile: write");
                abort();
        }
        verdict = expected_pid(data, size, &want);

        pid = 0;
        errno = 0;
        r = subproc_pidfile_read(path, &pid);
        e = errno;
        check_read("subproc_pidfile_read", r, pid, e, verdict, want);

        /* Nobody holds it: the content must not matter. */
        alive_pid = 0;
        r = subproc_pidfile_read_if_alive(path, &alive_pid);
        if (r != 0 || alive_pid != -1)
                fail("subproc_pidfile_read_if_alive, not held", r, alive_pid, errno);

        hold_lock(true);
        alive_pid = 0;
        errno = 0;
        r = subproc_pidfile_read_if_alive(path, &alive_pid);
        e = errno;
        if (r != 0 || alive_pid != getpid())
                fail("subproc_pidfile_read_if_alive, held by us", r, alive_pid, e);

        errno = 0;
        fd = subproc_pidfile_acquire(path, 0);
        e = errno;
        if (fd >= 0 || e != EBUSY)
                fail("subproc_pidfile_acquire, held", fd, 0, e);
        if (!strstr(subproc_errmsg(), path))
                fail("subproc_pidfile_acquire does not name the file", fd, pid, e);
        hold_lock(false);
        return 0;
}
