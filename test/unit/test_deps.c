/* Which reconcile keys a change touches. */
#include "testutil.h"

#include <errno.h>

#include "deps.h"

#define V1A1 "---\napiVersion: runtime.agentic-layer.ai/v1alpha1\n"
static const char *WORLD =
    V1A1 "kind: AiGateway\nmetadata: {name: main, namespace: ai}\n"
    "spec: {aiModels: [{name: a, provider: openai}], guardrails: [{name: pii}, {name: mod, namespace: shared}]}\n"
    V1A1 "kind: AiGateway\nmetadata: {name: plain, namespace: ai}\nspec: {aiModels: [{name: a, provider: openai}]}\n"
    V1A1 "kind: AiGateway\nmetadata: {name: other, namespace: elsewhere}\nspec: {aiModels: [{name: a, provider: openai}]}\n"
    V1A1 "kind: Guard\nmetadata: {name: pii, namespace: ai}\nspec: {mode: [pre_call], providerRef: {name: presidio}}\n"
    V1A1 "kind: Guard\nmetadata: {name: mod, namespace: shared}\nspec: {mode: [pre_call], providerRef: {name: oai}}\n"
    V1A1 "kind: GuardrailProvider\nmetadata: {name: presidio, namespace: ai}\nspec: {type: presidio-api, presidio: {baseUrl: 'http://p'}}\n"
    V1A1 "kind: ToolGateway\nmetadata: {name: tools, namespace: tg}\nspec: {}\n"
    V1A1 "kind: ToolGateway\nmetadata: {name: spare, namespace: tg}\nspec: {}\n"
    V1A1 "kind: ToolRoute\nmetadata: {name: weather, namespace: team}\n"
    "spec: {toolGatewayRef: {name: tools, namespace: tg}, upstream: {toolServerRef: {name: weather}}}\n"
    V1A1 "kind: ToolRoute\nmetadata: {name: lost, namespace: team}\nspec: {upstream: {external: {url: 'http://x.example'}}}\n"
    V1A1 "kind: ToolServer\nmetadata: {name: weather, namespace: team}\nspec: {protocol: mcp, transportType: http, port: 8000}\n"
    "---\napiVersion: v1\nkind: Secret\nmetadata: {name: api-key-secrets, namespace: ai}\n";

static struct fixture F;

static const struct gw_object *obj(const char *kind, const char *name)
{
    for (size_t i = 0; i < F.n; i++)
        if (strcmp(gw_kind_name(F.objs[i]->kind), kind) == 0 && strcmp(F.objs[i]->meta.name, name) == 0)
            return F.objs[i];
    fail_msg("no %s %s", kind, name);
    return NULL;
}

static char *joined(const struct gw_object *o, const struct gw_object *old)
{
    struct gw_objset w = { (const struct gw_object *const *)F.objs, F.n };
    struct ctl_keys k = { 0 };
    assert_int_equal(ctl_affected_keys(&w, o, old, &k), 0);
    static char buf[1024];
    buf[0] = '\0';
    for (size_t i = 0; i < k.n; i++) {
        strncat(buf, k.items[i], sizeof(buf) - strlen(buf) - 2);
        strncat(buf, " ", sizeof(buf) - strlen(buf) - 1);
    }
    ctl_keys_release(&k);
    return buf;
}

static void test_affected_keys(void **state)
{
    (void)state;
    load_objs(&F, WORLD);
    assert_string_equal(joined(obj("AiGateway", "main"), NULL), "AiGateway/ai/main ");
    assert_string_equal(joined(obj("Guard", "pii"), NULL), "AiGateway/ai/main ");
    assert_string_equal(joined(obj("Guard", "mod"), NULL), "AiGateway/ai/main ");
    assert_string_equal(joined(obj("GuardrailProvider", "presidio"), NULL), "AiGateway/ai/main ");
    assert_string_equal(joined(obj("ToolServer", "weather"), NULL), "ToolGateway/tg/tools ");
    /* Two ToolGateways and none marked default: the ref-less route is its own key. */
    assert_string_equal(joined(obj("ToolRoute", "lost"), NULL), "ToolRoute/team/lost ");
    /* Retargeted: the old gateway is refreshed too. */
    assert_string_equal(joined(obj("ToolRoute", "weather"), obj("ToolRoute", "lost")),
                        "ToolGateway/tg/tools ToolRoute/team/lost ");
    assert_string_equal(joined(obj("ToolGateway", "spare"), NULL),
                        "ToolGateway/tg/spare ToolGateway/tg/tools ToolRoute/team/lost ");
    assert_string_equal(joined(obj("Secret", "api-key-secrets"), NULL), "AiGateway/ai/main AiGateway/ai/plain ");
    free_objs(&F);
}

static void test_owner_key_from_labels(void **state)
{
    (void)state;
    json_object *cm = yaml_obj("metadata: {name: main-config, namespace: ai, labels: {app.kubernetes.io/managed-by: "
                               "litellm-gateway-operator, app.kubernetes.io/component: ai-gateway, "
                               "app.kubernetes.io/instance: main}}\n");
    json_object *foreign = yaml_obj("metadata: {name: x, namespace: ai, labels: {app.kubernetes.io/instance: main}}\n");
    struct ctl_keys k = { 0 };
    assert_int_equal(ctl_owner_key(cm, &k), 0);
    assert_int_equal(ctl_owner_key(foreign, &k), -ENOENT);
    assert_int_equal(k.n, 1);
    assert_string_equal(k.items[0], "AiGateway/ai/main");
    char buf[64];
    snprintf(buf, sizeof(buf), "%s", k.items[0]);
    const char *kind, *ns, *name;
    assert_int_equal(ctl_key_split(buf, &kind, &ns, &name), 0);
    assert_string_equal(kind, "AiGateway");
    assert_string_equal(ns, "ai");
    assert_string_equal(name, "main");
    char bad[] = "AiGateway/ai";
    assert_int_equal(ctl_key_split(bad, &kind, &ns, &name), -EINVAL);
    ctl_keys_release(&k);
    json_object_put(cm);
    json_object_put(foreign);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_affected_keys),
        cmocka_unit_test(test_owner_key_from_labels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
