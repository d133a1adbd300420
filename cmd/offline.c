/* validate and render: the webhook's verdicts and the controller's output,
 * offline, for GitOps pipelines and reviews before anything reaches a
 * cluster. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "doc.h"
#include "model.h"
#include "render.h"
#include "resolve.h"
#include "strbuf.h"
#include "validate.h"
#include "../common/convert.h"
#include "yamlout.h"

#define MAX_FILES 256

struct loaded {
    json_object **docs;
    size_t n_docs;
    char **sources;            /* "file#index" per document */
};

static void loaded_free(struct loaded *l)
{
    for (size_t i = 0; i < l->n_docs; i++) {
        json_object_put(l->docs[i]);
        free(l->sources[i]);
    }
    free(l->docs);
    free(l->sources);
    memset(l, 0, sizeof(*l));
}

/* Loads every document of every file; a file that cannot be read or parsed
 * is reported and counted in *ret_failed. */
static int load_files(char **files, size_t n_files, struct loaded *out, int *ret_failed)
{
    for (size_t f = 0; f < n_files; f++) {
        char *buf = NULL, *err = NULL;
        size_t len = 0;
        json_object **docs = NULL;
        size_t n = 0;
        int r = gw_read_file(files[f], GW_LIMITS_MANIFEST.max_bytes, &buf, &len, &err);
        if (r == 0)
            r = gw_yaml_load_all(buf, len, &GW_LIMITS_MANIFEST, &docs, &n, &err);
        free(buf);
        if (r < 0) {
            fprintf(stderr, "%s: error: %s\n", strcmp(files[f], "-") ? files[f] : "<stdin>",
                    err ? err : strerror(-r));
            free(err);
            (*ret_failed)++;
            if (r == -ENOMEM)
                return r;
            continue;
        }
        json_object **nd = realloc(out->docs, (out->n_docs + n + 1) * sizeof(*nd));
        if (nd)
            out->docs = nd;
        char **ns = realloc(out->sources, (out->n_docs + n + 1) * sizeof(*ns));
        if (ns)
            out->sources = ns;
        if (!nd || !ns) {
            gw_docs_free(docs, n);
            return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
            struct strbuf sb;
            sb_init(&sb, 4096);
            sb_addf(&sb, "%s#%zu", strcmp(files[f], "-") ? files[f] : "<stdin>", i + 1);
            out->docs[out->n_docs] = docs[i];
            out->sources[out->n_docs] = sb_detach(&sb, NULL);
            out->n_docs++;
        }
        free(docs);
    }
    return 0;
}

