# Thin front door: installs missing Debian packages, configures CMake into build/ and runs.
#   make demo   - run the main job on the embedded defaults (no files needed)
#   make test   - build and run the whole test suite (ctest), then `make test-sanitize`
#   make test-sanitize - ASan+UBSan build (-O1) of the library and SANITIZE_TESTS only, and run them
#   make bench  - build the Google Benchmark kernels and run them
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
DEB_PACKAGES = cmake g++ make pkg-config libeigen3-dev libcfitsio-dev doctest-dev libbenchmark-dev fitsverify

# Test files built and run under ASan+UBSan (docs/reliability.md says why these): core, autograd, the op
# sweep, every reader and writer of untrusted input, the bad-input matrix, parsers, fakeit, fitting.
SANITIZE_BUILD ?= build-sanitize
SANITIZE_TESTS ?= test_(tensor|autograd|op_sweep|arith|reduce|linear|conv1d|gru|loss|optim|nn_module|checkpoint|safetensors|ogip_bad_input|ogip_roundtrip|ogip_response|bad_input_matrix|parse_number|model_parser|model_registry|sim_fakeit|sim_poisson|fit_statistic|fit_fitter|determinism|loglog_table|record_source)
SANITIZE ?= 1

.PHONY: deps configure build test test-sanitize demo bench clean

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
ifneq ($(SANITIZE),0)
	$(MAKE) test-sanitize
endif

test-sanitize: deps
	cmake -S . -B $(SANITIZE_BUILD) -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG" \
	  -DSPECNET_SANITIZE=ON -DSPECNET_BUILD_EXAMPLES=OFF -DSPECNET_CUDA=OFF \
	  -DSPECNET_TEST_FILES="$(SANITIZE_TESTS)" $(CMAKE_FLAGS)
	cmake --build $(SANITIZE_BUILD) -j$(JOBS) --target specnet_tests specnet_fuzz_replay
	cd $(SANITIZE_BUILD) && ctest --output-on-failure -j$(JOBS)

demo: build
	./$(BUILD)/examples/specnet demo

bench: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DSPECNET_BUILD_BENCHMARKS=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j$(JOBS)
	./$(BUILD)/bench/specnet_bench

clean:
	rm -rf $(BUILD) $(SANITIZE_BUILD)
