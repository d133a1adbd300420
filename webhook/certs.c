#include "certs.h"

#include <errno.h>
#include <gnutls/x509.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "doc.h"
#include "readfile.h"
#include "strbuf.h"

struct wh_cert {
    atomic_uint refs;
    gnutls_pcert_st chain[WH_CERT_CHAIN_MAX];
    unsigned n;
    gnutls_privkey_t key;
    int64_t not_after;
    char desc[320];
};

static void cert_free(struct wh_cert *c)
{
    for (unsigned i = 0; i < c->n; i++)
        gnutls_pcert_deinit(&c->chain[i]);
    if (c->key)
        gnutls_privkey_deinit(c->key);
    free(c);
}

struct wh_cert *wh_cert_ref(struct wh_cert *c)
{
    if (c)
        atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
    return c;
}

void wh_cert_unref(struct wh_cert *c)
{
    if (c && atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) == 1)
        cert_free(c);
}

void wh_cert_credentials(const struct wh_cert *c, gnutls_pcert_st **ret_chain, unsigned *ret_n,
                         gnutls_privkey_t *ret_key)
{
    *ret_chain = (gnutls_pcert_st *)c->chain;
    *ret_n = c->n;
    *ret_key = c->key;
}

int64_t wh_cert_not_after(const struct wh_cert *c)
{
    return c->not_after;
}

const char *wh_cert_describe(const struct wh_cert *c)
{
    return c->desc;
}

static int fail(char **ret_err, int code, const char *what, int gnutls_code)
{
    if (ret_err) {
        struct strbuf sb;
        sb_init(&sb, 1024);
        if (gnutls_code)
            sb_addf(&sb, "%s: %s", what, gnutls_strerror(gnutls_code));
        else
            sb_adds(&sb, what);
        *ret_err = sb_detach(&sb, NULL);
    }
    return code;
}

/* The key belongs to the leaf when their public key ids agree. */
static bool key_matches(gnutls_pcert_st *leaf, gnutls_privkey_t key)
{
    gnutls_pubkey_t pub = NULL;
    unsigned char a[64], b[64];
    size_t na = sizeof(a), nb = sizeof(b);
    bool ok = gnutls_pubkey_init(&pub) == 0 && gnutls_pubkey_import_privkey(pub, key, 0, 0) == 0 &&
              gnutls_pubkey_get_key_id(pub, GNUTLS_KEYID_USE_SHA256, a, &na) == 0 &&
              gnutls_pubkey_get_key_id(leaf->pubkey, GNUTLS_KEYID_USE_SHA256, b, &nb) == 0 && na == nb &&
              memcmp(a, b, na) == 0;
    if (pub)
        gnutls_pubkey_deinit(pub);
    return ok;
}

static void describe(struct wh_cert *c)
{
    gnutls_x509_crt_t crt = NULL;
    gnutls_datum_t dn = { NULL, 0 };
    c->not_after = 0;
    snprintf(c->desc, sizeof(c->desc), "certificate");
    if (gnutls_pcert_export_x509(&c->chain[0], &crt) < 0)
        return;
    time_t t = gnutls_x509_crt_get_expiration_time(crt);
    c->not_after = t == (time_t)-1 ? 0 : (int64_t)t;
    struct tm tm;
    char when[32] = "?";
    if (t != (time_t)-1 && gmtime_r(&t, &tm))
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (gnutls_x509_crt_get_dn3(crt, &dn, 0) == 0 && dn.data)
        snprintf(c->desc, sizeof(c->desc), "%.200s, expires %s", (const char *)dn.data, when);
    else
        snprintf(c->desc, sizeof(c->desc), "certificate expiring %s", when);
    gnutls_free(dn.data);
    gnutls_x509_crt_deinit(crt);
}

int wh_cert_load(const char *crt_pem, size_t crt_len, const char *key_pem, size_t key_len, struct wh_cert **ret,
                 char **ret_err)
{
    if (crt_len > WH_CERT_FILE_CAP || key_len > WH_CERT_FILE_CAP)
        return fail(ret_err, -EINVAL, "certificate or key file too large", 0);
    struct wh_cert *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    atomic_init(&c->refs, 1);
    gnutls_datum_t cd = { (unsigned char *)crt_pem, (unsigned)crt_len };
    gnutls_datum_t kd = { (unsigned char *)key_pem, (unsigned)key_len };
    unsigned n = WH_CERT_CHAIN_MAX;
    int r = gnutls_pcert_list_import_x509_raw(c->chain, &n, &cd, GNUTLS_X509_FMT_PEM,
                                              GNUTLS_X509_CRT_LIST_FAIL_IF_UNSORTED);
    if (r < 0) {
        cert_free(c);
        return fail(ret_err, -EINVAL, WH_CERT_FILE, r);
    }
    c->n = n;
    if (n == 0) {
        cert_free(c);
        return fail(ret_err, -EINVAL, WH_CERT_FILE ": no certificate found", 0);
    }
    r = gnutls_privkey_init(&c->key);
    if (r < 0) {
        cert_free(c);
        return -ENOMEM;
    }
    r = gnutls_privkey_import_x509_raw(c->key, &kd, GNUTLS_X509_FMT_PEM, NULL, 0);
    if (r < 0) {
        cert_free(c);
        return fail(ret_err, -EINVAL, WH_KEY_FILE, r);
    }
    if (!key_matches(&c->chain[0], c->key)) {
        cert_free(c);
        return fail(ret_err, -EINVAL, WH_KEY_FILE " does not belong to the first certificate of " WH_CERT_FILE, 0);
    }
    describe(c);
    *ret = c;
    return 0;
}

