/* The parent's half of a child's new user namespace: its id maps, written while the child
 * waits (issue 14), and the names of namespace flags for messages. */
#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The kernel takes a map in one write() only. */
static int write_proc_file(pid_t pid, const char *name, const char *text)
{
        char path[64];
        size_t len = strlen(text);
        ssize_t n;
        int fd, err = 0;

        snprintf(path, sizeof path, "/proc/%ld/%s", (long)pid, name);
        fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        do
                n = write(fd, text, len);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                err = -errno;
        else if ((size_t)n != len)
                err = -EIO;
        close(fd);
        return err;
}

int sp_id_maps_write(pid_t pid, const char *uid_map, const char *gid_map,
                     enum sp_id_map_file *which)
{
        int r = 0;

        *which = SP_ID_MAP_UID;
        if (uid_map && (r = write_proc_file(pid, "uid_map", uid_map)) < 0)
                return r;
        if (!gid_map)
                return 0;
        *which = SP_ID_MAP_GID;
        r = write_proc_file(pid, "gid_map", gid_map);
        if (r != -EPERM)
                return r;
        /* Only a writer privileged over the ids (CAP_SETGID where they live) may map groups
         * while the namespace's root can still call setgroups(): it could drop a group that
         * denies it access (CVE-2014-8989).  Others must deny setgroups first, as the kernel
         * requires, and try again. */
        *which = SP_ID_MAP_SETGROUPS;
        r = write_proc_file(pid, "setgroups", "deny");
        if (r < 0)
                return r;
        *which = SP_ID_MAP_GID;
        return write_proc_file(pid, "gid_map", gid_map);
}

const char *sp_ns_names(unsigned long flags, char *buf, size_t size)
{
        static const struct {
                unsigned long flag;
                const char *name;
        } names[] = {
                { CLONE_NEWUSER, "user" },     { CLONE_NEWNS, "mount" },  { CLONE_NEWPID, "pid" },
                { CLONE_NEWNET, "net" },       { CLONE_NEWUTS, "uts" },   { CLONE_NEWIPC, "ipc" },
                { CLONE_NEWCGROUP, "cgroup" }, { CLONE_NEWTIME, "time" },
        };
        size_t len = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
                if ((flags & names[i].flag) && len < size)
                        len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? "," : "",
                                                names[i].name);
        return buf;
}
