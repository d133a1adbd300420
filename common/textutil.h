/* textutil: small pure text helpers shared by validation and rendering. */
#ifndef GW_TEXTUTIL_H
#define GW_TEXTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline bool isalnum_ascii(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* qsort comparator for an array of C strings. */
int gw_cmp_cstr(const void *a, const void *b);

/* Edit distance, capped: returns a value > cap as soon as it exceeds cap. */
size_t gw_edit_distance(const char *a, const char *b, size_t cap);
/* The candidate nearest to word within a distance that scales with the
 * word's length (a third of it, at least 2), or NULL. */
const char *gw_nearest(const char *word, const char *const *candidates);

/* Globs over tool names: '*' any run, '?' one character, '[abc]', '[a-z]',
 * '[!x]' classes, '\\' escapes the next character. gw_glob_check returns
 * NULL for a well-formed pattern, else why not. */
const char *gw_glob_check(const char *pattern);
bool gw_glob_is_literal(const char *pattern);
bool gw_glob_match(const char *pattern, const char *s);

/* Lower-case hex SHA-256 of data into out (65 bytes). */
void gw_sha256_hex(const void *data, size_t len, char out[65]);
/* FNV-1a of data[0, len): a fast, non-cryptographic hash for the keys of
 * in-process tables. */
uint64_t gw_fnv1a(const void *data, size_t len);
/* Checks an upstream URL the way we accept it for LiteLLM: http or https,
 * a host, an optional numeric port, no user info (credentials would land in
 * the ConfigMap in clear text), no whitespace or control characters. Returns
 * NULL when fine, else the reason. */
const char *gw_url_check(const char *url);

/* A NUL-terminated copy of s[0..len) in which every byte that is not part
 * of valid UTF-8 (RFC 3629) is replaced by U+FFFD. Messages quote input cut
 * to a length, and a cut can fall inside a character. Caller frees; NULL
 * when out of memory. *ret_len (when not NULL) gets the copy's length. */
char *gw_utf8_scrub(const char *s, size_t len, size_t *ret_len);
#endif
