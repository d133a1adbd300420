/* The fields only v1beta1 has take effect: objects are written in v1beta1,
 * converted to the storage version v1alpha1 (as the API server does through
 * the conversion webhook) and read the way the controller reads them. */
#include <errno.h>

#include "plantest.h"

#include "convert.h"
#include "jsonutil.h"
#include "plan.h"
#include "render.h"
#include "render_models.h"
#include "resolve.h"
#include "status.h"

#define V1A1 "apiVersion: runtime.agentic-layer.ai/v1alpha1\n"
#define V1B1 "apiVersion: runtime.agentic-layer.ai/v1beta1\n"

static int render_first(struct fixture *f, struct gw_render_output *out)
{
    struct gw_objset set = { (const struct gw_object *const *)f->objs, f->n };
    struct gw_render_input in = { .gateway = first_gateway(f) };
    struct gw_secret_version *secrets = NULL;
    assert_int_equal(gw_secret_versions(&in, &set, &secrets, &in.n_secrets), 0);
    in.secrets = secrets;
    int r = gw_render(&in, out);
    free(secrets);
    return r;
}

#define BETA_AI                                                                                              \
    V1B1 "kind: AiGateway\nmetadata: {name: main, namespace: ai, uid: u-1, generation: 2}\n"                  \
         "spec:\n"                                                                                            \
         "  className: litellm\n"                                                                             \
         "  models:\n"                                                                                        \
         "  - {name: fast, provider: openai, model: gpt-4o-mini, apiBase: 'http://up-a.ai:8080/v1',\n"        \
         "     apiKeySecretRef: {name: keys, key: team-a}}\n"                                                 \
         "  - {name: smart, provider: openai, apiBase: 'http://up-b.ai:8080/v1',\n"                           \
         "     apiKeySecretRef: {name: keys, key: team-b, optional: true}}\n"                                 \
         "  - {name: also-fast, provider: openai, model: gpt-4o-mini, apiKeySecretRef: {name: keys, key: team-a}}\n" \
         "  - {name: claude, provider: anthropic}\n"                                                          \
         "  replicas: 2\n"                                                                                    \
         "  resources: {requests: {cpu: 250m}, limits: {memory: 2Gi}}\n"

/* The value of env var name in the LiteLLM container, as JSON text. */
static const char *env_entry(json_object *deployment, const char *name)
{
    json_object *c = json_object_array_get_idx(
        jobj_get_arr(jobj_get_obj(jobj_get_obj(jobj_get_obj(deployment, "spec"), "template"), "spec"), "containers"), 0);
    json_object *env = jobj_get_arr(c, "env");
    for (size_t i = 0; i < json_object_array_length(env); i++) {
        json_object *e = json_object_array_get_idx(env, i);
        if (strcmp(jobj_get_str(e, "name"), name) == 0)
            return json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN);
    }
    return NULL;
}

static size_t env_count(json_object *deployment, const char *name)
{
    json_object *c = json_object_array_get_idx(
        jobj_get_arr(jobj_get_obj(jobj_get_obj(jobj_get_obj(deployment, "spec"), "template"), "spec"), "containers"), 0);
    json_object *env = jobj_get_arr(c, "env");
    size_t n = 0;
    for (size_t i = 0; i < json_object_array_length(env); i++)
        n += strcmp(jobj_get_str(json_object_array_get_idx(env, i), "name"), name) == 0;
    return n;
}

/* The variable api_key of model_list item i names ("os.environ/<name>"). */
static const char *key_var(json_object *cfg, size_t i)
{
    json_object *lp = jobj_get_obj(json_object_array_get_idx(jobj_get_arr(cfg, "model_list"), i), "litellm_params");
    const char *k = jobj_get_str(lp, "api_key");
    assert_non_null(k);
    assert_true(strncmp(k, "os.environ/", 11) == 0);
    return k + 11;
}

