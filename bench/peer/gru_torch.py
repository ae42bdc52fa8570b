"""PyTorch peer benchmark: the paper decoder's GRU (torch.nn.GRU(1, 1, num_layers=2, bidirectional=True,
batch_first=True), 240 steps), forward + backward of sum(output), as specnet's BM_gru_fwd_bwd (bench/bench_flow.cpp).
Prints one JSON object on stdout: median / min ms per batch, spectra/s at the median, threads, torch version, load.

Usage: python3 bench/peer/gru_torch.py [--threads 2] [--batch 512] [--warmup 3] [--iters 20]
"""
import argparse
import json
import os
import statistics
import time

parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--batch", type=int, default=512)
parser.add_argument("--warmup", type=int, default=3)
parser.add_argument("--iters", type=int, default=20)
args = parser.parse_args()
os.environ["OMP_NUM_THREADS"] = str(args.threads)  # before importing torch: covers OpenMP and BLAS
os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
import torch  # noqa: E402

torch.set_num_threads(args.threads)
torch.manual_seed(4)
gru = torch.nn.GRU(1, 1, num_layers=2, bidirectional=True, batch_first=True)
x = torch.randn(args.batch, 240, 1, requires_grad=True)
times = []
for i in range(args.warmup + args.iters):
    t0 = time.perf_counter()
    out, _ = gru(x)
    out.sum().backward()
    gru.zero_grad()
    x.grad = None
    if i >= args.warmup:
        times.append((time.perf_counter() - t0) * 1e3)
med = statistics.median(times)
print(json.dumps({"benchmark": "gru_fwd_bwd", "batch": args.batch, "threads": args.threads, "median_ms": med,
                  "min_ms": min(times), "spectra_per_s": args.batch / med * 1e3, "torch": torch.__version__,
                  "load_1min": os.getloadavg()[0]}))
