/* Builds fuzzing seed corpora from the test data, so that no seed is kept
 * twice in the repository: YAML objects become JSON documents, config-patch
 * texts, AdmissionReviews, ConversionReviews and watch streams.
 *
 *   fuzz_mkseeds MODE OUTDIR FILE...
 *
 * list makes one v1 List of every object of a file (a gateway with what it
 * uses, the body POST /preview takes) and every object on its own.
 *
 * MODE is json, list, patch, review, conversion or watch. Files (or documents)
 * that do not load are skipped: they already seed the loader as they are.
 * Writes one file per seed into OUTDIR (which must exist). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "doc.h"
#include "readfile.h"
#include "model.h"
#include "convert.h"

#define OUT_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static const char *outdir;
static unsigned long written;

static int write_seed(const char *base, const char *tag, size_t i, const char *data, size_t len)
{
    char path[4096];
    int n = snprintf(path, sizeof(path), "%s/%s-%zu-%s", outdir, base, i, tag);
    if (n < 0 || (size_t)n >= sizeof(path))
        return -ENAMETOOLONG;
    FILE *f = fopen(path, "wb");
    if (!f)
        return -errno;
    size_t w = fwrite(data, 1, len, f);
    int rc = fclose(f);
    if (w != len || rc != 0)
        return -EIO;
    written++;
    return 0;
}

static int write_json(const char *base, const char *tag, size_t i, json_object *o, int flags)
{
    size_t len = 0;
    const char *s = json_object_to_json_string_length(o, flags, &len);
    return s ? write_seed(base, tag, i, s, len) : -ENOMEM;
}

static const char *str_at(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static json_object *dup_of(json_object *o)
{
    json_object *copy = NULL;
    return json_object_deep_copy(o, &copy, NULL) == 0 ? copy : NULL;
}

/* {"group": "...", "version": "...", "kind": "..."} from apiVersion and kind. */
static json_object *gvk_of(json_object *obj)
{
    const char *api = str_at(obj, "apiVersion"), *kind = str_at(obj, "kind");
    const char *slash = api ? strchr(api, '/') : NULL;
    json_object *gvk = json_object_new_object();
    json_object_object_add(gvk, "group", slash ? json_object_new_string_len(api, (int)(slash - api))
                                               : json_object_new_string(""));
    json_object_object_add(gvk, "version", json_object_new_string(slash ? slash + 1 : api ? api : "v1"));
    json_object_object_add(gvk, "kind", json_object_new_string(kind ? kind : ""));
    return gvk;
}

static int seed_review(const char *base, size_t i, json_object *obj, const char *op)
{
    json_object *md = json_object_object_get(obj, "metadata");
    const char *ns = str_at(md, "namespace"), *name = str_at(md, "name");
    json_object *req = json_object_new_object();
    json_object_object_add(req, "uid", json_object_new_string("2b1f7a44-9d0c-4f5e-8c1a-6d3e0f9b7a21"));
    json_object_object_add(req, "kind", gvk_of(obj));
    json_object_object_add(req, "resource", gvk_of(obj));
    json_object_object_add(req, "operation", json_object_new_string(op));
    if (name)
        json_object_object_add(req, "name", json_object_new_string(name));
    if (ns)
        json_object_object_add(req, "namespace", json_object_new_string(ns));
    if (strcmp(op, "DELETE") != 0)
        json_object_object_add(req, "object", dup_of(obj));
    if (strcmp(op, "CREATE") != 0)
        json_object_object_add(req, "oldObject", dup_of(obj));
    json_object_object_add(req, "dryRun", json_object_new_boolean(0));
    json_object *rv = json_object_new_object();
    json_object_object_add(rv, "apiVersion", json_object_new_string("admission.k8s.io/v1"));
    json_object_object_add(rv, "kind", json_object_new_string("AdmissionReview"));
    json_object_object_add(rv, "request", req);
    char tag[32];
    snprintf(tag, sizeof(tag), "%s.json", op);
    int rc = write_json(base, tag, i, rv, OUT_FLAGS);
    json_object_put(rv);
    return rc;
}

