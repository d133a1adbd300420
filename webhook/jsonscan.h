/* jsonscan: finds where a member's value lies in JSON text without building
 * a tree. The webhook uses it to drop request.oldObject (which validation
 * and defaulting never read) and the object's metadata.managedFields
 * before the strict parse: an UPDATE then costs one object's parse, not
 * two, and managedFields (which mirror the whole object) are not built.
 *
 * The scan checks only what it needs to find its way (strings, bracket
 * pairing, member syntax) and gives up on anything else; the strict parser
 * that follows judges the whole body except the values replaced, which
 * nothing reads. */
#ifndef WH_JSONSCAN_H
#define WH_JSONSCAN_H

#include <stddef.h>

/* Finds the value of path[0].path[1]...path[n-1] (object members from the
 * top-level object; the first occurrence of a duplicated key). On success sets [*ret_start, *ret_end) to the value's bytes and
 * returns 0; -ENOENT when a member is missing or a step is not an object;
 * -EINVAL when the text cannot be scanned. */
int wh_json_find(const char *buf, size_t len, const char *const *path, size_t n, size_t *ret_start,
                 size_t *ret_end);

/* One member path from the top-level object, e.g. {"request", "oldObject"}. */
struct wh_json_path {
    const char *const *keys;
    size_t n;
};

/* Copies buf with the values of the given members replaced by null, so a
 * parser never builds them (they must lie in disjoint subtrees). Members
 * that are absent or already null are left alone. Returns 0 and the copy
 * in *ret (caller frees), -ENOENT when nothing was replaced (no copy made),
 * -EINVAL when the text cannot be scanned, -ENOMEM. */
int wh_json_null_members(const char *buf, size_t len, const struct wh_json_path *paths, size_t n, char **ret,
                         size_t *ret_len);

#endif
