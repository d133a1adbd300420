#include "leader.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "strbuf.h"
#include "clock.h"

#define RELEASE_TIMEOUT_MS 3000L

struct leader {
    struct kube_config *cfg;
    char *ns, *name, *identity;
    unsigned lease_ms, renew_deadline_ms, retry_period_ms;
    struct leader_opts cb;      /* callbacks and ud only */

    pthread_mutex_t lock;
    pthread_cond_t cond;
    atomic_bool stop;
    atomic_bool leading;
    bool running;
    pthread_t thread;
    char *err;
    uint64_t rng;

    /* Elector thread only: what we saw of the Lease and when. */
    struct kube_client *c;
    char *seen_holder;
    char *seen_renew;
    int64_t seen_transitions;
    int64_t seen_duration_s;
    uint64_t seen_at_ms;
};

/* ---- time and identity ----------------------------------------------------------- */

void leader_format_microtime(const struct timespec *ts, char out[32])
{
    struct tm tm;
    gmtime_r(&ts->tv_sec, &tm);
    char base[24];
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    unsigned us = (unsigned)((ts->tv_nsec / 1000) % 1000000);
    snprintf(out, 32, "%s.%06uZ", base, us);
}

static void now_microtime(char out[32])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    leader_format_microtime(&ts, out);
}

int leader_default_identity(char **ret)
{
    char host[256] = "unknown";
    if (gethostname(host, sizeof(host) - 1) != 0)
        snprintf(host, sizeof(host), "unknown");
    host[sizeof(host) - 1] = '\0';
    unsigned char rnd[8];
    if (getentropy(rnd, sizeof(rnd)) != 0)
        return -errno;
    struct strbuf sb;
    sb_init(&sb, 512);
    sb_addf(&sb, "%s_", host);
    for (size_t i = 0; i < sizeof(rnd); i++)
        sb_addf(&sb, "%02x", rnd[i]);
    char *id = sb_detach(&sb, NULL);
    if (!id)
        return -ENOMEM;
    *ret = id;
    return 0;
}

/* ---- lifecycle ---------------------------------------------------------------------- */

static int check_opts(const struct leader_opts *o, unsigned *lease, unsigned *renew,
                      unsigned *retry)
{
    *lease = o->lease_ms ? o->lease_ms : 15000;
    *renew = o->renew_deadline_ms ? o->renew_deadline_ms : 10000;
    *retry = o->retry_period_ms ? o->retry_period_ms : 2000;
    if (!o->ns || !*o->ns || !o->name || !*o->name)
        return -EINVAL;
    /* As client-go: the renew deadline must end before the lease does, and
     * leave room for a jittered retry. */
    if (*lease <= *renew || (uint64_t)*renew * 10 <= (uint64_t)*retry * 12 || *lease < 1000)
        return -EINVAL;
    return 0;
}

int leader_new(struct kube_config *cfg, const struct leader_opts *o, struct leader **ret)
{
    unsigned lease, renew, retry;
    int r = check_opts(o, &lease, &renew, &retry);
    if (r < 0)
        return r;
    struct leader *le = calloc(1, sizeof(*le));
    if (!le)
        return -ENOMEM;
    *le = (struct leader){ .cfg = cfg, .lease_ms = lease, .renew_deadline_ms = renew,
                           .retry_period_ms = retry, .cb = *o };
    le->cb.ns = le->cb.name = le->cb.identity = NULL;
    le->ns = strdup(o->ns);
    le->name = strdup(o->name);
    if (o->identity && *o->identity)
        le->identity = strdup(o->identity);
    else if (leader_default_identity(&le->identity) < 0)
        le->identity = NULL;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&le->cond, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&le->lock, NULL);
    le->rng = gw_mono_ms() ^ (uint64_t)(uintptr_t)le ^ 0x2545f4914f6cdd1dull;
    if (!le->ns || !le->name || !le->identity) {
        leader_free(le);
        return -ENOMEM;
    }
    *ret = le;
    return 0;
}

