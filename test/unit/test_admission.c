/* The webhook's handlers without a socket: AdmissionReview bytes in, HTTP
 * status and body out. Exact messages, causes, warnings, JSONPatch content
 * and idempotence, and every class of bad request. */
#include "testutil.h"

#include <openssl/evp.h>

#include "admission.h"
#include "defaults.h"
#include "strbuf.h"

#define AIGW_HEAD "apiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: AiGateway\n"
#define ROUTE_HEAD "apiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: ToolRoute\n"
#define TOOLGW_HEAD "apiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: ToolGateway\n"

/* --- helpers -------------------------------------------------------------- */

/* An AdmissionReview around the object given as YAML (NULL: no object). */
static char *review(const char *op, const char *kind, const char *ns, const char *object_yaml)
{
    struct strbuf sb;
    sb_init(&sb, SB_DEFAULT_CAP);
    sb_addf(&sb,
            "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"705ab4f5-6393-"
            "11e8-b7cc-42010a800002\",\"kind\":{\"group\":\"runtime.agentic-layer.ai\",\"version\":\"v1alpha1\","
            "\"kind\":\"%s\"},\"resource\":{\"group\":\"runtime.agentic-layer.ai\",\"version\":\"v1alpha1\","
            "\"resource\":\"x\"},\"operation\":\"%s\"",
            kind, op);
    if (ns)
        sb_addf(&sb, ",\"namespace\":\"%s\"", ns);
    if (object_yaml) {
        json_object *o = yaml_obj(object_yaml);
        sb_addf(&sb, ",\"object\":%s", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        json_object_put(o);
    }
    sb_adds(&sb, "}}");
    return sb_detach(&sb, NULL);
}

static json_object *parse(const char *text)
{
    json_object *o = json_tokener_parse(text);
    if (!o)
        fail_msg("reply is not JSON: %s", text);
    return o;
}

/* Steps into o: a member, or an index when o is an array. */
static json_object *step(json_object *o, const char *seg, size_t n)
{
    char key[128];
    snprintf(key, sizeof(key), "%.*s", (int)n, seg);
    if (json_object_is_type(o, json_type_array))
        return json_object_array_get_idx(o, (size_t)strtoul(key, NULL, 10));
    json_object *v = NULL;
    return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* Follows "a.b.0.c" (sep '.') or "/a/b/0" (sep '/'). */
static json_object *walk(json_object *o, const char *path, char sep)
{
    const char *p = path;
    if (*p == sep)
        p++;
    while (o && *p) {
        const char *end = strchr(p, sep);
        size_t n = end ? (size_t)(end - p) : strlen(p);
        o = step(o, p, n);
        p += n + (end ? 1 : 0);
    }
    return o;
}

static json_object *at(json_object *o, const char *path)
{
    return walk(o, path, '.');
}

static const char *str_at(json_object *o, const char *path)
{
    json_object *v = at(o, path);
    if (!v)
        fail_msg("no %s in %s", path, json_object_to_json_string(o));
    return json_object_get_string(v);
}

/* Runs a review through an endpoint; returns the parsed reply body. */
static json_object *run(enum wh_endpoint ep, const char *body, unsigned want_status, struct wh_reply *rep)
{
    assert_int_equal(wh_handle(ep, body, strlen(body), rep), 0);
    if (rep->status != want_status)
        fail_msg("status %u, want %u: %s", rep->status, want_status, rep->body ? rep->body : "");
    assert_non_null(rep->body);
    assert_int_equal(strlen(rep->body), rep->body_len);
    return parse(rep->body);
}

/* A 4xx with a metav1.Status body carrying this message. */
static void assert_bad_request(enum wh_endpoint ep, const char *body, unsigned status, const char *reason,
                               const char *message)
{
    struct wh_reply rep;
    json_object *o = run(ep, body, status, &rep);
    assert_string_equal(rep.content_type, "application/json");
    assert_string_equal(str_at(o, "kind"), "Status");
    assert_string_equal(str_at(o, "apiVersion"), "v1");
    assert_string_equal(str_at(o, "status"), "Failure");
    assert_string_equal(str_at(o, "reason"), reason);
    assert_int_equal(json_object_get_int(at(o, "code")), (int)status);
    if (strncmp(str_at(o, "message"), message, strlen(message)) != 0)
        fail_msg("message \"%s\" does not start with \"%s\"", str_at(o, "message"), message);
    assert_int_equal(rep.verdict, WH_V_BAD_REQUEST);
    json_object_put(o);
    wh_reply_release(&rep);
}

/* Decodes response.patch; NULL when the reply carries none. */
static json_object *patch_of(json_object *reply)
{
    json_object *p = at(reply, "response.patch");
    if (!p)
        return NULL;
    assert_string_equal(str_at(reply, "response.patchType"), "JSONPatch");
    const char *b64 = json_object_get_string(p);
    size_t n = strlen(b64);
    unsigned char *raw = calloc(1, n + 1);
    int len = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)n);
    assert_true(len >= 0);
    while (len > 0 && raw[len - 1] == '\0')
        len--;
    raw[len] = '\0';
    json_object *ops = parse((char *)raw);
    free(raw);
    return ops;
}

/* Applies RFC 6902 "add" operations on object members (all the webhook
 * emits) to obj. */
static void apply_adds(json_object *obj, json_object *ops)
{
    for (size_t i = 0; i < json_object_array_length(ops); i++) {
        json_object *op = json_object_array_get_idx(ops, i);
        assert_string_equal(str_at(op, "op"), "add");
        char path[256];
        snprintf(path, sizeof(path), "%s", str_at(op, "path"));
        char *last = strrchr(path, '/');
        assert_non_null(last);
        *last = '\0';
        json_object *parent = walk(obj, path, '/');
        assert_non_null(parent);
        json_object *v = NULL;
        json_object_deep_copy(json_object_object_get(op, "value"), &v, NULL);
        json_object_object_add(parent, last + 1, v);
    }
}

/* --- before the body ------------------------------------------------------ */

