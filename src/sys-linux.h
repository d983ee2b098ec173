/* System calls for the child side on Linux, made without touching errno.
 *
 * The vfork-style child shares the parent's memory and, since it is created without
 * CLONE_SETTLS, the parent thread's TLS: a libc wrapper that sets errno on failure would write
 * the parent's errno.  These wrappers return -errno instead and write nothing but registers.
 * On architectures without an inline version here, libc's syscall() is used; the parent then
 * restores its errno after the child has gone (spawn-linux.c does). */
#ifndef SUBPROC_SYS_LINUX_H
#define SUBPROC_SYS_LINUX_H

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
static inline long sp_sys6(long n, long a, long b, long c, long d, long e, long f)
{
        unsigned long ret;
        register long r10 __asm__("r10") = d;
        register long r8 __asm__("r8") = e;
        register long r9 __asm__("r9") = f;

        __asm__ __volatile__("syscall"
                             : "=a"(ret)
                             : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                             : "rcx", "r11", "memory");
        return (long)ret;
}
#elif defined(__aarch64__)
static inline long sp_sys6(long n, long a, long b, long c, long d, long e, long f)
{
        register long x8 __asm__("x8") = n;
        register long x0 __asm__("x0") = a;
        register long x1 __asm__("x1") = b;
        register long x2 __asm__("x2") = c;
        register long x3 __asm__("x3") = d;
        register long x4 __asm__("x4") = e;
        register long x5 __asm__("x5") = f;

        __asm__ __volatile__("svc 0"
                             : "=r"(x0)
                             : "r"(x8), "0"(x0), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                             : "memory", "cc");
        return x0;
}
#else
#include <errno.h>
#define SP_SYS_WRITES_ERRNO 1
static inline long sp_sys6(long n, long a, long b, long c, long d, long e, long f)
{
        long r = syscall(n, a, b, c, d, e, f);

        return r == -1 ? -errno : r;
}
#endif

#define sp_sys(n, a, b, c) sp_sys6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)

static inline long sp_sys_write(int fd, const void *buf, size_t len)
{
        return sp_sys(SYS_write, fd, buf, len);
}

static inline long sp_sys_close(int fd)
{
        return sp_sys(SYS_close, fd, 0, 0);
}

static inline long sp_sys_dup2(int src, int dst)
{
        /* dup3 exists on every architecture; dup2 does not (arm64). src != dst here. */
        return sp_sys(SYS_dup3, src, dst, 0);
}

static inline long sp_sys_fcntl(int fd, int cmd, long arg)
{
        return sp_sys(SYS_fcntl, fd, cmd, arg);
}

static inline long sp_sys_close_range(unsigned first, unsigned last, unsigned flags)
{
#ifdef SYS_close_range
        return sp_sys(SYS_close_range, first, last, flags);
#else
        return -38; /* ENOSYS */
#endif
}

static inline long sp_sys_open_dir(const char *path)
{
        return sp_sys6(SYS_openat, AT_FDCWD, (long)path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, 0,
                       0);
}

static inline long sp_sys_getdents64(int fd, void *buf, size_t len)
{
        return sp_sys(SYS_getdents64, fd, buf, len);
}

static inline long sp_sys_chdir(const char *path)
{
        return sp_sys(SYS_chdir, path, 0, 0);
}

static inline long sp_sys_execve(const char *path, char *const argv[], char *const envp[])
{
        return sp_sys(SYS_execve, path, argv, envp);
}

/* The kernel's struct sigaction for SIG_DFL: no handler, so no restorer is needed. */
struct sp_kernel_sigaction {
        void *handler;
        unsigned long flags;
        void *restorer;
        uint64_t mask;
};

static inline long sp_sys_sigaction_default(int sig)
{
        struct sp_kernel_sigaction dfl = { 0 };

        return sp_sys6(SYS_rt_sigaction, sig, (long)&dfl, 0, sizeof(uint64_t), 0, 0);
}

static inline long sp_sys_sigmask_set(const uint64_t *mask)
{
        return sp_sys6(SYS_rt_sigprocmask, SIG_SETMASK, (long)mask, 0, sizeof *mask, 0, 0);
}

static inline void __attribute__((noreturn)) sp_sys_exit(int code)
{
        for (;;)
                sp_sys(SYS_exit_group, code, 0, 0);
}

#endif
