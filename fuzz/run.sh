#!/usr/bin/env bash
# Builds every fuzz/fuzz_*.cpp harness with clang's libFuzzer + ASan + UBSan against the library sources,
# generates seed corpora (fuzz/make_seeds.cpp: small valid files from specnet's writers, plus the real
# NuSTAR/NICER files of ../shared when present) and runs each harness for SECONDS (default 60) under nice.
# Usage: fuzz/run.sh [SECONDS] [HARNESS...]   Results: build-fuzz/results.tsv (harness, seconds, executions,
# crash files); crashing inputs land in build-fuzz/artifacts/. Exit status 1 when any harness crashed.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
out=build-fuzz
mkdir -p "$out/obj" "$out/artifacts"
flags="-std=c++17 -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fopenmp \
  -Iinclude -Ifuzz -I/usr/include/eigen3 -DEIGEN_DONT_PARALLELIZE $(pkg-config --cflags cfitsio)"
libs="$(pkg-config --libs cfitsio)"
objs=()
for src in src/*/*.cpp; do
  obj="$out/obj/$(echo "$src" | tr / _).o"
  # Rebuilt when the source or any header changed (headers are few; a coarse but safe rule).
  if [ ! "$obj" -nt "$src" ] || [ -n "$(find include src -name '*.h' -newer "$obj" -print -quit)" ]; then
    nice clang++ $flags -c "$src" -o "$obj" &
  fi
  objs+=("$obj")
  while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do sleep 0.2; done
done
wait

harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=($(ls fuzz/fuzz_*.cpp | xargs -n1 basename | sed 's/\.cpp$//'))
clang++ ${flags/fuzzer-no-link,/} fuzz/make_seeds.cpp "${objs[@]}" $libs -o "$out/make_seeds"
"$out/make_seeds" "$out"
if [ -d ../shared/data ]; then  # real files as extra seeds
  cp -n ../shared/data/nicer/*.pha ../shared/data/nustar/*_sr.pha "$out/corpus_fuzz_pha/"
  cp -n ../shared/data/nustar/*_sr.arf ../shared/data/nicer/*.arf "$out/corpus_fuzz_arf/"
  cp -n ../shared/data/nustar/nuskybgd/diag.rmf "$out/corpus_fuzz_rmf/"
fi
mkdir -p "$out/corpus_fuzz_expression"
printf 'tbabs*(apec+apec)\napec_2.kT=3\n' > "$out/corpus_fuzz_expression/2t"
printf 'tbabs*simplcut(ezdiskbb)\n' > "$out/corpus_fuzz_expression/bhb"
printf 'constant*tbabs*(bremss+gaussian+bknpower)\n3=0.5\ngaussian_3.LineE=6.4\n' > "$out/corpus_fuzz_expression/lines"

status=0
[ -f "$out/results.tsv" ] || printf 'date\tharness\tseconds\texecutions\tcorpus\tcrashes\n' > "$out/results.tsv"
for name in "${harnesses[@]}"; do
  nice clang++ $flags -fsanitize=fuzzer "fuzz/$name.cpp" "${objs[@]}" $libs -o "$out/$name"
  corpus="$out/corpus_$name"
  mkdir -p "$corpus"
  echo "== $name: ${seconds}s"
  log="$out/$name.log"
  set +e
  nice "$out/$name" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=262144 -print_final_stats=1 \
    -artifact_prefix="$out/artifacts/$name-" "$corpus" > "$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  crashes=$(ls "$out/artifacts" | grep -c "^$name-" || true)
  tail -3 "$log"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%F)" "$name" "$seconds" "$execs" "$(ls "$corpus" | wc -l)" \
    "$crashes" >> "$out/results.tsv"
  [ $rc -eq 0 ] || { echo "!! $name exited with $rc (see $log)"; status=1; }
done
exit $status
