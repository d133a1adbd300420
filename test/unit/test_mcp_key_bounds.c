/* The MCP server key's length boundary: a ToolRoute's key in LiteLLM's
 * mcp_servers (and the last segment of its URL) is at most GW_MCP_KEY_MAX
 * characters. Admission takes a v1beta1 spec.serverName of exactly that
 * length and refuses one more with the field path; the renderer uses a
 * name of that length as written; a key derived from namespace and name
 * stays plain up to that length and is shortened with a hash beyond it. */
#include "testutil.h"

#include "render_mcp.h"
#include "render_types.h"

#define V1B1 "apiVersion: runtime.agentic-layer.ai/v1beta1\n"
#define SERVER_NAME_ERROR                                                                                 \
    "spec.serverName: Invalid value: must be 1 to 24 letters, digits or underscores (it becomes the "    \
    "mcp_servers key and URL segment)"

/* n copies of ch, then '\0'; out holds at least n + 1 bytes. */
static char *repeat(char *out, char ch, size_t n)
{
    memset(out, ch, n);
    out[n] = '\0';
    return out;
}

static void route_yaml(char *out, size_t size, const char *ns, const char *name, const char *server_name)
{
    int n = snprintf(out, size,
                     V1B1 "kind: ToolRoute\nmetadata: {name: %s, namespace: %s, creationTimestamp: "
                          "'2026-01-01T00:00:00Z'}\n"
                          "spec:\n%s%s%s  upstream: {external: {url: 'https://up.example/mcp'}}\n",
                     name, ns, server_name ? "  serverName: " : "", server_name ? server_name : "",
                     server_name ? "\n" : "");
    assert_true(n > 0 && (size_t)n < size);
}

static void admit(const char *yaml, struct verdict *v)
{
    errlist_init(&v->errors);
    errlist_init(&v->warnings);
    json_object *o = yaml_obj(yaml);
    v->rc = gw_validate_any(o, "team", &v->errors, &v->warnings);
    json_object_put(o);
}

static void test_the_documented_maximum_is_the_renderers(void **state)
{
    (void)state;
    /* The CRD schema and the admission message say 24. */
    assert_int_equal(GW_MCP_KEY_MAX, 24);
}

static void test_admission_takes_the_longest_server_name_and_refuses_one_more(void **state)
{
    (void)state;
    char name[GW_MCP_KEY_MAX + 2], yaml[1024];
    struct verdict v;

    route_yaml(yaml, sizeof(yaml), "team", "r", repeat(name, 'k', GW_MCP_KEY_MAX));
    admit(yaml, &v);
    if (v.errors.n)
        dump_list("errors", &v.errors);
    assert_int_equal(v.rc, 0);
    assert_int_equal(v.errors.n, 0);
    verdict_free(&v);

    route_yaml(yaml, sizeof(yaml), "team", "r", repeat(name, 'k', GW_MCP_KEY_MAX + 1));
    admit(yaml, &v);
    assert_int_equal(v.errors.n, 1);
    assert_has(v.errors, SERVER_NAME_ERROR);
    verdict_free(&v);

    /* The boundary holds for names of the allowed characters only. */
    repeat(name, 'k', GW_MCP_KEY_MAX);
    name[3] = '-';
    route_yaml(yaml, sizeof(yaml), "team", "r", name);
    admit(yaml, &v);
    assert_has(v.errors, SERVER_NAME_ERROR);
    verdict_free(&v);
}

static char **keys_of(struct fixture *f)
{
    char **keys = NULL;
    assert_int_equal(gw_route_keys((const struct gw_object *const *)f->objs, f->n, &keys), 0);
    return keys;
}

static void free_keys(char **keys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
}

static void test_a_server_name_of_the_maximum_is_the_key(void **state)
{
    (void)state;
    char name[GW_MCP_KEY_MAX + 2], yaml[1024];
    struct fixture f;
    route_yaml(yaml, sizeof(yaml), "team", "r", repeat(name, 'k', GW_MCP_KEY_MAX));
    load_objs(&f, yaml);
    assert_int_equal(f.n, 1);
    assert_string_equal(f.objs[0]->beta->server_name, name);
    char **keys = keys_of(&f);
    assert_string_equal(keys[0], name);
    free_keys(keys, 1);

    /* One more (stored by a client the webhook did not see): never used as
     * written; the route gets its derived key instead. */
    free(f.objs[0]->beta->server_name);
    f.objs[0]->beta->server_name = strdup(repeat(name, 'k', GW_MCP_KEY_MAX + 1));
    assert_non_null(f.objs[0]->beta->server_name);
    keys = keys_of(&f);
    assert_string_equal(keys[0], "team_r");
    free_keys(keys, 1);
    free_objs(&f);
}

static void test_a_derived_key_of_the_maximum_stays_plain_one_more_is_hashed(void **state)
{
    (void)state;
    /* "team_" + name: a name of GW_MCP_KEY_MAX - 5 makes a key of exactly
     * the maximum; one more character and the key is cut and hashed. */
    char name[GW_MCP_KEY_MAX + 2], yaml[1024], plain[GW_MCP_KEY_MAX + 8];
    struct fixture f;

    route_yaml(yaml, sizeof(yaml), "team", repeat(name, 'n', GW_MCP_KEY_MAX - 5), NULL);
    load_objs(&f, yaml);
    char **keys = keys_of(&f);
    snprintf(plain, sizeof(plain), "team_%s", name);
    assert_int_equal(strlen(plain), GW_MCP_KEY_MAX);
    assert_string_equal(keys[0], plain);
    free_keys(keys, 1);
    free_objs(&f);

    route_yaml(yaml, sizeof(yaml), "team", repeat(name, 'n', GW_MCP_KEY_MAX - 4), NULL);
    load_objs(&f, yaml);
    keys = keys_of(&f);
    assert_int_equal(strlen(keys[0]), GW_MCP_KEY_MAX);
    /* A prefix of the plain key, '_' and 8 hex digits of "team/<name>". */
    size_t keep = GW_MCP_KEY_MAX - 9;
    snprintf(plain, sizeof(plain), "team_%s", name);
    assert_memory_equal(keys[0], plain, keep);
    assert_int_equal(keys[0][keep], '_');
    for (size_t i = keep + 1; i < GW_MCP_KEY_MAX; i++)
        assert_non_null(strchr("0123456789abcdef", keys[0][i]));
    assert_string_not_equal(keys[0], plain);
    free_keys(keys, 1);
    free_objs(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_documented_maximum_is_the_renderers),
        cmocka_unit_test(test_admission_takes_the_longest_server_name_and_refuses_one_more),
        cmocka_unit_test(test_a_server_name_of_the_maximum_is_the_key),
        cmocka_unit_test(test_a_derived_key_of_the_maximum_stays_plain_one_more_is_hashed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
