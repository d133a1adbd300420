#include "strset.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void gw_strset_init(struct gw_strset *s)
{
    memset(s, 0, sizeof(*s));
}

void gw_strset_free(struct gw_strset *s)
{
    if (!s)
        return;
    free(s->keys);
    free(s->vals);
    memset(s, 0, sizeof(*s));
}

/* FNV-1a, 64 bit. */
static uint64_t hash_str(const char *k)
{
    uint64_t h = 1469598103934665603ull;
    for (; *k; k++) {
        h ^= (unsigned char)*k;
        h *= 1099511628211ull;
    }
    return h;
}

static size_t slot_of(const char *const *keys, size_t cap, const char *key)
{
    size_t i = (size_t)hash_str(key) & (cap - 1);
    while (keys[i] && strcmp(keys[i], key) != 0)
        i = (i + 1) & (cap - 1);
    return i;
}

static int grow(struct gw_strset *s)
{
    size_t cap = s->cap ? s->cap * 2 : 16;
    if (cap < s->cap || cap > SIZE_MAX / sizeof(size_t))
        return -ENOMEM;
    const char **keys = calloc(cap, sizeof(*keys));
    size_t *vals = calloc(cap, sizeof(*vals));
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return -ENOMEM;
    }
    for (size_t i = 0; i < s->cap; i++) {
        if (!s->keys[i])
            continue;
        size_t j = slot_of(keys, cap, s->keys[i]);
        keys[j] = s->keys[i];
        vals[j] = s->vals[i];
    }
    free(s->keys);
    free(s->vals);
    s->keys = keys;
    s->vals = vals;
    s->cap = cap;
    return 0;
}

int gw_strset_add(struct gw_strset *s, const char *key, size_t val, size_t *ret_val)
{
    if (s->cap) {
        size_t i = slot_of(s->keys, s->cap, key);
        if (s->keys[i]) {
            if (ret_val)
                *ret_val = s->vals[i];
            return 0;
        }
    }
    if ((s->n + 1) * 2 > s->cap) {
        int r = grow(s);
        if (r)
            return r;
    }
    size_t i = slot_of(s->keys, s->cap, key);
    s->keys[i] = key;
    s->vals[i] = val;
    s->n++;
    return 1;
}

bool gw_strset_find(const struct gw_strset *s, const char *key, size_t *ret_val)
{
    if (!s->cap)
        return false;
    size_t i = slot_of(s->keys, s->cap, key);
    if (!s->keys[i])
        return false;
    if (ret_val)
        *ret_val = s->vals[i];
    return true;
}
