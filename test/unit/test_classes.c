/* Class start-up against a scripted API server: which requests are made and
 * whether a class the operator creates is marked default. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "kube_client.h"
#include "reconcile.h"
#include "strbuf.h"

#include "fakehttp.h"
#include "fakekube.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define NOT_FOUND "{\"kind\":\"Status\",\"reason\":\"NotFound\",\"code\":404}"
#define EMPTY_LIST "{\"kind\":\"List\",\"metadata\":{\"resourceVersion\":\"1\"},\"items\":[]}"
#define CREATED "{\"metadata\":{\"name\":\"litellm\",\"resourceVersion\":\"2\"}}"

static void run(const struct reply *script, size_t n, bool mark_default, struct fake *f, char **ret_report)
{
    fake_start(f, script, n);
    struct kube_config *cfg = fake_kube_config(f->port, "t");
    struct kube_client_opts o = { .connect_timeout_ms = 2000, .timeout_ms = 5000, .max_tries = 1,
                                  .backoff_base_ms = 1, .backoff_max_ms = 10 };
    struct kube_client *c = NULL;
    assert_int_equal(kube_client_new(cfg, &o, &c), 0);
    assert_int_equal(ctl_ensure_classes(c, mark_default, ret_report), 0);
    fake_stop(f);
    kube_client_free(c);
    kube_config_free(cfg);
}

/* Without being asked, missing classes are created unmarked, and the
 * operator does not even look for another default. */
static void test_missing_classes_are_created_unmarked(void **state)
{
    (void)state;
    static const struct reply script[] = {
        { .status = 404, .body = NOT_FOUND }, { .status = 201, .body = CREATED },
        { .status = 404, .body = NOT_FOUND }, { .status = 201, .body = CREATED },
    };
    struct fake f;
    char *report = NULL;
    run(script, N(script), false, &f, &report);
    assert_int_equal(f.n_seen, 4);
    assert_non_null(strstr(f.seen[1], "POST /apis/runtime.agentic-layer.ai/v1alpha1/aigatewayclasses "));
    assert_non_null(strstr(f.seen[3], "POST /apis/runtime.agentic-layer.ai/v1alpha1/toolgatewayclasses "));
    for (size_t i = 0; i < f.n_seen; i++)
        assert_null(strstr(f.seen[i], "is-default-class"));
    assert_null(strstr(report, "default"));
    free(report);
    fake_free(&f);
}

/* --default-class: created marked default when no class of the kind is. */
static void test_asked_for_default_marks_when_none_is(void **state)
{
    (void)state;
    static const struct reply script[] = {
        { .status = 404, .body = NOT_FOUND }, { .status = 200, .body = EMPTY_LIST },
        { .status = 201, .body = CREATED },   { .status = 404, .body = NOT_FOUND },
        { .status = 200, .body = EMPTY_LIST }, { .status = 201, .body = CREATED },
    };
    struct fake f;
    char *report = NULL;
    run(script, N(script), true, &f, &report);
    assert_int_equal(f.n_seen, 6);
    assert_non_null(strstr(f.seen[2], "aigatewayclass.kubernetes.io/is-default-class"));
    assert_non_null(strstr(f.seen[5], "toolgatewayclass.kubernetes.io/is-default-class"));
    assert_non_null(strstr(report, "marked default"));
    free(report);
    fake_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_classes_are_created_unmarked),
        cmocka_unit_test(test_asked_for_default_marks_when_none_is),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