void leader_free(struct leader *le)
{
    if (!le)
        return;
    leader_stop(le);
    free(le->ns);
    free(le->name);
    free(le->identity);
    free(le->err);
    free(le->seen_holder);
    free(le->seen_renew);
    pthread_cond_destroy(&le->cond);
    pthread_mutex_destroy(&le->lock);
    free(le);
}

bool leader_is_leader(struct leader *le)
{
    return atomic_load(&le->leading);
}

const char *leader_identity(const struct leader *le)
{
    return le->identity;
}

char *leader_last_error(struct leader *le)
{
    pthread_mutex_lock(&le->lock);
    char *s = le->err ? strdup(le->err) : NULL;
    pthread_mutex_unlock(&le->lock);
    return s;
}

static void set_err(struct leader *le, const char *msg)
{
    char *copy = msg ? strdup(msg) : NULL;
    pthread_mutex_lock(&le->lock);
    free(le->err);
    le->err = copy;
    pthread_mutex_unlock(&le->lock);
}

static bool stopping(struct leader *le)
{
    return atomic_load(&le->stop);
}

/* Waits up to ms or until stopped; true when stopped. */
static bool nap(struct leader *le, uint64_t ms)
{
    uint64_t due = gw_mono_ms() + ms;
    struct timespec ts = { (time_t)(due / 1000u), (long)(due % 1000u) * 1000000L };
    pthread_mutex_lock(&le->lock);
    int r = 0;
    while (!stopping(le) && r != ETIMEDOUT)
        r = pthread_cond_timedwait(&le->cond, &le->lock, &ts);
    pthread_mutex_unlock(&le->lock);
    return stopping(le);
}

/* ---- reading and writing the Lease -------------------------------------------------- */

