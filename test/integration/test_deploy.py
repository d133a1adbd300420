"""The install manifests: deploy/ renders with kubectl's kustomize, the
API server accepts every object of it, and the operator works with exactly
the permissions its ClusterRole grants (no more)."""
import json

import yaml

from conftest import rbac_refusals

V1A1 = "runtime.agentic-layer.ai/v1alpha1"


def rendered(cluster):
    out = cluster.kubectl("kustomize", str(cluster.repo / "deploy")).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def test_base_renders_and_the_api_server_accepts_it(cluster):
    docs = rendered(cluster)
    kinds = sorted(d["kind"] for d in docs)
    for k in ("ClusterRole", "Deployment", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
              "Certificate", "Issuer", "PodDisruptionBudget", "NetworkPolicy", "AiGatewayClass"):
        assert k in kinds, f"{k} missing from deploy/"
    # cert-manager's own CRDs are not installed here; everything else must
    # pass the API server's validation as it stands.
    ours = [d for d in docs if not d["apiVersion"].startswith("cert-manager.io/")
            and d["kind"] not in ("AiGatewayClass", "ToolGatewayClass")]
    ns = [d for d in ours if d["kind"] == "Namespace"]
    cluster.apply(yaml.safe_dump_all(ns))
    cluster.apply(yaml.safe_dump_all([d for d in ours if d["kind"] != "Namespace"]), dry_run=True)


def token_kubeconfig(cluster, tmp_path, ns, sa):
    token = cluster.kubectl("-n", ns, "create", "token", sa, "--duration=1h").stdout.strip()
    ca = cluster.state_dir / "pki" / "ca.crt"
    cfg = {
        "apiVersion": "v1", "kind": "Config", "current-context": "sa",
        "clusters": [{"name": "local", "cluster": {"server": cluster.api_url, "certificate-authority": str(ca)}}],
        "users": [{"name": sa, "user": {"token": token}}],
        "contexts": [{"name": "sa", "context": {"cluster": "local", "user": sa}}],
    }
    path = tmp_path / "sa.kubeconfig"
    path.write_text(yaml.safe_dump(cfg))
    return str(path)


def grant_namespaced(cluster, ns, name, cluster_scoped, leave_out=()):
    """The ServiceAccount ns/operator of a namespaced install: the
    ClusterRole's rules on namespaced resources as a Role in ns, those on
    the resources in cluster_scoped as the ClusterRole `name`; rules on a
    resource in leave_out are in neither. Returns the ClusterRole's rules."""
    full = next(d for d in rendered(cluster) if d["kind"] == "ClusterRole")
    skip = set(cluster_scoped) | set(leave_out)
    ns_rules = [r for r in full["rules"] if not skip & set(r["resources"])]
    cls_rules = [r for r in full["rules"] if set(cluster_scoped) & set(r["resources"])]
    cluster.apply(json.dumps({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                              "metadata": {"name": "operator", "namespace": ns}, "rules": ns_rules}))
    cluster.apply(json.dumps({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                              "metadata": {"name": name}, "rules": cls_rules}))
    cluster.kubectl("-n", ns, "create", "serviceaccount", "operator")
    cluster.kubectl("-n", ns, "create", "rolebinding", "operator", "--role=operator",
                    f"--serviceaccount={ns}:operator")
    cluster.kubectl("create", "clusterrolebinding", name, f"--clusterrole={name}",
                    f"--serviceaccount={ns}:operator")
    return cls_rules


def test_operator_runs_with_its_clusterrole_only(cluster, ns, tmp_path, operator_factory):
    role = next(d for d in rendered(cluster) if d["kind"] == "ClusterRole")
    name = f"lgo-{ns}"[:60]
    role["metadata"] = {"name": name}
    cluster.apply(json.dumps(role))
    cluster.kubectl("-n", ns, "create", "serviceaccount", "operator")
    cluster.kubectl("create", "clusterrolebinding", name, f"--clusterrole={name}",
                    f"--serviceaccount={ns}:operator")
    cluster.kubectl("-n", ns, "create", "role", "lease", "--verb=get,list,watch,create,update,patch",
                    "--resource=leases.coordination.k8s.io")
    cluster.kubectl("-n", ns, "create", "rolebinding", "lease", "--role=lease", f"--serviceaccount={ns}:operator")
    try:
        kc = token_kubeconfig(cluster, tmp_path, ns, "operator")
        op = operator_factory("least-privilege", extra=("--kubeconfig", kc, "--leader-elect",
                                                        "--leader-election-namespace", ns))
        cluster.apply(json.dumps({"apiVersion": V1A1, "kind": "AiGateway", "metadata": {"name": "main",
                                  "namespace": ns}, "spec": {"aiModels": [{"name": "gpt-4o", "provider": "openai"}]}}))
        cluster.wait_for("the gateway's Deployment", lambda: cluster.get_json("deployment", "main", ns, check=False))
        cluster.wait_for("AiGatewayConfigured", lambda: any(
            c["type"] == "AiGatewayConfigured" and c["status"] == "True"
            for c in (cluster.get_json("aigateway", "main", ns).get("status") or {}).get("conditions", [])))
        assert not rbac_refusals(op.log_text()), op.log_text()[-3000:]
    finally:
        cluster.kubectl("delete", "clusterrolebinding", name, check=False)
        cluster.kubectl("delete", "clusterrole", name, check=False)
