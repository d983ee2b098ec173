/* Awkward arguments and variables, and the caller's environment saved and restored.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef T_SUPPORT_ENV_H
#define T_SUPPORT_ENV_H

#include <stddef.h>

/* Arguments a shell or a naive quoter would mangle (NULL-terminated), and variable values that
 * need quoting. */
extern const char *const awkward_args[];
struct awkward_env_entry {
        const char *name;
        const char *value;
};
extern const struct awkward_env_entry awkward_env[];
extern const size_t n_awkward_env;
#define N_AWKWARD_ENV n_awkward_env
size_t strv_length(const char *const *strv);

/* Set or unset a variable of the caller's environment and get back the old state. */
struct saved_env {
        char *name;
        char *value; /* NULL: was unset */
};
void env_save_set(struct saved_env *saved, const char *name, const char *value);
void env_restore(struct saved_env *saved);

#endif /* T_SUPPORT_ENV_H */
