#!/usr/bin/env bash
# Tests of funclen.sh on small trees made here: short functions pass; a
# long one fails naming it; braces in strings, comments and initializers
# do not confuse the count; a listed long function that got short fails
# until it is taken off the list.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
check=check_known
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$here/expect.sh"

make_tree() {
    local t=$1
    rm -rf "$t"
    mkdir -p "$t/common" "$t/webhook"
    printf 'int a(void)\n{\n    return 0;\n}\n' >"$t/common/a.c"
    printf 'int review_request(void)\n{\n    return 0;\n}\n' >"$t/webhook/admission.c"
    printf 'int convert_all(void)\n{\n    return 0;\n}\n' >"$t/webhook/conversion.c"
}

# The known long functions of these trees.
printf '# comment\nwebhook/admission.c:review_request\nwebhook/conversion.c:convert_all  # trailing\n' >"$tmp/known"
check_known() { "$here/funclen.sh" --known "$tmp/known" "$@"; }

# A function of n lines in all: signature, braces and n-3 statements.
long_function() { # long_function <name> <lines>
    printf 'static int %s(int x)\n{\n' "$1"
    for ((i = 0; i < $2 - 3; i++)); do printf '    x += %d;\n' "$i"; done
    printf '}\n'
}

t=$tmp/tree
make_tree "$t"
long_function review_request 61 >"$t/webhook/admission.c"
long_function convert_all 61 >"$t/webhook/conversion.c"
expect "short functions pass" 0 "none over 60 lines but 2 known" "$t"

long_function at_limit 60 >>"$t/common/a.c"
expect "60 lines is within the limit" 0 "none over 60" "$t"

long_function too_long 61 >>"$t/common/a.c"
expect "61 lines fails, naming the function" 1 "common/a.c:[0-9]+ too_long \(61 lines\)" "$t"

make_tree "$t"
long_function review_request 61 >"$t/webhook/admission.c"
expect "a listed function that is short now must come off the list" 1 \
    "webhook/conversion.c:convert_all is no longer over 60 lines" "$t"

make_tree "$t"
long_function review_request 61 >"$t/webhook/admission.c"
long_function convert_all 61 >"$t/webhook/conversion.c"
{
    printf 'static const char *s = "{ { {";\n/* } } } */\n'
    printf 'static const int table[] = { 1, 2, 3 };\n'
    printf 'struct p { int a; };\n'
    printf "static char brace(void)\n{\n    return '{';\n}\n"
} >>"$t/common/a.c"
expect "braces in strings, comments, initializers and structs are not functions" 0 "none over 60" "$t"

finish funclen
