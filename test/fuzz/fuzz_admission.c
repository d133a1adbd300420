/* The admission review path (admission.h): the input is a request body, as
 * the server hands it to wh_handle for POST /validate and POST /mutate.
 * Properties: every answer is one strict JSON object (an AdmissionReview for
 * 200, a metav1.Status otherwise), a 200 answers the request's uid with
 * allowed matching the verdict, and a JSONPatch decodes to an array of
 * operations. */
#include <errno.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "admission.h"
#include "doc.h"
#include "fuzz.h"

static const char *str_at(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static void check_patch(const char *b64)
{
    size_t len = strlen(b64);
    FUZZ_CHECK(len % 4 == 0, "patch is not padded base64");
    unsigned char *raw = malloc(len / 4 * 3 + 1);
    if (!raw)
        return;
    int n = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)len);
    FUZZ_CHECK(n >= 0, "patch is not base64");
    while (n > 0 && raw[n - 1] == '\0')   /* EVP_DecodeBlock keeps the padding's zero bytes */
        n--;
    json_object *ops = NULL;
    char *err = NULL;
    int rc = gw_json_parse((const char *)raw, (size_t)n, 64, &ops, &err);
    FUZZ_CHECK(rc == 0, "patch is not JSON (%s): %.*s", err ? err : "?", n, raw);
    FUZZ_CHECK(json_object_is_type(ops, json_type_array), "patch is not an array");
    for (size_t i = 0; i < json_object_array_length(ops); i++) {
        json_object *op = json_object_array_get_idx(ops, i);
        FUZZ_CHECK(str_at(op, "op") && str_at(op, "path"), "patch operation %zu lacks op or path", i);
    }
    json_object_put(ops);
    free(raw);
}

static void check_review(json_object *root, const struct wh_reply *r)
{
    FUZZ_CHECK(str_at(root, "kind") && strcmp(str_at(root, "kind"), "AdmissionReview") == 0,
               "a 200 that is not an AdmissionReview: %s", r->body);
    json_object *resp = json_object_object_get(root, "response");
    FUZZ_CHECK(str_at(resp, "uid") && *str_at(resp, "uid"), "no response.uid: %s", r->body);
    json_object *allowed = NULL;
    FUZZ_CHECK(json_object_object_get_ex(resp, "allowed", &allowed) &&
                   json_object_is_type(allowed, json_type_boolean),
               "no response.allowed: %s", r->body);
    bool yes = json_object_get_boolean(allowed);
    FUZZ_CHECK(yes == (r->verdict == WH_V_ALLOWED || r->verdict == WH_V_PATCHED),
               "allowed %d but verdict %s", yes, wh_verdict_name(r->verdict));
    const char *patch = str_at(resp, "patch");
    FUZZ_CHECK(!patch == (r->verdict != WH_V_PATCHED), "patch and verdict %s disagree",
               wh_verdict_name(r->verdict));
    if (patch)
        check_patch(patch);
}

static void review(enum wh_endpoint ep, const char *body, size_t len)
{
    struct wh_reply r;
    memset(&r, 0, sizeof(r));
    int rc = wh_handle(ep, body, len, &r);
    FUZZ_CHECK(rc == 0 || rc == -ENOMEM, "wh_handle returned %d", rc);
    if (rc == 0) {
        FUZZ_CHECK(r.body && r.body_len == strlen(r.body), "body missing or holding a NUL");
        FUZZ_CHECK(r.status >= 200 && r.status < 600, "HTTP status %u", r.status);
        json_object *root = NULL;
        char *err = NULL;
        int prc = gw_json_parse(r.body, r.body_len, 64, &root, &err);
        FUZZ_CHECK(prc == 0, "answer is not strict JSON (%s): %s", err ? err : "?", r.body);
        FUZZ_CHECK(json_object_is_type(root, json_type_object), "answer is not an object");
        if (r.status == 200)
            check_review(root, &r);
        else
            FUZZ_CHECK(str_at(root, "kind") && strcmp(str_at(root, "kind"), "Status") == 0,
                       "HTTP %u without a Status: %s", r.status, r.body);
        json_object_put(root);
        free(err);
    }
    wh_reply_release(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    review(WH_EP_VALIDATE, (const char *)data, size);
    review(WH_EP_MUTATE, (const char *)data, size);
    return 0;
}
