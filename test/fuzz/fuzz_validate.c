/* Object validation (validate.h, through the schema checks of model.h): the
 * input is a YAML or JSON stream of objects, each validated as the offline
 * `validate` command and the webhook do. Properties: the documented return
 * codes, every message names a field path or the whole object and says
 * something in valid UTF-8 (the loader only lets UTF-8 in), and an object
 * that is not ours is refused with a reason. */
#include <errno.h>
#include <string.h>

#include <json-c/json.h>

#include "doc.h"
#include "errlist.h"
#include "fuzz.h"
#include "validate.h"

static void check_list(const struct gw_errlist *l)
{
    FUZZ_CHECK(l->n <= GW_ERRLIST_MAX + 1, "%zu entries in a capped list", l->n);
    for (size_t i = 0; i < l->n; i++) {
        const struct gw_issue *it = &l->items[i];
        FUZZ_CHECK(it->field && it->message && it->body, "entry %zu incomplete", i);
        FUZZ_CHECK(*it->message, "entry %zu has an empty message", i);
        FUZZ_CHECK(fuzz_is_utf8(it->message), "entry %zu is not UTF-8: %s", i, it->message);
        FUZZ_CHECK(!*it->field || strncmp(it->message, it->field, strlen(it->field)) == 0,
                   "message \"%s\" does not start with its field \"%s\"", it->message, it->field);
    }
}

static void validate_one(json_object *doc)
{
    struct gw_errlist errors, warnings;
    errlist_init(&errors);
    errlist_init(&warnings);
    int rc = gw_validate(doc, "fuzz", &errors, &warnings);
    FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM, "gw_validate returned %d", rc);
    FUZZ_CHECK(rc != -EINVAL || errors.n > 0, "not our object, but no reason given");
    check_list(&errors);
    check_list(&warnings);
    errlist_free(&errors);
    errlist_free(&warnings);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_object **docs = NULL;
    size_t n = 0;
    char *err = NULL;
    if (gw_yaml_load_all((const char *)data, size, &GW_LIMITS_MANIFEST, &docs, &n, &err) == 0) {
        for (size_t i = 0; i < n; i++)
            validate_one(docs[i]);
        gw_docs_free(docs, n);
    }
    free(err);
    return 0;
}
