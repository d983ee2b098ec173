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
#include <stdbool.h>
#include <stdint.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Inlined into the child code, and like it never instrumented: sanitizer code would write
 * shadow memory, which the child shares with the parent. */
#define SP_SYSCALL static inline SP_CHILD_CODE

#if defined(__x86_64__)
SP_SYSCALL long sp_sys6(long n, long a, long b, long c, long d, long e, long f)
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
SP_SYSCALL long sp_sys6(long n, long a, long b, long c, long d, long e, long f)
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
SP_SYSCALL long sp_sys6(long n, long a, long b, long c, long d, long e, long f)
{
        long r = syscall(n, a, b, c, d, e, f);

        return r == -1 ? -errno : r;
}
#endif

#define sp_sys(n, a, b, c) sp_sys6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)

/* A daemon that must outlive its intermediate before exec (it waits for a handshake) cannot
 * share memory with it: a raw clone without CLONE_VM, a fork that runs no atfork handlers. */
SP_SYSCALL long sp_sys_fork(void)
{
        return sp_sys(SYS_clone, SIGCHLD, 0, 0);
}

SP_SYSCALL long sp_sys_pipe_cloexec(int fds[2])
{
        return sp_sys(SYS_pipe2, fds, O_CLOEXEC, 0);
}

SP_SYSCALL long sp_sys_write(int fd, const void *buf, size_t len)
{
        return sp_sys(SYS_write, fd, buf, len);
}

SP_SYSCALL long sp_sys_close(int fd)
{
        return sp_sys(SYS_close, fd, 0, 0);
}

SP_SYSCALL long sp_sys_dup2(int src, int dst)
{
        /* dup3 exists on every architecture; dup2 does not (arm64). src != dst here. */
        return sp_sys(SYS_dup3, src, dst, 0);
}

SP_SYSCALL long sp_sys_fcntl(int fd, int cmd, long arg)
{
        return sp_sys(SYS_fcntl, fd, cmd, arg);
}

/* The lock commands (F_GETLK, F_OFD_GETLK), whose argument is a pointer. */
SP_SYSCALL long sp_sys_fcntl_lock(int fd, int cmd, struct flock *lk)
{
        return sp_sys_fcntl(fd, cmd, (long)lk);
}

SP_SYSCALL long sp_sys_close_range(unsigned first, unsigned last, unsigned flags)
{
#ifdef SYS_close_range
        return sp_sys(SYS_close_range, first, last, flags);
#else
        return -38; /* ENOSYS */
#endif
}

SP_SYSCALL long sp_sys_open_dir(const char *path)
{
        return sp_sys6(SYS_openat, AT_FDCWD, (long)path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, 0,
                       0);
}

SP_SYSCALL long sp_sys_getdents64(int fd, void *buf, size_t len)
{
        return sp_sys(SYS_getdents64, fd, buf, len);
}

SP_SYSCALL long sp_sys_chdir(const char *path)
{
        return sp_sys(SYS_chdir, path, 0, 0);
}

SP_SYSCALL long sp_sys_execve(const char *path, char *const argv[], char *const envp[])
{
        return sp_sys(SYS_execve, path, argv, envp);
}

SP_SYSCALL long sp_sys_sleep_ms(unsigned ms)
{
        struct timespec pause = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

        return sp_sys6(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, (long)&pause, 0, 0, 0);
}

/* The kernel's struct sigaction for SIG_DFL: no handler, so no restorer is needed. */
struct sp_kernel_sigaction {
        void *handler;
        unsigned long flags;
        void *restorer;
        uint64_t mask;
};

SP_SYSCALL long sp_sys_sigaction_default(int sig)
{
        struct sp_kernel_sigaction dfl = { 0 };

        return sp_sys6(SYS_rt_sigaction, sig, (long)&dfl, 0, sizeof(uint64_t), 0, 0);
}

SP_SYSCALL bool sp_sys_sigaction_is_ignored(int sig)
{
        struct sp_kernel_sigaction old = { 0 };

        return sp_sys6(SYS_rt_sigaction, sig, 0, (long)&old, sizeof(uint64_t), 0, 0) == 0 &&
               old.handler == (void *)SIG_IGN;
}

