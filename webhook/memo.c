#include "memo.h"

#include <stdlib.h>
#include <string.h>

#include "textutil.h"

int wh_memo_get(struct wh_memo *m, const char *key, size_t key_len, int (*copy)(const void *value, void *ud),
                void *ud)
{
    if (key_len > m->key_max)
        return 0;
    uint64_t h = gw_fnv1a(key, key_len);
    struct wh_memo_slot *s = &m->slots[h % m->n_slots];
    int r = 0;
    pthread_mutex_lock(&m->lock);
    if (s->key && s->hash == h && s->key_len == key_len && memcmp(s->key, key, key_len) == 0) {
        r = copy(s->value, ud);
        if (r == 0)
            r = 1;
    }
    pthread_mutex_unlock(&m->lock);
    return r;
}

void wh_memo_put(struct wh_memo *m, const char *key, size_t key_len, void *value)
{
    char *k = key_len <= m->key_max ? malloc(key_len ? key_len : 1) : NULL;
    if (!k) {
        m->free_value(value);
        return;
    }
    memcpy(k, key, key_len);
    struct wh_memo_slot fresh = { .hash = gw_fnv1a(key, key_len), .key = k, .key_len = key_len, .value = value };
    struct wh_memo_slot old, *s = &m->slots[fresh.hash % m->n_slots];
    pthread_mutex_lock(&m->lock);
    old = *s;
    *s = fresh;
    pthread_mutex_unlock(&m->lock);
    free(old.key);
    if (old.key)
        m->free_value(old.value);
}

void wh_memo_clear(struct wh_memo *m)
{
    for (size_t i = 0; i < m->n_slots; i++) {
        pthread_mutex_lock(&m->lock);
        struct wh_memo_slot old = m->slots[i];
        memset(&m->slots[i], 0, sizeof(m->slots[i]));
        pthread_mutex_unlock(&m->lock);
        free(old.key);
        if (old.key)
            m->free_value(old.value);
    }
}