static void test_precheck_method_media_length(void **state)
{
    (void)state;
    struct wh_reply rep;
    assert_true(wh_precheck("GET", "application/json", NULL, 100, &rep));
    assert_int_equal(rep.status, 405);
    assert_string_equal(rep.allow, "POST");
    assert_non_null(strstr(rep.body, "\"reason\":\"MethodNotAllowed\""));
    assert_non_null(strstr(rep.body, "\"message\":\"method GET is not allowed: send the request with POST\""));
    wh_reply_release(&rep);

    assert_true(wh_precheck("POST", "text/plain", "10", 100, &rep));
    assert_int_equal(rep.status, 415);
    assert_non_null(strstr(rep.body, "\"reason\":\"UnsupportedMediaType\""));
    assert_non_null(strstr(rep.body, "unsupported media type \\\"text/plain\\\": send Content-Type: application/json"));
    wh_reply_release(&rep);
    assert_true(wh_precheck("POST", NULL, "10", 100, &rep));
    assert_int_equal(rep.status, 415);
    wh_reply_release(&rep);
    assert_true(wh_precheck("POST", "application/jsonx", "10", 100, &rep));
    assert_int_equal(rep.status, 415);
    wh_reply_release(&rep);

    static const char *const ok_types[] = { "application/json", "application/json; charset=utf-8",
                                            "Application/JSON", " application/json ;charset=UTF-8" };
    for (size_t i = 0; i < 4; i++) {
        assert_false(wh_precheck("POST", ok_types[i], "100", 100, &rep));
        wh_reply_release(&rep);
    }
    /* Chunked: no Content-Length, the cap applies while reading. */
    assert_false(wh_precheck("POST", "application/json", NULL, 100, &rep));
    wh_reply_release(&rep);

    assert_true(wh_precheck("POST", "application/json", "104857600", WH_BODY_CAP_DEFAULT, &rep));
    assert_int_equal(rep.status, 413);
    assert_int_equal(rep.verdict, WH_V_BAD_REQUEST);
    assert_non_null(strstr(rep.body, "\"message\":\"request body of 104857600 bytes is larger than the limit of "
                                     "16777216 bytes\",\"reason\":\"RequestEntityTooLarge\",\"code\":413"));
    wh_reply_release(&rep);
    assert_true(wh_precheck("POST", "application/json", "101", 100, &rep));
    assert_int_equal(rep.status, 413);
    wh_reply_release(&rep);

    static const char *const bad_lengths[] = { "abc", "-1", "", "1e3", "99999999999999999999999", "12 " };
    for (size_t i = 0; i < 6; i++) {
        assert_true(wh_precheck("POST", "application/json", bad_lengths[i], 100, &rep));
        assert_int_equal(rep.status, 400);
        assert_non_null(strstr(rep.body, "malformed Content-Length"));
        wh_reply_release(&rep);
    }
}

static void test_endpoints(void **state)
{
    (void)state;
    assert_int_equal(wh_endpoint_of("/validate"), WH_EP_VALIDATE);
    assert_int_equal(wh_endpoint_of("/mutate"), WH_EP_MUTATE);
    assert_int_equal(wh_endpoint_of("/preview"), WH_EP_PREVIEW);
    assert_int_equal(wh_endpoint_of("/validate/"), WH_EP_OTHER);
    assert_int_equal(wh_endpoint_of("/"), WH_EP_OTHER);
    assert_int_equal(wh_endpoint_of(NULL), WH_EP_OTHER);
    assert_bad_request(WH_EP_OTHER, "{}", 404, "NotFound", "not found: the webhook serves POST /validate");
}

/* --- malformed reviews ------------------------------------------------------ */

static void test_bad_bodies(void **state)
{
    (void)state;
    assert_bad_request(WH_EP_VALIDATE, "", 400, "BadRequest", "empty request body: expected JSON");
    assert_bad_request(WH_EP_VALIDATE, "{\"apiVersion\":", 400, "BadRequest",
                       "request body is not valid JSON: truncated JSON");
    assert_bad_request(WH_EP_VALIDATE, "{\"a\":}", 400, "BadRequest", "request body is not valid JSON: invalid JSON at offset");
    assert_bad_request(WH_EP_VALIDATE, "{} x", 400, "BadRequest",
                       "request body is not valid JSON: invalid JSON at offset 3");
    assert_bad_request(WH_EP_MUTATE, "\"\xff\"", 400, "BadRequest", "request body is not valid JSON");
    struct strbuf deep;
    sb_init(&deep, 4096);
    for (int i = 0; i < 100; i++)
        sb_addc(&deep, '[');
    for (int i = 0; i < 100; i++)
        sb_addc(&deep, ']');
    assert_bad_request(WH_EP_VALIDATE, sb_str(&deep), 400, "BadRequest",
                       "request body is nested deeper than 64 levels");
    sb_release(&deep);
    assert_bad_request(WH_EP_VALIDATE, "[]", 400, "BadRequest", "request body must be an AdmissionReview object");
    assert_bad_request(WH_EP_VALIDATE, "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"ConversionReview\"}", 400,
                       "BadRequest", "request body must be an AdmissionReview, not kind \"ConversionReview\"");
    assert_bad_request(WH_EP_VALIDATE,
                       "{\"apiVersion\":\"admission.k8s.io/v1beta1\",\"kind\":\"AdmissionReview\",\"request\":{}}", 400,
                       "BadRequest",
                       "AdmissionReview apiVersion \"admission.k8s.io/v1beta1\" is not supported: this webhook speaks "
                       "admission.k8s.io/v1 (admissionReviewVersions: [v1])");
    assert_bad_request(WH_EP_VALIDATE, "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"}", 400,
                       "BadRequest", "AdmissionReview.request is required");
    assert_bad_request(WH_EP_VALIDATE,
                       "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"operation\":"
                       "\"CREATE\"}}",
                       400, "BadRequest", "AdmissionReview.request.uid is required");
    assert_bad_request(WH_EP_MUTATE,
                       "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"\"}}",
                       400, "BadRequest", "AdmissionReview.request.uid is required");
    assert_bad_request(WH_EP_VALIDATE,
                       "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":7}}",
                       400, "BadRequest", "AdmissionReview.request.uid is required");
    assert_bad_request(WH_EP_VALIDATE,
                       "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u\","
                       "\"operation\":\"PATCH\"}}",
                       400, "BadRequest",
                       "AdmissionReview.request.operation \"PATCH\" is not one of CREATE, UPDATE, DELETE, CONNECT");
    assert_bad_request(WH_EP_VALIDATE,
                       "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u\","
                       "\"operation\":\"CREATE\"}}",
                       400, "BadRequest", "AdmissionReview.request.kind is required");
    char *r = review("CREATE", "AiGateway", "ai-gateway", NULL);
    assert_bad_request(WH_EP_VALIDATE, r, 400, "BadRequest", "AdmissionReview.request.object is required for CREATE");
    free(r);
}