SP_SYSCALL long sp_sys_sigmask_unblock(const uint64_t *mask)
{
        return sp_sys6(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)mask, 0, sizeof *mask, 0, 0);
}

SP_SYSCALL long sp_sys_sigmask_set(const uint64_t *mask)
{
        return sp_sys6(SYS_rt_sigprocmask, SIG_SETMASK, (long)mask, 0, sizeof *mask, 0, 0);
}

SP_SYSCALL long sp_sys_read(int fd, void *buf, size_t len)
{
        return sp_sys(SYS_read, fd, buf, len);
}

SP_SYSCALL long sp_sys_open(const char *path, int flags, int mode)
{
        return sp_sys6(SYS_openat, AT_FDCWD, (long)path, flags, mode, 0, 0);
}

SP_SYSCALL long sp_sys_openat(int dir_fd, const char *path, int flags)
{
        return sp_sys6(SYS_openat, dir_fd, (long)path, flags, 0, 0, 0);
}

SP_SYSCALL long sp_sys_fstat(int fd, struct stat *st)
{
        return sp_sys(SYS_fstat, fd, st, 0);
}

SP_SYSCALL long sp_sys_stat_nofollow(const char *path, struct stat *st)
{
        return sp_sys6(SYS_newfstatat, AT_FDCWD, (long)path, (long)st, AT_SYMLINK_NOFOLLOW, 0, 0);
}

SP_SYSCALL long sp_sys_ftruncate(int fd, long len)
{
        return sp_sys(SYS_ftruncate, fd, len, 0);
}

SP_SYSCALL long sp_sys_fchmod(int fd, unsigned mode)
{
        return sp_sys(SYS_fchmod, fd, mode, 0);
}

SP_SYSCALL long sp_sys_getpid(void)
{
        return sp_sys(SYS_getpid, 0, 0, 0);
}

SP_SYSCALL long sp_sys_geteuid(void)
{
        return sp_sys(SYS_geteuid, 0, 0, 0);
}

SP_SYSCALL long sp_sys_getppid(void)
{
        return sp_sys(SYS_getppid, 0, 0, 0);
}

SP_SYSCALL long sp_sys_kill(long pid, int sig)
{
        return sp_sys(SYS_kill, pid, sig, 0);
}

SP_SYSCALL long sp_sys_setsid(void)
{
        return sp_sys(SYS_setsid, 0, 0, 0);
}

/* Issue 16: make the terminal on fd the caller's controlling terminal (a session leader's
 * without one). */
SP_SYSCALL long sp_sys_set_ctty(int fd)
{
        return sp_sys(SYS_ioctl, fd, TIOCSCTTY, 0);
}

SP_SYSCALL long sp_sys_setpgid(void)
{
        return sp_sys(SYS_setpgid, 0, 0, 0);
}

SP_SYSCALL long sp_sys_umask(int mask)
{
        return sp_sys(SYS_umask, mask, 0, 0);
}

SP_SYSCALL long sp_sys_prctl(int option, unsigned long a, unsigned long b)
{
        return sp_sys6(SYS_prctl, option, (long)a, (long)b, 0, 0, 0);
}

SP_SYSCALL long sp_sys_prlimit(int resource, const struct rlimit *limit)
{
        return sp_sys6(SYS_prlimit64, 0, resource, (long)limit, 0, 0, 0);
}

SP_SYSCALL long sp_sys_get_rlimit(int resource, struct rlimit *ret)
{
        return sp_sys6(SYS_prlimit64, 0, resource, 0, (long)ret, 0, 0);
}

/* Credentials through raw calls change this process only.  glibc's setuid() family would
 * instead signal every thread of the process to change them all, and a vfork-style child
 * shares the parent's thread list in glibc's memory: that must never run here. */
SP_SYSCALL long sp_sys_setgroups_none(void)
{
        return sp_sys(SYS_setgroups, 0, 0, 0);
}

SP_SYSCALL long sp_sys_setresgid(long gid)
{
        return sp_sys(SYS_setresgid, gid, gid, gid);
}

