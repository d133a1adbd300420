/* The REST client against the real API server: CRUD, server-side apply,
 * status and JSON patches, pagination, metadata-only lists and the error
 * messages built from the server's Status objects. */
#include "itest.h"

struct fixture {
    struct kube_config *cfg;
    struct kube_client *c;
    const char *ns;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    f->cfg = it_config();
    f->c = it_client(f->cfg);
    f->ns = it_ns();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    kube_client_free(f->c);
    kube_config_free(f->cfg);
    free(f);
    return 0;
}

static json_object *configmap(const char *ns, const char *name, const char *value)
{
    return it_json("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"%s\","
                   "\"namespace\":\"%s\",\"labels\":{\"suite\":\"client\"}},\"data\":{\"v\":\"%s\"}}",
                   name, ns, value);
}

static void test_get_and_list(void **state)
{
    struct fixture *f = *state;
    json_object *o = NULL;
    assert_ok(kube_get(f->c, &KUBE_NAMESPACES, NULL, f->ns, &o), f->c);
    assert_string_equal(kube_meta_str(o, "name"), f->ns);
    json_object_put(o);
    json_object *cm = configmap(f->ns, "listed", "1");
    assert_ok(kube_create(f->c, &KUBE_CONFIGMAPS, f->ns, cm, NULL), f->c);
    json_object_put(cm);
    json_object *list = NULL;
    struct kube_list_opts lo = { .label_selector = "suite=client" };
    assert_ok(kube_list_all(f->c, &KUBE_CONFIGMAPS, f->ns, &lo, &list), f->c);
    json_object *items = json_object_object_get(list, "items");
    assert_int_equal(json_object_array_length(items), 1);
    json_object *it = json_object_array_get_idx(items, 0);
    assert_string_equal(kube_meta_str(it, "name"), "listed");
    assert_string_equal(json_object_get_string(json_object_object_get(it, "kind")), "ConfigMap");
    assert_non_null(kube_meta_str(list, "resourceVersion"));
    json_object_put(list);
}

static void test_create_conflict_and_missing(void **state)
{
    struct fixture *f = *state;
    json_object *cm = configmap(f->ns, "alpha", "1"), *created = NULL;
    assert_ok(kube_create(f->c, &KUBE_CONFIGMAPS, f->ns, cm, &created), f->c);
    assert_non_null(kube_meta_str(created, "uid"));
    json_object_put(created);
    assert_int_equal(kube_create(f->c, &KUBE_CONFIGMAPS, f->ns, cm, NULL), -EEXIST);
    assert_string_equal(kube_client_error(f->c), "AlreadyExists: configmaps \"alpha\" already exists");
    assert_int_equal(kube_client_status(f->c), 409);
    json_object_put(cm);

    assert_int_equal(kube_get(f->c, &KUBE_CONFIGMAPS, f->ns, "nope", NULL), -ENOENT);
    assert_string_equal(kube_client_error(f->c), "NotFound: configmaps \"nope\" not found");
    assert_string_equal(kube_client_reason(f->c), "NotFound");

    json_object *bad = configmap(f->ns, "Bad_Name", "1");
    assert_int_equal(kube_create(f->c, &KUBE_CONFIGMAPS, f->ns, bad, NULL), -EINVAL);
    assert_int_equal(kube_client_status(f->c), 422);
    assert_string_equal(kube_client_reason(f->c), "Invalid");
    const char *want = "Invalid: ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": ";
    if (strncmp(kube_client_error(f->c), want, strlen(want)) != 0)
        fail_msg("unexpected message: %s", kube_client_error(f->c));
    json_object_put(bad);
}

