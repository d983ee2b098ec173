/* Fault injection wrappers; see fault.h.
 *
 * SPDX-License-Identifier: MIT
 *
 * Each __wrap_X is reached instead of X by every object of the test executable (the static
 * library included) through -Wl,--wrap=X; __real_X is the libc function.  Calls inside libc
 * (the malloc behind asprintf, the open behind opendir) are not seen, which is what we want:
 * the library's own call is the failure point.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fault.h"

/* The library is built with 64-bit file offsets, so it calls open64, fcntl64, fstat64...;
 * meson.build wraps those names.  Without them the sweep would silently miss those calls. */
#if !defined(_FILE_OFFSET_BITS) || _FILE_OFFSET_BITS != 64
#error "the wrappers assume -D_FILE_OFFSET_BITS=64 (open64, fcntl64, ...), as meson sets it"
#endif

/* The wrapped names are glibc's, and -Wl,--wrap is GNU ld's: tests/meson.build builds this
 * harness on Linux only.  Elsewhere the file must still compile (scripts/ci-crosscheck.sh
 * checks it against FreeBSD's headers), with the 64-bit types being the plain ones. */
#ifndef __GLIBC__
#define stat64 stat
#define rlimit64 rlimit
#define off64_t off_t
typedef int __rlimit_resource_t;
#endif

/* Never instrumented: runs in a child that shares our memory (see __wrap_clone). */
#define NO_SANITIZE __attribute__((no_sanitize("address", "undefined")))

static const char *const call_names[FC_COUNT] = {
        [FC_MALLOC] = "malloc",
        [FC_CALLOC] = "calloc",
        [FC_REALLOC] = "realloc",
        [FC_STRDUP] = "strdup",
        [FC_ASPRINTF] = "asprintf",
        [FC_VASPRINTF] = "vasprintf",
        [FC_GETCWD] = "getcwd",
        [FC_PIPE2] = "pipe2",
        [FC_OPEN] = "open",
        [FC_FCNTL] = "fcntl",
        [FC_CLOSE] = "close",
        [FC_READ] = "read",
        [FC_WRITE] = "write",
        [FC_PREAD] = "pread",
        [FC_PWRITE] = "pwrite",
        [FC_FTRUNCATE] = "ftruncate",
        [FC_FSTAT] = "fstat",
        [FC_LSTAT] = "lstat",
        [FC_STAT] = "stat",
        [FC_ACCESS] = "access",
        [FC_UNLINK] = "unlink",
        [FC_SOCKET] = "socket",
        [FC_SETSOCKOPT] = "setsockopt",
        [FC_BIND] = "bind",
        [FC_GETRANDOM] = "getrandom",
        [FC_RECVMSG] = "recvmsg",
        [FC_STRNDUP] = "strndup",
        [FC_POLL] = "poll",
        [FC_PPOLL] = "ppoll",
        [FC_WAITPID] = "waitpid/wait4",
        [FC_KILL] = "kill",
        [FC_CLONE] = "clone",
        [FC_FORK] = "_Fork/fork",
        [FC_GETRLIMIT] = "getrlimit",
        [FC_SETPGID] = "setpgid",
        [FC_NANOSLEEP] = "nanosleep",
        [FC_SIGTIMEDWAIT] = "sigtimedwait",
        [FC_PIDFD_OPEN] = "pidfd_open",
        [FC_PIDFD_SEND_SIGNAL] = "pidfd_send_signal",
        [FC_MEMFD_CREATE] = "memfd_create",
        [FC_MMAP] = "mmap",
        [FC_POSIX_OPENPT] = "posix_openpt",
        [FC_GRANTPT] = "grantpt",
        [FC_UNLOCKPT] = "unlockpt",
        [FC_PTSNAME_R] = "ptsname_r",
        [FC_IOCTL] = "ioctl",
};

static struct {
        bool armed;
        bool paused;
        pid_t pid; /* the process that armed: a child never counts */
        enum fault_mode mode;
        unsigned long fail_at;
        unsigned long calls;
        bool fired;
        struct fault_hit hit;
} state;

const char *fault_call_name(enum fault_call call)
{
        return call >= 0 && call < FC_COUNT ? call_names[call] : "?";
}

