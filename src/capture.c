/* Capture buffers: read a child's output straight into one growing buffer, which the caller
 * later owns and frees with free().
 *
 * Small outputs double from 16 KiB.  Big ones (from 8 MiB) are where the time goes: the
 * buffer is fresh memory, and every page of it is faulted in by the kernel's copy out of the
 * pipe, while the reader holds the pipe's mutex and the writing child spins on it.  So big
 * buffers are grown in huge-page-friendly sizes, asked for transparent huge pages (one fault
 * per 2 MiB instead of per 4 KiB, and a cheaper copy: fewer TLB misses), and faulted in a
 * few MiB ahead of the reads, outside the pipe's lock.  All of that is advice: where it fails
 * (no THP, old kernel, another allocator) only speed is lost. */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#define CAPTURE_MIN_ROOM 16384
/* A child that fills the default 64 KiB pipe gets a bigger one: fewer wakeups and syscalls
 * for large outputs (1 MiB is also the default limit for unprivileged callers). */
#define BIG_PIPE_SIZE (1 << 20)

/* From this capacity on a capture counts as big. */
#define BIG_CAPTURE ((size_t)8 << 20)
#define HUGE_PAGE ((uintptr_t)2 << 20)
/* How far ahead of the reads a big buffer is faulted in. */
#define PREFAULT_STEP ((size_t)4 << 20)
/* glibc puts a 16-byte header before a mapped chunk and rounds the mapping up to pages:
 * asking for 2^k - 32 bytes gives a mapping of exactly 2^k, a whole number of huge pages,
 * which Linux places on a huge-page boundary, so realloc's mremap moves whole huge pages. */
#define MAPPING_SLACK 32

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

static uintptr_t page_size(void)
{
        long size = sysconf(_SC_PAGESIZE); /* no cache: captures run in many threads at once */

        return size > 0 ? (uintptr_t)size : 4096;
}

void sp_capture_free(struct sp_capture *cap)
{
        free(cap->data);
        *cap = (struct sp_capture){ 0 };
}

/* Ask for huge pages on the mapping that holds a big buffer.  Only a buffer that looks like a
 * mapping of its own (glibc: 16 bytes into its first page, usable size reaching a page end)
 * is advised, and then all of those pages, which are the chunk's own: advising part of a
 * mapping splits its VMA, mremap cannot move a range across VMAs, and realloc would fall
 * back to copying the whole buffer. */
static void advise_huge_pages(char *data)
{
#if defined(__GLIBC__) && defined(MADV_HUGEPAGE)
        uintptr_t start = (uintptr_t)data - 16, end;

        if ((start & (page_size() - 1)) != 0)
                return;
        end = (uintptr_t)data + malloc_usable_size(data);
        if ((end & (page_size() - 1)) != 0)
                return;
        (void)madvise((void *)start, end - start, MADV_HUGEPAGE);
#else
        (void)data;
#endif
}

/* The next capacity holding `want` bytes. */
static size_t next_capacity(size_t cap, size_t want)
{
        size_t next = cap >= BIG_CAPTURE ? cap + MAPPING_SLACK : cap ? cap : CAPTURE_MIN_ROOM;

        while (next < want + MAPPING_SLACK) {
                if (next > SIZE_MAX / 2)
                        return 0;
                next *= 2;
        }
        return next >= BIG_CAPTURE ? next - MAPPING_SLACK : next;
}

/* Make room for at least `room` more bytes and the final NUL. */
static int capture_reserve(struct sp_capture *cap, size_t room)
{
        size_t want = cap->len + room + 1;
        size_t cap_new;
        char *data;

        if (cap->cap >= want)
                return 0;
        cap_new = next_capacity(cap->cap, want);
        if (!cap_new)
                return -ENOMEM;
        data = realloc(cap->data, cap_new);
        if (!data)
                return -ENOMEM;
        if (data != cap->data && cap->prefaulted > cap->len)
                cap->prefaulted = cap->len; /* a copy, not a move, may have taken them */
        cap->data = data;
        cap->cap = cap_new;
        if (cap_new >= BIG_CAPTURE)
                advise_huge_pages(data);
        return 0;
}

/* Fault in the next step of a big buffer before the read that fills it. */
static void prefault(struct sp_capture *cap, size_t room)
{
        uintptr_t start, end, limit;

        if (cap->cap < BIG_CAPTURE || cap->no_prefault || cap->prefaulted >= cap->len + room)
                return;
        start = ((uintptr_t)cap->data + cap->len) & ~(page_size() - 1);
        end = (uintptr_t)cap->data + cap->len + PREFAULT_STEP;
        limit = ((uintptr_t)cap->data + cap->cap) & ~(page_size() - 1);
        if (end > limit)
                end = limit;
        if (end <= start)
                return;
        if (madvise((void *)start, end - start, MADV_POPULATE_WRITE) < 0) {
                if (errno == EINVAL)
                        cap->no_prefault = true; /* kernel older than 5.14 */
                return;
        }
        cap->prefaulted = end - (uintptr_t)cap->data;
}

/* Past the capture limit: read and drop, so that the child never blocks on a full pipe.
 * One page at a time: the caller may be a thread with a 16 KiB stack. */
static int drop(int fd, struct sp_capture *cap)
{
        char scratch[4096];
        ssize_t n = read(fd, scratch, sizeof scratch);

        if (n < 0)
                return errno == EINTR || errno == EAGAIN ? 1 : -errno;
        cap->dropped += (size_t)n;
        return n > 0;
}

int sp_capture_read(int fd, struct sp_capture *cap)
{
        size_t room = cap->big_pipe ? BIG_PIPE_SIZE : CAPTURE_MIN_ROOM, want;
        ssize_t n;

        if (cap->limit > 0 && cap->len >= cap->limit)
                return drop(fd, cap);
        if (cap->limit > 0 && room > cap->limit - cap->len)
                room = cap->limit - cap->len;
        if (capture_reserve(cap, room) < 0)
                return -ENOMEM;
        prefault(cap, room);
        want = cap->cap - cap->len - 1;
        if (cap->limit > 0 && want > cap->limit - cap->len)
                want = cap->limit - cap->len;
        n = read(fd, cap->data + cap->len, want);
        if (n < 0)
                return errno == EINTR || errno == EAGAIN ? 1 : -errno;
        if (n == 0)
                return 0;
        cap->len += (size_t)n;
        cap->reads++;
#ifdef F_SETPIPE_SZ
        /* Several full reads: this child writes a lot.  Failure only costs speed. */
        if (!cap->big_pipe && cap->reads >= 4 && (size_t)n >= CAPTURE_MIN_ROOM) {
                cap->big_pipe = true;
                (void)fcntl(fd, F_SETPIPE_SZ, BIG_PIPE_SIZE);
        }
#endif
        return 1;
}

int sp_capture_append(struct sp_capture *cap, const char *data, size_t len)
{
        size_t keep = len;

        if (cap->limit > 0 && keep > (cap->len < cap->limit ? cap->limit - cap->len : 0))
                keep = cap->len < cap->limit ? cap->limit - cap->len : 0;
        cap->dropped += len - keep;
        if (keep == 0)
                return 0;
        if (capture_reserve(cap, keep) < 0)
                return -ENOMEM;
        memcpy(cap->data + cap->len, data, keep);
        cap->len += keep;
        return 0;
}
