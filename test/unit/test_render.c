/* Rendering: the exact LiteLLM config, determinism, MCP server keys, tool
 * filters, guardrails, hashes. */
#include "testutil.h"

#include "jsonutil.h"
#include "render.h"
#include "resolve.h"
#include "textutil.h"
#include "yamlout.h"

/* Renders the first gateway in f with everything resolved from f. */
static int render_first(struct fixture *f, struct gw_render_output *out, const char *const *tools, size_t n_tools)
{
    struct gw_objset set = { (const struct gw_object *const *)f->objs, f->n };
    const struct gw_object *gw = NULL;
    for (size_t i = 0; i < f->n && !gw; i++)
        if (f->objs[i]->kind == GW_KIND_AIGATEWAY || f->objs[i]->kind == GW_KIND_TOOLGATEWAY)
            gw = f->objs[i];
    assert_non_null(gw);
    struct gw_render_input in = { .gateway = gw };
    struct gw_resolved_guard *guards = NULL;
    struct gw_route_input *routes = NULL;
    struct gw_secret_version *secrets = NULL;
    assert_int_equal(gw_resolve_guards(gw, &set, &guards, &in.n_guards), 0);
    in.guards = guards;
    if (gw->kind == GW_KIND_TOOLGATEWAY) {
        assert_int_equal(gw_attached_routes(gw, &set, &routes, &in.n_routes), 0);
        for (size_t i = 0; i < in.n_routes; i++) {
            routes[i].known_tools = tools;
            routes[i].n_known_tools = n_tools;
        }
    }
    in.routes = routes;
    assert_int_equal(gw_secret_versions(&in, &set, &secrets, &in.n_secrets), 0);
    in.secrets = secrets;
    int r = gw_render(&in, out);
    free(guards);
    free(routes);
    free(secrets);
    return r;
}

#define AIGW "apiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: AiGateway\n"

static void test_ai_config_exact(void **state)
{
    (void)state;
    struct fixture f;
    load_objs(&f, AIGW "metadata: {name: main, namespace: ai}\n"
                       "spec: {aiModels: [{name: gpt-4o, provider: openai}, {name: llama-3, provider: together-ai}]}\n");
    struct gw_render_output out;
    assert_int_equal(render_first(&f, &out, NULL, 0), 0);
    assert_string_equal(out.config_yaml,
                        "litellm_settings:\n"
                        "  callbacks:\n"
                        "  - \"prometheus\"\n"
                        "  request_timeout: 600\n"
                        "model_list:\n"
                        "- litellm_params:\n"
                        "    api_key: \"os.environ/OPENAI_API_KEY\"\n"
                        "    model: \"openai/gpt-4o\"\n"
                        "  model_name: \"gpt-4o\"\n"
                        "- litellm_params:\n"
                        "    api_key: \"os.environ/TOGETHER_AI_API_KEY\"\n"
                        "    model: \"together-ai/llama-3\"\n"
                        "  model_name: \"llama-3\"\n");
    gw_render_output_release(&out);
    free_objs(&f);
}

static char *all_bytes(struct gw_render_output *out)
{
    char *a = NULL, *b = NULL, *c = NULL;
    assert_int_equal(gw_json_emit_sorted(out->configmap, &a, NULL), 0);
    assert_int_equal(gw_json_emit_sorted(out->deployment, &b, NULL), 0);
    assert_int_equal(gw_json_emit_sorted(out->service, &c, NULL), 0);
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *all = malloc(n);
    snprintf(all, n, "%s%s%s", a, b, c);
    free(a);
    free(b);
    free(c);
    return all;
}

