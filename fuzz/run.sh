#!/usr/bin/env bash
# Builds every fuzz/fuzz_*.cpp harness with clang's libFuzzer + ASan + UBSan against the library sources,
# generates seed corpora (fuzz/make_seeds.cpp: small valid files from specnet's own writers, plus the real
# NuSTAR/NICER files of ../shared when present) and runs each harness for SECONDS (default 60) under nice.
# Usage: fuzz/run.sh [SECONDS] [HARNESS...] (SECONDS 0: build and seed only). Results: build-fuzz/results.tsv
# (harness, seconds, executions, corpus, crash files); crashing inputs land in build-fuzz/artifacts/.
# Exit status 1 when any harness crashed.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
out=build-fuzz
mkdir -p "$out/obj" "$out/artifacts"
flags="-std=c++17 -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fopenmp \
  -Iinclude -Ifuzz -I/usr/include/eigen3 -DEIGEN_DONT_PARALLELIZE $(pkg-config --cflags cfitsio)"
libs="$(pkg-config --libs cfitsio)"
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=($(ls fuzz/fuzz_*.cpp | xargs -n1 basename | sed 's/\.cpp$//'))

# The readers (io) and models (sim, self-registering, so linked as objects) first, the rest as an archive from
# which the linker takes only what is referenced; compiling stops as soon as every harness links.
registering=()
declare -A linked_now
link_all() {
  rm -f "$out/libspecnet_fuzz.a"
  ar rcs "$out/libspecnet_fuzz.a" "$out"/obj/*.o
  registering=("$out"/obj/src_io_*.o "$out"/obj/src_sim_*.o)
  local ok=1
  for name in "${harnesses[@]}" make_seeds; do
    local bin="$out/$name" src="fuzz/$name.cpp" sflags=$flags
    [ "$name" != make_seeds ] && sflags="$flags -fsanitize=fuzzer" || sflags="${flags/fuzzer-no-link,/}"
    [ -n "${linked_now[$name]:-}" ] && continue  # linked earlier in this run
    if nice clang++ $sflags "$src" "${registering[@]}" "$out/libspecnet_fuzz.a" $libs -o "$bin" 2> "$out/link.log"; then
      linked_now[$name]=1
    else
      ok=0
      echo "(not linked yet: $name)"
    fi
  done
  [ $ok = 1 ]
}
fresh() {  # object newer than its source and than every header in its dependency file (clang -MMD)
  [ "$1" -nt "$2" ] || return 1
  [ -f "$1.d" ] || return 0
  local dep
  for dep in $(sed -e 's/^[^:]*://' -e 's/\\$//' "$1.d"); do [ "$1" -nt "$dep" ] || return 1; done
}
sources=()
for d in io sim core optim nn ops cpu fit app; do sources+=($(ls src/$d/*.cpp 2>/dev/null || true)); done
obj_of() { echo "$out/obj/$(echo "$1" | tr / _).o"; }
compile() {
  nice clang++ $flags -MMD -MF "$(obj_of "$1").d" -c "$1" -o "$(obj_of "$1")" &
  while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do sleep 0.2; done
}
# 1. Objects from an earlier run that are out of date; 2. link if that is all the harnesses need; 3. otherwise
# compile missing objects in the order above, trying to link after every 8.
for src in "${sources[@]}"; do
  [ -f "$(obj_of "$src")" ] && ! fresh "$(obj_of "$src")" "$src" && compile "$src"
done
wait
linked=0
[ -n "$(ls "$out"/obj/*.o 2>/dev/null)" ] && link_all && linked=1
pending=0
for src in "${sources[@]}"; do
  [ $linked = 0 ] || break
  [ -f "$(obj_of "$src")" ] && continue
  compile "$src"
  pending=$((pending + 1))
  case "$src" in src/io/* | src/sim/*) continue ;; esac  # nothing links before io and sim are complete
  if [ $pending -ge 8 ]; then
    wait
    pending=0
    link_all && linked=1
  fi
done
wait
[ $linked = 1 ] || link_all || { echo "fuzz/run.sh: linking failed:"; tail -20 "$out/link.log"; exit 2; }

"$out/make_seeds" "$out"
if [ -d ../shared/data ]; then  # real files as extra seeds
  cp -n ../shared/data/nicer/*.pha ../shared/data/nustar/*_sr.pha "$out/corpus_fuzz_pha/"
  cp -n ../shared/data/nustar/*_sr.arf ../shared/data/nicer/*.arf "$out/corpus_fuzz_arf/"
  cp -n ../shared/data/nustar/nuskybgd/diag.rmf "$out/corpus_fuzz_rmf/"
fi
[ "$seconds" != 0 ] || exit 0

status=0
[ -f "$out/results.tsv" ] || printf 'date\tharness\tseconds\texecutions\tcorpus\tcrashes\n' > "$out/results.tsv"
for name in "${harnesses[@]}"; do
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
