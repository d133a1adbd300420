/* labelsel: metav1.LabelSelector, checked and matched the way the API
 * server does it (k8s.io/apimachinery's LabelSelectorAsSelector).
 *
 *   {matchLabels: {k: v}, matchExpressions: [{key, operator, values}]}
 *
 * Every requirement must hold (AND). Operators: In and NotIn take at least
 * one value (NotIn also holds when the key is absent), Exists and
 * DoesNotExist take none. An empty selector ({}) selects everything; a
 * missing one (NULL) selects nothing. Pure: no I/O, nothing kept. */
#ifndef GW_LABELSEL_H
#define GW_LABELSEL_H

#include <json-c/json.h>
#include <stdbool.h>

#include "errlist.h"

/* Bounds on a selector (the API server has none for selectors, but labels
 * are bounded and nothing useful needs more). */
#define GW_LABELSEL_MAX_REQUIREMENTS 64
#define GW_LABELSEL_MAX_VALUES 64

/* Appends to errors every problem of sel, each at its field path under
 * path ("spec.allowedRoutes.namespaces.selector.matchExpressions[0].values").
 * Returns the number of problems found (0: valid), or -ENOMEM. */
int gw_labelsel_check(json_object *sel, const char *path, struct gw_errlist *errors);

/* Whether labels (a string->string object; NULL = no labels) satisfy sel.
 * A selector gw_labelsel_check refuses selects nothing. */
bool gw_labelsel_matches(json_object *sel, json_object *labels);

#endif
