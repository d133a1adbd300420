/* v1alpha1 <-> v1beta1 conversion: round trips over every object of the
 * unit corpus, the samples and the golden inputs, the carried annotation,
 * the config patch text, refusals with field paths, and admission of
 * v1beta1 objects with paths in the user's version. */
#include <errno.h>
#include <openssl/evp.h>

#include "testutil.h"

#include "admission.h"
#include "convert.h"
#include "reply.h"
#include "strbuf.h"
#include "yamlout.h"

static char *canon(json_object *o)
{
    char *s = NULL;
    size_t n = 0;
    assert_int_equal(gw_json_emit_sorted(o, &s, &n), 0);
    return s;
}

static void assert_same_json(json_object *a, json_object *b)
{
    char *sa = canon(a), *sb = canon(b);
    if (strcmp(sa, sb) != 0)
        fail_msg("objects differ:\n  %s\n  %s", sa, sb);
    free(sa);
    free(sb);
}

static json_object *convert_ok(json_object *o, enum gw_api_version to)
{
    struct gw_errlist e;
    errlist_init(&e);
    json_object *out = NULL;
    int r = gw_convert(o, to, &out, &e);
    if (r != 0) {
        dump_list("errors", &e);
        fail_msg("conversion to %s failed: %d", gw_api_version_string(to), r);
    }
    assert_int_equal(e.n, 0);
    errlist_free(&e);
    return out;
}

/* Converts and expects a refusal that includes msg. */
static void convert_refused(const char *yaml, enum gw_api_version to, const char *msg)
{
    json_object *o = yaml_obj(yaml), *out = NULL;
    struct gw_errlist e;
    errlist_init(&e);
    assert_int_equal(gw_convert(o, to, &out, &e), -EINVAL);
    assert_null(out);
    assert_has(e, msg);
    errlist_free(&e);
    json_object_put(o);
}

static const char *str_at(json_object *o, const char *const *path, size_t n)
{
    for (size_t i = 0; i < n && o; i++) {
        json_object *v = NULL;
        o = json_object_object_get_ex(o, path[i], &v) ? v : NULL;
    }
    return o && json_object_is_type(o, json_type_string) ? json_object_get_string(o) : NULL;
}

static const char *annotation(json_object *o, const char *key)
{
    const char *const p[] = { "metadata", "annotations", key };
    return str_at(o, p, 3);
}

/* --- the corpus --------------------------------------------------------------------- */

static void round_trip_both_ways(json_object *alpha, const char *where)
{
    json_object *beta = convert_ok(alpha, GW_API_V1BETA1);
    assert_string_equal(json_object_get_string(json_object_object_get(beta, "apiVersion")), GW_V1BETA1);
    assert_null(annotation(beta, GW_CONFIG_PATCH_ANNOTATION) && !annotation(alpha, GW_CONFIG_PATCH_ANNOTATION)
                    ? "x" : NULL);
    json_object *back = convert_ok(beta, GW_API_V1ALPHA1);
    char *a = canon(alpha), *b = canon(back);
    if (strcmp(a, b) != 0)
        fail_msg("%s: v1alpha1 -> v1beta1 -> v1alpha1 changed the object:\n  %s\n  %s", where, a, b);
    free(a);
    free(b);
    /* and from the v1beta1 side */
    json_object *beta2 = convert_ok(back, GW_API_V1BETA1);
    assert_same_json(beta, beta2);
    json_object *alpha2 = convert_ok(beta2, GW_API_V1ALPHA1);
    assert_same_json(alpha, alpha2);
    json_object_put(beta);
    json_object_put(back);
    json_object_put(beta2);
    json_object_put(alpha2);
}

/* Round-trips one object of the corpus both ways; *ud counts them. */
static void round_trip_object(const char *path, size_t i, json_object *doc, void *ud)
{
    struct gw_errlist e;
    errlist_init(&e);
    json_object *beta = NULL;
    int r = gw_convert(doc, GW_API_V1BETA1, &beta, &e);
    json_object_put(beta);
    if (r == -EINVAL) {
        /* Only objects that write a v1beta1 field in v1alpha1 may be
         * refused, and then with a field path. */
        assert_true(e.n > 0);
        assert_true(strncmp(e.items[0].field, "spec", 4) == 0 || strncmp(e.items[0].field, "metadata", 8) == 0);
        errlist_free(&e);
        return;
    }
    errlist_free(&e);
    char where[1100];
    snprintf(where, sizeof(where), "%s#%zu", path, i);
    round_trip_both_ways(doc, where);
    (*(size_t *)ud)++;
}

static size_t round_trip_dir(const char *dir)
{
    size_t done = 0;
    for_each_object_in(dir, round_trip_object, &done);
    return done;
}

static void test_corpus_round_trips(void **state)
{
    (void)state;
    size_t golden = round_trip_dir(TESTDATA_DIR "/golden");
    size_t samples = round_trip_dir(TESTDATA_DIR "/../../deploy/samples");
    size_t invalid = round_trip_dir(TESTDATA_DIR "/../../deploy/samples/invalid");
    size_t bad = round_trip_dir(TESTDATA_DIR "/bad");
    print_message("round-tripped: golden %zu, samples %zu, invalid samples %zu, bad-input catalogue %zu\n", golden,
                  samples, invalid, bad);
    /* test/testdata/golden holds the rendered outputs of the samples (no
     * objects of ours): the samples are the golden inputs. */
    assert_int_equal(golden, 0);
    assert_true(samples >= 4);
    assert_true(invalid >= 2);
}

/* --- v1beta1 objects ------------------------------------------------------------------ */

