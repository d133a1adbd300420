/* convert: AiGateway, ToolGateway and ToolRoute between v1alpha1 (the
 * storage version, the ecosystem's contract) and v1beta1 (served). Pure:
 * json-c trees in, json-c trees out.
 *
 * Renames (v1alpha1 -> v1beta1):
 *   AiGateway    spec.aiGatewayClassName   -> spec.className
 *                spec.aiModels             -> spec.models
 *   ToolGateway  spec.toolGatewayClassName -> spec.className
 *   ToolRoute    spec.toolGatewayRef       -> spec.gatewayRef
 *   AiGateway, ToolGateway: the config-patch annotation (YAML text) <->
 *                spec.configPatch (an object)
 *
 * What v1alpha1 has no field for (spec.replicas, spec.resources,
 * spec.allowedRoutes, spec.serverName, spec.models[].{model, apiBase,
 * apiKeySecretRef}) travels in one annotation, GW_CONVERSION_ANNOTATION, on
 * the v1alpha1 object, as compact JSON:
 *
 *   {"spec":{"replicas":2,"models":[{"name":"gpt-4o","apiBase":"..."}]}}
 *
 * and is removed again when the object is read as v1beta1. Per-model
 * fields are matched to spec.aiModels by name (the n-th carried entry of a
 * name belongs to the n-th model of that name), so an edit of aiModels made
 * through v1alpha1 keeps the fields of the models it keeps.
 *
 * The config patch is lossless both ways: a v1alpha1 annotation that our
 * emitter would not write identically (comments, flow style, other quoting)
 * keeps its original text in the same annotation on the v1beta1 object
 * ({"configPatchText": "..."}); converting back uses that text as long as
 * it still means exactly spec.configPatch, else the object is emitted anew.
 * An annotation that is not a YAML mapping stays an annotation in v1beta1.
 *
 * The only metadata conversion touches are these annotations (the API
 * server allows nothing else). An annotations map left empty is removed.
 * Every other member, status included, is copied unchanged: converting a
 * v1alpha1 object to v1beta1 and back (or the other way) gives back an
 * object equal to the original, every string byte for byte; JSON members
 * may come back in another order where a field moved between spec and an
 * annotation. */
#ifndef GW_CONVERT_H
#define GW_CONVERT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "errlist.h"
#include "model.h"
#include "validate.h"

#define GW_V1BETA1 GW_GROUP "/v1beta1"

enum gw_api_version {
    GW_API_OTHER = 0,
    GW_API_V1ALPHA1,
    GW_API_V1BETA1,
};

/* The conversion annotation's limits: its length, and the depth of its
 * JSON. */
#define GW_CONVERSION_CARRIER_MAX_BYTES ((size_t)256 << 10)
#define GW_CONVERSION_CARRIER_MAX_DEPTH 32

/* The spec members that change name between the versions, by kind. */
struct gw_rename {
    enum gw_kind kind;
    const char *alpha;
    const char *beta;
};
extern const struct gw_rename GW_RENAMES[];
extern const size_t GW_N_RENAMES;
/* The spec members of a kind that only v1beta1 has and the conversion
 * annotation carries (NULL-terminated; configPatch is apart). */
const char *const *gw_convert_carried_fields(enum gw_kind k);
/* The members of spec.models[] entries that only v1beta1 has. */
extern const char *const GW_CONVERT_MODEL_EXTRAS[];
/* Whether the kind has a config patch (the annotation / spec.configPatch). */
bool gw_convert_has_config_patch(enum gw_kind k);

/* The version an apiVersion string names (GW_API_OTHER for anything but
 * runtime.agentic-layer.ai/v1alpha1 and /v1beta1). */
enum gw_api_version gw_api_version_of(const char *api_version);
const char *gw_api_version_string(enum gw_api_version v);

/* The kind gw_convert handles for this apiVersion and kind: AiGateway,
 * ToolGateway or ToolRoute of either version, else GW_KIND_UNKNOWN. */
enum gw_kind gw_convert_kind_of(const char *api_version, const char *kind);

/* Converts obj (not modified) to version `to`. On success *ret is a new
 * tree (caller puts it); an object already in `to` comes back as an
 * unchanged copy. Returns 0, -EINVAL when obj cannot be converted (errors
 * holds every reason, with field paths in obj's version: an object of
 * another kind, a field the source version does not have, a corrupt
 * conversion annotation), or -ENOMEM. */
