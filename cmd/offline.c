/* validate and render: the webhook's verdicts and the controller's output,
 * offline, for GitOps pipelines and reviews before anything reaches a
 * cluster. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "doc.h"
#include "jsonutil.h"
#include "model.h"
#include "readfile.h"
#include "render.h"
#include "resolve.h"
#include "strbuf.h"
#include "textutil.h"
#include "validate.h"
#include "convert.h"
#include "yamlout.h"

#define MAX_FILES 10000
#define MAX_DIR_DEPTH 32

/* The input files, in order: the -f arguments, directories expanded to
 * their *.yaml, *.yml and *.json files (recursively, sorted by name). */
struct inputs {
    char **paths;
    size_t n, alloc;
    int unreadable;            /* -f arguments that could not be listed */
};

static void inputs_free(struct inputs *in)
{
    for (size_t i = 0; i < in->n; i++)
        free(in->paths[i]);
    free(in->paths);
    memset(in, 0, sizeof(*in));
}

static int inputs_add(struct inputs *in, const char *path)
{
    if (in->n >= MAX_FILES) {
        fprintf(stderr, "%s: error: more than %d input files\n", path, MAX_FILES);
        in->unreadable++;
        return 0;
    }
    if (in->n == in->alloc) {
        size_t na = in->alloc ? in->alloc * 2 : 16;
        char **p = realloc(in->paths, na * sizeof(*p));
        if (!p)
            return -ENOMEM;
        in->paths = p;
        in->alloc = na;
    }
    char *d = strdup(path);
    if (!d)
        return -ENOMEM;
    in->paths[in->n++] = d;
    return 0;
}

static bool manifest_name(const char *name)
{
    size_t n = strlen(name);
    return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) || (n > 4 && strcmp(name + n - 4, ".yml") == 0) ||
           (n > 5 && strcmp(name + n - 5, ".json") == 0);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of directory path as "path/name", sorted, hidden ones left
 * out. 0 with *ret_names (caller frees each and the array; none for an
 * unreadable directory, which is said on stderr and counted) or -ENOMEM. */
static int dir_entries(struct inputs *in, const char *path, char ***ret_names, size_t *ret_n)
{
    DIR *dir = opendir(path);
    if (!dir) {
        fprintf(stderr, "%s: error: %s\n", path, strerror(errno));
        in->unreadable++;
        *ret_names = NULL;
        *ret_n = 0;
        return 0;
    }
    char **names = NULL;
    size_t n = 0, alloc = 0;
    int r = 0;
    struct dirent *e;
    while (r == 0 && (e = readdir(dir))) {
        if (e->d_name[0] == '.')
            continue; /* ., .. and hidden entries such as .git */
        if (n == alloc) {
            size_t na = alloc ? alloc * 2 : 16;
            char **p = realloc(names, na * sizeof(*p));
            if (!p) {
                r = -ENOMEM;
                break;
            }
            names = p;
            alloc = na;
        }
        names[n] = sb_dupf(8192, "%s/%s", path, e->d_name);
        r = names[n] ? 0 : -ENOMEM;
        n += names[n] != NULL;
    }
    closedir(dir);
    if (r < 0) {
        for (size_t i = 0; i < n; i++)
            free(names[i]);
        free(names);
        return r;
    }
    if (n > 1)
        qsort(names, n, sizeof(*names), cmp_names);
    *ret_names = names;
    *ret_n = n;
    return r;
}

/* Adds path: a file as it is, a directory's manifests recursively. */
static int inputs_walk(struct inputs *in, const char *path, unsigned depth, bool top)
{
    struct stat st;
    if (strcmp(path, "-") == 0)
        return inputs_add(in, path);
    if (stat(path, &st) != 0) {
        if (top) {
            fprintf(stderr, "%s: error: %s\n", path, strerror(errno));
            in->unreadable++;
        }
        return 0;
    }
    /* Inside a directory, symbolic links to directories are not followed
     * (as find does not): two links to a parent would make the walk
     * exponential. */
    struct stat lst;
    if (!top && S_ISDIR(st.st_mode) && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode))
        return 0;
    if (!S_ISDIR(st.st_mode))
        return top || manifest_name(path) ? inputs_add(in, path) : 0;
    if (depth >= MAX_DIR_DEPTH) {
        fprintf(stderr, "%s: error: directories nested deeper than %d levels\n", path, MAX_DIR_DEPTH);
        in->unreadable++;
        return 0;
    }
    char **names = NULL;
    size_t n = 0;
    int r = dir_entries(in, path, &names, &n);
    for (size_t i = 0; i < n && r == 0; i++)
        r = inputs_walk(in, names[i], depth + 1, false);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return r;
}

