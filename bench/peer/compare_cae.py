#!/usr/bin/env python3
"""Side-by-side IC-search CAE benchmark: specnet (bench/bench_cae_step.cpp) vs PyTorch (cae_torch.py).

Runs both on the same machine and thread count, one after the other, and prints a Markdown table with
spectra/s, ms per batch and the specnet/PyTorch throughput ratio, for the training step and inference.

    python3 bench/peer/compare_cae.py --threads 2 [--build build] [--torch-python /usr/bin/python3]
                                      [--openblas /tmp/openblas/usr/lib/x86_64-linux-gnu/openblas-openmp]
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def run_specnet(build, threads, repetitions):
    exe = os.path.join(build, "bench", "specnet_bench")
    if not os.path.exists(exe):
        sys.exit(f"{exe} not found: build with `make bench` (or -DSPECNET_BUILD_BENCHMARKS=ON) first")
    out = subprocess.run([exe, f"--benchmark_filter=BM_cae_(train_step|inference)/{threads}/",
                          "--benchmark_format=json", f"--benchmark_repetitions={repetitions}",
                          "--benchmark_report_aggregates_only=true"],
                         check=True, capture_output=True, text=True).stdout
    res = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        kind = "train_step" if "train_step" in b["name"] else "inference"
        res[kind] = {"ms": b["real_time"], "spectra_per_s": b["spectra/s"], "gflops": b["GFLOP/s"]}
    return res


def run_torch(python, threads, openblas, iters):
    env = dict(os.environ)
    if openblas:
        env["LD_LIBRARY_PATH"] = openblas + ":" + env.get("LD_LIBRARY_PATH", "")
    out = subprocess.run([python, os.path.join(HERE, "cae_torch.py"), "--threads", str(threads), "--iters", str(iters)],
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
    a = p.parse_args()
    sn = run_specnet(a.build, a.threads, a.repetitions)
    meta, pt = run_torch(a.torch_python, a.threads, a.openblas, a.iters)
    print(f"IC-search CAE, batch 150, 2960 bins, float32, {a.threads} threads; torch {meta['torch']} "
          f"(BLAS: {meta['blas']}); CPU: {meta['cpu']}; load at end {meta['load_average_1min_at_end']}\n")
    print("| step | specnet ms | specnet spectra/s | specnet GFLOP/s | PyTorch ms | PyTorch spectra/s | ratio (specnet/PyTorch) |")
    print("|---|---|---|---|---|---|---|")
    for k in ("train_step", "inference"):
        s, t = sn[k], pt[k]
        print(f"| {k} | {s['ms']:.1f} | {s['spectra_per_s']:.1f} | {s['gflops']:.1f} | {t['ms']:.1f} | "
              f"{t['spectra_per_s']:.1f} | {s['spectra_per_s'] / t['spectra_per_s']:.2f}x |")


if __name__ == "__main__":
    main()
