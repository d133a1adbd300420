/* The kubeconfig of the unit tests' scripted API servers (fakehttp.h,
 * fakelease.h): plain HTTP on loopback with a bearer token. Header-only;
 * include after cmocka.h. */
#ifndef GW_TEST_FAKEKUBE_H
#define GW_TEST_FAKEKUBE_H

#include <stdio.h>
#include <string.h>

#include "kubeconfig.h"

static struct kube_config *fake_kube_config(int port, const char *token)
{
    char text[512];
    snprintf(text, sizeof(text),
             "current-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\n"
             "clusters:\n- name: c\n  cluster: {server: 'http://127.0.0.1:%d'}\n"
             "users:\n- name: u\n  user: {token: '%s'}\n",
             port, token);
    struct kube_config *cfg = NULL;
    assert_int_equal(kubeconfig_parse(text, strlen(text), "test", NULL, &cfg, NULL), 0);
    return cfg;
}

#endif
