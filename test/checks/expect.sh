# Sourced by the tests of the checks in this folder (test_*.sh): runs
# "$check" on a tree and compares its exit code and output.
#   expect <name> <want rc> <pattern> <tree>
# Prints "ok   name" or "FAIL name" with the output; counts failures in
# $failures. finish prints the summary and exits 1 when any failed.
failures=0

expect() {
    local name=$1 want=$2 pattern=$3 tree=$4 out rc=0
    out=$("$check" "$tree" 2>&1) || rc=$?
    if [[ $rc -ne $want ]] || ! grep -qE -- "$pattern" <<<"$out"; then
        echo "FAIL $name: exit $rc (want $want), output:"
        sed 's/^/    /' <<<"$out"
        failures=$((failures + 1))
    else
        echo "ok   $name"
    fi
}

finish() { # finish <what>
    if [[ $failures -ne 0 ]]; then
        echo "$failures failure(s)"
        exit 1
    fi
    echo "all $1 checks behave"
}