/* A well-formed review about something we do not admit: a denial the API
 * server can show, not an HTTP error. */
static void test_not_ours_is_denied(void **state)
{
    (void)state;
    static const char deploy[] =
        "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u-9\","
        "\"kind\":{\"group\":\"apps\",\"version\":\"v1\",\"kind\":\"Deployment\"},\"operation\":\"CREATE\","
        "\"object\":{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"x\"}}}}";
    struct wh_reply rep;
    json_object *o = run(WH_EP_VALIDATE, deploy, 200, &rep);
    assert_string_equal(str_at(o, "apiVersion"), "admission.k8s.io/v1");
    assert_string_equal(str_at(o, "kind"), "AdmissionReview");
    assert_string_equal(str_at(o, "response.uid"), "u-9");
    assert_false(json_object_get_boolean(at(o, "response.allowed")));
    assert_int_equal(json_object_get_int(at(o, "response.status.code")), 400);
    assert_string_equal(str_at(o, "response.status.reason"), "BadRequest");
    assert_string_equal(str_at(o, "response.status.message"),
                        "this webhook admits AiGateway, ToolGateway and ToolRoute of runtime.agentic-layer.ai/v1alpha1, "
                        "not apps/v1, Kind=Deployment");
    assert_int_equal(rep.verdict, WH_V_DENIED);
    assert_int_equal(rep.kind, WH_K_OTHER);
    json_object_put(o);
    wh_reply_release(&rep);

    /* Ours, but not a kind this webhook admits. */
    char *r = review("CREATE", "Guard", "g", "apiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: Guard\n"
                                             "metadata: {name: g}\nspec: {mode: [pre_call]}\n");
    o = run(WH_EP_MUTATE, r, 200, &rep);
    assert_false(json_object_get_boolean(at(o, "response.allowed")));
    assert_string_equal(str_at(o, "response.status.message"),
                        "this webhook admits AiGateway, ToolGateway and ToolRoute of runtime.agentic-layer.ai/v1alpha1, "
                        "not runtime.agentic-layer.ai/v1alpha1, Kind=Guard");
    json_object_put(o);
    wh_reply_release(&rep);
    free(r);

    /* A version we do not serve. */
    r = review("CREATE", "AiGateway", "a", AIGW_HEAD "metadata: {name: a}\nspec: {aiModels: [{name: m, provider: openai}]}\n");
    char *v = strstr(r, "\"version\":\"v1alpha1\"");
    memcpy(v, "\"version\":\"v1beta9\" ", 20);
    o = run(WH_EP_VALIDATE, r, 200, &rep);
    assert_false(json_object_get_boolean(at(o, "response.allowed")));
    assert_non_null(strstr(str_at(o, "response.status.message"), "not runtime.agentic-layer.ai/v1beta9, Kind=AiGateway"));
    json_object_put(o);
    wh_reply_release(&rep);
    free(r);

    /* request.kind and the object disagree. */
    r = review("CREATE", "AiGateway", "a", ROUTE_HEAD "metadata: {name: a}\nspec: {upstream: {external: {url: http://x}}}\n");
    o = run(WH_EP_VALIDATE, r, 200, &rep);
    assert_false(json_object_get_boolean(at(o, "response.allowed")));
    assert_string_equal(str_at(o, "response.status.message"),
                        "request.object is runtime.agentic-layer.ai/v1alpha1 ToolRoute but request.kind is "
                        "runtime.agentic-layer.ai/v1alpha1 AiGateway");
    json_object_put(o);
    wh_reply_release(&rep);
    free(r);
}

/* --- validation ------------------------------------------------------------ */

static void test_valid_gateway_allowed(void **state)
{
    (void)state;
    char *r = review("CREATE", "AiGateway", "ai-gateway",
                     AIGW_HEAD "metadata: {name: main, namespace: ai-gateway}\n"
                               "spec: {port: 80, aiModels: [{name: gpt-4o, provider: openai}]}\n");
    struct wh_reply rep;
    json_object *o = run(WH_EP_VALIDATE, r, 200, &rep);
    assert_string_equal(str_at(o, "response.uid"), "705ab4f5-6393-11e8-b7cc-42010a800002");
    assert_true(json_object_get_boolean(at(o, "response.allowed")));
    assert_null(at(o, "response.status"));
    assert_null(at(o, "response.warnings"));
    assert_null(at(o, "response.patch"));
    assert_int_equal(rep.verdict, WH_V_ALLOWED);
    assert_int_equal(rep.kind, WH_K_AIGATEWAY);
    assert_int_equal(rep.op, WH_OP_CREATE);
    json_object_put(o);
    wh_reply_release(&rep);
    free(r);
}

static void test_warnings(void **state)
{
    (void)state;
    char *r = review("UPDATE", "AiGateway", "ai-gateway",
                     AIGW_HEAD "metadata: {name: main, namespace: ai-gateway}\n"
                               "spec: {aiModels: [{name: gpt-4o, provider: opnai}]}\n");
    struct wh_reply rep;
    json_object *o = run(WH_EP_VALIDATE, r, 200, &rep);
    assert_true(json_object_get_boolean(at(o, "response.allowed")));
    json_object *w = at(o, "response.warnings");
    assert_int_equal(json_object_array_length(w), 1);
    assert_string_equal(json_object_get_string(json_object_array_get_idx(w, 0)),
                        "spec.aiModels[0].provider: Invalid value: \"opnai\": not a provider LiteLLM " GW_LITELLM_VERSION
                        " knows; did you mean \"openai\"?");
    assert_int_equal(rep.op, WH_OP_UPDATE);
    json_object_put(o);
    wh_reply_release(&rep);
    free(r);
}

static void assert_cause(json_object *causes, size_t i, const char *reason, const char *field, const char *message)
{
    json_object *c = json_object_array_get_idx(causes, i);
    assert_non_null(c);
    assert_string_equal(str_at(c, "reason"), reason);
    assert_string_equal(str_at(c, "field"), field);
    assert_string_equal(str_at(c, "message"), message);
}