static void test_models_keys_replicas_resources(void **state)
{
    (void)state;
    struct fixture f;
    load_objs(&f, BETA_AI);
    struct gw_render_output out;
    assert_int_equal(render_first(&f, &out), 0);
    json_object *cfg = yaml_obj(out.config_yaml);
    /* model = <provider>/<model>, api_base as written. */
    static const char *const want[][3] = {
        { "fast", "openai/gpt-4o-mini", "http://up-a.ai:8080/v1" },
        { "smart", "openai/smart", "http://up-b.ai:8080/v1" },
        { "also-fast", "openai/gpt-4o-mini", NULL },
        { "claude", "anthropic/claude", NULL },
    };
    json_object *list = jobj_get_arr(cfg, "model_list");
    assert_int_equal(json_object_array_length(list), 4);
    for (size_t i = 0; i < 4; i++) {
        json_object *item = json_object_array_get_idx(list, i), *lp = jobj_get_obj(item, "litellm_params");
        assert_string_equal(jobj_get_str(item, "model_name"), want[i][0]);
        assert_string_equal(jobj_get_str(lp, "model"), want[i][1]);
        if (want[i][2])
            assert_string_equal(jobj_get_str(lp, "api_base"), want[i][2]);
        else
            assert_null(jobj_get(lp, "api_base"));
    }
    /* Each reference has its own variable; the same reference shares one. */
    const char *a = key_var(cfg, 0), *b = key_var(cfg, 1);
    assert_string_not_equal(a, b);
    assert_string_equal(key_var(cfg, 2), a);
    assert_string_equal(key_var(cfg, 3), "ANTHROPIC_API_KEY");
    char want_env[256];
    snprintf(want_env, sizeof(want_env),
             "{\"name\":\"%s\",\"valueFrom\":{\"secretKeyRef\":{\"name\":\"keys\",\"key\":\"team-a\"}}}", a);
    assert_string_equal(env_entry(out.deployment, a), want_env);
    snprintf(want_env, sizeof(want_env),
             "{\"name\":\"%s\",\"valueFrom\":{\"secretKeyRef\":{\"name\":\"keys\",\"key\":\"team-b\",\"optional\":true}}}",
             b);
    assert_string_equal(env_entry(out.deployment, b), want_env);
    assert_int_equal(env_count(out.deployment, a), 1);
    /* Models with their own key need no provider key. */
    assert_null(env_entry(out.deployment, "OPENAI_API_KEY"));
    assert_string_equal(env_entry(out.deployment, "ANTHROPIC_API_KEY"),
                        "{\"name\":\"ANTHROPIC_API_KEY\",\"valueFrom\":{\"secretKeyRef\":{\"name\":\"api-key-secrets\","
                        "\"key\":\"ANTHROPIC_API_KEY\",\"optional\":true}}}");
    /* replicas and resources as written. */
    json_object *spec = jobj_get_obj(out.deployment, "spec");
    assert_int_equal(json_object_get_int(jobj_get(spec, "replicas")), 2);
    json_object *c = json_object_array_get_idx(jobj_get_arr(jobj_get_obj(jobj_get_obj(spec, "template"), "spec"),
                                                            "containers"), 0);
    assert_string_equal(json_object_to_json_string_ext(jobj_get(c, "resources"), JSON_C_TO_STRING_PLAIN),
                        "{\"requests\":{\"cpu\":\"250m\"},\"limits\":{\"memory\":\"2Gi\"}}");
    /* Deterministic: the same object renders the same bytes. */
    struct gw_render_output again;
    assert_int_equal(render_first(&f, &again), 0);
    assert_string_equal(out.config_yaml, again.config_yaml);
    assert_string_equal(json_object_to_json_string(out.deployment), json_object_to_json_string(again.deployment));
    gw_render_output_release(&again);
    json_object_put(cfg);
    gw_render_output_release(&out);
    free_objs(&f);
}

/* The exact config of a v1beta1 model with its own key and apiBase. */
static void test_config_exact(void **state)
{
    (void)state;
    struct fixture f;
    load_objs(&f, V1B1 "kind: AiGateway\nmetadata: {name: main, namespace: ai}\n"
                         "spec: {models: [{name: m, provider: openai, model: up-model, apiBase: 'http://up:1/v1',"
                         " apiKeySecretRef: {name: s, key: k}}]}\n");
    struct gw_render_output out;
    assert_int_equal(render_first(&f, &out), 0);
    struct gw_beta_model bm = { .key_secret = "s", .key_key = "k" };
    char var[GW_MODEL_KEY_ENV_LEN], want[1024];
    gw_model_key_env_name(&bm, var);
    assert_int_equal(strlen(var), strlen("GW_MODEL_KEY_") + 16);
    snprintf(want, sizeof(want),
             "litellm_settings:\n"
             "  callbacks:\n"
             "  - \"prometheus\"\n"
             "  request_timeout: 600\n"
             "model_list:\n"
             "- litellm_params:\n"
             "    api_base: \"http://up:1/v1\"\n"
             "    api_key: \"os.environ/%s\"\n"
             "    model: \"openai/up-model\"\n"
             "  model_name: \"m\"\n",
             var);
    assert_string_equal(out.config_yaml, want);
    gw_render_output_release(&out);
    free_objs(&f);
}

