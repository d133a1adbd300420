/* POST /preview of objects written in v1beta1: the config is the one the
 * controller renders from the stored (v1alpha1) object, per-model model,
 * apiBase and apiKeySecretRef and allowedRoutes selectors included. */
#include "testutil.h"

#include "admission.h"
#include "jsonutil.h"
#include "render.h"
#include "resolve.h"
#include "webhook.h"

#define V1B1 "apiVersion: runtime.agentic-layer.ai/v1beta1\n"

#define BETA_AI                                                                                            \
    V1B1 "kind: AiGateway\nmetadata: {name: main, namespace: ai}\n"                                        \
         "spec:\n"                                                                                          \
         "  models:\n"                                                                                      \
         "  - {name: fast, provider: openai, model: gpt-4o-mini, apiBase: 'http://up-a.ai:8080/v1',\n"      \
         "     apiKeySecretRef: {name: keys, key: team-a}}\n"                                               \
         "  - {name: smart, provider: openai, apiBase: 'http://up-b.ai:8080/v1',\n"                         \
         "     apiKeySecretRef: {name: keys, key: team-b}}\n"                                               \
         "  - {name: claude, provider: anthropic}\n"

static char *to_json(const char *yaml)
{
    json_object *o = yaml_obj(yaml);
    char *s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    return s;
}

/* The config the controller renders for the first gateway of text (no
 * guards): objects stored and read the controller's way (testutil.h). */
static char *controller_config(const char *text)
{
    struct fixture f;
    load_objs(&f, text);
    const struct gw_object *gw = NULL;
    for (size_t i = 0; i < f.n && !gw; i++)
        if (f.objs[i]->kind == GW_KIND_AIGATEWAY || f.objs[i]->kind == GW_KIND_TOOLGATEWAY)
            gw = f.objs[i];
    assert_non_null(gw);
    struct gw_objset set = { (const struct gw_object *const *)f.objs, f.n };
    struct gw_render_input in = { .gateway = gw };
    struct gw_route_input *routes = NULL;
    struct gw_secret_version *secrets = NULL;
    if (gw->kind == GW_KIND_TOOLGATEWAY)
        assert_int_equal(gw_attached_routes(gw, &set, &routes, &in.n_routes), 0);
    in.routes = routes;
    assert_int_equal(gw_secret_versions(&in, &set, &secrets, &in.n_secrets), 0);
    in.secrets = secrets;
    struct gw_render_output out;
    assert_int_equal(gw_render(&in, &out), 0);
    char *cfg = strdup(out.config_yaml);
    gw_render_output_release(&out);
    free(routes);
    free(secrets);
    free_objs(&f);
    return cfg;
}

static void preview_ok(const char *json_body, struct wh_reply *rep)
{
    assert_int_equal(wh_handle(WH_EP_PREVIEW, json_body, strlen(json_body), rep), 0);
    if (rep->status != 200)
        fail_msg("preview answered %u: %.*s", rep->status, (int)rep->body_len, rep->body);
}

static void test_beta_models(void **state)
{
    (void)state;
    char *body = to_json(BETA_AI);
    struct wh_reply rep;
    preview_ok(body, &rep);
    char *want = controller_config(BETA_AI);
    assert_string_equal(rep.body, want);
    /* What the per-model fields say is in it. */
    json_object *cfg = yaml_obj(rep.body);
    json_object *list = jobj_get(cfg, "model_list");
    assert_int_equal(json_object_array_length(list), 3);
    json_object *fast = jobj_get(json_object_array_get_idx(list, 0), "litellm_params");
    assert_string_equal(jobj_get_str(fast, "model"), "openai/gpt-4o-mini");
    assert_string_equal(jobj_get_str(fast, "api_base"), "http://up-a.ai:8080/v1");
    json_object *smart = jobj_get(json_object_array_get_idx(list, 1), "litellm_params");
    assert_string_equal(jobj_get_str(smart, "api_base"), "http://up-b.ai:8080/v1");
    const char *key_a = jobj_get_str(fast, "api_key"), *key_b = jobj_get_str(smart, "api_key");
    assert_non_null(key_a);
    assert_non_null(key_b);
    assert_string_not_equal(key_a, key_b);
    assert_string_not_equal(key_a, "os.environ/OPENAI_API_KEY");
    json_object *claude = jobj_get(json_object_array_get_idx(list, 2), "litellm_params");
    assert_string_equal(jobj_get_str(claude, "api_key"), "os.environ/ANTHROPIC_API_KEY");
    json_object_put(cfg);
    wh_reply_release(&rep);
    free(body);

    /* The same object as the API server stores it (v1alpha1 with the
     * conversion annotation) previews the same. */
    json_object *beta = yaml_obj(BETA_AI), *stored = NULL;
    struct gw_errlist e;
    errlist_init(&e);
    assert_int_equal(gw_convert(beta, GW_API_V1ALPHA1, &stored, &e), 0);
    body = strdup(json_object_to_json_string_ext(stored, JSON_C_TO_STRING_PLAIN));
    preview_ok(body, &rep);
    assert_string_equal(rep.body, want);
    wh_reply_release(&rep);
    free(body);
    json_object_put(stored);
    json_object_put(beta);
    errlist_free(&e);
    free(want);
}