static void test_denial_like_the_api_server(void **state)
{
    (void)state;
    char *r = review("CREATE", "AiGateway", "ai-gateway",
                     AIGW_HEAD "metadata: {name: bad, namespace: ai-gateway}\n"
                               "spec:\n  port: 0\n  aiModels:\n  - {name: gpt-4o, provider: openai}\n"
                               "  - {name: gpt-4o, provider: openai}\n  - {name: \"my model\", provider: openai}\n"
                               "  - {name: x, provider: opnai}\n");
    struct wh_reply rep;
    json_object *o = run(WH_EP_VALIDATE, r, 200, &rep);
    assert_false(json_object_get_boolean(at(o, "response.allowed")));
    assert_int_equal(json_object_get_int(at(o, "response.status.code")), 422);
    assert_string_equal(str_at(o, "response.status.status"), "Failure");
    assert_string_equal(str_at(o, "response.status.reason"), "Invalid");
    assert_string_equal(
        str_at(o, "response.status.message"),
        "AiGateway.runtime.agentic-layer.ai \"bad\" is invalid: [spec.port: Invalid value: 0: must be between 1 and "
        "65535, spec.aiModels[1].name: Duplicate value: \"gpt-4o\", spec.aiModels[2].name: Invalid value: \"my model\": "
        "must be at most 200 characters of letters, digits, '.', '_', ':', '/', '@', '+' or '-', starting with a letter "
        "or digit (LiteLLM routes requests by this name)]");
    assert_string_equal(str_at(o, "response.status.details.name"), "bad");
    assert_string_equal(str_at(o, "response.status.details.group"), "runtime.agentic-layer.ai");
    assert_string_equal(str_at(o, "response.status.details.kind"), "AiGateway");
    json_object *causes = at(o, "response.status.details.causes");
    assert_int_equal(json_object_array_length(causes), 3);
    assert_cause(causes, 0, "FieldValueInvalid", "spec.port", "Invalid value: 0: must be between 1 and 65535");
    assert_cause(causes, 1, "FieldValueDuplicate", "spec.aiModels[1].name", "Duplicate value: \"gpt-4o\"");
    assert_cause(causes, 2, "FieldValueInvalid", "spec.aiModels[2].name",
                 "Invalid value: \"my model\": must be at most 200 characters of letters, digits, '.', '_', ':', '/', "
                 "'@', '+' or '-', starting with a letter or digit (LiteLLM routes requests by this name)");
    /* Warnings travel with a denial too. */
    assert_int_equal(json_object_array_length(at(o, "response.warnings")), 1);
    assert_int_equal(rep.verdict, WH_V_DENIED);
    assert_int_equal(rep.n_errors, 3);
    json_object_put(o);
    wh_reply_release(&rep);
    free(r);

    /* One error: no brackets, as the API server's aggregate prints it. */
    r = review("CREATE", "ToolRoute", "tools",
               ROUTE_HEAD "metadata: {name: weather, namespace: tools}\n"
                          "spec: {upstream: {external: {url: \"ftp://x\"}}}\n");
    o = run(WH_EP_VALIDATE, r, 200, &rep);
    assert_string_equal(str_at(o, "response.status.message"),
                        "ToolRoute.runtime.agentic-layer.ai \"weather\" is invalid: spec.upstream.external.url: Invalid "
                        "value: \"ftp://x\": scheme must be http or https");
    assert_int_equal(rep.kind, WH_K_TOOLROUTE);
    json_object_put(o);
    wh_reply_release(&rep);
    free(r);

    /* Required and Forbidden causes carry their own reasons. */
    r = review("CREATE", "ToolGateway", "tg",
               TOOLGW_HEAD "metadata: {name: tg, namespace: tg}\nspec: {port: 80, podMetadata: {labels: {app: x}}}\n");
    o = run(WH_EP_VALIDATE, r, 200, &rep);
    causes = at(o, "response.status.details.causes");
    assert_int_equal(json_object_array_length(causes), 2);
    assert_cause(causes, 0, "FieldValueForbidden", "spec.port", "Forbidden: unknown field");
    assert_cause(causes, 1, "FieldValueForbidden", "spec.podMetadata.labels[app]",
                 "Forbidden: the label \"app\" is the Deployment's selector, set by the operator");
    json_object_put(o);
    wh_reply_release(&rep);
    free(r);
}

/* The webhook's causes are exactly the offline `validate` command's errors,
 * for every bad sample and catalogue file with one of our kinds. */
static void test_same_messages_as_validate(void **state)
{
    (void)state;
    static const char *const files[] = {
        "../../deploy/samples/invalid/ai-gateway-bad.yaml", "../../deploy/samples/invalid/tool-route-bad.yaml",
        "bad/075-ai-model-duplicate.yaml",                  "bad/087-env-bad-name.yaml",
        "bad/092-label-key-invalid.yaml",                   "bad/097-pod-label-overrides-app.yaml",
        "bad/099-guardrail-wrong-kind.yaml",                "bad/103-patch-not-mapping.yaml",
        "bad/107-patch-model-list-string.yaml",             "bad/112-toolgateway-port-field.yaml",
    };
    for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
        char path[512], *buf = NULL, *err = NULL;
        size_t len = 0;
        snprintf(path, sizeof(path), "%s/%s", TESTDATA_DIR, files[f]);
        if (gw_read_file(path, 1 << 20, &buf, &len, &err) != 0)
            fail_msg("%s: %s", path, err);
        json_object *doc = yaml_obj(buf);
        free(buf);
        const char *kind = json_object_get_string(json_object_object_get(doc, "kind"));
        json_object *md = json_object_object_get(doc, "metadata");
        const char *ns = md ? json_object_get_string(json_object_object_get(md, "namespace")) : NULL;
        struct verdict v;
        errlist_init(&v.errors);
        errlist_init(&v.warnings);
        assert_int_equal(gw_validate(doc, ns, &v.errors, &v.warnings), 0);
        struct strbuf sb;
        sb_init(&sb, SB_DEFAULT_CAP);
        sb_addf(&sb,
                "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u\","
                "\"kind\":{\"group\":\"runtime.agentic-layer.ai\",\"version\":\"v1alpha1\",\"kind\":\"%s\"},"
                "\"operation\":\"CREATE\",\"namespace\":\"%s\",\"object\":%s}}",
                kind, ns ? ns : "default", json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN));
        struct wh_reply rep;
        json_object *o = run(WH_EP_VALIDATE, sb_str(&sb), 200, &rep);
        sb_release(&sb);
        if (v.errors.n == 0)
            fail_msg("%s: expected errors", files[f]);
        assert_false(json_object_get_boolean(at(o, "response.allowed")));
        json_object *causes = at(o, "response.status.details.causes");
        assert_int_equal(json_object_array_length(causes), v.errors.n);
        for (size_t i = 0; i < v.errors.n; i++) {
            json_object *c = json_object_array_get_idx(causes, i);
            assert_string_equal(str_at(c, "field"), v.errors.items[i].field);
            assert_string_equal(str_at(c, "message"), v.errors.items[i].body);
            assert_non_null(strstr(str_at(o, "response.status.message"), v.errors.items[i].message));
        }
        json_object *w = at(o, "response.warnings");
        assert_int_equal(w ? json_object_array_length(w) : 0, v.warnings.n);
        json_object_put(o);
        wh_reply_release(&rep);
        verdict_free(&v);
        json_object_put(doc);
    }
}

