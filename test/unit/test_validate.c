/* Every validation rule, accepted and rejected, with the exact message. */
#include "testutil.h"

#include "strbuf.h"
#include "model_field.h"

#define AIGW_HEAD "apiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: AiGateway\n" \
                  "metadata: {name: main, namespace: ai-gateway}\n"
#define AIGW_ANNOTATED "apiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: AiGateway\n" \
                       "metadata:\n  name: main\n  namespace: ai-gateway\n"
#define ROUTE_HEAD "apiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: ToolRoute\n" \
                   "metadata: {name: weather, namespace: tools}\n"
#define GUARD_HEAD "apiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: Guard\n" \
                   "metadata: {name: pii, namespace: guards}\n"
#define PROVIDER_HEAD "apiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: GuardrailProvider\n" \
                      "metadata: {name: presidio, namespace: guards}\n"

static void test_aigateway_valid(void **state)
{
    (void)state;
    assert_valid(AIGW_HEAD "spec:\n  aiModels:\n  - {name: gpt-4o, provider: openai}\n"
                 "  - {name: claude-sonnet-4-5, provider: anthropic}\n  port: 8080\n"
                 "  env: [{name: LOG_LEVEL, value: debug}]\n"
                 "  guardrails: [{name: pii}, {name: mod, namespace: guards, kind: Guard}]\n"
                 "  commonMetadata: {labels: {team: ai}, annotations: {note: hello}}\n"
                 "  podMetadata: {labels: {tier: gateway}}\n");
}

static void test_port_range(void **state)
{
    (void)state;
    assert_rejected_once(AIGW_HEAD "spec: {port: 0, aiModels: [{name: a, provider: openai}]}\n",
                         "spec.port: Invalid value: 0: must be between 1 and 65535");
    assert_rejected_once(AIGW_HEAD "spec: {port: 70000, aiModels: [{name: a, provider: openai}]}\n",
                         "spec.port: Invalid value: 70000: must be between 1 and 65535");
    assert_rejected_once(AIGW_HEAD "spec: {port: \"80\", aiModels: [{name: a, provider: openai}]}\n",
                         "spec.port: Invalid value: \"string\": must be of type integer");
}

static void test_models_required_and_unique(void **state)
{
    (void)state;
    assert_rejected_once(AIGW_HEAD "spec: {aiModels: []}\n",
                         "spec.aiModels: Invalid value: 0: should have at least 1 items");
    assert_rejected_once(AIGW_HEAD "spec: {}\n", "spec.aiModels: Required value");
    assert_rejected_once(AIGW_HEAD "spec:\n  aiModels:\n  - {name: gpt-4o, provider: openai}\n"
                                   "  - {name: gpt-4o, provider: azure}\n",
                         "spec.aiModels[1].name: Duplicate value: \"gpt-4o\"");
    assert_rejected_once(AIGW_HEAD "spec: {aiModels: [{name: \"\", provider: openai}]}\n",
                         "spec.aiModels[0].name: Invalid value: \"\": should be at least 1 chars long");
    assert_rejected_once(AIGW_HEAD "spec: {aiModels: [{name: gpt}]}\n", "spec.aiModels[0].provider: Required value");
}

static void test_model_and_provider_charset(void **state)
{
    (void)state;
    assert_rejected_once(AIGW_HEAD "spec: {aiModels: [{name: \"gpt 4o\", provider: openai}]}\n",
                         "spec.aiModels[0].name: Invalid value: \"gpt 4o\": must be at most 200 characters of letters, "
                         "digits, '.', '_', ':', '/', '@', '+' or '-', starting with a letter or digit (LiteLLM routes "
                         "requests by this name)");
    assert_rejected_once(AIGW_HEAD "spec: {aiModels: [{name: gpt, provider: Open.AI}]}\n",
                         "spec.aiModels[0].provider: Invalid value: \"Open.AI\": must be at most 63 lower case letters, "
                         "digits, '_' or '-' (a LiteLLM provider prefix; it also names the <PROVIDER>_API_KEY variable)");
    struct verdict v;
    verdict_of(AIGW_HEAD "spec: {aiModels: [{name: gpt, provider: opnai}]}\n", &v);
    assert_int_equal(v.errors.n, 0);
    assert_int_equal(v.warnings.n, 1);
    assert_has(v.warnings, "spec.aiModels[0].provider: Invalid value: \"opnai\": not a provider LiteLLM "
                           GW_LITELLM_VERSION " knows; did you mean \"openai\"?");
    verdict_free(&v);
}

