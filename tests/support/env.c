/* Awkward strings and the caller's environment; see env.h.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "support.h"

/* ---------------------------------------------------------------------------------------
 * Awkward strings
 * ------------------------------------------------------------------------------------- */

/* Arguments a shell or a naive quoter would mangle. */
const char *const t_awkward_args[] = {
        "",
        " ",
        "a b",
        "two  spaces",
        "it's",
        "\"double\"",
        "$HOME",
        "${HOME}",
        "`id`",
        "$(id)",
        "back\\slash",
        "trailing\\",
        "new\nline",
        "tab\there",
        "\r\x01\x7f",
        "ünïcødé ☃",
        "\xff\xfe not utf-8",
        "*",
        "?",
        "~",
        "~root",
        "#comment",
        "a;b",
        "a&b",
        "a|b",
        "!bang",
        "{a,b}",
        "[ab]",
        "<in",
        ">out",
        "-",
        "--",
        "-x",
        "--opt=va lue",
        "=",
        "a=b",
        "'",
        "''",
        "\\'",
        "%s%n",
        NULL,
};

/* Variable values that need quoting. */
const struct t_awkward_env_entry t_awkward_env[] = {
        { "SP_EMPTY", "" },
        { "SP_SPACE", "va lue" },
        { "SP_QUOTE", "it's \"q\"" },
        { "SP_NEWLINE", "new\nline" },
        { "SP_DOLLAR", "$HOME `id` $(id)" },
        { "SP_BACKSLASH", "back\\slash\\" },
        { "SP_UTF8", "ünï ☃" },
        { "SP_EQUALS", "a=b=c" },
};

const size_t t_n_awkward_env = sizeof t_awkward_env / sizeof t_awkward_env[0];

size_t t_strv_length(const char *const *strv)
{
        size_t n = 0;

        while (strv[n] != NULL)
                n++;
        return n;
}

/* ---------------------------------------------------------------------------------------
 * Environment
 * ------------------------------------------------------------------------------------- */

void t_env_save_set(struct t_saved_env *saved, const char *name, const char *value)
{
        const char *old = getenv(name);

        saved->name = strdup(name);
        saved->value = old != NULL ? strdup(old) : NULL;
        if (value != NULL)
                assert_int_equal(setenv(name, value, 1), 0);
        else
                assert_int_equal(unsetenv(name), 0);
}

void t_env_restore(struct t_saved_env *saved)
{
        if (saved->name == NULL)
                return;
        if (saved->value != NULL)
                setenv(saved->name, saved->value, 1);
        else
                unsetenv(saved->name);
        free(saved->name);
        free(saved->value);
        saved->name = NULL;
        saved->value = NULL;
}
