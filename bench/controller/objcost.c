/* objcost: heap bytes per object of one kind, the way the controller holds
 * it, measured with mallinfo2 in one thread.
 *
 *   objcost KIND LIST.json
 *
 * KIND is aigateways, toolgateways, toolroutes, configmaps, deployments or
 * services; LIST.json a list as `kubectl get -o json` prints it. Prints one
 * JSON line: objects, bytes of the whole object as a json-c tree (what an
 * unprojected cache would hold), bytes of the informer's projection, and
 * bytes of the parsed copy in the world (the project's kinds only). */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cache_project.h"
#include "model.h"
#include "snapshot.h"

static size_t in_use(void)
{
    return mallinfo2().uordblks;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: objcost KIND LIST.json\n");
        return 2;
    }
    const char *kind = argv[1];
    json_object *(*project)(json_object *) = ctl_project_identity;
    enum gw_kind wk = GW_KIND_UNKNOWN;
    if (strcmp(kind, "aigateways") == 0)
        wk = GW_KIND_AIGATEWAY;
    else if (strcmp(kind, "toolgateways") == 0)
        wk = GW_KIND_TOOLGATEWAY, project = ctl_project_toolgateway;
    else if (strcmp(kind, "toolroutes") == 0)
        wk = GW_KIND_TOOLROUTE, project = ctl_project_route;
    else if (strcmp(kind, "deployments") == 0)
        project = ctl_project_deployment;
    else
        project = ctl_project_child;
    json_object *list = json_object_from_file(argv[2]);
    json_object *items = json_object_object_get(list, "items");
    size_t n = json_object_array_length(items);
    if (!n) {
        printf("{\"kind\":\"%s\",\"objects\":0}\n", kind);
        return 0;
    }
    /* Each item as its own text, so that parsing it measures one tree. */
    char **texts = calloc(n, sizeof(*texts));
    for (size_t i = 0; i < n; i++) {
        json_object *it = json_object_array_get_idx(items, i);
        json_object *md = json_object_object_get(it, "metadata");
        json_object_object_del(md, "managedFields");
        texts[i] = strdup(json_object_to_json_string_ext(it, JSON_C_TO_STRING_PLAIN));
    }
    json_object_put(list);
    json_object **full = calloc(n, sizeof(*full)), **proj = calloc(n, sizeof(*proj));
    size_t t0 = in_use();
    for (size_t i = 0; i < n; i++)
        full[i] = json_tokener_parse(texts[i]);
    size_t t1 = in_use();
    for (size_t i = 0; i < n; i++)
        proj[i] = project(full[i]);
    size_t t2 = in_use();
    long world_bytes = -1;
    if (wk != GW_KIND_UNKNOWN) {
        struct world *w = NULL;
        world_new(&w);
        size_t t3 = in_use();
        for (size_t i = 0; i < n; i++)
            world_apply(w, wk, full[i], false);
        world_bytes = (long)((in_use() - t3) / n);
    }
    size_t text_bytes = 0;
    for (size_t i = 0; i < n; i++)
        text_bytes += strlen(texts[i]);
    printf("{\"kind\":\"%s\",\"objects\":%zu,\"json_text_bytes\":%zu,\"full_tree_bytes\":%zu,"
           "\"cached_projection_bytes\":%zu,\"world_parsed_bytes\":%ld}\n",
           kind, n, text_bytes / n, (t1 - t0) / n, (t2 - t1) / n, world_bytes);
    return 0;
}
