/* Supervise a child from your own poll() loop: read its output as it comes and learn that it
 * exited from its pidfd, then reap it with subproc_wait().
 *
 *   cc eventloop.c $(pkg-config --cflags --libs subproc) -o eventloop && ./eventloop */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <subproc.h>
#include <unistd.h>

int main(void)
{
        int out = -1, status, lines = 0;
        bool exited = false;
        char buf[4096];
        subproc *c;

        c = subproc_new_args("/bin/sh", "-c", "for i in 1 2 3; do echo tick $i; sleep 0.1; done",
                             NULL);
        subproc_set_output_fd(c, &out); /* -1: a pipe for us, O_NONBLOCK below */
        subproc_nonblocking_fds(c);
        if (subproc_run_async(c, NULL) < 0) {
                fprintf(stderr, "eventloop: %s\n", subproc_errmsg());
                return 1;
        }
        while (out >= 0 || !exited) {
                struct pollfd fds[2] = {
                        { .fd = out, .events = POLLIN },
                        { .fd = exited ? -1 : subproc_pidfd(c), .events = POLLIN },
                };
                ssize_t n;

                if (poll(fds, 2, -1) < 0 && errno != EINTR)
                        return 1;
                if (fds[0].revents) {
                        n = read(out, buf, sizeof buf);
                        if (n > 0) {
                                fwrite(buf, 1, (size_t)n, stdout);
                                lines++;
                        } else if (n == 0 || errno != EAGAIN) {
                                close(out);
                                out = -1;
                        }
                }
                if (fds[1].revents)
                        exited = true; /* readable pidfd: the child has exited */
                if (subproc_pidfd(c) < 0 && out < 0)
                        exited = true; /* no pidfd (old kernel): EOF will do; wait blocks */
        }
        if (subproc_wait(c, &status) < 0) {
                fprintf(stderr, "eventloop: %s\n", subproc_errmsg());
                return 1;
        }
        printf("child exited with status %d\n", status);
        subproc_free(c);
        return lines > 0 && status == 0 ? 0 : 1;
}