static void test_map_order_does_not_change_bytes(void **state)
{
    (void)state;
    struct fixture f1, f2;
    load_objs(&f1, AIGW "metadata: {name: main, namespace: ai, uid: u1}\n"
                        "spec:\n  port: 8080\n  aiModels: [{name: a, provider: openai}, {provider: mistral, name: b}]\n"
                        "  commonMetadata: {labels: {x: '1', a: '2'}, annotations: {z: '1', b: '2'}}\n"
                        "  podMetadata: {labels: {p: q, c: d}}\n"
                        "  env: [{name: A, value: '1'}]\n");
    load_objs(&f2, "kind: AiGateway\napiVersion: runtime.agentic-layer.ai/v1alpha1\n"
                   "spec:\n  env: [{value: '1', name: A}]\n  podMetadata: {labels: {c: d, p: q}}\n"
                   "  commonMetadata: {annotations: {b: '2', z: '1'}, labels: {a: '2', x: '1'}}\n"
                   "  aiModels: [{provider: openai, name: a}, {name: b, provider: mistral}]\n  port: 8080\n"
                   "metadata: {uid: u1, namespace: ai, name: main}\n");
    struct gw_render_output o1, o2;
    assert_int_equal(render_first(&f1, &o1, NULL, 0), 0);
    assert_int_equal(render_first(&f2, &o2, NULL, 0), 0);
    assert_string_equal(o1.config_yaml, o2.config_yaml);
    assert_string_equal(o1.config_hash, o2.config_hash);
    char *b1 = all_bytes(&o1), *b2 = all_bytes(&o2);
    assert_string_equal(b1, b2);
    free(b1);
    free(b2);
    gw_render_output_release(&o1);
    gw_render_output_release(&o2);
    free_objs(&f1);
    free_objs(&f2);
}

static void test_config_hash_follows_config(void **state)
{
    (void)state;
    struct fixture f1, f2;
    load_objs(&f1, AIGW "metadata: {name: main, namespace: ai}\nspec: {aiModels: [{name: a, provider: openai}]}\n");
    load_objs(&f2, AIGW "metadata: {name: main, namespace: ai}\nspec: {aiModels: [{name: b, provider: openai}]}\n");
    struct gw_render_output o1, o2;
    assert_int_equal(render_first(&f1, &o1, NULL, 0), 0);
    assert_int_equal(render_first(&f2, &o2, NULL, 0), 0);
    assert_string_not_equal(o1.config_hash, o2.config_hash);
    json_object *ann = json_object_object_get(
        json_object_object_get(json_object_object_get(json_object_object_get(o1.deployment, "spec"), "template"),
                               "metadata"), "annotations");
    assert_string_equal(json_object_get_string(json_object_object_get(ann, GW_ANN_CONFIG_HASH)), o1.config_hash);
    gw_render_output_release(&o1);
    gw_render_output_release(&o2);
    free_objs(&f1);
    free_objs(&f2);
}

static void test_secret_hash_follows_secret_versions(void **state)
{
    (void)state;
    const char *gw = AIGW "metadata: {name: main, namespace: ai}\nspec: {aiModels: [{name: a, provider: openai}]}\n";
    char t1[1024], t2[1024];
    snprintf(t1, sizeof(t1), "%s---\napiVersion: v1\nkind: Secret\nmetadata: {name: api-key-secrets, namespace: ai, uid: s1, resourceVersion: '10'}\n", gw);
    snprintf(t2, sizeof(t2), "%s---\napiVersion: v1\nkind: Secret\nmetadata: {name: api-key-secrets, namespace: ai, uid: s1, resourceVersion: '11'}\n", gw);
    struct fixture f1, f2, f3;
    load_objs(&f1, t1);
    load_objs(&f2, t2);
    load_objs(&f3, gw);
    struct gw_render_output o1, o2, o3;
    assert_int_equal(render_first(&f1, &o1, NULL, 0), 0);
    assert_int_equal(render_first(&f2, &o2, NULL, 0), 0);
    assert_int_equal(render_first(&f3, &o3, NULL, 0), 0);
    assert_string_not_equal(o1.secret_hash, o2.secret_hash);
    assert_string_not_equal(o1.secret_hash, o3.secret_hash);
    assert_string_equal(o1.config_hash, o2.config_hash);
    gw_render_output_release(&o1);
    gw_render_output_release(&o2);
    gw_render_output_release(&o3);
    free_objs(&f1);
    free_objs(&f2);
    free_objs(&f3);
}

