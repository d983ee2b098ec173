/* LD_PRELOAD shim for scripts/ci-valgrind.sh: skips the cmocka cases named in T_CMOCKA_SKIP
 * (one name a line), so that a case that cannot work under a tool is skipped by name, counted
 * as skipped, and every other case of the same program still runs.  Not part of the normal
 * build.
 *
 * SPDX-License-Identifier: MIT
 *
 * It takes itself out of LD_PRELOAD before the cases run: the children that the tests spawn
 * (and the environment that test-env.c compares) must not see it.  Not earlier, in a
 * constructor: under valgrind, editing LD_PRELOAD before the program's first call into cmocka
 * is bound makes that call bypass this file. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*run_group_fn)(const char *group_name, const struct CMUnitTest *const tests,
                            const size_t num_tests, CMFixtureFunction group_setup,
                            CMFixtureFunction group_teardown);

int _cmocka_run_group_tests(const char *group_name, const struct CMUnitTest *const tests,
                            const size_t num_tests, CMFixtureFunction group_setup,
                            CMFixtureFunction group_teardown);

static char *skip_list; /* kept for the whole run: never freed */

/* Drop every LD_PRELOAD entry that names this file. */
static void leave_ld_preload(void)
{
        const char *preload = getenv("LD_PRELOAD");
        char *copy, *kept, *entry, *save = NULL;
        size_t used = 0;

        if (preload == NULL || (copy = strdup(preload)) == NULL)
                return;
        kept = calloc(1, strlen(preload) + 1);
        if (kept == NULL) {
                free(copy);
                return;
        }
        for (entry = strtok_r(copy, ": ", &save); entry; entry = strtok_r(NULL, ": ", &save)) {
                if (strstr(entry, "cmocka-skip") != NULL)
                        continue;
                used += (size_t)sprintf(kept + used, "%s%s", used ? ":" : "", entry);
        }
        if (used)
                setenv("LD_PRELOAD", kept, 1);
        else
                unsetenv("LD_PRELOAD");
        free(kept);
        free(copy);
}

/* Whether `name` is one of the lines of T_CMOCKA_SKIP (case names may hold commas). */
static bool listed(const char *name)
{
        size_t len = strlen(name);
        const char *p = skip_list;

        while (p != NULL && *p) {
                size_t entry_len = strcspn(p, "\n");

                if (entry_len == len && strncmp(p, name, len) == 0)
                        return true;
                p += entry_len;
                if (*p == '\n')
                        p++;
        }
        return false;
}

static void skipped_case(void **state)
{
        (void)state;
        print_message("skipped: listed in T_CMOCKA_SKIP (scripts/ci-valgrind.sh says why)\n");
        skip();
}

int _cmocka_run_group_tests(const char *group_name, const struct CMUnitTest *const tests,
                            const size_t num_tests, CMFixtureFunction group_setup,
                            CMFixtureFunction group_teardown)
{
        run_group_fn real = (run_group_fn)dlsym(RTLD_NEXT, "_cmocka_run_group_tests");
        struct CMUnitTest *copy = calloc(num_tests ? num_tests : 1, sizeof *copy);
        const char *skip = getenv("T_CMOCKA_SKIP");
        int r;

        if (real == NULL || copy == NULL) {
                fprintf(stderr, "cmocka-skip: cannot find cmocka\n");
                abort();
        }
        if (skip_list == NULL && skip != NULL)
                skip_list = strdup(skip);
        leave_ld_preload();
        for (size_t i = 0; i < num_tests; i++) {
                copy[i] = tests[i];
                if (tests[i].name != NULL && listed(tests[i].name))
                        copy[i] = (struct CMUnitTest){ .name = tests[i].name,
                                                       .test_func = skipped_case };
        }
        r = real(group_name, copy, num_tests, group_setup, group_teardown);
        free(copy);
        return r;
}
