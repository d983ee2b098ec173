/* The test support library (tests/support/, built once as a static library by
 * tests/meson.build): a test file includes this header, after cmocka.h.  One header per
 * concern.  Everything here is named t_ (T_ for macros), never sp_, which is the library's;
 * but for the assertion macros, named assert_*() like cmocka's own, and the helper protocol
 * (protocol.h, the report), named for the helper: helper_*, HELPER_*, struct helper_report.
 *
 *  protocol.h  the helper protocol (header-only: tests/helper.c includes it)
 *  compat.h    what the tests need from Linux, elsewhere (header-only, helper.c too)
 *  lock.h      who holds a pidfile's lock (header-only, helper.c too)
 *  case.h      the setup/teardown every case runs with (leaked fds, children), the modes
 *  checks.h    readable assertions, a run that must fail, a death by signal
 *  report.h    the helper's report: running the helper, parsing what it saw
 *  proc.h      waiting (a zombie has exited), reaping, subreaper, tracked daemons, forked
 *              pieces of a test (e.g. as another user), privileges, hang bounds
 *  files.h     temp files and directories, whole-fd I/O, the helper's patterns
 *  fds.h       the caller's fds, fds opened carelessly
 *  signals.h   the caller's signal state, made hostile and checked
 *  env.h       awkward arguments and variables, the caller's environment
 *  pidfile.h   pidfiles and their holders
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef T_SUPPORT_H
#define T_SUPPORT_H

#include <subproc.h>

#include "config.h"
#include "protocol.h"
#include "compat.h"
#include "lock.h"
#include "case.h"
#include "checks.h"
#include "report.h"
#include "proc.h"
#include "files.h"
#include "fds.h"
#include "signals.h"
#include "env.h"
#include "pidfile.h"

#endif /* T_SUPPORT_H */