static void test_patch_applied_and_broken_patch_refused(void **state)
{
    (void)state;
    struct fixture f;
    load_objs(&f, AIGW "metadata:\n  name: main\n  namespace: ai\n  annotations:\n"
                       "    ai-gateway-litellm.agentic-layer.ai/config-patch: |\n"
                       "      litellm_settings: {request_timeout: 30, callbacks: null}\n"
                       "      model_list: [{model_name: a, litellm_params: {api_base: 'http://up:8000/v1'}}]\n"
                       "spec: {aiModels: [{name: a, provider: openai}]}\n");
    struct gw_render_output out;
    assert_int_equal(render_first(&f, &out, NULL, 0), 0);
    assert_string_equal(out.config_yaml,
                        "litellm_settings:\n  request_timeout: 30\nmodel_list:\n- litellm_params:\n"
                        "    api_base: \"http://up:8000/v1\"\n    api_key: \"os.environ/OPENAI_API_KEY\"\n"
                        "    model: \"openai/a\"\n  model_name: \"a\"\n");
    gw_render_output_release(&out);
    free_objs(&f);
    load_objs(&f, AIGW "metadata:\n  name: main\n  namespace: ai\n  annotations:\n"
                       "    ai-gateway-litellm.agentic-layer.ai/config-patch: 'model_list: 3'\n"
                       "spec: {aiModels: [{name: a, provider: openai}]}\n");
    assert_int_equal(render_first(&f, &out, NULL, 0), -22);
    assert_has(out.errors, "metadata.annotations[ai-gateway-litellm.agentic-layer.ai/config-patch]: Invalid value: "
                           "\"model_list\": model_list must be a list in the merged config");
    assert_null(out.deployment);
    gw_render_output_release(&out);
    free_objs(&f);
}

#define GUARDS_YAML                                                                                       \
    AIGW "metadata: {name: main, namespace: ai}\n"                                                        \
    "spec: {aiModels: [{name: a, provider: openai}], guardrails: [{name: pii}, {name: mod}]}\n---\n"       \
    "apiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: Guard\nmetadata: {name: pii, namespace: ai}\n" \
    "spec: {mode: [pre_call, post_call], providerRef: {name: presidio},\n"                                 \
    "  presidio: {scoreThresholds: {ALL: '0.5'}, entityActions: {EMAIL_ADDRESS: MASK, US_SSN: BLOCK}}}\n---\n" \
    "apiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: GuardrailProvider\n"                            \
    "metadata: {name: presidio, namespace: ai}\nspec: {type: presidio-api, presidio: {baseUrl: 'http://presidio:3000'}}\n---\n" \
    "apiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: Guard\nmetadata: {name: mod, namespace: ai}\n" \
    "spec: {mode: [pre_call], providerRef: {name: openai-mod}, openaiModeration: {model: omni-moderation-latest}}\n---\n" \
    "apiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: GuardrailProvider\nmetadata: {name: openai-mod, namespace: %s}\n" \
    "spec: {type: openai-moderation-api, openaiModeration: {apiKeySecretRef: {name: openai, key: api-key}}}\n"

static char *deployment_json(struct gw_render_output *out)
{
    char *dep = NULL;
    assert_int_equal(gw_json_emit_sorted(out->deployment, &dep, NULL), 0);
    return dep;
}

/* LiteLLM refuses to start without a master key unless told to; a master
 * key set through the patch turns the permission off. */
