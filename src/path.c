/* Resolving argv[0] against the caller's PATH, in the parent, before any child exists. */
#include "internal.h"

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

int sp_path_resolve(const char *name, char **ret_path)
{
        size_t name_len = strlen(name);
        int first_error = 0;
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
                        return sp_error(ENOMEM, "out of memory resolving '%s'", name);
                }
                strcpy(stpcpy(stpcpy(candidate, dir), "/"), name);
                if (is_executable_file(candidate, &e)) {
                        free(path);
                        *ret_path = candidate;
                        return 0;
                }
                free(candidate);
                /* As execvp does: a file that exists but cannot be run beats "not found". */
                if (e == EACCES || (first_error == 0 && e != ENOENT && e != ENOTDIR))
                        first_error = e;
        }
        free(path);
        if (first_error == EACCES)
                sp_error(EACCES, "cannot run '%s' found in PATH: %s", name, strerror(EACCES));
        else if (first_error)
                sp_error(first_error, "cannot look for '%s' in PATH: %s", name,
                         strerror(first_error));
        else
                sp_error(ENOENT, "cannot find '%s' in PATH", name);
        sp_error_set_stage(SUBPROC_STAGE_EXEC);
        return -1;
}