static void test_update_with_stale_version_conflicts(void **state)
{
    struct fixture *f = *state;
    json_object *cm = configmap(f->ns, "versioned", "1"), *got = NULL;
    assert_ok(kube_create(f->c, &KUBE_CONFIGMAPS, f->ns, cm, &got), f->c);
    json_object_put(cm);
    json_object_object_add(json_object_object_get(got, "data"), "v", json_object_new_string("2"));
    assert_ok(kube_update(f->c, &KUBE_CONFIGMAPS, f->ns, "versioned", NULL, got, NULL), f->c);
    /* The same resourceVersion again: someone else (we) wrote in between. */
    assert_int_equal(kube_update(f->c, &KUBE_CONFIGMAPS, f->ns, "versioned", NULL, got, NULL), -EBUSY);
    assert_string_equal(kube_client_reason(f->c), "Conflict");
    assert_string_equal(kube_client_error(f->c),
                        "Conflict: Operation cannot be fulfilled on configmaps \"versioned\": the object "
                        "has been modified; please apply your changes to the latest version and try again");
    json_object_put(got);
}

static void test_apply_twice_changes_nothing(void **state)
{
    struct fixture *f = *state;
    json_object *cm = configmap(f->ns, "applied", "1"), *first = NULL, *second = NULL;
    assert_ok(kube_apply(f->c, &KUBE_CONFIGMAPS, f->ns, "applied", cm, &first), f->c);
    assert_ok(kube_apply(f->c, &KUBE_CONFIGMAPS, f->ns, "applied", cm, &second), f->c);
    assert_string_equal(kube_meta_str(first, "resourceVersion"), kube_meta_str(second, "resourceVersion"));
    json_object *mf = json_object_array_get_idx(
        json_object_object_get(json_object_object_get(second, "metadata"), "managedFields"), 0);
    assert_string_equal(json_object_get_string(json_object_object_get(mf, "manager")), KUBE_FIELD_MANAGER);
    assert_string_equal(json_object_get_string(json_object_object_get(mf, "operation")), "Apply");
    json_object_put(second);
    /* A real change is a new version. */
    json_object *changed = configmap(f->ns, "applied", "2");
    assert_ok(kube_apply(f->c, &KUBE_CONFIGMAPS, f->ns, "applied", changed, &second), f->c);
    assert_string_not_equal(kube_meta_str(first, "resourceVersion"), kube_meta_str(second, "resourceVersion"));
    assert_string_equal(it_path_str(second, "data", "v"), "2");
    json_object_put(changed);
    json_object_put(second);
    json_object_put(first);
    json_object_put(cm);
}

static void test_status_merge_patch(void **state)
{
    struct fixture *f = *state;
    json_object *dep = it_json(
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"namespace\":\"%s\"},"
        "\"spec\":{\"replicas\":1,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"template\":{\"metadata\":"
        "{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"registry.invalid/web:1\"}]}}}}",
        f->ns);
    assert_ok(kube_apply(f->c, &KUBE_DEPLOYMENTS, f->ns, "web", dep, NULL), f->c);
    json_object *patch = it_json("{\"status\":{\"observedGeneration\":1,\"replicas\":1,\"updatedReplicas\":1,"
                                 "\"readyReplicas\":1,\"availableReplicas\":1}}");
    json_object *got = NULL;
    assert_ok(kube_patch_status(f->c, &KUBE_DEPLOYMENTS, f->ns, "web", patch, &got), f->c);
    json_object *status = json_object_object_get(got, "status");
    assert_int_equal(json_object_get_int(json_object_object_get(status, "readyReplicas")), 1);
    /* The status subresource leaves the spec alone. */
    json_object *spec = json_object_object_get(got, "spec");
    assert_int_equal(json_object_get_int(json_object_object_get(spec, "replicas")), 1);
    assert_int_equal(kube_patch_status(f->c, &KUBE_DEPLOYMENTS, f->ns, "absent", patch, NULL), -ENOENT);
    assert_string_equal(kube_client_error(f->c), "NotFound: deployments.apps \"absent\" not found");
    json_object_put(got);
    json_object_put(patch);
    json_object_put(dep);
}

