/* The YAML/JSON loader (doc.h) on arbitrary bytes: as a manifest stream,
 * as a config patch and as strict JSON. Properties: the return codes are the
 * documented ones, a refusal always says why, and a JSON document that
 * parses serializes to JSON that parses back to the same tree. */
#include <errno.h>
#include <string.h>

#include <json-c/json.h>

#include "doc.h"
#include "fuzz.h"

static void check_refusal(int rc, const char *err, const char *what)
{
    FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -E2BIG || rc == -ENOMEM, "%s returned %d", what, rc);
    FUZZ_CHECK(rc == 0 || rc == -ENOMEM || (err && *err), "%s refused (%d) without a reason", what,
               rc);
}

static void load_stream(const char *buf, size_t len)
{
    json_object **docs = NULL;
    size_t n = 0;
    char *err = NULL;
    int rc = gw_yaml_load_all(buf, len, &GW_LIMITS_MANIFEST, &docs, &n, &err);
    check_refusal(rc, err, "gw_yaml_load_all");
    if (rc == 0) {
        FUZZ_CHECK(n <= GW_LIMITS_MANIFEST.max_docs, "%zu documents", n);
        for (size_t i = 0; i < n; i++)
            (void)json_object_to_json_string_ext(docs[i], JSON_C_TO_STRING_PLAIN);
        gw_docs_free(docs, n);
    }
    free(err);
}

static void load_patch(const char *buf, size_t len)
{
    json_object *doc = NULL;
    char *err = NULL;
    int rc = gw_yaml_load_one(buf, len, &GW_LIMITS_PATCH, &doc, &err);
    check_refusal(rc, err, "gw_yaml_load_one");
    if (rc == 0)
        json_object_put(doc);
    free(err);
}

static void json_round_trip(const char *buf, size_t len)
{
    json_object *doc = NULL;
    char *err = NULL;
    int rc = gw_json_parse(buf, len, 64, &doc, &err);
    check_refusal(rc, err, "gw_json_parse");
    free(err);
    if (rc != 0)
        return;
    size_t out_len = 0;
    const char *out = json_object_to_json_string_length(doc, JSON_C_TO_STRING_PLAIN, &out_len);
    json_object *again = NULL;
    err = NULL;
    rc = gw_json_parse(out, out_len, 64, &again, &err);
    FUZZ_CHECK(rc == 0, "own serialization does not parse back (%d: %s): %s", rc, err ? err : "?", out);
    FUZZ_CHECK(json_object_equal(doc, again), "round trip changed the tree: %s", out);
    json_object_put(again);
    json_object_put(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    load_stream(buf, size);
    load_patch(buf, size);
    json_round_trip(buf, size);
    return 0;
}
