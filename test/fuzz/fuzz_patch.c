/* The config-patch annotation (patch.h): the input is the annotation text
 * of a fixed AiGateway. It goes through the admission review of the patch
 * (parse, describe, merge, check) and, when it parses, through the merge
 * again with the merged config written as YAML and read back. Properties:
 * a refusal says why, and what the writer emits the loader reads back as the
 * same tree (LiteLLM reads that text). */
#include <errno.h>
#include <math.h>
#include <string.h>

#include <json-c/json.h>

#include "doc.h"
#include "errlist.h"
#include "fuzz.h"
#include "model.h"
#include "patch.h"
#include "render.h"
#include "validate.h"
#include "yamlout.h"

static const char GATEWAY[] =
    "apiVersion: runtime.agentic-layer.ai/v1alpha1\n"
    "kind: AiGateway\n"
    "metadata: {name: fuzz, namespace: ai-gateway, annotations: {}}\n"
    "spec:\n"
    "  aiModels:\n"
    "  - {name: gpt-4o, provider: openai}\n"
    "  - {name: claude, provider: anthropic}\n";

static json_object *gateway_root;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char *err = NULL;
    if (gw_yaml_load_one(GATEWAY, sizeof(GATEWAY) - 1, &GW_LIMITS_MANIFEST, &gateway_root, &err) != 0) {
        fprintf(stderr, "fuzz_patch: template does not load: %s\n", err ? err : "?");
        abort();
    }
    return 0;
}

/* Equal trees, doubles compared by value (the writer prints 15 digits). */
static bool same_tree(json_object *a, json_object *b)
{
    enum json_type ta = json_object_get_type(a), tb = json_object_get_type(b);
    if (ta == json_type_double && tb == json_type_double) {
        double x = json_object_get_double(a), y = json_object_get_double(b);
        if (isnan(x) || isnan(y))
            return isnan(x) && isnan(y);
        return x == y || fabs(x - y) <= 1e-14 * fmax(fabs(x), fabs(y));
    }
    if (ta != tb)
        return false;
    if (ta == json_type_array) {
        size_t n = json_object_array_length(a);
        if (n != json_object_array_length(b))
            return false;
        for (size_t i = 0; i < n; i++)
            if (!same_tree(json_object_array_get_idx(a, i), json_object_array_get_idx(b, i)))
                return false;
        return true;
    }
    if (ta == json_type_object) {
        if (json_object_object_length(a) != json_object_object_length(b))
            return false;
        json_object_object_foreach(a, k, v) {
            json_object *w = NULL;
            if (!json_object_object_get_ex(b, k, &w) || !same_tree(v, w))
                return false;
        }
        return true;
    }
    return json_object_equal(a, b);
}

static void check_list(const struct gw_errlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        FUZZ_CHECK(l->items[i].message && *l->items[i].message, "empty message");
    for (size_t i = 0; i < l->n; i++)
        FUZZ_CHECK(fuzz_is_utf8(l->items[i].message), "message is not UTF-8: %s", l->items[i].message);
}

static void merge_and_reload(const struct gw_object *gw)
{
    json_object *patch = NULL, *base = NULL, *again = NULL;
    char *err = NULL, *yaml = NULL;
    size_t yaml_len = 0;
    int rc = gw_patch_parse(gw->u.ai.config_patch, &patch, &err);
    FUZZ_CHECK(rc == 0 || rc == -ENOMEM || (err && *err), "patch refused (%d) without a reason", rc);
    free(err);
    err = NULL;
    if (rc != 0)
        return;
    FUZZ_CHECK(json_object_is_type(patch, json_type_object), "a patch that is not a mapping");
    if (gw_render_ai_base_config(gw, NULL, 0, &base, NULL) != 0 || gw_config_merge(base, patch) != 0)
        goto out;
    rc = gw_yaml_emit(base, &yaml, &yaml_len);
    FUZZ_CHECK(rc == 0 || rc == -ENOMEM, "the writer failed (%d) on a merged config", rc);
    if (rc != 0)
        goto out;
    rc = gw_yaml_load_one(yaml, yaml_len, &GW_LIMITS_MANIFEST, &again, &err);
    FUZZ_CHECK(rc == 0 || rc == -ENOMEM, "the loader refuses the writer's YAML (%d: %s):\n%s", rc,
               err ? err : "?", yaml);
    if (rc == 0)
        FUZZ_CHECK(same_tree(base, again), "the YAML reads back differently:\n%s\nwas: %s", yaml,
                   json_object_to_json_string_ext(base, JSON_C_TO_STRING_PLAIN));
out:
    free(err);
    free(yaml);
    json_object_put(again);
    json_object_put(base);
    json_object_put(patch);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_object *meta = json_object_object_get(gateway_root, "metadata");
    json_object *ann = json_object_object_get(meta, "annotations");
    json_object *text = json_object_new_string_len((const char *)data, (int)size);
    if (!text || json_object_object_add(ann, GW_CONFIG_PATCH_ANNOTATION, text) != 0) {
        json_object_put(text);
        return 0;
    }
    struct gw_errlist errs, errors, warnings;
    errlist_init(&errs);
    errlist_init(&errors);
    errlist_init(&warnings);
    struct gw_object *gw = NULL;
    if (gw_object_parse(gateway_root, &gw, &errs) == 0 && gw->u.ai.config_patch) {
        /* gw_validate runs the admission's patch review of the gateway. */
        int rc = gw_validate(gateway_root, NULL, &errors, &warnings);
        FUZZ_CHECK(rc == 0 || rc == -ENOMEM, "gw_validate returned %d", rc);
        check_list(&errors);
        check_list(&warnings);
        merge_and_reload(gw);
    }
    gw_object_free(gw);
    errlist_free(&errs);
    errlist_free(&errors);
    errlist_free(&warnings);
    return 0;
}