static const char *spec_str(json_object *lease, const char *key)
{
    json_object *v = json_object_object_get(json_object_object_get(lease, "spec"), key);
    return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

static int64_t spec_int(json_object *lease, const char *key)
{
    json_object *v = json_object_object_get(json_object_object_get(lease, "spec"), key);
    return json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : 0;
}

static bool str_differs(const char *a, const char *b)
{
    return !a || strcmp(a, b) != 0;
}

/* Remembers the record and when it last changed (our clock). */
static void observe(struct leader *le, json_object *lease)
{
    const char *holder = spec_str(lease, "holderIdentity");
    const char *renew = spec_str(lease, "renewTime");
    int64_t transitions = spec_int(lease, "leaseTransitions");
    bool holder_changed = str_differs(le->seen_holder, holder);
    if (!holder_changed && !str_differs(le->seen_renew, renew) &&
        transitions == le->seen_transitions)
        return;
    free(le->seen_holder);
    free(le->seen_renew);
    le->seen_holder = strdup(holder);
    le->seen_renew = strdup(renew);
    le->seen_transitions = transitions;
    le->seen_duration_s = spec_int(lease, "leaseDurationSeconds");
    le->seen_at_ms = gw_mono_ms();
    if (holder_changed && le->cb.on_new_leader)
        le->cb.on_new_leader(le->cb.ud, holder);
}

static bool held_by_other(struct leader *le, uint64_t now)
{
    const char *holder = le->seen_holder ? le->seen_holder : "";
    if (!*holder || strcmp(holder, le->identity) == 0)
        return false;
    return le->seen_at_ms + (uint64_t)le->seen_duration_s * 1000u > now;
}

/* Writes our record into spec (creating it when absent). Taking the Lease
 * over from anyone else (a holder, or nobody after a release) counts as a
 * transition, as in client-go; a new Lease starts at 0. */
static int fill_spec(struct leader *le, json_object *lease, bool ours_already, bool creating)
{
    json_object *spec = json_object_object_get(lease, "spec");
    if (!spec) {
        spec = json_object_new_object();
        if (!spec || json_object_object_add(lease, "spec", spec) < 0) {
            json_object_put(spec);
            return -ENOMEM;
        }
    }
    char now[32];
    now_microtime(now);
    int64_t transitions = spec_int(lease, "leaseTransitions");
    json_object_object_add(spec, "holderIdentity", json_object_new_string(le->identity));
    json_object_object_add(spec, "leaseDurationSeconds",
                           json_object_new_int64((le->lease_ms + 999) / 1000));
    json_object_object_add(spec, "renewTime", json_object_new_string(now));
    if (!ours_already) {
        json_object_object_add(spec, "acquireTime", json_object_new_string(now));
        json_object_object_add(spec, "leaseTransitions",
                               json_object_new_int64(creating ? 0 : transitions + 1));
    }
    return 0;
}

static int create_lease(struct leader *le)
{
    json_object *lease = json_object_new_object();
    json_object *meta = json_object_new_object();
    json_object_object_add(lease, "apiVersion", json_object_new_string("coordination.k8s.io/v1"));
    json_object_object_add(lease, "kind", json_object_new_string("Lease"));
    json_object_object_add(meta, "name", json_object_new_string(le->name));
    json_object_object_add(meta, "namespace", json_object_new_string(le->ns));
    json_object_object_add(lease, "metadata", meta);
    int r = fill_spec(le, lease, false, true);
    json_object *created = NULL;
    if (r == 0)
        r = kube_create(le->c, &KUBE_LEASES, le->ns, lease, &created);
    if (r == 0)
        observe(le, created);
    json_object_put(created);
    json_object_put(lease);
    return r;
}

/* Sets the per-request timeout; the leader loop does its own retries. */
static void set_timeout(struct leader *le, long ms)
{
    struct kube_client_opts o;
    kube_client_get_opts(le->c, &o);
    o.timeout_ms = ms > 1 ? ms : 1;
    o.connect_timeout_ms = o.timeout_ms < 5000 ? o.timeout_ms : 5000;
    o.max_tries = 1;
    kube_client_set_opts(le->c, &o);
}

/* One attempt. 0: we hold the Lease now; -EBUSY: someone else does (or won
 * a race); other negative errno: the API failed. */
static int try_acquire_or_renew(struct leader *le)
{
    json_object *lease = NULL, *updated = NULL;
    int r = kube_get(le->c, &KUBE_LEASES, le->ns, le->name, &lease);
    if (r == -ENOENT) {
        r = create_lease(le);
        return r == -EEXIST ? -EBUSY : r;
    }
    if (r < 0)
        return r;
    observe(le, lease);
    bool ours = strcmp(spec_str(lease, "holderIdentity"), le->identity) == 0;
    if (!ours && held_by_other(le, gw_mono_ms())) {
        json_object_put(lease);
        return -EBUSY;
    }
    r = fill_spec(le, lease, ours, false);
    if (r == 0)
        r = kube_update(le->c, &KUBE_LEASES, le->ns, le->name, NULL, lease, &updated);
    if (r == 0)
        observe(le, updated);
    json_object_put(updated);
    json_object_put(lease);
    return r;
}

/* Gives the Lease up if we still hold it: no holder, a one-second duration. */
static void release(struct leader *le)
{
    kube_client_set_stop(le->c, NULL);
    set_timeout(le, RELEASE_TIMEOUT_MS);
    json_object *lease = NULL;
    if (kube_get(le->c, &KUBE_LEASES, le->ns, le->name, &lease) < 0) {
        set_err(le, kube_client_error(le->c));
        return;
    }
    json_object *spec = json_object_object_get(lease, "spec");
    if (spec && strcmp(spec_str(lease, "holderIdentity"), le->identity) == 0) {
        char now[32];
        now_microtime(now);
        json_object_object_add(spec, "holderIdentity", json_object_new_string(""));
        json_object_object_add(spec, "leaseDurationSeconds", json_object_new_int64(1));
        json_object_object_add(spec, "renewTime", json_object_new_string(now));
        json_object_object_add(spec, "acquireTime", json_object_new_string(now));
        if (kube_update(le->c, &KUBE_LEASES, le->ns, le->name, NULL, lease, NULL) < 0)
            set_err(le, kube_client_error(le->c));
    }
    json_object_put(lease);
}

/* ---- the elector thread ------------------------------------------------------------- */

static uint64_t jittered(struct leader *le, uint64_t ms)
{
    le->rng ^= le->rng << 13;
    le->rng ^= le->rng >> 7;
    le->rng ^= le->rng << 17;
    /* client-go's JitterFactor 1.2: between ms and 2.2 * ms. */
    return ms + (le->rng >> 11) % (ms * 12 / 10 + 1);
}

/* Tries until the Lease is ours (0) or we are stopped (-ECANCELED). */
static int acquire(struct leader *le)
{
    for (;;) {
        if (stopping(le))
            return -ECANCELED;
        set_timeout(le, (long)le->renew_deadline_ms);
        int r = try_acquire_or_renew(le);
        if (r == 0)
            return 0;
        if (r != -EBUSY)
            set_err(le, kube_client_error(le->c));
        if (nap(le, jittered(le, le->retry_period_ms)))
            return -ECANCELED;
    }
}

/* Renews until a renewal misses the deadline (returns -ETIMEDOUT) or we are
 * stopped (-ECANCELED). */
static int renew(struct leader *le)
{
    uint64_t last_ok = gw_mono_ms();
    for (;;) {
        uint64_t deadline = last_ok + le->renew_deadline_ms;
        uint64_t now = gw_mono_ms();
        uint64_t wait = le->retry_period_ms;
        if (now + wait > deadline)
            wait = deadline > now ? deadline - now : 0;
        if (nap(le, wait))
            return -ECANCELED;
        now = gw_mono_ms();
        if (now >= deadline)
            return -ETIMEDOUT;
        set_timeout(le, (long)(deadline - now));
        int r = try_acquire_or_renew(le);
        /* Count from when the attempt began: the others may have seen the
         * new renewTime as early as that. */
        if (r == 0)
            last_ok = now;
        else if (r != -ECANCELED)
            set_err(le, kube_client_error(le->c));
        if (r == -EBUSY)
            return -EBUSY;
    }
}

static void lead(struct leader *le)
{
    atomic_store(&le->leading, true);
    if (le->cb.on_started)
        le->cb.on_started(le->cb.ud);
    int r = renew(le);
    atomic_store(&le->leading, false);
    if (le->cb.on_stopped)
        le->cb.on_stopped(le->cb.ud);
    /* Lost (deadline or someone else holds it): nothing of ours to give back. */
    if (r == -ECANCELED)
        release(le);
}

static void *leader_main(void *arg)
{
    struct leader *le = arg;
    kube_client_set_stop(le->c, &le->stop);
    while (acquire(le) == 0) {
        lead(le);
        kube_client_set_stop(le->c, &le->stop);
    }
    return NULL;
}

int leader_start(struct leader *le)
{
    if (le->running)
        return -EALREADY;
    int r = kube_client_new(le->cfg, NULL, &le->c);
    if (r < 0)
        return r;
    atomic_store(&le->stop, false);
    r = pthread_create(&le->thread, NULL, leader_main, le);
    if (r != 0) {
        kube_client_free(le->c);
        le->c = NULL;
        return -r;
    }
    le->running = true;
    return 0;
}

void leader_stop(struct leader *le)
{
    if (!le || !le->running)
        return;
    atomic_store(&le->stop, true);
    pthread_mutex_lock(&le->lock);
    pthread_cond_broadcast(&le->cond);
    pthread_mutex_unlock(&le->lock);
    pthread_join(le->thread, NULL);
    le->running = false;
    kube_client_free(le->c);
    le->c = NULL;
}
