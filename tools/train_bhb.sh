#!/usr/bin/env bash
# The posterior network of paper 002 as docs/results-bhb.md's tenth session trained it, in one command:
#   tools/train_bhb.sh OUT_DIR
# writes OUT_DIR/{val.bhb, train.bhb, calib.bhb, s1_wide.safetensors, cos.safetensors, cos_cal.safetensors,
# calibration/, res.safetensors, res_cal.safetensors, calibration_residual/, later stages' train_resK.bhb, resK.safetensors,
# resK_cal.safetensors, calibration_resK/, report/}. Each step is skipped when its output exists, and stage 2 runs with --resume, so calling it
# again (after a crash, or after a --time-limit stop) continues the same run bit for bit. Settings (environment):
#   SPECNET      the CLI (default build/examples/specnet)
#   EPOCHS       stage-2 epochs, the length of the cosine (default 280: ~100 min on 2 AVX-512 cores, 21 s/epoch)
#   DEVICE       cpu or cuda (default cpu)
#   TIME_LIMIT   seconds for this call's stage-2 epochs, 0 for none (default 0); resume with the same command
#   CALIBRATE    1: fit a Student-t base on calib.bhb (bhb calibrate) and report on the calibrated network (default 1)
#   RESIDUAL_EPOCHS  epochs of the residual stage after stage 2 (default 36: ~35 min on 2 cores; 0: none), its base
#                calibrated on calib.bhb; the report is then the two-stage posterior's
#   RESIDUAL_STAGES  residual stages in the chain (default 4, the fourteenth session's chain); stage k >= 2 is
#                trained on a fresh set train_resK.bhb (TRAIN_COUNT spectra) for LATER_RESIDUAL_EPOCHS (default 20:
#                ~20 min on 2 cores) from the weights of stage k-1, and calibrated; the report is the whole chain's
#   REPORT       1: bhb report on the validation spectra once stage 2 has ended (default 1)
#   TRAIN_COUNT, VAL_COUNT, PGSTAT_COUNT, CORNER   sizes (default 100000, 2160, 400, 2; smaller for a smoke test);
#   the calibration set has VAL_COUNT spectra
# Recipe (docs/results-bhb.md, "Tenth session"): the encoder twice as wide as section B's, the flow NLL alone
# (--recon-weight 0 --latent-weight 0), AdamW from lr 1e-3 down a cosine to 1e-6, and a per-step average of the
# weights (--ema-decay 0.9995), which is what is validated and saved; then (eleventh session) the flow's base fitted
# by maximum likelihood on a third set, which the network never saw and the report does not use.
set -euo pipefail
out=${1:?usage: tools/train_bhb.sh OUT_DIR}
specnet=${SPECNET:-build/examples/specnet}
epochs=${EPOCHS:-280}
device=${DEVICE:-cpu}
time_limit=${TIME_LIMIT:-0}
train_count=${TRAIN_COUNT:-100000}
residual_epochs=${RESIDUAL_EPOCHS:-36}
residual_stages=${RESIDUAL_STAGES:-4}
later_epochs=${LATER_RESIDUAL_EPOCHS:-20}
val_count=${VAL_COUNT:-2160}
[ -x "$specnet" ] || { echo "train_bhb.sh: no CLI at $specnet (build first, or set SPECNET)" >&2; exit 1; }
mkdir -p "$out"
run() { echo "+ $*"; "$@"; }
[ -f "$out/val.bhb" ] || run "$specnet" dataset bhb --count "$val_count" --seed 2 --out "$out/val.bhb"
[ -f "$out/train.bhb" ] || run "$specnet" dataset bhb --count "$train_count" --seed 11 --out "$out/train.bhb"
# Stage 1 only builds the network (widths and input scaling travel in the checkpoint): with the reconstruction
# weight 0 the decoder plays no part in stage 2.
[ -f "$out/s1_wide.safetensors" ] ||
  run "$specnet" bhb train --data "$out/train.bhb" --stage 1 --epochs 1 --seed 21 \
    --conv-channels 32,64,64,64,64,64 --device "$device" --out "$out/s1_wide.safetensors"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
