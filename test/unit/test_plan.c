/* Reconcile planning: class claiming, what gets applied, conditions, route
 * statuses, and that a converged world plans nothing. */
#include <errno.h>

#include "plantest.h"
#include "status.h"
#include "strbuf.h"

#define V1A1 "apiVersion: runtime.agentic-layer.ai/v1alpha1\n"
#define AICLASS(ctl, def) "---\n" V1A1 "kind: AiGatewayClass\nmetadata: {name: litellm" def "}\nspec: {controller: " ctl "}\n"
#define OURS "aigateway.agentic-layer.ai/ai-gateway-litellm-controller"
#define DEFAULT_ANN ", annotations: {aigatewayclass.kubernetes.io/is-default-class: 'true'}"
#define GW(extra) V1A1 "kind: AiGateway\nmetadata: {name: main, namespace: ai, uid: u-1, generation: 3}\n" \
    "spec: {" extra "aiModels: [{name: gpt-4o, provider: openai}]}\n"

static void test_class_claiming(void **state)
{
    (void)state;
    static const struct {
        const char *yaml;
        bool ours;
        bool class_missing;     /* then the plan holds one Warning Event and nothing else */
    } cases[] = {
        { GW("aiGatewayClassName: litellm, ") AICLASS(OURS, ""), true, false },
        { GW("aiGatewayClassName: litellm, ") AICLASS("example.com/other", DEFAULT_ANN), false, false },
        { GW("aiGatewayClassName: missing, ") AICLASS(OURS, DEFAULT_ANN), false, true }, /* never falls back */
        { GW("") AICLASS(OURS, DEFAULT_ANN), true, false },
        { GW("") AICLASS(OURS, ""), false, false },                                       /* no default class */
        { GW("") AICLASS("example.com/other", DEFAULT_ANN), false, false },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fixture f;
        load_objs(&f, cases[i].yaml);
        struct gw_objset set = { (const struct gw_object *const *)f.objs, f.n };
        const char *why = NULL;
        if (ctl_gateway_is_ours(first_gateway(&f), &set, &why) != cases[i].ours)
            fail_msg("case %zu: want ours=%d (why: %s)", i, cases[i].ours, why ? why : "-");
        struct ctl_plan p;
        assert_int_equal(plan_first(&f, &(struct ctl_live){ 0 }, &p), 0);
        if (cases[i].class_missing) {
            assert_int_equal(p.n_statuses + (p.apply[0] != NULL) + (p.apply[1] != NULL) + (p.apply[2] != NULL), 0);
            assert_int_equal(p.n_events, 1);
            assert_true(p.events[0].warning);
            assert_string_equal(p.events[0].reason, CTL_R_CLASS_NOT_FOUND);
            assert_non_null(strstr(p.events[0].message, "AiGatewayClass \"missing\" does not exist"));
            ctl_plan_release(&p);
            free_objs(&f);
            continue;
        }
        assert_int_equal(p.ours, cases[i].ours);
        if (!p.ours)
            assert_int_equal(p.n_statuses + p.n_events + (p.apply[0] != NULL), 0);
        ctl_plan_release(&p);
        free_objs(&f);
    }
}

/* Replaces the gateway's status with what the plan wrote and makes the
 * applied objects live, with a Deployment the "kubelet" marked available. */
static void converge(struct fixture *f, struct ctl_plan *p, struct ctl_live *live)
{
    struct gw_object *gw = (struct gw_object *)first_gateway(f);
    for (size_t i = 0; i < p->n_statuses; i++)
        if (strcmp(p->statuses[i].name, gw->meta.name) == 0)
            json_object_object_add(gw->root, "status", json_object_get(p->statuses[i].status));
    make_live(p, live);
}