/* A ConversionReview of obj to version `to`. */
static int seed_one_conversion(const char *base, const char *tag, size_t i, json_object *obj, const char *to)
{
    json_object *req = json_object_new_object();
    json_object_object_add(req, "uid", json_object_new_string("0e3c5d1a-77b2-4c08-9f4e-1a2b3c4d5e6f"));
    json_object_object_add(req, "desiredAPIVersion", json_object_new_string(to));
    json_object *objs = json_object_new_array();
    json_object_array_add(objs, dup_of(obj));
    json_object_object_add(req, "objects", objs);
    json_object *rv = json_object_new_object();
    json_object_object_add(rv, "apiVersion", json_object_new_string("apiextensions.k8s.io/v1"));
    json_object_object_add(rv, "kind", json_object_new_string("ConversionReview"));
    json_object_object_add(rv, "request", req);
    int rc = write_json(base, tag, i, rv, OUT_FLAGS);
    json_object_put(rv);
    return rc;
}

/* Each object asks for the served v1beta1 and for v1alpha1; a v1beta1
 * object is also seeded as the API server stores it (v1alpha1 with the
 * conversion annotation), which is what list pages read back as v1beta1. */
static int seed_conversion(const char *base, size_t i, json_object *obj)
{
    static const char *const versions[] = { GW_GROUP "/v1beta1", GW_V1ALPHA1 };
    int rc = 0;
    if (gw_api_version_of(str_at(obj, "apiVersion")) == GW_API_V1BETA1) {
        struct gw_errlist e;
        errlist_init(&e);
        json_object *stored = NULL;
        if (gw_convert(obj, GW_API_V1ALPHA1, &stored, &e) == 0)
            rc = seed_one_conversion(base, "stored-to-v1beta1.json", i, stored, versions[0]);
        json_object_put(stored);
        errlist_free(&e);
    }
    for (size_t v = 0; rc == 0 && v < 2; v++)
        rc = seed_one_conversion(base, v == 0 ? "to-v1beta1.json" : "to-v1alpha1.json", i, obj, versions[v]);
    return rc;
}

static int seed_patch(const char *base, size_t i, json_object *obj)
{
    json_object *ann = json_object_object_get(json_object_object_get(obj, "metadata"), "annotations");
    const char *text = str_at(ann, GW_CONFIG_PATCH_ANNOTATION);
    return text ? write_seed(base, "patch.yaml", i, text, strlen(text)) : 0;
}

static void add_event(json_object *stream_lines, const char *type, json_object *obj)
{
    json_object *ev = json_object_new_object();
    json_object_object_add(ev, "type", json_object_new_string(type));
    json_object_object_add(ev, "object", obj);
    json_object_array_add(stream_lines, ev);
}

/* ADDED, MODIFIED and DELETED for every document, a BOOKMARK and a 410
 * ERROR; the first byte (the harness's piece size) is 7. */
static int seed_watch(const char *base, json_object **docs, size_t n)
{
    json_object *lines = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        if (json_object_is_type(docs[i], json_type_object)) {
            add_event(lines, "ADDED", dup_of(docs[i]));
            add_event(lines, "MODIFIED", dup_of(docs[i]));
        }
    json_object *bm = json_object_new_object();
    json_object *bmd = json_object_new_object();
    json_object_object_add(bmd, "resourceVersion", json_object_new_string("12345"));
    json_object_object_add(bm, "metadata", bmd);
    add_event(lines, "BOOKMARK", bm);
    for (size_t i = 0; i < n; i++)
        if (json_object_is_type(docs[i], json_type_object))
            add_event(lines, "DELETED", dup_of(docs[i]));
    json_object *st = json_object_new_object();
    json_object_object_add(st, "kind", json_object_new_string("Status"));
    json_object_object_add(st, "apiVersion", json_object_new_string("v1"));
    json_object_object_add(st, "status", json_object_new_string("Failure"));
    json_object_object_add(st, "reason", json_object_new_string("Expired"));
    json_object_object_add(st, "code", json_object_new_int(410));
    add_event(lines, "ERROR", st);
    size_t total = 1;
    char *buf = malloc(1);
    int rc = buf ? 0 : -ENOMEM;
    if (buf)
        buf[0] = 7;
    for (size_t i = 0; rc == 0 && i < json_object_array_length(lines); i++) {
        size_t len = 0;
        const char *s = json_object_to_json_string_length(json_object_array_get_idx(lines, i), OUT_FLAGS, &len);
        char *p = s ? realloc(buf, total + len + 2) : NULL;
        if (!p) {
            rc = -ENOMEM;
            break;
        }
        buf = p;
        memcpy(buf + total, s, len);
        total += len;
        if (i % 2)
            buf[total++] = '\r';   /* some servers end lines with CRLF */
        buf[total++] = '\n';
    }
    if (rc == 0)
        rc = write_seed(base, "watch.jsonl", 0, buf, total);
    free(buf);
    json_object_put(lines);
    return rc;
}