unsigned long fault_site_offset(const void *addr)
{
        /* The linker's symbol for the start of the executable's image (PIE or not). */
        extern const char __executable_start[];

        return (unsigned long)((uintptr_t)addr - (uintptr_t)__executable_start);
}

void fault_arm(enum fault_mode mode, unsigned long fail_at)
{
        state.mode = mode;
        state.fail_at = fail_at;
        state.calls = 0;
        state.fired = false;
        state.pid = getpid();
        state.paused = false;
        state.armed = true;
}

void fault_disarm(void)
{
        state.armed = false;
}

void fault_pause(void)
{
        state.paused = true;
}

void fault_resume(void)
{
        state.paused = false;
}

unsigned long fault_calls(void)
{
        return state.calls;
}

bool fault_fired(struct fault_hit *ret_hit)
{
        if (state.fired && ret_hit)
                *ret_hit = state.hit;
        return state.fired;
}

/* Whether this call is made in an armed window, by the process that armed it. */
static bool counting(void)
{
        return state.armed && !state.paused && getpid() == state.pid;
}

/* Count a failure point; true (with errno set) when this one must fail. */
static bool inject(enum fault_call call, bool interruptible, int error, const void *site)
{
        if (!counting())
                return false;
        if (state.mode == FAULT_EINTR) {
                if (!interruptible)
                        return false;
                error = EINTR;
        }
        if (++state.calls != state.fail_at)
                return false;
        state.fired = true;
        state.hit = (struct fault_hit){ .call = call,
                                        .error = error,
                                        .site = fault_site_offset(site) };
        errno = error;
        return true;
}

/* ---------------------------------------------------------------------------------------
 * Live allocations.  The pointers are stored disguised, so that this table does not keep
 * leaked blocks reachable for LeakSanitizer.
 * ------------------------------------------------------------------------------------- */

#define MAX_LIVE 8192
#define DISGUISE ((uintptr_t)0x5a5a5a5a5a5a5a5aULL)

struct live_alloc {
        uintptr_t key;
        size_t size;
        enum fault_call call;
        unsigned long site;
};

static struct live_alloc live[MAX_LIVE];
static size_t nlive;
static bool live_overflow;

static void track(void *p, size_t size, enum fault_call call, const void *site)
{
        if (!p)
                return;
        if (nlive == MAX_LIVE) {
                live_overflow = true;
                return;
        }
        live[nlive++] = (struct live_alloc){ .key = (uintptr_t)p ^ DISGUISE,
                                             .size = size,
                                             .call = call,
                                             .site = fault_site_offset(site) };
}

/* Forget p if it is tracked; true if it was. */
static bool untrack(void *p)
{
        uintptr_t key = (uintptr_t)p ^ DISGUISE;

        for (size_t i = nlive; i-- > 0;) {
                if (live[i].key == key) {
                        live[i] = live[--nlive];
                        return true;
                }
        }
        return false;
}

size_t fault_live_count(void)
{
        return nlive + live_overflow;
}

void fault_live_print(FILE *out, size_t max)
{
        if (live_overflow)
                fprintf(out, "    (more than %d allocations were live: not all tracked)\n",
                        MAX_LIVE);
        for (size_t i = 0; i < nlive && i < max; i++)
                fprintf(out, "    %zu bytes from %s at exe+0x%lx\n", live[i].size,
                        fault_call_name(live[i].call), live[i].site);
        if (nlive > max)
                fprintf(out, "    ... and %zu more\n", nlive - max);
}

void fault_live_forget(void)
{
        nlive = 0;
        live_overflow = false;
}

/* ---------------------------------------------------------------------------------------
 * The wrappers.  Each one is declared first, as -Wmissing-prototypes wants.
 * ------------------------------------------------------------------------------------- */

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void __real_free(void *p);
char *__real_strdup(const char *s);
int __real_vasprintf(char **strp, const char *fmt, va_list ap)
        __attribute__((format(printf, 2, 0)));
