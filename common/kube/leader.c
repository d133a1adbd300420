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
    pthread_cond_t cond;        /* wakes the elector's naps */
    atomic_bool stop;
    atomic_bool leading;
    atomic_bool fence;          /* !leading, set by the elector itself */
    _Atomic uint64_t term_end;  /* gw_mono_ms() the term ends at; see leader.h */
    bool running;
    pthread_t thread;
    char *err;

    /* The callback thread. Terms the elector started and ended, and the
     * callbacks done for them, under lock; cb_cond signals any change. */
    pthread_t cb_thread;
    pthread_cond_t cb_cond;
    unsigned long terms_started, terms_ended;
    unsigned long cb_started, cb_stopped;
    char *new_holder;           /* last holder seen, for on_new_leader */
    unsigned long holder_seq, cb_holder_seq;
    bool cb_quit;

    /* Elector thread only: what we saw of the Lease and when. */
    struct kube_client *c;
    char *seen_holder;
    char *seen_renew;
    int64_t seen_transitions;
    int64_t seen_duration_s;
    uint64_t seen_at_ms;
    uint64_t attempt_due_ms;    /* no request of the attempt may end later */
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
    gw_cond_init_mono(&le->cond);
    gw_cond_init_mono(&le->cb_cond);
    pthread_mutex_init(&le->lock, NULL);
    atomic_init(&le->fence, true);
    atomic_init(&le->term_end, 0);
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
    free(le->new_holder);
    pthread_cond_destroy(&le->cond);
    pthread_cond_destroy(&le->cb_cond);
    pthread_mutex_destroy(&le->lock);
    free(le);
}

bool leader_is_leader(struct leader *le)
{
    return atomic_load(&le->leading);
}

const atomic_bool *leader_fence(struct leader *le)
{
    return &le->fence;
}

