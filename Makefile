# Thin front door: installs missing Debian packages, configures CMake into build/ and runs.
#   make demo   - run the main job on the embedded defaults (no files needed)
#   make test   - build and run the whole test suite (ctest)
#   make bench  - build the Google Benchmark kernels and run them
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
DEB_PACKAGES = cmake g++ make pkg-config libeigen3-dev libcfitsio-dev doctest-dev libbenchmark-dev fitsverify

.PHONY: deps configure build test demo bench clean

deps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $$missing; \
	fi

configure: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: configure
	cmake --build $(BUILD) -j$(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

demo: build
	./$(BUILD)/examples/specnet demo

bench: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DSPECNET_BUILD_BENCHMARKS=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j$(JOBS)
	./$(BUILD)/bench/specnet_bench

clean:
	rm -rf $(BUILD)
