/* The config-patch deep merge, its description and the merged-config check. */
#include "testutil.h"

#include "patch.h"
#include "yamlout.h"

static char *merged(const char *base, const char *patch)
{
    json_object *b = yaml_obj(base), *p = NULL;
    char *err = NULL, *out = NULL;
    assert_int_equal(gw_patch_parse(patch, &p, &err), 0);
    assert_int_equal(gw_config_merge(b, p), 0);
    assert_int_equal(gw_json_emit_sorted(b, &out, NULL), 0);
    json_object_put(b);
    json_object_put(p);
    return out;
}

#define assert_merge(base, patch, want)                   \
    do {                                                  \
        char *got_ = merged((base), (patch));             \
        assert_string_equal(got_, (want));                \
        free(got_);                                       \
    } while (0)

static void test_mappings_merge_recursively(void **state)
{
    (void)state;
    assert_merge("litellm_settings: {request_timeout: 600, callbacks: [prometheus]}\n",
                 "litellm_settings: {request_timeout: 30, drop_params: true}\n",
                 "{\"litellm_settings\":{\"callbacks\":[\"prometheus\"],\"drop_params\":true,\"request_timeout\":30}}");
}

static void test_null_deletes(void **state)
{
    (void)state;
    assert_merge("litellm_settings: {request_timeout: 600, callbacks: [prometheus]}\n",
                 "litellm_settings: {callbacks: null}\n",
                 "{\"litellm_settings\":{\"request_timeout\":600}}");
    assert_merge("a: 1\nb: 2\n", "a: ~\n", "{\"b\":2}");
}

static void test_model_list_merges_by_name(void **state)
{
    (void)state;
    assert_merge("model_list:\n- {model_name: gpt-4o, litellm_params: {model: openai/gpt-4o, api_key: k}}\n"
                 "- {model_name: claude, litellm_params: {model: anthropic/claude}}\n",
                 "model_list:\n- {model_name: gpt-4o, litellm_params: {api_base: \"http://x\"}}\n"
                 "- {model_name: extra, litellm_params: {model: openai/extra}}\n",
                 "{\"model_list\":[{\"litellm_params\":{\"api_base\":\"http://x\",\"api_key\":\"k\",\"model\":"
                 "\"openai/gpt-4o\"},\"model_name\":\"gpt-4o\"},{\"litellm_params\":{\"model\":\"anthropic/claude\"},"
                 "\"model_name\":\"claude\"},{\"litellm_params\":{\"model\":\"openai/extra\"},\"model_name\":\"extra\"}]}");
}

static void test_guardrails_merge_by_name(void **state)
{
    (void)state;
    assert_merge("guardrails:\n- {guardrail_name: pii, litellm_params: {guardrail: presidio, mode: pre_call}}\n",
                 "guardrails:\n- {guardrail_name: pii, litellm_params: {mode: post_call}}\n",
                 "{\"guardrails\":[{\"guardrail_name\":\"pii\",\"litellm_params\":{\"guardrail\":\"presidio\","
                 "\"mode\":\"post_call\"}}]}");
}

static void test_other_lists_replace(void **state)
{
    (void)state;
    assert_merge("litellm_settings: {callbacks: [otel, prometheus]}\n", "litellm_settings: {callbacks: [langfuse]}\n",
                 "{\"litellm_settings\":{\"callbacks\":[\"langfuse\"]}}");
    /* Keyed merging is a top-level rule only. */
    assert_merge("x: {model_list: [{model_name: a, v: 1}]}\n", "x: {model_list: [{model_name: a, w: 2}]}\n",
                 "{\"x\":{\"model_list\":[{\"model_name\":\"a\",\"w\":2}]}}");
}

static void test_patch_must_be_mapping(void **state)
{
    (void)state;
    json_object *p = NULL;
    char *err = NULL;
    assert_int_equal(gw_patch_parse("just text", &p, &err), -22);
    assert_string_equal(err, "must be a YAML mapping of LiteLLM config keys, not a scalar");
    free(err);
    err = NULL;
    assert_int_equal(gw_patch_parse("", &p, &err), -22);
    assert_string_equal(err, "must be a YAML mapping of LiteLLM config keys, not an empty document");
    free(err);
    err = NULL;
    assert_int_equal(gw_patch_parse("a: 1\na: 2\n", &p, &err), -22);
    assert_string_equal(err, "line 2 column 1: duplicate key \"a\"");
    free(err);
}

/* The patch means to us what it means to LiteLLM's PyYAML: what PyYAML
 * would read as something else than we can store is refused, saying why. */
static void patch_refused(const char *text, const char *want)
{
    json_object *p = NULL;
    char *err = NULL;
    int r = gw_patch_parse(text, &p, &err);
    if (r != -22 || !err || strcmp(err, want) != 0)
        fail_msg("%s: got %d, %s; want %s", text, r, err ? err : "(none)", want);
    free(err);
}

