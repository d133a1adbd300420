/* jsonscan: JSON text read without json-c's tokener.
 *
 * Three tools for the webhook's request bodies:
 *   - wh_json_find / wh_json_null_members find where a member's value lies
 *     without building a tree (the fallback path prunes request.oldObject
 *     and managedFields with them before the strict parse);
 *   - wh_json_check proves in one pass that text is JSON gw_json_parse
 *     accepts (and records where each container ends);
 *   - the builder makes json-c trees from checked text, leaving out
 *     members nothing reads, and wh_json_iter walks checked text so that a
 *     caller builds only the parts it needs (the conversion fast path).
 *
 * The scans of wh_json_find check only what they need to find their way;
 * the builder relies on wh_json_check having passed. */
#ifndef WH_JSONSCAN_H
#define WH_JSONSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Finds the value of path[0].path[1]...path[n-1] (object members from the
 * top-level object; the first occurrence of a duplicated key). On success sets [*ret_start, *ret_end) to the value's bytes
 * (ret_end NULL: only where it starts, and the value is not scanned) and
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

/* --- the fast path's checks ------------------------------------------------ */

/* Checks that buf holds exactly one JSON value that gw_json_parse (doc.h)
 * would accept with max_depth, in one pass that allocates nothing per
 * value: RFC 8259 grammar, UTF-8 (RFC 3629), no duplicate keys, no \u0000,
 * no lone surrogates, no number beyond a double. Returns 0 when the text
 * is certainly accepted, -EINVAL when it is not, or may not be: it is
 * stricter than gw_json_parse where checking would cost (an object of more
 * than WH_JSON_CHECK_MAX_KEYS members, more escaped keys open at once than
 * its decoding room, long numbers), so a caller that gets -EINVAL takes the
 * strict parser's path, which gives the verdict and the message. Escaped
 * keys (managedFields' `k:{\"name\":...}`) are decoded for the duplicate
 * check. */
#define WH_JSON_CHECK_MAX_KEYS 256
int wh_json_check(const char *buf, size_t len, unsigned max_depth);

/* Where every object and array of a checked text ends, so walking it
 * skips a container in one step instead of scanning it again at each
 * level. Ordered by start. */
struct wh_json_index {
    uint32_t *start, *end;
    size_t n, alloc;
};
void wh_json_index_free(struct wh_json_index *idx);
/* wh_json_check that also fills *idx (which starts zeroed; free it with
 * wh_json_index_free whatever the result). -ENOMEM as well. */
int wh_json_check_indexed(const char *buf, size_t len, unsigned max_depth, struct wh_json_index *idx);

/* A checker kept for many checks (its room for keys is allocated once):
 * for a caller that checks the values of a long text one at a time, each
 * while its bytes are still in the cache. */
struct wh_json_checker;
struct wh_json_checker *wh_json_checker_new(void);
void wh_json_checker_free(struct wh_json_checker *c);
/* Checks the one value that starts at buf[start] (no blank before it) as
 * wh_json_check would, and sets *ret_end after it. Index entries (when
 * idx is not NULL) are appended, at positions in buf. 0, -EINVAL or
 * -ENOMEM. */
int wh_json_check_value(struct wh_json_checker *c, const char *buf, size_t len, size_t start, unsigned max_depth,
                        struct wh_json_index *idx, size_t *ret_end);

/* Walks the members of an object or the elements of an array in text that
 * has passed wh_json_check. */
struct wh_json_iter {
    const char *buf;
    const struct wh_json_index *idx;  /* optional */
    size_t i, end;
    bool object;
    /* Where the index is searched from (0: its start). After a member
     * whose value is a container, the slot after that container's: a
     * walk of the container may start its own search there. */
    size_t hint;
    /* Whether the key of the last member returned holds an escape. */
    bool key_escaped;
};

/* buf[start] is '{' or '['; end is where that value ends; idx (may be
 * NULL) the index wh_json_check_indexed made of buf. Returns 0, or -EINVAL
 * when buf[start] is neither. */
int wh_json_iter_init(struct wh_json_iter *it, const char *buf, size_t start, size_t end,
                      const struct wh_json_index *idx);
/* The next member: [*ret_ks, *ret_ke) is its key inside the quotes, raw
 * (escapes not decoded; an array gives an empty key), [*ret_vs, *ret_ve)
 * its value. Returns 1 with the spans set, 0 after the last, -EINVAL. */
int wh_json_iter_next(struct wh_json_iter *it, size_t *ret_ks, size_t *ret_ke, size_t *ret_vs, size_t *ret_ve);

/* The string p[0, n) of checked text (its quotes included) decoded into
 * out, which has room for n bytes (no escape is shorter than what it
 * stands for); returns the decoded length. */
size_t wh_json_unescape(const char *p, size_t n, char *out);

/* --- building trees ------------------------------------------------------ */

/* Builds json-c trees from text that has passed wh_json_check, without
 * json-c's tokener (but for numbers with a fraction or an exponent) and
 * without gw_json_parse's second pass: what the check has made sure of
 * needs no second look. */
struct wh_json_builder {
    const char *buf;
    const struct wh_json_index *idx;    /* optional */
    const struct wh_json_path *prune;   /* members built as null (optional) */
    size_t n_prune;
    struct json_tokener *tok;           /* made when needed */
};

struct json_object;
/* The value at buf[s, e) as a new tree (*ret NULL for JSON null; caller
 * puts it). Returns 0, -EINVAL for what the builder does not read (the
 * caller takes gw_json_parse), -ENOMEM. */
int wh_json_build(struct wh_json_builder *b, size_t s, size_t e, struct json_object **ret);
/* Frees what the builder made for itself (not the trees). */
void wh_json_builder_release(struct wh_json_builder *b);

/* gw_json_parse's tree for text wh_json_check is sure of, with the prune
 * members (may be NULL) as null: 0 with *ret, 1 when the text must go to
 * gw_json_parse (which then gives the verdict and the message), -ENOMEM. */
int wh_json_parse_checked(const char *buf, size_t len, unsigned max_depth, const struct wh_json_path *prune,
                          size_t n_prune, struct json_object **ret);

#endif
