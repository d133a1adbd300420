"""The pod player resolves a container's environment as the kubelet does,
from the real API server (the other e2e tests rely on it)."""
import secrets

import pytest

from podplayer import EnvResolver, PodStartError, service_env


@pytest.fixture(scope="module")
def env_ns(cluster, namespace):
    ns = namespace(f"e2e-env-{secrets.token_hex(3)}")
    cluster.apply(f"""
apiVersion: v1
kind: Secret
metadata: {{name: s, namespace: {ns}}}
stringData: {{A: from-secret, B: b-value}}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: cm, namespace: {ns}}}
data: {{X: x-value, "Z": z-value, A: from-configmap}}
---
apiVersion: v1
kind: Service
metadata: {{name: my-svc, namespace: {ns}}}
spec:
  ports: [{{name: http, port: 8080, targetPort: 80}}]
""")
    return ns


def resolve(cluster, pods, ns, container):
    svcs = cluster.get_json("services", namespace=ns)["items"]
    r = EnvResolver(pods.kube, ns, {"name": "gw-abc-123", "labels": {"app": "gw"}}, container)
    return r.resolve(service_env(svcs, ns))


def test_env_is_resolved_as_the_kubelet_does(cluster, pods, env_ns):
    env = resolve(cluster, pods, env_ns, {
        "envFrom": [{"configMapRef": {"name": "cm"}, "prefix": "P_"},
                    {"configMapRef": {"name": "cm"}},
                    {"secretRef": {"name": "s"}},                    # later source wins: A
                    {"secretRef": {"name": "missing", "optional": True}}],
        "env": [
            {"name": "B", "value": "env-wins-over-envFrom"},
            {"name": "EXPANDED", "value": "x=$(P_X) escaped=$$(P_X) unknown=$(NOPE)"},
            {"name": "S", "valueFrom": {"secretKeyRef": {"name": "s", "key": "B"}}},
            {"name": "C", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "Z"}}},
            {"name": "OPT", "valueFrom": {"secretKeyRef": {"name": "s", "key": "nope", "optional": True}}},
            {"name": "OPT2", "valueFrom": {"configMapKeyRef": {"name": "gone", "key": "k", "optional": True}}},
            {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
            {"name": "APP", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
            {"name": "MEM", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1Mi"}}},
            {"name": "SVC", "value": "$(MY_SVC_SERVICE_HOST):$(MY_SVC_SERVICE_PORT)"},
        ],
        "resources": {"limits": {"memory": "1Gi"}},
    })
    assert env["P_X"] == "x-value" and env["P_Z"] == "z-value" and env["X"] == "x-value"
    assert env["A"] == "from-secret"
    assert env["B"] == "env-wins-over-envFrom"
    assert env["EXPANDED"] == "x=x-value escaped=$(P_X) unknown=$(NOPE)"
    assert env["S"] == "b-value" and env["C"] == "z-value"
    assert "OPT" not in env and "OPT2" not in env
    assert env["POD"] == "gw-abc-123" and env["NS"] == env_ns and env["APP"] == "gw"
    assert env["MEM"] == "1024"
    svc = cluster.get_json("service", "my-svc", env_ns)
    assert env["MY_SVC_SERVICE_HOST"] == svc["spec"]["clusterIP"]
    assert env["MY_SVC_PORT"] == f"tcp://{svc['spec']['clusterIP']}:8080"
    assert env["SVC"] == f"{svc['spec']['clusterIP']}:8080"


@pytest.mark.parametrize("container", [
    {"env": [{"name": "K", "valueFrom": {"secretKeyRef": {"name": "missing", "key": "k"}}}]},
    {"env": [{"name": "K", "valueFrom": {"secretKeyRef": {"name": "s", "key": "missing"}}}]},
    {"env": [{"name": "K", "valueFrom": {"configMapKeyRef": {"name": "missing", "key": "k"}}}]},
    {"envFrom": [{"secretRef": {"name": "missing"}}]},
], ids=["secret", "secret-key", "configmap", "envFrom"])
def test_a_missing_required_reference_keeps_the_pod_from_starting(cluster, pods, env_ns, container):
    with pytest.raises(PodStartError):
        resolve(cluster, pods, env_ns, container)