static int seed_list(const char *base, json_object **docs, size_t n)
{
    json_object *list = json_object_new_object(), *items = json_object_new_array();
    json_object_object_add(list, "apiVersion", json_object_new_string("v1"));
    json_object_object_add(list, "kind", json_object_new_string("List"));
    json_object_object_add(list, "items", items);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (json_object_is_type(docs[i], json_type_object)) {
            json_object_array_add(items, dup_of(docs[i]));
            rc = write_json(base, "object.json", i, docs[i], OUT_FLAGS);
        }
    if (rc == 0 && json_object_array_length(items) > 1)
        rc = write_json(base, "list.json", 0, list, OUT_FLAGS);
    json_object_put(list);
    return rc;
}

static int seed_file(const char *mode, const char *path)
{
    char *text = NULL, *err = NULL;
    size_t len = 0, n = 0;
    json_object **docs = NULL;
    int rc = gw_read_file(path, GW_LIMITS_MANIFEST.max_bytes, &text, &len, &err);
    if (rc == 0)
        rc = gw_yaml_load_all(text, len, &GW_LIMITS_MANIFEST, &docs, &n, &err);
    free(text);
    free(err);
    if (rc == -ENOMEM)
        return rc;
    if (rc != 0)
        return 0;
    /* "golden-x.yaml": the parent directory keeps equal names apart. */
    char base[512];
    const char *file = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    const char *slash = file > path ? file - 1 : path, *parent = slash;
    while (parent > path && parent[-1] != '/')
        parent--;
    snprintf(base, sizeof(base), "%.*s-%s", (int)(slash - parent), parent, file);
    bool whole = strcmp(mode, "watch") == 0 || strcmp(mode, "list") == 0;
    if (strcmp(mode, "watch") == 0)
        rc = n ? seed_watch(base, docs, n) : 0;
    else if (strcmp(mode, "list") == 0)
        rc = seed_list(base, docs, n);
    for (size_t i = 0; rc == 0 && i < n && !whole; i++) {
        json_object *d = docs[i];
        if (strcmp(mode, "json") == 0) {
            rc = write_json(base, "plain.json", i, d, OUT_FLAGS);
            if (rc == 0)
                rc = write_json(base, "pretty.json", i, d, JSON_C_TO_STRING_PRETTY);
        } else if (!json_object_is_type(d, json_type_object)) {
            continue;
        } else if (strcmp(mode, "patch") == 0) {
            rc = seed_patch(base, i, d);
        } else if (strcmp(mode, "review") == 0) {
            static const char *const ops[] = { "CREATE", "UPDATE", "DELETE" };
            for (size_t k = 0; rc == 0 && k < 3; k++)
                rc = seed_review(base, i, d, ops[k]);
        } else if (strcmp(mode, "conversion") == 0) {
            rc = seed_conversion(base, i, d);
        }
    }
    gw_docs_free(docs, n);
    return rc;
}

int main(int argc, char **argv)
{
    static const char *const modes[] = { "json", "list", "patch", "review", "conversion", "watch", NULL };
    bool known = false;
    for (const char *const *m = modes; argc > 1 && *m; m++)
        known = known || strcmp(argv[1], *m) == 0;
    if (argc < 3 || !known) {
        fprintf(stderr, "usage: fuzz_mkseeds json|list|patch|review|conversion|watch OUTDIR FILE...\n");
        return 2;
    }
    outdir = argv[2];
    for (int i = 3; i < argc; i++) {
        int rc = seed_file(argv[1], argv[i]);
        if (rc < 0) {
            fprintf(stderr, "fuzz_mkseeds: %s: %s\n", argv[i], strerror(-rc));
            return 1;
        }
    }
    printf("%lu\n", written);
    return 0;
}
