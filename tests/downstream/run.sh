#!/usr/bin/env bash
# Installs the built specnet into a temporary prefix and builds + runs tests/downstream against it.
set -euo pipefail
src="$1"; bin="$2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$bin" --prefix "$tmp/prefix" >/dev/null
cmake -S "$src/tests/downstream" -B "$tmp/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$tmp/build" -j2 >/dev/null
"$tmp/build/downstream"
