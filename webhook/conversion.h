/* conversion: the CRD conversion webhook, POST /convert, as a pure function.
 *
 * ConversionReview apiextensions.k8s.io/v1: every object of
 * request.objects (the API server sends whole list pages) is converted to
 * request.desiredAPIVersion with gw_convert. Either every object converts
 * and response.convertedObjects holds them in order, or the answer is
 * result.status "Failed" with a message naming each object and field that
 * could not be converted; never a partial list. Problems with the request
 * itself are HTTP errors, as for admission. */
#ifndef WH_CONVERSION_H
#define WH_CONVERSION_H

#include <json-c/json.h>
#include <stddef.h>

#include "convert.h"
#include "errlist.h"
#include "reply.h"

/* At most this many problems are spelled out in a Failed message. */
#define WH_CONVERT_MAX_REPORTED 10

/* Answers one ConversionReview body. Returns 0 (the reply may be an HTTP
 * error or a Failed result) or -ENOMEM. */
int wh_convert(const char *body, size_t len, struct wh_reply *out);

/* The reference path wh_convert leaves ordinary reviews to a faster one
 * for: the whole body parsed into one tree, every object converted in it,
 * the answer serialized from it. It answers everything wh_convert answers
 * with the same verdict and an equal JSON document (strings byte for
 * byte; member order and number spelling may differ). For the tests. */
int wh_convert_tree(const char *body, size_t len, struct wh_reply *out);

/* How many objects the stream (convstream.h) has converted since the
 * start, across threads: the tests' proof that it takes the objects it is
 * meant to. */
size_t wh_convert_streamed_objects(void);

/* Forgets every config patch the conversion remembers (a small bounded
 * table shared by all threads; see conversion.c). For shutdown and tests. */
void wh_convert_memo_clear(void);


#endif