run "$specnet" bhb train --data "$out/train.bhb" --stage 2 --init "$out/s1_wide.safetensors" --epochs "$epochs" \
  --patience 1000 --lr 1e-3 --min-lr 1e-6 --lr-schedule cosine --recon-weight 0 --latent-weight 0 \
  --ema-decay 0.9995 --seed 7 --device "$device" --time-limit "$time_limit" --resume \
  --out "$out/cos.safetensors" | tee "$log"
if grep -q "time limit: continue" "$log"; then
  echo "train_bhb.sh: stopped on the time limit; run the same command again to continue"
  exit 0
fi
model="$out/cos.safetensors"
if [ "${CALIBRATE:-1}" = 1 ]; then
  [ -f "$out/calib.bhb" ] || run "$specnet" dataset bhb --count "$val_count" --seed 4 --out "$out/calib.bhb"
  if [ ! -f "$out/cos_cal.safetensors" ] || [ "$model" -nt "$out/cos_cal.safetensors" ]; then
    mkdir -p "$out/calibration"
    run "$specnet" bhb calibrate --model "$model" --data "$out/calib.bhb" --count "$val_count" \
      --out "$out/cos_cal.safetensors" --out-dir "$out/calibration"
  fi
  model="$out/cos_cal.safetensors"
fi
# The residual stage (docs/bhb.md; thirteenth session): a second network on the Pearson residuals at the first
# network's estimate, trained on the same spectra, its base calibrated on calib.bhb, and reported with the first.
# Later stages (fourteenth session) each read the residuals at the chain's estimate so far. Each gets a fresh set,
# because the earlier stages are over-confident on their own training spectra, and starts from the weights of the
# stage before it.
residual=()
stop_on_time_limit() {
  if grep -q "time limit: continue" "$log"; then
    echo "train_bhb.sh: stopped on the time limit; run the same command again to continue"
    exit 0
  fi
}
if [ "$residual_epochs" -gt 0 ]; then
  [ -f "$out/calib.bhb" ] || run "$specnet" dataset bhb --count "$val_count" --seed 4 --out "$out/calib.bhb"
  stages=""    # the calibrated residual stages so far, comma-separated
  previous=""  # the last one before calibration (the next stage's starting weights)
  for k in $(seq 1 "$residual_stages"); do
    name=res; set="$out/train.bhb"; epochs_k=$residual_epochs; init=(--conv-channels 32,64,64,64,64,64); lr=1e-3
    if [ "$k" -gt 1 ]; then
      name=res$k; set="$out/train_res$k.bhb"; epochs_k=$later_epochs; init=(--init "$previous"); lr=4e-4
      [ -f "$set" ] || run "$specnet" dataset bhb --count "$train_count" --seed $((40 + k)) --out "$set"
    fi
    chain="$model${stages:+,$stages}"
    newest=${chain##*,}
    if [ ! -f "$out/${name}_cal.safetensors" ] || [ "$newest" -nt "$out/${name}_cal.safetensors" ]; then
      run "$specnet" bhb train --data "$set" --stage 2 --residual-of "$chain" "${init[@]}" --epochs "$epochs_k" \
        --patience 1000 --lr "$lr" --min-lr 1e-5 --lr-schedule cosine --ema-decay 0.999 --base-df 5 \
        --recon-weight 0 --latent-weight 0 --seed $((6 + k)) --device "$device" \
        --time-limit "$time_limit" --resume --out "$out/$name.safetensors" | tee "$log"
      stop_on_time_limit
      caldir="$out/calibration_$name"
      [ "$k" -gt 1 ] || caldir="$out/calibration_residual"
      mkdir -p "$caldir"
      run "$specnet" bhb calibrate --model "$model" --residual "${stages:+$stages,}$out/$name.safetensors" \
        --data "$out/calib.bhb" --count "$val_count" --out "$out/${name}_cal.safetensors" --out-dir "$caldir"
    fi
    stages="${stages:+$stages,}$out/${name}_cal.safetensors"
    previous="$out/$name.safetensors"
  done
  residual=(--residual "$stages")
fi
if [ "${REPORT:-1}" = 1 ]; then
  mkdir -p "$out/report"
  run "$specnet" bhb report --model "$model" "${residual[@]}" --data "$out/val.bhb" --count "$val_count" \
    --samples 1024 --pgstat-count "${PGSTAT_COUNT:-400}" --corner "${CORNER:-2}" --out-dir "$out/report"
fi
