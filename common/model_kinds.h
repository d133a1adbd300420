/* model_kinds: the spec of each of our kinds, read into its typed struct
 * (model_types.h) at a field path (model_field.h). gw_object_parse
 * (model.h) reads apiVersion, kind and metadata and hands the spec here. */
#ifndef GW_MODEL_KINDS_H
#define GW_MODEL_KINDS_H

#include <json-c/json.h>

#include "model_field.h"
#include "model_types.h"

/* Reads spec (at path "spec") into o->u for o->kind; o->meta is read
 * already (a class's default annotation is looked up there). Problems go
 * to c->errs; nothing stops at the first. A kind without a spec (Secret)
 * is left alone. */
void mk_parse_spec(struct mf_path *c, json_object *spec, struct gw_object *o);

#endif