static const char BETA_AI[] =
    "apiVersion: runtime.agentic-layer.ai/v1beta1\n"
    "kind: AiGateway\n"
    "metadata:\n"
    "  name: gw\n"
    "  namespace: ai\n"
    "  labels: {team: a}\n"
    "  annotations: {note: \"  spaced  \\n\"}\n"
    "spec:\n"
    "  className: litellm\n"
    "  port: 8080\n"
    "  models:\n"
    "    - name: gpt-4o\n"
    "      provider: openai\n"
    "      model: gpt-4o-2024-08-06\n"
    "      apiBase: https://a.example/v1\n"
    "      apiKeySecretRef: {name: keys, key: team-a}\n"
    "    - name: claude\n"
    "      provider: anthropic\n"
    "  replicas: 3\n"
    "  resources: {limits: {cpu: 500m, memory: 1Gi}}\n"
    "  configPatch:\n"
    "    litellm_settings: {request_timeout: 30, ratio: 0.5}\n"
    "  guardrails: [{name: pii}]\n"
    "status:\n"
    "  conditions:\n"
    "    - {type: AiGatewayReady, status: 'True', reason: Reconciled, message: ok,\n"
    "       lastTransitionTime: '2026-01-01T00:00:00Z', observedGeneration: 2}\n";

static void test_beta_aigateway_to_alpha(void **state)
{
    (void)state;
    json_object *beta = yaml_obj(BETA_AI);
    json_object *alpha = convert_ok(beta, GW_API_V1ALPHA1);
    char *s = canon(alpha);
    /* renamed, moved out, carried */
    assert_non_null(strstr(s, "\"aiGatewayClassName\":\"litellm\""));
    assert_non_null(strstr(s, "\"aiModels\":[{\"name\":\"gpt-4o\",\"provider\":\"openai\"},"
                              "{\"name\":\"claude\",\"provider\":\"anthropic\"}]"));
    assert_null(strstr(s, "\"replicas\":3,"));
    free(s);
    assert_string_equal(annotation(alpha, GW_CONVERSION_ANNOTATION),
                        "{\"spec\":{\"models\":[{\"name\":\"gpt-4o\",\"model\":\"gpt-4o-2024-08-06\","
                        "\"apiBase\":\"https://a.example/v1\",\"apiKeySecretRef\":{\"name\":\"keys\",\"key\":\"team-a\"}}],"
                        "\"replicas\":3,\"resources\":{\"limits\":{\"cpu\":\"500m\",\"memory\":\"1Gi\"}}}}");
    assert_string_equal(annotation(alpha, GW_CONFIG_PATCH_ANNOTATION),
                        "litellm_settings:\n  ratio: 0.5\n  request_timeout: 30\n");
    assert_string_equal(annotation(alpha, "note"), "  spaced  \n");
    /* and back, exactly */
    json_object *again = convert_ok(alpha, GW_API_V1BETA1);
    assert_same_json(beta, again);
    /* the v1alpha1 form is a valid v1alpha1 object, annotation included */
    struct gw_errlist e, w;
    errlist_init(&e);
    errlist_init(&w);
    assert_int_equal(gw_validate_any(alpha, NULL, &e, &w), 0);
    if (e.n)
        dump_list("errors", &e);
    assert_int_equal(e.n, 0);
    errlist_free(&e);
    errlist_free(&w);
    json_object_put(beta);
    json_object_put(alpha);
    json_object_put(again);
}

static void test_beta_toolgateway_and_route(void **state)
{
    (void)state;
    static const char *const objs[] = {
        "apiVersion: runtime.agentic-layer.ai/v1beta1\nkind: ToolGateway\nmetadata: {name: tg, namespace: t}\n"
        "spec:\n  className: litellm\n  replicas: 0\n"
        "  allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {team: a}}}}\n"
        "  configPatch: {mcp_settings: {x: [1, 2.5, null, true, \"s\"]}}\n"
        "status: {url: http://tg.t.svc.cluster.local}\n",
        "apiVersion: runtime.agentic-layer.ai/v1beta1\nkind: ToolRoute\nmetadata: {name: r, namespace: t}\n"
        "spec:\n  gatewayRef: {name: tg}\n  serverName: weather_1\n"
        "  upstream: {external: {url: 'https://mcp.example/mcp'}}\n  toolFilter: {allow: ['get_*'], deny: [x]}\n"
        "status: {url: http://tg.t.svc.cluster.local/mcp/weather_1}\n",
        "apiVersion: runtime.agentic-layer.ai/v1beta1\nkind: ToolRoute\nmetadata: {name: plain, namespace: t}\n"
        "spec:\n  upstream: {toolServerRef: {name: s}}\n",
    };
    for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
        json_object *beta = yaml_obj(objs[i]);
        json_object *alpha = convert_ok(beta, GW_API_V1ALPHA1);
        json_object *again = convert_ok(alpha, GW_API_V1BETA1);
        assert_same_json(beta, again);
        json_object *alpha2 = convert_ok(again, GW_API_V1ALPHA1);
        assert_same_json(alpha, alpha2);
        json_object_put(beta);
        json_object_put(alpha);
        json_object_put(again);
        json_object_put(alpha2);
    }
    /* Nothing to carry: no annotation at all. */
    json_object *beta = yaml_obj(objs[2]);
    json_object *alpha = convert_ok(beta, GW_API_V1ALPHA1);
    json_object *md = json_object_object_get(alpha, "metadata");
    assert_false(json_object_object_get_ex(md, "annotations", NULL));
    const char *const ref[] = { "spec", "upstream", "toolServerRef", "name" };
    assert_string_equal(str_at(alpha, ref, 4), "s");
    json_object_put(beta);
    json_object_put(alpha);
}

/* --- the config patch text -------------------------------------------------------------- */

