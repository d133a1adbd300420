/* Helpers shared by the unit tests: YAML text in, verdicts out. */
#ifndef GW_TESTUTIL_H
#define GW_TESTUTIL_H

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "convert.h"
#include "doc.h"
#include "jsonutil.h"
#include "readfile.h"
#include "errlist.h"
#include "model.h"
#include "validate.h"

struct verdict {
    struct gw_errlist errors;
    struct gw_errlist warnings;
    int rc;
};

/* Calls each(path, i, doc, ud) for every document of ours (a kind
 * gw_convert knows) in every .yaml file of dir, in directory order; files
 * the loader refuses (the bad-input catalogue) give none. The documents
 * are borrowed for the call. */
static inline void for_each_object_in(const char *dir, void (*each)(const char *path, size_t i, json_object *doc,
                                                                     void *ud),
                                      void *ud)
{
    DIR *d = opendir(dir);
    if (!d)
        fail_msg("cannot open %s", dir);
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l < 5 || strcmp(de->d_name + l - 5, ".yaml") != 0)
            continue;
        char path[1024], *buf = NULL, *err = NULL;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        size_t len = 0, n = 0;
        json_object **docs = NULL;
        if (gw_read_file(path, GW_LIMITS_MANIFEST.max_bytes, &buf, &len, &err) != 0 ||
            gw_yaml_load_all(buf, len, &GW_LIMITS_MANIFEST, &docs, &n, &err) != 0) {
            free(buf);
            free(err);
            continue;
        }
        free(buf);
        for (size_t i = 0; i < n; i++)
            if (gw_convert_kind_of(jobj_get_str(docs[i], "apiVersion"), jobj_get_str(docs[i], "kind")) !=
                GW_KIND_UNKNOWN)
                each(path, i, docs[i], ud);
        gw_docs_free(docs, n);
    }
    closedir(d);
}

static inline json_object *yaml_obj(const char *text)
{
    json_object *o = NULL;
    char *err = NULL;
    int r = gw_yaml_load_one(text, strlen(text), &GW_LIMITS_MANIFEST, &o, &err);
    if (r != 0)
        fail_msg("test YAML does not parse: %s", err ? err : "?");
    free(err);
    return o;
}

static inline void verdict_of(const char *text, struct verdict *v)
{
    errlist_init(&v->errors);
    errlist_init(&v->warnings);
    json_object *o = yaml_obj(text);
    v->rc = gw_validate(o, NULL, &v->errors, &v->warnings);
    json_object_put(o);
}

static inline void verdict_free(struct verdict *v)
{
    errlist_free(&v->errors);
    errlist_free(&v->warnings);
}

static inline void dump_list(const char *what, const struct gw_errlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        print_message("  %s[%zu]: %s\n", what, i, l->items[i].message);
}

/* Asserts that the list holds exactly this message. */
#define assert_has(list, msg)                                                    \
    do {                                                                         \
        if (!errlist_contains(&(list), (msg))) {                                 \
            dump_list(#list, &(list));                                           \
            fail_msg("missing: %s", (msg));                                      \
        }                                                                        \
    } while (0)

/* Asserts a valid object: no errors at all. */
#define assert_valid(text)                                                       \
    do {                                                                         \
        struct verdict v_;                                                       \
        verdict_of((text), &v_);                                                 \
        if (v_.errors.n) {                                                       \
            dump_list("errors", &v_.errors);                                     \
            fail_msg("expected a valid object");                                 \
        }                                                                        \
        assert_int_equal(v_.rc, 0);                                              \
        verdict_free(&v_);                                                       \
    } while (0)

/* Asserts the object is refused with exactly one error, this one. */
#define assert_rejected_once(text, msg)                                          \
    do {                                                                         \
        struct verdict v_;                                                       \
        verdict_of((text), &v_);                                                 \
        if (v_.errors.n != 1 || strcmp(v_.errors.items[0].message, (msg))) {     \
            dump_list("errors", &v_.errors);                                     \
            fail_msg("expected exactly: %s", (msg));                             \
        }                                                                        \
        verdict_free(&v_);                                                       \
    } while (0)

/* A set of parsed objects from multi-document YAML (all must be valid). */
#define MAXOBJ 16

struct fixture {
    struct gw_object *objs[MAXOBJ];
    size_t n;
};

/* Parses every document of text into f. A v1beta1 document is first
 * converted to v1alpha1 as the API server stores it, and each object's
 * v1beta1-only fields are read as the controller's snapshot reads them. */
static inline void load_objs(struct fixture *f, const char *text)
{
    json_object **docs = NULL;
    size_t n = 0;
    char *err = NULL;
    if (gw_yaml_load_all(text, strlen(text), &GW_LIMITS_MANIFEST, &docs, &n, &err) != 0)
        fail_msg("fixture does not parse: %s", err);
    f->n = 0;
    for (size_t i = 0; i < n && f->n < MAXOBJ; i++) {
        struct gw_errlist e;
        errlist_init(&e);
        json_object *doc = docs[i], *stored = NULL;
        if (gw_api_version_of(jobj_get_str(doc, "apiVersion")) == GW_API_V1BETA1) {
            if (gw_convert(doc, GW_API_V1ALPHA1, &stored, &e) != 0) {
                dump_list("conversion", &e);
                fail_msg("fixture object %zu does not convert", i);
            }
            doc = stored;
        }
        struct gw_object *o = NULL;
        assert_int_equal(gw_object_parse(doc, &o, &e), 0);
        assert_int_equal(gw_object_read_beta(o, &e), 0);
        if (e.n) {
            dump_list("errors", &e);
            fail_msg("fixture object %zu is invalid", i);
        }
        errlist_free(&e);
        json_object_put(stored);
        f->objs[f->n++] = o;
    }
    gw_docs_free(docs, n);
}

static inline void free_objs(struct fixture *f)
{
    for (size_t i = 0; i < f->n; i++)
        gw_object_free(f->objs[i]);
    f->n = 0;
}

#endif
