/* convert: the CRD conversion webhook, POST /convert, as a pure function.
 *
 * ConversionReview apiextensions.k8s.io/v1: every object of
 * request.objects (the API server sends whole list pages) is converted to
 * request.desiredAPIVersion with gw_convert. Either every object converts
 * and response.convertedObjects holds them in order, or the answer is
 * result.status "Failed" with a message naming each object and field that
 * could not be converted; never a partial list. Problems with the request
 * itself are HTTP errors, as for admission. */
#ifndef WH_CONVERT_H
#define WH_CONVERT_H

#include <json-c/json.h>
#include <stddef.h>

/* The pure conversion (gw_convert and friends); named by path because both
 * headers are called convert.h. */
#include "../common/convert.h"
#include "admission.h"
#include "errlist.h"

/* At most this many problems are spelled out in a Failed message. */
#define WH_CONVERT_MAX_REPORTED 10

/* Answers one ConversionReview body. Returns 0 (the reply may be an HTTP
 * error or a Failed result) or -ENOMEM. */
int wh_convert(const char *body, size_t len, struct wh_reply *out);

/* Admission of a v1beta1 object: the JSONPatch of defaults (wh_default_ops)
 * computed on its v1alpha1 form, with the paths of v1beta1. *ret_ops is a
 * new array (caller puts). Returns 0, -EINVAL (the object does not convert:
 * the validating webhook reports why) or -ENOMEM. */
int wh_beta_default_ops(json_object *beta, json_object **ret_ops);

#endif
