/* Parsing the values of the subproc tool's fd, argv0 and scheduling options (issue 14), in the
 * spellings of the tools their users know: taskset's CPU lists, ionice's classes, chrt's
 * policies.  As parse.h: pure parsing, 0 with the outputs written, or -1 with errno (EINVAL for
 * garbage, ERANGE for a number out of range) and the outputs untouched; nothing prints. */
#ifndef SUBPROC_TOOL_PARSE_SCHED_H
#define SUBPROC_TOOL_PARSE_SCHED_H

#include <stddef.h>

/* "CHILD=PARENT": two decimal fd numbers. */
int parse_fd_map(const char *s, int *ret_child, int *ret_parent);

/* A decimal integer, optionally signed, within lo..hi (ERANGE outside). */
int parse_int_in(const char *s, int lo, int hi, int *ret);

/* taskset's list: "0,2-3", "0-7:2" (every second CPU), CPUs 0..65535; a malloc'd cpu_set_t
 * (CPU_ALLOC) of *ret_size bytes with those CPUs set. */
int parse_cpu_list(const char *s, void **ret_set, size_t *ret_size);

/* ionice's "CLASS[:LEVEL]": CLASS "none", "realtime" ("rt"), "best-effort" ("be"), "idle"
 * (any case) or 0..3; LEVEL 0..7, 4 by default for realtime and best-effort, 0 otherwise. */
int parse_ioprio(const char *s, int *ret_class, int *ret_level);

/* chrt's "POLICY[:PRIO]": POLICY "other", "fifo", "rr", "batch", "idle" (any case, with or
 * without "SCHED_"); PRIO 0..99, 0 by default. */
int parse_sched(const char *s, int *ret_policy, int *ret_priority);

#endif /* SUBPROC_TOOL_PARSE_SCHED_H */
