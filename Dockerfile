# Multi-stage build of the same CMake target the README builds.
FROM debian:bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config ca-certificates \
      libmicrohttpd-dev libgnutls28-dev libssl-dev libjson-c-dev libyaml-dev \
      libcurl4-openssl-dev libcmocka-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt LITELLM_VERSION ./
COPY cmd cmd
COPY common common
COPY webhook webhook
COPY controller controller
COPY test test
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release \
 && cmake --build build -j"$(nproc)" --target litellm-gateway-operator \
 && strip build/litellm-gateway-operator

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      ca-certificates libmicrohttpd12 libgnutls30 libssl3 libjson-c5 libyaml-0-2 libcurl4 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/litellm-gateway-operator /usr/local/bin/litellm-gateway-operator
USER 65532:65532
EXPOSE 9443 8080
ENTRYPOINT ["/usr/local/bin/litellm-gateway-operator"]
CMD ["serve", "--cert-dir=/tmp/k8s-webhook-server/serving-certs", "--leader-elect"]