static int parse_files_opt(int argc, char **argv, char **files, size_t *n_files, const char *cmd)
{
    static const struct option opts[] = { { "filename", required_argument, NULL, 'f' },
                                          { "image", required_argument, NULL, 'i' },
                                          { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
        if (c == 'f' && *n_files < MAX_FILES) {
            files[(*n_files)++] = optarg;
        } else if (c == 'i' || c == 'f') {
            continue;
        } else {
            fprintf(c == 'h' ? stdout : stderr, "usage: litellm-gateway-operator %s -f FILE|- [-f FILE...]%s\n",
                    cmd, strcmp(cmd, "render") == 0 ? " [--image IMAGE]" : "");
            return c == 'h' ? 0 : 2;
        }
    }
    for (int i = optind; i < argc && *n_files < MAX_FILES; i++)
        files[(*n_files)++] = argv[i];
    if (*n_files == 0) {
        fprintf(stderr, "litellm-gateway-operator %s: no input; pass -f FILE or -f - for stdin\n", cmd);
        return 2;
    }
    return -1;
}

static const char *doc_label(json_object *doc, char *buf, size_t cap)
{
    json_object *k = NULL, *md = NULL, *name = NULL, *ns = NULL;
    json_object_object_get_ex(doc, "kind", &k);
    json_object_object_get_ex(doc, "metadata", &md);
    if (md && json_object_is_type(md, json_type_object)) {
        json_object_object_get_ex(md, "name", &name);
        json_object_object_get_ex(md, "namespace", &ns);
    }
    const char *ks = k && json_object_is_type(k, json_type_string) ? json_object_get_string(k) : "object";
    const char *nm = name && json_object_is_type(name, json_type_string) ? json_object_get_string(name) : "(unnamed)";
    if (ns && json_object_is_type(ns, json_type_string))
        snprintf(buf, cap, "%.80s %.80s/%.200s", ks, json_object_get_string(ns), nm);
    else
        snprintf(buf, cap, "%.80s %.200s", ks, nm);
    return buf;
}

static bool is_ours(json_object *doc)
{
    json_object *a = NULL, *k = NULL;
    if (!doc || !json_object_is_type(doc, json_type_object))
        return true; /* not even an object: validation says so */
    json_object_object_get_ex(doc, "apiVersion", &a);
    json_object_object_get_ex(doc, "kind", &k);
    const char *api = a && json_object_is_type(a, json_type_string) ? json_object_get_string(a) : "";
    /* Objects of our group are ours even with a kind we do not know (the
     * error says so); other groups (Namespace, Secret...) are skipped. */
    size_t glen = strlen(GW_GROUP);
    return (strncmp(api, GW_GROUP, glen) == 0 && (api[glen] == '/' || api[glen] == '\0')) || !a || !k;
}

int cmd_validate(int argc, char **argv)
{
    char *files[MAX_FILES];
    size_t n_files = 0;
    int rc = parse_files_opt(argc, argv, files, &n_files, "validate");
    if (rc >= 0)
        return rc;
    struct loaded l = { 0 };
    int failed = 0;
    if (load_files(files, n_files, &l, &failed) == -ENOMEM) {
        fprintf(stderr, "validate: out of memory\n");
        loaded_free(&l);
        return 1;
    }
    size_t checked = 0, rejected = 0;
    for (size_t i = 0; i < l.n_docs; i++) {
        json_object *doc = l.docs[i];
        if (!is_ours(doc))
            continue;
        struct gw_errlist errors, warnings;
        errlist_init(&errors);
        errlist_init(&warnings);
        int r = gw_validate_any(doc, NULL, &errors, &warnings);
        char label[400];
        doc_label(doc, label, sizeof(label));
        checked++;
        if (r == -ENOMEM) {
            fprintf(stderr, "%s: %s: error: out of memory\n", l.sources[i], label);
            rejected++;
        }
        for (size_t k = 0; k < warnings.n; k++)
            fprintf(stderr, "%s: %s: warning: %s\n", l.sources[i], label, warnings.items[k].message);
        for (size_t k = 0; k < errors.n; k++)
            fprintf(stderr, "%s: %s: error: %s\n", l.sources[i], label, errors.items[k].message);
        if (errors.dropped)
            fprintf(stderr, "%s: %s: error: ... and %zu more\n", l.sources[i], label, errors.dropped);
        if (errors.n > 0)
            rejected++;
        else if (r == 0)
            printf("%s: %s: valid\n", l.sources[i], label);
        errlist_free(&errors);
        errlist_free(&warnings);
    }
    loaded_free(&l);
    fprintf(stderr, "validate: %zu object%s checked, %zu rejected%s\n", checked, checked == 1 ? "" : "s", rejected,
            failed ? ", some input could not be read" : "");
    return rejected || failed ? 1 : 0;
}

static void print_doc(json_object *o)
{
    char *y = NULL;
    if (gw_yaml_emit(o, &y, NULL) == 0) {
        printf("---\n%s", y);
        free(y);
    }
}

static int render_gateway(const struct gw_object *gw, const struct gw_objset *set, const char *image)
{
    struct gw_render_input in = { .gateway = gw, .image = image };
    struct gw_resolved_guard *guards = NULL;
    struct gw_route_input *routes = NULL;
    struct gw_secret_version *secrets = NULL;
    struct gw_render_output out;
    char label[400];
    gw_object_label(gw, label, sizeof(label));
    int r = gw_resolve_guards(gw, set, &guards, &in.n_guards);
    in.guards = guards;
    if (r == 0 && gw->kind == GW_KIND_TOOLGATEWAY)
        r = gw_attached_routes(gw, set, &routes, &in.n_routes);
    in.routes = routes;
    if (r == 0)
        r = gw_secret_versions(&in, set, &secrets, &in.n_secrets);
    in.secrets = secrets;
    if (r == 0)
        r = gw_render(&in, &out);
    else
        memset(&out, 0, sizeof(out));
    for (size_t k = 0; k < out.warnings.n; k++)
        fprintf(stderr, "%s: warning: %s\n", label, out.warnings.items[k].message);
    for (size_t k = 0; k < out.errors.n; k++)
        fprintf(stderr, "%s: error: %s\n", label, out.errors.items[k].message);
    if (r == 0) {
        printf("# %s: config-hash %.12s secret-hash %.12s\n", label, out.config_hash, out.secret_hash);
        if (out.gateway_url)
            printf("# %s: url %s\n", label, out.gateway_url);
        for (size_t k = 0; k < out.n_routes; k++) {
            const struct gw_route_input *ri = &routes[k];
            const struct gw_route_result *rr = &out.routes[k];
            printf("# ToolRoute %s/%s: %s %s (%s: %s)\n", ri->route->meta.ns, ri->route->meta.name,
                   rr->state == GW_ROUTE_READY ? "Ready" : "NotReady", rr->url ? rr->url : "-", rr->reason,
                   rr->message);
        }
        print_doc(out.configmap);
        print_doc(out.deployment);
        print_doc(out.service);
    } else if (r == -ENOMEM) {
        fprintf(stderr, "%s: error: out of memory\n", label);
    }
    gw_render_output_release(&out);
    free(guards);
    free(routes);
    free(secrets);
    return r;
}

int cmd_render(int argc, char **argv)
{
    char *files[MAX_FILES];
    size_t n_files = 0;
    const char *image = NULL;
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--image") == 0)
            image = argv[i + 1];
    int rc = parse_files_opt(argc, argv, files, &n_files, "render");
    if (rc >= 0)
        return rc;
    struct loaded l = { 0 };
    int failed = 0;
    if (load_files(files, n_files, &l, &failed) == -ENOMEM) {
        loaded_free(&l);
        return 1;
    }
    struct gw_object **objs = calloc(l.n_docs ? l.n_docs : 1, sizeof(*objs));
    size_t n = 0;
    int bad = failed;
    for (size_t i = 0; objs && i < l.n_docs; i++) {
        json_object *a = NULL;
        json_object_object_get_ex(l.docs[i], "apiVersion", &a);
        struct gw_errlist errors, warnings;
        errlist_init(&errors);
        errlist_init(&warnings);
        struct gw_object *o = NULL;
        if (!is_ours(l.docs[i]) && !(a && strcmp(json_object_get_string(a), "v1") == 0))
            continue;
        int r = gw_object_parse(l.docs[i], &o, &errors);
        if (r == 0 && !o->meta.ns && gw_kind_namespaced(o->kind))
            o->meta.ns = "default";
        if (r == 0 && o->kind != GW_KIND_SECRET)
            gw_validate_object(o, &errors, &warnings);
        if (r == -EINVAL && o == NULL && a && strcmp(json_object_get_string(a), "v1") == 0) {
            errlist_free(&errors);
            continue; /* core objects other than Secrets */
        }
        char label[400];
        doc_label(l.docs[i], label, sizeof(label));
        for (size_t k = 0; k < errors.n; k++)
            fprintf(stderr, "%s: %s: error: %s\n", l.sources[i], label, errors.items[k].message);
        if (errors.n > 0 || r < 0) {
            bad++;
            gw_object_free(o);
        } else {
            objs[n++] = o;
        }
        errlist_free(&errors);
        errlist_free(&warnings);
    }
    struct gw_objset set = { (const struct gw_object *const *)objs, n };
    size_t gateways = 0;
    for (size_t i = 0; i < n; i++) {
        if (objs[i]->kind != GW_KIND_AIGATEWAY && objs[i]->kind != GW_KIND_TOOLGATEWAY)
            continue;
        gateways++;
        if (render_gateway(objs[i], &set, image) != 0)
            bad++;
    }
    for (size_t i = 0; i < n; i++)
        gw_object_free(objs[i]);
    free(objs);
    loaded_free(&l);
    if (gateways == 0 && !bad)
        fprintf(stderr, "render: no AiGateway or ToolGateway in the input\n");
    return bad ? 1 : 0;
}