static void test_env_rules(void **state)
{
    (void)state;
    assert_rejected_once(AIGW_HEAD "spec: {aiModels: [{name: a, provider: openai}], env: [{name: \"A=B\", value: x}]}\n",
                         "spec.env[0].name: Invalid value: \"A=B\": a valid environment variable name must consist only "
                         "of printable ASCII characters other than '='");
    assert_rejected_once(AIGW_HEAD "spec:\n  aiModels: [{name: a, provider: openai}]\n  env:\n  - name: K\n"
                                   "    valueFrom: {secretKeyRef: {name: s, key: k}, configMapKeyRef: {name: c, key: k}}\n",
                         "spec.env[0].valueFrom: Invalid value: \"\": may not have more than one field specified at a time");
    assert_rejected_once(AIGW_HEAD "spec:\n  aiModels: [{name: a, provider: openai}]\n  env:\n  - name: K\n"
                                   "    valueFrom: {secretKeyRef: {name: s}}\n",
                         "spec.env[0].valueFrom.secretKeyRef.key: Required value");
    assert_rejected_once(AIGW_HEAD "spec:\n  aiModels: [{name: a, provider: openai}]\n  envFrom: [{prefix: X_}]\n",
                         "spec.envFrom[0]: Invalid value: \"\": must specify exactly one of configMapRef or secretRef");
    struct verdict v;
    verdict_of(AIGW_HEAD "spec: {aiModels: [{name: a, provider: openai}], env: [{name: A, value: x}, {name: A, value: y}]}\n", &v);
    assert_int_equal(v.errors.n, 0);
    assert_has(v.warnings, "spec.env[1].name: Invalid value: \"A\": duplicate name: the last definition wins");
    verdict_free(&v);
}

static void test_guardrail_refs(void **state)
{
    (void)state;
    assert_rejected_once(AIGW_HEAD "spec: {aiModels: [{name: a, provider: openai}], guardrails: [{name: g, kind: Secret}]}\n",
                         "spec.guardrails[0].kind: Unsupported value: \"Secret\": supported values: \"Guard\"");
    assert_rejected_once(AIGW_HEAD "spec: {aiModels: [{name: a, provider: openai}], guardrails: [{name: g}, {name: g}]}\n",
                         "spec.guardrails[1]: Duplicate value: \"g\"");
    assert_rejected_once(AIGW_HEAD "spec: {aiModels: [{name: a, provider: openai}], guardrails: [{namespace: x}]}\n",
                         "spec.guardrails[0].name: Required value");
    /* An omitted namespace is the gateway's own: the same Guard twice, as
     * the webhook sees it after mutation fills the namespace in. */
    assert_rejected_once(AIGW_HEAD "spec: {aiModels: [{name: a, provider: openai}], guardrails: [{name: g}, {name: g, namespace: ai-gateway}]}\n",
                         "spec.guardrails[1]: Duplicate value: \"ai-gateway/g\"");
    /* The same name in another namespace is another Guard. */
    struct verdict v;
    verdict_of(AIGW_HEAD "spec: {aiModels: [{name: a, provider: openai}], guardrails: [{name: g}, {name: g, namespace: shared}]}\n", &v);
    assert_int_equal(v.errors.n, 0);
    verdict_free(&v);
}

