/* Run a command, capture its output, and show how subproc reports what went wrong.
 *
 *   cc capture.c $(pkg-config --cflags --libs subproc) -o capture && ./capture */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <subproc.h>

int main(void)
{
        char *out = NULL, *err = NULL, *line;
        int status;
        subproc *c;

        /* 1. Capture the output of a program found in PATH, with a clean environment. */
        c = subproc_new_args("uname", "-s", "-r", NULL);
        subproc_env_pass_common(c);
        subproc_set_output_buffer(c, &out);
        line = subproc_to_string(c, false);
        printf("running: %s\n", line);
        free(line);
        if (subproc_run(c, NULL) < 0) {
                fprintf(stderr, "capture: %s\n", subproc_errmsg());
                subproc_free(c);
                return 1;
        }
        printf("it said: %s", out);
        free(out);
        subproc_free(c);

        /* 2. Feed stdin and read stdout and stderr at once: no deadlock, no shell. */
        c = subproc_new_args("/bin/sh", "-c", "tr a-z A-Z; echo 'a warning' >&2; exit 3", NULL);
        subproc_set_input_buffer(c, "hello from the parent\n");
        subproc_set_output_buffer(c, &out);
        subproc_set_error_buffer(c, &err);
        if (subproc_run(c, &status) == 0)
                printf("exit status %d, stdout: %s  stderr: %s", status, out, err);
        subproc_free(c);
        free(out);
        free(err);

        /* 3. Errors are synchronous and say which step failed. */
        c = subproc_new("/nonexistent/program");
        if (subproc_run(c, NULL) < 0)
                printf("as expected: %s (errno %d%s)\n", subproc_errmsg(), errno,
                       errno == ENOENT ? ", ENOENT" : "");
        subproc_free(c);
        return 0;
}