static void test_new_gateway_applies_then_converged_plans_nothing(void **state)
{
    (void)state;
    struct fixture f;
    load_objs(&f, GW("") AICLASS(OURS, DEFAULT_ANN));
    struct ctl_live live = { 0 };
    struct ctl_plan p;
    assert_int_equal(plan_first(&f, &live, &p), 0);
    assert_true(p.ours);
    for (int i = 0; i < 3; i++)
        assert_non_null(p.apply[i]);
    assert_true(p.requeue);
    assert_int_equal(p.n_statuses, 1);
    json_object *st = p.statuses[0].status;
    assert_string_equal(cond_field(st, CTL_AI_CONFIGURED, "status"), "True");
    assert_string_equal(cond_field(st, CTL_AI_CONFIGURED, "reason"), CTL_R_CONFIGURATION_APPLIED);
    assert_string_equal(cond_field(st, CTL_AI_READY, "status"), "False");
    assert_string_equal(cond_field(st, CTL_AI_READY, "reason"), CTL_R_ROLLING_OUT);
    assert_string_equal(cond_field(st, CTL_AI_READY, "message"), "creating the Deployment");
    assert_int_equal(json_object_get_int64(json_object_object_get(
                         json_object_array_get_idx(json_object_object_get(st, "conditions"), 0), "observedGeneration")), 3);
    assert_int_equal(p.n_events, 1);
    assert_string_equal(p.events[0].message, "applying ConfigMap main-config, Deployment main, Service main");

    converge(&f, &p, &live);
    ctl_plan_release(&p);
    /* The rollout finished: only Ready flips. */
    assert_int_equal(plan_first(&f, &live, &p), 0);
    assert_no_apply(&p);
    assert_int_equal(p.n_statuses, 1);
    assert_string_equal(cond_field(p.statuses[0].status, CTL_AI_READY, "status"), "True");
    assert_string_equal(cond_field(p.statuses[0].status, CTL_AI_READY, "reason"), CTL_R_RECONCILED);
    assert_false(p.requeue);
    converge(&f, &p, &live);
    ctl_plan_release(&p);
    /* Converged: a resync plans no write at all. */
    assert_int_equal(plan_first(&f, &live, &p), 0);
    assert_no_writes(&p);
    ctl_plan_release(&p);
    live_release(&live);
    free_objs(&f);
}

static void test_broken_guard_keeps_workload_and_says_why(void **state)
{
    (void)state;
    struct fixture f;
    load_objs(&f, GW("guardrails: [{name: missing}], ") AICLASS(OURS, DEFAULT_ANN));
    struct ctl_live live = { 0 };
    struct ctl_plan p;
    assert_int_equal(plan_first(&f, &live, &p), 0);
    assert_no_apply(&p);
    assert_int_equal(p.n_statuses, 1);
    json_object *st = p.statuses[0].status;
    assert_string_equal(cond_field(st, CTL_AI_CONFIGURED, "status"), "False");
    assert_string_equal(cond_field(st, CTL_AI_CONFIGURED, "reason"), CTL_R_GUARDS_FAILED);
    assert_non_null(strstr(cond_field(st, CTL_AI_CONFIGURED, "message"), "spec.guardrails[0]"));
    assert_int_equal(p.n_events, 1);
    assert_true(p.events[0].warning);
    /* Once the status says so, no new Event and no write. */
    json_object_object_add(f.objs[0]->root, "status", json_object_get(st));
    ctl_plan_release(&p);
    assert_int_equal(plan_first(&f, &live, &p), 0);
    assert_int_equal(p.n_events + p.n_statuses, 0);
    ctl_plan_release(&p);
    free_objs(&f);
}

/* A valid patch with many additions yields many notes: the planner joins
 * them into a bounded Configured message that counts what it leaves out,
 * instead of failing the reconcile. */
static void test_many_patch_notes_are_bounded_not_fatal(void **state)
{
    (void)state;
    struct strbuf sb;
    sb_init(&sb, 0);
    sb_adds(&sb, V1A1 "kind: AiGateway\nmetadata:\n  name: main\n  namespace: ai\n  uid: u-1\n  generation: 3\n"
                 "  annotations:\n    ai-gateway-litellm.agentic-layer.ai/config-patch: |\n"
                 "      litellm_settings:\n");
    for (int i = 0; i < 45; i++)
        sb_addf(&sb, "        a_rather_long_setting_name_to_fill_the_message_%02d: %d\n", i, i);
    sb_adds(&sb, "spec: {aiModels: [{name: gpt-4o, provider: openai}]}\n" AICLASS(OURS, DEFAULT_ANN));
    char *text = sb_detach(&sb, NULL);
    struct fixture f;
    load_objs(&f, text);
    free(text);
    struct ctl_live live = { 0 };
    struct ctl_plan p;
    assert_int_equal(plan_first(&f, &live, &p), 0);
    assert_non_null(p.apply[0]);
    json_object *st = p.statuses[0].status;
    assert_string_equal(cond_field(st, CTL_AI_CONFIGURED, "status"), "True");
    const char *msg = cond_field(st, CTL_AI_CONFIGURED, "message");
    assert_true(strlen(msg) < 4200);
    assert_non_null(strstr(msg, "adds litellm_settings.a_rather_long_setting_name_to_fill_the_message_00"));
    assert_non_null(strstr(msg, " more"));
    ctl_plan_release(&p);
    free_objs(&f);
}

