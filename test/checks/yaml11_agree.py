#!/usr/bin/env python3
"""Our YAML loader and writer against PyYAML, the reader LiteLLM uses.

For each scalar of a corpus (hand-picked ones and 3,000 generated from the
characters the patterns care about), as a plain value, a plain key, a quoted value
and a quoted key: PyYAML's safe_load of the text must equal PyYAML's
safe_load of what our loader and writer make of it (types included), or,
where our loader refuses the text, PyYAML must read something JSON cannot
hold (a date, a key that is not a string, an integer beyond 64 bits) or
fail itself.

usage: yaml11_agree.py PATH/TO/yaml_roundtrip
"""
import datetime
import math
import random
import subprocess
import sys

import yaml

CORPUS = [
    # booleans (YAML 1.1 as PyYAML has it: no y/n)
    "on", "On", "ON", "off", "Off", "OFF", "yes", "Yes", "YES", "no", "No", "NO",
    "true", "True", "TRUE", "false", "False", "FALSE", "y", "Y", "n", "N", "tRUE", "oN",
    # null
    "null", "Null", "NULL", "~", "nULL",
    # integers
    "0", "-0", "+0", "7", "-7", "+7", "00", "07", "010", "08", "09", "0o17", "0O17", "0x1F", "0x1f",
    "0X1F", "-0x1f", "0x_1f", "0b11", "-0b11", "0b102", "0B11", "1_000", "1__0", "1_", "10_000_000",
    "0_7", "0b_", "0x_", "-0x__", "1:30", "1:30:15", "-1:30", "1:60", "1:5", "1:05", "0:30", "9223372036854775807",
    "-9223372036854775808", "9223372036854775808", "-9223372036854775809",
    "99999999999999999999", "0x7fffffffffffffff",
    # floats
    "1.5", "-1.5", "+1.5", "1.", "-1.", ".5", "-.5", "+.5", "1e3", "1E3", "1e+3", "1.0e3", "1.0e+3",
    "1.0E-3", "1.e+3", "6.02e+23", "1_0.5", "1_000.000_1", "._5", ".", "..", "1.2.3", ".inf", "-.inf",
    "+.inf", ".Inf", ".INF", ".iNF", "inf", ".nan", ".NaN", ".NAN", "-.nan", "nan", "190:20:30.15",
    "1:30.5", "-1:30.5", "3.14159265358979", "0.1", "0.30000000000000004", "1e-7", "1.0e-7",
    "123456789.123456789", "-0.0", "0.0",
    # timestamps
    "2024-01-31", "2024-1-31", "2024-01-31T10:00:00Z", "2024-01-31t10:00:00.5+02:00",
    "2024-01-31 10:00:00", "2024-1-3T1:02:03", "2024-01-31T10:00", "20240131", "2024-13-45",
    # special keys and values
    "=", "<<", "-", "--", "a=b",
    # plain strings
    "text", "hello-world", "os.environ/OPENAI_API_KEY", "gpt-4o", "1a", "a1", "0xZZ", "+", "+-1",
    "1-2", "1:2:3:4", "12:61", "v1.2", "1.2.3.4", "_1", "1 2", "yes please", "null-ish",
]


def generated(n, seed=20261201):
    """Scalars made of the characters the patterns care about, from a fixed
    seed so every run checks the same ones."""
    rng = random.Random(seed)
    alphabet = "0123456789_.:+-eExXbBoinfaNT tZ~"
    out = set()
    while len(out) < n:
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 9))).strip()
        if s:
            out.add(s)
    return sorted(out)


def quoted(s):
    return "'" + s.replace("'", "''") + "'"


def documents(s):
    return [("plain value", "v: %s\n" % s), ("plain key", "%s: v\n" % s),
            ("quoted value", "v: %s\n" % quoted(s)), ("quoted key", "%s: v\n" % quoted(s))]


def same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def unrepresentable(v):
    """What JSON (and so our loader) cannot hold the way PyYAML holds it."""
    if isinstance(v, (datetime.date, datetime.datetime)):
        return True
    if isinstance(v, bool) or v is None or isinstance(v, (str, float)):
        return False
    if isinstance(v, int):
        return not -2**63 <= v < 2**63
    if isinstance(v, dict):
        return any(not isinstance(k, str) or unrepresentable(x) for k, x in v.items())
    if isinstance(v, list):
        return any(unrepresentable(x) for x in v)
    return True


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    corpus = CORPUS + [s for s in generated(3000) if s not in CORPUS]
    cases = [(s, form, doc) for s in corpus for form, doc in documents(s)]
    run = subprocess.run([sys.argv[1]], input="\x1e".join(d for _, _, d in cases).encode(),
                         stdout=subprocess.PIPE, check=True)
    records = run.stdout.decode().split("\x1e")
    assert len(records) == len(cases), (len(records), len(cases))
    failures = 0
    for (s, form, doc), rec in zip(cases, records):
        status, _, body = rec.partition("\n")
        try:
            want, py_error = yaml.safe_load(doc), None
        except Exception as e:  # noqa: BLE001 - any failure of PyYAML counts
            want, py_error = None, e
        if status == "error":
            if py_error is None and not unrepresentable(want):
                print("FAIL %-14s %-24r refused (%s) but PyYAML reads %r" % (form, s, body, want))
                failures += 1
            continue
        if py_error is not None:
            print("FAIL %-14s %-24r accepted but PyYAML fails: %s" % (form, s, py_error))
            failures += 1
            continue
        got = yaml.safe_load(body)
        if not same(got, want):
            print("FAIL %-14s %-24r PyYAML reads %r, after our loader and writer %r (we wrote %r)"
                  % (form, s, want, got, body))
            failures += 1
    print("%d cases, %d disagreements" % (len(cases), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
