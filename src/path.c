/* Resolving argv[0] against the caller's PATH, in the parent, before any child exists. */
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool is_executable_file(const char *path, int *ret_errno)
{
        struct stat st;

        if (stat(path, &st) < 0) {
                *ret_errno = errno;
                return false;
        }
        if (!S_ISREG(st.st_mode)) {
                *ret_errno = EACCES;
                return false;
        }
        if (access(path, X_OK) < 0) {
                *ret_errno = errno;
                return false;
        }
        return true;
}

/* The PATH to search: the caller's, or the system default when unset (never ""). */
static char *search_path(void)
{
        const char *path = getenv("PATH");
        size_t n;
        char *buf;

        if (path)
                return strdup(path);
        n = confstr(_CS_PATH, NULL, 0);
        if (n == 0)
                return strdup("/bin:/usr/bin");
        buf = malloc(n);
        if (buf)
                confstr(_CS_PATH, buf, n);
        return buf;
}

/* Why a search found nothing runnable: the first of each kind of trouble, for the message. */
struct miss {
        char *not_runnable; /* a match that exists but cannot be run (EACCES) */
        char *unsearchable; /* a PATH directory that could not be searched (EACCES) */
        char *failed_dir;   /* a PATH directory where the lookup failed otherwise */
        int failed_errno;
};

/* Remember why `candidate` (in `dir`) was no good.  Takes candidate. */
static void note_miss(struct miss *m, const char *dir, char *candidate, int e)
{
        if (e == EACCES && access(candidate, F_OK) == 0 && !m->not_runnable) {
                /* It is there (a non-executable file, a directory): as execvp does, a file
                 * that exists but cannot be run beats "not found". */
                m->not_runnable = candidate;
                return;
        }
        free(candidate);
        if (e == EACCES && !m->unsearchable)
                m->unsearchable = strdup(dir);
        else if (e != EACCES && e != ENOENT && e != ENOTDIR && !m->failed_dir) {
                m->failed_dir = strdup(dir);
                m->failed_errno = e;
        }
}

/* The error for a search that found nothing runnable.  errno as execvp() gives it, which
 * Python's PermissionError and posix_spawnp() callers expect: EACCES when a match could not
 * be run or a directory could not be searched (the program may be in there), the error of a
 * lookup that failed otherwise (ELOOP...), else ENOENT.  The message says whether it was
 * found, and names the file or directory. */
static int miss_error(const char *name, struct miss *m)
{
        int r;

        if (m->not_runnable)
                r = sp_error(EACCES, "cannot run '%s', found in PATH as %s: %s", name,
                             m->not_runnable, strerror(EACCES));
        else if (m->unsearchable)
                r = sp_error(EACCES,
                             "cannot find '%s' in PATH: directory %s (in PATH) cannot "
                             "be searched: %s",
                             name, m->unsearchable, strerror(EACCES));
        else if (m->failed_dir)
                r = sp_error(m->failed_errno, "cannot find '%s' in PATH: looking in %s: %s", name,
                             m->failed_dir, strerror(m->failed_errno));
        else
                r = sp_error(ENOENT, "cannot find '%s' in PATH", name);
        free(m->not_runnable);
        free(m->unsearchable);
        free(m->failed_dir);
        sp_error_set_stage(SUBPROC_STAGE_EXEC);
        return r;
}

int sp_path_resolve(const char *name, char **ret_path)
{
        size_t name_len = strlen(name);
        struct miss miss = { 0 };
        char *path, *dir, *save = NULL, *candidate;

        if (strchr(name, '/')) {
                *ret_path = strdup(name);
                return *ret_path ? 0 : sp_error(ENOMEM, "out of memory resolving '%s'", name);
        }
        path = search_path();
        if (!path)
                return sp_error(ENOMEM, "out of memory resolving '%s'", name);
        for (dir = strtok_r(path, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                int e = 0;

                /* Empty and relative entries would search the current directory, which an
                 * attacker may control: skip them. */
                if (dir[0] != '/')
                        continue;
                candidate = malloc(strlen(dir) + name_len + 2);
                if (!candidate) {
                        free(path);
                        miss_error(name, &miss);
                        return sp_error(ENOMEM, "out of memory resolving '%s'", name);
                }
                strcpy(stpcpy(stpcpy(candidate, dir), "/"), name);
                if (is_executable_file(candidate, &e)) {
                        free(path);
                        free(miss.not_runnable);
                        free(miss.unsearchable);
                        free(miss.failed_dir);
                        *ret_path = candidate;
                        return 0;
                }
                note_miss(&miss, dir, candidate, e);
        }
        free(path);
        return miss_error(name, &miss);
}