struct loaded {
    json_object **docs;
    size_t n_docs;
    char **sources;            /* "file#index" per document */
    const char **files;        /* the file of each document (borrowed) */
    size_t *index;             /* 1-based position in its file */
};

static void loaded_free(struct loaded *l)
{
    for (size_t i = 0; i < l->n_docs; i++) {
        json_object_put(l->docs[i]);
        free(l->sources[i]);
    }
    free(l->docs);
    free(l->sources);
    free(l->files);
    free(l->index);
    memset(l, 0, sizeof(*l));
}

static const char *display_name(const char *path)
{
    return strcmp(path, "-") ? path : "<stdin>";
}

/* How one file failed: could not be read at all, or was read and refused
 * (too large, not YAML). */
enum load_failure { LOAD_OK, LOAD_UNREADABLE, LOAD_REFUSED };

typedef void (*file_error_fn)(const char *file, const char *message, void *arg);

static int append_docs(struct loaded *out, const char *file, json_object **docs, size_t n)
{
    size_t total = out->n_docs + n + 1;
    json_object **nd = realloc(out->docs, total * sizeof(*nd));
    if (nd)
        out->docs = nd;
    char **ns = realloc(out->sources, total * sizeof(*ns));
    if (ns)
        out->sources = ns;
    const char **nf = realloc(out->files, total * sizeof(*nf));
    if (nf)
        out->files = nf;
    size_t *ni = realloc(out->index, total * sizeof(*ni));
    if (ni)
        out->index = ni;
    if (!nd || !ns || !nf || !ni)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        out->docs[out->n_docs] = docs[i];
        out->sources[out->n_docs] = sb_dupf(8192, "%s#%zu", display_name(file), i + 1);
        out->files[out->n_docs] = file;
        out->index[out->n_docs] = i + 1;
        docs[i] = NULL;
        out->n_docs++;
    }
    return 0;
}

/* Loads every document of every file. A file that cannot be read or parsed
 * is reported through on_error and counted. Returns 0 or -ENOMEM. */
static int load_files(char **files, size_t n_files, struct loaded *out, int *ret_unreadable, int *ret_refused,
                      file_error_fn on_error, void *arg)
{
    for (size_t f = 0; f < n_files; f++) {
        char *buf = NULL, *err = NULL;
        size_t len = 0;
        json_object **docs = NULL;
        size_t n = 0;
        int r = gw_read_file(files[f], GW_LIMITS_MANIFEST.max_bytes, &buf, &len, &err);
        enum load_failure how = r == 0 ? LOAD_OK : r == -E2BIG ? LOAD_REFUSED : LOAD_UNREADABLE;
        if (r == 0) {
            r = gw_yaml_load_all(buf, len, &GW_LIMITS_MANIFEST, &docs, &n, &err);
            how = r == 0 ? LOAD_OK : LOAD_REFUSED;
        }
        free(buf);
        if (r == -ENOMEM) {
            free(err);
            return r;
        }
        if (r < 0) {
            on_error(display_name(files[f]), err ? err : strerror(-r), arg);
            free(err);
            (*(how == LOAD_UNREADABLE ? ret_unreadable : ret_refused))++;
            continue;
        }
        r = append_docs(out, files[f], docs, n);
        gw_docs_free(docs, n);
        if (r)
            return r;
    }
    return 0;
}

static void print_file_error(const char *file, const char *message, void *arg)
{
    (void)arg;
    fprintf(stderr, "%s: error: %s\n", file, message);
}

static void usage(FILE *out, const char *cmd)
{
    if (strcmp(cmd, "validate") == 0) {
        fprintf(out,
                "usage: litellm-gateway-operator validate -f FILE|DIR|- [-f ...] [-o text|json]\n"
                "\n"
                "Checks objects of runtime.agentic-layer.ai the way the admission webhook does, offline.\n"
                "  -f, --filename  a YAML or JSON file (several documents allowed), a directory (its\n"
                "                  *.yaml, *.yml and *.json files, recursively) or - for stdin\n"
                "  -o, --output    text (default: one line per problem on stderr) or json (an array on\n"
                "                  stdout, one record per problem: file, document, kind, namespace,\n"
                "                  name, field, message, severity)\n"
                "Exit codes: 0 every object is valid (warnings allowed; input without objects is\n"
                "valid, with a warning), 1 an object or a file was refused (invalid, not YAML, over\n"
                "the size limit), 2 usage error or input that could not be read.\n");
    } else {
        fprintf(out,
                "usage: litellm-gateway-operator render -f FILE|- [-f FILE...] [--image IMAGE]\n"
                "                                        [--otlp-endpoint URL]\n"
                "  --otlp-endpoint  OTLP/HTTP endpoint for LiteLLM's otel callback (a gateway's config\n"
                "                   patch can override it with environment_variables.\n"
                "                   OTEL_EXPORTER_OTLP_ENDPOINT; an empty value turns tracing off)\n");
    }
}