static void test_master_key_permission_follows_the_patch(void **state)
{
    (void)state;
    static const char *const permit = "{\"name\":\"LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY\",\"value\":\"true\"}";
    struct fixture f;
    load_objs(&f, AIGW "metadata: {name: main, namespace: ai}\nspec: {aiModels: [{name: a, provider: openai}]}\n");
    struct gw_render_output out;
    assert_int_equal(render_first(&f, &out, NULL, 0), 0);
    char *dep = deployment_json(&out);
    assert_non_null(strstr(dep, permit));
    free(dep);
    gw_render_output_release(&out);
    free_objs(&f);
    load_objs(&f, AIGW "metadata:\n  name: main\n  namespace: ai\n  annotations:\n"
                       "    ai-gateway-litellm.agentic-layer.ai/config-patch: |\n"
                       "      general_settings: {master_key: os.environ/LITELLM_MASTER_KEY}\n"
                       "spec: {aiModels: [{name: a, provider: openai}]}\n");
    assert_int_equal(render_first(&f, &out, NULL, 0), 0);
    dep = deployment_json(&out);
    assert_null(strstr(dep, "LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY"));
    free(dep);
    gw_render_output_release(&out);
    free_objs(&f);
}

/* On a ToolGateway only the MCP hooks LiteLLM has for a guardrail type are
 * rendered; the rest is reported, and a guardrail with none is left out. */
static void test_tool_gateway_guard_modes(void **state)
{
    (void)state;
    struct fixture f;
    load_objs(&f, "apiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: ToolGateway\n"
                  "metadata: {name: tools, namespace: tg}\nspec: {guardrails: [{name: pii}, {name: mod}]}\n---\n"
                  "apiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: Guard\nmetadata: {name: pii, namespace: tg}\n"
                  "spec: {mode: [pre_call, during_call, post_call], providerRef: {name: presidio}}\n---\n"
                  "apiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: GuardrailProvider\nmetadata: {name: presidio, namespace: tg}\n"
                  "spec: {type: presidio-api, presidio: {baseUrl: 'http://presidio:3000', apiKeySecretRef: {name: p, key: k}}}\n---\n"
                  "apiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: Guard\nmetadata: {name: mod, namespace: tg}\n"
                  "spec: {mode: [pre_call], providerRef: {name: oai}}\n---\n"
                  "apiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: GuardrailProvider\nmetadata: {name: oai, namespace: tg}\n"
                  "spec: {type: openai-moderation-api, openaiModeration: {apiKeySecretRef: {name: o, key: k}}}\n");
    struct gw_render_output out;
    assert_int_equal(render_first(&f, &out, NULL, 0), 0);
    assert_non_null(strstr(out.config_yaml, "    mode:\n    - \"pre_mcp_call\"\n    - \"post_mcp_call\"\n"));
    assert_null(strstr(out.config_yaml, "during_mcp_call"));
    assert_null(strstr(out.config_yaml, "openai_moderation"));
    /* Presidio gets no credentials from LiteLLM: nothing is mounted. */
    assert_null(strstr(out.config_yaml, "api_key"));
    char *dep = deployment_json(&out);
    assert_null(strstr(dep, "secretKeyRef"));
    free(dep);
    assert_true(errlist_contains(&out.warnings, "spec.guardrails[0]: Guard tg/pii: mode during_call is not applied: LiteLLM "
                                                GW_LITELLM_VERSION " has no MCP hook for it with this guardrail type"));
    assert_true(errlist_contains(&out.warnings, "spec.guardrails[1]: Guard tg/mod: mode pre_call is not applied: LiteLLM "
                                                GW_LITELLM_VERSION " has no MCP hook for it with this guardrail type"));
    assert_true(errlist_contains(&out.warnings, "spec.guardrails[0]: GuardrailProvider tg/presidio: "
                                                "spec.presidio.apiKeySecretRef has no effect: LiteLLM " GW_LITELLM_VERSION
                                                " sends no credentials to Presidio"));
    gw_render_output_release(&out);
    free_objs(&f);
}