static void test_patch_reads_like_pyyaml(void **state)
{
    (void)state;
    patch_refused("litellm_settings:\n  on: 1\n",
                  "line 2 column 3: key \"on\" is a boolean to LiteLLM's YAML reader (PyYAML), not a string; quote it");
    patch_refused("router_settings: {~: 1}\n",
                  "line 1 column 19: key \"~\" is null to LiteLLM's YAML reader (PyYAML), not a string; quote it");
    patch_refused("x: {123: a}\n",
                  "line 1 column 5: key \"123\" is an integer to LiteLLM's YAML reader (PyYAML), not a string; quote it");
    patch_refused("x: 2024-01-31\n",
                  "line 1 column 4: \"2024-01-31\" is a date or time (PyYAML reads it as one, not as a string; quote it)");
    patch_refused("x: 0xffffffffffffffffff\n", "line 1 column 4: \"0xffffffffffffffffff\" is an integer beyond 64 bits");
    json_object *p = NULL;
    assert_int_equal(gw_patch_parse("'on': 1\nx: [1e3, 0o17, 08, 1_000, 0b11, .inf, 1:30, '2024-01-31', yes, n]\n",
                                    &p, NULL), 0);
    assert_true(json_object_object_get_ex(p, "on", NULL));
    json_object *x = json_object_object_get(p, "x");
    assert_string_equal(json_object_get_string(json_object_array_get_idx(x, 0)), "1e3");
    assert_string_equal(json_object_get_string(json_object_array_get_idx(x, 1)), "0o17");
    assert_string_equal(json_object_get_string(json_object_array_get_idx(x, 2)), "08");
    assert_int_equal(json_object_get_int64(json_object_array_get_idx(x, 3)), 1000);
    assert_int_equal(json_object_get_int64(json_object_array_get_idx(x, 4)), 3);
    assert_true(json_object_is_type(json_object_array_get_idx(x, 5), json_type_double));
    assert_int_equal(json_object_get_int64(json_object_array_get_idx(x, 6)), 90);
    assert_string_equal(json_object_get_string(json_object_array_get_idx(x, 7)), "2024-01-31");
    assert_true(json_object_get_boolean(json_object_array_get_idx(x, 8)));
    assert_string_equal(json_object_get_string(json_object_array_get_idx(x, 9)), "n");
    json_object_put(p);
}

static void describe(const char *base, const char *patch, struct gw_errlist *w)
{
    json_object *b = yaml_obj(base), *p = NULL;
    errlist_init(w);
    assert_int_equal(gw_patch_parse(patch, &p, NULL), 0);
    gw_patch_describe(b, p, w);
    json_object_put(b);
    json_object_put(p);
}

#define F "metadata.annotations[ai-gateway-litellm.agentic-layer.ai/config-patch]: "

static void test_describe_adds_overrides_removes(void **state)
{
    (void)state;
    struct gw_errlist w;
    describe("litellm_settings: {request_timeout: 600, callbacks: [prometheus]}\n"
             "model_list: [{model_name: gpt-4o, litellm_params: {model: openai/gpt-4o}}]\n",
             "litellm_settings: {request_timeout: 30, callbacks: null, num_retries: 3}\n"
             "model_list: [{model_name: gpt-4o, litellm_params: {model: azure/gpt-4o}}, {model_name: new}]\n"
             "router_settings: {routing_strategy: simple-shuffle}\n", &w);
    assert_has(w, F "overrides litellm_settings.request_timeout: 600 -> 30");
    assert_has(w, F "removes litellm_settings.callbacks");
    assert_has(w, F "adds litellm_settings.num_retries");
    assert_has(w, F "overrides model_list[gpt-4o].litellm_params.model: \"openai/gpt-4o\" -> \"azure/gpt-4o\"");
    assert_has(w, F "adds model_list[new]");
    assert_has(w, F "adds router_settings");
    assert_int_equal(w.n, 6);
    errlist_free(&w);
}

static void test_describe_unknown_keys_and_secrets(void **state)
{
    (void)state;
    struct gw_errlist w;
    describe("{}\n", "litellm_setings: {}\ngeneral_settings: {master_key: sk-1234}\n"
                     "model_list: [{model_name: x, litellm_params: {model: openai/x, api_key: os.environ/X_KEY}}]\n", &w);
    assert_has(w, F "unknown LiteLLM config key \"litellm_setings\" (LiteLLM ignores it); did you mean \"litellm_settings\"?");
    assert_has(w, F "general_settings.master_key looks like a literal secret; it would be stored in the ConfigMap in "
                    "clear text: put it in a Secret, expose it with spec.env valueFrom.secretKeyRef and write "
                    "os.environ/<VARIABLE> here");
    for (size_t i = 0; i < w.n; i++)
        assert_null(strstr(w.items[i].message, "X_KEY looks like"));
    errlist_free(&w);
}