static const char ALPHA_COMMENTED[] =
    "apiVersion: runtime.agentic-layer.ai/v1alpha1\n"
    "kind: AiGateway\n"
    "metadata:\n"
    "  name: gw\n"
    "  annotations:\n"
    "    ai-gateway-litellm.agentic-layer.ai/config-patch: |\n"
    "      # longer timeout for the batch jobs\n"
    "      litellm_settings: {request_timeout: 600,   num_retries: 2}   # flow style\n"
    "      router_settings:\n"
    "        routing_strategy: 'simple-shuffle'\n"
    "spec:\n"
    "  aiModels: [{name: m, provider: openai}]\n";

static void test_commented_patch_survives_both_ways(void **state)
{
    (void)state;
    json_object *alpha = yaml_obj(ALPHA_COMMENTED);
    const char *text = annotation(alpha, GW_CONFIG_PATCH_ANNOTATION);
    json_object *beta = convert_ok(alpha, GW_API_V1BETA1);
    assert_null(annotation(beta, GW_CONFIG_PATCH_ANNOTATION));
    const char *const p[] = { "spec", "configPatch", "router_settings", "routing_strategy" };
    assert_string_equal(str_at(beta, p, 4), "simple-shuffle");
    /* the original text rides along on the v1beta1 object */
    const char *carried = annotation(beta, GW_CONVERSION_ANNOTATION);
    assert_non_null(carried);
    assert_non_null(strstr(carried, "configPatchText"));
    json_object *back = convert_ok(beta, GW_API_V1ALPHA1);
    assert_string_equal(annotation(back, GW_CONFIG_PATCH_ANNOTATION), text);
    assert_null(annotation(back, GW_CONVERSION_ANNOTATION));
    assert_same_json(alpha, back);

    /* Edited in v1beta1: the text no longer means the patch, so the patch
     * is written anew and the stale text is gone. */
    json_object *spec = json_object_object_get(beta, "spec");
    json_object *ls = json_object_object_get(json_object_object_get(spec, "configPatch"), "litellm_settings");
    json_object_object_add(ls, "request_timeout", json_object_new_int(30));
    json_object *edited = convert_ok(beta, GW_API_V1ALPHA1);
    const char *now = annotation(edited, GW_CONFIG_PATCH_ANNOTATION);
    assert_null(strstr(now, "# longer timeout"));
    assert_non_null(strstr(now, "request_timeout"));
    assert_non_null(strstr(now, "30"));
    assert_null(annotation(edited, GW_CONVERSION_ANNOTATION));
    json_object *rebeta = convert_ok(edited, GW_API_V1BETA1);
    assert_null(annotation(rebeta, GW_CONVERSION_ANNOTATION));
    json_object_put(alpha);
    json_object_put(beta);
    json_object_put(back);
    json_object_put(edited);
    json_object_put(rebeta);
}

static void test_patch_that_is_no_mapping_stays_annotation(void **state)
{
    (void)state;
    static const char *const texts[] = { "- a\n- b\n", "key: [unclosed\n", "just text" };
    for (size_t i = 0; i < 3; i++) {
        json_object *alpha = yaml_obj("apiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: ToolGateway\n"
                                      "metadata: {name: tg}\nspec: {}\n");
        json_object *md = json_object_object_get(alpha, "metadata");
        json_object *ann = json_object_new_object();
        json_object_object_add(ann, GW_CONFIG_PATCH_ANNOTATION, json_object_new_string(texts[i]));
        json_object_object_add(md, "annotations", ann);
        json_object *beta = convert_ok(alpha, GW_API_V1BETA1);
        assert_string_equal(annotation(beta, GW_CONFIG_PATCH_ANNOTATION), texts[i]);
        assert_false(json_object_object_get_ex(json_object_object_get(beta, "spec"), "configPatch", NULL));
        json_object *back = convert_ok(beta, GW_API_V1ALPHA1);
        assert_same_json(alpha, back);
        json_object_put(alpha);
        json_object_put(beta);
        json_object_put(back);
    }
}

static void test_beta_with_patch_annotation_round_trips(void **state)
{
    (void)state;
    /* A v1beta1 object that (also) writes the annotation comes back as written. */
    static const char *const objs[] = {
        "apiVersion: runtime.agentic-layer.ai/v1beta1\nkind: AiGateway\nmetadata:\n  name: a\n  annotations:\n"
        "    ai-gateway-litellm.agentic-layer.ai/config-patch: 'x: 1'\nspec:\n  models: [{name: m, provider: p}]\n",
        "apiVersion: runtime.agentic-layer.ai/v1beta1\nkind: AiGateway\nmetadata:\n  name: a\n  annotations:\n"
        "    ai-gateway-litellm.agentic-layer.ai/config-patch: 'x: 1'\nspec:\n  models: [{name: m, provider: p}]\n"
        "  configPatch: {y: 2}\n",
    };
    for (size_t i = 0; i < 2; i++) {
        json_object *beta = yaml_obj(objs[i]);
        json_object *alpha = convert_ok(beta, GW_API_V1ALPHA1);
        json_object *again = convert_ok(alpha, GW_API_V1BETA1);
        assert_same_json(beta, again);
        json_object_put(beta);
        json_object_put(alpha);
        json_object_put(again);
    }
}

/* --- models edited through v1alpha1 ------------------------------------------------------ */

static void test_model_fields_follow_names(void **state)
{
    (void)state;
    json_object *alpha = yaml_obj(
        "apiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: AiGateway\nmetadata:\n  name: gw\n  annotations:\n"
        "    runtime.agentic-layer.ai/conversion: '{\"spec\":{\"models\":[{\"name\":\"a\",\"apiBase\":\"http://a\"},"
        "{\"name\":\"gone\",\"model\":\"x\"},{\"name\":\"b\",\"model\":\"bb\"}]}}'\n"
        "spec:\n  aiModels: [{name: b, provider: p}, {name: c, provider: p}, {name: a, provider: p}]\n");
    json_object *beta = convert_ok(alpha, GW_API_V1BETA1);
    char *s = canon(beta);
    assert_non_null(strstr(s, "\"models\":[{\"model\":\"bb\",\"name\":\"b\",\"provider\":\"p\"},"
                              "{\"name\":\"c\",\"provider\":\"p\"},"
                              "{\"apiBase\":\"http://a\",\"name\":\"a\",\"provider\":\"p\"}]"));
    assert_null(strstr(s, "gone"));
    assert_null(strstr(s, "conversion"));
    free(s);
    json_object_put(alpha);
    json_object_put(beta);
}

