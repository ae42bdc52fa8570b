#!/usr/bin/env bash
# Peer check of specnet's fitter against sherpa (PyPI): writes the built-in NuSTAR response as RMF + ARF, fakes
# powerlaw and powerlaw+gaussian spectra, fits them and the real NuSTAR Vela X-1 spectrum with both, prints a table.
#
# Usage: bench/peer/compare_fit.sh [SPECNET_BINARY] [OUT_DIR]
#   SPECNET_BINARY  default build/examples/specnet;  OUT_DIR  default /tmp/specnet_peer_fit
#   SHERPA_PYTHON   python with sherpa + astropy (default /tmp/sherpaenv/bin/python)
#   VELA_DIR        directory of nu90402339002A01_{sr,bk}.pha / _sr.arf (default ../shared/data/nustar)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
specnet=${1:-$root/build/examples/specnet}
out=${2:-/tmp/specnet_peer_fit}
py=${SHERPA_PYTHON:-/tmp/sherpaenv/bin/python}
vela=${VELA_DIR:-$root/../shared/data/nustar}
[ -x "$specnet" ] || { echo "no specnet binary at $specnet (build with -DSPECNET_BUILD_EXAMPLES=ON)" >&2; exit 1; }
mkdir -p "$out"
export SPECNET_NUM_THREADS=${SPECNET_NUM_THREADS:-2}

"$specnet" response --name nustar --rmf "$out/nustar.rmf" --arf "$out/nustar.arf"
resp="$out/nustar.rmf,$out/nustar.arf"
"$specnet" simulate --model powerlaw --params 'PhoIndex=1.8,norm=0.01' --response "$resp" \
  --exposure 20000 --seed 7 --out "$out/sim_pl.pha"
"$specnet" simulate --model 'powerlaw+gaussian' \
  --params 'powerlaw_1.PhoIndex=1.8,powerlaw_1.norm=0.01,gaussian_2.LineE=6.4,gaussian_2.Sigma=0.2,gaussian_2.norm=0.0005' \
  --response "$resp" --exposure 20000 --seed 8 --out "$out/sim_plg.pha"

# One fit: NAME DATA RESPONSE EMIN EMAX STAT MODEL START [BACKGROUND]
# Starts are deliberately not the true values; sherpa starts from the same values (listed in the JSON).
fit() {
  local name=$1 data=$2 rsp=$3 emin=$4 emax=$5 stat=$6 model=$7 start=$8 bkg=${9:-}
  local extra=()
  [ -n "$bkg" ] && extra=(--background "$bkg")
  "$specnet" fit --data "$data" --response "$rsp" --model "$model" --params "$start" --stat "$stat" \
    --emin "$emin" --emax "$emax" --errors none --quiet --json "$out/$name.specnet.json" "${extra[@]}" \
    > "$out/$name.specnet.txt" || { echo "specnet fit $name did not converge" >&2; cat "$out/$name.specnet.txt" >&2; }
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$data" "$rsp" "$emin" "$emax" "$stat" "$model" "$start" \
    "$bkg" >> "$out/fits.tsv"
}
: > "$out/fits.tsv"
pl_start='PhoIndex=1.5,norm=0.005'
plg_start='powerlaw_1.PhoIndex=1.5,powerlaw_1.norm=0.005,gaussian_2.LineE=6.3,gaussian_2.Sigma=0.3,gaussian_2.norm=0.001'
fit sim_pl "$out/sim_pl.pha" "$resp" 3 79 cstat powerlaw "$pl_start"
fit sim_plg "$out/sim_plg.pha" "$resp" 3 79 cstat 'powerlaw+gaussian' "$plg_start"
# Vela X-1 (FPMA): no real RMF here, so the built-in Gaussian RMF with the observation's own ARF.
vresp="$out/nustar.rmf,$vela/nu90402339002A01_sr.arf"
vdata="$vela/nu90402339002A01_sr.pha"
vbkg="$vela/nu90402339002A01_bk.pha"
vela_plg='powerlaw_1.PhoIndex=1.5,powerlaw_1.norm=0.5,gaussian_2.LineE=6.4,gaussian_2.Sigma=0.1,gaussian_2.norm=0.005'
fit vela_pl "$vdata" "$vresp" 4 12 cstat powerlaw 'PhoIndex=1.5,norm=0.5'
fit vela_plg "$vdata" "$vresp" 4 12 cstat 'powerlaw+gaussian' "$vela_plg"
fit vela_pl_wstat "$vdata" "$vresp" 4 12 wstat powerlaw 'PhoIndex=1.5,norm=0.5' "$vbkg"
fit vela_plg_wstat "$vdata" "$vresp" 4 12 wstat 'powerlaw+gaussian' "$vela_plg" "$vbkg"

[ "${SKIP_SHERPA:-0}" = 1 ] && exit 0
"$py" "$here/fit_sherpa.py" "$out/fits.tsv"
