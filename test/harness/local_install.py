"""The install (deploy/) on a local control plane that has no kubelet, for the
install test and `make demo`.

  local_install.py kustomization OUTDIR PORT
      writes OUTDIR/kustomization.yaml: deploy/ with the default-classes
      component, both webhook configurations (and any CRD conversion webhook)
      pointed by URL at https://127.0.0.1:PORT, and 127.0.0.1 added to the
      serving Certificate. caBundle injection stays cert-manager's.
  local_install.py project KUBECONFIG NAMESPACE SECRET DIR
      projects the Secret into DIR the way the kubelet does, until killed.

The kubelet's projection (its atomic writer): the keys are written into a
fresh timestamped directory, a `..data_tmp` symlink to it is renamed over
`..data`, and each key is a symlink `KEY -> ..data/KEY`. A reader that opens
DIR/tls.crt sees either the old or the new set, never a mix.
"""
import base64
import datetime
import json
import os
import pathlib
import shutil
import subprocess
import sys
import threading

import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
CERT = "litellm-gateway-operator-webhook"
WEBHOOK_CFG = "litellm-gateway-operator"


def write_kustomization(outdir, port, rendered_crds=()):
    """outdir/kustomization.yaml over deploy/. rendered_crds: the CRDs of
    `kubectl kustomize deploy/` (dicts), to point conversion webhooks too."""
    outdir = pathlib.Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    rel = os.path.relpath(REPO / "deploy", outdir)
    base = f"https://127.0.0.1:{port}"

    def client_config(kind, name, path, url):
        return {"target": {"kind": kind, "name": name},
                "patch": json.dumps([{"op": "replace", "path": path, "value": {"url": url}}])}

    patches = [
        client_config("MutatingWebhookConfiguration", WEBHOOK_CFG, "/webhooks/0/clientConfig", f"{base}/mutate"),
        client_config("ValidatingWebhookConfiguration", WEBHOOK_CFG, "/webhooks/0/clientConfig",
                      f"{base}/validate"),
        {"target": {"kind": "Certificate", "name": CERT},
         "patch": json.dumps([{"op": "add", "path": "/spec/ipAddresses", "value": ["127.0.0.1"]}])},
    ]
    for crd in rendered_crds:
        conv = (crd.get("spec") or {}).get("conversion") or {}
        if ((conv.get("webhook") or {}).get("clientConfig") or {}).get("service"):
            patches.append(client_config("CustomResourceDefinition", crd["metadata"]["name"],
                                         "/spec/conversion/webhook/clientConfig", f"{base}/convert"))
    (outdir / "kustomization.yaml").write_text(yaml.safe_dump({
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
        "resources": [rel],
        # Gateways that name no class (the samples, the other suites) are ours.
        "components": [os.path.join(rel, "default-classes")],
        "patches": patches}, sort_keys=False))
    return outdir


class Projection:
    """Keeps DIR equal to a Secret's data, kubelet style. fetch() returns the
    Secret as a dict, or None; polled every `interval` seconds."""

    def __init__(self, fetch, directory, interval=0.2):
        self.fetch = fetch
        self.dir = pathlib.Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.interval = interval
        self.version = None
        self.updates = 0
        self.first = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.is_set():
            try:
                secret = self.fetch()
            except Exception:  # the API server may be away for a moment
                secret = None
            if secret and secret["metadata"]["resourceVersion"] != self.version and \
                    (secret.get("data") or {}).get("tls.crt"):
                self.write(secret["data"])
                self.version = secret["metadata"]["resourceVersion"]
                self.updates += 1
                self.first.set()
            self.stop.wait(self.interval)

    def write(self, data):
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("..%Y_%m_%d_%H_%M_%S.%f")
        new = self.dir / stamp
        new.mkdir(mode=0o750)
        for key, value in data.items():
            (new / key).write_bytes(base64.b64decode(value))
            (new / key).chmod(0o440)
        data_link = self.dir / "..data"
        old = os.readlink(data_link) if data_link.is_symlink() else None
        tmp = self.dir / "..data_tmp"
        if tmp.is_symlink():
            tmp.unlink()
        os.symlink(stamp, tmp)
        os.rename(tmp, data_link)
        for key in data:
            link = self.dir / key
            if not link.is_symlink():
                os.symlink(f"..data/{key}", link)
        if old and old != stamp:
            shutil.rmtree(self.dir / old, ignore_errors=True)


def kubectl_fetch(kubeconfig, namespace, name, kubectl="kubectl"):
    def fetch():
        p = subprocess.run([kubectl, "--kubeconfig", kubeconfig, "-n", namespace, "get", "secret", name,
                            "-o", "json"], capture_output=True, text=True, timeout=30)
        return json.loads(p.stdout) if p.returncode == 0 else None
    return fetch


def main(argv):
    if len(argv) == 4 and argv[1] == "kustomization":
        out = subprocess.run([os.environ.get("KUBECTL", "kubectl"), "kustomize", str(REPO / "deploy")],
                             capture_output=True, text=True, check=True).stdout
        crds = [d for d in yaml.safe_load_all(out) if d and d.get("kind") == "CustomResourceDefinition"]
        print(write_kustomization(argv[2], int(argv[3]), crds))
        return 0
    if len(argv) == 6 and argv[1] == "project":
        p = Projection(kubectl_fetch(argv[2], argv[3], argv[4], os.environ.get("KUBECTL", "kubectl")), argv[5],
                       interval=1.0)
        p.run()
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
