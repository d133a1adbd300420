#!/usr/bin/env bash
# Function length check of the product's C sources (cmd, common,
# common/kube, controller, webhook): "a function fits on a screen", and a
# screen is 60 lines, from the line naming the function to its closing
# brace.
#
#   test/checks/funclen.sh [--top N] [--known FILE] [ROOT]
#
# ROOT defaults to the repository; FILE to funclen-known.txt beside this
# script: the functions known to be longer, one "file:function" a line
# (# starts a comment), to be split when their files are next worked on.
# Prints each function over the limit as "file:line name (N lines)" and
# fails (exit 1) when one is not on the known list, or when one on that
# list is no longer over the limit (take it off: the list only shrinks).
# --top N also prints the N longest functions and the median. Exit 2 on
# usage errors.
set -euo pipefail
top=0
known=$(cd "$(dirname "$0")" && pwd)/funclen-known.txt
while [[ ${1:-} == --* ]]; do
    case $1 in
    --top) top=${2:?--top needs a number}; shift 2 ;;
    --known) known=${2:?--known needs a file}; shift 2 ;;
    *) echo "funclen: unknown option $1" >&2; exit 2 ;;
    esac
done
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
if [[ ! -d $root/common ]]; then
    echo "funclen: $root has no common/ folder" >&2
    exit 2
fi
exec python3 - "$root" "$top" "$known" <<'PY'
import os, re, statistics, sys

root, top, known_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
LIMIT = 60
DIRS = ["cmd", "common", "common/kube", "controller", "webhook"]
KNOWN = set()
if os.path.exists(known_file):
    for line in open(known_file, encoding="utf-8"):
        line = line.split("#", 1)[0].strip()
        if line:
            KNOWN.add(line)

def blank(src):
    """The source with comments, strings, character constants and
    preprocessor lines blanked (newlines kept), so braces count true."""
    out, i, n = [], 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("/*", i):
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
        elif src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
        elif c in "\"'":
            j = i + 1
            while j < n and src[j] != c and src[j] != "\n":
                j += 2 if src[j] == "\\" else 1
            j += 1
        elif c == "#" and (i == 0 or src[i - 1] == "\n"):
            j = i
            while True:
                k = src.find("\n", j)
                if k < 0:
                    k = n
                    break
                if src[k - 1] == "\\":
                    j = k + 1
                    continue
                break
            j = k
        else:
            out.append(c)
            i += 1
            continue
        out.append(re.sub(r"[^\n]", " ", src[i:j]))
        i = j
    return "".join(out)

SIG = re.compile(r"([A-Za-z_]\w*)\s*\([^;{}]*\)\s*(?:__attribute__\s*\(\(.*?\)\)\s*)?$", re.S)

def functions(path):
    s = blank(open(path, encoding="utf-8", errors="replace").read())
    depth, head, name, first = 0, 0, None, 0
    for i, c in enumerate(s):
        if c == "{":
            if depth == 0:
                text = s[head:i]
                m = SIG.search(text)
                # An initializer (= {...}) or a struct/enum body is no function.
                name = m.group(1) if m and "=" not in text[:m.start()] else None
                if name:
                    first = s.count("\n", 0, head + m.start(1)) + 1
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                if name:
                    yield name, first, s.count("\n", 0, i) + 1 - first + 1
                name, head = None, i + 1
        elif c == ";" and depth == 0:
            head = i + 1

found = []
for d in DIRS:
    p = os.path.join(root, d)
    if not os.path.isdir(p):
        continue
    for f in sorted(os.listdir(p)):
        if f.endswith(".c"):
            rel = f"{d}/{f}"
            found += [(n, rel, line, name) for name, line, n in functions(os.path.join(root, rel))]

problems = 0
long_ones = {f"{rel}:{name}" for n, rel, line, name in found if n > LIMIT}
for n, rel, line, name in sorted(found, reverse=True):
    if n <= LIMIT:
        break
    known = f"{rel}:{name}" in KNOWN
    print(f"funclen: {rel}:{line} {name} ({n} lines){' (known)' if known else ''}")
    problems += not known
for k in sorted(KNOWN - long_ones):
    print(f"funclen: {k} is no longer over {LIMIT} lines: take it off the list of known long functions")
    problems += 1
if top:
    for n, rel, line, name in sorted(found, reverse=True)[:top]:
        print(f"{n:5d} {rel}:{line} {name}")
    print(f"funclen: {len(found)} functions, median {statistics.median(n for n, *_ in found):g} lines")
if problems:
    print(f"funclen: {problems} problem(s); the limit is {LIMIT} lines")
    sys.exit(1)
print(f"funclen: {len(found)} functions, none over {LIMIT} lines but {len(long_ones)} known")
PY