#define TOOLCLASS "---\n" V1A1 "kind: ToolGatewayClass\nmetadata: {name: litellm, annotations: " \
    "{toolgatewayclass.kubernetes.io/is-default-class: 'true'}}\nspec: {controller: litellm.agentic-layer.ai/tool-gateway-litellm-controller}\n"
#define TOOLGW V1A1 "kind: ToolGateway\nmetadata: {name: tools, namespace: tg, uid: u-2, generation: 1}\nspec: {}\n"

#define ROUTES_FIXTURE TOOLGW TOOLCLASS \
    "---\n" V1A1 "kind: ToolRoute\nmetadata: {name: weather, namespace: team, generation: 2}\n" \
    "spec: {toolGatewayRef: {name: tools, namespace: tg}, upstream: {toolServerRef: {name: weather}}}\n" \
    "---\n" V1A1 "kind: ToolServer\nmetadata: {name: weather, namespace: team}\n" \
    "spec: {protocol: mcp, transportType: http, port: 8000, path: /mcp}\n" \
    "---\n" V1A1 "kind: ToolRoute\nmetadata: {name: gone, namespace: team, generation: 1}\n" \
    "spec: {toolGatewayRef: {name: tools, namespace: tg}, upstream: {toolServerRef: {name: nowhere}}}\n"

static void test_routes_get_exact_statuses(void **state)
{
    (void)state;
    struct fixture f;
    load_objs(&f, ROUTES_FIXTURE);
    struct ctl_live live = { 0 };
    struct ctl_plan p;
    assert_int_equal(plan_first(&f, &live, &p), 0);
    assert_int_equal(p.n_statuses, 3);
    /* The good route is in the config; the broken one is not. */
    const char *cfg = json_object_get_string(json_object_object_get(
        json_object_object_get(p.apply[0], "data"), "config.yaml"));
    assert_non_null(strstr(cfg, "team_weather:"));
    assert_null(strstr(cfg, "team_gone"));
    /* While the gateway rolls out, the good route waits for it: no url. */
    json_object *weather = status_of(&p, GW_KIND_TOOLROUTE, "weather");
    assert_string_equal(cond_field(weather, CTL_ROUTE_READY, "status"), "False");
    assert_string_equal(cond_field(weather, CTL_ROUTE_READY, "reason"), CTL_R_GATEWAY_NOT_READY);
    assert_string_equal(cond_field(weather, CTL_COND_RECONCILING, "status"), "True");
    assert_string_equal(cond_field(weather, CTL_COND_STALLED, "status"), "False");
    assert_null(json_object_object_get(weather, "url"));
    converge(&f, &p, &live);
    write_statuses(&f, &p);
    ctl_plan_release(&p);

    /* The gateway is Ready: so is the route, with its url. */
    assert_int_equal(plan_first(&f, &live, &p), 0);
    json_object *gw = status_of(&p, GW_KIND_TOOLGATEWAY, "tools");
    weather = status_of(&p, GW_KIND_TOOLROUTE, "weather");
    json_object *gone = status_of(&p, GW_KIND_TOOLROUTE, "gone");
    assert_non_null(gw);
    assert_non_null(weather);
    assert_string_equal(json_object_get_string(json_object_object_get(gw, "url")),
                        "http://tools.tg.svc.cluster.local");
    assert_string_equal(json_object_get_string(json_object_object_get(weather, "url")),
                        "http://tools.tg.svc.cluster.local/mcp/team_weather");
    assert_string_equal(cond_field(weather, CTL_ROUTE_ACCEPTED, "message"), "attached to ToolGateway tg/tools");
    assert_string_equal(cond_field(weather, CTL_ROUTE_READY, "status"), "True");
    assert_string_equal(cond_field(weather, CTL_ROUTE_RESOLUTION_FAILED, "status"), "False");
    assert_string_equal(cond_field(weather, CTL_COND_RECONCILING, "status"), "False");
    assert_string_equal(cond_field(weather, CTL_COND_STALLED, "status"), "False");
    /* The broken route said so already; nothing new to write for it. */
    assert_null(gone);
    gone = json_object_object_get(obj_named(&f, GW_KIND_TOOLROUTE, "gone")->root, "status");
    assert_null(json_object_object_get(gone, "url"));
    assert_string_equal(cond_field(gone, CTL_ROUTE_READY, "status"), "False");
    assert_string_equal(cond_field(gone, CTL_ROUTE_RESOLUTION_FAILED, "status"), "True");
    assert_string_equal(cond_field(gone, CTL_ROUTE_RESOLUTION_FAILED, "reason"), CTL_R_UPSTREAM_UNRESOLVED);
    assert_string_equal(cond_field(gone, CTL_COND_STALLED, "status"), "True");
    write_statuses(&f, &p);
    ctl_plan_release(&p);

    /* Converged: nothing to write. */
    assert_int_equal(plan_first(&f, &live, &p), 0);
    assert_int_equal(p.n_statuses + p.n_events, 0);
    ctl_plan_release(&p);

    /* The Deployment loses its available replica: the route stops being
     * Ready and the write removes its url explicitly. */
    json_object_object_add(json_object_object_get(live.deployment, "status"), "availableReplicas",
                           json_object_new_int(0));
    assert_int_equal(plan_first(&f, &live, &p), 0);
    weather = status_of(&p, GW_KIND_TOOLROUTE, "weather");
    assert_non_null(weather);
    json_object *url = (json_object *)1;
    assert_true(json_object_object_get_ex(weather, "url", &url));
    assert_null(url);
    assert_string_equal(cond_field(weather, CTL_ROUTE_READY, "status"), "False");
    write_statuses(&f, &p);
    ctl_plan_release(&p);
    assert_null(json_object_object_get(json_object_object_get(
        obj_named(&f, GW_KIND_TOOLROUTE, "weather")->root, "status"), "url"));
    /* ...and once it says so, it is not written again. */
    assert_int_equal(plan_first(&f, &live, &p), 0);
    assert_int_equal(p.n_statuses, 0);
    ctl_plan_release(&p);
    live_release(&live);
    free_objs(&f);
}