static void test_delete_connect_and_finalizing(void **state)
{
    (void)state;
    struct wh_reply rep;
    char *r = review("DELETE", "AiGateway", "ai-gateway", NULL);
    json_object *o = run(WH_EP_VALIDATE, r, 200, &rep);
    assert_true(json_object_get_boolean(at(o, "response.allowed")));
    assert_int_equal(rep.op, WH_OP_DELETE);
    json_object_put(o);
    wh_reply_release(&rep);
    free(r);
    r = review("CONNECT", "ToolRoute", "t", NULL);
    o = run(WH_EP_MUTATE, r, 200, &rep);
    assert_true(json_object_get_boolean(at(o, "response.allowed")));
    assert_null(at(o, "response.patch"));
    json_object_put(o);
    wh_reply_release(&rep);
    free(r);

    /* An object being deleted may lose its finalizers even when a newer
     * rule would refuse it. */
    static const char bad[] = AIGW_HEAD "metadata: {name: old, namespace: a, deletionTimestamp: "
                                        "\"2025-01-01T00:00:00Z\", finalizers: []}\n"
                                        "spec: {aiModels: [{name: m, provider: openai}, {name: m, provider: openai}]}\n";
    r = review("UPDATE", "AiGateway", "a", bad);
    o = run(WH_EP_VALIDATE, r, 200, &rep);
    assert_true(json_object_get_boolean(at(o, "response.allowed")));
    json_object_put(o);
    wh_reply_release(&rep);
    free(r);
    r = review("CREATE", "AiGateway", "a", bad);
    o = run(WH_EP_VALIDATE, r, 200, &rep);
    assert_false(json_object_get_boolean(at(o, "response.allowed")));
    json_object_put(o);
    wh_reply_release(&rep);
    free(r);
}

static void test_config_patch_review(void **state)
{
    (void)state;
    char *r = review("CREATE", "AiGateway", "ai-gateway",
                     AIGW_HEAD "metadata:\n  name: main\n  namespace: ai-gateway\n  annotations:\n"
                               "    ai-gateway-litellm.agentic-layer.ai/config-patch: |\n"
                               "      litellm_settings: {request_timeout: 30}\n"
                               "      general_settings: {master_key: sk-1234}\n"
                               "      routr_settings: {}\n"
                               "spec: {aiModels: [{name: gpt-4o, provider: openai}]}\n");
    struct wh_reply rep;
    json_object *o = run(WH_EP_VALIDATE, r, 200, &rep);
    assert_true(json_object_get_boolean(at(o, "response.allowed")));
    json_object *w = at(o, "response.warnings");
    struct gw_errlist got;
    errlist_init(&got);
    for (size_t i = 0; i < json_object_array_length(w); i++)
        errlist_add(&got, GW_E_NOTE, "", NULL, json_object_get_string(json_object_array_get_idx(w, i)));
#define PF "metadata.annotations[ai-gateway-litellm.agentic-layer.ai/config-patch]: "
    assert_has(got, PF "overrides litellm_settings.request_timeout: 600 -> 30");
    assert_has(got, PF "adds general_settings");
    assert_has(got, PF "unknown LiteLLM config key \"routr_settings\" (LiteLLM ignores it); did you mean "
                       "\"router_settings\"?");
    assert_has(got, PF "general_settings.master_key looks like a literal secret; it would be stored in the ConfigMap "
                       "in clear text: put it in a Secret, expose it with spec.env valueFrom.secretKeyRef and write "
                       "os.environ/<VARIABLE> here");
    errlist_free(&got);
    json_object_put(o);
    wh_reply_release(&rep);
    free(r);

    /* Not a mapping, and a patch that breaks the config: refused. */
    r = review("CREATE", "AiGateway", "ai-gateway",
               AIGW_HEAD "metadata:\n  name: main\n  namespace: ai-gateway\n  annotations:\n"
                         "    ai-gateway-litellm.agentic-layer.ai/config-patch: \"- a\\n- b\\n\"\n"
                         "spec: {aiModels: [{name: gpt-4o, provider: openai}]}\n");
    o = run(WH_EP_VALIDATE, r, 200, &rep);
    assert_false(json_object_get_boolean(at(o, "response.allowed")));
    json_object *causes = at(o, "response.status.details.causes");
    assert_int_equal(json_object_array_length(causes), 1);
    assert_cause(causes, 0, "FieldValueInvalid", "metadata.annotations[ai-gateway-litellm.agentic-layer.ai/config-patch]",
                 "Invalid value: must be a YAML mapping of LiteLLM config keys, not a list");
    json_object_put(o);
    wh_reply_release(&rep);
    free(r);
    r = review("CREATE", "AiGateway", "ai-gateway",
               AIGW_HEAD "metadata:\n  name: main\n  namespace: ai-gateway\n  annotations:\n"
                         "    ai-gateway-litellm.agentic-layer.ai/config-patch: \"model_list: null\\n\"\n"
                         "spec: {aiModels: [{name: gpt-4o, provider: openai}]}\n");
    o = run(WH_EP_VALIDATE, r, 200, &rep);
    assert_false(json_object_get_boolean(at(o, "response.allowed")));
    assert_non_null(strstr(str_at(o, "response.status.message"),
                           PF "Invalid value: \"model_list\": the merged config must keep at least one model, or the "
                              "gateway serves nothing"));
#undef PF
    json_object_put(o);
    wh_reply_release(&rep);
    free(r);
}

/* --- mutation ---------------------------------------------------------------- */

/* Mutates the object, checks the operations, applies them, and checks that
 * a second round has nothing left to do. */