/* --- refusals ------------------------------------------------------------------------- */

static void test_corrupt_carrier_is_refused(void **state)
{
    (void)state;
    const char *head = "apiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: AiGateway\nmetadata:\n  name: gw\n"
                       "  annotations:\n    runtime.agentic-layer.ai/conversion: ";
    const char *tail = "\nspec:\n  aiModels: [{name: m, provider: p}]\n";
    struct {
        const char *value;
        const char *msg;
    } cases[] = {
        { "'{\"spec\":{\"replicas\":2'",
          "metadata.annotations[runtime.agentic-layer.ai/conversion]: Invalid value: not the JSON object the "
          "conversion writes (" },
        { "'{\"spec\":{\"replicaz\":2}}'",
          "metadata.annotations[runtime.agentic-layer.ai/conversion]: Unsupported value: spec.replicaz is not a "
          "field the conversion carries for AiGateway (hand-edited?)" },
        { "'{\"extra\":1}'",
          "metadata.annotations[runtime.agentic-layer.ai/conversion]: Unsupported value: member \"extra\" is not "
          "one the conversion writes on a runtime.agentic-layer.ai/v1alpha1 object (hand-edited?)" },
        { "'{\"spec\":{\"models\":[{\"name\":\"m\",\"port\":1}]}}'",
          "metadata.annotations[runtime.agentic-layer.ai/conversion]: Unsupported value: spec.models[0].port is not "
          "a field the conversion carries" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char yaml[1024];
        snprintf(yaml, sizeof(yaml), "%s%s%s", head, cases[i].value, tail);
        json_object *o = yaml_obj(yaml), *out = NULL;
        struct gw_errlist e;
        errlist_init(&e);
        assert_int_equal(gw_convert(o, GW_API_V1BETA1, &out, &e), -EINVAL);
        assert_true(e.n >= 1);
        if (strncmp(e.items[0].message, cases[i].msg, strlen(cases[i].msg)) != 0)
            fail_msg("case %zu: got %s", i, e.items[0].message);
        errlist_free(&e);
        /* admission says the same */
        struct gw_errlist ve, vw;
        errlist_init(&ve);
        errlist_init(&vw);
        assert_int_equal(gw_validate_any(o, "ns", &ve, &vw), 0);
        bool found = false;
        for (size_t j = 0; j < ve.n; j++)
            found |= strncmp(ve.items[j].message, cases[i].msg, strlen(cases[i].msg)) == 0;
        if (!found) {
            dump_list("errors", &ve);
            fail_msg("case %zu: admission does not refuse the annotation", i);
        }
        errlist_free(&ve);
        errlist_free(&vw);
        json_object_put(o);
    }
    /* A well-formed annotation with a bad value is refused by admission. */
    char yaml[1024];
    snprintf(yaml, sizeof(yaml), "%s'{\"spec\":{\"replicas\":-1}}'%s", head, tail);
    json_object *o = yaml_obj(yaml);
    struct gw_errlist ve, vw;
    errlist_init(&ve);
    errlist_init(&vw);
    assert_int_equal(gw_validate_any(o, "ns", &ve, &vw), 0);
    assert_has(ve, "metadata.annotations[runtime.agentic-layer.ai/conversion]: Invalid value: spec.replicas: must "
                   "be an integer between 0 and 2147483647");
    errlist_free(&ve);
    errlist_free(&vw);
    json_object_put(o);
}

static void test_fields_of_the_other_version_are_refused(void **state)
{
    (void)state;
    convert_refused("apiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: AiGateway\nmetadata: {name: g}\n"
                    "spec: {replicas: 2, aiModels: [{name: m, provider: p}]}\n",
                    GW_API_V1BETA1, "spec.replicas: Forbidden: a v1beta1 field; write the object as "
                                    "runtime.agentic-layer.ai/v1beta1");
    convert_refused("apiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: AiGateway\nmetadata: {name: g}\n"
                    "spec: {aiModels: [{name: m, provider: p, apiBase: 'http://x'}]}\n",
                    GW_API_V1BETA1, "spec.aiModels[0].apiBase: Forbidden: a v1beta1 field; write the object as "
                                    "runtime.agentic-layer.ai/v1beta1");
    convert_refused("apiVersion: runtime.agentic-layer.ai/v1beta1\nkind: AiGateway\nmetadata: {name: g}\n"
                    "spec: {aiModels: [{name: m, provider: p}]}\n",
                    GW_API_V1ALPHA1, "spec.aiModels: Forbidden: not a field of v1beta1; v1beta1 calls it spec.models");
    convert_refused("apiVersion: runtime.agentic-layer.ai/v1beta1\nkind: AiGateway\nmetadata: {name: g}\n"
                    "spec: {models: [{name: m, provider: p}], configPatch: [1]}\n",
                    GW_API_V1ALPHA1, "spec.configPatch: Invalid value: \"array\": must be of type object");
    convert_refused("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n", GW_API_V1BETA1,
                    "Unsupported value: cannot convert v1 ConfigMap: only AiGateway, ToolGateway and ToolRoute of "
                    "runtime.agentic-layer.ai/v1alpha1 and runtime.agentic-layer.ai/v1beta1 convert");
}

/* --- admission of v1beta1 -------------------------------------------------------------- */

static void validate_beta(const char *yaml, struct verdict *v)
{
    errlist_init(&v->errors);
    errlist_init(&v->warnings);
    json_object *o = yaml_obj(yaml);
    v->rc = gw_validate_any(o, "ns", &v->errors, &v->warnings);
    json_object_put(o);
}

static void test_beta_admission_paths(void **state)
{
    (void)state;
    struct verdict v;
    validate_beta("apiVersion: runtime.agentic-layer.ai/v1beta1\nkind: AiGateway\nmetadata: {name: g}\n"
                  "spec:\n  port: 0\n  models:\n    - {name: gpt-4o, provider: openai, apiBase: 'ftp://x'}\n"
                  "    - {name: gpt-4o, provider: openai, apiKeySecretRef: {name: s}}\n  replicas: -2\n",
                  &v);
    assert_int_equal(v.rc, 0);
    assert_has(v.errors, "spec.models[1].name: Duplicate value: \"gpt-4o\"");
    assert_has(v.errors, "spec.models[0].apiBase: Invalid value: must be an http:// or https:// URL");
    assert_has(v.errors, "spec.models[1].apiKeySecretRef.key: Required value: the Secret's name and key are both required");
    assert_has(v.errors, "spec.replicas: Invalid value: must be an integer between 0 and 2147483647");
    for (size_t i = 0; i < v.errors.n; i++)
        assert_null(strstr(v.errors.items[i].message, "aiModels"));
    verdict_free(&v);

    validate_beta("apiVersion: runtime.agentic-layer.ai/v1beta1\nkind: ToolRoute\nmetadata: {name: r}\n"
                  "spec:\n  serverName: has-dash\n  upstream: {external: {url: 'https://x/mcp'}}\n",
                  &v);
    assert_has(v.errors, "spec.serverName: Invalid value: must be 1 to 24 letters, digits or underscores (it "
                         "becomes the mcp_servers key and URL segment)");
    verdict_free(&v);

    validate_beta("apiVersion: runtime.agentic-layer.ai/v1beta1\nkind: ToolGateway\nmetadata: {name: t}\n"
                  "spec:\n  allowedRoutes: {namespaces: {from: Selector}}\n",
                  &v);
    assert_has(v.errors, "spec.allowedRoutes.namespaces.selector: Required value: required when from is Selector");
    verdict_free(&v);

    validate_beta("apiVersion: runtime.agentic-layer.ai/v1beta1\nkind: ToolGateway\nmetadata: {name: t}\n"
                  "spec:\n  allowedRoutes: {namespaces: {from: Some}}\n",
                  &v);
    assert_has(v.errors, "spec.allowedRoutes.namespaces.from: Unsupported value: \"Some\": supported values: "
                         "\"All\", \"Same\", \"Selector\"");
    verdict_free(&v);

    validate_beta(BETA_AI, &v);
    if (v.errors.n)
        dump_list("errors", &v.errors);
    assert_int_equal(v.errors.n, 0);
    verdict_free(&v);
}

static void test_paths_to_beta(void **state)
{
    (void)state;
    struct {
        enum gw_kind k;
        const char *in, *out;
    } cases[] = {
        { GW_KIND_AIGATEWAY, "spec.aiModels[3].provider", "spec.models[3].provider" },
        { GW_KIND_AIGATEWAY, "spec.aiModels", "spec.models" },
        { GW_KIND_AIGATEWAY, "spec.aiModelsX", "spec.aiModelsX" },
        { GW_KIND_AIGATEWAY, "spec.aiGatewayClassName", "spec.className" },
        { GW_KIND_TOOLGATEWAY, "spec.toolGatewayClassName", "spec.className" },
        { GW_KIND_TOOLROUTE, "spec.toolGatewayRef.name", "spec.gatewayRef.name" },
        { GW_KIND_TOOLROUTE, "spec.aiModels", "spec.aiModels" },
        { GW_KIND_AIGATEWAY, "metadata.annotations[ai-gateway-litellm.agentic-layer.ai/config-patch]",
          "spec.configPatch" },
        { GW_KIND_AIGATEWAY, "spec.port", "spec.port" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *p = gw_convert_path_to_beta(cases[i].k, cases[i].in);
        assert_string_equal(p, cases[i].out);
        free(p);
    }
}

/* --- what the controller reads --------------------------------------------------------- */

static void test_beta_fields_of_alpha(void **state)
{
    (void)state;
    json_object *beta = yaml_obj(BETA_AI);
    json_object *alpha = convert_ok(beta, GW_API_V1ALPHA1);
    struct gw_beta_fields f;
    struct gw_errlist e;
    errlist_init(&e);
    assert_int_equal(gw_beta_fields_of(alpha, &f, &e), 0);
    assert_true(f.has_replicas);
    assert_int_equal(f.replicas, 3);
    assert_non_null(f.resources);
    assert_int_equal(f.n_models, 2);
    assert_string_equal(f.models[0].name, "gpt-4o");
    assert_string_equal(f.models[0].model, "gpt-4o-2024-08-06");
    assert_string_equal(f.models[0].api_base, "https://a.example/v1");
    assert_string_equal(f.models[0].key_secret, "keys");
    assert_string_equal(f.models[0].key_key, "team-a");
    assert_null(f.models[1].model);
    assert_null(f.models[1].key_secret);
    assert_null(f.server_name);
    assert_int_equal(f.routes_from, GW_ROUTES_ALL);
    gw_beta_fields_free(&f);
    gw_beta_fields_free(&f);
    errlist_free(&e);
    json_object_put(beta);
    json_object_put(alpha);

    json_object *tg = yaml_obj("apiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: ToolGateway\nmetadata:\n"
                               "  name: t\n  annotations:\n    runtime.agentic-layer.ai/conversion: "
                               "'{\"spec\":{\"allowedRoutes\":{\"namespaces\":{\"from\":\"Same\"}}}}'\nspec: {}\n");
    errlist_init(&e);
    assert_int_equal(gw_beta_fields_of(tg, &f, &e), 0);
    assert_int_equal(f.routes_from, GW_ROUTES_SAME);
    assert_false(f.has_replicas);
    gw_beta_fields_free(&f);
    errlist_free(&e);
    json_object_put(tg);
}

/* --- generated objects ------------------------------------------------------------------ */

static uint32_t rng_state = 12345;
static uint32_t rnd(uint32_t n)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return (rng_state >> 8) % n;
}

static json_object *rnd_string(void)
{
    static const char *const pool[] = { "", "a", "gpt-4o", "with space", "ünï", "line\nbreak", "# not a comment",
                                        "'quoted'", "{flow: map}", "- item", "null", "true", "0x1F", "1e3" };
    return json_object_new_string(pool[rnd(sizeof(pool) / sizeof(pool[0]))]);
}

static json_object *rnd_value(int depth)
{
    switch (depth > 2 ? rnd(4) : rnd(6)) {
    case 0: return rnd_string();
    case 1: return json_object_new_int((int)rnd(100000) - 50);
    case 2: return json_object_new_boolean(rnd(2));
    case 3: return json_object_new_double((double)rnd(1000) / 8.0 + 0.125);
    case 4: {
        json_object *a = json_object_new_array();
        for (uint32_t i = rnd(4); i > 0; i--)
            json_object_array_add(a, rnd_value(depth + 1));
        return a;
    }
    default: {
        json_object *o = json_object_new_object();
        for (uint32_t i = rnd(4); i > 0; i--) {
            char k[16];
            snprintf(k, sizeof(k), "k%u", rnd(6));
            json_object_object_add(o, k, rnd_value(depth + 1));
        }
        return o;
    }
    }
}

static json_object *rnd_beta(void)
{
    static const char *const kinds[] = { "AiGateway", "ToolGateway", "ToolRoute" };
    const char *kind = kinds[rnd(3)];
    json_object *o = json_object_new_object(), *md = json_object_new_object(), *spec = json_object_new_object();
    json_object_object_add(o, "apiVersion", json_object_new_string(GW_V1BETA1));
    json_object_object_add(o, "kind", json_object_new_string(kind));
    json_object_object_add(md, "name", json_object_new_string("obj"));
    if (rnd(2)) {
        json_object *ann = json_object_new_object();
        json_object_object_add(ann, "x", rnd_string());
        if (rnd(3) == 0)
            json_object_object_add(ann, GW_CONFIG_PATCH_ANNOTATION, rnd_string());
        json_object_object_add(md, "annotations", ann);
    }
    json_object_object_add(o, "metadata", md);
    if (strcmp(kind, "ToolRoute") != 0) {
        if (rnd(2))
            json_object_object_add(spec, "className", rnd_string());
        if (rnd(2))
            json_object_object_add(spec, "replicas", json_object_new_int((int)rnd(5)));
        if (rnd(2))
            json_object_object_add(spec, "resources", rnd_value(1));
        if (rnd(2)) {
            json_object *p = rnd_value(0);
            if (!json_object_is_type(p, json_type_object)) {
                json_object_put(p);
                p = json_object_new_object();
                json_object_object_add(p, "litellm_settings", rnd_value(1));
            }
            json_object_object_add(spec, "configPatch", p);
        }
    }
    if (strcmp(kind, "AiGateway") == 0) {
        json_object *models = json_object_new_array();
        for (uint32_t i = rnd(4) + 1; i > 0; i--) {
            json_object *m = json_object_new_object();
            char n[8];
            snprintf(n, sizeof(n), "m%u", rnd(3));
            json_object_object_add(m, "name", json_object_new_string(n));
            json_object_object_add(m, "provider", json_object_new_string("openai"));
            if (rnd(2))
                json_object_object_add(m, "model", rnd_string());
            if (rnd(2))
                json_object_object_add(m, "apiBase", rnd_string());
            if (rnd(2))
                json_object_object_add(m, "apiKeySecretRef", rnd_value(1));
            json_object_array_add(models, m);
        }
        json_object_object_add(spec, "models", models);
    } else if (strcmp(kind, "ToolGateway") == 0) {
        if (rnd(2))
            json_object_object_add(spec, "allowedRoutes", rnd_value(1));
    } else {
        if (rnd(2))
            json_object_object_add(spec, "gatewayRef", rnd_value(1));
        if (rnd(2))
            json_object_object_add(spec, "serverName", rnd_string());
        json_object_object_add(spec, "upstream", rnd_value(1));
    }
    json_object_object_add(o, "spec", spec);
    if (rnd(2))
        json_object_object_add(o, "status", rnd_value(1));
    return o;
}

static void test_generated_objects_round_trip(void **state)
{
    (void)state;
    for (int i = 0; i < 3000; i++) {
        json_object *beta = rnd_beta();
        json_object *alpha = convert_ok(beta, GW_API_V1ALPHA1);
        json_object *again = convert_ok(alpha, GW_API_V1BETA1);
        char *a = canon(beta), *b = canon(again);
        if (strcmp(a, b) != 0)
            fail_msg("object %d: v1beta1 -> v1alpha1 -> v1beta1 changed it:\n  %s\n  %s", i, a, b);
        free(a);
        free(b);
        json_object *alpha2 = convert_ok(again, GW_API_V1ALPHA1);
        assert_same_json(alpha, alpha2);
        json_object_put(beta);
        json_object_put(alpha);
        json_object_put(again);
        json_object_put(alpha2);
    }
}


/* --- POST /convert and admission of v1beta1 through the webhook ----------------------- */

static json_object *reply_json(const struct wh_reply *rep)
{
    json_object *o = NULL;
    char *err = NULL;
    if (gw_json_parse(rep->body, rep->body_len, 64, &o, &err) != 0)
        fail_msg("reply is not JSON: %s", err);
    return o;
}

static json_object *at(json_object *o, const char *dotted)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", dotted);
    for (char *p = buf, *dot; o && p; p = dot ? dot + 1 : NULL) {
        dot = strchr(p, '.');
        if (dot)
            *dot = '\0';
        json_object *v = NULL;
        o = json_object_object_get_ex(o, p, &v) ? v : NULL;
    }
    return o;
}