SP_SYSCALL long sp_sys_setresuid(long uid)
{
        return sp_sys(SYS_setresuid, uid, uid, uid);
}

/* gid_t is 32 bits: 32-bit x86 and ARM call that setgroups32 (their setgroups takes 16). */
SP_SYSCALL long sp_sys_setgroups(size_t n, const gid_t *groups)
{
#ifdef SYS_setgroups32
        return sp_sys(SYS_setgroups32, (long)n, (long)groups, 0);
#else
        return sp_sys(SYS_setgroups, (long)n, (long)groups, 0);
#endif
}

/* Keep the permitted set across the uid change away from root (cleared again at exec). */
SP_SYSCALL long sp_sys_keep_caps_on_setuid(void)
{
        return sp_sys_prctl(PR_SET_KEEPCAPS, 1, 0);
}

/* Effective, permitted and inheritable sets all `caps` (bit n: capability n; ABI version 3). */
SP_SYSCALL long sp_sys_capset_to(uint64_t caps)
{
        struct {
                uint32_t version;
                int pid;
        } header = { 0x20080522, 0 };
        const uint32_t lo = (uint32_t)caps, hi = (uint32_t)(caps >> 32);
        struct {
                uint32_t effective, permitted, inheritable;
        } data[2] = { { lo, lo, lo }, { hi, hi, hi } };

        return sp_sys(SYS_capset, &header, data, 0);
}

SP_SYSCALL long sp_sys_cap_ambient_raise(int cap)
{
        return sp_sys_prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)cap);
}

/* Empty effective, permitted and inheritable sets (capability ABI version 3). */
SP_SYSCALL long sp_sys_capset_none(void)
{
        struct {
                uint32_t version;
                int pid;
        } header = { 0x20080522, 0 };
        struct {
                uint32_t effective, permitted, inheritable;
        } data[2] = { { 0, 0, 0 }, { 0, 0, 0 } };

        return sp_sys(SYS_capset, &header, data, 0);
}

SP_SYSCALL __attribute__((noreturn)) void sp_sys_exit(int code)
{
        for (;;)
                sp_sys(SYS_exit_group, code, 0, 0);
}

/* One function per step that sys-posix.h implements differently per system.  The pidfile's
 * lock is pidfile.c's: flock(), which a read-only fd can carry (see hold_pidfile()). */
SP_SYSCALL long sp_sys_lock_file(int fd)
{
        return sp_sys(SYS_flock, fd, LOCK_EX | LOCK_NB, 0);
}

SP_SYSCALL long sp_sys_cap_bound_drop(int cap)
{
        return sp_sys_prctl(PR_CAPBSET_DROP, (unsigned long)cap, 0);
}

SP_SYSCALL long sp_sys_cap_ambient_clear(void)
{
        return sp_sys_prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0);
}

SP_SYSCALL long sp_sys_no_new_privs(void)
{
        return sp_sys_prctl(PR_SET_NO_NEW_PRIVS, 1, 0);
}

SP_SYSCALL long sp_sys_death_signal(int sig)
{
        return sp_sys_prctl(PR_SET_PDEATHSIG, (unsigned long)sig, 0);
}
/* Issue 14, scheduling: each for this process (pid 0) alone.  The raw setpriority() takes the
 * nice value itself; ioprio_set() has no libc wrapper (1: IOPRIO_WHO_PROCESS). */
struct sp_sched_param {
        int priority;
};

SP_SYSCALL long sp_sys_set_nice(int nice)
{
        return sp_sys(SYS_setpriority, PRIO_PROCESS, 0, nice);
}

SP_SYSCALL long sp_sys_set_sched(int policy, int priority)
{
        struct sp_sched_param param = { priority };

        return sp_sys(SYS_sched_setscheduler, 0, policy, &param);
}

SP_SYSCALL long sp_sys_set_affinity(const void *set, size_t size)
{
        return sp_sys(SYS_sched_setaffinity, 0, size, set);
}

SP_SYSCALL long sp_sys_set_ioprio(int ioprio)
{
        return sp_sys(SYS_ioprio_set, 1, 0, ioprio);
}

/* Issue 14, confinement.  seccomp() came in Linux 3.17; before it, prctl() installs the same
 * filter.  Neither writes memory: the kernel copies the program in. */
