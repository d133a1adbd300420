#!/usr/bin/env bash
# Builds libmicrohttpd from the Debian source package of trixie into a cache
# outside the repository, keyed by version, as a static library only. The
# webhook needs MHD_OPTION_CLIENT_DISCIPLINE_LVL (libmicrohttpd >= 0.9.77) to
# refuse bare LF line ends and obs-fold header continuations; bookworm ships
# 0.9.75. CMakeLists.txt links this build when it is present (GW_MHD_PREFIX)
# and the system library otherwise. A warm run only checks the cache.
#
# Source: apt's ordinary client with a temporary deb-src list of its own; the
# machine's apt sources are not touched. The signature chain is apt's
# (InRelease -> Sources -> .dsc checksums).
#
# Prints the install prefix on stdout.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

MHD_VERSION="${MHD_VERSION:-1.0.1}"
MHD_SUITE="${MHD_SUITE:-trixie}"
MHD_MIRROR="${MHD_MIRROR:-http://deb.debian.org/debian}"
PREFIX="$HARNESS_CACHE/libmicrohttpd-$MHD_VERSION"
JOBS="${MHD_JOBS:-2}"

if [[ -f "$PREFIX/lib/libmicrohttpd.a" && -f "$PREFIX/lib/pkgconfig/libmicrohttpd.pc" ]]; then
    log "libmicrohttpd $MHD_VERSION cached in $PREFIX"
    echo "$PREFIX"
    exit 0
fi

for tool in apt-get dpkg-source make cc pkg-config; do
    command -v "$tool" >/dev/null || { log "$tool is missing (run test/harness/install-deps.sh)"; exit 1; }
done
pkg-config --exists gnutls || { log "gnutls development files are missing (libgnutls28-dev)"; exit 1; }

WORK="$HARNESS_CACHE/build/libmicrohttpd-$MHD_VERSION"
rm -rf "$WORK"
mkdir -p "$WORK/apt/lists/partial" "$WORK/apt/cache/archives/partial" "$WORK/src"
echo "deb-src $MHD_MIRROR $MHD_SUITE main" >"$WORK/apt/sources.list"
APT_OPTS=(-o "Dir::Etc::sourcelist=$WORK/apt/sources.list" -o "Dir::Etc::sourceparts=-"
          -o "Dir::State::Lists=$WORK/apt/lists" -o "Dir::Cache=$WORK/apt/cache" -o "Debug::NoLocking=1"
          -o "APT::Sandbox::User=$(id -un)")

log "fetching the $MHD_SUITE source of libmicrohttpd"
apt-get "${APT_OPTS[@]}" -qq update
cd "$WORK/src"
apt-get "${APT_OPTS[@]}" -qq source --download-only libmicrohttpd >/dev/null
orig="libmicrohttpd_$MHD_VERSION.orig.tar.gz"
[[ -f "$orig" ]] || { log "$MHD_SUITE no longer ships libmicrohttpd $MHD_VERSION: $(ls)"; exit 1; }
dpkg-source -q -x ./libmicrohttpd_"$MHD_VERSION"-*.dsc tree >/dev/null

log "building libmicrohttpd $MHD_VERSION into $PREFIX"
cd tree
./configure --prefix="$PREFIX" --enable-static --disable-shared --with-pic \
    --enable-https --with-gnutls --disable-doc --disable-examples --disable-tools \
    --disable-curl >"$WORK/configure.log" 2>&1 \
    || { tail -30 "$WORK/configure.log" >&2; exit 1; }
grep -q '^#define HTTPS_SUPPORT 1' MHD_config.h || { log "configure did not enable HTTPS"; exit 1; }
make -j"$JOBS" -C src/microhttpd >"$WORK/make.log" 2>&1 || { tail -30 "$WORK/make.log" >&2; exit 1; }
stage="$WORK/stage"
for dir in src/microhttpd src/include; do
    make -C "$dir" install DESTDIR="$stage" >>"$WORK/make.log" 2>&1
done
make install-pkgconfigDATA DESTDIR="$stage" >>"$WORK/make.log" 2>&1
rm -f "$stage$PREFIX"/lib/*.la
rm -rf "$PREFIX"
mv "$stage$PREFIX" "$PREFIX"
rm -rf "$WORK"
log "libmicrohttpd $MHD_VERSION built in $PREFIX"
echo "$PREFIX"
