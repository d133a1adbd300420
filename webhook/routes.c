#include "routes.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

static const struct {
    const char *path;
    const char *name;
    bool cr_metrics;      /* counted by controller-runtime's admission metrics */
} ENDPOINTS[WH_EP__MAX] = {
    [WH_EP_VALIDATE] = { "/validate", "validate", true },
    [WH_EP_MUTATE] = { "/mutate", "mutate", true },
    [WH_EP_PREVIEW] = { "/preview", "preview", true },
    [WH_EP_CONVERT] = { "/convert", "convert", false },
    [WH_EP_OTHER] = { NULL, "other", false },
};

enum wh_endpoint wh_endpoint_of(const char *path)
{
    for (int e = 0; path && e < WH_EP__MAX; e++)
        if (ENDPOINTS[e].path && strcmp(ENDPOINTS[e].path, path) == 0)
            return (enum wh_endpoint)e;
    return WH_EP_OTHER;
}

const char *wh_endpoint_name(enum wh_endpoint e)
{
    return e < WH_EP__MAX ? ENDPOINTS[e].name : "other";
}

const char *wh_endpoint_cr_label(enum wh_endpoint e)
{
    return e < WH_EP__MAX && ENDPOINTS[e].cr_metrics ? ENDPOINTS[e].path : NULL;
}
