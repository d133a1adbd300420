# Multi-stage build of the same CMake target as `make build`. The image is
# ghcr.io/agentic-layer/litellm-gateway-operator:<VERSION>, VERSION being the
# project VERSION in CMakeLists.txt, which is also the tag deploy/ installs:
#   docker build --build-arg VERSION=0.1.0 -t ghcr.io/agentic-layer/litellm-gateway-operator:0.1.0 .
# Base images are pinned to an exact Debian point release; to pin by digest
# as well, append @sha256:... to both FROM lines.
ARG DEBIAN_IMAGE=debian:12.12-slim

FROM ${DEBIAN_IMAGE} AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
      build-essential dpkg-dev cmake pkg-config ca-certificates \
      libgnutls28-dev libssl-dev libjson-c-dev libyaml-dev \
      libcurl4-openssl-dev libcmocka-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# libmicrohttpd 1.0.1 from the Debian source package, built as the test
# harness builds it and linked statically (the runtime stage needs no
# libmicrohttpd); it refuses bare LF line ends and obs-fold.
ENV LGO_CACHE_DIR=/opt/lgo-cache
COPY test/harness/common.sh test/harness/build-libmicrohttpd.sh test/harness/
RUN test/harness/build-libmicrohttpd.sh
COPY CMakeLists.txt LITELLM_VERSION ./
COPY cmd cmd
COPY common common
COPY webhook webhook
COPY controller controller
COPY test test
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release \
 && cmake --build build -j"$(nproc)" --target litellm-gateway-operator \
 && strip build/litellm-gateway-operator

FROM ${DEBIAN_IMAGE}
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="litellm-gateway-operator" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="https://github.com/agentic-layer/litellm-gateway-operator"
RUN apt-get update && apt-get install -y --no-install-recommends \
      ca-certificates libgnutls30 libssl3 libjson-c5 libyaml-0-2 libcurl4 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/litellm-gateway-operator /usr/local/bin/litellm-gateway-operator
USER 65532:65532
EXPOSE 9443 8080
ENTRYPOINT ["/usr/local/bin/litellm-gateway-operator"]
CMD ["serve", "--cert-dir=/certs", "--leader-elect"]
