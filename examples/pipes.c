/* Feed a child megabytes on stdin while reading its stdout and stderr at once: one poll
 * loop serves all three, so neither side can block the other.
 *
 *   cc pipes.c $(pkg-config --cflags --libs subproc) -o pipes && ./pipes */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <subproc.h>

int main(void)
{
        size_t size = 4 << 20;
        char *input = malloc(size), *out = NULL, *err = NULL;
        int status;
        subproc *c;

        if (!input)
                return 1;
        memset(input, 'x', size);
        /* tee copies stdin to stdout and to stderr (through /dev/stderr). */
        c = subproc_new_args("/bin/sh", "-c", "tee /dev/stderr", NULL);
        subproc_set_input_bytes(c, input, size);
        subproc_set_output_buffer(c, &out);
        subproc_set_error_buffer(c, &err);
        if (subproc_run(c, &status) < 0) {
                fprintf(stderr, "pipes: %s\n", subproc_errmsg());
                return 1;
        }
        printf("sent %zu bytes; got %zu on stdout and %zu on stderr; exit status %d\n", size,
               subproc_output_len(c), subproc_error_len(c), status);
        status = subproc_output_len(c) == size && subproc_error_len(c) == size ? 0 : 1;
        subproc_free(c);
        free(input);
        free(out);
        free(err);
        return status;
}