struct options {
    char *files[MAX_FILES];
    size_t n_files;
    const char *image;
    const char *otlp_endpoint;
    bool json;
};

/* Returns -1 to go on, else the exit code. */
static int parse_options(int argc, char **argv, struct options *o, const char *cmd)
{
    static const struct option opts[] = { { "filename", required_argument, NULL, 'f' },
                                          { "image", required_argument, NULL, 'i' },
                                          { "otlp-endpoint", required_argument, NULL, 'e' },
                                          { "output", required_argument, NULL, 'o' },
                                          { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
    bool validate = strcmp(cmd, "validate") == 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, validate ? "f:o:h" : "f:h", opts, NULL)) != -1) {
        if (c == 'f' && o->n_files < MAX_FILES) {
            o->files[o->n_files++] = optarg;
        } else if (c == 'f') {
            fprintf(stderr, "litellm-gateway-operator %s: more than %d -f arguments\n", cmd, MAX_FILES);
            return 2;
        } else if (c == 'i' && !validate) {
            o->image = optarg;
        } else if (c == 'e' && !validate) {
            const char *why = *optarg ? gw_url_check(optarg) : NULL;
            if (why) {
                fprintf(stderr, "litellm-gateway-operator %s: --otlp-endpoint: %s\n", cmd, why);
                return 2;
            }
            o->otlp_endpoint = optarg;
        } else if (c == 'o' && validate && (strcmp(optarg, "json") == 0 || strcmp(optarg, "text") == 0)) {
            o->json = strcmp(optarg, "json") == 0;
        } else {
            if (c == 'o' && validate)
                fprintf(stderr, "litellm-gateway-operator %s: -o takes text or json\n", cmd);
            usage(c == 'h' ? stdout : stderr, cmd);
            return c == 'h' ? 0 : 2;
        }
    }
    for (int i = optind; i < argc && o->n_files < MAX_FILES; i++)
        o->files[o->n_files++] = argv[i];
    if (o->n_files == 0) {
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

/* --- validate ---------------------------------------------------------------- */

/* Problems as records for -o json. */
struct report {
    json_object *records;      /* array, NULL in text mode */
    int failed;                /* allocation failures while recording */
};

/* Sets key to the string s, or to JSON null when s is NULL. */
static void set_str_or_null(struct jobj_builder *b, json_object *r, const char *key, const char *s)
{
    if (s)
        jobj_set(b, r, key, jobj_new_str(b, s));
    else if (r && json_object_object_add(r, key, NULL) < 0)
        jobj_builder_fail(b, -ENOMEM);
}

static void report_record(struct report *rep, const char *file, size_t document, json_object *doc,
                          const char *field, const char *message, const char *severity)
{
    json_object *md = jobj_get_obj(doc, "metadata");
    struct jobj_builder b = { 0 };
    json_object *r = jobj_new_obj(&b);
    set_str_or_null(&b, r, "file", file);
    if (document)
        jobj_set(&b, r, "document", jobj_new_int(&b, (int64_t)document));
    else
        set_str_or_null(&b, r, "document", NULL);
    set_str_or_null(&b, r, "kind", jobj_get_str(doc, "kind"));
    set_str_or_null(&b, r, "namespace", jobj_get_str(md, "namespace"));
    set_str_or_null(&b, r, "name", jobj_get_str(md, "name"));
    jobj_set(&b, r, "field", jobj_new_str(&b, field ? field : ""));
    jobj_set(&b, r, "message", jobj_new_str(&b, message));
    jobj_set(&b, r, "severity", jobj_new_str(&b, severity));
    jobj_push(&b, rep->records, r);
    if (jobj_builder_err(&b))
        rep->failed++;
}

static void record_file_error(const char *file, const char *message, void *arg)
{
    struct report *rep = arg;
    if (rep->records)
        report_record(rep, file, 0, NULL, NULL, message, "error");
    else
        print_file_error(file, message, NULL);
}

static void report_list(struct report *rep, const struct loaded *l, size_t i, const char *label,
                        const struct gw_errlist *list, const char *severity)
{
    for (size_t k = 0; k < list->n; k++) {
        if (rep->records)
            report_record(rep, display_name(l->files[i]), l->index[i], l->docs[i], list->items[k].field,
                          list->items[k].body, severity);
        else
            fprintf(stderr, "%s: %s: %s: %s\n", l->sources[i], label, severity, list->items[k].message);
    }
    if (!list->dropped)
        return;
    char more[64];
    snprintf(more, sizeof(more), "... and %zu more", list->dropped);
    if (rep->records)
        report_record(rep, display_name(l->files[i]), l->index[i], l->docs[i], "", more, severity);
    else
        fprintf(stderr, "%s: %s: %s: %s\n", l->sources[i], label, severity, more);
}

/* Validates one document; returns 1 when refused, 0 when valid, -ENOMEM. */
static int validate_doc(struct report *rep, const struct loaded *l, size_t i)
{
    json_object *doc = l->docs[i];
    struct gw_errlist errors, warnings;
    errlist_init(&errors);
    errlist_init(&warnings);
    int r = gw_validate_any(doc, NULL, &errors, &warnings);
    char label[400];
    doc_label(doc, label, sizeof(label));
    report_list(rep, l, i, label, &warnings, "warning");
    report_list(rep, l, i, label, &errors, "error");
    bool refused = errors.n > 0;
    if (r == 0 && !refused && !rep->records)
        printf("%s: %s: valid\n", l->sources[i], label);
    errlist_free(&errors);
    errlist_free(&warnings);
    return r == -ENOMEM ? r : refused ? 1 : 0;
}

static void warn_empty(struct report *rep, size_t n_docs)
{
    char m[200];
    if (n_docs == 0)
        snprintf(m, sizeof(m), "the input holds no documents");
    else
        snprintf(m, sizeof(m), "none of the %zu document%s is a " GW_GROUP " object", n_docs, n_docs == 1 ? "" : "s");
    if (rep->records)
        report_record(rep, NULL, 0, NULL, NULL, m, "warning");
    else
        fprintf(stderr, "validate: warning: %s\n", m);
}

int cmd_validate(int argc, char **argv)
{
    struct options o = { 0 };
    int rc = parse_options(argc, argv, &o, "validate");
    if (rc >= 0)
        return rc;
    struct report rep = { .records = o.json ? json_object_new_array() : NULL };
    struct inputs in = { 0 };
    struct loaded l = { 0 };
    int unreadable = 0, refused_files = 0, r = 0;
    if (o.json && !rep.records)
        r = -ENOMEM;
    for (size_t i = 0; i < o.n_files && r == 0; i++)
        r = inputs_walk(&in, o.files[i], 0, true);
    unreadable += in.unreadable;
    if (r == 0)
        r = load_files(in.paths, in.n, &l, &unreadable, &refused_files, record_file_error, &rep);
    size_t checked = 0, rejected = 0;
    for (size_t i = 0; i < l.n_docs && r == 0; i++) {
        if (!is_ours(l.docs[i]))
            continue;
        checked++;
        int v = validate_doc(&rep, &l, i);
        if (v < 0)
            r = v;
        else
            rejected += (size_t)v;
    }
    if (r == 0 && checked == 0 && !unreadable && !refused_files)
        warn_empty(&rep, l.n_docs);
    if (r == 0 && rep.records) {
        puts(json_object_to_json_string_ext(rep.records, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                             JSON_C_TO_STRING_NOSLASHESCAPE));
    } else if (r == 0) {
        fprintf(stderr, "validate: %zu object%s checked, %zu rejected%s\n", checked, checked == 1 ? "" : "s",
                rejected, unreadable || refused_files ? ", some input could not be read" : "");
    } else {
        fprintf(stderr, "validate: out of memory\n");
    }
    json_object_put(rep.records);
    loaded_free(&l);
    inputs_free(&in);
    if (r || rep.failed || unreadable)
        return 2;
    return rejected || refused_files ? 1 : 0;
}

static void print_doc(json_object *o)
{
    char *y = NULL;
    if (gw_yaml_emit(o, &y, NULL) == 0) {
        printf("---\n%s", y);
        free(y);
    }
}

static int render_gateway(const struct gw_object *gw, const struct gw_objset *set, const struct options *o)
{
    struct gw_render_input in = { .gateway = gw, .image = o->image, .otlp_endpoint = o->otlp_endpoint };
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

/* A v1beta1 object of ours is rendered as the API server stores it:
 * converted to v1alpha1 (its v1beta1-only fields in the conversion
 * annotation). 0, or -EINVAL/-ENOMEM with errors saying why. */
static int to_storage_version(json_object *doc, struct gw_errlist *errors)
{
    json_object *a = NULL, *k = NULL;
    json_object_object_get_ex(doc, "apiVersion", &a);
    json_object_object_get_ex(doc, "kind", &k);
    if (!a || !k || !json_object_is_type(a, json_type_string) || !json_object_is_type(k, json_type_string))
        return 0;
    const char *api = json_object_get_string(a);
    if (gw_api_version_of(api) != GW_API_V1BETA1 ||
        gw_convert_kind_of(api, json_object_get_string(k)) == GW_KIND_UNKNOWN)
        return 0;
    return gw_convert_in_place(doc, GW_API_V1ALPHA1, errors);
}

static bool is_core_v1(json_object *doc)
{
    json_object *a = NULL;
    return json_object_object_get_ex(doc, "apiVersion", &a) && a && strcmp(json_object_get_string(a), "v1") == 0;
}

/* The object of document i, in the storage version, parsed and validated:
 * 0 with *ret; 1 when the document is skipped (none of ours, or a core
 * object other than a Secret); -1 when it is refused (said on stderr). */
static int read_object(const struct loaded *l, size_t i, struct gw_object **ret)
{
    json_object *doc = l->docs[i];
    if (!is_ours(doc) && !is_core_v1(doc))
        return 1;
    struct gw_errlist errors, warnings;
    errlist_init(&errors);
    errlist_init(&warnings);
    struct gw_object *o = NULL;
    int r = to_storage_version(doc, &errors);
    if (r == 0)
        r = gw_object_parse(doc, &o, &errors);
    if (r == 0 && gw_object_read_beta(o, &errors) < 0)
        r = -ENOMEM;
    if (r == 0 && !o->meta.ns && gw_kind_namespaced(o->kind))
        o->meta.ns = "default";
    if (r == 0 && o->kind != GW_KIND_SECRET)
        gw_validate_object(o, &errors, &warnings);
    int verdict = 0;
    if (r == -EINVAL && o == NULL && is_core_v1(doc)) {
        verdict = 1; /* core objects other than Secrets */
    } else if (errors.n > 0 || r < 0) {
        char label[400];
        doc_label(doc, label, sizeof(label));
        for (size_t k = 0; k < errors.n; k++)
            fprintf(stderr, "%s: %s: error: %s\n", l->sources[i], label, errors.items[k].message);
        verdict = -1;
    }
    errlist_free(&errors);
    errlist_free(&warnings);
    if (verdict != 0)
        gw_object_free(o);
    else
        *ret = o;
    return verdict;
}

/* Renders every gateway among objs; returns how many failed. */
static int render_gateways(struct gw_object **objs, size_t n, const struct options *opt, size_t *ret_gateways)
{
    struct gw_objset set = { (const struct gw_object *const *)objs, n };
    size_t gateways = 0;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        if (objs[i]->kind != GW_KIND_AIGATEWAY && objs[i]->kind != GW_KIND_TOOLGATEWAY)
            continue;
        gateways++;
        if (render_gateway(objs[i], &set, opt) != 0)
            bad++;
    }
    *ret_gateways = gateways;
    return bad;
}

int cmd_render(int argc, char **argv)
{
    struct options opt = { 0 };
    int rc = parse_options(argc, argv, &opt, "render");
    if (rc >= 0)
        return rc;
    struct loaded l = { 0 };
    int failed = 0;
    if (load_files(opt.files, opt.n_files, &l, &failed, &failed, print_file_error, NULL) == -ENOMEM) {
        loaded_free(&l);
        return 1;
    }
    struct gw_object **objs = calloc(l.n_docs ? l.n_docs : 1, sizeof(*objs));
    size_t n = 0, gateways = 0;
    int bad = failed;
    for (size_t i = 0; objs && i < l.n_docs; i++) {
        int r = read_object(&l, i, &objs[n]);
        n += r == 0;
        bad += r < 0;
    }
    bad += render_gateways(objs, n, &opt, &gateways);
    for (size_t i = 0; i < n; i++)
        gw_object_free(objs[i]);
    free(objs);
    loaded_free(&l);
    if (gateways == 0 && !bad)
        fprintf(stderr, "render: no AiGateway or ToolGateway in the input\n");
    return bad ? 1 : 0;
}
