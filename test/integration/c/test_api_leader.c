/* Leader election on a real Lease: of two electors exactly one leads; when
 * it stops it releases the Lease and the other takes over well within the
 * lease duration. Interactively (driven by test_kube_client.py), one elector
 * per process, so that a leader can be killed outright or cut off. */
#include <pthread.h>
#include <stdatomic.h>

#include "itest.h"
#include "leader.h"

#define LEASE_MS 3000u
#define RENEW_MS 2000u
#define RETRY_MS 400u

struct elector {
    struct leader *le;
    atomic_int started;
    atomic_int stopped;
    atomic_ullong started_at_ms;
    atomic_ullong stopped_at_ms;
    bool announce;     /* interactive: print LEADING / STOPPED lines */
};

static void on_started(void *ud)
{
    struct elector *e = ud;
    atomic_store(&e->started_at_ms, it_now_ms());
    atomic_fetch_add(&e->started, 1);
    if (e->announce)
        it_say("LEADING %s", leader_identity(e->le));
}

static void on_stopped(void *ud)
{
    struct elector *e = ud;
    atomic_store(&e->stopped_at_ms, it_now_ms());
    atomic_fetch_add(&e->stopped, 1);
    if (e->announce)
        it_say("STOPPED %s", leader_identity(e->le));
}

static void make_elector(struct kube_config *cfg, struct elector *e, const char *lease,
                         const char *identity)
{
    struct leader_opts o = {
        .ns = it_ns(), .name = lease, .identity = identity,
        .lease_ms = LEASE_MS, .renew_deadline_ms = RENEW_MS, .retry_period_ms = RETRY_MS,
        .on_started = on_started, .on_stopped = on_stopped, .ud = e,
    };
    assert_int_equal(leader_new(cfg, &o, &e->le), 0);
}

static bool someone_leads(void *ud)
{
    struct elector *e = ud;
    return leader_is_leader(e[0].le) || leader_is_leader(e[1].le);
}

static bool second_leads(void *ud)
{
    return leader_is_leader(ud);
}

static const char *lease_holder(struct kube_client *c, const char *lease, json_object **keep)
{
    assert_ok(kube_get(c, &KUBE_LEASES, it_ns(), lease, keep), c);
    return it_path_str(*keep, "spec", "holderIdentity");
}

static void test_one_leader_and_quick_handover(void **state)
{
    (void)state;
    struct kube_config *cfg = it_config();
    struct kube_client *c = it_client(cfg);
    struct elector e[2] = { 0 };
    make_elector(cfg, &e[0], "handover", "replica-a");
    make_elector(cfg, &e[1], "handover", "replica-b");
    assert_int_equal(leader_start(e[0].le), 0);
    assert_int_equal(leader_start(e[1].le), 0);
    assert_true(it_wait(someone_leads, e, 10000));
    /* For a few renewals: never both, always the Lease's holder. */
    for (int i = 0; i < 20; i++) {
        assert_false(leader_is_leader(e[0].le) && leader_is_leader(e[1].le));
        it_sleep_ms(100);
    }
    int l = leader_is_leader(e[0].le) ? 0 : 1;
    assert_true(leader_is_leader(e[l].le));
    json_object *lease = NULL;
    assert_string_equal(lease_holder(c, "handover", &lease), leader_identity(e[l].le));
    json_object *spec = json_object_object_get(lease, "spec");
    assert_int_equal(json_object_get_int(json_object_object_get(spec, "leaseDurationSeconds")), 3);
    int transitions = json_object_get_int(json_object_object_get(spec, "leaseTransitions"));
    json_object_put(lease);

    uint64_t t0 = it_now_ms();
    leader_stop(e[l].le);
    assert_int_equal(atomic_load(&e[l].stopped), 1);
    assert_true(it_wait(second_leads, e[1 - l].le, LEASE_MS * 2));
    uint64_t took = atomic_load(&e[1 - l].started_at_ms) - t0;
    print_message("  %s handed over to %s in %llu ms\n", leader_identity(e[l].le),
                  leader_identity(e[1 - l].le), (unsigned long long)took);
    /* Released, so no need to wait for the lease to run out. */
    assert_true(took < LEASE_MS);
    assert_string_equal(lease_holder(c, "handover", &lease), leader_identity(e[1 - l].le));
    spec = json_object_object_get(lease, "spec");
    assert_int_equal(json_object_get_int(json_object_object_get(spec, "leaseTransitions")), transitions + 1);
    json_object_put(lease);

    leader_free(e[1 - l].le);
    assert_int_equal(atomic_load(&e[1 - l].stopped), 1);
    /* Released on the way out: nobody holds it now. */
    assert_string_equal(lease_holder(c, "handover", &lease), "");
    json_object_put(lease);
    leader_free(e[l].le);
    kube_client_free(c);
    kube_config_free(cfg);
}

static void test_bad_durations_are_refused(void **state)
{
    (void)state;
    struct leader *le = NULL;
    struct leader_opts o = { .ns = "x", .name = "y", .lease_ms = 10000, .renew_deadline_ms = 15000 };
    assert_int_equal(leader_new(NULL, &o, &le), -EINVAL);
    o = (struct leader_opts){ .ns = "x", .name = "y", .lease_ms = 15000, .renew_deadline_ms = 2000,
                              .retry_period_ms = 2000 };
    assert_int_equal(leader_new(NULL, &o, &le), -EINVAL);
    o = (struct leader_opts){ .name = "y" };
    assert_int_equal(leader_new(NULL, &o, &le), -EINVAL);
    char *id = NULL;
    assert_int_equal(leader_default_identity(&id), 0);
    assert_non_null(strchr(id, '_'));
    assert_int_equal(strlen(strchr(id, '_') + 1), 16);
    free(id);
    struct timespec ts = { 1700000000, 123456789 };
    char buf[32];
    leader_format_microtime(&ts, buf);
    assert_string_equal(buf, "2023-11-14T22:13:20.123456Z");
}

/* ---- interactive: one elector in this process ------------------------------------ *
 * Prints "IDENTITY <id>", then "LEADING <id>" / "STOPPED <id>" as they happen.
 * Reads: "quit" (or end of input) stops the elector, releasing the Lease,
 * and prints "RELEASED". The Lease is GW_TEST_LEASE (default "it-leader"). */
static void test_elector_interactive(void **state)
{
    (void)state;
    it_skip_unless_interactive();
    struct kube_config *cfg = it_config();
    static struct elector e;
    e.announce = true;
    const char *lease = getenv("GW_TEST_LEASE");
    make_elector(cfg, &e, lease && *lease ? lease : "it-leader", getenv("GW_TEST_IDENTITY"));
    it_say("IDENTITY %s", leader_identity(e.le));
    assert_int_equal(leader_start(e.le), 0);
    char line[256];
    while (it_read_line(line, sizeof(line)) && strcmp(line, "quit") != 0)
        it_say("ERROR unknown command: %s", line);
    leader_free(e.le);
    it_say("RELEASED");
    kube_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_leader_and_quick_handover),
        cmocka_unit_test(test_bad_durations_are_refused),
        cmocka_unit_test(test_elector_interactive),
    };
    return IT_RUN(tests);
}