/* Values that can be secrets are never echoed in the notes (they reach the
 * Configured condition): by key anywhere in the path, or by how the value
 * looks whatever its key. Other overrides still show both values. */
static void test_describe_hides_secret_values(void **state)
{
    (void)state;
    struct gw_errlist w;
    describe("model_list: [{model_name: gpt-4o, litellm_params: {model: openai/gpt-4o, "
             "api_key: os.environ/OPENAI_API_KEY}}]\n"
             "general_settings: {master_key: os.environ/MK, database_url: os.environ/DB}\n"
             "litellm_settings: {langfuse_public_key: pk-old, redis_password: old, slack_token: t1, "
             "aws_secret_access_key: old, gcs_credentials_path: /old, note: old-note, "
             "callback_url: 'https://hooks.example.com/a', request_timeout: 600, max_tokens: 100}\n",
             "model_list: [{model_name: gpt-4o, litellm_params: {api_key: sk-live-0123456789abcdef}}]\n"
             "general_settings: {master_key: sk-master-9876, database_url: 'postgres://u:pw@db/x'}\n"
             "litellm_settings: {langfuse_public_key: pk-new, redis_password: hunter2, slack_token: t2, "
             "aws_secret_access_key: new, gcs_credentials_path: /new, "
             "note: Zm9vYmFyMTIzNDU2Nzg5MGFiY2RlZmdo, "
             "callback_url: 'https://user:s3cr3t@hooks.example.com/a', request_timeout: 30, max_tokens: 200}\n", &w);
    assert_has(w, F "overrides model_list[gpt-4o].litellm_params.api_key (value hidden)");
    assert_has(w, F "overrides general_settings.master_key (value hidden)");
    assert_has(w, F "overrides general_settings.database_url (value hidden)");
    assert_has(w, F "overrides litellm_settings.langfuse_public_key (value hidden)");
    assert_has(w, F "overrides litellm_settings.redis_password (value hidden)");
    assert_has(w, F "overrides litellm_settings.slack_token (value hidden)");
    assert_has(w, F "overrides litellm_settings.aws_secret_access_key (value hidden)");
    assert_has(w, F "overrides litellm_settings.gcs_credentials_path (value hidden)");
    assert_has(w, F "overrides litellm_settings.note (value hidden)");
    assert_has(w, F "overrides litellm_settings.callback_url (value hidden)");
    assert_has(w, F "overrides litellm_settings.request_timeout: 600 -> 30");
    assert_has(w, F "overrides litellm_settings.max_tokens: 100 -> 200");
    static const char *const secrets[] = { "sk-live", "sk-master", "pw@", "hunter2", "pk-new", "pk-old", "t2",
                                           "Zm9v", "s3cr3t", "OPENAI_API_KEY", "os.environ/MK", "new", NULL };
    for (size_t i = 0; i < w.n; i++)
        for (const char *const *sec = secrets; *sec; sec++)
            if (strstr(w.items[i].body, *sec) && !strstr(w.items[i].body, "looks like a literal secret"))
                fail_msg("note echoes %s: %s", *sec, w.items[i].message);
    errlist_free(&w);
}

static void test_config_check(void **state)
{
    (void)state;
    struct gw_errlist e;
    errlist_init(&e);
    json_object *c = yaml_obj("model_list: [{model_name: a, litellm_params: {model: openai/a}}, {litellm_params: {}}, 3]\n"
                              "guardrails: {}\nmcp_servers: {s: {transport: http}}\nlitellm_settings: []\n");
    gw_config_check(c, &e);
    assert_has(e, F "Invalid value: \"model_list[1]\": model_name is required in the merged config");
    assert_has(e, F "Invalid value: \"model_list[1].litellm_params\": model is required in the merged config");
    assert_has(e, F "Invalid value: \"model_list[2]\": each item must be a mapping");
    assert_has(e, F "Invalid value: \"guardrails\": guardrails must be a list in the merged config");
    assert_has(e, F "Invalid value: \"mcp_servers.s\": needs url (or command) in the merged config");
    assert_has(e, F "Invalid value: \"litellm_settings\": litellm_settings must be a mapping in the merged config");
    assert_int_equal(e.n, 6);
    json_object_put(c);
    errlist_free(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mappings_merge_recursively),
        cmocka_unit_test(test_null_deletes),
        cmocka_unit_test(test_model_list_merges_by_name),
        cmocka_unit_test(test_guardrails_merge_by_name),
        cmocka_unit_test(test_other_lists_replace),
        cmocka_unit_test(test_patch_must_be_mapping),
        cmocka_unit_test(test_patch_reads_like_pyyaml),
        cmocka_unit_test(test_describe_adds_overrides_removes),
        cmocka_unit_test(test_describe_hides_secret_values),
        cmocka_unit_test(test_describe_unknown_keys_and_secrets),
        cmocka_unit_test(test_config_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
