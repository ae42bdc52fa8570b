#!/usr/bin/env python3
# PyTorch-on-GPU peer of bench_cuda_fakeit: power law per spectrum -> NuSTAR-like Gaussian response (dense matmul or
# CSR SpMM) -> + background -> torch.poisson, timed as spectra/s (a lower bound of the work: no apec, no tbabs).
"""Usage: python3 bench/peer/fakeit_torch.py [--batch 65536] [--iters 5] [--dtype float64|float32] [--fold dense|csr]

The response mirrors specnet's built-in "nustar" one in shape and sparsity: 4096 model bins of 0.04 keV from
1.6 keV, 4096 PI channels (E = 1.6 + 0.04 PI keV), Gaussian redistribution FWHM^2 = a + b E through 0.4 keV at
6 keV and 0.9 keV at 60 keV, truncated at 4 sigma, times a flat 300 cm^2 area; 1 Ms exposure and a flat
background of 4e-5 counts/s per channel. Only throughput is compared: the numbers are not specnet's spectra.
"""
import argparse
import math
import time

import numpy as np
import torch


def nustar_like_response(dtype):
    E = H = 4096
    edges = 1.6 + 0.04 * np.arange(E + 1)
    centre = 0.5 * (edges[:-1] + edges[1:])
    b = (0.9**2 - 0.4**2) / (60 - 6)
    a = 0.4**2 - b * 6
    sigma = np.sqrt(a + b * centre) / (2 * math.sqrt(2 * math.log(2)))
    ch_edges = 1.6 + 0.04 * np.arange(H + 1)
    rows, cols, vals = [], [], []
    for e in range(E):  # column e of the (H, E) matrix
        lo = np.searchsorted(ch_edges, centre[e] - 4 * sigma[e]) - 1
        hi = np.searchsorted(ch_edges, centre[e] + 4 * sigma[e])
        lo, hi = max(lo, 0), min(hi, H)
        z0 = (ch_edges[lo:hi] - centre[e]) / (sigma[e] * math.sqrt(2))
        z1 = (ch_edges[lo + 1:hi + 1] - centre[e]) / (sigma[e] * math.sqrt(2))
        p = 0.5 * (np.vectorize(math.erf)(z1) - np.vectorize(math.erf)(z0))
        p /= p.sum()
        rows.extend(range(lo, hi))
        cols.extend([e] * (hi - lo))
        vals.extend(300.0 * p)
    m = torch.sparse_coo_tensor(torch.tensor(np.array([rows, cols])), torch.tensor(vals), (H, E)).coalesce()
    return edges, m.to(dtype)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=65536)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    ap.add_argument("--fold", default="csr", choices=["dense", "csr"])
    args = ap.parse_args()
    if not torch.cuda.is_available():
        print("fakeit_torch: no CUDA device, nothing measured")
        return
    dev, dtype = torch.device("cuda"), getattr(torch, args.dtype)
    edges_np, m = nustar_like_response(dtype)
    edges = torch.tensor(edges_np, dtype=dtype, device=dev)
    log_lo, log_hi = torch.log(edges[:-1]), torch.log(edges[1:])
    if args.fold == "dense":
        R_t = m.to_dense().t().contiguous().to(dev)  # (E, H)
    else:
        R = m.to_sparse_csr().to(dev)  # (H, E)
    exposure, background = 1e6, torch.full((4096,), 4e-5, dtype=dtype, device=dev)
    gen = torch.Generator(device=dev)
    gen.manual_seed(1)
    B = args.batch

    def step():
        u = torch.rand(B, 2, generator=gen, device=dev, dtype=dtype)
        gamma = (1.2 + 1.6 * u[:, :1])                       # (B, 1)
        norm = torch.exp(math.log(1e-4) + u[:, 1:] * math.log(100.0))
        a = 1 - gamma
        photons = norm * torch.exp(a * log_lo) * torch.expm1(a * (log_hi - log_lo)) / a  # (B, E)
        if args.fold == "dense":
            rate = photons @ R_t                             # (B, H)
        else:
            rate = (R @ photons.t()).t()                     # (B, H)
        mean = exposure * rate + exposure * background
        return torch.poisson(mean, generator=gen)

    step()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(args.iters):
        counts = step()
    torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    print(f"fakeit_torch {args.fold} {args.dtype} batch {B}: {B * args.iters / dt:,.0f} spectra/s "
          f"({torch.cuda.get_device_name()}, torch {torch.__version__}, last total counts {counts.sum().item():.3g})")


if __name__ == "__main__":
    main()