/* A route of namespace team to ToolGateway tg/tools, with an external
 * upstream and the tool filter allow. */
#define EXT_ROUTE(allow)                                                                              \
    "---\n" V1A1 "kind: ToolRoute\nmetadata: {name: ext, namespace: team, generation: 1}\n"            \
    "spec: {toolGatewayRef: {name: tools, namespace: tg}, upstream: {external: {url: "                \
    "'https://mcp.example.com/mcp'}}, toolFilter: {allow: " allow "}}\n"

/* The tool lists planning the fixture's first gateway needs. */
static size_t tool_needs(struct fixture *f, struct mcp_tool_list **ret)
{
    struct gw_objset set = { (const struct gw_object *const *)f->objs, f->n };
    size_t n = 7;
    assert_int_equal(ctl_plan_tool_needs(first_gateway(f), &set, ret, &n), 0);
    return n;
}

/* Plans the fixture's first gateway with the gathered lists. */
static void plan_with_lists(struct fixture *f, struct mcp_tool_list *lists, size_t n, struct ctl_plan *p)
{
    struct ctl_plan_options o = PLAN_OPT;
    o.tool_lists = lists;
    o.n_tool_lists = n;
    assert_int_equal(plan_first_with(f, &(struct ctl_live){ 0 }, &o, p), 0);
}

/* The planner never waits for an upstream: a list still being fetched
 * means an empty plan and a requeue, not a route failed for want of it. */
static void test_pending_tool_list_requeues_without_writing(void **state)
{
    (void)state;
    struct fixture f;
    load_objs(&f, TOOLGW TOOLCLASS EXT_ROUTE("['get_*']"));
    struct mcp_tool_list *lists = NULL;
    size_t asked = tool_needs(&f, &lists);
    assert_int_equal(asked, 1);
    assert_int_equal(lists[0].status, -EAGAIN);
    struct ctl_plan p;
    plan_with_lists(&f, lists, asked, &p);
    assert_true(p.ours);
    assert_true(p.requeue);
    assert_no_writes(&p);
    ctl_plan_release(&p);
    /* The list landed. */
    lists[0].status = 0;
    lists[0].names = calloc(3, sizeof(*lists[0].names));
    lists[0].names[0] = strdup("get_weather");
    lists[0].names[1] = strdup("set_weather");
    lists[0].n = 2;
    plan_with_lists(&f, lists, asked, &p);
    const char *cfg = json_object_get_string(json_object_object_get(
        json_object_object_get(p.apply[0], "data"), "config.yaml"));
    assert_non_null(strstr(cfg, "get_weather"));
    assert_null(strstr(cfg, "set_weather"));
    ctl_plan_release(&p);
    mcp_tool_lists_free(lists, asked);
    free_objs(&f);
}

