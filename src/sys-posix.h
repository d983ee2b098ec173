/* System calls for the child side on systems other than Linux, where the child is a fork()ed
 * copy: plain libc calls, each returning -errno like the Linux wrappers. */
#ifndef SUBPROC_SYS_POSIX_H
#define SUBPROC_SYS_POSIX_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SP_RET(expr) ((expr) < 0 ? -(long)errno : 0L)

static inline long sp_sys_write(int fd, const void *buf, size_t len)
{
        ssize_t n = write(fd, buf, len);

        return n < 0 ? -(long)errno : (long)n;
}

static inline long sp_sys_close(int fd)
{
        return SP_RET(close(fd));
}

static inline long sp_sys_dup2(int src, int dst)
{
        return SP_RET(dup2(src, dst));
}

static inline long sp_sys_fcntl(int fd, int cmd, long arg)
{
        int r = fcntl(fd, cmd, (int)arg);

        return r < 0 ? -(long)errno : r;
}

static inline long sp_sys_close_range(unsigned first, unsigned last, unsigned flags)
{
#if defined(__FreeBSD__)
        return SP_RET(close_range(first, last, (int)flags));
#else
        return -ENOSYS;
#endif
}

/* No portable async-signal-safe directory walk: report ENOSYS, the caller loops instead. */
static inline long sp_sys_open_dir(const char *path)
{
        return -ENOSYS;
}

static inline long sp_sys_getdents64(int fd, void *buf, size_t len)
{
        return -ENOSYS;
}

static inline long sp_sys_openat(int dir_fd, const char *path, int flags)
{
        int fd = openat(dir_fd, path, flags);

        return fd < 0 ? -(long)errno : fd;
}

static inline long sp_sys_chdir(const char *path)
{
        return SP_RET(chdir(path));
}

static inline long sp_sys_execve(const char *path, char *const argv[], char *const envp[])
{
        execve(path, argv, envp);
        return -(long)errno;
}

static inline long sp_sys_sigaction_default(int sig)
{
        struct sigaction dfl;

        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        return SP_RET(sigaction(sig, &dfl, NULL));
}

static inline long sp_sys_sigmask_set(const uint64_t *mask)
{
        sigset_t set;

        sigemptyset(&set); /* callers only ever ask for the empty mask */
        (void)mask;
        return SP_RET(sigprocmask(SIG_SETMASK, &set, NULL));
}

static inline long sp_sys_geteuid(void)
{
        return (long)geteuid();
}

static inline long sp_sys_sleep_ms(unsigned ms)
{
        struct timespec pause = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

        return SP_RET(nanosleep(&pause, NULL));
}

static inline void __attribute__((noreturn)) sp_sys_exit(int code)
{
        _exit(code);
}

#endif
