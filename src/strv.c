/* A growable, NULL-terminated list of owned strings. */
#include "util.h"

#include <errno.h>
#include <stdlib.h>

int sp_strv_push_take(struct sp_strv *v, char *s)
{
        if (!s)
                return -ENOMEM;
        if (v->n + 2 > v->cap) {
                size_t cap = v->cap ? v->cap * 2 : 8;
                char **items = realloc(v->items, cap * sizeof *items);

                if (!items) {
                        free(s);
                        return -ENOMEM;
                }
                v->items = items;
                v->cap = cap;
        }
        v->items[v->n++] = s;
        v->items[v->n] = NULL;
        return 0;
}

void sp_strv_free(struct sp_strv *v)
{
        for (size_t i = 0; i < v->n; i++)
                free(v->items[i]);
        free(v->items);
        *v = (struct sp_strv){ 0 };
}
