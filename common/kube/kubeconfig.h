/* kubeconfig: where the API server is and how we prove who we are.
 *
 * Two sources, the ones client-go reads: a kubeconfig file (current-context
 * or a named one) and the in-cluster service account (token and CA under
 * /var/run/secrets/kubernetes.io/serviceaccount, KUBERNETES_SERVICE_HOST and
 * _PORT). Credentials end up as bytes in memory (PEM for CA, certificate and
 * key; the bearer token), so the REST client hands them to libcurl as blobs
 * and nothing is re-read per request, except the token file: kubelet rotates
 * projected service-account tokens, so a token that comes from a file is
 * re-read once it is older than token_reread_secs.
 *
 * Supported per user: client-certificate(-data), client-key(-data), token,
 * tokenFile. exec and auth-provider plugins and basic auth are refused with
 * a message naming the field, never silently ignored. Error messages name the
 * file and the field path, e.g.
 *   kubeconfig /home/u/.kube/config: users[0].user.client-key-data: not valid base64 */
#ifndef GW_KUBECONFIG_H
#define GW_KUBECONFIG_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define KUBE_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define KUBE_TOKEN_REREAD_SECS 60u

/* Everything is owned by the struct and freed by kube_config_free. The
 * public fields are read-only once loaded; the config is shared by every
 * thread's client, which is why the token sits behind a lock. */
struct kube_config {
    char *server;          /* "https://host:port[/prefix]", no trailing '/' */
    char *ca;              /* CA bundle (PEM) or NULL for the system store */
    size_t ca_len;
    char *cert;            /* client certificate (PEM) or NULL */
    size_t cert_len;
    char *key;             /* client private key (PEM) or NULL */
    size_t key_len;
    bool insecure;         /* insecure-skip-tls-verify */
    char *ns;              /* the context's namespace, "default" when unset */
    char *origin;          /* for messages: `kubeconfig /p (context "dev")` or "in-cluster" */
    /* File references as written (made absolute against the kubeconfig's
     * directory); kubeconfig_parse sets them, kube_config_read_files reads
     * ca_file, cert_file and key_file into the bytes above. */
    char *ca_file;
    char *cert_file;
    char *key_file;
    char *token_file;      /* re-read every token_reread_secs */
    unsigned token_reread_secs;

    /* private: the current token and when it was read */
    pthread_mutex_t lock;
    char *token;
    time_t token_read_at;
};

/* Parses kubeconfig bytes. path is used for messages and to resolve
 * relative file references; context NULL means current-context. Reads no
 * files (pure): the result's *_file fields still need
 * kube_config_read_files. Returns 0 and *ret (caller frees), or -EINVAL /
 * -E2BIG / -ENOENT (context, cluster or user not found) / -EOPNOTSUPP (an
 * auth plugin) / -ENOMEM with *ret_err (caller frees) when ret_err != NULL. */
int kubeconfig_parse(const char *buf, size_t len, const char *path, const char *context,
                     struct kube_config **ret, char **ret_err);

/* Reads the files a parsed config references (CA, client certificate and
 * key, and the token file once). Returns 0 or a negative errno with
 * *ret_err naming the field and the file. */
int kube_config_read_files(struct kube_config *cfg, char **ret_err);

/* kubeconfig_parse of the file at path plus kube_config_read_files. */
int kubeconfig_load(const char *path, const char *context, struct kube_config **ret,
                    char **ret_err);

/* The in-cluster config: sa_dir (NULL = KUBE_SA_DIR) holds token, ca.crt and
 * namespace; the server comes from KUBERNETES_SERVICE_HOST and
 * KUBERNETES_SERVICE_PORT. -ENOENT with a message when not in a pod. */
int kube_config_in_cluster(const char *sa_dir, struct kube_config **ret, char **ret_err);

/* What a command-line tool would pick: path (a --kubeconfig flag) when set,
 * else the first file of $KUBECONFIG, else in-cluster when
 * KUBERNETES_SERVICE_HOST is set, else ~/.kube/config. */
int kube_config_auto(const char *path, const char *context, struct kube_config **ret,
                     char **ret_err);

/* Copies the bearer token to use now into *ret (caller frees; NULL when the
 * config has no token). Re-reads token_file when the copy is older than
 * token_reread_secs; if the re-read fails the last good token stays in use.
 * Thread-safe. Returns 0 or -ENOMEM. */
int kube_config_token(struct kube_config *cfg, char **ret);

void kube_config_free(struct kube_config *cfg);

/* Strict standard base64 (padding optional, whitespace skipped). On success
 * *ret is a malloc'ed, NUL-terminated copy of the bytes (caller frees).
 * Returns -EINVAL on any other byte. */
int kube_base64_decode(const char *in, size_t len, char **ret, size_t *ret_len);

#endif
