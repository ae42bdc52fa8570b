#!/usr/bin/env bash
# Builds every fuzz/fuzz_*.cpp harness with clang's libFuzzer + ASan + UBSan against the library sources and
# runs each for SECONDS (default 60) with a seed corpus made from valid inputs. Usage: fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
out=build-fuzz
mkdir -p "$out/obj"
flags="-std=c++17 -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fopenmp -Iinclude -I/usr/include/eigen3 -DEIGEN_DONT_PARALLELIZE $(pkg-config --cflags cfitsio)"
objs=()
for src in src/*/*.cpp; do
  obj="$out/obj/$(echo "$src" | tr / _).o"
  [ "$obj" -nt "$src" ] || clang++ $flags -c "$src" -o "$obj" &
  objs+=("$obj")
  while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do sleep 0.2; done
done
wait
for h in fuzz/fuzz_*.cpp; do
  name=$(basename "$h" .cpp)
  clang++ $flags -fsanitize=fuzzer "$h" "${objs[@]}" $(pkg-config --libs cfitsio) -o "$out/$name"
  corpus="$out/corpus_$name"
  mkdir -p "$corpus"
  case "$name" in
    fuzz_ogip) [ -d ../shared/data ] && cp -n ../shared/data/nustar/nuskybgd/*.arf ../shared/data/nicer/*.pha "$corpus/" 2>/dev/null || true ;;
    fuzz_expression) printf 'tbabs*(apec+apec)\napec_2.kT=3\n' > "$corpus/2t"; printf 'tbabs*simplcut(ezdiskbb)\n' > "$corpus/bhb" ;;
    fuzz_safetensors) cp -n tests/fixtures/linear.safetensors tests/fixtures/adam.safetensors "$corpus/" ;;
    fuzz_cli_numbers) printf '1e-3\n' > "$corpus/num" ;;
  esac
  echo "== $name: ${seconds}s"
  "$out/$name" -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 "$corpus" 2>&1 | tail -4
done
