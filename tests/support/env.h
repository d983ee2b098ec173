/* Awkward arguments and variables, and the caller's environment saved and restored.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef T_SUPPORT_ENV_H
#define T_SUPPORT_ENV_H

#include <stddef.h>

/* Arguments a shell or a naive quoter would mangle (NULL-terminated), and variable values that
 * need quoting. */
extern const char *const t_awkward_args[];
struct t_awkward_env_entry {
        const char *name;
        const char *value;
};
extern const struct t_awkward_env_entry t_awkward_env[];
extern const size_t t_n_awkward_env;
#define T_N_AWKWARD_ENV t_n_awkward_env
size_t t_strv_length(const char *const *strv);

/* Set or unset a variable of the caller's environment and get back the old state. */
struct t_saved_env {
        char *name;
        char *value; /* NULL: was unset */
};
void t_env_save_set(struct t_saved_env *saved, const char *name, const char *value);
void t_env_restore(struct t_saved_env *saved);

#endif /* T_SUPPORT_ENV_H */
