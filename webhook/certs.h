/* certs: the serving certificate, read from a directory in the layout of a
 * cert-manager Secret (tls.crt: the chain, leaf first; tls.key: its key)
 * and swapped for a new one when the files change, without a restart.
 *
 * A loaded pair (struct wh_cert) never changes and is reference counted:
 * each TLS connection holds the pair its handshake used, so a reload never
 * frees a certificate a handshake is still signing with. The store's
 * current pair changes under a mutex held only for the pointer swap. */
#ifndef WH_CERTS_H
#define WH_CERTS_H

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <stdint.h>

#define WH_CERT_FILE "tls.crt"
#define WH_KEY_FILE "tls.key"
/* Largest tls.crt / tls.key we read. */
#define WH_CERT_FILE_CAP ((size_t)1 << 20)
/* Longest chain we serve. */
#define WH_CERT_CHAIN_MAX 16

struct wh_cert;
struct wh_certstore;

/* Loads a pair from PEM bytes: the chain, the key, and the check that the
 * key belongs to the leaf. Returns 0, -EINVAL (*ret_err says why) or
 * -ENOMEM. The caller owns *ret (one reference). */
int wh_cert_load(const char *crt_pem, size_t crt_len, const char *key_pem, size_t key_len,
                 struct wh_cert **ret, char **ret_err);
struct wh_cert *wh_cert_ref(struct wh_cert *c);
void wh_cert_unref(struct wh_cert *c);
/* What gnutls needs for a handshake; valid while the reference is held. */
void wh_cert_credentials(const struct wh_cert *c, gnutls_pcert_st **ret_chain, unsigned *ret_n,
                         gnutls_privkey_t *ret_key);
int64_t wh_cert_not_after(const struct wh_cert *c);
/* "CN=..., expires 2026-02-24T10:00:00Z" for the log. */
const char *wh_cert_describe(const struct wh_cert *c);

/* Opens dir and loads its pair; fails when it does not load. */
int wh_certstore_open(const char *dir, struct wh_certstore **ret, char **ret_err);
/* Releases the store's reference to its current pair; connections still
 * holding one keep it until they close. Accepts NULL. */
void wh_certstore_free(struct wh_certstore *s);
/* Looks at the files and loads them when they changed since the pair in
 * use was read (or when the last attempt failed: a writer may still have
 * been halfway). Returns 1 when a new pair was installed, 0 when nothing
 * changed, a negative errno when the files changed but do not load
 * (*ret_err says why; the pair in use stays). One thread refreshes (the
 * server's watcher); any thread may acquire. */
int wh_certstore_refresh(struct wh_certstore *s, char **ret_err);
/* The pair in use, with a reference for the caller. */
struct wh_cert *wh_certstore_acquire(struct wh_certstore *s);

#endif
