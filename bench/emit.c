/* The writing child of the capture rows: bench-emit BYTES writes BYTES bytes to stdout, all
 * 'x' but a final '\n', in writes of up to 1 MiB.  Linked -static, like bench-noop.
 * It exits 0 only once every byte is written, so the parent can trust a clean exit. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "full-io.h"

#define CHUNK (1024 * 1024)

static char chunk[CHUNK];

int main(int argc, char **argv)
{
        unsigned long long left;

        if (argc != 2)
                return 2;
        left = strtoull(argv[1], NULL, 10);
        /* Only as much as is written: filling 1 MiB for 100 bytes would cost more than the
         * spawn that is measured. */
        memset(chunk, 'x', left < CHUNK ? (size_t)left : CHUNK);
        while (left > 0) {
                size_t len = left < CHUNK ? (size_t)left : CHUNK;

                /* The last byte of all is a newline: the parent checks it to see the end. */
                if (len == left)
                        chunk[len - 1] = '\n';
                if (write_full(STDOUT_FILENO, chunk, len) < 0)
                        return 1;
                left -= len;
        }
        return 0;
}