static void test_guardrails_rendered(void **state)
{
    (void)state;
    char text[4096];
    snprintf(text, sizeof(text), GUARDS_YAML "---\napiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: Guard\n"
                                            "metadata: {name: unused, namespace: ai}\nspec: {mode: [pre_call]}\n", "ai");
    /* keep the format happy: one %s */
    struct fixture f;
    load_objs(&f, text);
    struct gw_render_output out;
    assert_int_equal(render_first(&f, &out, NULL, 0), 0);
    assert_non_null(strstr(out.config_yaml, "guardrails:\n- guardrail_name: \"pii\"\n  litellm_params:\n"
                                            "    default_on: true\n    guardrail: \"presidio\"\n    mode:\n"
                                            "    - \"pre_call\"\n    - \"post_call\"\n    pii_entities_config:\n"
                                            "      EMAIL_ADDRESS: \"MASK\"\n      US_SSN: \"BLOCK\"\n"));
    assert_non_null(strstr(out.config_yaml, "    presidio_score_thresholds:\n      ALL: 0.5\n"));
    assert_non_null(strstr(out.config_yaml, "    guardrail: \"openai_moderation\"\n    mode: \"pre_call\"\n"
                                            "    model: \"omni-moderation-latest\"\n"));
    /* The moderation key comes from the Secret as env, never the ConfigMap. */
    char *dep = NULL;
    assert_int_equal(gw_json_emit_sorted(out.deployment, &dep, NULL), 0);
    assert_non_null(strstr(dep, "\"secretKeyRef\":{\"key\":\"api-key\",\"name\":\"openai\"}"));
    assert_non_null(strstr(out.config_yaml, "api_key: \"os.environ/GUARDRAIL_OPENAI_MOD_"));
    free(dep);
    gw_render_output_release(&out);
    free_objs(&f);
}

static void test_guard_problems_reported(void **state)
{
    (void)state;
    char text[4096];
    /* The moderation provider lives in another namespace with its Secret. */
    snprintf(text, sizeof(text), GUARDS_YAML, "guards");
    struct fixture f;
    load_objs(&f, text);
    struct gw_render_output out;
    assert_int_equal(render_first(&f, &out, NULL, 0), -22);
    assert_has(out.errors, "spec.guardrails[1]: Invalid value: \"mod\": GuardrailProvider ai/openai-mod of Guard "
                           "ai/mod was not found");
    assert_null(out.deployment);
    gw_render_output_release(&out);
    free_objs(&f);
    /* Found across namespaces, but its Secret is out of the pods' reach. */
    snprintf(text, sizeof(text), GUARDS_YAML, "guards");
    char *at = strstr(text, "providerRef: {name: openai-mod}");
    assert_non_null(at);
    char fixed[4096];
    snprintf(fixed, sizeof(fixed), "%.*sproviderRef: {name: openai-mod, namespace: guards}%s", (int)(at - text), text,
             at + strlen("providerRef: {name: openai-mod}"));
    load_objs(&f, fixed);
    assert_int_equal(render_first(&f, &out, NULL, 0), -22);
    assert_has(out.errors, "spec.guardrails[1]: Invalid value: \"openai-mod\": GuardrailProvider guards/openai-mod "
                           "references its API key Secret in namespace guards, but the gateway's pods run in ai and can "
                           "only read Secrets there");
    assert_int_equal(out.errors.n, 1);
    gw_render_output_release(&out);
    free_objs(&f);
}

#define TOOLGW "apiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: ToolGateway\nmetadata: {name: tools, namespace: tg}\nspec: {}\n"
#define ROUTE(name, ns, extra) "---\napiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: ToolRoute\n" \
    "metadata: {name: " name ", namespace: " ns "}\nspec: {toolGatewayRef: {name: tools, namespace: tg}, " extra "}\n"
#define SERVER "---\napiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: ToolServer\n" \
    "metadata: {name: weather, namespace: team}\nspec: {protocol: mcp, transportType: http, port: 8000, path: /mcp}\n"

