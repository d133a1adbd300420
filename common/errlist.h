/* errlist: field-path problems worded the way the API server words them.
 *
 *   spec.aiModels[1].name: Duplicate value: "gpt-4o"
 *   spec.port: Invalid value: 0: must be between 1 and 65535
 *
 * Validation appends every problem it finds (errors and warnings live in two
 * separate lists) instead of stopping at the first. The list is capped so
 * hostile input cannot grow it without bound; past the cap one final entry
 * says how many were dropped. */
#ifndef GW_ERRLIST_H
#define GW_ERRLIST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

enum gw_errtype {
    GW_E_REQUIRED,
    GW_E_INVALID,
    GW_E_DUPLICATE,
    GW_E_NOT_SUPPORTED,
    GW_E_FORBIDDEN,
    GW_E_TOO_LONG,
    GW_E_TOO_MANY,
    GW_E_TYPE,
    GW_E_NOT_FOUND,
    GW_E_INTERNAL,
    GW_E_NOTE,      /* advice without a type word: "<field>: <detail>" */
};

struct gw_issue {
    enum gw_errtype type;
    char *field;    /* "spec.aiModels[1].name"; "" for the whole object */
    char *message;  /* full line: "<field>: <body>" */
    char *body;     /* the part after "<field>: " (what causes[].message holds) */
};

struct gw_errlist {
    struct gw_issue *items;
    size_t n;
    size_t alloc;
    size_t dropped;
};

#define GW_ERRLIST_MAX 200

void errlist_init(struct gw_errlist *l);
void errlist_free(struct gw_errlist *l);
/* The cause reason the API server uses for this type ("FieldValueInvalid"). */
const char *errtype_reason(enum gw_errtype t);

/* Adds one problem. value is the already formatted value (use the helpers
 * below) or NULL where the type takes none (Required, Forbidden, TooLong...).
 * detail may be NULL. Returns 0 or -ENOMEM; a full list counts the drop. */
int errlist_add(struct gw_errlist *l, enum gw_errtype t, const char *field,
                const char *value, const char *detail);
int errlist_vaddf(struct gw_errlist *l, enum gw_errtype t, const char *field, const char *value,
                  const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
int errlist_addf(struct gw_errlist *l, enum gw_errtype t, const char *field,
                 const char *value, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Shorthands with value formatting the API server's way. */
int err_invalid_str(struct gw_errlist *l, const char *field, const char *value,
                    const char *detail);
int err_invalid_int(struct gw_errlist *l, const char *field, int64_t value,
                    const char *detail);
int err_required(struct gw_errlist *l, const char *field, const char *detail);
int err_forbidden(struct gw_errlist *l, const char *field, const char *detail);
int err_duplicate(struct gw_errlist *l, const char *field, const char *value);
/* supported is a NULL-terminated list of the accepted values. */
int err_not_supported(struct gw_errlist *l, const char *field, const char *value,
                      const char *const *supported);
int err_type(struct gw_errlist *l, const char *field, const char *got,
             const char *want);

/* Appends a copy of one entry as it is (a full list counts the drop).
 * Returns 0 or -ENOMEM. */
int errlist_add_copy(struct gw_errlist *l, const struct gw_issue *it);

/* Moves every entry of src onto dst (src ends empty). */
int errlist_concat(struct gw_errlist *dst, struct gw_errlist *src);
/* True when some entry's message equals msg (tests and de-duplication). */
int errlist_contains(const struct gw_errlist *l, const char *msg);
/* Joins the messages with "; " into one line of at most max bytes (plus
 * the NUL), for a condition message or an Event. What does not fit is
 * counted instead of written: "...; and 12 more" (entries dropped from a
 * full list count too); a first message longer than the line is cut with
 * "...". Never fails for length: only -ENOMEM. *ret (caller frees) is
 * set on success; an empty list gives "". max below 64 counts as 64. */
int errlist_join(const struct gw_errlist *l, size_t max, char **ret);

/* Sorts by field path then message for stable output. */
void errlist_sort(struct gw_errlist *l);

#endif
