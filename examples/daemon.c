/* Start a daemon that holds a locked pidfile, check that it runs, and stop it.
 *
 *   cc daemon.c $(pkg-config --cflags --libs subproc) -o daemon && ./daemon */
#include <stdio.h>
#include <stdlib.h>
#include <subproc.h>
#include <unistd.h>

int main(void)
{
        char dir[] = "/tmp/subproc-example-XXXXXX", pidfile[64];
        pid_t pid;
        subproc *c;

        if (!mkdtemp(dir))
                return 1;
        snprintf(pidfile, sizeof pidfile, "%s/sleeper.pid", dir);

        c = subproc_new_args("/bin/sleep", "600", NULL);
        subproc_daemonize(c);             /* own session, not our child, cwd "/" */
        subproc_set_pidfile(c, pidfile);  /* the daemon itself locks it and writes its pid */
        if (subproc_run(c, NULL) < 0) {   /* returns once the pidfile holds the pid */
                fprintf(stderr, "daemon: %s\n", subproc_errmsg());
                return 1;
        }
        subproc_free(c);

        /* A second start with the same pidfile is refused while the first runs. */
        c = subproc_new_args("/bin/sleep", "600", NULL);
        subproc_daemonize(c);
        subproc_set_pidfile(c, pidfile);
        if (subproc_run(c, NULL) == 0)
                return 1;
        printf("second start refused: %s\n", subproc_errmsg());
        subproc_free(c);

        /* "Alive" is decided by the lock, never by a pid that may have been recycled. */
        if (subproc_pidfile_read_if_alive(pidfile, &pid) < 0 || pid <= 0)
                return 1;
        printf("daemon running as pid %d\n", (int)pid);

        if (subproc_pidfile_force_cleanup(pidfile) < 0) { /* TERM, then KILL if needed */
                fprintf(stderr, "daemon: %s\n", subproc_errmsg());
                return 1;
        }
        if (subproc_pidfile_read_if_alive(pidfile, &pid) < 0 || pid != -1)
                return 1;
        printf("daemon stopped, pidfile removed\n");
        rmdir(dir);
        return 0;
}
