/* routes: the webhook port's endpoints in one table: the path each is
 * served at, its name in logs and metrics labels, and the label
 * controller-runtime's webhook metrics give it. Routing (server.c), the
 * metrics (metrics.c) and the logs all read it from here. */
#ifndef WH_ROUTES_H
#define WH_ROUTES_H

enum wh_endpoint {
    WH_EP_VALIDATE = 0,
    WH_EP_MUTATE,
    WH_EP_PREVIEW,
    WH_EP_CONVERT,        /* ConversionReview: conversion.h */
    WH_EP_OTHER,          /* unknown path: 404 */
    WH_EP__MAX,
};

/* The endpoint a request path names (query strings are not expected: the
 * API server sends the path from the webhook configuration as it is).
 * WH_EP_OTHER for any other path and for NULL. */
enum wh_endpoint wh_endpoint_of(const char *path);

/* "validate", "mutate", ...; "other" for WH_EP_OTHER and out of range. */
const char *wh_endpoint_name(enum wh_endpoint e);

/* The label "webhook" of controller-runtime's admission metrics: the
 * path; NULL for an endpoint they do not count (conversion, unknown). */
const char *wh_endpoint_cr_label(enum wh_endpoint e);

#endif