static char *conversion_review(const char *desired, const char *const *objects_yaml, size_t n)
{
    json_object *root = json_object_new_object(), *req = json_object_new_object(), *objs = json_object_new_array();
    json_object_object_add(root, "apiVersion", json_object_new_string("apiextensions.k8s.io/v1"));
    json_object_object_add(root, "kind", json_object_new_string("ConversionReview"));
    json_object_object_add(req, "uid", json_object_new_string("c-1"));
    json_object_object_add(req, "desiredAPIVersion", json_object_new_string(desired));
    for (size_t i = 0; i < n; i++)
        json_object_array_add(objs, yaml_obj(objects_yaml[i]));
    json_object_object_add(req, "objects", objs);
    json_object_object_add(root, "request", req);
    char *s = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
    json_object_put(root);
    return s;
}

static const char ALPHA_ROUTE[] =
    "apiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: ToolRoute\nmetadata: {name: r, namespace: t, uid: u1}\n"
    "spec: {toolGatewayRef: {name: tg}, upstream: {toolServerRef: {name: s}}}\nstatus: {url: 'http://x/mcp/r'}\n";

static void test_convert_review_converts_every_object(void **state)
{
    (void)state;
    const char *objs[] = { ALPHA_COMMENTED, ALPHA_ROUTE, BETA_AI };
    char *body = conversion_review(GW_V1BETA1, objs, 3);
    struct wh_reply rep;
    assert_int_equal(wh_handle(WH_EP_CONVERT, body, strlen(body), &rep), 0);
    assert_int_equal(rep.status, 200);
    assert_int_equal(rep.verdict, WH_V_ALLOWED);
    assert_int_equal(rep.kind, WH_K_AIGATEWAY);
    json_object *o = reply_json(&rep);
    assert_string_equal(json_object_get_string(at(o, "kind")), "ConversionReview");
    assert_string_equal(json_object_get_string(at(o, "response.uid")), "c-1");
    assert_string_equal(json_object_get_string(at(o, "response.result.status")), "Success");
    json_object *conv = at(o, "response.convertedObjects");
    assert_int_equal(json_object_array_length(conv), 3);
    for (size_t i = 0; i < 3; i++)
        assert_string_equal(json_object_get_string(at(json_object_array_get_idx(conv, i), "apiVersion")), GW_V1BETA1);
    assert_string_equal(json_object_get_string(at(json_object_array_get_idx(conv, 1), "spec.gatewayRef.name")), "tg");
    assert_string_equal(json_object_get_string(at(json_object_array_get_idx(conv, 1), "status.url")), "http://x/mcp/r");
    json_object_put(o);
    wh_reply_release(&rep);
    free(body);
}

