# Entry points. The README's two commands are `make demo` and `make test`.
BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= build-fuzz
FUZZ_SECONDS ?= 60
JOBS       ?= $(shell nproc)
BIN        := $(BUILD)/litellm-gateway-operator

.PHONY: all build build-release build-asan deps test test-unit test-integration test-e2e \
        demo demo-down cluster-up cluster-down golden bench fuzz clean

all: build

deps:
	test/harness/install-deps.sh

build:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build $(BUILD) -j$(JOBS)

build-release:
	cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build build-release -j$(JOBS)

build-asan:
	cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Sanitize >/dev/null
	cmake --build $(BUILD_ASAN) -j$(JOBS)

# Every layer: unit tests in the normal and the sanitizer build, then the
# integration tests (real kube-apiserver, etcd, kubectl) and the end-to-end
# tests (real LiteLLM).
test: deps build build-asan
	ctest --test-dir $(BUILD_ASAN) -L unit --output-on-failure
	ctest --test-dir $(BUILD) --output-on-failure

test-unit: build build-asan
	ctest --test-dir $(BUILD) -L unit --output-on-failure
	ctest --test-dir $(BUILD_ASAN) -L unit --output-on-failure

test-integration: build
	ctest --test-dir $(BUILD) -L integration --output-on-failure

test-e2e: build
	ctest --test-dir $(BUILD) -L e2e --output-on-failure

demo: deps build
	test/harness/demo.sh up

demo-down:
	test/harness/demo.sh down

cluster-up:
	test/harness/cluster-up.sh

cluster-down:
	test/harness/cluster-down.sh

# Regenerates the golden files from the samples (review the diff!).
golden: build
	test/golden/check.sh --update $(BIN)

# Webhook then controller; results under bench/results/.
bench: build-release
	bench/run.sh
	bench/convert/run.sh
	bench/controller/run.sh

# Every libFuzzer harness (test/fuzz/), FUZZ_SECONDS each, built with clang
# in $(BUILD_FUZZ); crashes land in $(BUILD_FUZZ)/fuzz/artifacts/.
fuzz:
	test/fuzz/run.sh --build-dir $(BUILD_FUZZ) --seconds $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ) build-release
