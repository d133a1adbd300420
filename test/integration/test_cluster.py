"""The harness itself: the control plane is real and complete enough for
the operator's tests (version, garbage collection, Deployment controller)."""
import json


def test_api_server_is_the_pinned_version(cluster):
    v = json.loads(cluster.kubectl("get", "--raw", "/version").stdout)
    assert (v["major"], v["minor"]) == ("1", "36")
    assert v["gitVersion"].startswith("v1.36.")


def test_deployment_controller_creates_replicasets(cluster, ns):
    cluster.kubectl("-n", ns, "create", "deployment", "web", "--image=registry.invalid/web:1")
    rs = cluster.wait_for("a ReplicaSet of deployment web",
                          lambda: cluster.get_json("replicasets", namespace=ns)["items"])
    assert rs[0]["metadata"]["ownerReferences"][0]["name"] == "web"


def test_garbage_collector_follows_owner_references(cluster, ns):
    cluster.kubectl("-n", ns, "create", "configmap", "owner")
    owner = cluster.get_json("configmap", "owner", ns)
    cluster.apply(json.dumps({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "child", "namespace": ns, "ownerReferences": [{
            "apiVersion": "v1", "kind": "ConfigMap", "name": "owner",
            "uid": owner["metadata"]["uid"], "controller": True}]}}))
    cluster.kubectl("-n", ns, "delete", "configmap", "owner")
    cluster.wait_for("the child ConfigMap to be collected",
                     lambda: cluster.kubectl("-n", ns, "get", "configmap", "child",
                                             check=False).returncode != 0)