/* An invalid v1beta1 object: refused with the path the user wrote. */
static void test_beta_invalid(void **state)
{
    (void)state;
    char *body = to_json(V1B1 "kind: AiGateway\nmetadata: {name: main, namespace: ai}\n"
                              "spec: {models: [{name: fast, provider: openai, apiBase: 'ftp://x'}]}\n");
    struct wh_reply rep;
    assert_int_equal(wh_handle(WH_EP_PREVIEW, body, strlen(body), &rep), 0);
    assert_int_equal(rep.status, 422);
    assert_int_equal(rep.verdict, WH_V_DENIED);
    json_object *o = NULL;
    char *err = NULL;
    assert_int_equal(gw_json_parse(rep.body, rep.body_len, 64, &o, &err), 0);
    assert_string_equal(jobj_get_str(o, "message"), "AiGateway.runtime.agentic-layer.ai \"main\" is invalid: "
                                                    "spec.models[0].apiBase: Invalid value: must be an http:// or "
                                                    "https:// URL");
    json_object_put(o);
    wh_reply_release(&rep);
    free(body);
}

#define SEL_LIST                                                                                             \
    "apiVersion: v1\nkind: List\nitems:\n"                                                                   \
    "- " V1B1 "  kind: ToolGateway\n  metadata: {name: tools, namespace: tg}\n"                            \
    "  spec: {allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {team: a}}}}}\n"          \
    "- " V1B1 "  kind: ToolRoute\n  metadata: {name: in, namespace: team-a}\n"                             \
    "  spec: {gatewayRef: {name: tools, namespace: tg}, serverName: wx,\n"                                   \
    "         upstream: {external: {url: 'http://in.example/mcp'}}}\n"                                       \
    "- " V1B1 "  kind: ToolRoute\n  metadata: {name: out, namespace: team-b}\n"                            \
    "  spec: {gatewayRef: {name: tools, namespace: tg}, upstream: {external: {url: 'http://out.example/mcp'}}}\n" \
    "- {apiVersion: v1, kind: Namespace, metadata: {name: team-a, labels: {team: a}}}\n"                   \
    "- {apiVersion: v1, kind: Namespace, metadata: {name: team-b, labels: {team: b}}}\n"

/* A ToolGateway with a selector: the Namespaces of the List decide, and
 * serverName names the route's server. */
static void test_beta_selector(void **state)
{
    (void)state;
    char *body = to_json(SEL_LIST);
    struct wh_reply rep;
    preview_ok(body, &rep);
    json_object *cfg = yaml_obj(rep.body);
    json_object *servers = jobj_get(cfg, "mcp_servers");
    assert_non_null(jobj_get(servers, "wx"));
    assert_int_equal(json_object_object_length(servers), 1);
    json_object_put(cfg);
    /* The route left out is named, with the reason its status gives. */
    assert_int_equal(rep.n_warnings, 1);
    assert_string_equal(rep.warnings[0], "spec.allowedRoutes: ToolRoute team-b/out is not admitted: the labels of "
                                         "the route's namespace do not match the ToolGateway's "
                                         "allowedRoutes.namespaces.selector");
    /* The same objects the controller's way, one YAML stream. */
    json_object *list = yaml_obj(SEL_LIST);
    struct strbuf docs;
    sb_init(&docs, 1 << 20);
    for (size_t i = 0; i < json_object_array_length(jobj_get(list, "items")); i++)
        sb_addf(&docs, "---\n%s\n", json_object_to_json_string(json_object_array_get_idx(jobj_get(list, "items"), i)));
    char *want = controller_config(sb_str(&docs));
    assert_string_equal(rep.body, want);
    free(want);
    sb_release(&docs);
    json_object_put(list);
    wh_reply_release(&rep);
    free(body);

    /* Without the Namespaces the labels are unknown: nothing admitted, and
     * the warning says what to add. */
    body = to_json("apiVersion: v1\nkind: List\nitems:\n"
                   "- " V1B1 "  kind: ToolGateway\n  metadata: {name: tools, namespace: tg}\n"
                   "  spec: {allowedRoutes: {namespaces: {from: Selector, selector: {}}}}\n"
                   "- " V1B1 "  kind: ToolRoute\n  metadata: {name: in, namespace: team-a}\n"
                   "  spec: {gatewayRef: {name: tools, namespace: tg}, upstream: {external: {url: 'http://in/mcp'}}}\n");
    preview_ok(body, &rep);
    assert_int_equal(rep.n_warnings, 1);
    assert_non_null(strstr(rep.warnings[0], "ToolRoute team-a/in is not admitted: "));
    assert_non_null(strstr(rep.warnings[0], "(add the route's Namespace to the List)"));
    cfg = yaml_obj(rep.body);
    servers = jobj_get(cfg, "mcp_servers");
    assert_true(!servers || json_object_object_length(servers) == 0);
    json_object_put(cfg);
    wh_reply_release(&rep);
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_beta_models),
        cmocka_unit_test(test_beta_invalid),
        cmocka_unit_test(test_beta_selector),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
