#define _GNU_SOURCE
/* Leader election against a fake Lease server: a leader keeps renewing
 * whatever its callbacks do, steps down (and fences its writers) before its
 * lease can expire when renewals fail, and a candidate never takes a Lease
 * that another replica keeps renewing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kube_client.h"
#include "leader.h"

#include "fakelease.h"
#include "fakekube.h"

#define LEASE_MS 1500u
#define RENEW_MS 1000u
#define RETRY_MS 200u

struct watcher {
    struct leader *le;
    atomic_int started, stopped;
    atomic_int in_term;           /* +1 on started, -1 on stopped */
    atomic_bool bad_order;
    atomic_bool block_started;    /* on_started waits while set */
    atomic_int stopped_sleep_ms;  /* on_stopped takes this long */
    atomic_ullong stopped_done_ms;
};

static void on_started(void *ud)
{
    struct watcher *w = ud;
    if (atomic_fetch_add(&w->in_term, 1) != 0)
        atomic_store(&w->bad_order, true);
    atomic_fetch_add(&w->started, 1);
    while (atomic_load(&w->block_started))
        sleep_ms(10);
}

static void on_stopped(void *ud)
{
    struct watcher *w = ud;
    if (atomic_fetch_sub(&w->in_term, 1) != 1)
        atomic_store(&w->bad_order, true);
    sleep_ms(atomic_load(&w->stopped_sleep_ms));
    atomic_fetch_add(&w->stopped, 1);
    atomic_store(&w->stopped_done_ms, gw_mono_ms());
}

static void make(struct kube_config *cfg, struct watcher *w, const char *identity)
{
    struct leader_opts o = {
        .ns = "ns", .name = "l", .identity = identity,
        .lease_ms = LEASE_MS, .renew_deadline_ms = RENEW_MS, .retry_period_ms = RETRY_MS,
        .on_started = on_started, .on_stopped = on_stopped, .ud = w,
    };
    assert_int_equal(leader_new(cfg, &o, &w->le), 0);
}

static bool wait_for(bool (*cond)(struct leader *), struct leader *le, unsigned ms)
{
    uint64_t due = gw_mono_ms() + ms;
    while (gw_mono_ms() < due) {
        if (cond(le))
            return true;
        sleep_ms(10);
    }
    return cond(le);
}

static bool leads(struct leader *le)
{
    return leader_is_leader(le);
}

static bool fenced(struct leader *le)
{
    return atomic_load(leader_fence(le));
}

/* on_started blocks (as waiting for caches does): the Lease must still be
 * renewed, so that it never lapses while we call ourselves the leader. */
static void test_renewals_go_on_while_a_callback_blocks(void **state)
{
    (void)state;
    struct fakelease f;
    fl_start(&f);
    struct kube_config *cfg = fake_kube_config(f.port, "t");
    struct watcher w = { 0 };
    atomic_store(&w.block_started, true);
    make(cfg, &w, "me");
    assert_int_equal(leader_start(w.le), 0);
    assert_true(wait_for(leads, w.le, 5000));
    uint64_t until = gw_mono_ms() + 3 * LEASE_MS;
    while (gw_mono_ms() < until) {
        uint64_t last = 0;
        fl_writes_by(&f, "me", &last);
        uint64_t now = gw_mono_ms();
        if (leader_is_leader(w.le) && now > last + LEASE_MS)
            fail_msg("leading, but the Lease was last renewed %llu ms ago (lease %u ms)",
                     (unsigned long long)(now - last), LEASE_MS);
        sleep_ms(20);
    }
    assert_true(leader_is_leader(w.le));
    assert_int_equal(atomic_load(&w.started), 1);
    atomic_store(&w.block_started, false);
    leader_free(w.le);
    assert_int_equal(atomic_load(&w.stopped), 1);
    assert_false(atomic_load(&w.bad_order));
    kube_config_free(cfg);
    fl_stop(&f);
}

/* The API server stops answering: the leader must stop acting (fence set,
 * no longer leader) before its lease can expire, counting from the last
 * renewal the server accepted, whatever on_stopped does; a writer fenced
 * by it sends nothing more. Once the server is back it leads again. */
