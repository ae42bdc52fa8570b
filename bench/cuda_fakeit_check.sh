#!/usr/bin/env bash
# GPU check of the CUDA fakeit (tests + throughput), sized for a short device session: builds only the test
# and benchmark binaries for sm_90 (H100/H200), runs the fakeit tests, then the benchmark; PEER=1 adds PyTorch.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-gpu}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DSPECNET_CUDA=ON -DSPECNET_BUILD_BENCHMARKS=ON \
      -DSPECNET_BUILD_EXAMPLES=OFF -DSPECNET_NATIVE=OFF -DCMAKE_CUDA_ARCHITECTURES=90 > "$BUILD.cmake.log"
cmake --build "$BUILD" -j"$(nproc)" --target specnet_tests specnet_bench > "$BUILD.build.log" 2>&1 ||
  { tail -40 "$BUILD.build.log"; exit 1; }
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
"$BUILD"/tests/specnet_tests -tc='*cuda fakeit*' 2>&1 | grep -v '^$' | tail -40
"$BUILD"/bench/specnet_bench --benchmark_filter=cuda_fakeit
if [ "${PEER:-0}" = 1 ]; then
  python3 bench/peer/fakeit_torch.py --fold csr --dtype float64 --batch 65536 || true
  python3 bench/peer/fakeit_torch.py --fold dense --dtype float32 --batch 65536 || true
fi
