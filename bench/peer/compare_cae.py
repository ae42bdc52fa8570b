#!/usr/bin/env python3
"""Side-by-side IC-search CAE benchmark: specnet (bench/bench_cae_step.cpp, or bench_cuda_steps.cpp with
--device cuda) vs PyTorch (cae_torch.py) on the same device.

Runs both on the same machine and thread count (or GPU), one after the other, and prints a Markdown table with
spectra/s, ms per batch and the specnet/PyTorch throughput ratio, for the training step and inference.

    python3 bench/peer/compare_cae.py --threads 2 [--build build] [--torch-python /usr/bin/python3]
                                      [--openblas /tmp/openblas/usr/lib/x86_64-linux-gnu/openblas-openmp]
    python3 bench/peer/compare_cae.py --device cuda     # a CUDA build of specnet and a CUDA torch, one GPU
"""
import argparse
import json
import os
import subprocess
import sys

from specnet_bench_json import specnet_medians

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def run_specnet(build, threads, repetitions, device):
    # CPU: the thread-count argument; GPU: the batch argument of bench_cuda_steps.cpp.
    pattern = "BM_cuda_cae_(train_step|inference)/150/" if device == "cuda" else f"BM_cae_(train_step|inference)/{threads}/"
    res = {}
    for b in specnet_medians(os.path.join(build, "bench", "specnet_bench"), pattern, repetitions):
        kind = "train_step" if "train_step" in b["name"] else "inference"
        res[kind] = {"ms": b["real_time"], "spectra_per_s": b["spectra/s"], "gflops": b.get("GFLOP/s")}
    if len(res) != 2:
        sys.exit(f"specnet benchmark output lacks {pattern}")
    return res


def run_torch(python, threads, openblas, iters, device):
    env = dict(os.environ)
    if openblas:
        env["LD_LIBRARY_PATH"] = openblas + ":" + env.get("LD_LIBRARY_PATH", "")
    out = subprocess.run([python, os.path.join(HERE, "cae_torch.py"), "--threads", str(threads), "--iters", str(iters),
                          "--device", device],
                         check=True, capture_output=True, text=True, env=env).stdout
    j = json.loads(out)
    return j, {k: {"ms": j[k]["summary"]["ms_median"], "spectra_per_s": j[k]["summary"]["spectra_per_s"]}
               for k in ("train_step", "inference")}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    default_python = os.environ.get("SPECNET_TORCH_PYTHON") or next(
        (c for c in ("/tmp/torchenv/bin/python", "/usr/bin/python3") if os.path.exists(c)), "python3")
    p.add_argument("--torch-python", default=default_python,
                   help="a python with torch (default: $SPECNET_TORCH_PYTHON, /tmp/torchenv/bin/python, /usr/bin/python3)")
    p.add_argument("--openblas", default="", help="directory with an OpenBLAS libblas.so.3 for torch")
    p.add_argument("--repetitions", type=int, default=3)
    p.add_argument("--iters", type=int, default=5)
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                   help="cuda: specnet's BM_cuda_cae_* against torch on the GPU (iters default 50)")
    a = p.parse_args()
    iters = a.iters if a.device == "cpu" or a.iters != 5 else 50
    sn = run_specnet(a.build, a.threads, a.repetitions, a.device)
    meta, pt = run_torch(a.torch_python, a.threads, a.openblas, iters, a.device)
    where = (f"GPU: {meta['gpu']}" if a.device == "cuda" else
             f"{a.threads} threads; BLAS: {meta['blas']}; CPU: {meta['cpu']}; load at end {meta['load_average_1min_at_end']}")
    print(f"IC-search CAE, batch 150, 2960 bins, float32, device {a.device}; torch {meta['torch']}; {where}\n")
    print("| step | specnet ms | specnet spectra/s | specnet GFLOP/s | PyTorch ms | PyTorch spectra/s | ratio (specnet/PyTorch) |")
    print("|---|---|---|---|---|---|---|")
    for k in ("train_step", "inference"):
        s, t = sn[k], pt[k]
        gflops = f"{s['gflops']:.1f}" if s["gflops"] is not None else "-"
        print(f"| {k} | {s['ms']:.2f} | {s['spectra_per_s']:.1f} | {gflops} | {t['ms']:.2f} | "
              f"{t['spectra_per_s']:.1f} | {s['spectra_per_s'] / t['spectra_per_s']:.2f}x |")


if __name__ == "__main__":
    main()