char *__real_getcwd(char *buf, size_t size);
int __real_pipe2(int fds[2], int flags);
int __real_memfd_create(const char *name, unsigned flags);
int __real_posix_openpt(int flags);
int __real_grantpt(int fd);
int __real_unlockpt(int fd);
int __real_ptsname_r(int fd, char *buf, size_t len);
int __real_ioctl(int fd, unsigned long request, ...);
void *__real_mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off);
int __real_open64(const char *path, int flags, ...);
int __real_fcntl64(int fd, int cmd, ...);
int __real_close(int fd);
ssize_t __real_read(int fd, void *buf, size_t len);
ssize_t __real_write(int fd, const void *buf, size_t len);
ssize_t __real_pread64(int fd, void *buf, size_t len, off64_t off);
ssize_t __real_pwrite64(int fd, const void *buf, size_t len, off64_t off);
int __real_ftruncate64(int fd, off64_t len);
int __real_fstat64(int fd, struct stat64 *st);
int __real_lstat64(const char *path, struct stat64 *st);
int __real_stat64(const char *path, struct stat64 *st);
int __real_access(const char *path, int mode);
int __real_unlink(const char *path);
int __real_poll(struct pollfd *fds, nfds_t n, int timeout);
int __real_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask);
pid_t __real_waitpid(pid_t pid, int *status, int options);
pid_t __real_wait4(pid_t pid, int *status, int options, struct rusage *ru);
int __real_kill(pid_t pid, int sig);
int __real_clone(int (*fn)(void *), void *stack, int flags, void *arg, ...);
pid_t __real__Fork(void);
pid_t __real_fork(void);
int __real_getrlimit64(__rlimit_resource_t resource, struct rlimit64 *rl);
int __real_setpgid(pid_t pid, pid_t pgid);
int __real_nanosleep(const struct timespec *req, struct timespec *rem);
int __real_sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *timeout);
long __real_syscall(long number, ...);
/* Issue 15. */
int __real_socket(int domain, int type, int protocol);
int __real_setsockopt(int fd, int level, int name, const void *value, socklen_t len);
int __real_bind(int fd, const struct sockaddr *addr, socklen_t len);
ssize_t __real_getrandom(void *buf, size_t len, unsigned flags);
ssize_t __real_recvmsg(int fd, struct msghdr *msg, int flags);
char *__real_strndup(const char *s, size_t n);
int __wrap_socket(int domain, int type, int protocol);
int __wrap_setsockopt(int fd, int level, int name, const void *value, socklen_t len);
int __wrap_bind(int fd, const struct sockaddr *addr, socklen_t len);
ssize_t __wrap_getrandom(void *buf, size_t len, unsigned flags);
ssize_t __wrap_recvmsg(int fd, struct msghdr *msg, int flags);
char *__wrap_strndup(const char *s, size_t n);

void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
void __wrap_free(void *p);
char *__wrap_strdup(const char *s);
int __wrap_asprintf(char **strp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int __wrap_vasprintf(char **strp, const char *fmt, va_list ap)
        __attribute__((format(printf, 2, 0)));
char *__wrap_getcwd(char *buf, size_t size);
int __wrap_pipe2(int fds[2], int flags);
int __wrap_memfd_create(const char *name, unsigned flags);
int __wrap_posix_openpt(int flags);
int __wrap_grantpt(int fd);
int __wrap_unlockpt(int fd);
int __wrap_ptsname_r(int fd, char *buf, size_t len);
int __wrap_ioctl(int fd, unsigned long request, ...);
void *__wrap_mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off);
int __wrap_open64(const char *path, int flags, ...);
int __wrap_fcntl64(int fd, int cmd, ...);
int __wrap_close(int fd);
ssize_t __wrap_read(int fd, void *buf, size_t len);
ssize_t __wrap_write(int fd, const void *buf, size_t len);
ssize_t __wrap_pread64(int fd, void *buf, size_t len, off64_t off);
ssize_t __wrap_pwrite64(int fd, const void *buf, size_t len, off64_t off);
int __wrap_ftruncate64(int fd, off64_t len);
int __wrap_fstat64(int fd, struct stat64 *st);
int __wrap_lstat64(const char *path, struct stat64 *st);
int __wrap_stat64(const char *path, struct stat64 *st);
int __wrap_access(const char *path, int mode);
int __wrap_unlink(const char *path);
int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout);
int __wrap_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask);
pid_t __wrap_waitpid(pid_t pid, int *status, int options);
pid_t __wrap_wait4(pid_t pid, int *status, int options, struct rusage *ru);
int __wrap_kill(pid_t pid, int sig);
int __wrap_clone(int (*fn)(void *), void *stack, int flags, void *arg, ...);
pid_t __wrap__Fork(void);
pid_t __wrap_fork(void);
int __wrap_getrlimit64(__rlimit_resource_t resource, struct rlimit64 *rl);
int __wrap_setpgid(pid_t pid, pid_t pgid);
int __wrap_nanosleep(const struct timespec *req, struct timespec *rem);
int __wrap_sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *timeout);
long __wrap_syscall(long number, ...);

