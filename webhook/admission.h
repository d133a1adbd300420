/* admission: the webhook's HTTP handlers as pure functions, bytes in and
 * bytes out. No sockets, clocks or globals: the server (server.c) feeds
 * them what libmicrohttpd hands over and sends back what they produce, and
 * the unit tests drive them directly.
 *
 *   POST /validate  AdmissionReview admission.k8s.io/v1 -> verdict with the
 *                   messages of gw_validate (the offline `validate` command's)
 *   POST /mutate    AdmissionReview -> JSONPatch that fills defaults only,
 *                   never inside what the user owns (references, lists)
 *   POST /preview   an object (or a v1 List of a gateway and the Guards,
 *                   GuardrailProviders, ToolRoutes and ToolServers it uses)
 *                   -> the rendered LiteLLM config.yaml
 *
 * Problems with the HTTP request itself (method, media type, size, JSON that
 * does not parse, a review without request.uid) are answered with an HTTP
 * error and a metav1.Status JSON body. A well-formed review about an object
 * we do not admit gets a denial, so the API server shows the reason.
 *
 * Only our objects are judged by every rule (struct wh_judge says whose an
 * object is): another implementation's are allowed untouched, and those whose
 * owner is not known yet get only the contract's own schema rules. */
#ifndef WH_ADMISSION_H
#define WH_ADMISSION_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"
#include "reply.h"

/* Checks what can be decided from the request line and headers alone,
 * before any byte of the body is read: the method (405), the media type
 * (415), and a Content-Length that is malformed (400) or above cap (413).
 * content_length is the header's text or NULL (chunked or absent). Returns
 * false when the request may go on, true when *out holds the answer (its
 * body NULL if even that could not be allocated: the server then answers a
 * fixed 500). */
bool wh_precheck(const char *method, const char *content_type, const char *content_length,
                 size_t cap, struct wh_reply *out);

/* Whose an object is (owner.h has the rules and the caches). */
enum wh_owner {
    WH_OWNER_OURS = 0,    /* every rule applies, defaults are filled */
    WH_OWNER_FOREIGN,     /* another implementation's: allowed untouched, no patch */
    WH_OWNER_UNKNOWN,     /* not known yet: only the contract's own (schema) rules, no patch */
};

/* How the reviews tell whose an object is. owner_of gets a parsed AiGateway,
 * ToolGateway or ToolRoute of the given kind and the request's namespace
 * (may be NULL), may explain its answer in why (why_cap bytes), and must be
 * thread-safe and never wait for the network. */
struct wh_judge {
    enum wh_owner (*owner_of)(void *ctx, enum gw_kind kind, json_object *obj, const char *ns, char *why,
                              size_t why_cap);
    void *ctx;
};

/* Answers one request whose body has been read completely. judge NULL
 * judges every object as ours (the offline and test setting). Returns 0
 * (the reply may be an HTTP error or a denial) or -ENOMEM. */
int wh_handle_judged(enum wh_endpoint ep, const char *body, size_t len, const struct wh_judge *judge,
                     struct wh_reply *out);
/* wh_handle_judged with every object judged ours. */
int wh_handle(enum wh_endpoint ep, const char *body, size_t len, struct wh_reply *out);

/* Parts of wh_handle, exposed for the tests. */
int wh_review(enum wh_endpoint ep, const char *body, size_t len, const struct wh_judge *judge,
              struct wh_reply *out);
int wh_preview(const char *body, size_t len, struct wh_reply *out);

#endif