static void assert_mutation(const char *kind, const char *ns, const char *object_yaml, const char *want_ops)
{
    char *r = review("CREATE", kind, ns, object_yaml);
    struct wh_reply rep;
    json_object *o = run(WH_EP_MUTATE, r, 200, &rep);
    free(r);
    assert_true(json_object_get_boolean(at(o, "response.allowed")));
    assert_null(at(o, "response.status"));
    json_object *ops = patch_of(o);
    json_object *obj = yaml_obj(object_yaml);
    if (!want_ops) {
        assert_null(ops);
        assert_null(at(o, "response.patchType"));
        assert_int_equal(rep.verdict, WH_V_ALLOWED);
    } else {
        assert_non_null(ops);
        assert_string_equal(json_object_to_json_string_ext(ops, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), want_ops);
        assert_int_equal(rep.verdict, WH_V_PATCHED);
        apply_adds(obj, ops);
        /* Idempotent: the defaulted object needs nothing more. */
        struct strbuf sb;
        sb_init(&sb, SB_DEFAULT_CAP);
        char *again = review("UPDATE", kind, ns, NULL);
        sb_add(&sb, again, strlen(again) - 2);
        sb_addf(&sb, ",\"object\":%s}}", json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));
        free(again);
        struct wh_reply rep2;
        json_object *o2 = run(WH_EP_MUTATE, sb_str(&sb), 200, &rep2);
        assert_null(at(o2, "response.patch"));
        assert_true(json_object_get_boolean(at(o2, "response.allowed")));
        /* and the defaulted object is still valid. */
        json_object *o3;
        struct wh_reply rep3;
        o3 = run(WH_EP_VALIDATE, sb_str(&sb), 200, &rep3);
        assert_true(json_object_get_boolean(at(o3, "response.allowed")));
        json_object_put(o3);
        wh_reply_release(&rep3);
        json_object_put(o2);
        wh_reply_release(&rep2);
        sb_release(&sb);
    }
    json_object_put(ops);
    json_object_put(obj);
    json_object_put(o);
    wh_reply_release(&rep);
}

static void test_mutate_defaults(void **state)
{
    (void)state;
    /* Only spec.port: references are the user's, written as they are. */
    assert_mutation("AiGateway", "ai-gateway",
                    AIGW_HEAD "metadata: {name: main, namespace: ai-gateway}\n"
                              "spec:\n  aiModels: [{name: gpt-4o, provider: openai}]\n"
                              "  guardrails: [{name: pii}, {name: mod, namespace: guards, kind: Guard}, {name: x, "
                              "namespace: \"\"}]\n",
                    "[{\"op\":\"add\",\"path\":\"/spec/port\",\"value\":80}]");
    assert_mutation("ToolGateway", "tg", TOOLGW_HEAD "metadata: {name: tg}\nspec: {guardrails: [{name: pii}]}\n",
                    NULL);
    assert_mutation("ToolRoute", "tools",
                    ROUTE_HEAD "metadata: {name: r, namespace: tools}\n"
                               "spec: {toolGatewayRef: {name: gw}, upstream: {toolServerRef: {name: weather, "
                               "namespace: mcp}}}\n",
                    NULL);
    /* Nothing to fill: no patch at all. */
    assert_mutation("AiGateway", "ai-gateway",
                    AIGW_HEAD "metadata: {name: main, namespace: ai-gateway}\n"
                              "spec: {port: 8080, aiModels: [{name: gpt-4o, provider: openai}]}\n",
                    NULL);
    assert_mutation("ToolRoute", "tools",
                    ROUTE_HEAD "metadata: {name: r}\nspec: {upstream: {external: {url: \"http://x\"}}}\n", NULL);
    /* Shapes that are wrong are left for validation to report. */
    assert_mutation("AiGateway", "a",
                    AIGW_HEAD "metadata: {name: m}\nspec: {port: \"80\", aiModels: [], guardrails: \"pii\"}\n", NULL);
    assert_mutation("ToolRoute", "a",
                    ROUTE_HEAD "metadata: {name: m}\nspec: {toolGatewayRef: [x], upstream: 7}\n", NULL);
}

static void test_default_ops_direct(void **state)
{
    (void)state;
    json_object *ops = NULL;
    json_object *o = yaml_obj(ROUTE_HEAD "metadata: {name: r}\nspec: {toolGatewayRef: {name: gw}}\n");
    /* Nothing inside a reference, not even its kind. */
    assert_int_equal(wh_default_ops(o, GW_KIND_TOOLROUTE, &ops), 0);
    assert_int_equal(json_object_array_length(ops), 0);
    json_object_put(ops);
    json_object_put(o);
    o = yaml_obj("spec: 5\n");
    assert_int_equal(wh_default_ops(o, GW_KIND_AIGATEWAY, &ops), 0);
    assert_int_equal(json_object_array_length(ops), 0);
    json_object_put(ops);
    json_object_put(o);
}

static void test_mutate_leaves_references_alone(void **state)
{
    (void)state;
    /* request.namespace absent, references without namespace or kind: they
     * stay as the user wrote them (the controller resolves them). */
    char *r = review("CREATE", "ToolGateway", NULL,
                     TOOLGW_HEAD "metadata: {name: tg, namespace: own}\nspec: {guardrails: [{name: pii}]}\n");
    struct wh_reply rep;
    json_object *o = run(WH_EP_MUTATE, r, 200, &rep);
    assert_null(at(o, "response.patch"));
    assert_true(json_object_get_boolean(at(o, "response.allowed")));
    json_object_put(o);
    wh_reply_release(&rep);
    free(r);
}

/* --- whose an object is ------------------------------------------------------- */

/* A judge that answers what the test says, and remembers what it was asked. */
struct fake_judge {
    enum wh_owner answer;
    enum gw_kind asked_kind;
    char asked_ns[64];
    unsigned calls;
};

static enum wh_owner fake_owner_of(void *ctx, enum gw_kind kind, json_object *obj, const char *ns, char *why,
                                   size_t why_cap)
{
    (void)obj;
    struct fake_judge *j = ctx;
    j->calls++;
    j->asked_kind = kind;
    snprintf(j->asked_ns, sizeof(j->asked_ns), "%s", ns ? ns : "");
    snprintf(why, why_cap, "the test says so");
    return j->answer;
}

