/* The webhook's Prometheus exposition text. */
#include "testutil.h"

#include "metrics.h"

#define P WH_METRICS_PREFIX

static void test_render(void **state)
{
    (void)state;
    struct wh_metrics *m = calloc(1, sizeof(*m));
    wh_metrics_init(m);
    wh_metrics_observe(m, WH_EP_VALIDATE, WH_K_AIGATEWAY, WH_OP_CREATE, WH_V_DENIED, 200, 300000);     /* 0.3 ms */
    wh_metrics_observe(m, WH_EP_VALIDATE, WH_K_AIGATEWAY, WH_OP_CREATE, WH_V_DENIED, 200, 90000);      /* 0.09 ms */
    wh_metrics_observe(m, WH_EP_MUTATE, WH_K_TOOLROUTE, WH_OP_UPDATE, WH_V_PATCHED, 200, 5000000000ULL); /* 5 s */
    wh_metrics_observe(m, WH_EP_OTHER, WH_K_OTHER, WH_OP_NONE, WH_V_BAD_REQUEST, 404, 1000);
    atomic_store(&m->in_flight, 3);
    atomic_store(&m->cert_not_after, 4949261233LL);
    atomic_store(&m->cert_reloads, 2);
    struct strbuf sb;
    sb_init(&sb, 1 << 20);
    assert_int_equal(wh_metrics_render(m, &sb), 0);
    const char *t = sb_str(&sb);
    static const char *const want[] = {
        "# TYPE " P "requests_total counter\n",
        P "requests_total{endpoint=\"validate\",kind=\"AiGateway\",operation=\"CREATE\",verdict=\"denied\"} 2\n",
        P "requests_total{endpoint=\"mutate\",kind=\"ToolRoute\",operation=\"UPDATE\",verdict=\"patched\"} 1\n",
        P "requests_total{endpoint=\"other\",kind=\"other\",operation=\"none\",verdict=\"bad_request\"} 1\n",
        "# TYPE " P "request_duration_seconds histogram\n",
        P "request_duration_seconds_bucket{endpoint=\"validate\",le=\"0.0001\"} 1\n",
        P "request_duration_seconds_bucket{endpoint=\"validate\",le=\"0.00025\"} 1\n",
        P "request_duration_seconds_bucket{endpoint=\"validate\",le=\"0.0005\"} 2\n",
        P "request_duration_seconds_bucket{endpoint=\"validate\",le=\"+Inf\"} 2\n",
        P "request_duration_seconds_sum{endpoint=\"validate\"} 0.000390000\n",
        P "request_duration_seconds_count{endpoint=\"validate\"} 2\n",
        P "request_duration_seconds_bucket{endpoint=\"mutate\",le=\"2.5\"} 0\n",
        P "request_duration_seconds_bucket{endpoint=\"mutate\",le=\"+Inf\"} 1\n",
        P "requests_in_flight 3\n",
        P "open_connections 0\n",
        "# TYPE " P "certificate_expiry_timestamp_seconds gauge\n" P "certificate_expiry_timestamp_seconds 4949261233\n",
        P "certificate_reloads_total{result=\"success\"} 2\n",
        P "certificate_reloads_total{result=\"failure\"} 0\n",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (!strstr(t, want[i]))
            fail_msg("missing:\n%s\nin:\n%s", want[i], t);
    /* Series that never counted are not printed. */
    assert_null(strstr(t, "verdict=\"error\""));
    assert_null(strstr(t, "endpoint=\"preview\""));
    sb_release(&sb);
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_render) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
