/* Fault injection for the subproc tests: fail the Nth allocation or system call.
 *
 * SPDX-License-Identifier: MIT
 *
 * The test executable is linked with -Wl,--wrap=SYMBOL for every allocation and fallible
 * system call the library makes (see meson.build), so those calls, from the statically linked
 * library and from the test's own objects, reach the __wrap_ functions of fault.c.  Nothing
 * is counted or failed unless a window is armed, and then only calls of the arming thread and
 * process: the test keeps its own calls outside the window, and a child sharing our memory
 * between clone and exec is never touched (it must not even write our memory).
 *
 * A sweep arms a window with fail_at = 1, 2, 3, ... and runs one scenario in it, until the
 * scenario makes fewer than fail_at calls: that last run saw no injected failure.
 *
 * Allocations made in a window are remembered until freed (by anybody, armed or not), so
 * memory the library leaks shows up as live allocations once the scenario has freed what it
 * owns, with or without LeakSanitizer.
 */
#ifndef SUBPROC_FAULT_H
#define SUBPROC_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum fault_mode {
        /* Every wrapped call is a failure point; the Nth fails with a hard error (ENOMEM for
         * allocations, EMFILE for new fds, EIO for I/O, EAGAIN for process creation...). */
        FAULT_ERRORS,
        /* Only calls a signal can interrupt count (read, write, poll, waitpid, nanosleep,
         * close, sigtimedwait); the Nth fails with EINTR, as when a handler of the caller
         * without SA_RESTART runs.  The library must retry: the outcome must not change. */
        FAULT_EINTR,
};

#define FAULT_NMODES 2

/* The calls that can be failed, for the figures. */
enum fault_call {
        FC_MALLOC,
        FC_CALLOC,
        FC_REALLOC,
        FC_STRDUP,
        FC_ASPRINTF,
        FC_VASPRINTF,
        FC_GETCWD,
        FC_PIPE2,
        FC_OPEN,
        FC_FCNTL,
        FC_CLOSE,
        FC_READ,
        FC_WRITE,
        FC_PREAD,
        FC_PWRITE,
        FC_FTRUNCATE,
        FC_FSTAT,
        FC_LSTAT,
        FC_STAT,
        FC_ACCESS,
        FC_UNLINK,
        FC_POLL,
        FC_WAITPID,
        FC_KILL,
        FC_CLONE,
        FC_FORK,
        FC_GETRLIMIT,
        FC_SETPGID,
        FC_NANOSLEEP,
        FC_SIGTIMEDWAIT,
        FC_PIDFD_OPEN,
        FC_PIDFD_SEND_SIGNAL,
        FC_MEMFD_CREATE,
        FC_MMAP,
        /* Issue 15: the notify socket. */
        FC_SOCKET,
        FC_SETSOCKOPT,
        FC_BIND,
        FC_GETRANDOM,
        FC_RECVMSG,
        FC_STRNDUP,
        FC_PPOLL,        /* issue 16: the loop's wait */
        FC_POSIX_OPENPT, /* issue 16, pty */
        FC_GRANTPT,
        FC_UNLOCKPT,
        FC_PTSNAME_R,
        FC_IOCTL,
        FC_COUNT
};

/* The failure injected in the last window, if any. */
struct fault_hit {
        enum fault_call call;
        int error;          /* the errno it failed with */
        unsigned long site; /* the caller's address, as an offset into the executable */
};

/* Start counting; the fail_at-th failure point fails (0: none, just count). */
void fault_arm(enum fault_mode mode, unsigned long fail_at);
void fault_disarm(void);
/* Stop counting for a while inside a window (the test's own setup), then go on counting. */
void fault_pause(void);
void fault_resume(void);
/* Failure points reached in the last (or current) window. */
unsigned long fault_calls(void);
/* Whether a failure was injected in the last window; *ret_hit (may be NULL) says which. */
bool fault_fired(struct fault_hit *ret_hit);
const char *fault_call_name(enum fault_call call);

/* Allocations made in a window and not freed yet. */
size_t fault_live_count(void);
/* Print up to `max` of them, one line each, with the allocating call and its site. */
void fault_live_print(FILE *out, size_t max);
/* Forget them (after reporting), so the next window starts from zero. */
void fault_live_forget(void);

/* `addr` as an offset into the executable, for addr2line. */
unsigned long fault_site_offset(const void *addr);

#endif /* SUBPROC_FAULT_H */
