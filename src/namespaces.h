/* Namespaces (issue 14): the flags subproc_unshare() takes and the parent's half of a new
 * user namespace, its id maps (idmap.c).  The child's half is in child.c. */
#ifndef SUBPROC_NAMESPACES_H
#define SUBPROC_NAMESPACES_H

#include "util.h"

#include <sched.h>
#include <sys/types.h>

/* Linux's values, for the systems without them, where a run refuses namespaces (ENOTSUP). */
#ifndef CLONE_NEWNS
#define CLONE_NEWNS 0x00020000
#endif
#ifndef CLONE_NEWUTS
#define CLONE_NEWUTS 0x04000000
#endif
#ifndef CLONE_NEWIPC
#define CLONE_NEWIPC 0x08000000
#endif
#ifndef CLONE_NEWUSER
#define CLONE_NEWUSER 0x10000000
#endif
#ifndef CLONE_NEWPID
#define CLONE_NEWPID 0x20000000
#endif
#ifndef CLONE_NEWNET
#define CLONE_NEWNET 0x40000000
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

#define SP_NS_ALL                                                                    \
        ((unsigned long)(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | \
                         CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP | CLONE_NEWTIME))
/* Entered by unshare() in the child, never at clone(): see subproc_unshare(). */
#define SP_NS_LATE ((unsigned long)(CLONE_NEWCGROUP | CLONE_NEWTIME))

/* The kernel takes a map in one write under a page, of at most 340 lines (Linux 4.15). */
#define SP_ID_MAP_MAX_BYTES 4096
#define SP_ID_MAP_MAX_LINES 340

/* Which file of /proc/PID a failed map write was at (the report's arg). */
enum sp_id_map_file {
        SP_ID_MAP_UID,
        SP_ID_MAP_SETGROUPS,
        SP_ID_MAP_GID,
        SP_ID_MAP_WAIT, /* the child did not wait for them (it failed or is gone) */
};

/* Write the maps of `pid`'s user namespace: uid_map, then gid_map, with "deny" to setgroups
 * first where the kernel requires it (NULL: skipped).  pid is our unreaped child, waiting.
 * 0, or -errno with *which the file. */
SP_HIDDEN int sp_id_maps_write(pid_t pid, const char *uid_map, const char *gid_map,
                               enum sp_id_map_file *which);

/* "user,pid,net" for the flags, into buf. */
SP_HIDDEN const char *sp_ns_names(unsigned long flags, char *buf, size_t size);

#endif