static json_object *run_judged(enum wh_endpoint ep, const char *body, struct fake_judge *fj, struct wh_reply *rep)
{
    struct wh_judge judge = { .owner_of = fake_owner_of, .ctx = fj };
    assert_int_equal(wh_handle_judged(ep, body, strlen(body), &judge, rep), 0);
    assert_int_equal(rep->status, 200);
    return parse(rep->body);
}

/* Content our rules refuse (LiteLLM does not know the provider spelling, the
 * model name has a space), though the schema accepts it. */
#define LITELLM_BAD AIGW_HEAD "metadata: {name: k, namespace: edge}\n" \
    "spec:\n  aiGatewayClassName: krakend\n  aiModels: [{name: \"gpt 4o\", provider: openai}]\n" \
    "  guardrails: [{name: pii}]\n"

static void test_foreign_objects_are_untouched(void **state)
{
    (void)state;
    struct fake_judge fj = { .answer = WH_OWNER_FOREIGN };
    char *r = review("CREATE", "AiGateway", "edge", LITELLM_BAD);
    struct wh_reply rep;
    /* Ours: refused. */
    json_object *o = run(WH_EP_VALIDATE, r, 200, &rep);
    assert_false(json_object_get_boolean(at(o, "response.allowed")));
    json_object_put(o);
    wh_reply_release(&rep);
    /* Another implementation's: allowed, no status, no warnings. */
    o = run_judged(WH_EP_VALIDATE, r, &fj, &rep);
    assert_true(json_object_get_boolean(at(o, "response.allowed")));
    assert_null(at(o, "response.status"));
    assert_null(at(o, "response.warnings"));
    assert_int_equal(rep.verdict, WH_V_ALLOWED);
    assert_int_equal(fj.asked_kind, GW_KIND_AIGATEWAY);
    assert_string_equal(fj.asked_ns, "edge");
    json_object_put(o);
    wh_reply_release(&rep);
    /* and no patch, though spec.port is missing. */
    o = run_judged(WH_EP_MUTATE, r, &fj, &rep);
    assert_true(json_object_get_boolean(at(o, "response.allowed")));
    assert_null(at(o, "response.patch"));
    assert_null(at(o, "response.patchType"));
    json_object_put(o);
    wh_reply_release(&rep);
    free(r);
}

static void test_unknown_owner_gets_the_contract_rules_only(void **state)
{
    (void)state;
    struct fake_judge fj = { .answer = WH_OWNER_UNKNOWN };
    struct wh_reply rep;
    /* LiteLLM's rules do not apply ... */
    char *r = review("CREATE", "AiGateway", "edge", LITELLM_BAD);
    json_object *o = run_judged(WH_EP_VALIDATE, r, &fj, &rep);
    assert_true(json_object_get_boolean(at(o, "response.allowed")));
    json_object_put(o);
    wh_reply_release(&rep);
    o = run_judged(WH_EP_MUTATE, r, &fj, &rep);
    assert_null(at(o, "response.patch"));
    json_object_put(o);
    wh_reply_release(&rep);
    free(r);
    /* ... the contract's do: a route needs exactly one upstream. */
    r = review("CREATE", "ToolRoute", "tools",
               ROUTE_HEAD "metadata: {name: r, namespace: tools}\n"
                          "spec: {toolGatewayRef: {name: later}, upstream: {}}\n");
    o = run_judged(WH_EP_VALIDATE, r, &fj, &rep);
    assert_false(json_object_get_boolean(at(o, "response.allowed")));
    assert_non_null(strstr(str_at(o, "response.status.message"), "spec.upstream"));
    assert_int_equal(fj.asked_kind, GW_KIND_TOOLROUTE);
    json_object_put(o);
    wh_reply_release(&rep);
    free(r);
    /* Deletes and kinds not ours never ask. */
    unsigned calls = fj.calls;
    r = review("DELETE", "ToolRoute", "tools", NULL);
    o = run_judged(WH_EP_VALIDATE, r, &fj, &rep);
    assert_true(json_object_get_boolean(at(o, "response.allowed")));
    assert_int_equal(fj.calls, calls);
    json_object_put(o);
    wh_reply_release(&rep);
    free(r);
}

/* --- preview ----------------------------------------------------------------- */

static char *to_json(const char *yaml)
{
    json_object *o = yaml_obj(yaml);
    char *s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    return s;
}

