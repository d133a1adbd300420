/* Label selectors (metav1.LabelSelector): which label sets a selector
 * selects, and which selectors are refused and at which field path. */
#include "testutil.h"

#include "convert.h"
#include "labelsel.h"
#include "strbuf.h"

#define KEY_RULE                                                                                              \
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "     \
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "      \
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define VALUE_RULE                                                                                            \
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must " \
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "  \
    "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"

static bool matches(const char *sel, const char *labels)
{
    json_object *s = sel ? yaml_obj(sel) : NULL;
    json_object *l = labels ? yaml_obj(labels) : NULL;
    bool m = gw_labelsel_matches(s, l);
    json_object_put(s);
    json_object_put(l);
    return m;
}

static void test_match_labels(void **state)
{
    (void)state;
    assert_true(matches("{matchLabels: {team: a}}", "{team: a, env: prod}"));
    assert_false(matches("{matchLabels: {team: a}}", "{team: b}"));
    assert_false(matches("{matchLabels: {team: a}}", "{}"));
    assert_false(matches("{matchLabels: {team: a}}", NULL));
    /* every label must hold */
    assert_true(matches("{matchLabels: {team: a, env: prod}}", "{team: a, env: prod, x: y}"));
    assert_false(matches("{matchLabels: {team: a, env: prod}}", "{team: a, env: dev}"));
    /* an empty value is a value: only an empty label matches it */
    assert_true(matches("{matchLabels: {team: ''}}", "{team: ''}"));
    assert_false(matches("{matchLabels: {team: ''}}", "{}"));
    /* prefixed keys */
    assert_true(matches("{matchLabels: {kubernetes.io/metadata.name: tools}}",
                        "{kubernetes.io/metadata.name: tools}"));
}

static void test_empty_and_missing(void **state)
{
    (void)state;
    /* {} selects everything, a missing selector nothing */
    assert_true(matches("{}", "{team: a}"));
    assert_true(matches("{}", NULL));
    assert_true(matches("{matchLabels: {}, matchExpressions: []}", NULL));
    assert_false(matches(NULL, "{team: a}"));
}

static void test_expressions(void **state)
{
    (void)state;
    const char *in = "{matchExpressions: [{key: team, operator: In, values: [a, b]}]}";
    assert_true(matches(in, "{team: a}"));
    assert_true(matches(in, "{team: b}"));
    assert_false(matches(in, "{team: c}"));
    assert_false(matches(in, "{}"));
    const char *notin = "{matchExpressions: [{key: team, operator: NotIn, values: [a]}]}";
    assert_false(matches(notin, "{team: a}"));
    assert_true(matches(notin, "{team: b}"));
    assert_true(matches(notin, "{}")); /* absent is not in */
    const char *exists = "{matchExpressions: [{key: team, operator: Exists}]}";
    assert_true(matches(exists, "{team: ''}"));
    assert_false(matches(exists, "{other: a}"));
    const char *dne = "{matchExpressions: [{key: team, operator: DoesNotExist, values: []}]}";
    assert_false(matches(dne, "{team: a}"));
    assert_true(matches(dne, "{other: a}"));
    /* matchLabels and every expression together */
    const char *all = "{matchLabels: {env: prod}, matchExpressions: [{key: team, operator: In, values: [a]},"
                      " {key: legacy, operator: DoesNotExist}]}";
    assert_true(matches(all, "{env: prod, team: a}"));
    assert_false(matches(all, "{env: dev, team: a}"));
    assert_false(matches(all, "{env: prod, team: a, legacy: 'true'}"));
    assert_false(matches(all, "{env: prod, team: b}"));
}

static void test_invalid_selects_nothing(void **state)
{
    (void)state;
    assert_false(matches("{matchExpressions: [{key: team, operator: In}]}", "{team: a}"));
    assert_false(matches("{matchExpressions: [{key: team, operator: Has, values: [a]}]}", "{team: a}"));
    assert_false(matches("{matchExpressions: [{key: team, operator: Exists, values: [a]}]}", "{team: a}"));
    assert_false(matches("{matchLabels: {team: 7}}", "{team: '7'}"));
    assert_false(matches("[]", "{team: a}"));
}

/* The problems of sel under path "sel", one per line. */
static void assert_problems(const char *sel, int n, const char *const *want)
{
    json_object *s = yaml_obj(sel);
    struct gw_errlist e;
    errlist_init(&e);
    int r = gw_labelsel_check(s, "sel", &e);
    if (r != n || e.n != (size_t)n)
        dump_list(sel, &e);
    assert_int_equal(r, n);
    assert_int_equal(e.n, (size_t)n);
    for (int i = 0; i < n; i++)
        assert_string_equal(e.items[i].message, want[i]);
    errlist_free(&e);
    json_object_put(s);
}

