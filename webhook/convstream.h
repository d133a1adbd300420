/* convstream: one v1alpha1 object of a ConversionReview written as
 * v1beta1 straight from the request's bytes, with no tree.
 *
 * The API server reads stored (v1alpha1) objects as v1beta1 a list page at
 * a time, so this is the direction with hundreds of objects per review.
 * Conversion changes little of an object: apiVersion, the renamed spec
 * members, the config-patch and conversion annotations, and the fields the
 * conversion annotation carries. The stream walks the checked text
 * (wh_json_check_indexed) member by member, copies every other value as
 * it came, and writes only the changed parts anew.
 *
 * It takes the ordinary object and nothing else: any member it is not sure
 * of (an escaped key, a value of an unexpected type, a field of the other
 * version, a conversion annotation that is not exactly what the conversion
 * writes, a config patch not yet read) makes it decline, and the caller
 * converts that object with gw_convert, which gives the verdict and the
 * words. What it writes equals gw_convert's result as JSON (strings byte
 * for byte, members in the same order). */
#ifndef WH_CONVSTREAM_H
#define WH_CONVSTREAM_H

#include <stdbool.h>
#include <stddef.h>

#include "convert.h"
#include "jsonscan.h"
#include "strbuf.h"

/* What reading a config-patch text gave, when it was read before: 1 with
 * the patch as compact JSON appended to json, *ret_same whether the YAML
 * emitter writes it back as exactly text, and when it does not, the value
 * of the v1beta1 conversion annotation that keeps the text (as
 * wh_stream_kept_text writes it) appended to kept; 0 when the text is no
 * YAML mapping; 2 when not known; -ENOMEM. */
typedef int (*wh_patch_json_fn)(const char *text, size_t len, struct strbuf *json, struct strbuf *kept,
                                bool *ret_same);

/* Appends the v1beta1 conversion annotation's value, as a JSON string,
 * that keeps a config-patch text our emitter would not write identically:
 * {"configPatchText":"..."}, escaped as json-c escapes it. */
void wh_stream_kept_text(const char *text, size_t len, struct strbuf *out);

/* A bounded growable byte buffer the stream reuses between objects. */
struct wh_stream_scratch {
    char *p;
    size_t cap;
};

struct wh_stream_plan;

struct wh_stream {
    const char *b;                     /* the checked request body */
    const struct wh_json_index *idx;   /* its index */
    wh_patch_json_fn patch_json;
    struct wh_stream_scratch carrier;  /* the decoded conversion annotation */
    struct wh_stream_scratch text;     /* the decoded config-patch text */
    struct wh_json_index carrier_idx;
    struct strbuf patch;               /* the patch's JSON */
    struct strbuf kept;                /* the conversion annotation keeping its text */
    /* The last config patch read, as written in the body: the objects of
     * a list page often share theirs. */
    const char *last_patch;
    size_t last_patch_len;
    int last_result;
    bool last_same;
    struct wh_stream_plan *plan;       /* what reading one object found */
};

void wh_stream_init(struct wh_stream *st, const char *body, const struct wh_json_index *idx, wh_patch_json_fn fn);
void wh_stream_release(struct wh_stream *st);

/* Converts the object at st->b[s, e) to `to` and appends it to out: 0 with
 * *ret_kind set, 1 when it declines (out is as it was), -ENOMEM. hint is
 * where the index holds what the object holds (the hint of the walk that
 * found it, wh_json_iter), or 0. */
int wh_stream_convert(struct wh_stream *st, size_t s, size_t e, size_t hint, enum gw_api_version to,
                      struct strbuf *out, enum gw_kind *ret_kind);

#endif