const _Atomic uint64_t *leader_term_end(struct leader *le)
{
    return &le->term_end;
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
    pthread_mutex_lock(&le->lock);
    int r = 0;
    while (!stopping(le) && r != ETIMEDOUT)
        r = gw_cond_wait_until(&le->cond, &le->lock, due);
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
    if (holder_changed && le->cb.on_new_leader) {
        char *copy = strdup(holder);
        pthread_mutex_lock(&le->lock);
        free(le->new_holder);
        le->new_holder = copy;
        le->holder_seq++;
        pthread_cond_broadcast(&le->cb_cond);
        pthread_mutex_unlock(&le->lock);
    }
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

/* Cuts the next request's timeout to what is left of the attempt's
 * deadline; -ETIMEDOUT when nothing is. */
static int arm(struct leader *le)
{
    uint64_t now = gw_mono_ms();
    if (now >= le->attempt_due_ms)
        return -ETIMEDOUT;
    set_timeout(le, (long)(le->attempt_due_ms - now));
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
        r = arm(le);
    if (r == 0)
        r = kube_create(le->c, &KUBE_LEASES, le->ns, lease, &created);
    if (r == 0)
        observe(le, created);
    json_object_put(created);
    json_object_put(lease);
    return r;
}

/* One attempt. 0: we hold the Lease now; -EBUSY: someone else does (or won
 * a race); other negative errno: the API failed. */
static int try_acquire_or_renew(struct leader *le)
{
    json_object *lease = NULL, *updated = NULL;
    int r = arm(le);
    if (r < 0)
        return r;
    r = kube_get(le->c, &KUBE_LEASES, le->ns, le->name, &lease);
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
        r = arm(le);
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

/* ---- the callback thread ----------------------------------------------------------- */

enum cb_step { CB_NONE, CB_NEW_LEADER, CB_STARTED, CB_STOPPED };

/* The next callback due (lock held); skips terms already over. */
static enum cb_step next_step(struct leader *le)
{
    if (le->holder_seq != le->cb_holder_seq)
        return CB_NEW_LEADER;
    if (le->cb_started > le->cb_stopped)
        return le->terms_ended >= le->cb_started ? CB_STOPPED : CB_NONE;
    while (le->terms_started > le->cb_started) {
        if (le->terms_ended <= le->cb_started)
            return CB_STARTED;
        le->cb_started++; /* over before it began here: neither callback */
        le->cb_stopped++;
    }
    return CB_NONE;
}

static void run_step(struct leader *le, enum cb_step step)
{
    if (step == CB_NEW_LEADER) {
        char *holder = le->new_holder ? strdup(le->new_holder) : NULL;
        le->cb_holder_seq = le->holder_seq;
        pthread_mutex_unlock(&le->lock);
        if (le->cb.on_new_leader)
            le->cb.on_new_leader(le->cb.ud, holder ? holder : "");
        free(holder);
    } else if (step == CB_STARTED) {
        le->cb_started++;
        pthread_mutex_unlock(&le->lock);
        if (le->cb.on_started)
            le->cb.on_started(le->cb.ud);
    } else {
        pthread_mutex_unlock(&le->lock);
        if (le->cb.on_stopped)
            le->cb.on_stopped(le->cb.ud);
        pthread_mutex_lock(&le->lock);
        le->cb_stopped++;
        pthread_cond_broadcast(&le->cb_cond);
        return;
    }
    pthread_mutex_lock(&le->lock);
}

static void *callback_main(void *arg)
{
    struct leader *le = arg;
    pthread_mutex_lock(&le->lock);
    for (;;) {
        enum cb_step step = next_step(le);
        if (step != CB_NONE)
            run_step(le, step);
        else if (le->cb_quit)
            break;
        else
            pthread_cond_wait(&le->cb_cond, &le->lock);
    }
    pthread_mutex_unlock(&le->lock);
    return NULL;
}

/* Waits up to ms for on_stopped of every ended term; true when done. */
static bool wait_callbacks_done(struct leader *le, uint64_t ms)
{
    uint64_t due = gw_mono_ms() + ms;
    pthread_mutex_lock(&le->lock);
    int r = 0;
    while (le->cb_stopped < le->terms_ended && r != ETIMEDOUT)
        r = gw_cond_wait_until(&le->cb_cond, &le->lock, due);
    bool done = le->cb_stopped >= le->terms_ended;
    pthread_mutex_unlock(&le->lock);
    return done;
}

static void count_term(struct leader *le, bool start)
{
    pthread_mutex_lock(&le->lock);
    if (start)
        le->terms_started++;
    else
        le->terms_ended++;
    pthread_cond_broadcast(&le->cb_cond);
    pthread_mutex_unlock(&le->lock);
}

/* ---- the elector thread ------------------------------------------------------------- */

/* Tries until the Lease is ours (0) or we are stopped (-ECANCELED).
 * *ret_at is when the successful attempt began. */
static int acquire(struct leader *le, uint64_t *ret_at)
{
    for (;;) {
        if (stopping(le))
            return -ECANCELED;
        uint64_t at = gw_mono_ms();
        le->attempt_due_ms = at + le->renew_deadline_ms;
        int r = try_acquire_or_renew(le);
        if (r == 0) {
            *ret_at = at;
            return 0;
        }
        if (r != -EBUSY)
            set_err(le, kube_client_error(le->c));
        /* client-go's JitterFactor 1.2: between 1 and 2.2 retry periods. */
        if (nap(le, gw_jitter_up(le->retry_period_ms, 12)))
            return -ECANCELED;
    }
}

/* Renews until a renewal misses the deadline (returns -ETIMEDOUT), someone
 * else holds the Lease (-EBUSY) or we are stopped (-ECANCELED). last_ok is
 * when the attempt that acquired the Lease began. */
static int renew(struct leader *le, uint64_t last_ok)
{
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
        le->attempt_due_ms = deadline;
        int r = try_acquire_or_renew(le);
        /* Count from when the attempt began: the others may have seen the
         * new renewTime as early as that. */
        if (r == 0) {
            last_ok = now;
            atomic_store(&le->term_end, last_ok + le->renew_deadline_ms);
        } else if (r != -ECANCELED)
            set_err(le, kube_client_error(le->c));
        if (r == -EBUSY)
            return -EBUSY;
    }
}

static void lead(struct leader *le, uint64_t acquired_at)
{
    atomic_store(&le->term_end, acquired_at + le->renew_deadline_ms);
    atomic_store(&le->leading, true);
    atomic_store(&le->fence, false);
    count_term(le, true);
    int r = renew(le, acquired_at);
    /* Fence first: from here on no request of the leader's clients starts. */
    atomic_store(&le->fence, true);
    atomic_store(&le->leading, false);
    count_term(le, false);
    if (r == -ETIMEDOUT)
        set_err(le, "the Lease was not renewed within the renew deadline");
    /* Lost (deadline or someone else holds it): nothing of ours to give
     * back. Stopping: give it back once on_stopped says the writers are
     * done; if they never say so, the Lease runs out by itself. */
    if (r == -ECANCELED && wait_callbacks_done(le, le->lease_ms))
        release(le);
}

static void *leader_main(void *arg)
{
    struct leader *le = arg;
    kube_client_set_stop(le->c, &le->stop);
    uint64_t at = 0;
    while (acquire(le, &at) == 0) {
        lead(le, at);
        kube_client_set_stop(le->c, &le->stop);
    }
    return NULL;
}

static void stop_callbacks(struct leader *le)
{
    pthread_mutex_lock(&le->lock);
    le->cb_quit = true;
    pthread_cond_broadcast(&le->cb_cond);
    pthread_mutex_unlock(&le->lock);
    pthread_join(le->cb_thread, NULL);
}

int leader_start(struct leader *le)
{
    if (le->running)
        return -EALREADY;
    int r = kube_client_new(le->cfg, NULL, &le->c);
    if (r < 0)
        return r;
    atomic_store(&le->stop, false);
    le->cb_quit = false;
    r = pthread_create(&le->cb_thread, NULL, callback_main, le);
    if (r == 0) {
        r = pthread_create(&le->thread, NULL, leader_main, le);
        if (r != 0)
            stop_callbacks(le);
    }
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
    stop_callbacks(le);
    le->running = false;
    kube_client_free(le->c);
    le->c = NULL;
}
