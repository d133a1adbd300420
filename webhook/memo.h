/* memo: a small direct-mapped table from byte strings to values, shared by
 * the server's threads, for what the webhook remembers between requests
 * (config-patch reviews in admission, parsed patch texts in conversion).
 *
 * Bounded: a fixed number of slots and a longest key; a slot is taken over
 * by the next key that hashes to it (the value it held is freed). Values
 * are owned by the table and only read, under its lock, through the copy
 * callback of wh_memo_get: a caller never holds a value the table may free.
 * Define one with WH_MEMO_INIT over a static array of slots. */
#ifndef WH_MEMO_H
#define WH_MEMO_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct wh_memo_slot {
    uint64_t hash;
    char *key;          /* NULL: empty */
    size_t key_len;
    void *value;
};

struct wh_memo {
    pthread_mutex_t lock;
    struct wh_memo_slot *slots;
    size_t n_slots;
    size_t key_max;                 /* longer keys are neither kept nor looked for */
    void (*free_value)(void *value);
};

#define WH_MEMO_INIT(slot_array, key_max_, free_value_)                                                         \
    {                                                                                                          \
        PTHREAD_MUTEX_INITIALIZER, (slot_array), sizeof(slot_array) / sizeof((slot_array)[0]), (key_max_),    \
            (free_value_)                                                                                      \
    }

/* When key is in the table: copy(value, ud) under the lock, and 1 when it
 * returned 0 (its negative errno otherwise). 0 when absent. */
int wh_memo_get(struct wh_memo *m, const char *key, size_t key_len, int (*copy)(const void *value, void *ud),
                void *ud);
/* Keeps value (the table owns it from here) under key; a key too long, or
 * no memory for it, and value is freed instead. */
void wh_memo_put(struct wh_memo *m, const char *key, size_t key_len, void *value);
/* Empties the table. */
void wh_memo_clear(struct wh_memo *m);

#endif
