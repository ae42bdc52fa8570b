"""PyTorch peer benchmark: one paper-002 stage-2 training step of the BHB flow-autoencoder, as specnet's
bench/bench_bhb_step.cpp (BM_bhb_stage2_step) and bench/bench_cuda_steps.cpp (BM_cuda_bhb_stage2_step).

Encoder as src/bhb/network.cpp (reference-architectures.md section B): six Conv1d (k2 s2 / k3 s1 alternating, channels
16, 32, 32, 32, 32, 32) each followed by GELU, e = GELU(Linear(832, 120)), context = GELU(dense2(GELU(dense1(e)))) + e.
Flow: flow_torch.SplineFlow (nflows' conditional neural spline flow). Step: loss = flow NLL (mode npe) or flow NLL +
MSE(one reparameterised draw, theta) (mode latent), backward, AdamW(lr 1e-3, weight decay 1e-2) over encoder + flow; the
frozen decoder plays no part at reconstruction weight 0. Prints one JSON object on stdout.

Usage: python3 bench/peer/bhb_torch.py [--device cpu|cuda] [--batch 120] [--mode npe|latent] [--threads 2]
       [--warmup 3] [--iters 30] [--inverse feature|nflows]
"""
import argparse
import json
import os
import platform
import sys


def parse_args():
    p = argparse.ArgumentParser(description="PyTorch BHB stage-2 training-step peer benchmark")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--batch", type=int, default=120, help="spectra per batch (paper: 120)")
    p.add_argument("--mode", choices=("npe", "latent"), default="npe",
                   help="npe: flow NLL alone; latent: flow NLL + MSE of one reparameterised draw to theta")
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (CPU)")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--iters", type=int, default=30)
    p.add_argument("--inverse", choices=("feature", "nflows"), default="feature",
                   help="flow inverse of the latent draw: feature = specnet's per-feature passes (default), "
                        "nflows = nflows' full-MADE passes")
    a = p.parse_args()
    if a.batch < 1 or a.threads < 1 or a.iters < 1 or a.warmup < 0:
        p.error("batch, threads and iters must be >= 1, warmup >= 0")
    return a


ARGS = parse_args()
os.environ["OMP_NUM_THREADS"] = str(ARGS.threads)  # read when torch loads OpenMP: set before the import
os.environ["OPENBLAS_NUM_THREADS"] = str(ARGS.threads)

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from flow_torch import CONTEXT, FEATURES, SplineFlow, time_steps  # noqa: E402

BINS = 240
CONV_CHANNELS = (16, 32, 32, 32, 32, 32)


class Encoder(torch.nn.Module):
    """x (B, 2, L) -> context (B, C); GELU (erf) after every layer, residual around dense1/dense2."""

    def __init__(self):
        super().__init__()
        convs, c_in, length = [], 2, BINS
        for i, c_out in enumerate(CONV_CHANNELS):
            k, s = (2, 2) if i % 2 == 0 else (3, 1)
            convs.append(torch.nn.Conv1d(c_in, c_out, k, stride=s))
            c_in, length = c_out, (length - k) // s + 1
        self.convs = torch.nn.ModuleList(convs)
        self.flat_features = c_in * length  # 832 for L = 240
        self.embed = torch.nn.Linear(self.flat_features, CONTEXT)
        self.dense1 = torch.nn.Linear(CONTEXT, CONTEXT)
        self.dense2 = torch.nn.Linear(CONTEXT, CONTEXT)

    def forward(self, x):
        h = x
        for conv in self.convs:
            h = F.gelu(conv(h))
        e = F.gelu(self.embed(h.flatten(1)))
        return F.gelu(self.dense2(F.gelu(self.dense1(e)))) + e


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main():
    a = ARGS
    torch.manual_seed(0)
    torch.set_num_threads(a.threads)
    device = torch.device(a.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    encoder, flow = Encoder().to(device), SplineFlow().to(device)
    params = list(encoder.parameters()) + list(flow.parameters())
    n_encoder = sum(p.numel() for p in encoder.parameters())
    n_flow = sum(p.numel() for p in flow.parameters())
    x = torch.rand(a.batch, 2, BINS, device=device)          # scaled spectra in [0, 1]
    theta = torch.randn(a.batch, FEATURES, device=device)    # z-scored parameters
    opt = torch.optim.AdamW(params, lr=1e-3, weight_decay=1e-2)

    def step():
        opt.zero_grad(set_to_none=True)
        ctx = encoder(x)
        loss = -flow.log_prob(theta, ctx).mean()
        if a.mode == "latent":
            loss = loss + F.mse_loss(flow.rsample(ctx, a.inverse), theta)
        loss.backward()
        opt.step()
        return loss.item()  # as specnet's benchmark: the step ends with the loss on the host

    train_step = time_steps(step, a.batch, a.warmup, a.iters, sync)
    print(json.dumps({
        "benchmark": "bhb_stage2_torch", "torch": torch.__version__, "device": str(device),
        "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
        "cpu": cpu_model(), "threads": torch.get_num_threads() if device.type == "cpu" else None,
        "batch": a.batch, "mode": a.mode, "inverse": a.inverse if a.mode == "latent" else None, "dtype": "float32",
        "parameters": {"encoder": n_encoder, "flow": n_flow, "trainable": n_encoder + n_flow},
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
        "train_step": train_step,
    }, indent=2))


if __name__ == "__main__":
    main()
