/* Run a program found in PATH with a clean environment, capture its output, and see how
 * subproc reports failures.
 *
 *   cc capture.c $(pkg-config --cflags --libs subproc) -o capture && ./capture */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <subproc.h>

int main(void)
{
        char *out = NULL, *line;
        subproc *c;

        c = subproc_new_args("uname", "-s", NULL); /* looked up in our PATH; no shell */
        subproc_env_pass_common(c);                /* PATH, HOME, ... and LC_ALL=C only */
        subproc_set_output_buffer(c, &out);
        line = subproc_to_string(c, false);
        printf("running: %s\n", line);
        free(line);
        if (subproc_run(c, NULL) < 0) {
                fprintf(stderr, "capture: %s\n", subproc_errmsg());
                return 1;
        }
        printf("captured %zu bytes: %s", subproc_output_len(c), out);
        subproc_free(c);
        free(out);

        /* Big output: the child writes into a memory file, mapped for us once it has
         * exited (released with subproc_unmap, not free). */
        c = subproc_new_args("seq", "1", "1000000", NULL);
        subproc_set_output_mapping(c, &out);
        if (subproc_run(c, NULL) < 0) {
                fprintf(stderr, "capture: %s\n", subproc_errmsg());
                return 1;
        }
        printf("mapped %zu bytes of seq 1 1000000, the last line: %s",
               subproc_output_len(c), out + subproc_output_len(c) - strlen("1000000\n"));
        subproc_unmap(out, subproc_output_len(c));
        subproc_free(c);

        /* Errors are synchronous and name the failing step. */
        c = subproc_new("/nonexistent/program");
        if (subproc_run(c, NULL) == 0 || errno != ENOENT) {
                fprintf(stderr, "capture: expected ENOENT\n");
                return 1;
        }
        printf("as expected: %s\n", subproc_errmsg());
        subproc_free(c);

        /* A non-zero exit is an error unless you ask for the status. */
        c = subproc_new_args("/bin/sh", "-c", "echo oops >&2; exit 3", NULL);
        subproc_set_error_buffer(c, &out);
        if (subproc_run(c, NULL) == 0) {
                fprintf(stderr, "capture: expected a failure\n");
                return 1;
        }
        printf("as expected: %s\n", subproc_errmsg());
        subproc_free(c);
        free(out);
        return 0;
}