static void test_metadata_rules(void **state)
{
    (void)state;
    assert_rejected_once(AIGW_HEAD "spec: {aiModels: [{name: a, provider: openai}], podMetadata: {labels: {app: other}}}\n",
                         "spec.podMetadata.labels[app]: Forbidden: the label \"app\" is the Deployment's selector, set "
                         "by the operator");
    assert_rejected_once(AIGW_HEAD "spec: {aiModels: [{name: a, provider: openai}], commonMetadata: {labels: {app: other}}}\n",
                         "spec.commonMetadata.labels[app]: Forbidden: the label \"app\" is the Deployment's selector, "
                         "set by the operator");
    assert_rejected_once(AIGW_HEAD "spec: {aiModels: [{name: a, provider: openai}], commonMetadata: {labels: {team: \"a b\"}}}\n",
                         "spec.commonMetadata.labels[team]: Invalid value: \"a b\": a valid label must be an empty string "
                         "or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
                         "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation "
                         "is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
    assert_rejected_once(AIGW_HEAD "spec: {aiModels: [{name: a, provider: openai}], podMetadata: {annotations: {\"-x\": v}}}\n",
                         "spec.podMetadata.annotations[-x]: Invalid value: \"-x\": name part must consist of alphanumeric "
                         "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. "
                         "'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
                         "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
    struct verdict v;
    verdict_of(AIGW_HEAD "spec: {aiModels: [{name: a, provider: openai}], commonMetadata: {labels: "
                         "{app.kubernetes.io/managed-by: helm}}}\n", &v);
    assert_int_equal(v.errors.n, 0);
    assert_has(v.warnings, "spec.commonMetadata.labels[app.kubernetes.io/managed-by]: Invalid value: \"helm\": set by "
                           "the operator; this value is ignored");
    verdict_free(&v);
}

static void test_gateway_name_must_name_a_service(void **state)
{
    (void)state;
    assert_rejected_once("apiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: AiGateway\nmetadata: {name: 1main}\n"
                         "spec: {aiModels: [{name: a, provider: openai}]}\n",
                         "metadata.name: Invalid value: \"1main\": a DNS-1035 label must consist of lower case "
                         "alphanumeric characters or '-', start with an alphabetic character, and end with an "
                         "alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is "
                         "'[a-z]([-a-z0-9]*[a-z0-9])?')");
}

static void test_unknown_fields(void **state)
{
    (void)state;
    assert_rejected_once(AIGW_HEAD "spec: {aiModel: [{name: a, provider: openai}], aiModels: [{name: a, provider: openai}]}\n",
                         "spec.aiModel: Forbidden: unknown field; did you mean \"aiModels\"?");
}

static void test_not_ours(void **state)
{
    (void)state;
    struct verdict v;
    verdict_of("apiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: Agent\nmetadata: {name: a}\n", &v);
    assert_int_equal(v.rc, -22);
    assert_has(v.errors, "kind: Invalid value: \"Agent\": Agent is not a kind of runtime.agentic-layer.ai/v1alpha1");
    verdict_free(&v);
    verdict_of("- 1\n- 2\n", &v);
    assert_has(v.errors, "Invalid value: \"array\": must be of type object");
    verdict_free(&v);
}

static void test_route_upstream(void **state)
{
    (void)state;
    assert_valid(ROUTE_HEAD "spec: {upstream: {toolServerRef: {name: weather}}}\n");
    assert_valid(ROUTE_HEAD "spec: {toolGatewayRef: {name: tools}, upstream: {external: {url: \"https://mcp.example.com:8443/mcp\"}}}\n");
    assert_rejected_once(ROUTE_HEAD "spec: {upstream: {toolServerRef: {name: w}, external: {url: \"http://x\"}}}\n",
                         "spec.upstream: Invalid value: \"object\": exactly one of toolServerRef or external must be set");
    assert_rejected_once(ROUTE_HEAD "spec: {upstream: {}}\n",
                         "spec.upstream: Invalid value: \"object\": exactly one of toolServerRef or external must be set");
    assert_rejected_once(ROUTE_HEAD "spec: {upstream: {external: {url: \"https://u:p@mcp.example.com/\"}}}\n",
                         "spec.upstream.external.url: Invalid value: \"https://u:p@mcp.example.com/\": must not contain "
                         "user info (user:password@): credentials would be written to the ConfigMap in clear text");
    assert_rejected_once(ROUTE_HEAD "spec: {upstream: {external: {url: \"ftp://mcp.example.com/\"}}}\n",
                         "spec.upstream.external.url: Invalid value: \"ftp://mcp.example.com/\": scheme must be http or https");
    assert_rejected_once(ROUTE_HEAD "spec: {upstream: {external: {url: \"https:///mcp\"}}}\n",
                         "spec.upstream.external.url: Invalid value: \"https:///mcp\": must include a host");
    assert_rejected_once(ROUTE_HEAD "spec: {upstream: {external: {url: \"http://h:99999/\"}}}\n",
                         "spec.upstream.external.url: Invalid value: \"http://h:99999/\": port must be between 1 and 65535");
    assert_rejected_once(ROUTE_HEAD "spec: {upstream: {toolServerRef: {name: w, kind: Service}}}\n",
                         "spec.upstream.toolServerRef.kind: Unsupported value: \"Service\": supported values: \"ToolServer\"");
}

static void test_route_filters(void **state)
{
    (void)state;
    assert_valid(ROUTE_HEAD "spec: {upstream: {toolServerRef: {name: w}}, toolFilter: {allow: [get_*, \"[ab]x\", echo], deny: [get_secret]}}\n");
    assert_rejected_once(ROUTE_HEAD "spec: {upstream: {toolServerRef: {name: w}}, toolFilter: {allow: [\"get_[\"]}}\n",
                         "spec.toolFilter.allow[0]: Invalid value: \"get_[\": unterminated character class '['");
    assert_rejected_once(ROUTE_HEAD "spec: {upstream: {toolServerRef: {name: w}}, toolFilter: {deny: [\"a]\"]}}\n",
                         "spec.toolFilter.deny[0]: Invalid value: \"a]\": unmatched ']'");
    assert_rejected_once(ROUTE_HEAD "spec: {upstream: {toolServerRef: {name: w}}, toolFilter: {deny: [\"\"]}}\n",
                         "spec.toolFilter.deny[0]: Invalid value: \"\": must not be empty");
    struct verdict v;
    verdict_of(ROUTE_HEAD "spec: {upstream: {toolServerRef: {name: w}}, toolFilter: {allow: [a, b], deny: [b]}}\n", &v);
    assert_int_equal(v.errors.n, 0);
    assert_has(v.warnings, "spec.toolFilter.deny[0]: Invalid value: \"b\": also listed in allow; deny wins");
    verdict_free(&v);
}

/* A ToolRoute whose allow and deny lists hold n_allow and n_deny names
 * (tool_0, tool_1, ...; deny starts at deny_from). */
static char *route_with_filter(size_t n_allow, size_t n_deny, size_t deny_from)
{
    struct strbuf sb;
    sb_init(&sb, 0);
    sb_adds(&sb, ROUTE_HEAD "spec:\n  upstream: {toolServerRef: {name: w}}\n  toolFilter:\n    allow:\n");
    for (size_t i = 0; i < n_allow; i++)
        sb_addf(&sb, "    - tool_%zu\n", i);
    if (n_deny)
        sb_adds(&sb, "    deny:\n");
    for (size_t i = 0; i < n_deny; i++)
        sb_addf(&sb, "    - tool_%zu\n", deny_from + i);
    return sb_detach(&sb, NULL);
}

static void test_list_limits(void **state)
{
    (void)state;
    /* At the limit: valid, and the duplicate and overlap checks still see
     * entries far apart. */
    char *text = route_with_filter(GW_MAX_FILTER_ENTRIES, GW_MAX_FILTER_ENTRIES, GW_MAX_FILTER_ENTRIES - 1);
    struct verdict v;
    verdict_of(text, &v);
    free(text);
    assert_int_equal(v.errors.n, 0);
    assert_int_equal(v.warnings.n, 1);
    assert_has(v.warnings, "spec.toolFilter.deny[0]: Invalid value: \"tool_999\": also listed in allow; deny wins");
    verdict_free(&v);

    text = route_with_filter(GW_MAX_FILTER_ENTRIES + 1, 0, 0);
    assert_rejected_once(text, "spec.toolFilter.allow: Too many: 1001: must have at most 1000 items");
    free(text);
    text = route_with_filter(1, 60000, 0);
    assert_rejected_once(text, "spec.toolFilter.deny: Too many: 60000: must have at most 1000 items");
    free(text);

    struct strbuf sb;
    sb_init(&sb, 0);
    sb_adds(&sb, AIGW_HEAD "spec:\n  aiModels:\n");
    for (size_t i = 0; i <= GW_MAX_MODELS; i++)
        sb_addf(&sb, "  - {name: m%zu, provider: openai}\n", i);
    text = sb_detach(&sb, NULL);
    assert_rejected_once(text, "spec.aiModels: Too many: 1001: must have at most 1000 items");
    free(text);

    /* Duplicates far apart among many models are still found. */
    sb_init(&sb, 0);
    sb_adds(&sb, AIGW_HEAD "spec:\n  aiModels:\n");
    for (size_t i = 0; i < GW_MAX_MODELS; i++)
        sb_addf(&sb, "  - {name: m%zu, provider: openai}\n", i == GW_MAX_MODELS - 1 ? (size_t)3 : i);
    text = sb_detach(&sb, NULL);
    assert_rejected_once(text, "spec.aiModels[999].name: Duplicate value: \"m3\"");
    free(text);

    sb_init(&sb, 0);
    sb_adds(&sb, AIGW_HEAD "spec:\n  aiModels: [{name: m, provider: openai}]\n  guardrails:\n");
    for (size_t i = 0; i <= GW_MAX_GUARDRAILS; i++)
        sb_addf(&sb, "  - {name: g%zu}\n", i);
    text = sb_detach(&sb, NULL);
    assert_rejected_once(text, "spec.guardrails: Too many: 65: must have at most 64 items");
    free(text);

    sb_init(&sb, 0);
    sb_adds(&sb, AIGW_HEAD "spec:\n  aiModels: [{name: m, provider: openai}]\n  env:\n");
    for (size_t i = 0; i <= GW_MAX_ENV; i++)
        sb_addf(&sb, "  - {name: V%zu, value: x}\n", i);
    text = sb_detach(&sb, NULL);
    assert_rejected_once(text, "spec.env: Too many: 1001: must have at most 1000 items");
    free(text);
}

static void test_guard_rules(void **state)
{
    (void)state;
    assert_valid(GUARD_HEAD "spec:\n  mode: [pre_call, post_call]\n  providerRef: {name: presidio}\n"
                 "  presidio: {language: de, scoreThresholds: {ALL: \"0.5\", EMAIL_ADDRESS: \"1\"},"
                 " entityActions: {EMAIL_ADDRESS: MASK, US_SSN: BLOCK}}\n");
    assert_rejected_once(GUARD_HEAD "spec: {mode: [pre_call, sometimes]}\n",
                         "spec.mode[1]: Unsupported value: \"sometimes\": supported values: \"pre_call\", \"during_call\", "
                         "\"post_call\"");
    assert_rejected_once(GUARD_HEAD "spec: {mode: [pre_call, pre_call]}\n", "spec.mode[1]: Duplicate value: \"pre_call\"");
    assert_rejected_once(GUARD_HEAD "spec: {mode: []}\n", "spec.mode: Invalid value: 0: should have at least 1 items");
    assert_rejected_once(GUARD_HEAD "spec: {mode: [pre_call], presidio: {scoreThresholds: {ALL: \"1.5\"}}}\n",
                         "spec.presidio.scoreThresholds[ALL]: Invalid value: \"1.5\": must be a number between 0.0 and 1.0");
    assert_rejected_once(GUARD_HEAD "spec: {mode: [pre_call], presidio: {entityActions: {EMAIL: REDACT}}}\n",
                         "spec.presidio.entityActions[EMAIL]: Unsupported value: \"REDACT\": supported values: \"MASK\", \"BLOCK\"");
    assert_rejected_once(GUARD_HEAD "spec: {mode: [pre_call], presidio: {}, openaiModeration: {}}\n",
                         "spec: Invalid value: \"object\": at most one of openaiModeration, bedrock or presidio may be set");
    assert_rejected_once(GUARD_HEAD "spec: {mode: [pre_call], bedrock: {guardrailVersion: \"1\"}}\n",
                         "spec.bedrock.guardrailId: Required value");
}

static void test_provider_rules(void **state)
{
    (void)state;
    assert_valid(PROVIDER_HEAD "spec: {type: presidio-api, presidio: {baseUrl: \"http://presidio:3000\"}}\n");
    assert_rejected_once(PROVIDER_HEAD "spec: {type: presidio-api}\n",
                         "spec.presidio: Required value: required when type is presidio-api");
    assert_rejected_once(PROVIDER_HEAD "spec: {type: presidio-api, presidio: {baseUrl: \"http://p\"}, bedrock: {region: eu-west-1}}\n",
                         "spec.bedrock: Forbidden: must not be set when type is presidio-api");
    assert_rejected_once(PROVIDER_HEAD "spec: {type: llama-guard}\n",
                         "spec.type: Unsupported value: \"llama-guard\": supported values: \"openai-moderation-api\", "
                         "\"bedrock-api\", \"presidio-api\"");
    assert_rejected_once(PROVIDER_HEAD "spec: {type: presidio-api, presidio: {baseUrl: \"presidio:3000\"}}\n",
                         "spec.presidio.baseUrl: Invalid value: \"presidio:3000\": scheme must be http or https");
    assert_rejected_once(PROVIDER_HEAD "spec: {type: openai-moderation-api, openaiModeration: {apiKeySecretRef: {name: s}}}\n",
                         "spec.openaiModeration.apiKeySecretRef.key: Required value");
}

static void test_toolserver_rules(void **state)
{
    (void)state;
    const char *head = "apiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: ToolServer\nmetadata: {name: w, namespace: t}\n";
    char buf[512];
    snprintf(buf, sizeof(buf), "%sspec: {protocol: mcp, transportType: sse, port: 8000, path: /sse, image: x}\n", head);
    assert_valid(buf);
    snprintf(buf, sizeof(buf), "%sspec: {protocol: mcp, transportType: ws, port: 8000}\n", head);
    assert_rejected_once(buf, "spec.transportType: Unsupported value: \"ws\": supported values: \"http\", \"sse\"");
    snprintf(buf, sizeof(buf), "%sspec: {protocol: mcp, port: 8000, path: mcp}\n", head);
    assert_rejected_once(buf, "spec.path: Invalid value: \"mcp\": should match '^/.*'");
}

static void test_all_errors_at_once(void **state)
{
    (void)state;
    struct verdict v;
    verdict_of(AIGW_HEAD "spec:\n  port: 0\n  aiModels: [{name: a, provider: openai}, {name: a, provider: openai}]\n"
                         "  podMetadata: {labels: {app: x}}\n", &v);
    assert_int_equal(v.errors.n, 3);
    assert_string_equal(v.errors.items[0].field, "spec.port");
    assert_string_equal(v.errors.items[1].field, "spec.aiModels[1].name");
    assert_string_equal(v.errors.items[2].field, "spec.podMetadata.labels[app]");
    assert_string_equal(errtype_reason(v.errors.items[1].type), "FieldValueDuplicate");
    verdict_free(&v);
}

static void test_config_patch_review(void **state)
{
    (void)state;
    struct verdict v;
    verdict_of(AIGW_ANNOTATED "  annotations:\n    ai-gateway-litellm.agentic-layer.ai/config-patch: |\n"
                         "      litellm_settings: {request_timeout: 30}\n      router_setings: {}\n"
                         "spec: {aiModels: [{name: gpt-4o, provider: openai}]}\n", &v);
    assert_int_equal(v.errors.n, 0);
    assert_has(v.warnings, "metadata.annotations[ai-gateway-litellm.agentic-layer.ai/config-patch]: overrides "
                           "litellm_settings.request_timeout: 600 -> 30");
    assert_has(v.warnings, "metadata.annotations[ai-gateway-litellm.agentic-layer.ai/config-patch]: unknown LiteLLM "
                           "config key \"router_setings\" (LiteLLM ignores it); did you mean \"router_settings\"?");
    verdict_free(&v);
    verdict_of(AIGW_ANNOTATED "  annotations:\n    ai-gateway-litellm.agentic-layer.ai/config-patch: \"- a\\n- b\\n\"\n"
                         "spec: {aiModels: [{name: gpt-4o, provider: openai}]}\n", &v);
    assert_has(v.errors, "metadata.annotations[ai-gateway-litellm.agentic-layer.ai/config-patch]: Invalid value: must be "
                         "a YAML mapping of LiteLLM config keys, not a list");
    verdict_free(&v);
    verdict_of(AIGW_ANNOTATED "  annotations:\n    ai-gateway-litellm.agentic-layer.ai/config-patch: |\n"
                         "      model_list: [{model_name: extra, litellm_params: \"x\"}]\n"
                         "spec: {aiModels: [{name: gpt-4o, provider: openai}]}\n", &v);
    assert_has(v.errors, "metadata.annotations[ai-gateway-litellm.agentic-layer.ai/config-patch]: Invalid value: "
                         "\"model_list[extra]\": litellm_params must be a mapping in the merged config");
    verdict_free(&v);
}

/* Field paths are written for every field read; their steps come out as
 * printf's "%.200s" and "[%zu]" would write them, cut at the path's end. */
static void test_field_path_steps(void **state)
{
    (void)state;
    struct mf_path c = { 0 };
    size_t root = mf_push_key(&c, "spec");
    mf_push_key(&c, "aiModels");
    size_t at = mf_push_index(&c, 0);
    assert_string_equal(c.path, "spec.aiModels[0]");
    mf_pop(&c, at);
    mf_push_index(&c, 18446744073709551615u);
    assert_string_equal(c.path, "spec.aiModels[18446744073709551615]");
    mf_pop(&c, root);
    char longkey[301];
    memset(longkey, 'k', 300);
    longkey[300] = '\0';
    mf_push_key(&c, "metadata");
    mf_push_key(&c, longkey);
    assert_int_equal(c.len, strlen("metadata.") + 200);
    for (int i = 0; i < 10; i++)
        mf_push_key(&c, longkey);
    assert_int_equal(c.len, sizeof(c.path) - 1);
    assert_int_equal(strlen(c.path), sizeof(c.path) - 1);
    mf_push_index(&c, 7);
    assert_int_equal(c.len, sizeof(c.path) - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aigateway_valid),
        cmocka_unit_test(test_field_path_steps),
        cmocka_unit_test(test_port_range),
        cmocka_unit_test(test_models_required_and_unique),
        cmocka_unit_test(test_model_and_provider_charset),
        cmocka_unit_test(test_env_rules),
        cmocka_unit_test(test_guardrail_refs),
        cmocka_unit_test(test_metadata_rules),
        cmocka_unit_test(test_gateway_name_must_name_a_service),
        cmocka_unit_test(test_unknown_fields),
        cmocka_unit_test(test_not_ours),
        cmocka_unit_test(test_route_upstream),
        cmocka_unit_test(test_route_filters),
        cmocka_unit_test(test_list_limits),
        cmocka_unit_test(test_guard_rules),
        cmocka_unit_test(test_provider_rules),
        cmocka_unit_test(test_toolserver_rules),
        cmocka_unit_test(test_all_errors_at_once),
        cmocka_unit_test(test_config_patch_review),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