static void test_leader_steps_down_before_its_lease_can_expire(void **state)
{
    (void)state;
    struct fakelease f;
    fl_start(&f);
    struct kube_config *cfg = fake_kube_config(f.port, "t");
    struct watcher w = { 0 };
    atomic_store(&w.stopped_sleep_ms, 2000);
    make(cfg, &w, "me");
    assert_true(fenced(w.le));
    assert_int_equal(leader_start(w.le), 0);
    assert_true(wait_for(leads, w.le, 5000));
    assert_false(fenced(w.le));
    struct kube_client *writer = NULL;
    assert_int_equal(kube_client_new(cfg, NULL, &writer), 0);
    kube_client_set_stop(writer, leader_fence(w.le));
    sleep_ms(3 * RETRY_MS);

    atomic_store(&f.mode, FL_STALL);
    assert_true(wait_for(fenced, w.le, 3 * LEASE_MS));
    uint64_t down = gw_mono_ms(), last_ok = 0;
    fl_writes_by(&f, "me", &last_ok);
    assert_false(leader_is_leader(w.le));
    if (down >= last_ok + LEASE_MS)
        fail_msg("stepped down %llu ms after the last accepted renewal; the lease lasts %u ms",
                 (unsigned long long)(down - last_ok), LEASE_MS);
    /* The fence holds the writer, before on_stopped has even returned. */
    assert_int_equal(atomic_load(&w.stopped), 0);
    atomic_store(&f.mode, FL_OK);
    pthread_mutex_lock(&f.lock);
    unsigned long before = f.requests;
    pthread_mutex_unlock(&f.lock);
    json_object *cm = json_tokener_parse("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\"}}");
    assert_int_equal(kube_create(writer, &KUBE_CONFIGMAPS, "ns", cm, NULL), -ECANCELED);
    json_object_put(cm);
    pthread_mutex_lock(&f.lock);
    unsigned long after = f.requests;
    pthread_mutex_unlock(&f.lock);
    /* Only the elector may have talked to the server meanwhile. */
    assert_true(after - before <= 2);

    assert_true(wait_for(leads, w.le, 5000 + 2000));
    assert_false(fenced(w.le));
    for (int i = 0; i < 500 && atomic_load(&w.started) < 2; i++)
        sleep_ms(10);
    leader_free(w.le);
    assert_int_equal(atomic_load(&w.started), 2);
    assert_int_equal(atomic_load(&w.stopped), 2);
    assert_false(atomic_load(&w.bad_order));
    kube_client_free(writer);
    kube_config_free(cfg);
    fl_stop(&f);
}

/* Another replica holds the Lease and renews it: we never write it, never
 * lead; once it stops renewing we take over, not before its lease ran out. */
static void test_candidate_respects_a_live_holder(void **state)
{
    (void)state;
    struct fakelease f;
    fl_start(&f);
    fl_other_renews(&f, "other", 1);
    struct kube_config *cfg = fake_kube_config(f.port, "t");
    struct watcher w = { 0 };
    make(cfg, &w, "me");
    assert_int_equal(leader_start(w.le), 0);
    uint64_t until = gw_mono_ms() + 3000;
    while (gw_mono_ms() < until) {
        fl_other_renews(&f, "other", 1);
        for (int i = 0; i < 10; i++) {
            assert_false(leader_is_leader(w.le));
            sleep_ms(20);
        }
    }
    assert_int_equal(fl_writes_by(&f, "me", NULL), 0);
    uint64_t other_last = 0;
    fl_writes_by(&f, "other", &other_last);
    assert_true(wait_for(leads, w.le, 5000));
    uint64_t first_mine = 0;
    pthread_mutex_lock(&f.lock);
    for (size_t i = 0; i < f.n_writes && !first_mine; i++)
        if (strcmp(f.writes[i].holder, "me") == 0)
            first_mine = f.writes[i].at_ms;
    long transitions = f.transitions;
    pthread_mutex_unlock(&f.lock);
    if (first_mine < other_last + 1000)
        fail_msg("took the Lease %lld ms after the holder's last renewal; its lease lasts 1000 ms",
                 (long long)first_mine - (long long)other_last);
    assert_int_equal(transitions, 2);
    leader_free(w.le);
    /* Released on the way out, after on_stopped returned. */
    pthread_mutex_lock(&f.lock);
    assert_string_equal(f.holder, "");
    uint64_t released = f.writes[f.n_writes - 1].at_ms;
    pthread_mutex_unlock(&f.lock);
    assert_true(released >= atomic_load(&w.stopped_done_ms));
    kube_config_free(cfg);
    fl_stop(&f);
}

