#!/usr/bin/env python3
"""specnet vs PyTorch on one GPU: IC-search CAE training step and inference (batch 150, 2960 bins) and the paper's
spline-flow training step (batch 512 and 8192), float32. Runs specnet's BM_cuda_* benchmarks
(bench/bench_cuda_steps.cpp) and the peers cae_torch.py / flow_torch.py with --device cuda, one after the other,
and prints one Markdown table with spectra/s and the specnet/PyTorch ratio. The BHB stage-2 step
(BM_cuda_bhb_stage2_step) has its own side-by-side script, compare_bhb.py --device cuda.

    python3 bench/peer/compare_gpu.py [--build build] [--torch-python python3] [--repetitions 3] [--iters 50]
"""
import argparse
import json
import os
import subprocess
import sys

from specnet_bench_json import specnet_medians

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FLOW_BATCHES = (512, 8192)


def run_specnet(build, repetitions):
    res = {}
    for b in specnet_medians(os.path.join(build, "bench", "specnet_bench"), "BM_cuda_(cae|flow|gru)_", repetitions):
        # run_name is e.g. "BM_cuda_cae_train_step/150/min_time:2.000/real_time": keep "name/batch"
        res["/".join(b["run_name"].split("/")[:2])] = {"ms": b["real_time"], "spectra_per_s": b["spectra/s"]}
    return res


def run_peer(python, script, args):
    out = subprocess.run([python, os.path.join(HERE, script), "--device", "cuda"] + args, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--torch-python", default=os.environ.get("SPECNET_TORCH_PYTHON", sys.executable),
                   help="a python with a CUDA torch (default: $SPECNET_TORCH_PYTHON or this python)")
    p.add_argument("--repetitions", type=int, default=3)
    p.add_argument("--iters", type=int, default=50)
    a = p.parse_args()
    sn = run_specnet(a.build, a.repetitions)
    cae = run_peer(a.torch_python, "cae_torch.py", ["--iters", str(a.iters), "--warmup", "3"])
    rows = [("CAE train step, B 150", "BM_cuda_cae_train_step/150", cae["train_step"]["summary"]),
            ("CAE inference, B 150", "BM_cuda_cae_inference/150", cae["inference"]["summary"])]
    for batch in FLOW_BATCHES:
        flow = run_peer(a.torch_python, "flow_torch.py", ["--batch", str(batch), "--iters", str(a.iters)])
        rows.append((f"flow train step, B {batch}", f"BM_cuda_flow_train_step/{batch}", flow["train_step"]))
    print(f"GPU: {cae['gpu']}; torch {cae['torch']} (cuDNN TF32 allowed: {cae['cudnn_allow_tf32']}); "
          f"specnet float32 without TF32\n")
    print("| step | specnet ms | specnet spectra/s | PyTorch ms | PyTorch spectra/s | ratio (specnet/PyTorch) |")
    print("|---|---|---|---|---|---|")
    for label, key, t in rows:
        s = sn.get(key)
        if s is None:
            sys.exit(f"specnet result {key} missing (have: {', '.join(sorted(sn))})")
        print(f"| {label} | {s['ms']:.2f} | {s['spectra_per_s']:.0f} | {t['ms_median']:.2f} | {t['spectra_per_s']:.0f} | "
              f"{s['spectra_per_s'] / t['spectra_per_s']:.2f}x |")


if __name__ == "__main__":
    main()
