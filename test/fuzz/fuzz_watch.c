/* The watch-event stream parser (kube_watch_parse in kube_client.h): the
 * first input byte says in what pieces the rest arrives (0: all at once,
 * else 1..255 bytes, the way libcurl may split a body), the rest is the
 * response body of a watch. Each event goes through what the informer does
 * with one: the cache key and, for ERROR events, the Status code.
 * Properties: the documented return codes, an unreadable stream says why,
 * and the events do not depend on how the bytes were split. */
#include <errno.h>
#include <string.h>

#include <json-c/json.h>

#include "fuzz.h"
#include "kube_client.h"

struct seen {
    unsigned long events;
    unsigned long hash;    /* order-sensitive digest of types and objects */
};

static int on_event(void *ud, enum kube_event_type t, json_object *obj)
{
    struct seen *s = ud;
    FUZZ_CHECK(obj, "event without an object");
    FUZZ_CHECK(strcmp(kube_event_type_name(t), "?") != 0, "event type %d", (int)t);
    char *key = NULL;
    if (kube_object_key(obj, &key) == 0) {
        FUZZ_CHECK(key && *key, "empty key");
        free(key);
    }
    if (t == KUBE_EVENT_ERROR)
        (void)kube_status_code(obj);
    (void)kube_meta_str(obj, "resourceVersion");
    const char *text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
    unsigned long h = s->hash * 31 + (unsigned long)t;
    for (const char *p = text; p && *p; p++)
        h = h * 131 + (unsigned char)*p;
    s->hash = h;
    s->events++;
    json_object_put(obj);
    return 0;
}

static int parse(const char *buf, size_t len, size_t chunk, struct seen *s)
{
    char *err = NULL;
    int rc = kube_watch_parse(buf, len, chunk, on_event, s, &err);
    FUZZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -E2BIG || rc == -ENOMEM, "returned %d", rc);
    FUZZ_CHECK(rc == 0 || rc == -ENOMEM || (err && *err), "refused (%d) without a reason", rc);
    free(err);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *buf = (const char *)data + 1;
    size_t len = size - 1;
    struct seen split = { 0 }, whole = { 0 };
    int rc_split = parse(buf, len, data[0], &split);
    int rc_whole = parse(buf, len, 0, &whole);
    FUZZ_CHECK(rc_split == rc_whole, "split in %u-byte pieces: %d, whole: %d", data[0], rc_split,
               rc_whole);
    FUZZ_CHECK(split.events == whole.events && split.hash == whole.hash,
               "split in %u-byte pieces: %lu events, whole: %lu", data[0], split.events, whole.events);
    return 0;
}