/* A list that could not be fetched fails the route closed, and its
 * message says why in the fetcher's words. */
static void test_failed_tool_list_is_named_in_route_status(void **state)
{
    (void)state;
    struct fixture f;
    load_objs(&f, TOOLGW TOOLCLASS EXT_ROUTE("['get_*']"));
    struct mcp_tool_list *lists = NULL;
    size_t n = tool_needs(&f, &lists);
    assert_int_equal(n, 1);
    assert_string_equal(lists[0].url, "https://mcp.example.com/mcp");
    assert_string_equal(lists[0].transport, "http");
    lists[0].status = -EIO;
    lists[0].error = strdup("initialize: HTTP 401");
    struct ctl_plan p;
    plan_with_lists(&f, lists, n, &p);
    json_object *route = status_of(&p, GW_KIND_TOOLROUTE, "ext");
    assert_non_null(route);
    assert_non_null(strstr(json_object_to_json_string(route),
                           "listing the upstream's tools failed: initialize: HTTP 401"));
    ctl_plan_release(&p);
    mcp_tool_lists_free(lists, n);
    free_objs(&f);
}

/* Only a ToolGateway of ours with glob filters needs tool lists. */
static void test_tool_needs_only_for_globs_of_ours(void **state)
{
    (void)state;
    static const char *const fixtures[] = {
        TOOLGW TOOLCLASS EXT_ROUTE("[get_weather]"),     /* a literal name: no list needed */
        GW("") AICLASS(OURS, DEFAULT_ANN),                /* an AiGateway has no routes */
        TOOLGW EXT_ROUTE("['get_*']"),                    /* no class: not ours */
    };
    for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
        struct fixture f;
        load_objs(&f, fixtures[i]);
        struct mcp_tool_list *lists = NULL;
        size_t n = tool_needs(&f, &lists);
        if (n != 0)
            fail_msg("case %zu: %zu lists needed", i, n);
        mcp_tool_lists_free(lists, n);
        free_objs(&f);
    }
}

/* What kstatus reads: observedGeneration and exactly one of Ready,
 * Reconciling, Stalled saying where the gateway stands. */
static void test_summary_conditions_for_kstatus(void **state)
{
    (void)state;
    struct fixture f;
    load_objs(&f, GW("") AICLASS(OURS, DEFAULT_ANN));
    struct ctl_live live = { 0 };
    struct ctl_plan p;
    assert_int_equal(plan_first(&f, &live, &p), 0);
    json_object *st = p.statuses[0].status;
    assert_int_equal(json_object_get_int64(json_object_object_get(st, "observedGeneration")), 3);
    assert_string_equal(cond_field(st, CTL_COND_READY, "status"), "False");
    assert_string_equal(cond_field(st, CTL_COND_RECONCILING, "status"), "True");
    assert_string_equal(cond_field(st, CTL_COND_RECONCILING, "reason"), CTL_R_ROLLING_OUT);
    assert_string_equal(cond_field(st, CTL_COND_STALLED, "status"), "False");
    converge(&f, &p, &live);
    ctl_plan_release(&p);
    assert_int_equal(plan_first(&f, &live, &p), 0);
    st = p.statuses[0].status;
    assert_string_equal(cond_field(st, CTL_COND_READY, "status"), "True");
    assert_string_equal(cond_field(st, CTL_COND_RECONCILING, "status"), "False");
    assert_string_equal(cond_field(st, CTL_COND_STALLED, "status"), "False");
    converge(&f, &p, &live);
    ctl_plan_release(&p);
    free_objs(&f);
    live_release(&live);

    /* A config patch that cannot be applied: Stalled, the others False. */
    load_objs(&f, V1A1 "kind: AiGateway\nmetadata: {name: main, namespace: ai, uid: u-1, generation: 4, "
                  "annotations: {ai-gateway-litellm.agentic-layer.ai/config-patch: 'model_list: 3'}}\n"
                  "spec: {aiModels: [{name: gpt-4o, provider: openai}]}\n" AICLASS(OURS, DEFAULT_ANN));
    memset(&live, 0, sizeof(live));
    assert_int_equal(plan_first(&f, &live, &p), 0);
    st = p.statuses[0].status;
    assert_string_equal(cond_field(st, CTL_AI_CONFIGURED, "status"), "False");
    assert_string_equal(cond_field(st, CTL_COND_STALLED, "status"), "True");
    assert_string_equal(cond_field(st, CTL_COND_STALLED, "reason"), cond_field(st, CTL_AI_CONFIGURED, "reason"));
    assert_string_equal(cond_field(st, CTL_COND_READY, "status"), "False");
    assert_string_equal(cond_field(st, CTL_COND_RECONCILING, "status"), "False");
    assert_int_equal(json_object_get_int64(json_object_object_get(st, "observedGeneration")), 4);
    ctl_plan_release(&p);
    free_objs(&f);
}

