/* reply: the JSON pieces the handlers answer with (internal to webhook/).
 * Every builder that takes a json_object takes ownership of it, also on
 * failure, so call sites chain them and check once. */
#ifndef WH_REPLY_H
#define WH_REPLY_H

#include <json-c/json.h>
#include <stddef.h>

#include "errlist.h"
#include "model.h"
#include "routes.h"

/* Bodies above this are refused with 413 before they are read. */
#define WH_BODY_CAP_DEFAULT ((size_t)16 << 20)
/* JSON nesting allowed in a review: the object plus managedFields, whose
 * fieldsV1 mirrors the object's own depth. */
#define WH_JSON_MAX_DEPTH 64
/* At most this many warnings per response (the API server keeps 4 KiB). */
#define WH_MAX_WARNINGS 64

enum wh_op {
    WH_OP_NONE = 0,       /* not an admission request, or it did not parse */
    WH_OP_CREATE,
    WH_OP_UPDATE,
    WH_OP_DELETE,
    WH_OP_CONNECT,
    WH_OP__MAX,
};

enum wh_verdict {
    WH_V_ALLOWED = 0,
    WH_V_PATCHED,         /* allowed with a JSONPatch */
    WH_V_DENIED,
    WH_V_BAD_REQUEST,     /* HTTP 4xx: the request itself was refused */
    WH_V_ERROR,           /* HTTP 5xx */
    WH_V__MAX,
};

/* Kinds as metrics labels: the three we admit, everything else "other". */
enum wh_kind {
    WH_K_AIGATEWAY = 0,
    WH_K_TOOLGATEWAY,
    WH_K_TOOLROUTE,
    WH_K_OTHER,
    WH_K__MAX,
};

const char *wh_op_name(enum wh_op o);
const char *wh_verdict_name(enum wh_verdict v);
const char *wh_kind_label(enum wh_kind k);

/* One HTTP answer. Everything it points to is owned by it (content_type and
 * allow are static strings). */
struct wh_reply {
    unsigned status;              /* HTTP status code */
    const char *content_type;
    const char *allow;            /* Allow header for 405, else NULL */
    char *body;                   /* NUL-terminated */
    size_t body_len;
    char **warnings;              /* /preview: one HTTP Warning header each */
    size_t n_warnings;
    /* What the request was about, for metrics and the log line. */
    enum wh_kind kind;
    enum wh_op op;
    enum wh_verdict verdict;
    size_t n_errors;
    char summary[320];            /* "AiGateway ai-gateway/bad: 3 errors", or why a request was refused */
};

void wh_reply_release(struct wh_reply *r);

/* Fills *out with an HTTP error: a metav1.Status JSON body with the reason
 * the status code stands for and message. Returns 0 or -ENOMEM (then the
 * body is NULL and the server answers a fixed 500). */
int wh_reply_error(struct wh_reply *out, unsigned status, const char *message);


#define WH_JSON_OUT_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

void wh_reply_init(struct wh_reply *r);


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

/* Checks the envelope every review shares (AdmissionReview and
 * ConversionReview alike): root is an object of kind `kind` and apiVersion
 * `api_version` (`versions_field` names the webhook setting that picks it,
 * for the message), with a request object carrying a uid of at most
 * WH_UID_MAX bytes. Returns 0 with *ret_req and *ret_uid (borrowed from
 * root) set, 1 when *out holds the 400 that says what is wrong, or
 * -ENOMEM. */
#define WH_UID_MAX 256
int wh_review_envelope(json_object *root, const char *kind, const char *api_version, const char *versions_field,
                       json_object **ret_req, const char **ret_uid, struct wh_reply *out);

/* wh_reply_error with a formatted message. */
int wh_bad_request(struct wh_reply *out, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A body gw_json_parse refused (r < 0, its message err, freed here): the
 * 400 that says why in *out and 1, or -ENOMEM (r itself, or no memory for
 * the answer). */
int wh_unparsed(struct wh_reply *out, int r, char *err);

/* Writes the summary line used in logs. */
void wh_summarize(struct wh_reply *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* `AiGateway.runtime.agentic-layer.ai "bad" is invalid: [e1, e2]` with
 * details.causes, the way the API server reports its own validation
 * failures (code 422, reason Invalid). */
json_object *wh_invalid_status(const char *kind, const char *name, const struct gw_errlist *errors);

/* Forgets every config-patch review the admission remembers (a small
 * bounded table shared by all threads; see admission.c). For shutdown and
 * tests. */
void wh_review_cache_clear(void);

#endif