#define SITE __builtin_return_address(0)

/* ---- memory ---------------------------------------------------------------------------- */

void *__wrap_malloc(size_t size)
{
        void *p;

        if (inject(FC_MALLOC, false, ENOMEM, SITE))
                return NULL;
        p = __real_malloc(size);
        if (counting())
                track(p, size, FC_MALLOC, SITE);
        return p;
}

void *__wrap_calloc(size_t n, size_t size)
{
        void *p;

        if (inject(FC_CALLOC, false, ENOMEM, SITE))
                return NULL;
        p = __real_calloc(n, size);
        if (counting())
                track(p, n * size, FC_CALLOC, SITE);
        return p;
}

void *__wrap_realloc(void *p, size_t size)
{
        bool tracked;
        void *q;

        if (inject(FC_REALLOC, false, ENOMEM, SITE))
                return NULL; /* p stays valid and tracked, as with a real failure */
        q = __real_realloc(p, size);
        if (!q)
                return NULL;
        /* A block the library allocated stays tracked when it grows, armed or not. */
        tracked = p && untrack(p);
        if (tracked || counting())
                track(q, size, FC_REALLOC, SITE);
        return q;
}

void __wrap_free(void *p)
{
        if (p && nlive > 0)
                untrack(p);
        __real_free(p);
}

char *__wrap_strdup(const char *s)
{
        char *p;

        if (inject(FC_STRDUP, false, ENOMEM, SITE))
                return NULL;
        p = __real_strdup(s);
        if (counting())
                track(p, strlen(s) + 1, FC_STRDUP, SITE);
        return p;
}

static int do_vasprintf(enum fault_call call, const void *site, char **strp, const char *fmt,
                        va_list ap) __attribute__((format(printf, 4, 0)));

static int do_vasprintf(enum fault_call call, const void *site, char **strp, const char *fmt,
                        va_list ap)
{
        int r;

        if (inject(call, false, ENOMEM, site))
                return -1; /* *strp is undefined after a failure, as glibc documents */
        r = __real_vasprintf(strp, fmt, ap);
        if (r >= 0 && counting())
                track(*strp, (size_t)r + 1, call, site);
        return r;
}

int __wrap_asprintf(char **strp, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = do_vasprintf(FC_ASPRINTF, SITE, strp, fmt, ap);
        va_end(ap);
        return r;
}

int __wrap_vasprintf(char **strp, const char *fmt, va_list ap)
{
        return do_vasprintf(FC_VASPRINTF, SITE, strp, fmt, ap);
}

char *__wrap_getcwd(char *buf, size_t size)
{
        char *p;

        if (inject(FC_GETCWD, false, buf ? ERANGE : ENOMEM, SITE))
                return NULL;
        p = __real_getcwd(buf, size);
        /* getcwd(NULL, 0) allocates the result, which the caller frees. */
        if (p && !buf && counting())
                track(p, strlen(p) + 1, FC_GETCWD, SITE);
        return p;
}

/* ---- fds and files --------------------------------------------------------------------- */

int __wrap_pipe2(int fds[2], int flags)
{
        if (inject(FC_PIPE2, false, EMFILE, SITE))
                return -1;
        return __real_pipe2(fds, flags);
}

int __wrap_memfd_create(const char *name, unsigned flags)
{
        if (inject(FC_MEMFD_CREATE, false, EMFILE, SITE))
                return -1;
        return __real_memfd_create(name, flags);
}

/* Issue 16, pty: the pair the run opens, named, sized. */
int __wrap_posix_openpt(int flags)
{
        if (inject(FC_POSIX_OPENPT, false, EAGAIN, SITE))
                return -1;
        return __real_posix_openpt(flags);
}