static void test_convert_review_fails_whole(void **state)
{
    (void)state;
    const char *bad = "apiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: AiGateway\nmetadata:\n  name: broken\n"
                      "  namespace: ai\n  annotations: {runtime.agentic-layer.ai/conversion: '{oops'}\n"
                      "spec: {aiModels: [{name: m, provider: p}]}\n";
    const char *objs[] = { ALPHA_ROUTE, bad, ALPHA_COMMENTED };
    char *body = conversion_review(GW_V1BETA1, objs, 3);
    struct wh_reply rep;
    assert_int_equal(wh_handle(WH_EP_CONVERT, body, strlen(body), &rep), 0);
    assert_int_equal(rep.status, 200);
    assert_int_equal(rep.verdict, WH_V_DENIED);
    json_object *o = reply_json(&rep);
    assert_string_equal(json_object_get_string(at(o, "response.result.status")), "Failed");
    assert_null(at(o, "response.convertedObjects"));
    const char *msg = json_object_get_string(at(o, "response.result.message"));
    const char *want = "AiGateway ai/broken: metadata.annotations[runtime.agentic-layer.ai/conversion]: Invalid value: "
                       "not the JSON object the conversion writes";
    if (strncmp(msg, want, strlen(want)) != 0)
        fail_msg("message: %s", msg);
    assert_non_null(strstr(msg, "(1 of 3 objects cannot be converted to runtime.agentic-layer.ai/v1beta1)"));
    json_object_put(o);
    wh_reply_release(&rep);
    free(body);

    /* an unknown target version */
    body = conversion_review("runtime.agentic-layer.ai/v2", objs, 1);
    assert_int_equal(wh_handle(WH_EP_CONVERT, body, strlen(body), &rep), 0);
    o = reply_json(&rep);
    assert_string_equal(json_object_get_string(at(o, "response.result.status")), "Failed");
    assert_non_null(strstr(json_object_get_string(at(o, "response.result.message")), "desiredAPIVersion"));
    json_object_put(o);
    wh_reply_release(&rep);
    free(body);
}

