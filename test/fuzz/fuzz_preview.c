/* POST /preview (admission.h, wh_handle): the input is the request body, an
 * object or a v1 List of a gateway and what it uses, rendered into the
 * LiteLLM config. Properties: a 200 is a YAML mapping that the loader reads
 * (LiteLLM reads that text) with every warning non-empty; anything else is
 * one strict JSON metav1.Status. */
#include <errno.h>
#include <string.h>

#include <json-c/json.h>

#include "admission.h"
#include "doc.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct wh_reply r;
    memset(&r, 0, sizeof(r));
    int rc = wh_handle(WH_EP_PREVIEW, (const char *)data, size, &r);
    FUZZ_CHECK(rc == 0 || rc == -ENOMEM, "wh_handle returned %d", rc);
    if (rc == 0) {
        FUZZ_CHECK(r.body && r.body_len == strlen(r.body), "body missing or holding a NUL");
        json_object *root = NULL;
        char *err = NULL;
        if (r.status == 200) {
            int lrc = gw_yaml_load_one(r.body, r.body_len, &GW_LIMITS_MANIFEST, &root, &err);
            FUZZ_CHECK(lrc == 0, "the rendered config does not load (%s):\n%s", err ? err : "?", r.body);
            FUZZ_CHECK(json_object_is_type(root, json_type_object), "the config is not a mapping:\n%s",
                       r.body);
            for (size_t i = 0; i < r.n_warnings; i++)
                FUZZ_CHECK(r.warnings[i] && *r.warnings[i], "warning %zu is empty", i);
        } else {
            int prc = gw_json_parse(r.body, r.body_len, 64, &root, &err);
            FUZZ_CHECK(prc == 0, "answer is not strict JSON (%s): %s", err ? err : "?", r.body);
            json_object *kind = json_object_object_get(root, "kind");
            FUZZ_CHECK(kind && strcmp(json_object_get_string(kind), "Status") == 0,
                       "HTTP %u without a Status: %s", r.status, r.body);
        }
        json_object_put(root);
        free(err);
    }
    wh_reply_release(&r);
    return 0;
}
