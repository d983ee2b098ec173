/* Captures into a memory file (subproc_set_output_mapping): the child's stdout is an
 * anonymous memfd, so its write()s copy each byte once, straight into the file's pages, and
 * nobody reads a pipe.  Once the child is gone the file is sealed against every change and
 * mapped privately for the caller: the pages the child filled become the result.
 *
 * Why seal: a grandchild may still hold the file.  F_SEAL_WRITE makes its later writes fail
 * (EPERM) instead of changing the caller's bytes under it; F_SEAL_GROW and F_SEAL_SHRINK fix
 * the size, so a truncation cannot turn the mapping's pages into SIGBUS. */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if HAVE_MEMFD_CREATE && defined(F_ADD_SEALS)
#define CAN_MAP 1
#else
#define CAN_MAP 0
#endif

#if CAN_MAP && defined(__linux__) && !defined(MFD_NOEXEC_SEAL)
#define MFD_NOEXEC_SEAL 0x0008U /* Linux 6.3 */
#endif

static size_t page_round_up(size_t len)
{
        long page = sysconf(_SC_PAGESIZE);
        size_t mask = (page > 0 ? (size_t)page : 4096) - 1;

        return (len + mask) & ~mask;
}

void subproc_unmap(char *data, size_t len)
{
        if (data)
                (void)munmap(data, page_round_up(len + 1));
}

#if CAN_MAP
/* Give back the pages of a frame made for old_len bytes that new_len (< old_len) does not
 * need, so that subproc_unmap() with new_len releases the whole frame. */
static void shrink_frame(char *frame, size_t old_len, size_t new_len)
{
        size_t keep = page_round_up(new_len + 1), had = page_round_up(old_len + 1);

        if (keep < had)
                (void)munmap(frame + keep, had - keep);
}
#endif

/* Room for len bytes and the NUL, all zero: the frame the file is mapped into. */
static char *reserve(size_t len)
{
        void *p = mmap(NULL, page_round_up(len + 1), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        return p == MAP_FAILED ? NULL : p;
}

#if CAN_MAP

/* Never executable: kernels with vm.memfd_noexec=2 refuse memfds that could be. */
static int make_memfd(unsigned flags)
{
#ifdef MFD_NOEXEC_SEAL
        int fd = memfd_create("subproc-output", flags | MFD_NOEXEC_SEAL);

        if (fd >= 0 || errno != EINVAL)
                return fd;
#endif
        return memfd_create("subproc-output", flags); /* before Linux 6.3 */
}

int sp_mapping_open(void)
{
        int fd = sp_fd_above_stdio(make_memfd(MFD_CLOEXEC | MFD_ALLOW_SEALING));

        if (fd < 0)
                return sp_error(errno, "cannot make a memory file for the output: %s",
                                strerror(errno));
        return fd;
}

/* Seal the file for good; false if it cannot be (a descendant maps it shared and writable:
 * EBUSY; or the child sealed it itself).  Its size is fixed in either case, if allowed. */
static bool freeze(int fd)
{
        if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) == 0)
                return true;
        (void)fcntl(fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK);
        return false;
}

/* The file's pages themselves, copy-on-write, in a frame whose zero tail gives the NUL. */
static int map_frozen(int fd, char *frame, size_t len)
{
        if (len > 0 &&
            mmap(frame, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0) == MAP_FAILED)
                return -errno;
        /* Bytes past the end in the last page read as zero, unless the child put some there
         * through a shared mapping (which does not grow the file): the one page this write
         * copies is cheap. */
        if (frame[len] != '\0')
                frame[len] = '\0';
        return 0;
}

/* Somebody may still write through a shared mapping: take a copy of what is there now.
 * *len becomes what was read, less than before if the file shrank meanwhile. */
static int copy_unfrozen(int fd, char *frame, size_t *len)
{
        size_t done = 0;

        while (done < *len) {
                ssize_t n = pread(fd, frame + done, *len - done, (off_t)done);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break; /* shrunk meanwhile (it could not be sealed): keep what came */
                done += (size_t)n;
        }
        frame[done] = '\0';
        shrink_frame(frame, *len, done);
        *len = done;
        return 0;
}

int sp_mapping_deliver(int fd, size_t limit, char **ret_data, size_t *ret_len, size_t *ret_dropped)
{
        bool frozen = fd >= 0 && freeze(fd);
        struct stat st = { 0 };
        uintmax_t size;
        size_t len;
        char *frame;
        int r;

        *ret_data = NULL;
        *ret_len = 0;
        *ret_dropped = 0;
        if (fd >= 0 && fstat(fd, &st) < 0)
                return -errno;
        size = (uintmax_t)st.st_size;
        /* On errors, the size the child gave its file, for the message. */
        *ret_len = size > SIZE_MAX ? SIZE_MAX : (size_t)size;
        /* Past the cap nothing is mapped at all: a child may size its file 1 TiB at no cost
         * to itself (ftruncate() makes a hole), which no frame of the caller's could hold. */
        if (limit > 0 && size > limit)
                size = limit;
        if (size >= SIZE_MAX / 2)
                return -EFBIG;
        len = (size_t)size;
        frame = reserve(len);
        if (!frame)
                return -errno;
        if (fd < 0)
                r = 0;
        else if (frozen)
                r = map_frozen(fd, frame, len);
        else
                r = copy_unfrozen(fd, frame, &len);
        if (r < 0) {
                subproc_unmap(frame, len);
                return r;
        }
        /* A file that shrank while copied (not sealed) dropped nothing of ours. */
        if (limit > 0 && (uintmax_t)st.st_size > limit)
                *ret_dropped = (uintmax_t)st.st_size - limit > SIZE_MAX
                                       ? SIZE_MAX
                                       : (size_t)((uintmax_t)st.st_size - limit);
        *ret_data = frame;
        *ret_len = len;
        return 0;
}

#else /* !CAN_MAP */

int sp_mapping_open(void)
{
        return sp_error(ENOTSUP, "capturing into a memory file is not supported here: no "
                                 "memfd_create with sealing");
}

int sp_mapping_deliver(int fd, size_t limit, char **ret_data, size_t *ret_len, size_t *ret_dropped)
{
        (void)fd;
        (void)limit;
        *ret_data = reserve(0);
        *ret_len = 0;
        *ret_dropped = 0;
        return *ret_data ? 0 : -errno;
}

#endif