/* Without spec.replicas the Deployment carries none (kubectl scale and
 * autoscalers stay in charge), and the default resources apply. */
static void test_no_replicas_unless_set(void **state)
{
    (void)state;
    struct fixture f;
    load_objs(&f, V1B1 "kind: AiGateway\nmetadata: {name: main, namespace: ai}\n"
                         "spec: {models: [{name: m, provider: openai, apiBase: 'http://up:1/v1'}]}\n");
    assert_non_null(f.objs[0]->beta);
    struct gw_render_output out;
    assert_int_equal(render_first(&f, &out), 0);
    json_object *spec = jobj_get_obj(out.deployment, "spec");
    assert_null(jobj_get(spec, "replicas"));
    assert_non_null(strstr(json_object_to_json_string(out.deployment), "\"512Mi\""));
    /* replicas: 0 is a value the user set. */
    gw_render_output_release(&out);
    free_objs(&f);
    load_objs(&f, V1B1 "kind: AiGateway\nmetadata: {name: main, namespace: ai}\n"
                         "spec: {replicas: 0, models: [{name: m, provider: openai}]}\n");
    assert_int_equal(render_first(&f, &out), 0);
    json_object *rep = jobj_get(jobj_get_obj(out.deployment, "spec"), "replicas");
    assert_non_null(rep);
    assert_int_equal(json_object_get_int(rep), 0);
    gw_render_output_release(&out);
    free_objs(&f);
}