static void test_convert_review_bad_requests(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        const char *msg;
    } cases[] = {
        { "", "empty request body" },
        { "{", "request body is not valid JSON" },
        { "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"}", "request body must be a ConversionReview" },
        { "{\"apiVersion\":\"apiextensions.k8s.io/v1beta1\",\"kind\":\"ConversionReview\"}", "conversionReviewVersions: [v1]" },
        { "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"ConversionReview\",\"request\":{\"objects\":[]}}",
          "ConversionReview.request.uid is required" },
        { "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"ConversionReview\",\"request\":{\"uid\":\"x\"}}",
          "ConversionReview.request.objects must be an array" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct wh_reply rep;
        assert_int_equal(wh_handle(WH_EP_CONVERT, cases[i].body, strlen(cases[i].body), &rep), 0);
        assert_int_equal(rep.status, 400);
        if (!strstr(rep.body, cases[i].msg))
            fail_msg("case %zu: %s", i, rep.body);
        wh_reply_release(&rep);
    }
    assert_int_equal(wh_endpoint_of("/convert"), WH_EP_CONVERT);
    assert_string_equal(wh_endpoint_name(WH_EP_CONVERT), "convert");
}

static char *admission_review(const char *op, const char *version, const char *kind, const char *object_yaml)
{
    json_object *obj = yaml_obj(object_yaml);
    char *s = NULL;
    struct strbuf sb;
    sb_init(&sb, 1 << 20);
    sb_addf(&sb, "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"a-1\","
                 "\"kind\":{\"group\":\"runtime.agentic-layer.ai\",\"version\":\"%s\",\"kind\":\"%s\"},"
                 "\"namespace\":\"ns\",\"operation\":\"%s\",\"object\":%s}}",
            version, kind, op, json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));
    s = sb_detach(&sb, NULL);
    json_object_put(obj);
    return s;
}