/* --- the store ------------------------------------------------------------ */

/* What identifies one version of a file: a kubelet Secret update swaps a
 * symlink (new inode), an editor or a script rewrites in place (new mtime,
 * ctime or size). */
struct file_id {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtim;
    struct timespec ctim;
};

struct wh_certstore {
    pthread_mutex_t lock;
    struct wh_cert *current;
    char *crt_path;
    char *key_path;
    struct file_id crt_id;
    struct file_id key_id;
    bool last_failed;
};

static int file_id_of(const char *path, struct file_id *id)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return -errno;
    memset(id, 0, sizeof(*id));
    id->dev = st.st_dev;
    id->ino = st.st_ino;
    id->size = st.st_size;
    id->mtim = st.st_mtim;
    id->ctim = st.st_ctim;
    return 0;
}

static bool file_id_eq(const struct file_id *a, const struct file_id *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtim.tv_sec == b->mtim.tv_sec &&
           a->mtim.tv_nsec == b->mtim.tv_nsec && a->ctim.tv_sec == b->ctim.tv_sec &&
           a->ctim.tv_nsec == b->ctim.tv_nsec;
}

static char *join(const char *dir, const char *file)
{
    struct strbuf sb;
    sb_init(&sb, 8192);
    sb_addf(&sb, "%s/%s", dir, file);
    return sb_detach(&sb, NULL);
}

static int load_files(struct wh_certstore *s, struct wh_cert **ret, char **ret_err)
{
    char *crt = NULL, *key = NULL;
    size_t crt_len = 0, key_len = 0;
    int r = gw_read_file(s->crt_path, WH_CERT_FILE_CAP, &crt, &crt_len, ret_err);
    if (r == 0)
        r = gw_read_file(s->key_path, WH_CERT_FILE_CAP, &key, &key_len, ret_err);
    if (r == 0)
        r = wh_cert_load(crt, crt_len, key, key_len, ret, ret_err);
    free(crt);
    if (key) {
        explicit_bzero(key, key_len);
        free(key);
    }
    return r;
}

/* Stats both files, then loads them; the ids describe what was read or
 * something older, so a write racing the read is seen on the next look. */
static int refresh_from_files(struct wh_certstore *s, bool force, char **ret_err)
{
    struct file_id c, k;
    int r = file_id_of(s->crt_path, &c);
    if (r == 0)
        r = file_id_of(s->key_path, &k);
    if (r < 0) {
        s->last_failed = true;
        if (ret_err) {
            struct strbuf sb;
            sb_init(&sb, 8192);
            sb_addf(&sb, "%s: %s", s->crt_path, strerror(-r));
            *ret_err = sb_detach(&sb, NULL);
        }
        return r;
    }
    if (!force && !s->last_failed && file_id_eq(&c, &s->crt_id) && file_id_eq(&k, &s->key_id))
        return 0;
    struct wh_cert *cert = NULL;
    r = load_files(s, &cert, ret_err);
    if (r < 0) {
        s->last_failed = true;
        return r;
    }
    pthread_mutex_lock(&s->lock);
    struct wh_cert *old = s->current;
    s->current = cert;
    pthread_mutex_unlock(&s->lock);
    wh_cert_unref(old);
    s->crt_id = c;
    s->key_id = k;
    s->last_failed = false;
    return 1;
}

int wh_certstore_open(const char *dir, struct wh_certstore **ret, char **ret_err)
{
    struct wh_certstore *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    pthread_mutex_init(&s->lock, NULL);
    s->crt_path = join(dir, WH_CERT_FILE);
    s->key_path = join(dir, WH_KEY_FILE);
    if (!s->crt_path || !s->key_path) {
        wh_certstore_free(s);
        return -ENOMEM;
    }
    int r = refresh_from_files(s, true, ret_err);
    if (r < 0) {
        wh_certstore_free(s);
        return r;
    }
    *ret = s;
    return 0;
}

void wh_certstore_free(struct wh_certstore *s)
{
    if (!s)
        return;
    wh_cert_unref(s->current);
    pthread_mutex_destroy(&s->lock);
    free(s->crt_path);
    free(s->key_path);
    free(s);
}

int wh_certstore_refresh(struct wh_certstore *s, char **ret_err)
{
    return refresh_from_files(s, false, ret_err);
}

struct wh_cert *wh_certstore_acquire(struct wh_certstore *s)
{
    pthread_mutex_lock(&s->lock);
    struct wh_cert *c = wh_cert_ref(s->current);
    pthread_mutex_unlock(&s->lock);
    return c;
}
