#!/usr/bin/env bash
# Makes a local CA and a webhook serving certificate signed by it, for an
# operator running outside the cluster (tests, `make demo`):
#
#   certs/gen-webhook-certs.sh OUTDIR [SAN...]
#
# OUTDIR gets ca.crt, ca.key (the CA), tls.crt and tls.key (the serving
# pair, in the layout of a cert-manager Secret, which is what
# `serve --cert-dir` reads). The certificate always names 127.0.0.1, ::1 and
# localhost; each SAN argument adds one more: an IP address, a DNS name, or
# an explicit "IP:..." / "DNS:...". In the cluster cert-manager issues the
# certificate instead (certs/cert-manager.yaml).
#
# Environment: KEY_TYPE=ec (default, P-256) or rsa (3072 bits); DAYS=30;
# CN=litellm-gateway-operator-webhook. A fresh CA is made on every run, so
# running it again is a full rotation (new CA and new serving pair).
set -euo pipefail
if [ $# -lt 1 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
  [ $# -ge 1 ] && exit 0 || exit 2
fi
out=$1; shift
key_type=${KEY_TYPE:-ec}
days=${DAYS:-30}
cn=${CN:-litellm-gateway-operator-webhook}
command -v openssl >/dev/null || { echo "gen-webhook-certs: openssl is required" >&2; exit 1; }

sans="IP:127.0.0.1,IP:::1,DNS:localhost"
for s in "$@"; do
  case "$s" in
    IP:*|DNS:*) sans+=",$s" ;;
    *[!0-9.]*)
      if [[ "$s" == *:* ]]; then sans+=",IP:$s"; else sans+=",DNS:$s"; fi ;;
    *) sans+=",IP:$s" ;;
  esac
done

genkey() {
  case "$key_type" in
    ec) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null ;;
    rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$1" 2>/dev/null ;;
    *) echo "gen-webhook-certs: KEY_TYPE must be ec or rsa" >&2; exit 2 ;;
  esac
}

mkdir -p "$out"
tmp=$(mktemp -d "$out/.gen.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
umask 077

genkey "$tmp/ca.key"
openssl req -x509 -new -key "$tmp/ca.key" -sha256 -days "$((days + 1))" \
  -subj "/CN=litellm-gateway-operator local CA $(date -u +%Y%m%dT%H%M%S)-$RANDOM" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out "$tmp/ca.crt" 2>/dev/null

genkey "$tmp/tls.key"
openssl req -new -key "$tmp/tls.key" -subj "/CN=$cn" -out "$tmp/tls.csr" 2>/dev/null
cat > "$tmp/ext.cnf" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$sans
EXT
openssl x509 -req -in "$tmp/tls.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" -CAcreateserial \
  -sha256 -days "$days" -extfile "$tmp/ext.cnf" -out "$tmp/tls.crt" 2>/dev/null
chmod 644 "$tmp/ca.crt" "$tmp/tls.crt"

# Each file is replaced by a rename, so a server watching OUTDIR never reads
# a half-written file; the key goes last, and the server checks that the
# key belongs to the certificate before it switches.
for f in ca.key ca.crt tls.crt tls.key; do
  mv -f "$tmp/$f" "$out/$f"
done
echo "gen-webhook-certs: wrote $out/{ca.crt,tls.crt,tls.key} (SANs $sans)" >&2
