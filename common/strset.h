/* strset: string keys (borrowed, they must outlive the table) mapped to a
 * size_t, such as the index where a name was first seen. Adding and finding
 * take constant time on average, so duplicate checks over lists stay
 * linear in the length of the list. It is json-c's linkhash, the one hash
 * table of the project (the runtime uses it directly), behind a small typed
 * face. */
#ifndef GW_STRSET_H
#define GW_STRSET_H

#include <stdbool.h>
#include <stddef.h>

struct lh_table;

struct gw_strset {
    struct lh_table *t;  /* NULL until the first add */
};

void gw_strset_init(struct gw_strset *s);
void gw_strset_free(struct gw_strset *s);
/* Adds key -> val unless key is present. Returns 1 when added, 0 when it
 * was present (then *ret_val, if not NULL, holds the earlier value),
 * -ENOMEM. */
int gw_strset_add(struct gw_strset *s, const char *key, size_t val, size_t *ret_val);
/* Whether key is present (its value into *ret_val when not NULL). */
bool gw_strset_find(const struct gw_strset *s, const char *key, size_t *ret_val);

#endif
