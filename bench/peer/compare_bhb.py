#!/usr/bin/env python3
"""specnet vs PyTorch: one paper-002 stage-2 training step of the BHB flow-autoencoder (issue #6), side by side on one
device. Runs specnet's BM_bhb_stage2_step (CPU, bench/bench_bhb_step.cpp) or BM_cuda_bhb_stage2_step (GPU,
bench/bench_cuda_steps.cpp) and bench/peer/bhb_torch.py for every mode x batch (x threads on the CPU), checks that both
train the same number of parameters, and prints one Markdown table; speed ratio = torch ms / specnet ms (> 1: specnet
faster).

    python3 bench/peer/compare_bhb.py --device cpu --threads 1,2 --torch-python /tmp/torchenv/bin/python
    python3 bench/peer/compare_bhb.py --device cuda --bench build-cuda/bench/specnet_bench --torch-python python3
"""
import argparse
import json
import os
import re
import subprocess
import sys

from specnet_bench_json import specnet_medians

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MODES = {"npe": 0, "latent": 1}


def ints(text):
    return [int(v) for v in text.split(",") if v]


def run_specnet(bench, device, batches, modes, threads, repetitions):
    name = "BM_bhb_stage2_step" if device == "cpu" else "BM_cuda_bhb_stage2_step"
    alt = lambda vs: "(" + "|".join(str(v) for v in vs) + ")"  # noqa: E731
    filt = f"^{name}/batch:{alt(batches)}/mode:{alt(MODES[m] for m in modes)}/"
    if device == "cpu":
        filt += f"threads:{alt(threads)}/"
    res = {}
    for b in specnet_medians(bench, filt, repetitions):
        f = dict(re.findall(r"(batch|mode|threads):(\d+)", b["run_name"]))
        key = (int(f["mode"]), int(f["batch"]), int(f.get("threads", 0)))
        res[key] = {"ms": b["real_time"], "spectra_per_s": b["spectra/s"], "parameters": int(b["parameters"])}
    return res


def run_torch(python, device, batch, mode, threads, iters, inverse):
    args = [python, os.path.join(HERE, "bhb_torch.py"), "--device", device, "--batch", str(batch), "--mode", mode,
            "--iters", str(iters), "--inverse", inverse]
    if device == "cpu":
        args += ["--threads", str(threads)]
    return json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    p.add_argument("--bench", default=os.path.join(ROOT, "build", "bench", "specnet_bench"),
                   help="specnet_bench binary (a CUDA build for --device cuda)")
    p.add_argument("--torch-python", default=os.environ.get("SPECNET_TORCH_PYTHON", sys.executable),
                   help="a python with torch (default: $SPECNET_TORCH_PYTHON or this python)")
    p.add_argument("--batches", type=ints, default=[120, 1024])
    p.add_argument("--modes", default="npe,latent")
    p.add_argument("--threads", type=ints, default=[1, 2], help="CPU thread counts (both libraries)")
    p.add_argument("--repetitions", type=int, default=3, help="specnet: repetitions of each benchmark (median)")
    p.add_argument("--iters", type=int, default=20, help="torch: timed steps (median)")
    p.add_argument("--inverse", choices=("feature", "nflows"), default="feature",
                   help="torch flow inverse for mode latent (see bhb_torch.py)")
    a = p.parse_args()
    modes = [m for m in a.modes.split(",") if m]
    for m in modes:
        if m not in MODES:
            p.error(f"unknown mode {m!r}: use npe and/or latent")
    threads = a.threads if a.device == "cpu" else [0]
    sn = run_specnet(a.bench, a.device, a.batches, modes, threads, a.repetitions)
    header = False
    for m in modes:
        for batch in a.batches:
            for t in threads:
                key = (MODES[m], batch, t)
                if key not in sn:
                    sys.exit(f"specnet result mode {m} batch {batch} threads {t} missing")
                tr = run_torch(a.torch_python, a.device, batch, m, t, a.iters, a.inverse)
                n = tr["parameters"]
                if n["trainable"] != sn[key]["parameters"]:
                    sys.exit(f"parameter counts differ: specnet {sn[key]['parameters']}, torch {n}")
                if not header:  # rows are printed as they come: the CPU sweep takes minutes
                    where = tr["gpu"] if a.device == "cuda" else tr["cpu"]
                    print(f"{a.device}: {where}; torch {tr['torch']}; float32; trainable parameters {n['trainable']} in "
                          f"both (encoder {n['encoder']} + flow {n['flow']}); torch inverse {a.inverse}; specnet median "
                          f"of {a.repetitions} repetitions, torch median of {a.iters} steps\n")
                    print("| mode | batch | threads | specnet ms | torch ms | speed ratio specnet/torch (torch ms / "
                          "specnet ms) | specnet spectra/s | torch spectra/s | load (1 min) |")
                    print("|---|---|---|---|---|---|---|---|---|")
                    header = True
                s, tt = sn[key], tr["train_step"]
                print(f"| {m} | {batch} | {t if t else '-'} | {s['ms']:.1f} | {tt['ms_median']:.1f} | "
                      f"{tt['ms_median'] / s['ms']:.2f}x | {s['spectra_per_s']:.0f} | {tt['spectra_per_s']:.0f} | "
                      f"{tr['load_average_1min_at_end']} |", flush=True)

if __name__ == "__main__":
    main()
