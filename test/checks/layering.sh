#!/usr/bin/env bash
# Layering check of the product's C sources.
#
#   test/checks/layering.sh [ROOT]     (ROOT defaults to the repository)
#
# Fails (exit 1) when
#   - a file of the pure core (common/*.c, common/*.h; not common/kube)
#     includes a network, thread, file or clock header of the system, or a
#     header of common/kube, controller/, webhook/ or cmd/;
#   - the include graph of the product (common, common/kube, controller,
#     webhook, cmd) has a cycle between modules. A module is a .c file and
#     its .h (render.c + render.h), so "patch.c includes render.h while
#     render.c includes patch.h" is a cycle even though no header includes
#     itself.
# Prints one line per problem. Exit 2 on usage errors.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
if [[ ! -d $root/common ]]; then
    echo "layering: $root has no common/ folder" >&2
    exit 2
fi
exec python3 - "$root" <<'PY'
import os, re, sys

root = sys.argv[1]
DIRS = ["common", "common/kube", "controller", "webhook", "cmd"]
# Where "x.h" is looked for after the including file's own folder (the
# include path the build gives each library).
SEARCH = ["common", "common/kube", "webhook", "controller", "cmd"]
CORE = "common"
# System headers the pure core must not include: sockets and HTTP/TLS
# stacks, threads, files and descriptors, clocks and signals.
FORBIDDEN = [
    r"curl/.*", r"microhttpd\.h", r"gnutls/.*", r"openssl/ssl\.h", r"openssl/bio\.h",
    r"sys/socket\.h", r"sys/un\.h", r"netinet/.*", r"arpa/.*", r"netdb\.h", r"ifaddrs\.h",
    r"poll\.h", r"sys/poll\.h", r"sys/epoll\.h", r"sys/select\.h", r"pthread\.h", r"threads\.h",
    r"semaphore\.h", r"unistd\.h", r"fcntl\.h", r"sys/stat\.h", r"sys/types\.h", r"dirent\.h",
    r"sys/mman\.h", r"sys/time\.h", r"time\.h", r"signal\.h", r"sys/wait\.h", r"spawn\.h",
    r"dlfcn\.h", r"syslog\.h",
]
forbidden = re.compile("^(?:" + "|".join(FORBIDDEN) + ")$")
inc_re = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')

files = []
for d in DIRS:
    p = os.path.join(root, d)
    if not os.path.isdir(p):
        continue
    for name in sorted(os.listdir(p)):
        if name.endswith((".c", ".h")) and os.path.isfile(os.path.join(p, name)):
            files.append(f"{d}/{name}")
present = set(files)

def resolve(src, header):
    here = os.path.dirname(src)
    for d in [here] + [s for s in SEARCH if s != here]:
        cand = os.path.normpath(f"{d}/{header}")
        if cand in present:
            return cand
    return None

def module(path):
    return os.path.splitext(path)[0]

problems = []
edges = {}
for f in files:
    with open(os.path.join(root, f), encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, 1):
            m = inc_re.match(line)
            if not m:
                continue
            kind, header = m.groups()
            in_core = os.path.dirname(f) == CORE
            target = resolve(f, header) if kind == '"' else None
            if in_core and kind == "<" and forbidden.match(header):
                problems.append(f"{f}:{lineno}: the core includes <{header}> (I/O, threads or clocks belong outside common/)")
            if target is None:
                continue
            if in_core and os.path.dirname(target) != CORE:
                problems.append(f"{f}:{lineno}: the core includes \"{header}\" from {os.path.dirname(target)}/")
            a, b = module(f), module(target)
            if a != b:
                edges.setdefault(a, {}).setdefault(b, f"{f}:{lineno}")

# Cycles: depth-first search, reporting each strongly connected knot once.
WHITE, GREY, BLACK = 0, 1, 2
color = {}
stack = []
seen_cycles = set()
def visit(n):
    color[n] = GREY
    stack.append(n)
    for m in sorted(edges.get(n, {})):
        c = color.get(m, WHITE)
        if c == WHITE:
            visit(m)
        elif c == GREY:
            cyc = stack[stack.index(m):] + [m]
            key = frozenset(cyc)
            if key not in seen_cycles:
                seen_cycles.add(key)
                hops = " -> ".join(cyc)
                where = ", ".join(edges[x][y] for x, y in zip(cyc, cyc[1:]))
                problems.append(f"include cycle: {hops} ({where})")
    stack.pop()
    color[n] = BLACK

sys.setrecursionlimit(10000)
for n in sorted(set(edges) | {t for v in edges.values() for t in v}):
    if color.get(n, WHITE) == WHITE:
        visit(n)

for p in problems:
    print("layering:", p)
if problems:
    print(f"layering: {len(problems)} problem(s)")
    sys.exit(1)
print(f"layering: {len(files)} files, {sum(len(v) for v in edges.values())} module dependencies, no cycle, core free of I/O")
PY
