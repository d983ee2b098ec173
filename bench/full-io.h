/* Read or write exactly len bytes, retrying EINTR and short transfers: 0, or -1 on an error
 * or an early EOF.  Shared by bench-emit (linked -static, so a header) and the workers. */
#ifndef SUBPROC_BENCH_FULL_IO_H
#define SUBPROC_BENCH_FULL_IO_H

#include <errno.h>
#include <stdbool.h>
#include <unistd.h>

static inline int transfer_full(int fd, char *p, size_t len, bool writing)
{
        while (len > 0) {
                ssize_t n = writing ? write(fd, p, len) : read(fd, p, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return -1;
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

static inline int read_full(int fd, void *buf, size_t len)
{
        return transfer_full(fd, buf, len, false);
}

/* write() never writes to p: the cast only lets one loop serve both directions. */
static inline int write_full(int fd, const void *buf, size_t len)
{
        return transfer_full(fd, (char *)buf, len, true);
}

#endif