static void test_routes_keys_urls_and_filters(void **state)
{
    (void)state;
    struct fixture f;
    load_objs(&f, TOOLGW SERVER
              ROUTE("weather", "team", "upstream: {toolServerRef: {name: weather}}, toolFilter: {allow: [get_weather, get_time, echo], deny: [echo]}")
              ROUTE("ext", "team", "upstream: {external: {url: 'https://mcp.example.com/mcp'}}, toolFilter: {deny: [delete_everything]}")
              ROUTE("lost", "team", "upstream: {toolServerRef: {name: nowhere}}"));
    struct gw_render_output out;
    assert_int_equal(render_first(&f, &out, NULL, 0), 0);
    assert_int_equal(out.n_routes, 3);
    /* sorted by namespace/name: ext, lost, weather */
    assert_string_equal(out.routes[0].key, "team_ext");
    assert_string_equal(out.routes[0].url, "http://tools.tg.svc.cluster.local/mcp/team_ext");
    assert_int_equal(out.routes[1].state, GW_ROUTE_UNRESOLVED);
    assert_string_equal(out.routes[1].reason, "UpstreamUnresolved");
    assert_string_equal(out.routes[1].message, "ToolServer team/nowhere not found");
    assert_null(out.routes[1].url);
    assert_string_equal(out.routes[2].key, "team_weather");
    assert_string_equal(out.routes[2].message, "exactly 2 allowed tools exposed");
    assert_string_equal(out.gateway_url, "http://tools.tg.svc.cluster.local");
    assert_non_null(strstr(out.config_yaml,
                           "mcp_servers:\n  team_ext:\n    allow_all_keys: true\n    description: \"ToolRoute team/ext\"\n    disallowed_tools:\n"
                           "    - \"delete_everything\"\n    transport: \"http\"\n    url: \"https://mcp.example.com/mcp\"\n"
                           "  team_weather:\n    allow_all_keys: true\n    allowed_tools:\n    - \"get_weather\"\n    - \"get_time\"\n"
                           "    description: \"ToolRoute team/weather\"\n    transport: \"http\"\n"
                           "    url: \"http://weather.team.svc.cluster.local:8000/mcp\"\n"));
    assert_null(strstr(out.config_yaml, "team_lost"));
    gw_render_output_release(&out);
    free_objs(&f);
}

static void test_globs_fail_closed_or_expand(void **state)
{
    (void)state;
    struct fixture f;
    load_objs(&f, TOOLGW SERVER ROUTE("weather", "team", "upstream: {toolServerRef: {name: weather}}, toolFilter: {allow: ['get_*'], deny: [get_secret]}"));
    struct gw_render_output out;
    assert_int_equal(render_first(&f, &out, NULL, 0), 0);
    assert_int_equal(out.routes[0].state, GW_ROUTE_FILTER_UNENFORCEABLE);
    assert_string_equal(out.routes[0].message, "LiteLLM " GW_LITELLM_VERSION " matches exact tool names only, so the "
                                               "patterns \"get_*\" cannot be enforced until the upstream's tools are "
                                               "listed; the route is not exposed");
    assert_null(strstr(out.config_yaml, "team_weather"));
    gw_render_output_release(&out);
    static const char *const tools[] = { "get_weather", "get_secret", "echo", "get_time" };
    assert_int_equal(render_first(&f, &out, tools, 4), 0);
    assert_int_equal(out.routes[0].state, GW_ROUTE_READY);
    assert_string_equal(out.routes[0].message, "filter expanded against the upstream's tools: 2 of 4 exposed");
    assert_non_null(strstr(out.config_yaml, "allowed_tools:\n    - \"get_weather\"\n    - \"get_time\"\n"));
    gw_render_output_release(&out);
    free_objs(&f);
}

static struct gw_object *route_obj(const char *ns, const char *name, const char *created)
{
    char text[1024];
    snprintf(text, sizeof(text), "apiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: ToolRoute\n"
                                 "metadata: {name: %s, namespace: %s, creationTimestamp: '%s'}\n"
                                 "spec: {upstream: {external: {url: 'http://x'}}}\n", name, ns, created);
    json_object *o = yaml_obj(text);
    struct gw_object *r = NULL;
    struct gw_errlist e;
    errlist_init(&e);
    assert_int_equal(gw_object_parse(o, &r, &e), 0);
    json_object_put(o);
    errlist_free(&e);
    return r;
}

