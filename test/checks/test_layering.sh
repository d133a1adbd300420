#!/usr/bin/env bash
# Tests of layering.sh on small trees made here: a clean tree passes, and
# each kind of problem it exists to catch makes it fail with a line naming
# the problem.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
check=$here/layering.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$here/expect.sh"

# A small product: core a <- b, a runtime file using the core, a command.
make_tree() {
    local t=$1
    rm -rf "$t"
    mkdir -p "$t/common/kube" "$t/controller" "$t/webhook" "$t/cmd"
    printf '#include <stddef.h>\nint a(void);\n' >"$t/common/a.h"
    printf '#include "a.h"\n#include <string.h>\nint a(void) { return 0; }\n' >"$t/common/a.c"
    printf '#include "a.h"\nint b(void);\n' >"$t/common/b.h"
    printf '#include "b.h"\nint b(void) { return a(); }\n' >"$t/common/b.c"
    printf '#include <curl/curl.h>\n#include <pthread.h>\n#include "b.h"\nint k(void);\n' >"$t/common/kube/k.h"
    printf '#include "k.h"\nint k(void) { return b(); }\n' >"$t/common/kube/k.c"
    printf '#include "k.h"\nint main(void) { return k(); }\n' >"$t/cmd/main.c"
}

t=$tmp/tree
make_tree "$t"
expect "clean tree passes" 0 "no cycle" "$t"

make_tree "$t"
printf '#include "b.h"\n' >>"$t/common/a.c"
expect "cycle between two core modules (a.c -> b.h, b.h -> a.h)" 1 \
    "include cycle: common/(a -> common/b -> common/a|b -> common/a -> common/b)" "$t"

make_tree "$t"
printf '#include "main.h"\n' >>"$t/common/kube/k.c"
printf '#include "k.h"\n' >"$t/cmd/main.h"
expect "cycle across folders (kube -> cmd -> kube)" 1 "include cycle: .*common/kube/k.*cmd/main" "$t"

make_tree "$t"
printf '#include "c.h"\n' >"$t/common/c.h"
expect "a header including itself is no cycle of modules" 0 "no cycle" "$t"

make_tree "$t"
printf '#include "a.h"\n' >"$t/common/c.h"
printf '#include "d.h"\n' >>"$t/common/c.h"
printf '#include "e.h"\n' >"$t/common/d.h"
printf '#include "c.h"\n' >"$t/common/e.h"
expect "three-module cycle" 1 "include cycle: common/c -> common/d -> common/e -> common/c" "$t"

for hdr in curl/curl.h microhttpd.h gnutls/gnutls.h sys/socket.h pthread.h unistd.h fcntl.h time.h; do
    make_tree "$t"
    printf '#include <%s>\n' "$hdr" >>"$t/common/b.c"
    expect "core including <$hdr>" 1 "common/b.c:3: the core includes <$hdr>" "$t"
done

make_tree "$t"
printf '#include "k.h"\n' >>"$t/common/b.c"
expect "core including a header of common/kube" 1 'common/b.c:3: the core includes "k.h" from common/kube/' "$t"

make_tree "$t"
printf 'int w(void);\n' >"$t/webhook/w.h"
printf '#include "w.h"\n' >>"$t/common/a.h"
expect "core header including a webhook header" 1 'common/a.h:3: the core includes "w.h" from webhook/' "$t"

make_tree "$t"
printf '#include <time.h>\n#include <unistd.h>\n' >>"$t/common/kube/k.c"
expect "runtime library may use clocks and files" 0 "no cycle" "$t"

expect "a folder without common/ is a usage error" 2 "has no common/" "$tmp/nothing"

finish layering
