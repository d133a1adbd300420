/* secrets: what a gateway's secret-hash is made of.
 *
 * The informer keeps Secrets as metadata only. A gateway must roll when the
 * data of a Secret it references changes, and only then: not when a label
 * is added or the same manifest is applied again (both change the
 * resourceVersion). So before a gateway is planned, each Secret of its
 * namespace is summarized by a digest of its data: SHA-256 over the sorted
 * key/value pairs. The digest is computed from a GET when the Secret's
 * resourceVersion differs from the one last digested, and only the digest
 * is kept: the data is dropped at once, never cached, never logged.
 *
 * Thread-safe: the workers share one cache. */
#ifndef CTL_SECRETS_H
#define CTL_SECRETS_H

#include <json-c/json.h>

#include "kube_client.h"

/* "sha256:" and 64 hex digits. */
#define CTL_DIGEST_LEN 72

struct secret_digests;

int secret_digests_new(struct secret_digests **ret);
void secret_digests_free(struct secret_digests *d);

/* The digest of Secret ns/name as of resourceVersion rv, from the cache or
 * by reading the Secret with kc. 0; -ENOENT when it is gone; another
 * negative errno when it cannot be read (kc's error says why). */
int secret_digests_get(struct secret_digests *d, struct kube_client *kc, const char *ns, const char *name,
                       const char *rv, char out[CTL_DIGEST_LEN]);
/* Drops what is known of a deleted Secret. */
void secret_digests_forget(struct secret_digests *d, const char *ns, const char *name);
/* Entries cached (for tests). */
size_t secret_digests_count(struct secret_digests *d);

/* Pure: the digest of a Secret's data (its `data` map, base64 values as the
 * API returns them), independent of key order and of metadata. A Secret
 * without data has the digest of nothing. */
void secret_data_digest(json_object *secret, char out[CTL_DIGEST_LEN]);

#endif