/* A model's own key Secret counts in the secret hash. */
static void test_model_key_secret_hashed(void **state)
{
    (void)state;
    struct fixture f;
    load_objs(&f, BETA_AI "---\napiVersion: v1\nkind: Secret\nmetadata: {name: keys, namespace: ai, uid: s-1, "
                            "resourceVersion: '5'}\n");
    struct gw_render_input in = { .gateway = first_gateway(&f) };
    char **names = NULL;
    size_t n = 0;
    assert_int_equal(gw_referenced_secrets(&in, &names, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(names[0], "api-key-secrets");
    assert_string_equal(names[1], "keys");
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    struct gw_render_output one, two;
    assert_int_equal(render_first(&f, &one), 0);
    json_object_object_add(json_object_object_get(f.objs[1]->root, "metadata"), "resourceVersion",
                           json_object_new_string("6"));
    f.objs[1]->meta.resource_version = "6";
    assert_int_equal(render_first(&f, &two), 0);
    assert_string_not_equal(one.secret_hash, two.secret_hash);
    assert_string_equal(one.config_hash, two.config_hash);
    gw_render_output_release(&one);
    gw_render_output_release(&two);
    free_objs(&f);
}

/* A conversion annotation that cannot be read fails rendering with the
 * annotation's path; it is never silently dropped. */
static void test_corrupt_annotation_refused(void **state)
{
    (void)state;
    json_object *doc = yaml_obj(V1A1 "kind: AiGateway\nmetadata: {name: main, namespace: ai, annotations: "
                                     "{runtime.agentic-layer.ai/conversion: '{\"spec\": 7'}}\n"
                                     "spec: {aiModels: [{name: m, provider: openai}]}\n");
    struct gw_errlist e;
    errlist_init(&e);
    struct gw_object *o = NULL;
    assert_int_equal(gw_object_parse(doc, &o, &e), 0);
    assert_int_equal(gw_object_read_beta(o, &e), 0);
    assert_true(o->beta_invalid);
    assert_null(o->beta);
    assert_true(e.n > 0);
    struct gw_render_input in = { .gateway = o };
    struct gw_render_output out;
    assert_int_equal(gw_render(&in, &out), -EINVAL);
    assert_int_equal(out.errors.n, 1);
    assert_string_equal(out.errors.items[0].field, GW_CONVERSION_FIELD);
    gw_render_output_release(&out);
    gw_object_free(o);
    errlist_free(&e);
    json_object_put(doc);
}

/* --- planning ----------------------------------------------------------------------------- */

#define AICLASS "---\n" V1A1 "kind: AiGatewayClass\nmetadata: {name: litellm}\n" \
    "spec: {controller: aigateway.agentic-layer.ai/ai-gateway-litellm-controller}\n"
#define TOOLCLASS "---\n" V1A1 "kind: ToolGatewayClass\nmetadata: {name: litellm}\n" \
    "spec: {controller: litellm.agentic-layer.ai/tool-gateway-litellm-controller}\n"
#define TOOLGW_HEAD V1B1 "kind: ToolGateway\nmetadata: {name: tools, namespace: tg, uid: u-2, generation: 1}\n" \
    "spec: {className: litellm"
#define TOOLGW(allowed) TOOLGW_HEAD allowed "}\n"
#define ROUTE(name, ns, created, extra) "---\n" V1B1 "kind: ToolRoute\nmetadata: {name: " name ", namespace: " ns \
    ", generation: 1, creationTimestamp: '" created "'}\n" \
    "spec: {gatewayRef: {name: tools, namespace: tg}, upstream: {external: {url: 'http://up.example/mcp'}}" \
    extra "}\n"

/* Makes what the plan wrote the objects' live status and the applied
 * children live, with a Deployment that finished rolling out. */
static void converge(struct fixture *f, struct ctl_plan *p, struct ctl_live *live)
{
    write_statuses(f, p);
    make_live(p, live);
}

/* The mcp_servers keys of the ConfigMap the plan applies. */
static json_object *planned_servers(struct ctl_plan *p, json_object **ret_cfg)
{
    assert_non_null(p->apply[0]);
    const char *yaml = jobj_get_str(jobj_get_obj(p->apply[0], "data"), "config.yaml");
    *ret_cfg = yaml_obj(yaml);
    return jobj_get_obj(*ret_cfg, "mcp_servers");
}

#define NS(name, labels) "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: " name ", labels: " labels "}\n"

static void test_allowed_routes(void **state)
{
    (void)state;
    static const struct {
        const char *allowed;
        const char *namespaces;     /* Namespace objects the controller sees */
        bool same_ns_in, other_ns_in;
        const char *other_reason;
    } cases[] = {
        { "", "", true, true, NULL },
        { ", allowedRoutes: {namespaces: {from: All}}", "", true, true, NULL },
        { ", allowedRoutes: {namespaces: {from: Same}}", "", true, false, CTL_R_NOT_ALLOWED },
        /* Selector without the Namespaces' labels: nothing admitted, and why */
        { ", allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {team: a}}}}", "", false, false,
          CTL_R_NAMESPACE_LABELS_UNKNOWN },
        { ", allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {team: a}}}}",
          NS("tg", "{team: a}") NS("team", "{team: b}"), true, false, CTL_R_NOT_ALLOWED },
        { ", allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {team: a}}}}",
          NS("tg", "{team: a}") NS("team", "{team: a, x: y}"), true, true, NULL },
        { ", allowedRoutes: {namespaces: {from: Selector, selector: {matchExpressions: [{key: team, operator: "
          "NotIn, values: [a]}]}}}",
          NS("tg", "{team: a}") NS("team", "{}"), false, true, NULL },
        { ", allowedRoutes: {namespaces: {from: Selector, selector: {}}}", NS("tg", "{}") NS("team", "{}"), true,
          true, NULL },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char full[4096];
        snprintf(full, sizeof(full), "%s%s}\n%s%s%s%s", TOOLGW_HEAD, cases[i].allowed, TOOLCLASS,
                 ROUTE("local", "tg", "2026-01-01T00:00:00Z", ""), ROUTE("remote", "team", "2026-01-01T00:00:01Z", ""),
                 cases[i].namespaces);
        struct fixture f;
        load_objs(&f, full);
        struct ctl_plan p;
        assert_int_equal(plan_first(&f, &(struct ctl_live){ 0 }, &p), 0);
        json_object *cfg = NULL, *servers = planned_servers(&p, &cfg);
        if ((jobj_get(servers, "tg_local") != NULL) != cases[i].same_ns_in ||
            (jobj_get(servers, "team_remote") != NULL) != cases[i].other_ns_in)
            fail_msg("case %zu: servers %s", i, json_object_to_json_string(servers));
        json_object *remote = status_of(&p, GW_KIND_TOOLROUTE, "remote");
        assert_non_null(remote);
        if (cases[i].other_reason) {
            assert_string_equal(cond_field(remote, "Accepted", "status"), "False");
            assert_string_equal(cond_field(remote, "Accepted", "reason"), cases[i].other_reason);
            assert_string_equal(cond_field(remote, "Ready", "status"), "False");
            assert_null(json_object_object_get(remote, "url"));
        } else {
            assert_string_equal(cond_field(remote, "Accepted", "status"), "True");
        }
        json_object *gws = status_of(&p, GW_KIND_TOOLGATEWAY, "tools");
        const char *configured = cond_field(gws, "ToolGatewayConfigured", "message");
        assert_non_null(configured);
        if (strstr(configured, "not supported"))
            fail_msg("case %zu: configured message %s", i, configured);
        assert_int_equal(json_object_get_int(json_object_object_get(gws, "attachedRoutes")),
                         (int)cases[i].same_ns_in + (int)cases[i].other_ns_in);
        /* Converged: planning again writes nothing. */
        struct ctl_live live = { 0 };
        converge(&f, &p, &live);
        ctl_plan_release(&p);
        assert_int_equal(plan_first(&f, &live, &p), 0);
        converge(&f, &p, &live);
        ctl_plan_release(&p);
        assert_int_equal(plan_first(&f, &live, &p), 0);
        if (p.n_statuses || p.apply[0] || p.apply[1] || p.apply[2])
            fail_msg("case %zu: converged world planned %zu status writes", i, p.n_statuses);
        ctl_plan_release(&p);
        live_release(&live);
        json_object_put(cfg);
        free_objs(&f);
    }
}

static void test_server_name(void **state)
{
    (void)state;
    struct fixture f;
    load_objs(&f, TOOLGW("") TOOLCLASS ROUTE("weather", "team", "2026-01-01T00:00:00Z", ", serverName: wx")
                        ROUTE("weather2", "other", "2026-01-01T00:00:05Z", ", serverName: wx")
                        ROUTE("plain", "team", "2026-01-01T00:00:09Z", ""));
    struct ctl_plan p;
    assert_int_equal(plan_first(&f, &(struct ctl_live){ 0 }, &p), 0);
    json_object *cfg = NULL, *servers = planned_servers(&p, &cfg);
    assert_non_null(jobj_get(servers, "wx"));
    assert_string_equal(jobj_get_str(jobj_get(servers, "wx"), "description"), "ToolRoute team/weather");
    assert_non_null(jobj_get(servers, "team_plain"));
    assert_int_equal(json_object_object_length(servers), 2);
    struct ctl_live live = { 0 };
    converge(&f, &p, &live);
    ctl_plan_release(&p);
    assert_int_equal(plan_first(&f, &live, &p), 0);
    converge(&f, &p, &live);
    ctl_plan_release(&p);
    /* Ready now: the older route owns the name, in its URL too. */
    assert_int_equal(plan_first(&f, &live, &p), 0);
    assert_int_equal(p.n_statuses, 0);
    json_object *st = json_object_object_get(obj_named(&f, GW_KIND_TOOLROUTE, "weather")->root, "status");
    assert_string_equal(json_object_get_string(json_object_object_get(st, "url")),
                        "http://tools.tg.svc.cluster.local/mcp/wx");
    st = json_object_object_get(obj_named(&f, GW_KIND_TOOLROUTE, "weather2")->root, "status");
    assert_string_equal(cond_field(st, "Ready", "reason"), CTL_R_DUPLICATE_NAME);
    assert_non_null(strstr(cond_field(st, "Ready", "message"), "serverName \"wx\""));
    assert_null(json_object_object_get(st, "url"));
    ctl_plan_release(&p);
    live_release(&live);
    json_object_put(cfg);
    free_objs(&f);
}

static void test_status_models(void **state)
{
    (void)state;
    struct fixture f;
    load_objs(&f, BETA_AI AICLASS);
    struct ctl_plan p;
    assert_int_equal(plan_first(&f, &(struct ctl_live){ 0 }, &p), 0);
    json_object *st = status_of(&p, GW_KIND_AIGATEWAY, "main");
    assert_non_null(st);
    assert_string_equal(json_object_get_string(json_object_object_get(st, "models")), "fast,smart,also-fast,claude");
    assert_null(json_object_object_get(st, "attachedRoutes"));
    assert_int_equal(json_object_get_int(jobj_get(jobj_get_obj(p.apply[1], "spec"), "replicas")), 2);
    struct ctl_live live = { 0 };
    converge(&f, &p, &live);
    ctl_plan_release(&p);
    assert_int_equal(plan_first(&f, &live, &p), 0);
    converge(&f, &p, &live);
    ctl_plan_release(&p);
    assert_int_equal(plan_first(&f, &live, &p), 0);
    assert_int_equal(p.n_statuses, 0);
    assert_null(p.apply[0]);
    assert_null(p.apply[1]);
    ctl_plan_release(&p);
    live_release(&live);
    free_objs(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_models_keys_replicas_resources),
        cmocka_unit_test(test_config_exact),
        cmocka_unit_test(test_no_replicas_unless_set),
        cmocka_unit_test(test_model_key_secret_hashed),
        cmocka_unit_test(test_corrupt_annotation_refused),
        cmocka_unit_test(test_allowed_routes),
        cmocka_unit_test(test_server_name),
        cmocka_unit_test(test_status_models),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
