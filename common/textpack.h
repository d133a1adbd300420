/* textpack: text kept with its common substrings stood for by one or two
 * bytes, and its repeats by a reference to where they were first seen.
 *
 * The controller holds, for every object it watches, some JSON text that
 * repeats the same keys and values from object to object (the condition
 * keys and the summary conditions' reasons and messages in a status, the
 * keys and server defaults of a Deployment) and within itself (a status's
 * five equal timestamps, a ToolGateway config's entry per route). A
 * dictionary names the substrings common to all objects; packing replaces,
 * left to right, each occurrence of a word or each run of 4 to 258 bytes
 * that appeared in the last 65,025 bytes of the text (a run only where it
 * saves more than the words it covers would) by its code. Unpacking gives back the text byte for byte, whatever
 * it holds: packing is lossless for every text without NUL bytes, so what
 * is read back is exactly what was packed.
 *
 * Codes: 0x01..0x1c stand for words[0..27]; 0x1d l d1 d2 (each 1..255) for
 * the l + 3 bytes that start (d1 - 1) * 255 + d2 bytes back in the text;
 * 0x1e k (k 1..255) for words[27 + k]; 0x1f c for the byte c itself, for
 * the rare text that holds a byte below 0x20 (JSON text never does: json-c
 * escapes them). Packed text holds no NUL byte, so it can be kept as a C
 * string.
 *
 * Pure: no globals; the dictionary is the caller's (a static table). */
#ifndef GW_TEXTPACK_H
#define GW_TEXTPACK_H

#include <stddef.h>

/* Most words a dictionary may hold. */
#define TP_MAX_WORDS (28 + 255)

/* Words of two bytes or more, none empty; the order only decides codes
 * (put the most frequent first: the first 28 take one byte). */
struct tp_dict {
    const char *const *words;
    size_t n;                   /* <= TP_MAX_WORDS */
};

/* Packs text[0, len) (it takes a scratch table of 8 bytes per byte of
 * text while it works): 0 with *ret (NUL-terminated, malloc'd, the caller
 * frees) and *ret_len (without the NUL); -EINVAL when text holds a NUL byte
 * or d is not a dictionary as above, -ENOMEM. */
int tp_pack(const struct tp_dict *d, const char *text, size_t len, char **ret, size_t *ret_len);

/* Unpacks packed[0, len) (made by tp_pack with the same d): 0 with *ret
 * (NUL-terminated, malloc'd, the caller frees) and *ret_len; -EINVAL when
 * packed is not well formed, -E2BIG when the text would be longer than cap,
 * -ENOMEM. */
int tp_unpack(const struct tp_dict *d, const char *packed, size_t len, size_t cap, char **ret, size_t *ret_len);

#endif
