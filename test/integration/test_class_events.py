"""A gateway whose class does not exist gets one ClassNotFound Warning
Event per generation: reconciles that do not change the spec (a label
change, a resync) add none; a spec change reports again, once.
"""
import json
import re

from test_controller import ai_gateway


def class_events(cluster, ns, name):
    out = cluster.kubectl("-n", ns, "get", "events", "--field-selector",
                          f"involvedObject.name={name},reason=ClassNotFound", "-o", "json")
    return json.loads(out.stdout)["items"]


def reconciles(operator):
    """Reconciles of AiGateway keys the operator has finished, any result."""
    text = operator.metrics()
    return sum(float(v) for v in re.findall(
        r'^controller_runtime_reconcile_total\{controller="aigateway",result="[a-z_]+"\} (\S+)$', text, re.M))


def test_class_not_found_event_once_per_generation(cluster, operator, ns):
    gw = json.loads(ai_gateway(ns, name="stray"))
    gw["spec"]["aiGatewayClassName"] = "no-such-class"
    cluster.apply(json.dumps(gw))
    cluster.wait_for("the ClassNotFound Event", lambda: class_events(cluster, ns, "stray"), timeout=60)

    # Labels do not change the generation; each change is reconciled.
    for i in range(5):
        before = reconciles(operator)
        cluster.kubectl("-n", ns, "label", "aigateway", "stray", f"touch={i}", "--overwrite")
        cluster.wait_for(f"the reconcile after label change {i}", lambda: reconciles(operator) > before, timeout=60)
    obj = cluster.get_json("aigateway", "stray", ns)
    assert obj["metadata"]["generation"] == 1
    events = class_events(cluster, ns, "stray")
    assert len(events) == 1, [e["message"] for e in events]
    assert events[0].get("count", 1) == 1
    assert 'AiGatewayClass "no-such-class" does not exist' in events[0]["message"]

    # A new generation naming another missing class: reported once more.
    cluster.kubectl("-n", ns, "patch", "aigateway", "stray", "--type=merge",
                    "-p", json.dumps({"spec": {"aiGatewayClassName": "still-missing"}}))
    cluster.wait_for("the second ClassNotFound Event", lambda: len(class_events(cluster, ns, "stray")) == 2,
                     timeout=60)
    before = reconciles(operator)
    cluster.kubectl("-n", ns, "label", "aigateway", "stray", "touch=again", "--overwrite")
    cluster.wait_for("the reconcile after the last label change", lambda: reconciles(operator) > before, timeout=60)
    messages = sorted(e["message"] for e in class_events(cluster, ns, "stray"))
    assert len(messages) == 2, messages
    assert 'AiGatewayClass "still-missing" does not exist' in messages[1]