static void test_route_keys_collision_and_length(void **state)
{
    (void)state;
    struct gw_object *r[4] = {
        route_obj("a-b", "c", "2026-01-02T00:00:00Z"),   /* sanitizes to a_b_c, newer */
        route_obj("a", "b-c", "2026-01-01T00:00:00Z"),   /* sanitizes to a_b_c, older: keeps it */
        route_obj("team", "a-very-long-route-name-for-the-weather-service", "2026-01-01T00:00:00Z"),
        route_obj("x", "y.z", "2026-01-01T00:00:00Z"),
    };
    char **keys = NULL;
    assert_int_equal(gw_route_keys((const struct gw_object *const *)r, 4, &keys), 0);
    assert_string_equal(keys[1], "a_b_c");
    assert_int_equal(strncmp(keys[0], "a_b_c_", 6), 0);
    assert_int_equal(strlen(keys[0]), 6 + 8);
    assert_int_equal(strlen(keys[2]), GW_MCP_KEY_MAX);
    assert_int_equal(strncmp(keys[2], "team_a_very_lon_", 16), 0);
    assert_string_equal(keys[3], "x_y_z");
    for (int i = 0; i < 4; i++)
        for (const char *p = keys[i]; *p; p++)
            assert_true(isalnum_ascii(*p) || *p == '_');
    /* Stable: the same set in another order gives the same keys. */
    struct gw_object *rev[4] = { r[3], r[2], r[1], r[0] };
    char **keys2 = NULL;
    assert_int_equal(gw_route_keys((const struct gw_object *const *)rev, 4, &keys2), 0);
    for (int i = 0; i < 4; i++)
        assert_string_equal(keys[i], keys2[3 - i]);
    for (int i = 0; i < 4; i++) {
        free(keys[i]);
        free(keys2[i]);
        gw_object_free(r[i]);
    }
    free(keys);
    free(keys2);
}

static void test_default_toolgateway(void **state)
{
    (void)state;
    struct fixture f;
    load_objs(&f, TOOLGW "---\napiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: ToolRoute\n"
                         "metadata: {name: r, namespace: team}\nspec: {upstream: {external: {url: 'http://x'}}}\n");
    struct gw_objset set = { (const struct gw_object *const *)f.objs, f.n };
    const char *why = NULL;
    assert_ptr_equal(gw_route_gateway(f.objs[1], &set, &why), f.objs[0]);
    free_objs(&f);
    load_objs(&f, TOOLGW "---\napiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: ToolGateway\n"
                         "metadata: {name: other, namespace: tg}\nspec: {}\n---\n"
                         "apiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: ToolRoute\n"
                         "metadata: {name: r, namespace: team}\nspec: {upstream: {external: {url: 'http://x'}}}\n");
    set = (struct gw_objset){ (const struct gw_object *const *)f.objs, f.n };
    assert_null(gw_route_gateway(f.objs[2], &set, &why));
    assert_string_equal(why, "several ToolGateways exist and none is marked toolgateway.agentic-layer.ai/is-default=true");
    free_objs(&f);
}

/* The env var named name in the Deployment's container, or NULL. */
static const char *container_env_value(json_object *deployment, const char *name)
{
    json_object *c = json_object_array_get_idx(
        jobj_get_arr(jobj_get(jobj_get(jobj_get(deployment, "spec"), "template"), "spec"), "containers"), 0);
    json_object *env = jobj_get_arr(c, "env");
    for (size_t i = 0; env && i < json_object_array_length(env); i++) {
        json_object *e = json_object_array_get_idx(env, i);
        if (strcmp(jobj_get_str(e, "name"), name) == 0)
            return jobj_get_str(e, "value");
    }
    return NULL;
}

