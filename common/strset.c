#include "strset.h"

#include <errno.h>
#include <stdint.h>

#include <json-c/linkhash.h>

void gw_strset_init(struct gw_strset *s)
{
    s->t = NULL;
}

void gw_strset_free(struct gw_strset *s)
{
    if (s->t)
        lh_table_free(s->t);
    s->t = NULL;
}

bool gw_strset_find(const struct gw_strset *s, const char *key, size_t *ret_val)
{
    void *v = NULL;
    if (!s->t || !lh_table_lookup_ex(s->t, key, &v))
        return false;
    if (ret_val)
        *ret_val = (size_t)(uintptr_t)v;
    return true;
}

int gw_strset_add(struct gw_strset *s, const char *key, size_t val, size_t *ret_val)
{
    if (gw_strset_find(s, key, ret_val))
        return 0;
    if (!s->t && !(s->t = lh_kchar_table_new(16, NULL)))
        return -ENOMEM;
    /* The table grows itself; keys are borrowed, values are stored in the
     * pointer. */
    if (lh_table_insert(s->t, key, (const void *)(uintptr_t)val) != 0)
        return -ENOMEM;
    return 1;
}
