#include "secrets.h"

#include <errno.h>
#include <json-c/linkhash.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct digest_entry {
    char *rv;
    char digest[CTL_DIGEST_LEN];
};

struct secret_digests {
    pthread_mutex_t lock;
    struct lh_table *map;       /* "ns/name" -> struct digest_entry */
};

static void entry_free(struct lh_entry *e)
{
    struct digest_entry *d = (struct digest_entry *)lh_entry_v(e);
    free((void *)lh_entry_k(e));
    if (d)
        free(d->rv);
    free(d);
}

int secret_digests_new(struct secret_digests **ret)
{
    struct secret_digests *d = calloc(1, sizeof(*d));
    if (!d)
        return -ENOMEM;
    d->map = lh_kchar_table_new(64, entry_free);
    if (!d->map) {
        free(d);
        return -ENOMEM;
    }
    pthread_mutex_init(&d->lock, NULL);
    *ret = d;
    return 0;
}

void secret_digests_free(struct secret_digests *d)
{
    if (!d)
        return;
    lh_table_free(d->map);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void feed(EVP_MD_CTX *ctx, const char *s)
{
    EVP_DigestUpdate(ctx, s, strlen(s) + 1); /* with the NUL: "ab"+"c" != "a"+"bc" */
}

void secret_data_digest(json_object *secret, char out[CTL_DIGEST_LEN])
{
    json_object *data = NULL;
    json_object_object_get_ex(secret, "data", &data);
    size_t n = json_object_is_type(data, json_type_object) ? (size_t)json_object_object_length(data) : 0;
    const char **keys = calloc(n ? n : 1, sizeof(*keys));
    size_t k = 0;
    if (keys && n) {
        json_object_object_foreach(data, key, val)
        {
            (void)val;
            keys[k++] = key;
        }
        qsort(keys, k, sizeof(*keys), cmp_str);
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned md_len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1) {
        for (size_t i = 0; i < k; i++) {
            json_object *v = json_object_object_get(data, keys[i]);
            feed(ctx, keys[i]);
            feed(ctx, json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "");
        }
        EVP_DigestFinal_ex(ctx, md, &md_len);
    }
    EVP_MD_CTX_free(ctx);
    free(keys);
    /* Out of memory: a digest of nothing but the marker, never a wrong match
     * with real data (keys is NULL only when n > 0). */
    if (!keys && n)
        md_len = 0;
    int o = snprintf(out, CTL_DIGEST_LEN, "sha256:");
    for (unsigned i = 0; i < md_len && o + 2 < CTL_DIGEST_LEN; i++)
        o += snprintf(out + o, (size_t)(CTL_DIGEST_LEN - o), "%02x", md[i]);
}

static int cache_key(char *buf, size_t cap, const char *ns, const char *name)
{
    int n = snprintf(buf, cap, "%s/%s", ns ? ns : "", name ? name : "");
    return n < 0 || (size_t)n >= cap ? -EINVAL : 0;
}

/* Cached digest for key at rv (lock held); true when found. */
static bool cached(struct secret_digests *d, const char *key, const char *rv, char out[CTL_DIGEST_LEN])
{
    void *v = NULL;
    if (!lh_table_lookup_ex(d->map, key, &v))
        return false;
    struct digest_entry *e = v;
    if (!rv || strcmp(e->rv, rv) != 0)
        return false;
    memcpy(out, e->digest, CTL_DIGEST_LEN);
    return true;
}

static void remember(struct secret_digests *d, const char *key, const char *rv, const char *digest)
{
    struct digest_entry *e = calloc(1, sizeof(*e));
    char *k = strdup(key);
    if (!e || !k || !(e->rv = strdup(rv))) {
        free(e);
        free(k);
        return; /* not cached: read again next time */
    }
    memcpy(e->digest, digest, CTL_DIGEST_LEN);
    pthread_mutex_lock(&d->lock);
    lh_table_delete(d->map, key);
    if (lh_table_insert(d->map, k, e) != 0) {
        free(k);
        free(e->rv);
        free(e);
    }
    pthread_mutex_unlock(&d->lock);
}

int secret_digests_get(struct secret_digests *d, struct kube_client *kc, const char *ns, const char *name,
                       const char *rv, char out[CTL_DIGEST_LEN])
{
    char key[600];
    if (cache_key(key, sizeof(key), ns, name) < 0)
        return -EINVAL;
    pthread_mutex_lock(&d->lock);
    bool hit = cached(d, key, rv, out);
    pthread_mutex_unlock(&d->lock);
    if (hit)
        return 0;
    json_object *secret = NULL;
    int r = kube_get(kc, &KUBE_SECRETS, ns, name, &secret);
    if (r < 0)
        return r;
    secret_data_digest(secret, out);
    /* Cached under the version read, which may be newer than rv. */
    const char *got = kube_meta_str(secret, "resourceVersion");
    if (got)
        remember(d, key, got, out);
    json_object_put(secret);
    return 0;
}

void secret_digests_forget(struct secret_digests *d, const char *ns, const char *name)
{
    char key[600];
    if (cache_key(key, sizeof(key), ns, name) < 0)
        return;
    pthread_mutex_lock(&d->lock);
    lh_table_delete(d->map, key);
    pthread_mutex_unlock(&d->lock);
}

size_t secret_digests_count(struct secret_digests *d)
{
    pthread_mutex_lock(&d->lock);
    size_t n = (size_t)d->map->count;
    pthread_mutex_unlock(&d->lock);
    return n;
}