/* The whole process is frozen past the renew deadline (SIGSTOP, a paused
 * VM) and thawed: the thread of a writer may run before the elector's and
 * find the fence not yet set. The term's end, by the clock, must hold that
 * writer by itself: a client given only leader_term_end() starts nothing
 * once it has passed. The end moves with each renewal, never lies beyond
 * the renew deadline of the last accepted one, and a new term has its own. */
static void test_a_writer_stops_at_the_end_of_the_term_by_the_clock(void **state)
{
    (void)state;
    struct fakelease f;
    fl_start(&f);
    struct kube_config *cfg = fake_kube_config(f.port, "t");
    struct watcher w = { 0 };
    make(cfg, &w, "me");
    const _Atomic uint64_t *end = leader_term_end(w.le);
    assert_int_equal(atomic_load(end), 0);
    assert_int_equal(leader_start(w.le), 0);
    assert_true(wait_for(leads, w.le, 5000));
    uint64_t first = atomic_load(end), now = gw_mono_ms();
    assert_true(first > now && first <= now + RENEW_MS);
    sleep_ms(3 * RETRY_MS);
    assert_true(atomic_load(end) > first); /* renewals move it */

    /* Only the clock guards this writer: no fence attached. */
    struct kube_client *writer = NULL;
    struct kube_client_opts wo = { .timeout_ms = 500, .max_tries = 1 };
    assert_int_equal(kube_client_new(cfg, &wo, &writer), 0);
    kube_client_set_deadline(writer, end);
    json_object *cm = json_tokener_parse("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\"}}");
    atomic_store(&f.mode, FL_STALL);
    uint64_t last_ok = 0;
    fl_writes_by(&f, "me", &last_ok);
    uint64_t due = atomic_load(end);
    assert_true(due < last_ok + LEASE_MS); /* before the lease can expire for the others */
    while (gw_mono_ms() < due) {
        sleep_ms(5);
        due = atomic_load(end);
    }
    pthread_mutex_lock(&f.lock);
    unsigned long before = f.requests;
    pthread_mutex_unlock(&f.lock);
    assert_int_equal(kube_create(writer, &KUBE_CONFIGMAPS, "ns", cm, NULL), -ECANCELED);
    pthread_mutex_lock(&f.lock);
    unsigned long after = f.requests;
    pthread_mutex_unlock(&f.lock);
    assert_true(after - before <= 2); /* the elector's own attempts at most */
    assert_true(wait_for(fenced, w.le, 3 * LEASE_MS));
    assert_true(atomic_load(end) <= gw_mono_ms());

    /* A new term: the writer may write again. */
    atomic_store(&f.mode, FL_OK);
    assert_true(wait_for(leads, w.le, 5000 + 2000));
    assert_true(atomic_load(end) > gw_mono_ms());
    assert_int_equal(kube_create(writer, &KUBE_CONFIGMAPS, "ns", cm, NULL) == -ECANCELED, 0);
    json_object_put(cm);
    leader_free(w.le);
    kube_client_free(writer);
    kube_config_free(cfg);
    fl_stop(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_renewals_go_on_while_a_callback_blocks),
        cmocka_unit_test(test_leader_steps_down_before_its_lease_can_expire),
        cmocka_unit_test(test_candidate_respects_a_live_holder),
        cmocka_unit_test(test_a_writer_stops_at_the_end_of_the_term_by_the_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
