/* jsonutil: small json-c helpers shared by the core, named for what they do.
 *
 * Reading: jobj_get*() look a member up and never allocate; they return NULL
 * when the parent is not an object, the member is absent, or (for the typed
 * forms) it has another type. The result is borrowed from the parent.
 *
 * Building: jobj_new*(), jobj_set() and jobj_push() build a tree through a
 * struct jobj_builder that remembers the first failure (a negative errno),
 * like strbuf does, so a long run of calls is checked once at the end with
 * jobj_builder_err(). After a failure the calls still take ownership of what
 * they are given and free it, so nothing leaks on any path. */
#ifndef GW_JSONUTIL_H
#define GW_JSONUTIL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

/* --- reading ------------------------------------------------------------ */

json_object *jobj_get(json_object *o, const char *key);
/* The member when it is a string / object / array, else NULL. */
const char *jobj_get_str(json_object *o, const char *key);
json_object *jobj_get_obj(json_object *o, const char *key);
json_object *jobj_get_arr(json_object *o, const char *key);

/* --- building ----------------------------------------------------------- */

struct jobj_builder {
    int err;    /* first failure (negative errno), 0 if none */
};

static inline int jobj_builder_err(const struct jobj_builder *b) { return b->err; }
/* Records a failure (the first one wins) and returns it. */
int jobj_builder_fail(struct jobj_builder *b, int err);

/* New values; NULL (and the failure recorded) when memory runs out. */
json_object *jobj_new_obj(struct jobj_builder *b);
json_object *jobj_new_arr(struct jobj_builder *b);
json_object *jobj_new_str(struct jobj_builder *b, const char *s);
json_object *jobj_new_int(struct jobj_builder *b, int64_t v);
json_object *jobj_new_bool(struct jobj_builder *b, bool v);
json_object *jobj_new_double(struct jobj_builder *b, double v);
/* A deep copy of o (NULL for NULL without a failure). */
json_object *jobj_new_copy(struct jobj_builder *b, json_object *o);

/* Adds v under key in o, taking v either way. A NULL v means an earlier
 * step failed: nothing is stored (not even a JSON null) and the failure is
 * recorded. */
void jobj_set(struct jobj_builder *b, json_object *o, const char *key, json_object *v);
/* Appends v to the array a, taking v either way; NULL as above. */
void jobj_push(struct jobj_builder *b, json_object *a, json_object *v);

#endif