static void test_admission_of_beta_objects(void **state)
{
    (void)state;
    char *body = admission_review("CREATE", "v1beta1", "AiGateway",
                                  "apiVersion: runtime.agentic-layer.ai/v1beta1\nkind: AiGateway\n"
                                  "metadata: {name: g, namespace: ns}\n"
                                  "spec: {models: [{name: a, provider: openai}, {name: a, provider: openai}]}\n");
    struct wh_reply rep;
    assert_int_equal(wh_handle(WH_EP_VALIDATE, body, strlen(body), &rep), 0);
    json_object *o = reply_json(&rep);
    assert_false(json_object_get_boolean(at(o, "response.allowed")));
    const char *msg = json_object_get_string(at(o, "response.status.message"));
    if (!strstr(msg, "spec.models[1].name: Duplicate value: \"a\""))
        fail_msg("message: %s", msg);
    assert_null(strstr(msg, "aiModels"));
    json_object_put(o);
    wh_reply_release(&rep);
    free(body);

    body = admission_review("CREATE", "v1beta1", "AiGateway", BETA_AI);
    assert_int_equal(wh_handle(WH_EP_VALIDATE, body, strlen(body), &rep), 0);
    o = reply_json(&rep);
    if (!json_object_get_boolean(at(o, "response.allowed")))
        fail_msg("refused: %s", rep.body);
    json_object_put(o);
    wh_reply_release(&rep);
    free(body);

    /* Mutation of a v1beta1 object fills only spec.port, whose path is the
     * same in both versions, and never writes inside references. */
    body = admission_review("CREATE", "v1beta1", "AiGateway",
                            "apiVersion: runtime.agentic-layer.ai/v1beta1\nkind: AiGateway\n"
                            "metadata: {name: g, namespace: ns}\n"
                            "spec: {models: [{name: a, provider: openai}]}\n");
    assert_int_equal(wh_handle(WH_EP_MUTATE, body, strlen(body), &rep), 0);
    assert_int_equal(rep.status, 200);
    o = reply_json(&rep);
    const char *b64 = json_object_get_string(at(o, "response.patch"));
    assert_non_null(b64);
    unsigned char patch[4096] = { 0 };
    assert_true(strlen(b64) < sizeof(patch) * 3 / 4);
    assert_true(EVP_DecodeBlock(patch, (const unsigned char *)b64, (int)strlen(b64)) > 0);
    if (!strstr((char *)patch, "{\"op\":\"add\",\"path\":\"/spec/port\",\"value\":80}") ||
        strstr((char *)patch, "aiModels"))
        fail_msg("patch: %s", patch);
    json_object_put(o);
    wh_reply_release(&rep);
    free(body);

    body = admission_review("CREATE", "v1beta1", "ToolRoute",
                            "apiVersion: runtime.agentic-layer.ai/v1beta1\nkind: ToolRoute\n"
                            "metadata: {name: r, namespace: ns}\n"
                            "spec: {gatewayRef: {name: tg}, upstream: {toolServerRef: {name: s}}}\n");
    assert_int_equal(wh_handle(WH_EP_MUTATE, body, strlen(body), &rep), 0);
    assert_int_equal(rep.status, 200);
    o = reply_json(&rep);
    assert_true(json_object_get_boolean(at(o, "response.allowed")));
    assert_null(at(o, "response.patch"));
    json_object_put(o);
    wh_reply_release(&rep);
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_round_trips),
        cmocka_unit_test(test_beta_aigateway_to_alpha),
        cmocka_unit_test(test_beta_toolgateway_and_route),
        cmocka_unit_test(test_commented_patch_survives_both_ways),
        cmocka_unit_test(test_patch_that_is_no_mapping_stays_annotation),
        cmocka_unit_test(test_beta_with_patch_annotation_round_trips),
        cmocka_unit_test(test_model_fields_follow_names),
        cmocka_unit_test(test_corrupt_carrier_is_refused),
        cmocka_unit_test(test_fields_of_the_other_version_are_refused),
        cmocka_unit_test(test_beta_admission_paths),
        cmocka_unit_test(test_paths_to_beta),
        cmocka_unit_test(test_beta_fields_of_alpha),
        cmocka_unit_test(test_generated_objects_round_trip),
        cmocka_unit_test(test_convert_review_converts_every_object),
        cmocka_unit_test(test_convert_review_fails_whole),
        cmocka_unit_test(test_convert_review_bad_requests),
        cmocka_unit_test(test_admission_of_beta_objects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