int __wrap_grantpt(int fd)
{
        if (inject(FC_GRANTPT, false, EACCES, SITE))
                return -1;
        return __real_grantpt(fd);
}

int __wrap_unlockpt(int fd)
{
        if (inject(FC_UNLOCKPT, false, EINVAL, SITE))
                return -1;
        return __real_unlockpt(fd);
}

/* Returns the error number, as ptsname_r() does. */
int __wrap_ptsname_r(int fd, char *buf, size_t len)
{
        if (inject(FC_PTSNAME_R, false, ENOTTY, SITE)) {
                errno = ENOTTY;
                return ENOTTY;
        }
        return __real_ptsname_r(fd, buf, len);
}

/* Every request the library makes takes one pointer or integer argument. */
int __wrap_ioctl(int fd, unsigned long request, ...)
{
        va_list ap;
        void *arg;

        va_start(ap, request);
        arg = va_arg(ap, void *);
        va_end(ap);
        if (inject(FC_IOCTL, false, EIO, SITE))
                return -1;
        return __real_ioctl(fd, request, arg);
}

/* Only the library's own mmap() calls come here: malloc's are internal to libc. */
void *__wrap_mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
        if (inject(FC_MMAP, false, ENOMEM, SITE))
                return MAP_FAILED;
        return __real_mmap64(addr, len, prot, flags, fd, off);
}

/* Whether open() reads its third argument. */
static bool open_takes_mode(int flags)
{
#ifdef O_TMPFILE
        if ((flags & O_TMPFILE) == O_TMPFILE)
                return true;
#endif
        return (flags & O_CREAT) != 0;
}

int __wrap_open64(const char *path, int flags, ...)
{
        mode_t mode = 0;

        if (open_takes_mode(flags)) {
                va_list ap;

                va_start(ap, flags);
                /* Promoted: mode_t is 16 bits on FreeBSD and macOS, and reading it as such
                 * would be undefined.  open() reads an int too. */
                mode = (mode_t)va_arg(ap, int);
                va_end(ap);
        }
        if (inject(FC_OPEN, false, EMFILE, SITE))
                return -1;
        return __real_open64(path, flags, mode);
}

/* What fcntl can really fail with, per command. */
static int fcntl_error(int cmd)
{
        switch (cmd) {
        case F_DUPFD:
        case F_DUPFD_CLOEXEC:
                return EMFILE;
        case F_GETLK:
        case F_SETLK:
        case F_SETLKW:
#ifdef F_OFD_GETLK
        case F_OFD_GETLK:
        case F_OFD_SETLK:
        case F_OFD_SETLKW:
#endif
                return ENOLCK;
#ifdef F_SETPIPE_SZ
        case F_SETPIPE_SZ:
                return EPERM;
#endif
        default:
                return EBADF;
        }
}

/* Whether the command may wait (a lock held elsewhere). */
static bool fcntl_blocks(int cmd)
{
#ifdef F_OFD_SETLKW
        if (cmd == F_OFD_SETLKW)
                return true;
#endif
        return cmd == F_SETLKW;
}

int __wrap_fcntl64(int fd, int cmd, ...)
{
        va_list ap;
        void *arg;

        /* Every command takes at most one argument, an int or a pointer: glibc itself reads
         * it as a pointer whatever the command. */
        va_start(ap, cmd);
        arg = va_arg(ap, void *);
        va_end(ap);
        if (inject(FC_FCNTL, fcntl_blocks(cmd), fcntl_error(cmd), SITE))
                return -1;
        return __real_fcntl64(fd, cmd, arg);
}

int __wrap_close(int fd)
{
        if (inject(FC_CLOSE, true, EIO, SITE)) {
                int e = errno;

                /* On Linux the fd is gone even when close() fails, EINTR included. */
                (void)__real_close(fd);
                errno = e;
                return -1;
        }
        return __real_close(fd);
}

ssize_t __wrap_read(int fd, void *buf, size_t len)
{
        if (inject(FC_READ, true, EIO, SITE))
                return -1;
        return __real_read(fd, buf, len);
}

