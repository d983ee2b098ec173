/* The identity options of the subproc tool (issue 14): --user, --groups, --init-groups,
 * --keep-groups, --ambient-caps, --inh-caps, --bounding-set (identity.c). */
#ifndef SUBPROC_TOOL_IDENTITY_H
#define SUBPROC_TOOL_IDENTITY_H

#include "cli.h"

/* Take the value of --NAME (name without the dashes): 0, or -1 having said what is wrong. */
int identity_option(struct options *o, const char *name, const char *arg);

/* Refuse combinations that cannot mean anything (after every option is read, before
 * --uid's default group is chosen): 0, or -1 having said what is wrong. */
int check_identity(const struct options *o);

/* After check_identity(): take the group lists that --init-groups (the user of --uid) and
 * --keep-groups (ours) stand for.  0, or -1 having said what is wrong. */
int finish_identity(struct options *o);

/* Apply them to the command, after --uid and --gid. */
void apply_identity(subproc *c, const struct options *o);

/* --dry-run: a "# ..." line (a comment where the command line is pasted) on fd saying the
 * resolved uid, gid, groups and capabilities, when any of those is set.  Returns 0, or an exit
 * status having said why not. */
int print_identity(const struct options *o, int fd);

#endif /* SUBPROC_TOOL_IDENTITY_H */
