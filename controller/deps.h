/* deps: which reconcile keys a change to one object touches. Pure lookups
 * over a snapshot of the world.
 *
 * Keys are "<Kind>/<namespace>/<name>" for AiGateway, ToolGateway and
 * ToolRoute (a route key is reconciled only while the route attaches to no
 * gateway; otherwise its gateway's reconcile writes its status). */
#ifndef CTL_DEPS_H
#define CTL_DEPS_H
#include <stddef.h>

#include "resolve.h"

/* A reconcile key, typed: one object, every object of a kind (a change
 * that may move ref-less routes, say), or the periodic resync. The work
 * queue holds its encoding, which only ctl_key_encode makes and only
 * ctl_key_decode reads: "<Kind>/<namespace>/<name>", the kind followed by
 * two "*" parts (never a valid name) and "Resync". */
enum ctl_key_op { CTL_KEY_OBJECT, CTL_KEY_EVERY, CTL_KEY_RESYNC };

struct ctl_key {
    enum ctl_key_op op;
    enum gw_kind kind;         /* OBJECT and EVERY */
    char ns[254];              /* OBJECT: "" for cluster-scoped */
    char name[254];            /* OBJECT */
};

/* 0, or -EINVAL when a part is too long or the kind is unknown. */
int ctl_key_object(enum gw_kind kind, const char *ns, const char *name, struct ctl_key *ret);
int ctl_key_encode(const struct ctl_key *k, char *buf, size_t cap);
/* 0, or -EINVAL when s is not an encoding of a key. */
int ctl_key_decode(const char *s, struct ctl_key *ret);
/* The kind whose gw_kind_name is name; GW_KIND_UNKNOWN when none. */
enum gw_kind ctl_kind_by_name(const char *name);

/* A growable, de-duplicated list of keys (their encodings). */
struct ctl_keys {
    char **items;
    size_t n;
    size_t alloc;
};

void ctl_keys_release(struct ctl_keys *k);
/* Adds "<kind>/<ns>/<name>" unless present. 0 or -ENOMEM. */
int ctl_keys_add(struct ctl_keys *k, const char *kind, const char *ns, const char *name);

/* The keys a change to o affects, o being a parsed object of ours or a
 * Secret (metadata only). For a ToolRoute, old (may be NULL) is its previous
 * version, so a retargeted route refreshes the gateway it left. world holds
 * the current objects (o included unless deleted). */
int ctl_affected_keys(const struct gw_objset *world, const struct gw_object *o, const struct gw_object *old,
                      struct ctl_keys *out);

/* The gateway an owned child (ConfigMap, Deployment, Service we applied)
 * belongs to, from its labels: 0 and a key added, or -ENOENT when the
 * labels do not name one of our gateways. */
int ctl_owner_key(json_object *child, struct ctl_keys *out);

/* Splits "Kind/ns/name" into its parts (pointers into buf, which is
 * modified). -EINVAL when malformed. */
int ctl_key_split(char *buf, const char **kind, const char **ns, const char **name);

#endif