ssize_t __wrap_write(int fd, const void *buf, size_t len)
{
        if (inject(FC_WRITE, true, EIO, SITE))
                return -1;
        return __real_write(fd, buf, len);
}

/* Regular files: a signal cannot interrupt these. */
ssize_t __wrap_pread64(int fd, void *buf, size_t len, off64_t off)
{
        if (inject(FC_PREAD, false, EIO, SITE))
                return -1;
        return __real_pread64(fd, buf, len, off);
}

ssize_t __wrap_pwrite64(int fd, const void *buf, size_t len, off64_t off)
{
        if (inject(FC_PWRITE, false, EIO, SITE))
                return -1;
        return __real_pwrite64(fd, buf, len, off);
}

int __wrap_ftruncate64(int fd, off64_t len)
{
        if (inject(FC_FTRUNCATE, false, EIO, SITE))
                return -1;
        return __real_ftruncate64(fd, len);
}

int __wrap_fstat64(int fd, struct stat64 *st)
{
        if (inject(FC_FSTAT, false, ENOMEM, SITE))
                return -1;
        return __real_fstat64(fd, st);
}

int __wrap_lstat64(const char *path, struct stat64 *st)
{
        if (inject(FC_LSTAT, false, ENOMEM, SITE))
                return -1;
        return __real_lstat64(path, st);
}

int __wrap_stat64(const char *path, struct stat64 *st)
{
        if (inject(FC_STAT, false, ENOMEM, SITE))
                return -1;
        return __real_stat64(path, st);
}

int __wrap_access(const char *path, int mode)
{
        if (inject(FC_ACCESS, false, EACCES, SITE))
                return -1;
        return __real_access(path, mode);
}

int __wrap_unlink(const char *path)
{
        if (inject(FC_UNLINK, false, EIO, SITE))
                return -1;
        return __real_unlink(path);
}

/* ---- issue 15: the notify socket ------------------------------------------------------- */

int __wrap_socket(int domain, int type, int protocol)
{
        if (inject(FC_SOCKET, false, EMFILE, SITE))
                return -1;
        return __real_socket(domain, type, protocol);
}

int __wrap_setsockopt(int fd, int level, int name, const void *value, socklen_t len)
{
        if (inject(FC_SETSOCKOPT, false, ENOMEM, SITE))
                return -1;
        return __real_setsockopt(fd, level, name, value, len);
}

int __wrap_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
        if (inject(FC_BIND, false, EADDRINUSE, SITE))
                return -1;
        return __real_bind(fd, addr, len);
}

ssize_t __wrap_getrandom(void *buf, size_t len, unsigned flags)
{
        if (inject(FC_GETRANDOM, true, ENOSYS, SITE))
                return -1;
        return __real_getrandom(buf, len, flags);
}

ssize_t __wrap_recvmsg(int fd, struct msghdr *msg, int flags)
{
        if (inject(FC_RECVMSG, true, ENOMEM, SITE))
                return -1;
        return __real_recvmsg(fd, msg, flags);
}

char *__wrap_strndup(const char *s, size_t n)
{
        if (inject(FC_STRNDUP, false, ENOMEM, SITE))
                return NULL;
        return __real_strndup(s, n);
}

int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout)
{
        if (inject(FC_POLL, true, ENOMEM, SITE))
                return -1;
        return __real_poll(fds, n, timeout);
}

int __wrap_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask)
{
        if (inject(FC_PPOLL, true, ENOMEM, SITE))
                return -1;
        return __real_ppoll(fds, n, ts, mask);
}

/* ---- processes ------------------------------------------------------------------------- */

pid_t __wrap_waitpid(pid_t pid, int *status, int options)
{
        int stolen;
        pid_t r;

        if (!inject(FC_WAITPID, true, ECHILD, SITE))
                return __real_waitpid(pid, status, options);
        if (state.mode == FAULT_EINTR)
                return -1;
        /* Our own unreaped child can only be lost one way: a SIGCHLD handler of the caller
         * (or SIGCHLD ignored) reaps it first.  Do just that, so the pid is really gone and
         * the library must cope with ECHILD and no status.  Nothing to steal yet (WNOHANG
         * and still running): then nothing was injected. */
        r = __real_waitpid(pid, &stolen, options);
        if (r <= 0) {
                state.fired = false;
                return r;
        }
        errno = ECHILD;
        return -1;
}

