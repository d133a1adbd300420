/* libFuzzer harness for conversion: the input is tried as a ConversionReview
 * body (POST /convert must answer without crashing, leaking or reading out
 * of bounds) and as a YAML object of ours, which must survive the round trip
 * v1alpha1 -> v1beta1 -> v1alpha1 (or the other way) unchanged whenever the
 * first conversion succeeds.
 * Seeds: test/testdata/, deploy/samples/ (built by run.sh). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "admission.h"
#include "conversion.h"
#include "jsonscan.h"
#include "convert.h"
#include "doc.h"
#include "yamlout.h"

static char *canon(json_object *o)
{
    char *s = NULL;
    size_t n = 0;
    return gw_json_emit_sorted(o, &s, &n) == 0 ? s : NULL;
}

static void round_trip(json_object *obj)
{
    json_object *av = NULL;
    json_object_object_get_ex(obj, "apiVersion", &av);
    enum gw_api_version from = gw_api_version_of(json_object_get_string(av));
    enum gw_api_version other = from == GW_API_V1ALPHA1 ? GW_API_V1BETA1 : GW_API_V1ALPHA1;
    struct gw_errlist e;
    errlist_init(&e);
    json_object *there = NULL, *back = NULL;
    if (gw_convert(obj, other, &there, &e) == 0 && gw_convert(there, from, &back, &e) == 0) {
        /* Once converted, the object must come back from the other side as
         * it was: compare the second round trip with the first. */
        json_object *there2 = NULL;
        if (gw_convert(back, other, &there2, &e) == 0) {
            char *a = canon(there), *b = canon(there2);
            if (a && b && strcmp(a, b) != 0)
                abort();
            free(a);
            free(b);
        } else {
            abort();
        }
        json_object_put(there2);
    }
    json_object_put(there);
    json_object_put(back);
    errlist_free(&e);
}

/* The fast paths must answer as the reference paths do: the one-pass
 * JSON check and builder as gw_json_parse, POST /convert as
 * wh_convert_tree. */
static char *canon_text(const char *s, size_t n)
{
    json_object *o = NULL;
    char *err = NULL, *c = NULL;
    if (gw_json_parse(s, n, 64, &o, &err) == 0)
        c = canon(o);
    json_object_put(o);
    free(err);
    return c;
}

static void differential(const char *data, size_t size)
{
    json_object *fast = NULL, *ref = NULL;
    char *err = NULL;
    int f = wh_json_parse_checked(data, size, 64, NULL, 0, &fast);
    int r = gw_json_parse(data, size, 64, &ref, &err);
    if (f == 0 && (r != 0 || !gw_json_same(fast, ref)))
        abort();
    json_object_put(fast);
    json_object_put(ref);
    free(err);
    struct wh_reply a, b;
    if (wh_convert(data, size, &a) != 0)
        return;
    if (wh_convert_tree(data, size, &b) == 0) {
        char *ca = a.body ? canon_text(a.body, a.body_len) : NULL, *cb = b.body ? canon_text(b.body, b.body_len) : NULL;
        if (a.status != b.status || a.verdict != b.verdict || !ca != !cb || (ca && strcmp(ca, cb) != 0))
            abort();
        free(ca);
        free(cb);
        wh_reply_release(&b);
    }
    wh_reply_release(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct wh_reply rep;
    if (wh_handle(WH_EP_CONVERT, (const char *)data, size, &rep) == 0)
        wh_reply_release(&rep);
    differential((const char *)data, size);
    json_object *obj = NULL;
    char *err = NULL;
    if (gw_yaml_load_one((const char *)data, size, &GW_LIMITS_MANIFEST, &obj, &err) == 0 &&
        json_object_is_type(obj, json_type_object)) {
        json_object *av = NULL, *kv = NULL;
        json_object_object_get_ex(obj, "apiVersion", &av);
        json_object_object_get_ex(obj, "kind", &kv);
        if (gw_convert_kind_of(json_object_get_string(av), json_object_get_string(kv)) != GW_KIND_UNKNOWN)
            round_trip(obj);
        struct gw_errlist e, w;
        errlist_init(&e);
        errlist_init(&w);
        gw_validate_any(obj, "ns", &e, &w);
        errlist_free(&e);
        errlist_free(&w);
    }
    json_object_put(obj);
    free(err);
    return 0;
}
