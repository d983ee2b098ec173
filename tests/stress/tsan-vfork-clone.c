/* For ThreadSanitizer builds only: scripts/ci-tsan.sh links this into every program with
 * -Wl,--wrap=clone.  Not part of the normal build.
 *
 * SPDX-License-Identifier: MIT
 *
 * TSan's clone() interceptor (clang 14, gcc 12) runs its fork bookkeeping (ForkChildAfter) in
 * the new child as if the child had a copy of the parent's memory.  The library's child is
 * vfork-style (CLONE_VM|CLONE_VFORK): it shares the memory, so that bookkeeping rewrites the
 * parent thread's TSan state, and the parent then dies in ForkParentAfter with
 * "CHECK failed: tsan_rtl.cpp:234 ((!thr->slot)) != (0)".  glibc's own posix_spawn() makes
 * the same kind of child through an internal clone that TSan never sees; this gives the
 * library's clone() the same treatment.  Any other clone still goes to TSan.
 *
 * It must not itself be instrumented: it runs in the parent right around the clone.  (The
 * daemon's intermediate, a child sharing our memory, makes a raw clone system call of its own,
 * sp_sys_clone_run() in src/sys-linux.h, which no wrapper sees.) */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <gnu/lib-names.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

typedef int (*clone_fn)(int (*fn)(void *), void *stack, int flags, void *arg, ...);

int __real_clone(int (*fn)(void *), void *stack, int flags, void *arg, ...);
/* Weak: a program with a clone wrapper of its own (the fault-injection test) keeps it. */
int __wrap_clone(int (*fn)(void *), void *stack, int flags, void *arg, ...) __attribute__((weak));

static clone_fn libc_clone;

__attribute__((constructor)) static void find_libc_clone(void)
{
        void *libc = dlopen(LIBC_SO, RTLD_NOW | RTLD_NOLOAD);

        if (libc != NULL)
                libc_clone = (clone_fn)dlsym(libc, "clone");
}

int __wrap_clone(int (*fn)(void *), void *stack, int flags, void *arg, ...)
{
        pid_t *parent_tid, *child_tid;
        void *tls;
        va_list ap;

        /* clone() takes these three only when flags ask for them; reading them anyway is
         * what every clone wrapper does (they are passed on in registers, unused). */
        va_start(ap, arg);
        parent_tid = va_arg(ap, pid_t *);
        tls = va_arg(ap, void *);
        child_tid = va_arg(ap, pid_t *);
        va_end(ap);
        if ((flags & CLONE_VM) && libc_clone != NULL)
                return libc_clone(fn, stack, flags, arg, parent_tid, tls, child_tid);
        return __real_clone(fn, stack, flags, arg, parent_tid, tls, child_tid);
}