SP_SYSCALL long sp_sys_seccomp_filter(const struct sp_bpf_prog *prog)
{
#ifdef SYS_seccomp
        long r = sp_sys(SYS_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, 0, prog);

        if (r != -38 /* ENOSYS */)
                return r;
#endif
        return sp_sys_prctl(PR_SET_SECCOMP, 2 /* SECCOMP_MODE_FILTER */, (unsigned long)prog);
}

SP_SYSCALL long sp_sys_landlock_restrict(int ruleset_fd)
{
        return sp_sys(446 /* landlock_restrict_self, on every architecture */, ruleset_fd, 0, 0);
}
#ifndef SYS_clone3
#define SYS_clone3 435 /* the same number on every architecture */
#endif

/* clone3(args) for a child on a stack of its own (args->stack), which then runs fn(arg) and
 * exits with its value; returns the child's pid, or -errno, in the parent.
 *
 * Unlike clone(), clone3() has no libc wrapper taking a function: the child returns from the
 * system call itself, but on the new stack, where no frame of the caller exists.  So the call
 * to fn must follow the syscall instruction inside the same asm, with fn and arg held in
 * registers the asm declares (the child gets the parent's registers): not one instruction of C
 * may run in the child before fn.  Architectures without a version here get ENOSYS, and the
 * caller uses clone() instead. */
#if defined(__x86_64__)
SP_SYSCALL long sp_sys_clone3_run(void *args, size_t size, int (*fn)(void *), void *arg)
{
        unsigned long ret;

        /* In the child: rax is 0, rsp the new stack, every other register the parent's but
         * rcx and r11 (the syscall clobbers them).  fn and arg leave their registers, either
         * of which may be rbp, before rbp is cleared to end the frame chain.  The ABI wants
         * rsp 16-byte aligned at the call. */
        __asm__ __volatile__("syscall\n\t"
                             "test %%rax, %%rax\n\t"
                             "jnz 1f\n\t"
                             "mov %[fn], %%rcx\n\t"
                             "mov %[arg], %%rdi\n\t"
                             "xor %%ebp, %%ebp\n\t"
                             "and $-16, %%rsp\n\t"
                             "call *%%rcx\n\t"
                             "mov %%eax, %%edi\n\t"
                             "mov %[nr_exit], %%eax\n\t"
                             "syscall\n\t"
                             "hlt\n"
                             "1:"
                             : "=a"(ret)
                             : "a"((long)SYS_clone3), "D"(args), "S"(size), [fn] "r"(fn),
                               [arg] "r"(arg), [nr_exit] "i"(SYS_exit_group)
                             : "rcx", "r11", "memory", "cc");
        return (long)ret;
}
#elif defined(__aarch64__)
SP_SYSCALL long sp_sys_clone3_run(void *args, size_t size, int (*fn)(void *), void *arg)
{
        register long x8 __asm__("x8") = SYS_clone3;
        register long x0 __asm__("x0") = (long)args;
        register long x1 __asm__("x1") = (long)size;
        register long x2 __asm__("x2") = (long)fn;
        register long x3 __asm__("x3") = (long)arg;

        /* In the child: x0 is 0, sp the new stack, every other register the parent's.  x9 and
         * the frame register are ours there: that path never leaves the asm.  sp must stay
         * 16-byte aligned. */
        __asm__ __volatile__("svc 0\n\t"
                             "cbnz x0, 1f\n\t"
                             "mov x9, sp\n\t"
                             "and x9, x9, #-16\n\t"
                             "mov sp, x9\n\t"
                             "mov x29, xzr\n\t"
                             "mov x0, x3\n\t"
                             "blr x2\n\t"
                             "mov x8, %[nr_exit]\n\t" /* x4 may not survive fn */
                             "svc 0\n\t"
                             "brk #0\n"
                             "1:"
                             : "+r"(x0)
                             : "r"(x8), "r"(x1), "r"(x2), "r"(x3), [nr_exit] "i"(SYS_exit_group)
                             : "x9", "memory", "cc");
        return x0;
}
#else
SP_SYSCALL long sp_sys_clone3_run(void *args, size_t size, int (*fn)(void *), void *arg)
{
        return -38; /* ENOSYS */
}
#endif

