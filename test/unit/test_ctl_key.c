/* The typed reconcile key: encodings round-trip, the "every object of a
 * kind" and resync keys cannot be confused with an object, and what is not
 * a key is refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "deps.h"

static void round_trip(const struct ctl_key *k, const char *want)
{
    char enc[600];
    assert_int_equal(ctl_key_encode(k, enc, sizeof(enc)), 0);
    assert_string_equal(enc, want);
    struct ctl_key back;
    assert_int_equal(ctl_key_decode(enc, &back), 0);
    assert_int_equal(back.op, k->op);
    if (k->op != CTL_KEY_RESYNC)
        assert_int_equal(back.kind, k->kind);
    if (k->op == CTL_KEY_OBJECT) {
        assert_string_equal(back.ns, k->ns);
        assert_string_equal(back.name, k->name);
    }
}

static void test_keys_round_trip(void **state)
{
    (void)state;
    struct ctl_key k;
    assert_int_equal(ctl_key_object(GW_KIND_AIGATEWAY, "ai", "main", &k), 0);
    round_trip(&k, "AiGateway/ai/main");
    assert_int_equal(ctl_key_object(GW_KIND_AIGATEWAYCLASS, NULL, "litellm", &k), 0);
    round_trip(&k, "AiGatewayClass//litellm");
    struct ctl_key every = { .op = CTL_KEY_EVERY, .kind = GW_KIND_TOOLROUTE };
    round_trip(&every, "ToolRoute/*/*");
    struct ctl_key resync = { .op = CTL_KEY_RESYNC };
    round_trip(&resync, "Resync");
}

static void test_bad_keys_are_refused(void **state)
{
    (void)state;
    struct ctl_key k;
    assert_int_equal(ctl_key_decode("Nope/a/b", &k), -EINVAL);
    assert_int_equal(ctl_key_decode("AiGateway/a", &k), -EINVAL);
    assert_int_equal(ctl_key_decode("AiGateway/a/", &k), -EINVAL);
    assert_int_equal(ctl_key_object(GW_KIND_UNKNOWN, "a", "b", &k), -EINVAL);
    assert_int_equal(ctl_key_object(GW_KIND_AIGATEWAY, "a", "", &k), -EINVAL);
    char long_name[400];
    memset(long_name, 'x', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    assert_int_equal(ctl_key_object(GW_KIND_AIGATEWAY, "a", long_name, &k), -EINVAL);
    /* A namespace called "*" with an ordinary name is an object. */
    assert_int_equal(ctl_key_decode("ToolRoute/*/r", &k), 0);
    assert_int_equal(k.op, CTL_KEY_OBJECT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_round_trip),
        cmocka_unit_test(test_bad_keys_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
