#!/usr/bin/env bash
# Generates the PKI of a local, loopback-only control plane:
#   ca.crt/ca.key            cluster CA (signs everything below)
#   apiserver.crt/.key       kube-apiserver serving cert (127.0.0.1, localhost,
#                            kubernetes.default.svc...)
#   admin.crt/.key           client cert, O=system:masters
#   sa.key/sa.pub            service-account token signing key pair
# Existing files are kept, so a restart keeps the kubeconfig valid.
#   certs/gen-local-certs.sh OUTDIR
set -euo pipefail
out=${1:?usage: gen-local-certs.sh OUTDIR}
mkdir -p "$out"
cd "$out"
umask 077
days=3650
if [ ! -f ca.crt ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days "$days" \
    -subj "/CN=litellm-gateway-operator local cluster CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi
# sign NAME SUBJECT EXT
sign() {
  local name=$1 subj=$2 ext=$3
  [ -f "$name.crt" ] && return 0
  openssl req -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" -subj "$subj" 2>/dev/null
  printf '%s\n' "$ext" > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days "$days" \
    -extfile "$name.ext" -out "$name.crt" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
}
sign apiserver "/CN=kube-apiserver" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
sign admin "/O=system:masters/CN=admin" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
if [ ! -f sa.key ]; then
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
fi