/* clone(flags, stack_top) for a child that runs fn(arg) on that stack and exits with its
 * value; returns the child's pid, or -errno, in the parent.  What glibc's clone() does, minus
 * what must not happen in a child that shares our memory: the call goes through no PLT entry
 * (the lazy resolver would write the GOT and take the loader's locks) and sets no errno.  The
 * child side is as in sp_sys_clone3_run.  Elsewhere -ENOSYS: callers fork instead. */
#if defined(__x86_64__)
SP_SYSCALL long sp_sys_clone_run(unsigned long flags, void *stack_top, int (*fn)(void *), void *arg)
{
        unsigned long ret;
        register long r10 __asm__("r10") = 0; /* child_tid */
        register long r8 __asm__("r8") = 0;   /* tls */

        __asm__ __volatile__("syscall\n\t"
                             "test %%rax, %%rax\n\t"
                             "jnz 1f\n\t"
                             "mov %[fn], %%rcx\n\t"
                             "mov %[arg], %%rdi\n\t"
                             "xor %%ebp, %%ebp\n\t"
                             "and $-16, %%rsp\n\t"
                             "call *%%rcx\n\t"
                             "mov %%eax, %%edi\n\t"
                             "mov %[nr_exit], %%eax\n\t"
                             "syscall\n\t"
                             "hlt\n"
                             "1:"
                             : "=a"(ret)
                             : "a"((long)SYS_clone), "D"(flags), "S"(stack_top), "d"(0L), "r"(r10),
                               "r"(r8), [fn] "r"(fn), [arg] "r"(arg), [nr_exit] "i"(SYS_exit_group)
                             : "rcx", "r11", "memory", "cc");
        return (long)ret;
}
#elif defined(__aarch64__)
SP_SYSCALL long sp_sys_clone_run(unsigned long flags, void *stack_top, int (*fn)(void *), void *arg)
{
        register long x8 __asm__("x8") = SYS_clone;
        register long x0 __asm__("x0") = (long)flags;
        register long x1 __asm__("x1") = (long)stack_top;
        register long x2 __asm__("x2") = 0; /* parent_tid */
        register long x3 __asm__("x3") = 0; /* tls */
        register long x4 __asm__("x4") = 0; /* child_tid */
        register long x5 __asm__("x5") = (long)fn;
        register long x6 __asm__("x6") = (long)arg;

        /* After fn returns, only x0 (its value) is known: the exit number is an immediate. */
        __asm__ __volatile__("svc 0\n\t"
                             "cbnz x0, 1f\n\t"
                             "mov x9, sp\n\t"
                             "and x9, x9, #-16\n\t"
                             "mov sp, x9\n\t"
                             "mov x29, xzr\n\t"
                             "mov x0, x6\n\t"
                             "blr x5\n\t"
                             "mov x8, %[nr_exit]\n\t"
                             "svc 0\n\t"
                             "brk #0\n"
                             "1:"
                             : "+r"(x0)
                             : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5),
                               "r"(x6), [nr_exit] "i"(SYS_exit_group)
                             : "x9", "memory", "cc");
        return x0;
}
#else
SP_SYSCALL long sp_sys_clone_run(unsigned long flags, void *stack_top, int (*fn)(void *), void *arg)
{
        return -38; /* ENOSYS */
}
#endif

/* Issue 14, namespaces. */
SP_SYSCALL long sp_sys_unshare(unsigned long flags)
{
        return sp_sys(SYS_unshare, flags, 0, 0);
}

/* mount --make-rprivate /: what the mounts of a new mount namespace do is theirs alone. */
SP_SYSCALL long sp_sys_mounts_private(void)
{
        return sp_sys6(SYS_mount, 0, (long)"/", 0, MS_REC | MS_PRIVATE, 0, 0);
}

SP_SYSCALL long sp_sys_readlink(const char *path, char *buf, size_t size)
{
        return sp_sys6(SYS_readlinkat, AT_FDCWD, (long)path, (long)buf, (long)size, 0, 0);
}

#endif
