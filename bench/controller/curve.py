"""Summarizes the controller benchmark's worlds (controller-<label>.json,
written by bench.py --label) into the scaling curve: controller.json and
controller.md in the results directory.

  curve.py --out DIR LABEL...
"""
import argparse
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from report import write_report  # noqa: E402


def fit(xs, ys):
    """Least-squares line y = a + b x."""
    n = len(xs)
    if n < 2:
        return None, None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return None, None
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    return my - b * mx, b


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("labels", nargs="+")
    a = ap.parse_args()
    out = pathlib.Path(a.out)
    runs = []
    for label in a.labels:
        p = out / f"controller-{label}.json"
        if p.exists():
            r = json.loads(p.read_text())
            r["label"] = label
            runs.append(r)
    if not runs:
        sys.exit("no results to summarize")
    objs = [sum(r["objects"].values()) for r in runs]
    base, per_obj = fit(objs, [r["peak_rss_mb"] * 1024 * 1024 for r in runs])
    summary = {"runs": runs, "peak_rss_fit": None}
    if per_obj is not None:
        summary["peak_rss_fit"] = {"base_mb": round(base / 1048576, 1), "bytes_per_input_object": round(per_obj)}
    (out / "controller.json").write_text(json.dumps(summary, indent=2) + "\n")
    md = [
        "# Controller benchmark: scaling curve",
        "",
        "Each world in a fresh control plane (etcd, kube-apiserver with an audit log, kube-controller-manager;",
        "no nodes), created before the operator starts (cold start). The operator runs with 4 workers.",
        "Converged: every gateway Configured and every route Accepted with the current generation.",
        "Baseline: how long the API server took to accept the input objects (8 client threads), same run.",
        "",
        "| world (AiGateways/ToolGateways/ToolRoutes) | converged | converge s | baseline s | ratio | API requests | peak RSS MB | RSS once quiet MB | restart peak RSS MB | CPU s | quiet after s | restart writes | stop s | load avg |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in runs:
        o = r["objects"]
        md.append(
            f"| {r['label']}: {o['aigateways']}/{o['toolgateways']}/{o['toolroutes']} | {r['converged']} "
            f"| {r['converge_seconds']} | {r['baseline_create_seconds']} | {r['converge_to_create_ratio']} "
            f"| {r['operator_api_requests']} | {r['peak_rss_mb']} | {r.get('rss_at_quiet_mb', '')} | {r.get('restart_peak_rss_mb', '')} "
            f"| {r['cpu_seconds']} | {r.get('quiet_wait_seconds', '')}{'' if r.get('quiet', True) else ' (cap)'} "
            f"| {r['noop_restart_writes']} / {r.get('noop_restart_operator_writes', '')} "
            f"| {r.get('stop_seconds', '')} | {r.get('load_average', 0):.1f} |")
    md.append("")
    for r in runs:
        md.append(f"- {r['label']} requests by verb: "
                  + ", ".join(f"{k} {v}" for k, v in sorted(r["operator_api_requests_by_verb"].items())))
    md.append("")
    if per_obj is not None:
        md.append(f"Peak RSS fit over the worlds: {base / 1048576:.1f} MB + {per_obj:.0f} bytes per input object "
                  "(AiGateways, ToolGateways and ToolRoutes counted alike; each gateway also owns a ConfigMap, "
                  "a Deployment and a Service).")
        md.append("")
    md.append(f"Command: `{' '.join(runs[-1]['command'])}`")
    md.append("")
    write_report(out, "controller", md)
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