static void test_check(void **state)
{
    (void)state;
    assert_problems("{}", 0, NULL);
    assert_problems("{matchLabels: {a.io/team: x_y.z-1}, matchExpressions: [{key: t, operator: Exists}]}", 0, NULL);
    assert_problems("{matchExpressions: [{key: team, operator: In}]}", 1,
                    (const char *[]){ "sel.matchExpressions[0].values: Required value: must be specified when "
                                      "`operator` is 'In' or 'NotIn'" });
    assert_problems("{matchExpressions: [{key: team, operator: DoesNotExist, values: [a]}]}", 1,
                    (const char *[]){ "sel.matchExpressions[0].values: Forbidden: may not be specified when "
                                      "`operator` is 'Exists' or 'DoesNotExist'" });
    assert_problems("{matchExpressions: [{key: team, operator: Has}]}", 1,
                    (const char *[]){ "sel.matchExpressions[0].operator: Unsupported value: \"Has\": supported "
                                      "values: \"In\", \"NotIn\", \"Exists\", \"DoesNotExist\"" });
    assert_problems("{matchExpressions: [{operator: Exists}]}", 1,
                    (const char *[]){ "sel.matchExpressions[0].key: Required value" });
    assert_problems("{matchLabels: {'bad key!': 'bad value!'}}", 2,
                    (const char *[]){ "sel.matchLabels: Invalid value: \"bad key!\": " KEY_RULE,
                                      "sel.matchLabels[bad key!]: Invalid value: \"bad value!\": " VALUE_RULE });
    assert_problems("{matchLabels: [a], matchExpressions: {a: b}, other: 1}", 3,
                    (const char *[]){ "sel.matchLabels: Invalid value: must be a map of label keys to values",
                                      "sel.matchExpressions: Invalid value: must be a list of {key, operator, values}",
                                      "sel.other: Forbidden: unknown field (a label selector has matchLabels and "
                                      "matchExpressions)" });
    assert_problems("{matchExpressions: [{key: 5, operator: In, values: [1, 'a b']}]}", 3,
                    (const char *[]){ "sel.matchExpressions[0].key: Invalid value: must be a string",
                                      "sel.matchExpressions[0].values[0]: Invalid value: must be a string",
                                      "sel.matchExpressions[0].values[1]: Invalid value: \"a b\": " VALUE_RULE });
    assert_problems("[]", 1, (const char *[]){ "sel: Invalid value: must be a label selector {matchLabels, "
                                               "matchExpressions}" });
}

/* Bounded: more requirements than the cap are one problem, not a walk. */
static void test_bounds(void **state)
{
    (void)state;
    struct strbuf b;
    sb_init(&b, 1 << 16);
    sb_addf(&b, "{matchExpressions: [");
    for (int i = 0; i <= GW_LABELSEL_MAX_REQUIREMENTS; i++)
        sb_addf(&b, "%s{key: k%d, operator: Exists}", i ? ", " : "", i);
    sb_addf(&b, "]}");
    assert_problems(sb_str(&b), 1, (const char *[]){ "sel.matchExpressions: Too many: must have at most 64 "
                                                     "expressions" });
    sb_release(&b);
}

/* Admission refuses a ToolGateway whose selector is invalid, at the field
 * path of the version the user wrote; a valid one passes. */
static void test_admission(void **state)
{
    (void)state;
    struct verdict v;
    const char *bad = "apiVersion: runtime.agentic-layer.ai/v1beta1\nkind: ToolGateway\nmetadata: {name: t}\n"
                      "spec:\n  allowedRoutes: {namespaces: {from: Selector, selector: {matchExpressions:\n"
                      "    [{key: team, operator: In, values: [a]}, {key: team, operator: Exists, values: [a]}]}}}\n";
    json_object *o = yaml_obj(bad);
    errlist_init(&v.errors);
    errlist_init(&v.warnings);
    assert_int_equal(gw_validate_any(o, "ns", &v.errors, &v.warnings), 0);
    assert_has(v.errors, "spec.allowedRoutes.namespaces.selector.matchExpressions[1].values: Forbidden: may not be "
                         "specified when `operator` is 'Exists' or 'DoesNotExist'");
    assert_int_equal(v.errors.n, 1);
    verdict_free(&v);
    json_object_put(o);

    const char *good = "apiVersion: runtime.agentic-layer.ai/v1beta1\nkind: ToolGateway\nmetadata: {name: t}\n"
                       "spec:\n  allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {team: a},\n"
                       "    matchExpressions: [{key: env, operator: NotIn, values: [dev]}]}}}\n";
    o = yaml_obj(good);
    errlist_init(&v.errors);
    errlist_init(&v.warnings);
    assert_int_equal(gw_validate_any(o, "ns", &v.errors, &v.warnings), 0);
    if (v.errors.n)
        dump_list("errors", &v.errors);
    assert_int_equal(v.errors.n, 0);
    verdict_free(&v);
    json_object_put(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_labels),
        cmocka_unit_test(test_empty_and_missing),
        cmocka_unit_test(test_expressions),
        cmocka_unit_test(test_invalid_selects_nothing),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_admission),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