int gw_convert(json_object *obj, enum gw_api_version to, json_object **ret, struct gw_errlist *errors);

/* gw_convert on obj itself: no copy. On failure obj is left half
 * converted and must be discarded. */
int gw_convert_in_place(json_object *obj, enum gw_api_version to, struct gw_errlist *errors);

/* Ways for a caller that converts many objects to make it cheaper: what
 * reading a config-patch text gave, remembered so that many objects with
 * one patch (a list page of gateways) read it once, and a faster reader of
 * the conversion annotation's JSON. Every member may be NULL; the
 * callbacks must be safe to call from every thread that converts. */
struct gw_convert_hooks {
    /* 1 when text was read before: *ret_patch a tree the caller of lookup
     * owns (NULL when the text is no YAML mapping) and *ret_same whether
     * the YAML emitter writes the tree back as exactly text; 0 when not
     * known; -ENOMEM. */
    int (*lookup)(void *ctx, const char *text, size_t len, json_object **ret_patch, bool *ret_same);
    /* Remembers what text gave; patch (may be NULL) is only read. */
    void (*store)(void *ctx, const char *text, size_t len, json_object *patch, bool same);
    /* Parses JSON exactly as gw_json_parse does (same results, same
     * errors), presumably faster. */
    int (*json_parse)(const char *buf, size_t len, unsigned max_depth, json_object **ret, char **ret_err);
    void *ctx;
};

/* gw_convert_in_place with hooks (may be NULL). */
int gw_convert_in_place_hooked(json_object *obj, enum gw_api_version to, const struct gw_convert_hooks *hooks,
                               struct gw_errlist *errors);

/* Maps a field path of a v1alpha1 object to the path of the same field in
 * v1beta1 ("spec.aiModels[1].name" -> "spec.models[1].name"). Returns a new
 * string (caller frees) or NULL on allocation failure. */
char *gw_convert_path_to_beta(enum gw_kind kind, const char *path);
/* Rewrites every field path (and message) of l from v1alpha1 to v1beta1
 * terms. Returns 0 or -ENOMEM. */
int gw_convert_errlist_to_beta(enum gw_kind kind, struct gw_errlist *l);

/* Checks the fields only v1beta1 has, on a v1beta1 object (paths in
 * v1beta1 terms, each prefixed with prefix when it is not NULL, e.g.
 * GW_CONVERSION_FIELD for fields that came from the annotation). */
void gw_convert_check_beta_fields(json_object *beta, const char *prefix, struct gw_errlist *errors);

/* The admission verdict for an object of either version: gw_validate's
 * rules plus the v1beta1-only fields, with every path in the version the
 * user wrote. A v1alpha1 object's conversion annotation is checked too: a
 * hand-edited or corrupt one is an error, never ignored. Returns like
 * gw_validate (0 with a verdict, -EINVAL not one of our objects, -ENOMEM). */
int gw_validate_any(json_object *root, const char *ns, struct gw_errlist *errors, struct gw_errlist *warnings);
/* gw_validate_any with a patch-review cache (validate.h; may be NULL). */
int gw_validate_any_cached(json_object *root, const char *ns, const struct gw_patch_review_cache *cache,
                           struct gw_errlist *errors, struct gw_errlist *warnings);

/* Reads the v1beta1-only fields of a v1alpha1 (or v1beta1) object. On
 * success *ret is filled (release with gw_beta_fields_free); on -EINVAL
 * errors says what is wrong with the conversion annotation. */
int gw_beta_fields_of(json_object *obj, struct gw_beta_fields *ret, struct gw_errlist *errors);

/* Fills o->beta (AiGateway, ToolGateway, ToolRoute) from its conversion
 * annotation, when it has one: the one internal model of both versions.
 * A corrupt annotation leaves o->beta NULL, sets o->beta_invalid and says
 * why in errs. Returns 0 or -ENOMEM. Call once, right after
 * gw_object_parse. */
int gw_object_read_beta(struct gw_object *o, struct gw_errlist *errs);

/* True when a and b are the same JSON value: objects compared as maps,
 * integers and floats by value, strings byte for byte. */
bool gw_json_same(json_object *a, json_object *b);

#endif
