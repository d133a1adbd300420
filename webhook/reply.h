/* reply: the JSON pieces the handlers answer with (internal to webhook/).
 * Every builder that takes a json_object takes ownership of it, also on
 * failure, so call sites chain them and check once. */
#ifndef WH_REPLY_H
#define WH_REPLY_H

#include <json-c/json.h>

#include "admission.h"

#define WH_JSON_OUT_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

void wh_reply_init(struct wh_reply *r);

/* obj[key] or NULL when obj is not an object or has no such member. */
json_object *wh_member(json_object *obj, const char *key);
/* obj[key] when it is a string, else NULL. */
const char *wh_str_member(json_object *obj, const char *key);

/* Adds v under k (takes v; a NULL v counts as an allocation failure).
 * Returns 0 or -ENOMEM. */
int wh_put(json_object *obj, const char *k, json_object *v);
int wh_put_str(json_object *obj, const char *k, const char *s);
int wh_arr_add(json_object *arr, json_object *v);

/* Serializes o (taken) as the body of out with this HTTP status. */
int wh_reply_json(struct wh_reply *out, unsigned status, json_object *o);

/* metav1.Status without apiVersion/kind, as an admission response carries
 * it: {"metadata":{},"status":"Failure","message","reason","code"}. */
json_object *wh_status_object(unsigned code, const char *message);

/* wh_reply_error with a formatted message. */
int wh_bad_request(struct wh_reply *out, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes the summary line used in logs. */
void wh_summarize(struct wh_reply *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* `AiGateway.runtime.agentic-layer.ai "bad" is invalid: [e1, e2]` with
 * details.causes, the way the API server reports its own validation
 * failures (code 422, reason Invalid). */
json_object *wh_invalid_status(const char *kind, const char *name, const struct gw_errlist *errors);

#endif