/* The same failure point for wait4(), the reap that also gives the child's rusage. */
pid_t __wrap_wait4(pid_t pid, int *status, int options, struct rusage *ru)
{
        int stolen;
        pid_t r;

        if (!inject(FC_WAITPID, true, ECHILD, SITE))
                return __real_wait4(pid, status, options, ru);
        if (state.mode == FAULT_EINTR)
                return -1;
        r = __real_wait4(pid, &stolen, options, NULL);
        if (r <= 0) {
                state.fired = false;
                return r;
        }
        errno = ECHILD;
        return -1;
}

int __wrap_kill(pid_t pid, int sig)
{
        if (inject(FC_KILL, false, EPERM, SITE))
                return -1;
        return __real_kill(pid, sig);
}

/* The library calls clone() twice: in the caller to start the child, and in the daemon's
 * intermediate, a child that shares our memory and runs while we are suspended, to start the
 * daemon.  That child must write nothing of ours (not even ASan's shadow): it is recognised
 * by its pid before anything else happens. */
NO_SANITIZE int __wrap_clone(int (*fn)(void *), void *stack, int flags, void *arg, ...)
{
        pid_t *parent_tid, *child_tid;
        void *tls;
        va_list ap;

        /* The optional arguments are used only with flags that ask for them; glibc reads
         * them the same way whether they were passed or not. */
        va_start(ap, arg);
        parent_tid = va_arg(ap, pid_t *);
        tls = va_arg(ap, void *);
        child_tid = va_arg(ap, pid_t *);
        va_end(ap);
        if (state.armed && getpid() == state.pid && inject(FC_CLONE, false, EAGAIN, SITE))
                return -1;
        return __real_clone(fn, stack, flags, arg, parent_tid, tls, child_tid);
}

pid_t __wrap__Fork(void)
{
        if (inject(FC_FORK, false, EAGAIN, SITE))
                return -1;
        return __real__Fork();
}

pid_t __wrap_fork(void)
{
        if (inject(FC_FORK, false, EAGAIN, SITE))
                return -1;
        return __real_fork();
}

int __wrap_getrlimit64(__rlimit_resource_t resource, struct rlimit64 *rl)
{
        if (inject(FC_GETRLIMIT, false, EINVAL, SITE))
                return -1;
        return __real_getrlimit64(resource, rl);
}

int __wrap_setpgid(pid_t pid, pid_t pgid)
{
        /* EACCES: the child has already exec'd. */
        if (inject(FC_SETPGID, false, EACCES, SITE))
                return -1;
        return __real_setpgid(pid, pgid);
}

int __wrap_nanosleep(const struct timespec *req, struct timespec *rem)
{
        /* A signal is the only way a valid nanosleep fails. */
        if (inject(FC_NANOSLEEP, true, EINTR, SITE)) {
                if (rem)
                        *rem = *req;
                return -1;
        }
        return __real_nanosleep(req, rem);
}

int __wrap_sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *timeout)
{
        if (inject(FC_SIGTIMEDWAIT, true, EINTR, SITE))
                return -1;
        return __real_sigtimedwait(set, info, timeout);
}

/* The library uses syscall() for pidfd_open, pidfd_send_signal and rt_sigprocmask; the last
 * cannot fail with valid arguments and is passed through uncounted.  Six arguments are
 * forwarded whatever the call takes, as libc's own syscall() does: reading the ones that
 * were not passed is harmless in practice, but ASan (rightly) flags it, hence NO_SANITIZE. */
NO_SANITIZE long __wrap_syscall(long number, ...)
{
        long a[6];
        va_list ap;

        va_start(ap, number);
        for (int i = 0; i < 6; i++)
                a[i] = va_arg(ap, long);
        va_end(ap);
#ifdef SYS_pidfd_open
        if (number == SYS_pidfd_open && inject(FC_PIDFD_OPEN, false, EMFILE, SITE))
                return -1;
#endif
#ifdef SYS_pidfd_send_signal
        if (number == SYS_pidfd_send_signal && inject(FC_PIDFD_SEND_SIGNAL, false, EPERM, SITE))
                return -1;
#endif
        return __real_syscall(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}