static int render_otlp(const char *text, const char *endpoint, struct gw_render_output *out)
{
    struct fixture f = { 0 };
    load_objs(&f, text);
    struct gw_render_input in = { .gateway = f.objs[0], .otlp_endpoint = endpoint };
    int r = gw_render(&in, out);
    free_objs(&f);
    return r;
}

/* Tracing: the operator's endpoint adds the otel callback and the OTEL_*
 * environment; a gateway's patch can set its own endpoint or turn it off. */
static void test_otlp_endpoint(void **state)
{
    (void)state;
    const char *plain = AIGW "metadata: {name: main, namespace: ai}\nspec: {aiModels: [{name: m, provider: openai}]}\n";
    struct gw_render_output out;
    assert_int_equal(render_otlp(plain, NULL, &out), 0);
    assert_null(strstr(out.config_yaml, "otel"));
    assert_null(container_env_value(out.deployment, "OTEL_EXPORTER_OTLP_ENDPOINT"));
    gw_render_output_release(&out);

    assert_int_equal(render_otlp(plain, "http://collector:4318", &out), 0);
    assert_non_null(strstr(out.config_yaml, "  callbacks:\n  - \"prometheus\"\n  - \"otel\"\n"));
    assert_string_equal(container_env_value(out.deployment, "OTEL_EXPORTER"), "otlp_http");
    assert_string_equal(container_env_value(out.deployment, "OTEL_EXPORTER_OTLP_ENDPOINT"), "http://collector:4318");
    assert_string_equal(container_env_value(out.deployment, "OTEL_SERVICE_NAME"), "main");
    gw_render_output_release(&out);

#define PATCHED(p) AIGW "metadata:\n  name: main\n  namespace: ai\n  annotations:\n" \
    "    ai-gateway-litellm.agentic-layer.ai/config-patch: |\n" p \
    "spec: {aiModels: [{name: m, provider: openai}]}\n"
    /* Off for this gateway. */
    assert_int_equal(render_otlp(PATCHED("      environment_variables: {OTEL_EXPORTER_OTLP_ENDPOINT: ''}\n"),
                                 "http://collector:4318", &out), 0);
    assert_null(strstr(out.config_yaml, "\"otel\""));
    assert_null(container_env_value(out.deployment, "OTEL_EXPORTER"));
    gw_render_output_release(&out);
    /* Its own endpoint, without an operator default; the patch's own
     * callbacks list keeps otel once. */
    assert_int_equal(render_otlp(PATCHED("      environment_variables: {OTEL_EXPORTER_OTLP_ENDPOINT: 'http://mine:4318'}\n"
                                         "      litellm_settings: {callbacks: [otel]}\n"),
                                 NULL, &out), 0);
    assert_non_null(strstr(out.config_yaml, "  callbacks:\n  - \"otel\"\n  request_timeout"));
    assert_string_equal(container_env_value(out.deployment, "OTEL_EXPORTER_OTLP_ENDPOINT"), "http://mine:4318");
    gw_render_output_release(&out);
#undef PATCHED
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ai_config_exact),
        cmocka_unit_test(test_map_order_does_not_change_bytes),
        cmocka_unit_test(test_config_hash_follows_config),
        cmocka_unit_test(test_secret_hash_follows_secret_versions),
        cmocka_unit_test(test_patch_applied_and_broken_patch_refused),
        cmocka_unit_test(test_guardrails_rendered),
        cmocka_unit_test(test_master_key_permission_follows_the_patch),
        cmocka_unit_test(test_tool_gateway_guard_modes),
        cmocka_unit_test(test_guard_problems_reported),
        cmocka_unit_test(test_routes_keys_urls_and_filters),
        cmocka_unit_test(test_globs_fail_closed_or_expand),
        cmocka_unit_test(test_route_keys_collision_and_length),
        cmocka_unit_test(test_default_toolgateway),
        cmocka_unit_test(test_otlp_endpoint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
