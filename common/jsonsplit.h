/* jsonsplit: finding the elements of one array member of a JSON object
 * text without parsing them, so that a large list can be parsed one
 * element at a time (a Kubernetes list page of a hundred Deployments is
 * about 15 MB as one json-c tree, and 150 KB per element).
 *
 * Structure only: strings (with their escapes) and nesting are followed,
 * nothing is validated. The caller parses the pieces with the strict
 * parser (gw_json_parse), which refuses whatever the split let through. */
#ifndef GW_JSONSPLIT_H
#define GW_JSONSPLIT_H

#include <stdbool.h>
#include <stddef.h>

/* The byte span [*ret_start, *ret_end) of the array value of the first
 * top-level member named key (compared as written, escapes not decoded) of
 * the object text buf. 0; -ENOENT when buf is an object without such a
 * member whose value is an array; -EINVAL when buf's structure is broken
 * before it is found. */
int gw_json_find_array(const char *buf, size_t len, const char *key, size_t *ret_start, size_t *ret_end);

/* Walks the elements of the array text buf[start, end) (as found above):
 * on each call, the next element's span. *pos starts at start. Returns 1
 * with an element, 0 at the end of the array, -EINVAL when its structure
 * is broken (a missing comma, an unterminated string or nesting). */
int gw_json_next_element(const char *buf, size_t end, size_t *pos, size_t *ret_start, size_t *ret_end);

#endif
