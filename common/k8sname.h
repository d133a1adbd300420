/* k8sname: the API server's name, label and annotation rules, so that we
 * refuse at admission what the API server would refuse later on the
 * Deployment or Service we create. Each check returns NULL when the value is
 * fine, else the API server's own wording of the problem (static string). */
#ifndef GW_K8SNAME_H
#define GW_K8SNAME_H

#include <stdbool.h>
#include <stddef.h>

const char *k8s_check_dns1123_label(const char *s);
const char *k8s_check_dns1123_subdomain(const char *s);
const char *k8s_check_dns1035_label(const char *s);
/* Label and annotation keys: [prefix/]name. */
const char *k8s_check_qualified_name(const char *s);
const char *k8s_check_label_value(const char *s);
/* Env var names: printable ASCII without '=' (what the API server accepts). */
const char *k8s_check_env_name(const char *s);
/* True for C identifiers ([A-Za-z_][A-Za-z0-9_]*), what shells and
 * os.environ/ references handle without surprises. */
bool k8s_is_c_identifier(const char *s);

#endif
