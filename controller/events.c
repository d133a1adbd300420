#include "events.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "plan.h"
#include "status.h"

#define MEMO_UID_MAX 64      /* UIDs are 36 characters */
#define MEMO_REASON_MAX 64

struct memo_entry {
    char uid[MEMO_UID_MAX];
    char reason[MEMO_REASON_MAX];
    int64_t generation;
    bool used;
};

struct ctl_event_memo {
    pthread_mutex_t lock;
    size_t used;                /* entries in use: none is the common case */
    struct memo_entry *ring;    /* oldest first from next */
    size_t cap;
    size_t next;                /* where the next new entry goes */
};

int ctl_event_memo_new(size_t cap, struct ctl_event_memo **ret)
{
    if (!cap)
        return -ENOMEM;
    struct ctl_event_memo *m = calloc(1, sizeof(*m));
    if (!m)
        return -ENOMEM;
    m->ring = calloc(cap, sizeof(*m->ring));
    if (!m->ring) {
        free(m);
        return -ENOMEM;
    }
    m->cap = cap;
    pthread_mutex_init(&m->lock, NULL);
    *ret = m;
    return 0;
}

void ctl_event_memo_free(struct ctl_event_memo *m)
{
    if (!m)
        return;
    pthread_mutex_destroy(&m->lock);
    free(m->ring);
    free(m);
}

static struct memo_entry *find(struct ctl_event_memo *m, const char *uid)
{
    for (size_t i = 0; i < m->cap; i++)
        if (m->ring[i].used && strcmp(m->ring[i].uid, uid) == 0)
            return &m->ring[i];
    return NULL;
}

static bool fits(const char *s, size_t cap)
{
    return strnlen(s, cap) < cap;
}

bool ctl_event_memo_first(struct ctl_event_memo *m, const char *uid, int64_t generation, const char *reason)
{
    if (!m || !uid || !reason || !fits(uid, MEMO_UID_MAX) || !fits(reason, MEMO_REASON_MAX))
        return true;
    pthread_mutex_lock(&m->lock);
    struct memo_entry *e = find(m, uid);
    bool news = !e || e->generation != generation || strcmp(e->reason, reason) != 0;
    if (!e) {
        e = &m->ring[m->next];
        m->next = (m->next + 1) % m->cap;
        m->used += !e->used;
    }
    if (news) {
        memset(e, 0, sizeof(*e));
        memcpy(e->uid, uid, strlen(uid) + 1);
        memcpy(e->reason, reason, strlen(reason) + 1);
        e->generation = generation;
        e->used = true;
    }
    pthread_mutex_unlock(&m->lock);
    return news;
}

void ctl_event_memo_forget(struct ctl_event_memo *m, const char *uid)
{
    if (!m || !uid)
        return;
    pthread_mutex_lock(&m->lock);
    struct memo_entry *e = m->used ? find(m, uid) : NULL;
    if (e) {
        memset(e, 0, sizeof(*e));
        m->used--;
    }
    pthread_mutex_unlock(&m->lock);
}

void ctl_event_memo_filter(struct ctl_event_memo *m, const struct gw_object *gw, struct ctl_plan *p)
{
    if (!m || !p->ours)
        return;
    bool reported = false;
    size_t k = 0;
    for (size_t i = 0; i < p->n_events; i++) {
        struct ctl_event *ev = &p->events[i];
        bool only_event = strcmp(ev->reason, CTL_R_CLASS_NOT_FOUND) == 0;
        reported |= only_event;
        if (only_event && !ctl_event_memo_first(m, gw->meta.uid, gw->meta.generation, ev->reason)) {
            free(ev->message);
            continue;
        }
        p->events[k++] = *ev;
    }
    p->n_events = k;
    if (!reported)
        ctl_event_memo_forget(m, gw->meta.uid);
}