static void test_preview(void **state)
{
    (void)state;
    char *body = to_json(AIGW_HEAD "metadata:\n  name: main\n  namespace: ai-gateway\n  annotations:\n"
                                   "    ai-gateway-litellm.agentic-layer.ai/config-patch: |\n"
                                   "      litellm_settings: {request_timeout: 30}\n"
                                   "spec: {aiModels: [{name: gpt-4o, provider: openai}]}\n");
    struct wh_reply rep;
    assert_int_equal(wh_handle(WH_EP_PREVIEW, body, strlen(body), &rep), 0);
    assert_int_equal(rep.status, 200);
    assert_string_equal(rep.content_type, "application/yaml; charset=utf-8");
    assert_non_null(strstr(rep.body, "  model_name: \"gpt-4o\"\n"));
    assert_non_null(strstr(rep.body, "  request_timeout: 30\n"));
    assert_int_equal(rep.n_warnings, 1);
    assert_string_equal(rep.warnings[0], "metadata.annotations[ai-gateway-litellm.agentic-layer.ai/config-patch]: "
                                         "overrides litellm_settings.request_timeout: 600 -> 30");
    assert_int_equal(rep.kind, WH_K_AIGATEWAY);
    wh_reply_release(&rep);
    free(body);

    /* A List: the gateway with the Guard and provider it uses. */
    body = to_json("apiVersion: v1\nkind: List\nitems:\n"
                   "- apiVersion: runtime.agentic-layer.ai/v1alpha1\n  kind: AiGateway\n"
                   "  metadata: {name: main, namespace: ai-gateway}\n"
                   "  spec: {aiModels: [{name: gpt-4o, provider: openai}], guardrails: [{name: pii}]}\n"
                   "- apiVersion: runtime.agentic-layer.ai/v1alpha1\n  kind: Guard\n"
                   "  metadata: {name: pii, namespace: ai-gateway}\n"
                   "  spec: {mode: [pre_call], providerRef: {name: presidio}, presidio: {}}\n"
                   "- apiVersion: runtime.agentic-layer.ai/v1alpha1\n  kind: GuardrailProvider\n"
                   "  metadata: {name: presidio, namespace: ai-gateway}\n"
                   "  spec: {type: presidio-api, presidio: {baseUrl: \"http://presidio:3000\"}}\n");
    assert_int_equal(wh_handle(WH_EP_PREVIEW, body, strlen(body), &rep), 0);
    assert_int_equal(rep.status, 200);
    assert_non_null(strstr(rep.body, "guardrails:\n- "));
    assert_non_null(strstr(rep.body, "guardrail: \"presidio\""));
    wh_reply_release(&rep);
    free(body);

    /* The Guard is missing: 422 naming it. */
    body = to_json(AIGW_HEAD "metadata: {name: main, namespace: ai-gateway}\n"
                             "spec: {aiModels: [{name: gpt-4o, provider: openai}], guardrails: [{name: pii}]}\n");
    json_object *o = run(WH_EP_PREVIEW, body, 422, &rep);
    assert_string_equal(str_at(o, "reason"), "Invalid");
    assert_string_equal(str_at(o, "details.kind"), "AiGateway");
    assert_non_null(strstr(str_at(o, "message"), "spec.guardrails[0]"));
    json_object_put(o);
    wh_reply_release(&rep);
    free(body);

    /* An invalid gateway: the validation errors, 422. */
    body = to_json(AIGW_HEAD "metadata: {name: main}\nspec: {port: 0, aiModels: [{name: a, provider: openai}]}\n");
    o = run(WH_EP_PREVIEW, body, 422, &rep);
    assert_string_equal(str_at(o, "message"), "AiGateway.runtime.agentic-layer.ai \"main\" is invalid: spec.port: "
                                              "Invalid value: 0: must be between 1 and 65535");
    assert_string_equal(str_at(o, "details.causes.0.field"), "spec.port");
    assert_int_equal(rep.verdict, WH_V_DENIED);
    json_object_put(o);
    wh_reply_release(&rep);
    free(body);

    body = to_json(ROUTE_HEAD "metadata: {name: r}\nspec: {upstream: {external: {url: \"http://x\"}}}\n");
    assert_bad_request(WH_EP_PREVIEW, body, 400, "BadRequest",
                       "nothing to preview: the body holds no AiGateway or ToolGateway");
    free(body);
    assert_bad_request(WH_EP_PREVIEW, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\"}}",
                       400, "BadRequest", "kind: Invalid value: \"ConfigMap\"");
    assert_bad_request(WH_EP_PREVIEW, "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[1]}", 400, "BadRequest",
                       "items[0]: Invalid value: \"integer\": must be of type object");
    assert_bad_request(WH_EP_PREVIEW, "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":{}}", 400, "BadRequest",
                       "items: must be a list of objects");
    assert_bad_request(WH_EP_PREVIEW, "", 400, "BadRequest", "empty request body");
    assert_bad_request(WH_EP_PREVIEW, "nope", 400, "BadRequest", "request body is not valid JSON");
}

/* oldObject and managedFields are dropped unparsed: the verdict is the
 * same as without them, and the rest of the body is still parsed strictly. */
static void test_unread_members(void **state)
{
    (void)state;
    static const char obj[] = AIGW_HEAD "metadata: {name: m, namespace: a}\n"
                                        "spec: {aiModels: [{name: x, provider: openai}, {name: x, provider: openai}]}\n";
    char *plain = review("UPDATE", "AiGateway", "a", obj);
    struct strbuf sb;
    sb_init(&sb, SB_DEFAULT_CAP);
    /* Same object, with managedFields and an oldObject spliced in. */
    const char *md = strstr(plain, "\"metadata\":{");
    assert_non_null(md);
    md += strlen("\"metadata\":{");
    sb_add(&sb, plain, (size_t)(md - plain));
    sb_adds(&sb, "\"managedFields\":[{\"manager\":\"kubectl\",\"fieldsV1\":{\"f:spec\":{\"f:aiModels\":{}}}}],");
    const char *tail = plain + strlen(plain) - 2;
    sb_add(&sb, md, (size_t)(tail - md));
    sb_adds(&sb, ",\"oldObject\":{\"metadata\":{\"name\":\"m\"},\"spec\":{\"aiModels\":\"not even a list\"}}}}");
    struct wh_reply r1, r2;
    json_object *a = run(WH_EP_VALIDATE, plain, 200, &r1), *b = run(WH_EP_VALIDATE, sb_str(&sb), 200, &r2);
    assert_string_equal(json_object_to_json_string(a), json_object_to_json_string(b));
    assert_false(json_object_get_boolean(at(b, "response.allowed")));
    json_object_put(a);
    json_object_put(b);
    wh_reply_release(&r1);
    wh_reply_release(&r2);
    sb_release(&sb);
    free(plain);
    /* Broken JSON next to an oldObject is still refused. */
    assert_bad_request(WH_EP_VALIDATE,
                       "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":"
                       "\"u\",\"oldObject\":{},\"object\":{\"a\":tru}}}",
                       400, "BadRequest", "request body is not valid JSON");
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(wh_endpoint_name(WH_EP_MUTATE), "mutate");
    assert_string_equal(wh_op_name(WH_OP_UPDATE), "UPDATE");
    assert_string_equal(wh_verdict_name(WH_V_BAD_REQUEST), "bad_request");
    assert_string_equal(wh_kind_label(WH_K_TOOLROUTE), "ToolRoute");
    assert_string_equal(wh_kind_label(WH_K__MAX), "other");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_precheck_method_media_length),
        cmocka_unit_test(test_endpoints),
        cmocka_unit_test(test_bad_bodies),
        cmocka_unit_test(test_not_ours_is_denied),
        cmocka_unit_test(test_valid_gateway_allowed),
        cmocka_unit_test(test_warnings),
        cmocka_unit_test(test_denial_like_the_api_server),
        cmocka_unit_test(test_same_messages_as_validate),
        cmocka_unit_test(test_delete_connect_and_finalizing),
        cmocka_unit_test(test_config_patch_review),
        cmocka_unit_test(test_mutate_defaults),
        cmocka_unit_test(test_default_ops_direct),
        cmocka_unit_test(test_mutate_leaves_references_alone),
        cmocka_unit_test(test_foreign_objects_are_untouched),
        cmocka_unit_test(test_unknown_owner_gets_the_contract_rules_only),
        cmocka_unit_test(test_preview),
        cmocka_unit_test(test_unread_members),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
