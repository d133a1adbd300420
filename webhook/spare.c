#include "spare.h"

#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

struct spares {
    void *p[WH_SPARE_SLOTS];
    size_t size[WH_SPARE_SLOTS];   /* usable bytes of p[i] */
};

static pthread_key_t spare_key;
static pthread_once_t spare_once = PTHREAD_ONCE_INIT;
static bool spare_key_made;

static void spares_free(void *v)
{
    struct spares *s = v;
    for (size_t i = 0; i < WH_SPARE_SLOTS; i++)
        free(s->p[i]);
    free(s);
}

static void make_key(void)
{
    spare_key_made = pthread_key_create(&spare_key, spares_free) == 0;
}

/* This thread's slots; created when `create`, else NULL when none yet. */
static struct spares *mine(bool create)
{
    pthread_once(&spare_once, make_key);
    if (!spare_key_made)
        return NULL;
    struct spares *s = pthread_getspecific(spare_key);
    if (!s && create) {
        s = calloc(1, sizeof(*s));
        if (s && pthread_setspecific(spare_key, s) != 0) {
            free(s);
            s = NULL;
        }
    }
    return s;
}

int wh_spare_reserve(struct strbuf *sb, size_t n)
{
    struct spares *s = !sb->buf && !sb->err && n <= sb->cap ? mine(false) : NULL;
    size_t best = WH_SPARE_SLOTS;
    for (size_t i = 0; s && i < WH_SPARE_SLOTS; i++)
        if (s->p[i] && s->size[i] > n && (best == WH_SPARE_SLOTS || s->size[i] < s->size[best]))
            best = i;
    if (best == WH_SPARE_SLOTS)
        return sb_reserve(sb, n);
    sb->buf = s->p[best];
    sb->alloc = s->size[best];
    sb->len = 0;
    sb->buf[0] = '\0';
    s->p[best] = NULL;
    return 0;
}

void wh_spare_keep(void *p)
{
    if (!p)
        return;
    size_t size = malloc_usable_size(p);
    struct spares *s = size >= WH_SPARE_MIN && size <= WH_SPARE_MAX ? mine(true) : NULL;
    /* An empty slot, else the smallest kept buffer when p is larger. */
    size_t slot = WH_SPARE_SLOTS;
    for (size_t i = 0; s && i < WH_SPARE_SLOTS; i++) {
        if (!s->p[i]) {
            slot = i;
            break;
        }
        if (s->size[i] < size && (slot == WH_SPARE_SLOTS || s->size[i] < s->size[slot]))
            slot = i;
    }
    if (slot == WH_SPARE_SLOTS) {
        free(p);
        return;
    }
    free(s->p[slot]);
    s->p[slot] = p;
    s->size[slot] = size;
}

void wh_spare_release(struct strbuf *sb)
{
    if (!sb)
        return;
    wh_spare_keep(sb->buf);
    sb->buf = NULL;
    sb_release(sb);
}

size_t wh_spare_held(void)
{
    struct spares *s = mine(false);
    size_t n = 0;
    for (size_t i = 0; s && i < WH_SPARE_SLOTS; i++)
        n += s->p[i] ? s->size[i] : 0;
    return n;
}