static void test_status_patch_removes_keys(void **state)
{
    (void)state;
    json_object *old = yaml_obj("{url: 'http://a', conditions: [{type: Ready}], observedGeneration: 2}");
    json_object *want = yaml_obj("{conditions: [{type: Ready}], observedGeneration: 2}");
    json_object *patch = NULL;
    assert_int_equal(ctl_status_patch(old, want, &patch), 0);
    assert_non_null(patch);
    json_object *url = (json_object *)1;
    assert_true(json_object_object_get_ex(patch, "url", &url));
    assert_null(url);
    assert_int_equal(json_object_get_int(json_object_object_get(patch, "observedGeneration")), 2);
    json_object_put(patch);
    /* The same status, or one holding the removal as null: nothing to write. */
    assert_int_equal(ctl_status_patch(want, want, &patch), 0);
    assert_null(patch);
    json_object *with_null = yaml_obj("{url: null, conditions: [{type: Ready}], observedGeneration: 2}");
    assert_int_equal(ctl_status_patch(with_null, want, &patch), 0);
    assert_null(patch);
    /* No live status at all: the whole status. */
    assert_int_equal(ctl_status_patch(NULL, want, &patch), 0);
    assert_true(ctl_json_equal(patch, want));
    json_object_put(patch);
    json_object_put(with_null);
    json_object_put(old);
    json_object_put(want);
}

static void test_orphan_route_says_why(void **state)
{
    (void)state;
    struct fixture f;
    load_objs(&f, V1A1 "kind: ToolRoute\nmetadata: {name: lost, namespace: team, generation: 1}\n"
                  "spec: {upstream: {external: {url: 'http://mcp.example.com/mcp'}}}\n");
    struct gw_objset set = { (const struct gw_object *const *)f.objs, f.n };
    struct ctl_plan p;
    assert_int_equal(ctl_plan_orphan_route(f.objs[0], &set, &set, &PLAN_OPT, &p), 0);
    assert_int_equal(p.n_statuses, 1);
    assert_string_equal(cond_field(p.statuses[0].status, CTL_ROUTE_ACCEPTED, "status"), "False");
    assert_string_equal(cond_field(p.statuses[0].status, CTL_ROUTE_ACCEPTED, "reason"), "NoGateway");
    assert_non_null(strstr(cond_field(p.statuses[0].status, CTL_ROUTE_ACCEPTED, "message"), "not attached: "));
    /* Waiting for a gateway is progress for kstatus, not failure. */
    assert_string_equal(cond_field(p.statuses[0].status, CTL_COND_RECONCILING, "status"), "True");
    assert_string_equal(cond_field(p.statuses[0].status, CTL_COND_STALLED, "status"), "False");
    ctl_plan_release(&p);
    /* A route that had a url (its gateway is gone) loses it explicitly. */
    json_object_object_add(f.objs[0]->root, "status", yaml_obj("{url: 'http://tools.tg.svc.cluster.local/mcp/x'}"));
    assert_int_equal(ctl_plan_orphan_route(f.objs[0], &set, &set, &PLAN_OPT, &p), 0);
    assert_int_equal(p.n_statuses, 1);
    json_object *url = (json_object *)1;
    assert_true(json_object_object_get_ex(p.statuses[0].status, "url", &url));
    assert_null(url);
    ctl_plan_release(&p);
    free_objs(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_class_claiming),
        cmocka_unit_test(test_new_gateway_applies_then_converged_plans_nothing),
        cmocka_unit_test(test_broken_guard_keeps_workload_and_says_why),
        cmocka_unit_test(test_many_patch_notes_are_bounded_not_fatal),
        cmocka_unit_test(test_routes_get_exact_statuses),
        cmocka_unit_test(test_orphan_route_says_why),
        cmocka_unit_test(test_summary_conditions_for_kstatus),
        cmocka_unit_test(test_status_patch_removes_keys),
        cmocka_unit_test(test_pending_tool_list_requeues_without_writing),
        cmocka_unit_test(test_failed_tool_list_is_named_in_route_status),
        cmocka_unit_test(test_tool_needs_only_for_globs_of_ours),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