static void test_json_patch_and_delete(void **state)
{
    struct fixture *f = *state;
    json_object *cm = configmap(f->ns, "patched", "1"), *got = NULL;
    assert_ok(kube_create(f->c, &KUBE_CONFIGMAPS, f->ns, cm, NULL), f->c);
    json_object *patch = it_json("[{\"op\":\"test\",\"path\":\"/data/v\",\"value\":\"1\"},"
                                 "{\"op\":\"add\",\"path\":\"/data/w\",\"value\":\"2\"}]");
    assert_ok(kube_patch(f->c, &KUBE_CONFIGMAPS, f->ns, "patched", NULL, KUBE_PATCH_JSON, patch, &got), f->c);
    assert_string_equal(it_path_str(got, "data", "w"), "2");
    json_object_put(got);
    /* The test op now fails: the server refuses the whole patch. */
    json_object *stale = it_json("[{\"op\":\"test\",\"path\":\"/data/v\",\"value\":\"9\"}]");
    assert_int_equal(kube_patch(f->c, &KUBE_CONFIGMAPS, f->ns, "patched", NULL, KUBE_PATCH_JSON, stale, NULL), -EINVAL);
    assert_ok(kube_delete(f->c, &KUBE_CONFIGMAPS, f->ns, "patched"), f->c);
    assert_int_equal(kube_get(f->c, &KUBE_CONFIGMAPS, f->ns, "patched", NULL), -ENOENT);
    assert_int_equal(kube_delete(f->c, &KUBE_CONFIGMAPS, f->ns, "patched"), -ENOENT);
    json_object_put(stale);
    json_object_put(patch);
    json_object_put(cm);
}

static void test_pagination(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < 7; i++) {
        char name[32];
        snprintf(name, sizeof(name), "page-%d", i);
        json_object *cm = it_json("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"%s\","
                                  "\"labels\":{\"batch\":\"pages\"}}}", name);
        assert_ok(kube_create(f->c, &KUBE_CONFIGMAPS, f->ns, cm, NULL), f->c);
        json_object_put(cm);
    }
    struct kube_list_opts lo = { .label_selector = "batch=pages", .limit = 2 };
    json_object *page = NULL, *all = NULL;
    assert_ok(kube_list(f->c, &KUBE_CONFIGMAPS, f->ns, &lo, &page), f->c);
    assert_int_equal(json_object_array_length(json_object_object_get(page, "items")), 2);
    assert_non_null(kube_meta_str(page, "continue"));
    json_object_put(page);
    assert_ok(kube_list_all(f->c, &KUBE_CONFIGMAPS, f->ns, &lo, &all), f->c);
    json_object *items = json_object_object_get(all, "items");
    assert_int_equal(json_object_array_length(items), 7);
    for (int i = 0; i < 7; i++) {
        char name[32];
        snprintf(name, sizeof(name), "page-%d", i);
        assert_string_equal(kube_meta_str(json_object_array_get_idx(items, (size_t)i), "name"), name);
    }
    assert_null(kube_meta_str(all, "continue"));
    json_object_put(all);
}

static void test_metadata_only_list_has_no_data(void **state)
{
    struct fixture *f = *state;
    json_object *sec = it_json("{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"key\"},"
                               "\"stringData\":{\"api-key\":\"sk-live-123\"}}");
    assert_ok(kube_create(f->c, &KUBE_SECRETS, f->ns, sec, NULL), f->c);
    json_object_put(sec);
    struct kube_list_opts lo = { .metadata_only = true, .field_selector = "metadata.name=key" };
    json_object *list = NULL;
    assert_ok(kube_list_all(f->c, &KUBE_SECRETS, f->ns, &lo, &list), f->c);
    assert_string_equal(json_object_get_string(json_object_object_get(list, "kind")), "PartialObjectMetadataList");
    json_object *items = json_object_object_get(list, "items");
    assert_int_equal(json_object_array_length(items), 1);
    json_object *it = json_object_array_get_idx(items, 0);
    assert_string_equal(kube_meta_str(it, "name"), "key");
    assert_non_null(kube_meta_str(it, "uid"));
    assert_null(json_object_object_get(it, "data"));
    assert_null(strstr(json_object_to_json_string(list), "sk-live"));
    json_object_put(list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_get_and_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_conflict_and_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_with_stale_version_conflicts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apply_twice_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_merge_patch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_patch_and_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pagination, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metadata_only_list_has_no_data, setup, teardown),
    };
    return IT_RUN(tests);
}
